"""The real water platform's protocol end to end: `POST Ajax/Publish.ashx` (`getRealDatas`) through a loopback
server speaking it (demo.water_publisher), pages followed, one capture archived; a capture broken on page 2 of 3
keeps nothing; a lake the catalogue does not list is recognised from the platform's 所属河流 tooltip; the class
the platform publishes is kept beside ours and the readings it classes otherwise are counted."""

from __future__ import annotations

import json
from datetime import datetime
from http import HTTPStatus
from pathlib import Path

import duckdb
import pytest

from demo.feed_server import FeedServer
from demo.water_publisher import PLATFORM_NAME, THEAD, WaterPublisher
from tasks.core import settings
from tasks.core.errors import FetchError
from tasks.core.periods import Period
from tasks.flow import pipeline

POLL = datetime(2021, 4, 2, 8, 0)
POLL_FILE = "water_realtime_20210402T080000.json"


def query(sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def platform(eco_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ECOFLOW_WATER_FEED_MODE", "platform")
    monkeypatch.setenv("ECOFLOW_WATER_PAGE_SIZE", "5")
    monkeypatch.setenv("ECOFLOW_HTTP_RETRIES", "1")
    return eco_env


def test_a_poll_follows_every_page_and_lands_what_a_relay_gets(platform: Path, monkeypatch) -> None:
    publisher = WaterPublisher(clock=POLL)
    with FeedServer(publisher=publisher) as srv:
        monkeypatch.setenv("ECOFLOW_WATER_FEED_URL", srv.url + "/GJZ")
        pipeline.capture(settings.load(), "water", as_of=POLL, trigger="test")
        log = srv.request_log
    relay_rows = json.loads(publisher.render(POLL))["tbody"]
    pages = -(-len(relay_rows) // 5)
    assert pages == 3  # 13 sections of the real 2021-04 captures, 5 a page
    assert log == [(f"/GJZ/{PLATFORM_NAME}", 200)] * pages
    [(archived, status)] = query("SELECT archive_path, status FROM meta.batches WHERE file_name = ?", [POLL_FILE])
    assert status == "landed"
    stored = json.loads(Path(archived).read_bytes())
    assert [p["tbody"] for p in stored] == [relay_rows[i:i + 5] for i in range(0, len(relay_rows), 5)]
    landed = query("SELECT DISTINCT section_name FROM raw.water_readings ORDER BY 1")
    assert landed == sorted((r[2],) for r in relay_rows if r[3] != "*")


def test_a_capture_broken_on_page_2_of_3_keeps_nothing(platform: Path, monkeypatch) -> None:
    with FeedServer(publisher=WaterPublisher(clock=POLL, failing_pages={2})) as srv:
        monkeypatch.setenv("ECOFLOW_WATER_FEED_URL", srv.url)
        with pytest.raises(FetchError, match=r"page 2 of 3 \(PageIndex=2\).*not kept"):
            pipeline.capture(settings.load(), "water", as_of=POLL, trigger="test")
        statuses = [status for _, status in srv.request_log]
    assert statuses[0] == 200 and set(statuses[1:]) == {HTTPStatus.INTERNAL_SERVER_ERROR}  # page 2, retried
    [(status, archived, size)] = query("SELECT status, archive_path, size_bytes FROM meta.batches")
    assert (status, archived, size) == ("failed", None, None)
    assert query("SELECT count(*) FROM raw.water_readings") == [(0,)]
    assert not list((settings.load().archive_dir).rglob("*.json"))
    assert query("SELECT status FROM meta.runs") == [("failed",)]


def _lake_row(name: str, tp: str, published: str) -> list[str]:
    cell = "<span title='原始值：{0}'>{0}</span>".format
    tooltip = "所属地市:鄂尔多斯市&#10;所属河流:红碱淖水库"
    section = f"<span data-toggle='tooltip' data-placement='right' title='{tooltip}'>{name}</span>"
    return ["内蒙古自治区", "黄河流域", section, "04-02 08:00", published, cell("9.8"), cell("8.1"), cell("8.2"),
            cell("700"), cell("12"), cell("3.1"), cell("0.12"), cell(tp), cell("0.9"), "*", "*", "正常"]


class LakePage:
    """The platform's answer for one uncatalogued reservoir section (TP 0.08: Ⅱ by river limits, Ⅳ as a lake)."""

    def __init__(self, published: str) -> None:
        self.published = published

    def respond(self, name: str) -> tuple[int, bytes, str]:
        return HTTPStatus.NOT_FOUND, b"", "text/plain"

    def respond_form(self, name: str, form: dict[str, str]) -> tuple[int, bytes, str]:
        body = {"result": 1, "total": 1, "records": 1, "thead": list(THEAD),
                "tbody": [_lake_row("红碱淖", "0.08", self.published)]}
        return HTTPStatus.OK, json.dumps(body, ensure_ascii=False).encode(), "application/json"

    def describe(self) -> str:
        return "one reservoir section"


def test_an_uncatalogued_reservoir_is_classed_as_a_lake_and_the_platforms_class_is_compared(
        platform: Path, monkeypatch) -> None:
    with FeedServer(publisher=LakePage("Ⅱ")) as srv:  # the platform's class, as if by river TP limits
        monkeypatch.setenv("ECOFLOW_WATER_FEED_URL", srv.url)
        pipeline.capture(settings.load(), "water", as_of=POLL, trigger="test")
    assert query("SELECT DISTINCT section_name, city, river, water_body_hint, class_reported "
                 "FROM raw.water_readings") == [("红碱淖", "鄂尔多斯市", "红碱淖水库", "lake", "Ⅱ")]
    pipeline.run(settings.load(), "water", Period(2021, 4), trigger="test")
    [(body, source, cls, worst, published, differs)] = query(
        "SELECT water_body, water_body_source, water_class, worst_parameters, platform_classes, class_disagreements "
        "FROM marts.water_section_month WHERE section_name = '红碱淖'")
    assert (body, source, cls, worst) == ("lake", "platform", 4, "tp")
    assert json.loads(published) == {"Ⅱ": 1} and differs == 1


def test_a_platform_class_that_agrees_is_not_reported(platform: Path, monkeypatch) -> None:
    with FeedServer(publisher=LakePage("Ⅳ")) as srv:
        monkeypatch.setenv("ECOFLOW_WATER_FEED_URL", srv.url)
        pipeline.capture(settings.load(), "water", as_of=POLL, trigger="test")
    pipeline.run(settings.load(), "water", Period(2021, 4), trigger="test")
    assert query("SELECT water_class, platform_classes, class_disagreements FROM marts.water_section_month") == [
        (4, '{"Ⅳ": 1}', 0)]


def test_the_simulator_answers_the_platforms_query_by_region_basin_and_page() -> None:
    import requests

    national = json.loads(WaterPublisher(clock=datetime(2020, 5, 8, 16)).render())["tbody"]
    inner_mongolia = [r for r in national if r[0] == "内蒙古自治区"]
    with FeedServer(publisher=WaterPublisher(clock=datetime(2020, 5, 8, 16))) as srv:
        def ask(**form: str) -> dict:
            resp = requests.post(f"{srv.url}/GJZ/{PLATFORM_NAME}", data={"action": "getRealDatas", **form}, timeout=10)
            assert resp.status_code == 200
            return resp.json()

        everything = ask(AreaID="", PageIndex="1", PageSize="1000")
        assert (everything["total"], everything["records"]) == (-(-len(national) // 1000), len(national))
        pages = [ask(AreaID="150000", PageIndex=str(i), PageSize="10") for i in (1, 2, 3)]
        assert [p["total"] for p in pages] == [3, 3, 3] and {p["records"] for p in pages} == {28}
        assert [r for p in pages for r in p["tbody"]] == inner_mongolia
        yellow = ask(AreaID="150000", RiverID="0900000000", PageIndex="1", PageSize="100")["tbody"]
        assert yellow and yellow == [r for r in inner_mongolia if r[1] == "黄河流域"]
        nothing = ask(AreaID="110000", PageIndex="1", PageSize="10")
        assert (nothing["result"], nothing["total"], nothing["tbody"]) == (0, 0, [])
        assert requests.get(f"{srv.url}/{PLATFORM_NAME}", timeout=10).status_code == 404  # the platform is POST
