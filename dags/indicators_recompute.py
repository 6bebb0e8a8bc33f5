"""
### Evaluation, alerts and the monthly bulletin, whenever any input changes

Scheduled on the Assets the ingestion DAGs publish (air, water and waste indicators, departmental submissions):
whenever one of them updates a month, this DAG re-evaluates that month — and the later months whose
year-to-date, rolling 12 months, 同比 and projection depend on it — for every indicator and region
(达标 / 进行中 / 未达标 / 数据不足 / 待报送 / 未监测, projected year-end value), applies the alert rules of
`warehouse/catalogue/alert_rules.csv`, and writes the bulletin of every month it re-evaluated. A run a delivery
triggered sends only new 进度预警 (to the lead department); the monthly run sends each recipient its one digest. The
producing task names the months in its Asset event, so only those are touched.

* **Also monthly at 12:00 on the 11th** (Asia/Shanghai), the dispatch date, for the previous month, even when
  nothing arrived: a feed or submission missing by its deadline (the 10th by default) raises its alert, and each
  recipient gets the month's one digest.
* **Manual runs** pass `period` (YYYY-MM); with `recompute_values` they first recompute every source's values
  of that month from what is landed (after a catalogue or rules change: stations, sections, targets, rules), and
  every changed value is recorded with its old value and why.
* The write runs in the one-slot `warehouse` pool (DuckDB has one writer).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, get_current_context, task

from tasks.scheduling.dag_factory import DEFAULT_ARGS, TZ, WRITE, period_param, recompute_schedule_assets

STATUS = Asset(name="ecoflow_indicator_status", uri="file:///ecoflow/warehouse/indicator_status")


@dag(
    dag_id="indicators_recompute",
    doc_md=__doc__,
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 12 11 * *", timezone=TZ),
        assets=recompute_schedule_assets()),
    start_date=pendulum.datetime(2019, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={"period": period_param(),
            "recompute_values": Param(False, type="boolean",
                                      description="Recompute every source's values of `period` from what is landed "
                                                  "before evaluating (after a catalogue or rules change)")},
    tags=["ecoflow", "indicators"],
)
def indicators_recompute() -> None:
    @task
    def changed_periods() -> list[str]:
        from tasks.scheduling.steps import periods_to_refresh

        return periods_to_refresh(get_current_context())

    @task(**WRITE, outlets=[STATUS])
    def evaluate(periods: list[str]) -> dict:
        from tasks.scheduling.steps import publish_periods, recompute_step, refresh_step

        result = refresh_step(recompute_step(get_current_context(), periods))
        publish_periods(get_current_context(), STATUS, result["evaluated"])
        return result

    @task(**WRITE)
    def alert(evaluated: dict) -> dict:
        from tasks.scheduling.steps import alert_step

        return alert_step(evaluated["evaluated"], get_current_context())

    @task(**WRITE, trigger_rule="all_done")  # a mail server that is down must not cost the month its bulletin
    def bulletin(evaluated: dict) -> list[str]:
        from tasks.scheduling.steps import bulletin_step

        return bulletin_step(evaluated["evaluated"])

    evaluated = evaluate(changed_periods())
    alert(evaluated) >> bulletin(evaluated)


indicators_recompute()
