"""The catalogue as loaded into the warehouse: stations mapped to GB/T 2260 regions, versions, 对照点."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from tasks.core import settings
from tasks.flow.warehouse import writer

IM_PREFECTURES = {"150100", "150200", "150300", "150400", "150500", "150600", "150700", "150800", "150900",
                  "152200", "152500", "152900"}


@pytest.fixture
def con(tmp_path, monkeypatch) -> duckdb.DuckDBPyConnection:
    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path / "home"))
    with writer(settings.load()) as connection:
        yield connection


def test_every_inner_mongolia_station_maps_to_one_of_the_12_leagues_and_cities(con) -> None:
    rows = con.execute("""SELECT s.region_code, r.parent_code FROM catalogue.stations s
                          JOIN catalogue.regions r USING (region_code) WHERE r.parent_code = '150000'""").fetchall()
    assert {code for code, _ in rows} == IM_PREFECTURES
    assert len(rows) == 48


@pytest.mark.parametrize(("station", "city", "region"), [
    ("1090A", "呼和浩特", "150100"), ("2202A", "锡林郭勒盟", "152500"), ("2204A", "阿拉善盟", "152900"),
    ("1001A", "北京", "110000"),
])
def test_station_city_and_region_code(con, station: str, city: str, region: str) -> None:
    assert con.execute("SELECT city_zh, region_code FROM catalogue.stations WHERE station_code = ?",
                       [station]).fetchall() == [(city, region)]


def test_a_city_without_a_known_code_keeps_its_name(con) -> None:
    (city, region), = con.execute("SELECT city_zh, region_code FROM catalogue.stations "
                                  "WHERE city_zh = '大连' LIMIT 1").fetchall()
    assert (city, region) == ("大连", None)


def test_control_stations_are_flagged_from_their_names(con) -> None:
    flagged = {r[0] for r in con.execute("SELECT station_code FROM catalogue.stations WHERE is_control").fetchall()}
    assert {"1027A", "1083A", "1129A"} <= flagged
    assert "1090A" not in flagged


def test_station_versions_carry_the_list_date_and_recorded_stops(con) -> None:
    rows = con.execute("SELECT valid_from, valid_to FROM catalogue.stations WHERE station_code = '1092A'").fetchall()
    assert rows == [(date(2020, 1, 1), date(2020, 1, 12))]
