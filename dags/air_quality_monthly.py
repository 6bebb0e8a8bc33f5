"""
### Monthly air-quality update (CNEMC station feed)

Fetches every daily file of the month, archives the bytes, validates them with the `air_hourly` suite,
replaces the month in the warehouse and recomputes the air indicators for every region. Its Asset event names
the month: `indicators_recompute` evaluates it and alerts the owners.

* **Scheduled runs** fire at 10:00 on the 3rd (Asia/Shanghai) and take the *previous* month.
* **Manual runs** pass `period` (YYYY-MM); backfill with `airflow backfill create --dag-id air_quality_monthly`.
* Every writing task runs in the one-slot `warehouse` pool (DuckDB has one writer).
"""

from __future__ import annotations

from tasks.scheduling.dag_factory import monthly_feed_dag  # the airflow DAG shape shared by the monthly feeds

monthly_feed_dag(source="air", doc_md=__doc__, tags=["air"])   # id air_quality_monthly, cron: tasks/sources/spec.py
