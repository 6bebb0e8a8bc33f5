"""Airflow wiring: the DAG factory, the DAG tasks' steps, the steward-review operator and production's FAB auth
manager — the only package that imports Airflow (besides tasks/core/connections.py, the door to its Connections)."""
