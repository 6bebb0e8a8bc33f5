"""
### Monthly solid-waste and sewage update (固体废物和污水管理信息系统)

Fetches the month's facility quantities (`waste/YYYY-MM.csv`), archives the bytes, validates them with the
`waste_quantities` suite (units are mandatory and converted), replaces the month, recomputes the hazardous
waste, sewage, household waste and industrial solid waste rates for every region. Its Asset event names the
month: `indicators_recompute` evaluates it and alerts the owners.

* **Scheduled runs** fire at 10:00 on the 10th (Asia/Shanghai; facilities report by the 5th) and take the
  *previous* month.
* **Manual runs** pass `period` (YYYY-MM); backfill with `airflow backfill create --dag-id waste_monthly`.
* Every writing task runs in the one-slot `warehouse` pool (DuckDB has one writer).
"""

from __future__ import annotations

from tasks.scheduling.dag_factory import monthly_feed_dag  # the airflow DAG shape shared by the monthly feeds

monthly_feed_dag(source="waste", doc_md=__doc__, tags=["waste"])   # id waste_monthly, cron: tasks/sources/spec.py
