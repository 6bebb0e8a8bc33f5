"""Validate each fetched batch and land the period: one loader for every source.

Per batch: parse -> validate (GX) -> split rows into landed / quarantined. If any batch breaches the allowed
share of bad rows, nothing is landed and the previous state of the period stays. Otherwise the delivered
files' rows of the period are replaced in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from tasks import ledger, validation
from tasks.errors import ConfigError, EcoflowError, NothingToLand, ParseError, ValidationFailed
from tasks.settings import Settings
from tasks.sources.base import Parsed, RowIssue, SourceAdapter
from tasks.warehouse import insert_frame, table_name, transaction

ISSUE_COLUMNS = ["source", "period", "batch_id", "file_name", "source_line", "column_name", "value_text",
                 "rule", "severity", "reason"]


@dataclass
class BatchResult:
    attempt_id: str
    batch_id: str
    file_name: str
    rows_in: int
    rows_landed: int
    rows_rejected: int
    rows_warned: int
    report_path: Path | None
    rule_counts: dict[str, int] = field(default_factory=dict)


@dataclass
class LandingResult:
    period: str
    batches: list[BatchResult]
    rows_landed: int
    rows_rejected: int
    rows_warned: int
    missing_files: list[str]

    @property
    def reports(self) -> list[str]:
        """The batches' validation report pages."""
        return sorted({str(b.report_path) for b in self.batches if b.report_path})


def _issues_frame(adapter: SourceAdapter, period: str, batch_id: str, name: str, parsed: Parsed,
                  outcome: validation.ValidationOutcome | None) -> pd.DataFrame:
    parts = []
    if parsed.issues:
        parts.append(pd.DataFrame({
            "source_line": [i.source_line for i in parsed.issues],
            "column_name": [i.column_name for i in parsed.issues],
            "value_text": [i.value_text for i in parsed.issues],
            "rule": [i.rule for i in parsed.issues], "severity": [i.severity for i in parsed.issues],
            "reason": [i.reason for i in parsed.issues]}))
    rows = parsed.rows.set_index(adapter.row_key, drop=False) if outcome else None
    for failure in (outcome.failures if outcome else []):
        if failure.table_level:
            parts.append(pd.DataFrame({"source_line": [None], "column_name": [failure.column],
                                       "value_text": [None], "rule": [failure.rule],
                                       "severity": [failure.severity], "reason": [failure.reason]}))
            continue
        hit = rows.loc[list(failure.row_ids)]
        parts.append(pd.DataFrame({
            "source_line": hit["source_line"].to_numpy(), "column_name": hit[adapter.column_key].to_numpy(),
            "value_text": hit["value_text"].to_numpy(),
            "rule": failure.rule, "severity": failure.severity, "reason": failure.reason}))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ISSUE_COLUMNS[4:])
    frame.insert(0, "file_name", name)
    frame.insert(0, "batch_id", batch_id)
    frame.insert(0, "period", period)
    frame.insert(0, "source", adapter.name)
    return frame[ISSUE_COLUMNS]


def _store_issues(con: duckdb.DuckDBPyConnection, batch_id: str, issues: pd.DataFrame, parsed: Parsed) -> None:
    """Replace this batch's findings and the source lines they quote (caller holds the transaction)."""
    con.execute("DELETE FROM quarantine.row_issues WHERE batch_id = ?", [batch_id])
    con.execute("DELETE FROM quarantine.source_lines WHERE batch_id = ?", [batch_id])
    if issues.empty:
        return
    insert_frame(con, "quarantine.row_issues", issues)
    numbers = sorted({int(n) for n in issues["source_line"].dropna() if parsed.lines.get(int(n))})
    lines = pd.DataFrame({"batch_id": batch_id, "source_line": numbers,
                          "record": [parsed.lines.get(n, "") for n in numbers]})
    insert_frame(con, "quarantine.source_lines", lines)


_REPLACE_KEYS = ("file_name", "batch_id")


def _replace_key(adapter: SourceAdapter) -> str:
    """Which landed rows a new delivery replaces: the same file's (a feed), or only the same batch's (history)."""
    key = getattr(adapter, "replace_key", "file_name")
    if key not in _REPLACE_KEYS:
        raise ConfigError(f"adapter {adapter.name!r}: replace_key must be one of {_REPLACE_KEYS}, not {key!r}")
    return key


def _bad_share_limit(adapter: SourceAdapter, settings: Settings) -> float:
    """A feed tolerates a few bad rows (ECOFLOW_MAX_BAD_SHARE); a department's form is all or nothing (0)."""
    own = getattr(adapter, "max_bad_share", None)
    return settings.max_bad_share if own is None else own


