"""The steps of a source's monthly update, shared by the CLI and the Airflow DAG.

Each step opens the warehouse itself (one writer at a time) and records what it did in the ledger, so a
step can be retried on its own: fetch -> land (validate + replace slice) -> compute -> alert.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import duckdb

from tasks import air_compute, fetching, landing, ledger, sources
from tasks.errors import DeliveryError, EcoflowError
from tasks.periods import Period
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
    feed = fetching.endpoint(settings)
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


def compute(settings: Settings, source: str, period: Period, run_id: str | None = None) -> dict[str, int]:
    sources.get(source)
    with connect(settings) as con:
        if run_id is None:
            return air_compute.compute_period(con, period)
        with _failing_marks(con, run_id):
            counts = air_compute.compute_period(con, period)
        ledger.finish_run(con, run_id, "computed")
    return counts


def alert(settings: Settings, period: Period) -> dict:
    from tasks import alerting

    with connect(settings) as con:
        return alerting.evaluate_and_send(con, settings, period)


def run(settings: Settings, source: str, period: Period, trigger: str = "cli") -> RunSummary:
    """The whole update for one source and month, without a scheduler (what `ecoflow run` does)."""
    run_id = fetch(settings, source, period, trigger)
    result = land(settings, source, period, run_id)
    counts = compute(settings, source, period, run_id)
    summary = RunSummary(
        run_id=run_id, source=source, period=str(period),
        fetched=len(result.batches), missing=result.missing_files, rows_landed=result.rows_landed,
        rows_rejected=result.rows_rejected, rows_warned=result.rows_warned,
        reports=result.reports,
        indicator_values=counts["indicator_values"],
    )
    try:
        sent = alert(settings, period)
    except DeliveryError as exc:
        exc.summary = summary  # the data part succeeded: callers can still report it
        raise
    summary.alerts_sent, summary.alerts_pending, summary.eml_files = sent["sent"], sent["pending"], sent["eml_files"]
    return summary
