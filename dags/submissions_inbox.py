"""
### Departmental submissions inbox (月调度)

Every 10 minutes, ingests the .xlsx and .csv files departments drop into the inbox (`ECOFLOW_HOME/inbox` or
`ECOFLOW_INBOX`): identifies department and period from the file's content, validates every cell against the
catalogue with the `submission_values` suite, lands accepted values with department, file, sheet, cell and
time, and replies by email with a receipt or the exact cells to fix. Files move to `processed/` or
`rejected/`, never deleted. A corrected file replaces the department's earlier one for that period; the
earlier values stay in history.

Key-project sheets (项目月调度, docs/projects.md) ride the same inbox: a workbook with the 项目月调度 sheet is
checked by the `project_reports` suite, landed in `raw.project_reports` and judged against each project's plan
(`marts.project_status`), with the same receipts and all-or-nothing rule. So do the environment bureaus'
drinking-water source sheets (水源地水质月报, docs/feeds/drinking-water-sources.md): the `drinking_water_sources`
suite, `raw.drinking_water_results`, each source judged item by item against class Ⅲ.

* Files still being written (modified in the last few seconds) wait for the next run.
* `publish` updates the submissions Asset only when a file changed a month's values (it is skipped otherwise), so
  `indicators_recompute` runs for new values, not every 10 minutes.
* The write runs in the one-slot `warehouse` pool (DuckDB has one writer).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronTriggerTimetable, dag, get_current_context, task

from tasks.scheduling.dag_factory import DEFAULT_ARGS, TZ, WRITE, indicators_asset
from tasks.sources.spec import spec


@dag(
    dag_id="submissions_inbox",
    doc_md=__doc__,
    schedule=CronTriggerTimetable(spec("submissions").schedule, timezone=TZ),
    start_date=pendulum.datetime(2019, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "retry_delay": pendulum.duration(minutes=1)},
    tags=["ecoflow", "submissions"],
)
def submissions_inbox() -> None:
    @task(**WRITE)
    def ingest_inbox() -> dict:
        from tasks.scheduling.steps import inbox_step

        return inbox_step()

    @task(outlets=[indicators_asset("submissions")])
    def publish(result: dict) -> list[str]:
        from tasks.scheduling.steps import publish_or_skip

        return publish_or_skip(get_current_context(), indicators_asset("submissions"), result["periods"])

    publish(ingest_inbox())


submissions_inbox()
