"""Land a validated run as decided: one loader for every source.

The staged rows of the run (tasks.validate.staging) land in one transaction that replaces the delivered files'
rows of the period; a rejected run or one that breaches the stop threshold lands nothing, and the period keeps
its previous state.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from tasks.core import sql
from tasks.core.errors import ConfigError, ParseError, ValidationFailed
from tasks.core.settings import Settings
from tasks.core.warehouse import table_name, transaction
from tasks.ingest import ledger
from tasks.sources import redelivery
from tasks.sources.base import SourceAdapter
from tasks.validate.staging import BatchResult, LandingResult, RunValidation, staged_table, validate_run

_REPLACE_KEYS = ("file_name", "batch_id")


def _replace_key(adapter: SourceAdapter) -> str:
    """Which landed rows a new delivery replaces: the same file's (a feed), or only the same batch's (history)."""
    key = getattr(adapter, "replace_key", "file_name")
    if key not in _REPLACE_KEYS:
        raise ConfigError(f"adapter {adapter.name!r}: replace_key must be one of {_REPLACE_KEYS}, not {key!r}")
    return key


def land_run(con: duckdb.DuckDBPyConnection, settings: Settings, adapter: SourceAdapter, run_id: str,
             period: str) -> LandingResult:
    """Validate and land without a steward: the good rows land, failing rows stay in quarantine, and a breach of
    the stop threshold (or an unreadable file) stops the period, changing nothing (what a run with no one to ask
    does — the inbox, a replayed capture)."""
    checked = validate_run(con, settings, adapter, run_id, period)
    if checked.breaches:
        refuse(con, adapter, checked, "period not landed: " + str(checked.breaches[0]))
        raise checked.breaches[0]
    return apply_decision(con, adapter, run_id, period, "accept_clean")


def refuse(con: duckdb.DuckDBPyConnection, adapter: SourceAdapter, checked: RunValidation, message: str) -> None:
    """Land nothing of the run: its staged rows go, its files are marked (an unreadable file stays `failed`)."""
    unparsable = {b.file for b in checked.breaches if isinstance(b, ParseError)}
    rejected = {b.file for b in checked.breaches if isinstance(b, ValidationFailed | redelivery.DeliveryShrinks)}
    with transaction(con):
        con.execute(sql.with_names("validate/drop_staged_run", staged=table_name(con, staged_table(con, adapter))),
                    {"run_id": checked.run_id})
        for result in (r for r in checked.batches if r.file_name not in unparsable):
            ledger.update_attempt(con, result.attempt_id,
                                  status="rejected" if result.file_name in rejected else "validated",
                                  message=message)


OPTIONS = ("accept_clean", "accept_all", "reject")


def apply_decision(con: duckdb.DuckDBPyConnection, adapter: SourceAdapter, run_id: str, period: str,
                   option: str, message: str | None = None,
                   log: Callable[[LandingResult], object] | None = None) -> LandingResult:
    """Land the run's staged rows as decided, in one transaction: `accept_clean` the rows that pass, `accept_all`
    every parsed row (failing ones included), `reject` none (the period keeps its previous state). Files that
    could not be read land nothing either way and keep what an earlier delivery landed for them; files not
    published this time (404) keep theirs too: a late or partial feed never erases data. `log` records the
    decision inside the same transaction: a decision is landed and logged, or neither."""
    if option not in OPTIONS:
        raise ValueError(f"unknown decision {option!r}; one of {OPTIONS}")
    raw_table, staged = table_name(con, adapter.raw_table), table_name(con, staged_table(con, adapter))
    rows = sql.rows(con, "queries/review_batches_of_run", {"run_id": run_id})
    missing = [r["file_name"] for r in rows if r["status"] == "missing"]
    readable = [r for r in rows if r["archive_path"] and r["status"] != "failed"]
    if readable and all(r["status"] in ("landed", "rejected") for r in readable):
        return _applied(period, readable, missing)  # a retry after the decision was landed: nothing to redo
    every = option == "accept_all"
    landed_counts = dict(con.execute(sql.with_names("land/staged_rows_by_file", staged=staged),
                                     {"run_id": run_id, "all": every}).fetchall()) if option != "reject" else {}
    overridden = con.execute(sql.with_names("validate/staged_failing_count", staged=staged),
                             {"run_id": run_id}).fetchall()[0][0] if every else 0
    results = []
    with transaction(con):
        if option != "reject":
            key = _replace_key(adapter)
            con.execute(sql.with_names("land/replace_files", raw=raw_table, key=key),
                        {"period": period, "keys": [r[key] for r in readable]})
            con.execute(sql.with_names("land/insert_staged", raw=raw_table, staged=staged),
                        {"run_id": run_id, "all": every})
        con.execute(sql.with_names("validate/drop_staged_run", staged=staged), {"run_id": run_id})
        for r in readable:
            landed = landed_counts.get(r["file_name"], 0)
            ledger.update_attempt(con, r["attempt_id"], status="rejected" if option == "reject" else "landed",
                                  rows_in=r["rows_in"], rows_landed=landed,
                                  rows_rejected=r["rows_rejected"], rows_warned=r["rows_warned"],
                                  report_path=r["report_path"], message=message)
            results.append(_batch(r, landed))
        result = LandingResult.of(period, results, missing, overridden)
        if log is not None:
            log(result)
    return result


def _applied(period: str, readable: list[dict], missing: list[str]) -> LandingResult:
    """What an earlier try of the same decision landed, as the ledger recorded it."""
    return LandingResult.of(period, [_batch(r, r["rows_landed"] or 0) for r in readable], missing)


def _batch(row: dict, landed: int, rejected: int | None = None) -> BatchResult:
    """A file of the run (its ledger row) with what was landed of it."""
    return BatchResult(row["attempt_id"], row["batch_id"], row["file_name"], row["rows_in"] or 0, landed,
                       row["rows_rejected"] or 0 if rejected is None else rejected, row["rows_warned"] or 0,
                       Path(row["report_path"]) if row["report_path"] else None)


def land_correction(con: duckdb.DuckDBPyConnection, adapter: SourceAdapter, run_id: str, period: str,
                    log: Callable[[LandingResult, int], object]) -> LandingResult:
    """Land a steward's corrected rows (validated, all of them passing): each replaces the landed row with the same
    natural key, if any, and the other rows of the original file stay. `log(result, replaced)` records it in the
    same transaction."""
    key = getattr(adapter, "natural_key", None)
    if not key:
        raise ConfigError(f"{adapter.name}: corrections need the adapter's natural_key")
    raw_table, staged = table_name(con, adapter.raw_table), table_name(con, staged_table(con, adapter))
    names = {"raw": raw_table, "staged": staged, "match": sql.key_match(key)}
    bound = {"period": period, "run_id": run_id}
    [r] = sql.rows(con, "queries/review_batches_of_run", {"run_id": run_id})
    with transaction(con):
        replaced = con.execute(sql.with_names("land/correction_replaced_count", **names), bound).fetchall()[0][0]
        con.execute(sql.with_names("land/correction_delete_replaced", **names), bound)
        landed = con.execute(sql.with_names("land/insert_staged", raw=raw_table, staged=staged),
                             {"run_id": run_id, "all": True}).fetchall()[0][0]   # a correction's rows all pass
        con.execute(sql.with_names("validate/drop_staged_run", staged=staged), {"run_id": run_id})
        ledger.update_attempt(con, r["attempt_id"], status="landed", rows_in=r["rows_in"], rows_landed=landed,
                              rows_rejected=0, rows_warned=r["rows_warned"], report_path=r["report_path"],
                              message=f"correction: {landed} rows landed, {replaced} landed rows replaced")
        result = LandingResult.of(period, [_batch(r, landed, rejected=0)], [])
        log(result, replaced)
    return result
