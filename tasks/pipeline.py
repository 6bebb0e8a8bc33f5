"""The steps of a source's monthly update, shared by the CLI and the Airflow DAG.

Each step opens the warehouse itself (one writer at a time) and records what it did in the ledger, so a
step can be retried on its own: fetch -> land (validate + replace slice) -> compute -> alert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from tasks import computations, fetching, landing, ledger, sources, sql
from tasks.errors import DeliveryError, EcoflowError, UsageError
from tasks.filenames import safe_name
from tasks.periods import TZ, Period
from tasks.settings import Settings
from tasks.warehouse import connect


@dataclass
class RunSummary:
    run_id: str
    source: str
    period: str
    fetched: int = 0
    missing: list[str] = field(default_factory=list)
    rows_landed: int = 0
    rows_rejected: int = 0
    rows_warned: int = 0
    reports: list[str] = field(default_factory=list)
    indicator_values: int = 0
    alerts_sent: int = 0
    alerts_pending: int = 0
    eml_files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def fetch(settings: Settings, source: str, period: Period, trigger: str = "cli") -> str:
    """Fetch and archive the period's files; returns the run id the next steps take."""
    adapter = sources.get(source)
    feed = fetching.endpoint(settings, adapter.name)
    with connect(settings) as con:
        run_id = ledger.new_run(con, adapter.name, str(period), trigger)
        with _failing_marks(con, run_id):
            fetching.fetch_period(con, settings, adapter, period, run_id, feed)
    return run_id


@contextmanager
def _failing_marks(con: duckdb.DuckDBPyConnection, run_id: str) -> Iterator[None]:
    """Whatever goes wrong in a step, the run is marked failed with the reason (never left 'running')."""
    try:
        yield
    except Exception as exc:
        ledger.finish_run(con, run_id, "failed", f"{type(exc).__name__}: {exc}"
                          if not isinstance(exc, EcoflowError) else str(exc))
        raise


def land(settings: Settings, source: str, period: Period, run_id: str) -> landing.LandingResult:
    adapter = sources.get(source)
    with connect(settings) as con, _failing_marks(con, run_id):
        return landing.land_run(con, settings, adapter, run_id, str(period))


def compute(settings: Settings, source: str, period: Period, run_id: str | None = None) -> dict:
    """The source's values for the period (and the YTD of later months), then the evaluation of those months."""
    compute_period = computations.for_source(source)
    with connect(settings) as con:
        if run_id is None:
            return _computed_and_evaluated(con, compute_period, period)
        with _failing_marks(con, run_id):
            counts = _computed_and_evaluated(con, compute_period, period)
        ledger.finish_run(con, run_id, "computed")
    return counts


def _computed_and_evaluated(con: duckdb.DuckDBPyConnection, compute_period, period: Period) -> dict:  # noqa: ANN001
    from tasks import evaluation
    from tasks.indicator_store import later_months

    counts = compute_period(con, period)
    months = [period, *later_months(con, period)]
    counts["evaluated"] = sum(evaluation.refresh(con, month) for month in months)
    counts["evaluated_months"] = [str(m) for m in months]
    return counts


def recompute(settings: Settings, period: Period, sources: list[str] | None = None) -> list[str]:
    """Recompute the values of `sources` (None: every source) for the month from what is landed — after a
    catalogue or rules change — and evaluate the months that depend on them; returns those months."""
    months: set[str] = set()
    for source in sources or list(computations.COMPUTATIONS):
        months.update(compute(settings, source, period)["evaluated_months"])
    return sorted(months)


def capture(settings: Settings, source: str, *, as_of: datetime | None = None, replay: Path | None = None,
            trigger: str = "cli") -> tuple[str, landing.LandingResult]:
    """One poll of a feed that publishes only its latest readings (surface water): fetch or replay, archive, land.

    `as_of` is the fetch time (Asia/Shanghai); it names the archived file, sets the ledger period and gives
    the readings their year. Replaying an archived response needs it, since the bytes carry no year.
    """
    adapter = sources.get(source)
    if replay is not None and as_of is None:
        raise UsageError("replaying a saved response needs --as-of: the fetch time gives the readings their year")
    moment = (as_of.astimezone(TZ).replace(tzinfo=None) if as_of and as_of.tzinfo else as_of) \
        or datetime.now(TZ).replace(tzinfo=None, microsecond=0)
    period = Period(moment.year, moment.month)
    remote = adapter.poll_file(moment)
    if replay is not None:
        content = replay.read_bytes()
        run_id, _, result = ingest_file(settings, source, period, replay_name(remote.name, replay, content), replay,
                                        content, trigger)
        return run_id, result
    with connect(settings) as con:
        run_id = ledger.new_run(con, adapter.name, str(period), trigger)
        with _failing_marks(con, run_id):
            fetching.fetch_files(con, settings, adapter, str(period), run_id,
                                 fetching.endpoint(settings, adapter.name), [remote])
            result = landing.land_run(con, settings, adapter, run_id, str(period))
        ledger.finish_run(con, run_id, "landed")
    return run_id, result


