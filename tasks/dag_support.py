"""Thin adapters between Airflow task contexts and the pipeline steps (keeps DAG files wiring only)."""

from __future__ import annotations

from typing import Any

from tasks import pipeline, settings
from tasks.periods import Period


def period_of_run(context: Any) -> str:
    """The `period` param of a manual run, else the month before the scheduled run's data interval."""
    param = (context.get("params") or {}).get("period")
    if param:
        return str(Period.parse(param))
    start = context.get("data_interval_start") or context.get("logical_date")
    if start is None:
        raise ValueError("a run without `period` param and without a data interval: pass period=YYYY-MM")
    return str(Period.previous_to(start))


def fetch_step(source: str, period: str) -> str:
    return pipeline.fetch(settings.load(), source, Period.parse(period), trigger="airflow")


def land_step(source: str, period: str, run_id: str) -> dict:
    result = pipeline.land(settings.load(), source, Period.parse(period), run_id)
    return {"rows_landed": result.rows_landed, "rows_rejected": result.rows_rejected,
            "rows_warned": result.rows_warned, "missing": result.missing_files,
            "reports": sorted({str(b.report_path) for b in result.batches if b.report_path})}


def compute_step(source: str, period: str, run_id: str) -> dict:
    return pipeline.compute(settings.load(), source, Period.parse(period), run_id)


def alert_step(period: str) -> dict:
    return pipeline.alert(settings.load(), Period.parse(period))
