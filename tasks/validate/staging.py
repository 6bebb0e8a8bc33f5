"""Validate a run's archived files and stage their rows; the batch verdict. Nothing lands here: landing waits for
a decision (a steward's, or the policy's) in tasks.land.landing.

Per batch: parse -> validate (GX) -> split rows into good and failing, each staged in review.staged_<raw table>
with its run. If a batch breaches the allowed share of bad rows, the run cannot be landed as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from tasks.core import limits, sql
from tasks.core.errors import ConfigError, EcoflowError, NothingToLand, ParseError, ValidationFailed
from tasks.core.settings import Settings
from tasks.core.warehouse import columns, insert_frame, table_name, transaction
from tasks.ingest import ledger
from tasks.sources import redelivery
from tasks.sources.base import Parsed, RowIssue, SourceAdapter
from tasks.validate import runner as validation

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
    rows_overridden: int = 0       # landed although they fail an error rule (a steward's accept_all)

    @classmethod
    def of(cls, period: str, batches: list[BatchResult], missing: list[str], overridden: int = 0) -> LandingResult:
        """The result of these files, their counts summed."""
        return cls(period, batches, sum(b.rows_landed for b in batches), sum(b.rows_rejected for b in batches),
                   sum(b.rows_warned for b in batches), missing, overridden)

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
    for statement in sql.statements(sql.load("validate/drop_batch_findings")):
        con.execute(statement, {"batch_id": batch_id})
    if issues.empty:
        return
    insert_frame(con, "quarantine.row_issues", issues)
    numbers = sorted({int(n) for n in issues["source_line"].dropna() if parsed.lines.get(int(n))})
    lines = pd.DataFrame({"batch_id": batch_id, "source_line": numbers,
                          "record": [parsed.lines.get(n, "") for n in numbers]})
    insert_frame(con, "quarantine.source_lines", lines)


def _bad_share_limit(adapter: SourceAdapter, settings: Settings) -> float:
    """A feed tolerates a few bad rows (ECOFLOW_MAX_BAD_SHARE); a department's form is all or nothing (0)."""
    own = getattr(adapter, "max_bad_share", None)
    return settings.max_bad_share if own is None else own


@dataclass
class RunValidation:
    """What validating an ingestion run found, before anything of it is landed (a steward may have to decide)."""
    run_id: str
    source: str
    period: str
    batches: list[BatchResult]
    missing_files: list[str]
    breaches: list[EcoflowError] = field(default_factory=list)
    rows_overridable: int = 0      # failing rows that accept_all could land (the rest cannot even be read)
    subject: str | None = None     # what the steward is shown, when the run needs a review
    body: str | None = None

    @property
    def rows_in(self) -> int:
        return sum(b.rows_in for b in self.batches)

    @property
    def rows_bad(self) -> int:
        return sum(b.rows_rejected for b in self.batches)

    @property
    def rule_counts(self) -> dict[str, int]:
        """Findings by rule over every file of the run."""
        counts: dict[str, int] = {}
        for batch in self.batches:
            for rule, n in batch.rule_counts.items():
                counts[rule] = counts.get(rule, 0) + int(n)
        return counts

    @property
    def needs_review(self) -> bool:
        """Error-severity findings (rows that would be quarantined) or a breach of the stop threshold."""
        return bool(self.breaches) or any(b.rows_rejected for b in self.batches)


def staged_table(con: duckdb.DuckDBPyConnection, adapter: SourceAdapter) -> str:
    """review.staged_<raw table>: validated rows waiting for a decision, shaped as the raw table plus the run and
    whether the row fails an error rule. Made by migration 019; made again only when a later migration changed the
    raw table's columns (no review is lost: a table with rows in it is never replaced)."""
    raw = table_name(con, adapter.raw_table)
    name = "staged_" + adapter.raw_table.rpartition(".")[2]
    cols, have = columns(con, adapter.raw_table), columns(con, f"review.{name}")
    if have != [*cols, "review_run", "failed"]:
        staged = f'"review"."{name}"'
        if have and con.execute(sql.with_names("validate/staged_row_count", staged=staged)).fetchall()[0][0]:
            raise ConfigError(f"review.{name} holds rows of pending reviews but {adapter.raw_table} changed its "
                              "columns: decide those reviews (`ecoflow review list`) before migrating")
        con.execute(sql.with_names("validate/remake_staged_table", staged=staged, raw=raw))
    return f"review.{name}"


