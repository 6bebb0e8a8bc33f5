"""The one door to Airflow's configuration: named Connections (feeds, SMTP) and the API server's base URL.

Secrets live in Airflow Connections (or AIRFLOW_CONN_* variables), so the product reads them through Airflow's own
lookup, which also consults the metadata database and any secrets backend. Airflow is imported only when a lookup is
made; no other module outside `tasks.scheduling` imports Airflow.
"""

from __future__ import annotations

from typing import Any


class ConnectionNotFound(LookupError):
    """No connection of that id in any of Airflow's stores."""


def get_connection(conn_id: str) -> Any:
    """The Airflow Connection `conn_id` (host, port, schema, login, password, extra_dejson)."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException as exc:
        raise ConnectionNotFound(conn_id) from exc


def api_base_url() -> str:
    """The Airflow API server's public base URL (`[api] base_url`), or '' when not configured."""
    from airflow.configuration import conf

    return conf.get("api", "base_url", fallback="") or ""
