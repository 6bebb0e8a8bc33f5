#!/usr/bin/env bash
# One-off initialisation of the Airflow metadata database, run by docker-compose's `airflow-init` service and,
# natively against the local PostgreSQL, by tests/integration/test_compose.py.
set -euo pipefail
airflow db migrate
airflow pools set warehouse 1 "DuckDB has one writer: every writing task takes this slot"
if [[ "${AIRFLOW__CORE__AUTH_MANAGER:-}" == *FabAuthManager ]]; then
  # Logins and roles (docs/operations.md); `airflow db migrate` above has created FAB's tables.
  python "$(dirname "$0")/fab_setup.py"
fi
airflow dags reserialize
airflow dags list-import-errors