def ingest_file(settings: Settings, source: str, period: Period, name: str, path: Path, content: bytes,
                trigger: str = "cli") -> tuple[str, str, landing.LandingResult]:
    """One delivery that arrived as a file (a replayed capture, an inbox submission): a run of its own, the bytes
    archived and recorded like a fetch, validated and landed. Returns (run id, batch id, landing result); a
    failure marks the run failed with the reason and is raised."""
    adapter = sources.get(source)
    with connect(settings) as con:
        run_id = ledger.new_run(con, adapter.name, str(period), trigger)
        with _failing_marks(con, run_id):
            archived = ledger.record_local_file(con, settings, run_id=run_id, source=adapter.name,
                                                period=str(period), name=name, path=path, content=content)
            try:
                result = landing.land_run(con, settings, adapter, run_id, str(period))
            except EcoflowError as exc:
                exc.run_id, exc.batch_id = run_id, archived.batch_id  # the caller can point at what was archived
                raise
        ledger.finish_run(con, run_id, "landed")
    return run_id, archived.batch_id, result


def alert(settings: Settings, periods: list[Period], as_of: date | None = None) -> dict:
    """The alert rules over the months (already evaluated; deadlines as of `as_of`), then one digest per
    recipient."""
    from tasks import alerting, digest

    with connect(settings) as con:
        changed = alerting.evaluate_months(con, settings, periods, as_of)
        return {**digest.deliver(con, settings), "changed": len(changed)}


def evaluate(settings: Settings, source: str, period: Period, trigger: str = "cli") -> dict:
    """Compute a captured source's month in a run of its own (the monthly DAG's step)."""
    with connect(settings) as con:
        run_id = ledger.new_run(con, source, str(period), trigger)
    return {"run_id": run_id, **compute(settings, source, period, run_id)}


def _captures(settings: Settings, period: Period) -> int:
    with connect(settings, read_only=True) as con:
        return con.execute(sql.load("queries/water_captures_of_period"),
                           {"first": period.first_day, "last": period.last_day}).fetchall()[0][0]


def replay_name(poll_name: str, replay: Path, content: bytes) -> str:
    """The archived name of a replayed file: the poll's name (fetch time), the file's own stem and a digest of its
    bytes. Different files replayed at the same --as-of (even two 新发.csv from different folders) are different
    deliveries; replaying the same bytes at the same time again replaces what they landed."""
    digest = hashlib.sha256(content).hexdigest()[:8]
    return f"{poll_name.rsplit('.', 1)[0]}-{safe_name(replay.stem, 60)}-{digest}{replay.suffix.lower()}"


def run(settings: Settings, source: str, period: Period, trigger: str = "cli") -> RunSummary:
    """The whole update for one source and month, without a scheduler (what `ecoflow run` does).

    A captured source (surface water) has nothing to fetch for a past month: its run evaluates what the
    polls captured.
    """
    adapter = sources.get(source)
    if getattr(adapter, "captured", False):
        with connect(settings) as con:
            run_id = ledger.new_run(con, adapter.name, str(period), trigger)
        summary = RunSummary(run_id=run_id, source=source, period=str(period), fetched=_captures(settings, period))
    else:
        run_id = fetch(settings, source, period, trigger)
        result = land(settings, source, period, run_id)
        summary = RunSummary(
            run_id=run_id, source=source, period=str(period),
            fetched=len(result.batches), missing=result.missing_files, rows_landed=result.rows_landed,
            rows_rejected=result.rows_rejected, rows_warned=result.rows_warned, reports=result.reports)
    counts = compute(settings, source, period, run_id)
    summary.indicator_values = counts["indicator_values"]
    try:
        sent = alert(settings, [Period.parse(p) for p in counts["evaluated_months"]])
    except DeliveryError as exc:
        exc.summary = summary  # the data part succeeded: callers can still report it
        raise
    summary.alerts_sent, summary.alerts_pending, summary.eml_files = sent["sent"], sent["pending"], sent["eml_files"]
    return summary
