"""The shape of every monthly feed DAG, so air and waste (and any later feed) share one wiring.

resolve_period -> fetch -> validate -> review -> land -> compute (publishes the source's Asset): the steps of
tasks.flow.run.STEPS that `ecoflow run` calls too, each task handed the run. `review` waits for a data steward only
when validation found failing rows (tasks.scheduling.review_operator); a clean run skips it and lands at once. The
Asset event names the month; indicators_recompute, scheduled on it, takes the rest of the steps once: evaluate,
alert, bulletin. Every writing task takes the
one-slot `warehouse` pool (but the review, which may wait for days); retries back off; failures a retry cannot
mend fail at once (tasks.scheduling.steps).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, AssetAny, CronTriggerTimetable, Param, dag, get_current_context, task

from tasks.scheduling.review_operator import StewardReviewOperator
from tasks.sources.spec import SPECS, spec

TZ = "Asia/Shanghai"
#: Every task that opens the warehouse: the one-slot pool (DuckDB has one writer) and, under the CeleryExecutor,
#: the `warehouse` queue, served only by the worker that mounts the warehouse volume (docker-compose.yml). Tasks
#: that touch no file of ECOFLOW_HOME take the default queue and run on any worker.
WAREHOUSE = "warehouse"
WRITE = {"pool": WAREHOUSE, "queue": WAREHOUSE}
DEFAULT_ARGS = {"owner": "ecoflow", "retries": 3, "retry_delay": pendulum.duration(minutes=5),
                "retry_exponential_backoff": True}
def period_param() -> Param:
    """A fresh Param per DAG (a Param object keeps the value it last resolved; sharing one would leak it)."""
    return Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                 description="Month to process, YYYY-MM; empty = the month before the run")


def indicators_asset(source: str) -> Asset:
    """The Asset a source's computation updates (the recomputation and reports schedule on these)."""
    declared = spec(source)
    return Asset(name=declared.asset_name, uri=declared.asset_uri)


def recompute_schedule_assets() -> AssetAny:
    """Every source whose spec says its indicators are re-evaluated when it updates a month."""
    return AssetAny(*(indicators_asset(s.name) for s in SPECS if s.recomputes))


def monthly_feed_dag(*, source: str, doc_md: str, tags: list[str]):  # noqa: ANN201
    """A fetched source's monthly DAG, with the id and cron (Asia/Shanghai) of its spec; scheduled runs take the
    previous month."""
    declared = spec(source)

    @dag(
        dag_id=declared.dag_id,
        doc_md=doc_md,
        schedule=CronTriggerTimetable(declared.schedule, timezone=TZ),
        start_date=pendulum.datetime(2019, 1, 1, tz=TZ),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        params={"period": period_param()},
        tags=["ecoflow", *tags],
    )
    def monthly_feed() -> None:
        @task
        def resolve_period() -> str:
            from tasks.scheduling.steps import period_of_run

            return period_of_run(get_current_context())

        @task(**WRITE)
        def fetch(period: str) -> dict:
            from tasks.scheduling.steps import fetch_step

            return fetch_step(source, period)

        @task(**WRITE, outlets=[indicators_asset(source)])
        def compute(run: dict) -> dict:
            from tasks.scheduling.steps import compute_step, publish_periods

            counts = compute_step(run)
            publish_periods(get_current_context(), indicators_asset(source), [run["period"]])
            return counts

        run = fetch(resolve_period())
        review_chain(source, run) >> compute(run)

    return monthly_feed()


def review_chain(source: str, run, *, outlets: list | None = None,  # noqa: ANN001 - an XComArg
                 finish_run: bool = False):  # noqa: ANN201
    """validate -> review -> land inside a DAG, each task handed the run (tasks.flow.run.Run as XCom): the run's
    files are validated and staged; when rows fail an error rule a steward of the source decides
    (tasks.scheduling.review_operator), else `review` is skipped; `land` lands as decided (a rejection skips it and
    what follows). Returns the `land` task."""

    @task(**WRITE)
    def validate(run: dict) -> dict:
        from tasks.scheduling.steps import validate_step

        return validate_step(get_current_context(), run)

    @task(**WRITE, trigger_rule="none_failed", outlets=outlets or [])
    def land(run: dict) -> dict:
        from tasks.scheduling.steps import land_step

        return land_step(get_current_context(), run, finish_run=finish_run)

    landed = land(run)
    # an answer refused for want of a reason is asked again half a minute later, not after the feeds' backoff
    review = StewardReviewOperator(task_id="review", source=source, retry_delay=pendulum.duration(seconds=30),
                                   retry_exponential_backoff=False, queue=WAREHOUSE)  # reads the batch's facts
    validate(run) >> review >> landed
    return landed