def validate_run(con: duckdb.DuckDBPyConnection, settings: Settings, adapter: SourceAdapter, run_id: str,
                 period: str, *, correction: bool = False) -> RunValidation:
    """Validate every archived batch of the run and stage its rows (nothing lands yet).

    Re-validating is safe: a retried task replaces what an earlier try staged and stored. A `correction` (a
    steward's corrected rows) is not held to the re-delivery rule: it replaces only the rows it names.
    """
    attempts = ledger.attempts_of_run(con, run_id)
    missing = [a["file_name"] for a in attempts if a["status"] == "missing"]
    archived = [a for a in attempts if a["archive_path"]]
    if not archived:
        raise NothingToLand(f"{adapter.name} {period}: no file arrived in run {run_id} "
                            f"({len(missing)} not published); the warehouse keeps what it had for {period}")
    staged = staged_table(con, adapter)
    con.execute(sql.with_names("validate/drop_staged_run", staged=table_name(con, staged)), {"run_id": run_id})
    results: list[BatchResult] = []
    outcomes: list[validation.ValidationOutcome] = []
    # what the files landed before, read once (nothing lands while the run is validated); a steward's correction
    # replaces only the rows it names (land_correction): it is short by design, erases nothing
    landed = {} if correction else redelivery.stored_files(con, adapter, period, [a["file_name"] for a in archived])
    found: list[tuple[int, EcoflowError]] = []    # (file's place in the run, its breach)
    redelivered: list[tuple[int, BatchResult]] = []
    try:
        for group in _validated_groups(con, settings, adapter, period, archived, outcomes):
            shaped: list[pd.DataFrame] = []
            for read, outcome in group:
                result, breach, frames = _settle_batch(con, settings, adapter, period, read, outcome, run_id)
                results.append(result)
                if shaped and sum(len(f) for f in [*shaped, *frames]) > STAGE_ROWS:
                    _stage(con, staged, shaped)   # what is pending goes first: a big file is an insert of its own
                    shaped = []
                shaped.extend(frames)
                if breach:
                    found.append((len(results), breach))
                elif result.file_name in landed:
                    redelivered.append((len(results), result))
            _stage(con, staged, shaped)
    finally:  # the pages of the batches validated so far, even when a later file stops the run
        validation.publish(settings.gx_root(adapter.name, period), outcomes)
    found += _shrinking(con, adapter, period, staged, run_id, landed, redelivered)
    breaches = [breach for _, breach in sorted(found, key=lambda f: f[0])]   # in the run's file order, as found
    overridable = con.execute(sql.with_names("validate/staged_failing_count", staged=table_name(con, staged)),
                              {"run_id": run_id}).fetchall()[0][0]
    _supersede(con, staged, adapter.name, period, run_id, [a["file_name"] for a in archived])
    return RunValidation(run_id, adapter.name, period, results, missing, breaches, overridable)


def _supersede(con: duckdb.DuckDBPyConnection, staged: str, source: str, period: str, run_id: str,
               files: list[str]) -> None:
    """A newer delivery of the same files replaces older reviews still waiting: their staged rows go, and a
    decision taken on them later lands nothing (tasks.flow.pipeline.decide says so)."""
    with transaction(con):
        older = [r[0] for r in con.execute(sql.load("queries/review_supersede"), {
            "source": source, "period": period, "review_id": run_id, "files": files,
            "now": ledger.now()}).fetchall()]
        for review_id in older:
            con.execute(sql.with_names("validate/drop_staged_run", staged=table_name(con, staged)),
                        {"run_id": review_id})
            ledger.finish_run(con, review_id, "superseded", f"a newer delivery ({run_id}) replaced it before a "
                                                            "steward decided")


@dataclass
class _Read:
    """One archived file read: its rows and the suite's parameters for them, or why it could not be read."""
    attempt: dict
    parsed: Parsed | None
    error: ParseError | None = None
    parameters: dict | None = None

    @property
    def rows(self) -> int:
        return len(self.parsed.rows) if self.parsed is not None else 0


def _read(con: duckdb.DuckDBPyConnection, adapter: SourceAdapter, period: str, attempt: dict) -> _Read:
    name = attempt["file_name"]
    try:
        parsed = adapter.parse(name, Path(attempt["archive_path"]).read_bytes())
    except ParseError as exc:
        return _Read(attempt, None, exc)
    prepare = getattr(adapter, "prepare", None)
    if prepare is not None and len(parsed.rows):
        parsed.rows = prepare(con, parsed.rows)
    parameters = adapter.expectation_parameters(con, name, rows=parsed.rows, period=period) \
        if len(parsed.rows) else None
    return _Read(attempt, parsed, parameters=parameters)


