"""The real water platform's protocol on the adapter's side: the query it POSTs, pages merged on parsing, the
断面名称 tooltip (所属地市, 所属河流) and lakes recognised from it, class codes."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from tasks.core.errors import ConfigError, ParseError
from tasks.sources.cnemc_water import (
    CnemcWaterAdapter,
    PlatformQuery,
    lake_from_metadata,
    platform_query,
    read_section_cell,
)

SNAPSHOT = Path(__file__).resolve().parents[2] / "demo" / "data" / "cnemc_water" / "2020-05-08.json"
NAME = "water_realtime_20200508T160000.json"
ADAPTER = CnemcWaterAdapter()


def _pages(rows_per_page: int) -> tuple[list[dict], list[list[str]]]:
    data = json.loads(SNAPSHOT.read_bytes())
    rows = [r for r in data["tbody"] if r[0] == "内蒙古自治区"]
    chunks = [rows[i:i + rows_per_page] for i in range(0, len(rows), rows_per_page)]
    return [{"result": 1, "total": len(chunks), "records": len(rows), "thead": data["thead"], "tbody": c}
            for c in chunks], rows


def test_default_query_is_the_platforms_post_for_inner_mongolia(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ECOFLOW_WATER_FEED_MODE", "ECOFLOW_WATER_AREA_ID", "ECOFLOW_WATER_RIVER_ID",
                 "ECOFLOW_WATER_PAGE_SIZE"):
        monkeypatch.delenv(name, raising=False)
    remote = ADAPTER.poll_file(datetime(2021, 4, 2, 8, 0))
    assert remote.path == "Ajax/Publish.ashx"
    assert dict(remote.form) == {"action": "getRealDatas", "AreaID": "150000", "RiverID": "", "MNName": "",
                                 "PageIndex": "1", "PageSize": "100"}


def test_query_settings_are_read_and_checked() -> None:
    query = platform_query({"ECOFLOW_WATER_AREA_ID": "150200", "ECOFLOW_WATER_RIVER_ID": "0900000000",
                            "ECOFLOW_WATER_PAGE_SIZE": "20"})
    assert query == PlatformQuery("platform", "150200", "0900000000", 20)
    for env, named in (({"ECOFLOW_WATER_FEED_MODE": "ftp"}, "ECOFLOW_WATER_FEED_MODE"),
                       ({"ECOFLOW_WATER_AREA_ID": "15"}, "ECOFLOW_WATER_AREA_ID"),
                       ({"ECOFLOW_WATER_RIVER_ID": "黄河"}, "ECOFLOW_WATER_RIVER_ID"),
                       ({"ECOFLOW_WATER_PAGE_SIZE": "0"}, "ECOFLOW_WATER_PAGE_SIZE")):
        with pytest.raises(ConfigError, match=named):
            platform_query(env)


def test_pages_of_one_capture_parse_as_one_response() -> None:
    pages, rows = _pages(10)
    assert len(pages) == 3
    merged = ADAPTER.parse(NAME, ("[" + ",\n".join(json.dumps(p, ensure_ascii=False) for p in pages) + "]").encode())
    single = ADAPTER.parse(NAME, json.dumps({**pages[0], "total": 1, "tbody": rows}, ensure_ascii=False).encode())
    assert len(merged.rows) == len(single.rows) == 28 * 11
    assert merged.rows.drop(columns="row_id").equals(single.rows.drop(columns="row_id"))
    assert sorted(merged.lines) == list(range(1, 29))


def test_a_page_with_other_columns_is_refused() -> None:
    pages, _ = _pages(10)
    pages[2]["thead"] = pages[2]["thead"][:-1]
    with pytest.raises(ParseError, match="page 3 of 3 has other columns"):
        ADAPTER.parse(NAME, json.dumps(pages, ensure_ascii=False).encode())


def test_section_tooltip_gives_city_and_river() -> None:
    cell = "<span data-toggle='tooltip' data-placement='right' title='所属地市:无锡市&#10;所属河流:太湖'>西山</span>"
    assert read_section_cell(cell) == ("西山", "无锡市", "太湖")
    assert read_section_cell("头道拐") == ("头道拐", "", "")


@pytest.mark.parametrize(("river", "section", "lake"), [
    ("太湖", "西山", True), ("乌梁素海", "湖心", True), ("察尔森水库", "出口", True), ("", "于桥水库出口", True),
    ("", "贝尔湖", True), ("黄河", "头道拐", False), ("大黑河", "大入黄口", False), ("", "湖口", False)])
def test_lakes_are_recognised_from_the_platforms_metadata(river: str, section: str, lake: bool) -> None:
    assert lake_from_metadata(river, section) is lake


def test_a_tooltipped_lake_section_lands_with_its_name_river_and_hint() -> None:
    pages, rows = _pages(100)
    row = list(rows[0])
    row[2] = f"<span data-toggle='tooltip' title='所属地市:呼伦贝尔市&#10;所属河流:呼伦湖'>{row[2]}</span>"
    row[4] = "3"  # class as a code, as some platform versions publish it
    parsed = ADAPTER.parse(NAME, json.dumps({**pages[0], "tbody": [row]}, ensure_ascii=False).encode())
    first = parsed.rows.iloc[0]
    assert (first.section_name, first.city, first.river, first.water_body_hint, first.class_reported) == (
        rows[0][2], "呼伦贝尔市", "呼伦湖", "lake", "Ⅲ")
