"""Airflow's REST API, for the reviews that wait in a DAG run: the CLI answers them where the UI does.

ECOFLOW_AIRFLOW_API_URL (default http://127.0.0.1:8080), ECOFLOW_AIRFLOW_USER and ECOFLOW_AIRFLOW_PASSWORD name the
API server and the steward acting; the token comes from the auth manager's /auth/token endpoint, so Airflow records
the decision under that user — the same record a click in the UI leaves.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from urllib.parse import quote

import requests

from tasks.core.errors import ConfigError, EcoflowError

TIMEOUT = 30


class AirflowApiError(EcoflowError):
    """The API server refused or could not be reached; the message carries its answer."""


@dataclass
class AirflowApi:
    base_url: str
    user: str
    password: str
    _token: str | None = None

    @classmethod
    def from_env(cls) -> AirflowApi:
        user, password = os.environ.get("ECOFLOW_AIRFLOW_USER"), os.environ.get("ECOFLOW_AIRFLOW_PASSWORD")
        if not user or not password:
            raise ConfigError("this review waits in Airflow: set ECOFLOW_AIRFLOW_USER and ECOFLOW_AIRFLOW_PASSWORD "
                              "(a steward's Airflow login) and ECOFLOW_AIRFLOW_API_URL if not http://127.0.0.1:8080")
        return cls(os.environ.get("ECOFLOW_AIRFLOW_API_URL", "http://127.0.0.1:8080").rstrip("/"), user, password)

    def _request(self, method: str, path: str, **kwargs: object) -> dict:
        url = f"{self.base_url}{path}"
        headers = {"Authorization": f"Bearer {self.token()}"} if not path.startswith("/auth/") else {}
        try:
            response = requests.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise AirflowApiError(f"Airflow API {url} cannot be reached: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            detail = response.text[:300]
            with contextlib.suppress(ValueError, AttributeError):
                detail = response.json().get("detail", detail)
            raise AirflowApiError(f"Airflow API {method} {path}: HTTP {response.status_code}: {detail}")
        return response.json() if response.content else {}

    def token(self) -> str:
        if self._token is None:
            self._token = self._request("POST", "/auth/token",
                                        json={"username": self.user, "password": self.password})["access_token"]
        return self._token

    def pending_reviews(self) -> list[dict]:
        """Every human-in-the-loop request nobody has answered yet (across DAGs and runs)."""
        answer = self._request("GET", "/api/v2/dags/~/dagRuns/~/hitlDetails",
                               params={"response_received": "false", "limit": 100})
        return answer.get("hitl_details", [])

    def respond(self, dag_id: str, dag_run_id: str, task_id: str, option: str, params: dict) -> dict:
        path = (f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns/{quote(dag_run_id, safe='')}/taskInstances/"
                f"{quote(task_id, safe='')}/-1/hitlDetails")
        return self._request("PATCH", path, json={"chosen_options": [option], "params_input": params})