def _validated_groups(con: duckdb.DuckDBPyConnection, settings: Settings, adapter: SourceAdapter, period: str,
                      archived: list[dict], outcomes: list[validation.ValidationOutcome],
                      ) -> Iterator[list[tuple[_Read, validation.ValidationOutcome | None]]]:
    """The run's files, read one by one in order and validated in groups: consecutive files whose suite
    parameters and columns are the same go through one GX run together, up to ECOFLOW_VALIDATION_ROWS rows (GX's
    cost per run is most of a small file's), when the suite judges rows one by one
    (runner.validates_files_together). A file that cannot be read, or has no rows, is a group of its own."""
    limit = limits.validation_rows() if validation.validates_files_together(adapter.suite) else 0
    group: list[_Read] = []

    def flush() -> list[tuple[_Read, validation.ValidationOutcome | None]]:
        done = list(zip(group, _validate_group(settings, adapter, period, group, outcomes), strict=True))
        group.clear()
        return done

    for attempt in archived:
        read = _read(con, adapter, period, attempt)
        if group and (not read.rows or read.parameters != group[0].parameters
                      or list(read.parsed.rows.columns) != list(group[0].parsed.rows.columns)
                      or sum(r.rows for r in group) + read.rows > limit):
            yield flush()
        if not read.rows:
            yield [(read, None)]
            continue
        group.append(read)
    if group:
        yield flush()


def _validate_group(settings: Settings, adapter: SourceAdapter, period: str, group: list[_Read],
                    outcomes: list[validation.ValidationOutcome]) -> list[validation.ValidationOutcome]:
    """One GX run over the group's rows (row keys shifted so they stay unique), its findings handed back to each
    file by its keys. A finding about the table as a whole cannot be told apart by file: then each file of the
    group is validated alone, as a group of one."""
    key = adapter.row_key
    frames, spans, shift = [], [], 0
    for read in group:
        rows = read.parsed.rows
        frames.append(rows.assign(**{key: rows[key] + shift}) if shift else rows)
        top = shift + int(rows[key].max()) + 1     # a file's keys need not be 0..n-1: its span is its own keys'
        spans.append((shift, top))
        shift = top
    first = group[0].attempt["batch_id"].replace(":", "_")
    outcome = validation.validate(
        _stack(frames), suite=adapter.suite, row_key=key, parameters=group[0].parameters,
        gx_root=settings.gx_root(adapter.name, period),
        run_name=first if len(group) == 1 else f"{first}..{group[-1].attempt['file_name']}")  # names both ends
    outcomes.append(outcome)
    if len(group) == 1:
        return [outcome]
    if any(f.table_level for f in outcome.failures):
        return [_validate_group(settings, adapter, period, [read], outcomes)[0] for read in group]
    return [outcome.part(low, high) for low, high in spans]


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames of the same columns, one under the other; categorical columns stay categorical (their categories
    united), so a group of files is no bigger in memory than its files."""
    if len(frames) == 1:
        return frames[0]
    from pandas.api.types import union_categoricals

    columns = {}
    for name in frames[0].columns:
        parts = [f[name] for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            columns[name] = union_categoricals(parts)
        else:
            columns[name] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(columns, copy=False)   # the columns are new already: no second copy, no consolidation


def _settle_batch(con: duckdb.DuckDBPyConnection, settings: Settings, adapter: SourceAdapter, period: str,
                  read: _Read, outcome: validation.ValidationOutcome | None, run_id: str,
                  ) -> tuple[BatchResult, EcoflowError | None, list[pd.DataFrame]]:
    """A file's verdict from its validation: findings stored, the ledger updated, its rows shaped for staging (good
    and failing; the caller stages a group's files in one insert), and the breach that stops the run, if any."""
    attempt = read.attempt
    name, batch_id = attempt["file_name"], attempt["batch_id"]
    if read.error is not None:
        exc = read.error
        parsed = Parsed(pd.DataFrame(), [RowIssue(exc.line, "parse.file", exc.reason, "")], {})
        issues = _issues_frame(adapter, period, batch_id, name, parsed, None)
        with transaction(con):
            _store_issues(con, batch_id, issues, parsed)
        ledger.update_attempt(con, attempt["attempt_id"], status="failed", rows_in=0, rows_landed=0,
                              rows_rejected=0, rows_warned=0, message=str(exc))
        return BatchResult(attempt["attempt_id"], batch_id, name, 0, 0, 0, 0, None, {"parse.file": 1}), exc, []
    parsed = read.parsed
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
    frames = [f for f in (
        _staging_frame(con, adapter, run_id, period, name, batch_id, good, failed=False),
        _staging_frame(con, adapter, run_id, period, name, batch_id,
                       parsed.rows[parsed.rows[adapter.row_key].isin(errors)] if len(errors) else parsed.rows.iloc[0:0],
                       failed=True)) if f is not None]
    limit = _bad_share_limit(adapter, settings)
    if table_errors or (total and bad / total > limit) or (total == 0 and bad_cells):
        top = sorted(rule_counts, key=rule_counts.get, reverse=True)[:3]
        return result, ValidationFailed(adapter.name, period, name, bad, total, limit,
                                        top, str(report) if report else None), frames
    return result, None, frames   # whether a re-delivery shrinks is checked once the run's files are staged


