"""
### Quarterly assessment (季考核)

On the 11th of January, April, July and October at 14:00 (Asia/Shanghai) — two hours after
`indicators_recompute` has evaluated the quarter's last month (its monthly run is at 12:00 on the 11th, after the
sheets' deadline on the 10th) — writes the assessment of the quarter before: per region its indicators (status,
projected year-end, 同比), per department its key projects (on schedule / behind / not reported, investment
completed against planned) and its score, and the lists the leading group acts on. HTML under
`ECOFLOW_HOME/reports/assessment/<quarter>/`, and PDF when Chromium is installed.

* **Manual runs** pass `quarter` (YYYY-QN), e.g. to rewrite a quarter after a late sheet was accepted.
* Reads the warehouse read-only: no warehouse pool slot.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, CronTriggerTimetable, Param, dag, get_current_context, task

from tasks.scheduling.dag_factory import DEFAULT_ARGS, TZ

ASSESSMENT = Asset(name="ecoflow_quarterly_assessment", uri="file:///ecoflow/reports/assessment")


@dag(
    dag_id="quarterly_assessment",
    doc_md=__doc__,
    schedule=CronTriggerTimetable("0 14 11 1,4,7,10 *", timezone=TZ),
    start_date=pendulum.datetime(2019, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={"quarter": Param(None, type=["null", "string"], pattern=r"^\d{4}-Q[1-4]$",
                             description="Quarter to assess, YYYY-QN; empty = the quarter before the run")},
    tags=["ecoflow", "projects"],
)
def quarterly_assessment() -> None:
    @task(outlets=[ASSESSMENT])
    def assess() -> dict:
        from tasks.scheduling.steps import assess_step

        return assess_step(get_current_context())

    assess()


quarterly_assessment()
