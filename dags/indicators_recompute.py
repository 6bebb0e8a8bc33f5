"""
### Re-evaluation of the indicator system when any input changes

Scheduled on the Assets the ingestion DAGs publish (air, water and waste indicators, departmental submissions):
whenever one of them updates a month, this DAG re-evaluates that month — and the later months of its year,
whose year-to-date values depend on it — for every indicator and region (达标 / 未达标 / 数据不足 / 待报送). The
producing task names the months in its Asset event, so only those are touched.

* **Manual runs** pass `period` (YYYY-MM) to re-evaluate a month, e.g. after a catalogue change.
* The write runs in the one-slot `warehouse` pool (DuckDB has one writer).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task

from tasks.dag_factory import DEFAULT_ARGS, TZ, WRITE, indicators_asset, period_param

STATUS = Asset(name="ecoflow_indicator_status", uri="file:///ecoflow/warehouse/indicator_status")


@dag(
    dag_id="indicators_recompute",
    doc_md=__doc__,
    schedule=(indicators_asset("air") | indicators_asset("water") | indicators_asset("waste")
              | indicators_asset("submissions")),
    start_date=pendulum.datetime(2019, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={"period": period_param()},
    tags=["ecoflow", "indicators"],
)
def indicators_recompute() -> None:
    @task
    def changed_periods() -> list[str]:
        from tasks.dag_support import periods_to_refresh

        return periods_to_refresh(get_current_context())

    @task(**WRITE, outlets=[STATUS])
    def refresh(periods: list[str]) -> dict:
        from tasks.dag_support import publish_periods, refresh_step

        result = refresh_step(periods)
        publish_periods(get_current_context(), STATUS, result["evaluated"])
        return result

    refresh(changed_periods())


indicators_recompute()
