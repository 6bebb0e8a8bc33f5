#!/usr/bin/env bash
# One-off initialisation of the Airflow metadata database, run by docker-compose's `airflow-init` service and,
# natively against the local PostgreSQL, by tests/integration/test_compose.py.
set -euo pipefail
airflow db migrate
airflow pools set warehouse 1 "DuckDB has one writer: every writing task takes this slot"
if [[ "${AIRFLOW__CORE__AUTH_MANAGER:-}" == *FabAuthManager ]]; then
  # Logins and roles (docs/operations.md): Admin administers, Op runs and backfills, Viewer reads; Steward adds
  # to Viewer the right to answer a review (the review task names which stewards may answer for its source).
  airflow fab-db migrate
  airflow sync-perm
  airflow roles create Steward
  airflow roles add-perms Steward -r "HITL Detail" -a can_read can_edit
  if ! airflow users list --output plain | awk '{print $2}' | grep -qx "${ECOFLOW_ADMIN_USERNAME}"; then
    airflow users create --role Admin --username "${ECOFLOW_ADMIN_USERNAME}" \
      --password "${ECOFLOW_ADMIN_PASSWORD}" --email "${ECOFLOW_ADMIN_EMAIL}" --firstname ecoflow --lastname admin
  fi
fi
airflow dags reserialize
airflow dags list-import-errors