def _shrinking(con: duckdb.DuckDBPyConnection, adapter: SourceAdapter, period: str, staged: str, run_id: str,
               landed: dict[str, redelivery.Extent], redelivered: list[tuple[int, BatchResult]],
               ) -> list[tuple[int, EcoflowError]]:
    """The re-delivered files that hold less than what they landed before (tasks.sources.redelivery), each a
    file-level finding of its batch; checked once every file is staged, in one scan of the run's staged rows
    rather than one per file."""
    if not redelivered:
        return []
    shrinking = redelivery.check_files(con, adapter, period, staged, run_id,
                                       {r.file_name: r.rows_in for _, r in redelivered}, landed)
    out: list[tuple[int, EcoflowError]] = []
    for place, result in redelivered:
        shrinks = shrinking.get(result.file_name)
        if shrinks is not None:
            _store_shrink(con, adapter, period, result.batch_id, result.file_name, shrinks)
            result.rule_counts[redelivery.RULE] = 1
            out.append((place, shrinks))
    return out


#: shaped rows staged in one insert: small files go in together (one INSERT per file of Inner Mongolia's 17,000 rows
#: spent more on the statement than on the rows: a month's staging 0.9 s → 0.35 s); a national file (580,000 rows)
#: is an insert of its own, so a group is never held twice in memory
STAGE_ROWS = 250_000


def _stage(con: duckdb.DuckDBPyConnection, staged: str, frames: list[pd.DataFrame]) -> None:
    """Shaped rows of consecutive files into the staged table in one insert, in the files' order."""
    if frames:
        insert_frame(con, staged, _stack(frames))


def _staging_frame(con: duckdb.DuckDBPyConnection, adapter: SourceAdapter, run_id: str, period: str, name: str,
                   batch_id: str, rows: pd.DataFrame, *, failed: bool) -> pd.DataFrame | None:
    """Rows shaped as the staged table's columns (the raw table's, then the run and whether they failed). A failing
    row whose values cannot even be shaped (a date that is no date) or that lacks a value the raw table requires (a
    non-numeric value) cannot be landed by any decision, so it is not staged; the other failing rows of the file
    are, one by one if need be. None when nothing is to be staged."""
    if not len(rows):
        return None
    shape = adapter.landing_frame
    try:
        frame = shape(rows, batch_id=batch_id, period=period, file_name=name)
    except (ValueError, TypeError, KeyError):
        if not failed:
            raise
        frame = _shape_one_by_one(shape, rows, batch_id, period, name)
    if failed and len(frame):
        frame = frame.dropna(subset=_required_columns(con, adapter.raw_table))
    return frame.assign(review_run=run_id, failed=failed) if len(frame) else None


def _shape_one_by_one(shape: Callable, rows: pd.DataFrame, batch_id: str, period: str, name: str) -> pd.DataFrame:
    shaped = []
    for i in range(len(rows)):
        try:
            shaped.append(shape(rows.iloc[i:i + 1], batch_id=batch_id, period=period, file_name=name))
        except (ValueError, TypeError, KeyError):
            continue
    return pd.concat(shaped, ignore_index=True) if shaped else pd.DataFrame()


def _required_columns(con: duckdb.DuckDBPyConnection, raw_table: str) -> list[str]:
    """The raw table's NOT NULL columns (a staged table made by CREATE TABLE AS does not carry them)."""
    return [r[0] for r in con.execute(f"DESCRIBE {table_name(con, raw_table)}").fetchall() if r[2] == "NO"]


def _store_shrink(con: duckdb.DuckDBPyConnection, adapter: SourceAdapter, period: str, batch_id: str, name: str,
                  shrinks: redelivery.DeliveryShrinks) -> None:
    """The shrinking delivery as a file-level finding of its batch, so `status` and the review show it."""
    insert_frame(con, "quarantine.row_issues", pd.DataFrame([{
        "source": adapter.name, "period": period, "batch_id": batch_id, "file_name": name, "source_line": None,
        "column_name": None, "value_text": None, "rule": redelivery.RULE, "severity": "error",
        "reason": str(shrinks)}])[ISSUE_COLUMNS])