def land_run(con: duckdb.DuckDBPyConnection, settings: Settings, adapter: SourceAdapter, run_id: str,
             period: str) -> LandingResult:
    """Validate every archived batch of the run, then replace those files' rows (or stop, changing nothing).

    Files not published this time (404) keep what an earlier run landed for them: a late or partial feed never
    erases data. Re-validating is safe, so a retried task simply does the whole step again.
    """
    raw_table = table_name(con, adapter.raw_table)
    attempts = ledger.attempts_of_run(con, run_id)
    missing = [a["file_name"] for a in attempts if a["status"] == "missing"]
    archived = [a for a in attempts if a["archive_path"]]
    if not archived:
        raise NothingToLand(f"{adapter.name} {period}: no file arrived in run {run_id} "
                            f"({len(missing)} not published); the warehouse keeps what it had for {period}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE landing AS SELECT * FROM {raw_table} LIMIT 0")
    results: list[BatchResult] = []
    breaches: list[EcoflowError] = []
    for attempt in archived:
        result, breach = _validate_batch(con, settings, adapter, period, attempt)
        results.append(result)
        if breach:
            breaches.append(breach)
    if breaches:
        unparsable = {b.file for b in breaches if isinstance(b, ParseError)}
        rejected = {b.file for b in breaches if isinstance(b, ValidationFailed)}
        for result in (r for r in results if r.file_name not in unparsable):  # those stay "failed"
            ledger.update_attempt(con, result.attempt_id,
                                  status="rejected" if result.file_name in rejected else "validated",
                                  message="period not landed: " + str(breaches[0]))
        raise breaches[0]
    with transaction(con):
        key = _replace_key(adapter)
        con.execute(f"DELETE FROM {raw_table} WHERE period = ? AND list_contains(?, {key})",
                    [period, [getattr(r, key) for r in results]])
        con.execute(f"INSERT INTO {raw_table} SELECT * FROM landing")
        for result in results:
            ledger.update_attempt(con, result.attempt_id, status="landed")
    con.execute("DROP TABLE landing")
    return LandingResult(period, results, sum(r.rows_landed for r in results),
                         sum(r.rows_rejected for r in results), sum(r.rows_warned for r in results), missing)


def _validate_batch(con: duckdb.DuckDBPyConnection, settings: Settings, adapter: SourceAdapter, period: str,
                    attempt: dict) -> tuple[BatchResult, EcoflowError | None]:
    name, batch_id = attempt["file_name"], attempt["batch_id"]
    content = Path(attempt["archive_path"]).read_bytes()
    outcome = None
    try:
        parsed = adapter.parse(name, content)
    except ParseError as exc:
        parsed = Parsed(pd.DataFrame(), [RowIssue(exc.line, "parse.file", exc.reason, "")], {})
        issues = _issues_frame(adapter, period, batch_id, name, parsed, None)
        with transaction(con):
            _store_issues(con, batch_id, issues, parsed)
        ledger.update_attempt(con, attempt["attempt_id"], status="failed", rows_in=0, rows_landed=0,
                              rows_rejected=0, rows_warned=0, message=str(exc))
        return BatchResult(attempt["attempt_id"], batch_id, name, 0, 0, 0, 0, None, {"parse.file": 1}), exc
    prepare = getattr(adapter, "prepare", None)
    if prepare is not None and len(parsed.rows):
        parsed.rows = prepare(con, parsed.rows)
    if len(parsed.rows):
        outcome = validation.validate(
            parsed.rows, suite=adapter.suite, row_key=adapter.row_key,
            parameters=adapter.expectation_parameters(con, name, rows=parsed.rows, period=period),
            gx_root=settings.gx_root(adapter.name, period),
            run_name=batch_id.replace(":", "_"))
    issues = _issues_frame(adapter, period, batch_id, name, parsed, outcome)
    errors = outcome.rows("error") if outcome else set()
    warned = (outcome.rows("warning") - errors) if outcome else set()
    bad_cells = sum(i.values_lost for i in parsed.issues if i.severity == "error")
    file_warnings = sum(1 for i in parsed.issues if i.severity == "warning")
    table_errors = outcome.table_errors() if outcome else []
    total = len(parsed.rows) + bad_cells
    bad = len(errors) + bad_cells
    rule_counts = issues.groupby("rule").size().to_dict() if len(issues) else {}
    good = parsed.rows[~parsed.rows[adapter.row_key].isin(errors)] if len(parsed.rows) else parsed.rows
    with transaction(con):
        _store_issues(con, batch_id, issues, parsed)
    report = outcome.report_path if outcome else None
    result = BatchResult(attempt["attempt_id"], batch_id, name, total, len(good), bad,
                         len(warned) + file_warnings, report, rule_counts)
    ledger.update_attempt(con, attempt["attempt_id"], status="validated", rows_in=total, rows_landed=len(good),
                          rows_rejected=bad, rows_warned=len(warned) + file_warnings,
                          report_path=str(report) if report else None)
    limit = _bad_share_limit(adapter, settings)
    if table_errors or (total and bad / total > limit) or (total == 0 and bad_cells):
        top = sorted(rule_counts, key=rule_counts.get, reverse=True)[:3]
        return result, ValidationFailed(adapter.name, period, name, bad, total, limit,
                                        top, str(report) if report else None)
    if len(good):
        insert_frame(con, "landing", adapter.landing_frame(good, batch_id=batch_id, period=period, file_name=name))
    return result, None
