"""A real Airflow for the steward-review tests: API server, scheduler and DAG processor with the LocalExecutor on a
fresh PostgreSQL database, the repository's DAGs and plugin, feeds on loopback and a real SMTP server.

One stack per test session (starting it costs about half a minute); each test uses its own months, so the tests
do not depend on each other's order. The warehouse is read only while no task runs (DuckDB has one writer).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from http import HTTPStatus
from pathlib import Path

import duckdb
import psycopg2
import pytest

from demo.airflow_stack import AirflowStack
from demo.feed_server import FeedServer
from demo.smtp_sink import SmtpSink
from demo.waste_publisher import WastePublisher
from tests.review.native_stack import waiting_review

ROOT = Path(__file__).resolve().parents[2]
REAL_DAYS = ROOT / "demo" / "data" / "cnemc_air" / "inner_mongolia_2019-01"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
AIR_DAG, WASTE_DAG = "air_quality_monthly", "waste_monthly"
WASTE_TIMEOUT_SECONDS = 45


class AirFiles:
    """The air feed as the tests set it: exactly the files put here, 404 for every other day."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def publish(self, period: str, *, negative_pm25_hours: int = 0) -> list[str]:
        """Two real January 2019 days re-dated into `period`; with `negative_pm25_hours`, the first day's PM2.5 of
        that many hours is negative at every station (rows failing `air.value_range`, well under the threshold)."""
        year, month = map(int, period.split("-"))
        names = []
        for offset in range(2):
            src = REAL_DAYS / f"china_sites_2019010{offset + 1}.csv"
            day = date(year, month, 1) + timedelta(days=offset)
            text = src.read_text(encoding="utf-8").replace(f"2019010{offset + 1},", f"{day:%Y%m%d},")
            if offset == 0 and negative_pm25_hours:
                text = _negate_pm25(text, negative_pm25_hours)
            name = f"china_sites_{day:%Y%m%d}.csv"
            self.files[name] = text.encode("utf-8")
            names.append(name)
        return names

    def respond(self, name: str) -> tuple[int, bytes, str]:
        if name in self.files:
            return HTTPStatus.OK, self.files[name], "text/csv"
        return HTTPStatus.NOT_FOUND, b"not published\n", "text/plain"

    def describe(self) -> str:
        return f"{len(self.files)} test files"


def _negate_pm25(text: str, hours: int) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        parts = line.split(",")
        if len(parts) > 3 and parts[2] == "PM2.5" and parts[1].isdigit() and int(parts[1]) < hours:
            lines[i] = ",".join(parts[:3] + [f"-{v}" if v else v for v in parts[3:]])
    return "\n".join(lines) + "\n"


def _admin() -> psycopg2.extensions.connection:
    try:
        con = psycopg2.connect(dbname="postgres", connect_timeout=5, **PG)
    except psycopg2.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG['host']}:{PG['port']} (CI starts it): {exc}")
    con.autocommit = True
    return con


@pytest.fixture(scope="session")
def metadata_db() -> Iterator[str]:
    name = f"ecoflow_review_{uuid.uuid4().hex[:10]}"
    admin = _admin()
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg2://{PG['user']}@{PG['host']}:{PG['port']}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


class Stack:
    """What the tests use: the Airflow stack, the feeds, the SMTP sink and the shared ECOFLOW_HOME."""

    def __init__(self, airflow: AirflowStack, air: AirFiles, sink: SmtpSink, home: Path, env: dict[str, str]):
        self.airflow, self.air, self.sink, self.home, self.env = airflow, air, sink, home, env

    def query(self, text: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(text, params or []).fetchall()

    def pending_review(self, dag_id: str, run_id: str, timeout: float = 240) -> dict:
        """The review waiting in the run, as a steward sees it through the REST API (once Airflow can take an
        answer: tests.review.native_stack.waiting_review)."""
        return waiting_review(self.airflow.session("li.na"), self.airflow.url, self.airflow.logs / "scheduler.log",
                              dag_id, run_id, timeout=timeout)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, metadata_db: str) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("review-stack")
    home = base / "ecoflow"
    policy = base / "review_policy.csv"
    policy.write_text(
        "source,stewards,steward_emails,provider,provider_email,response_timeout_hours,on_timeout\n"
        "air,li.na zhou.jie,lina@sthjt.example.cn zhoujie@sthjt.example.cn,总站空气实时发布,feed-air@cnemc.example.cn,"
        "2,accept_clean\n"
        f"waste,wang.qiang,wangqiang@sthjt.example.cn,固废系统,feed-waste@sthjt.example.cn,"
        f"{WASTE_TIMEOUT_SECONDS / 3600},accept_clean\n"
        "water,zhao.min,zhaomin@sthjt.example.cn,总站水质实时发布,feed-water@cnemc.example.cn,3,accept_clean\n",
        encoding="utf-8")
    air = AirFiles()
    with FeedServer(publisher=air) as air_feed, \
            FeedServer(publisher=WastePublisher({"2025-01": {"wrong_unit"}})) as waste_feed, \
            SmtpSink(base / "smtp") as sink:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "ECOFLOW_"))}
        env.update({
            "ECOFLOW_HOME": str(home), "ECOFLOW_REVIEW_POLICY": str(policy),
            "ECOFLOW_AIR_FEED_URL": air_feed.url, "ECOFLOW_WASTE_FEED_URL": waste_feed.url,
            "AIRFLOW_CONN_ECOFLOW_SMTP": f"smtp://127.0.0.1:{sink.port}?disable_ssl=true&disable_tls=true"
                                         "&from_email=ecoflow%40sthjt.example.cn",
        })
        with AirflowStack(base / "airflow", env, metadata_db) as airflow:
            airflow.wait_for_dag(AIR_DAG)
            airflow.wait_for_dag(WASTE_DAG)
            yield Stack(airflow, air, sink, home, {**airflow.env, "ECOFLOW_AIRFLOW_API_URL": airflow.url})
