"""
### Monthly air-quality update (CNEMC station feed)

Fetches every daily file of the month, archives the bytes, validates them with the `air_hourly` suite,
replaces the month in the warehouse, recomputes the air indicators for every region, and emails the lead
department when a year-to-date value misses its target.

* **Scheduled runs** fire at 10:00 on the 3rd (Asia/Shanghai) and take the *previous* month.
* **Manual runs** pass `period` (YYYY-MM); backfill with `airflow backfill create --dag-id air_quality_monthly`.
* Every writing task runs in the one-slot `warehouse` pool (DuckDB has one writer).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, CronTriggerTimetable, Param, dag, get_current_context, task

AIR_WAREHOUSE = Asset(name="ecoflow_air_indicators", uri="file:///ecoflow/warehouse/air_indicators")
WRITE = {"pool": "warehouse"}


@dag(
    dag_id="air_quality_monthly",
    doc_md=__doc__,
    schedule=CronTriggerTimetable("0 10 3 * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2019, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "ecoflow", "retries": 3, "retry_delay": pendulum.duration(minutes=5),
                  "retry_exponential_backoff": True},
    params={"period": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                            description="Month to process, YYYY-MM; empty = the month before the run")},
    tags=["ecoflow", "air"],
)
def air_quality_monthly() -> None:
    @task
    def resolve_period() -> str:
        from tasks.dag_support import period_of_run

        return period_of_run(get_current_context())

    @task(**WRITE)
    def fetch(period: str) -> str:
        from tasks.dag_support import fetch_step

        return fetch_step("air", period)

    @task(**WRITE)
    def validate_and_land(period: str, ingest_run: str) -> dict:
        from tasks.dag_support import land_step

        return land_step("air", period, ingest_run)

    @task(**WRITE, outlets=[AIR_WAREHOUSE])
    def compute(period: str, ingest_run: str) -> dict:
        from tasks.dag_support import compute_step

        return compute_step("air", period, ingest_run)

    @task(**WRITE)
    def alert(period: str) -> dict:
        from tasks.dag_support import alert_step

        return alert_step(period)

    period = resolve_period()
    ingest_run = fetch(period)
    landed = validate_and_land(period, ingest_run)
    computed = compute(period, ingest_run)
    landed >> computed >> alert(period)


air_quality_monthly()
