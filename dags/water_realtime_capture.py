"""
### Surface-water real-time capture (国家地表水水质自动监测实时数据)

The national platform publishes only the latest 4-hourly readings, so a month of data exists only if it is
captured as it goes. Every 4 hours this DAG polls the platform (`ECOFLOW_WATER_FEED_URL` or the HTTP
connection `ecoflow_water_feed`), archives the response under a name that carries the fetch time, validates it
with the `water_readings` suite and lands the readings. A reading captured by several polls is stored each time
and counted once (section + time). A poll with readings failing an error rule waits for a water steward
(`review`); the next polls do not wait for it (up to three runs at a time), since the platform keeps only the
latest readings.

* A missed poll is not retried later with old data: the next poll simply captures what is published then.
* The schedule is `ECOFLOW_WATER_POLL_CRON` (default `5 */4 * * *`, Asia/Shanghai). Sections publish with delays
  and some off the 4-hour grid; polling hourly costs little (a reading seen twice counts once) and loses less.
* The write runs in the one-slot `warehouse` pool (DuckDB has one writer).
* Replay an archived response with `ecoflow run water-capture --file PATH --as-of TIMESTAMP`.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import Asset, CronTriggerTimetable, dag, task

from tasks.scheduling.dag_factory import DEFAULT_ARGS, TZ, WRITE, review_chain
from tasks.sources.spec import spec

WATER_READINGS = Asset(name="ecoflow_water_readings", uri="file:///ecoflow/warehouse/water_readings")


@dag(
    dag_id="water_realtime_capture",
    doc_md=__doc__,
    schedule=CronTriggerTimetable(os.environ.get("ECOFLOW_WATER_POLL_CRON") or spec("water").schedule, timezone=TZ),
    start_date=pendulum.datetime(2019, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=3,  # a poll waiting for its review must not hold back the next polls
    default_args={**DEFAULT_ARGS, "retries": 2, "retry_delay": pendulum.duration(minutes=10)},
    tags=["ecoflow", "water"],
)
def water_realtime_capture() -> None:
    @task(**WRITE)
    def poll() -> dict:
        from tasks.scheduling.steps import poll_step

        return poll_step("water")

    review_chain("water", poll(), outlets=[WATER_READINGS], finish_run=True)


water_realtime_capture()
