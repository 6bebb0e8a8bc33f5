"""Airflow plugin: the validation reports, served by the Airflow API server itself.

The review a steward opens in Airflow links first to its check report (数据校验结果,
tasks/validate/check_report.py: Chinese, inline CSS and script, works on an intranet with no network), then to
the Great Expectations Data Docs of each failing batch (which load their styles and scripts from public CDNs);
this FastAPI app serves ECOFLOW_HOME/reports/gx under /ecoflow/reports with no extra server. Airflow does not
authenticate plugin apps, so every request is checked here: the caller must be logged in to Airflow (the UI's
session cookie or a bearer token) and be allowed to read the source's ingestion DAG.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

PREFIX = "/ecoflow"
#: Which DAG's readers may read a source's reports.
SOURCE_DAGS = {"air": "air_quality_monthly", "waste": "waste_monthly", "water": "water_realtime_capture",
               "submissions": "submissions_inbox",
               "project_reports": "submissions_inbox", "drinking_water_sources": "submissions_inbox"}

app = FastAPI(title="ecoflow validation reports", docs_url=None, redoc_url=None, openapi_url=None)


def _root() -> Path:
    home = os.environ.get("ECOFLOW_HOME")
    if not home:
        raise HTTPException(503, "ECOFLOW_HOME is not set for the Airflow API server")
    return (Path(home) / "reports" / "gx").resolve()


async def _user(request: Request):  # noqa: ANN202 - Airflow's BaseUser
    """The logged-in Airflow user, as Airflow's own API resolves it (bearer token, else the UI's cookie)."""
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user

    credentials = await bearer_scheme(request)
    return await get_user(request, None, credentials)


def _may_read(user, source: str) -> None:  # noqa: ANN001
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails

    dag_id = SOURCE_DAGS.get(source)
    if dag_id is None or not get_auth_manager().is_authorized_dag(
            method="GET", user=user, access_entity=DagAccessEntity.TASK_INSTANCE, details=DagDetails(id=dag_id)):
        raise HTTPException(403, f"{user.get_name()} may not read the {source} validation reports")


@app.get("/reports/", response_class=HTMLResponse)
async def index(user=Depends(_user)) -> str:  # noqa: ANN001, B008
    """Every source and month with reports the user may read, linking to its Data Docs site."""
    root = _root()
    items = []
    for site in sorted(root.glob("*/*/gx/uncommitted/data_docs/local_site/index.html")):
        source, period = site.relative_to(root).parts[:2]
        try:
            _may_read(user, source)
        except HTTPException:
            continue
        href = f"{PREFIX}/reports/{site.relative_to(root).as_posix()}"
        items.append(f'<li><a href="{html.escape(href)}">{html.escape(source)} {html.escape(period)}</a></li>')
    return ("<!doctype html><meta charset='utf-8'><title>数据校验报告</title>"
            "<h1>数据校验报告（Great Expectations）</h1>"
            f"<ul>{''.join(items) or '<li>暂无报告</li>'}</ul>")


@app.get("/reports/{path:path}")
async def report(path: str, user=Depends(_user)) -> FileResponse:  # noqa: ANN001, B008
    root = _root()
    target = (root / path).resolve()
    if root not in target.parents or not target.is_file():
        raise HTTPException(404, f"no report {path}")
    _may_read(user, target.relative_to(root).parts[0])
    # the reports quote what providers delivered; sandboxed, a page can never act with the viewer's Airflow login
    return FileResponse(target, headers={"Content-Security-Policy": "sandbox allow-scripts allow-popups"})


class EcoflowReportsPlugin(AirflowPlugin):
    name = "ecoflow_reports"
    fastapi_apps = [{"app": app, "url_prefix": PREFIX, "name": "ecoflow validation reports"}]
    external_views = [{"name": "数据校验报告", "href": f"{PREFIX}/reports/", "destination": "nav",
                       "category": "browse", "url_route": "ecoflow_reports"}]
