"""
### Monthly surface-water evaluation (GB 3838-2002)

Classifies every section on the month's captured readings (mean of each parameter over valid readings, the
worst evaluated parameter sets the class) and computes for each region's assessment list 水质优良（Ⅰ–Ⅲ类）比例
and 劣Ⅴ类比例, month and year to date, with coverage in sections. Its Asset event names the month:
`indicators_recompute` evaluates it and alerts the owners.

* **Scheduled runs** fire at 11:00 on the 3rd (Asia/Shanghai) and take the *previous* month.
* **Manual runs** pass `period` (YYYY-MM) — e.g. after replaying archived captures.
* Every writing task runs in the one-slot `warehouse` pool (DuckDB has one writer).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronTriggerTimetable, dag, get_current_context, task

from tasks.scheduling.dag_factory import DEFAULT_ARGS, TZ, WRITE, indicators_asset, period_param
from tasks.sources.spec import spec


@dag(
    dag_id="water_quality_monthly",
    doc_md=__doc__,
    schedule=CronTriggerTimetable(spec("water").month_schedule, timezone=TZ),
    start_date=pendulum.datetime(2019, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={"period": period_param()},
    tags=["ecoflow", "water"],
)
def water_quality_monthly() -> None:
    @task
    def resolve_period() -> str:
        from tasks.scheduling.steps import period_of_run

        return period_of_run(get_current_context())

    @task(**WRITE, outlets=[indicators_asset("water")])
    def evaluate(period: str) -> dict:
        from tasks.scheduling.steps import evaluate_step, publish_periods

        counts = evaluate_step("water", period)
        publish_periods(get_current_context(), indicators_asset("water"), [period])
        return counts

    evaluate(resolve_period())


water_quality_monthly()
