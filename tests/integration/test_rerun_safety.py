"""Re-runs that must never erase data: retried validate and land steps (the DAGs' path), a re-delivery in which
days are no longer published, a re-delivery in which nothing is published, and a feed configured as an Airflow
HTTP Connection.
"""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest

from demo.feed_server import FeedServer
from tasks.core import settings
from tasks.core.errors import NothingToLand
from tasks.core.periods import Period
from tasks.flow import pipeline
from tasks.ingest import fetch as fetching

JAN = Period.parse("2019-01")
D1, D2 = "china_sites_20190101.csv", "china_sites_20190102.csv"


def rows_by_file() -> dict[str, int]:
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        return dict(con.execute("SELECT file_name, count(*) FROM raw.cnemc_air_hourly GROUP BY 1").fetchall())


def test_retried_steps_land_the_same_rows_again(eco_env, air_files, monkeypatch) -> None:
    """The DAGs' path: validate -> (review skipped: a clean run) -> land. A retry of `land` after it landed, and a
    retry of `validate` followed by `land` again, leave exactly the rows of the first landing."""
    with FeedServer(air_files, last_day=date(2019, 1, 2)) as srv:
        monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", srv.url)
        st = settings.load()
        run = pipeline.fetch(st, "air", JAN)
        checked = pipeline.validate(run, waits_in="warehouse")
        first = pipeline.decide(run, None)
        before = rows_by_file()
        again = pipeline.decide(run, None)      # an Airflow retry of `land`
        pipeline.validate(run, waits_in="warehouse")  # a retry of `validate` ...
        third = pipeline.decide(run, None)      # ... and of `land` after it

    assert not checked["needs_review"]
    assert before == {D1: first.batches[0].rows_landed, D2: first.batches[1].rows_landed}
    assert rows_by_file() == before
    assert again.rows_landed == third.rows_landed == first.rows_landed > 0


def test_a_day_no_longer_published_keeps_what_was_landed(eco_env, air_files, monkeypatch) -> None:
    with FeedServer(air_files, last_day=date(2019, 1, 2)) as srv:
        monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", srv.url)
        pipeline.run(settings.load(), "air", JAN)
    before = rows_by_file()
    with FeedServer(air_files, last_day=date(2019, 1, 2), missing={D2}) as srv:
        monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", srv.url)
        summary = pipeline.run(settings.load(), "air", JAN)

    assert summary.missing[0] == D2
    assert rows_by_file() == before


def test_nothing_published_stops_and_keeps_the_month(eco_env, air_files, monkeypatch) -> None:
    with FeedServer(air_files, last_day=date(2019, 1, 2)) as srv:
        monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", srv.url)
        pipeline.run(settings.load(), "air", JAN)
    before = rows_by_file()
    with FeedServer(air_files, last_day=date(2018, 12, 31)) as srv, pytest.raises(NothingToLand, match="2019-01"):
        monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", srv.url)
        pipeline.run(settings.load(), "air", JAN)

    assert rows_by_file() == before
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        statuses = [r[0] for r in con.execute("SELECT status FROM meta.runs ORDER BY started_at").fetchall()]
    assert statuses == ["computed", "failed"]


def test_feed_from_an_airflow_http_connection(eco_env, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ECOFLOW_AIR_FEED", json.dumps(
        {"conn_type": "http", "host": "feed.example.gov.cn", "schema": "https", "port": 8443,
         "login": "bureau", "password": "s3cret"}))
    feed = fetching.endpoint(settings.load(), "air")
    assert feed.base_url == "https://feed.example.gov.cn:8443"
    assert feed.auth == ("bureau", "s3cret")


def test_feed_connection_with_a_whole_base_url(eco_env, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ECOFLOW_AIR_FEED", json.dumps(
        {"conn_type": "http", "host": "http://127.0.0.1:8765/cnemc/"}))
    assert fetching.endpoint(settings.load(), "air").base_url == "http://127.0.0.1:8765/cnemc"
