"""Airflow wiring: the DAG factory, the DAG tasks' steps and the steward-review operator — the only package
that imports Airflow (besides tasks/core/connections.py, the door to its Connections)."""
