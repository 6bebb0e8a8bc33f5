"""Values are numbers (issue 12, point 2): `inf`, `nan`, `Infinity`, overflow, thousands separators and
full-width digits in every parser — converted by the documented rule (tasks.core.numbers) or left NaN for the source's
numeric rule to quarantine, never a non-finite value."""

from __future__ import annotations

import math

import pytest

from tasks.core import numbers
from tasks.sources.cnemc_air import CnemcAirAdapter
from tasks.sources.cnemc_water import CnemcWaterAdapter, read_cell
from tasks.sources.submissions import reader
from tasks.sources.waste import COLUMNS, WasteFeedAdapter

NOT_FINITE = ["inf", "-inf", "Infinity", "-Infinity", "nan", "NaN", "1e999", "-1e400", "INF"]
FEED_REFUSED = [*NOT_FINITE, "１２３", "1,234", "1_000", "0x1A", "12\n3", "٣"]


@pytest.mark.parametrize("text", NOT_FINITE)
def test_no_reading_returns_a_non_finite_number(text: str) -> None:
    assert math.isnan(numbers.plain(text))
    assert math.isnan(numbers.typed(text))
    assert "finite" in numbers.why_not(text)


@pytest.mark.parametrize(("text", "value"), [
    ("１２３", 123.0), ("１，２３４．５", 1234.5), ("1,234,567", 1234567.0), ("\u221235.2", -35.2), (" 7 ", 7.0),
])
def test_a_persons_cell_is_read_as_meant(text: str, value: float) -> None:
    assert numbers.typed(text) == value


@pytest.mark.parametrize("text", ["35,2", "1,23,4", "约35", "35万", "1_000", "-"])
def test_an_ambiguous_persons_cell_is_not_a_number(text: str) -> None:
    assert math.isnan(numbers.typed(text))


@pytest.mark.parametrize("text", FEED_REFUSED[len(NOT_FINITE):])
def test_a_feed_cell_is_a_plain_ascii_decimal(text: str) -> None:
    assert math.isnan(numbers.plain(text))
    assert text in numbers.why_not(text) or repr(text) in numbers.why_not(text)


def _air_file(cells: list[str]) -> bytes:
    stations = [f"{1001 + i}A" for i in range(len(cells))]
    lines = ["date,hour,type," + ",".join(stations), "20190101,0,PM2.5," + ",".join(cells)]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_air_parser_never_yields_a_non_finite_value() -> None:
    cells = [*NOT_FINITE, "１２", "12"]
    rows = CnemcAirAdapter().parse("china_sites_20190101.csv", _air_file(cells)).rows
    values = dict(zip(rows["value_text"], rows["value"], strict=True))
    assert values["12"] == 12.0
    assert all(math.isnan(values[t]) for t in cells[:-1])   # the suite's air.value_numeric quarantines them


@pytest.mark.parametrize("cell", ["inf", "Infinity", "nan", "1e999", "１２",
                                  "<span title='原始值：inf'>7.7</span>",
                                  "<span title='原始值：1e999'>1</span>"])
def test_water_cell_is_unparsable_not_infinite(cell: str) -> None:
    _, value, flag = read_cell(cell)
    assert math.isnan(value) and flag == "unparsable"


def test_water_parser_rows_hold_no_non_finite_value() -> None:
    header = ("省份,流域,断面名称,监测时间,水质类别,水温(℃),pH(无量纲),溶解氧(mg/L),电导率(μS/cm),浊度(NTU),"
              "高锰酸盐指数(mg/L),氨氮(mg/L),总磷(mg/L),总氮(mg/L),叶绿素α(mg/L),藻密度(cells/L),站点情况")
    line = "内蒙古自治区,黄河流域,甲断面,04-05 20:00,Ⅱ,inf,Infinity,nan,1e999,１２,-inf,1,2,3,*,*,正常"
    rows = CnemcWaterAdapter().parse("water_realtime_20210406T000000.csv",
                                     f"{header}\r\n{line}\r\n".encode()).rows
    assert rows["value"].dropna().map(math.isfinite).all()
    assert set(rows.loc[rows["value"].isna() & (rows["flag"] == "unparsable"), "value_text"]) >= {
        "inf", "Infinity", "nan", "1e999", "１２", "-inf"}


@pytest.mark.parametrize("text", ["inf", "Infinity", "nan", "1e999", "1,234", "１２", "1e3"])
def test_waste_value_is_quarantined_not_converted(text: str) -> None:
    row = ["2025-01", "F001", "甲厂", "150100", "sewage", "treated_volume", text, "万立方米", ""]
    assert len(row) == len(COLUMNS)
    content = (",".join(COLUMNS) + "\r\n" + ",".join(f'"{c}"' for c in row) + "\r\n").encode()
    rows = WasteFeedAdapter().parse("waste_2025-01.csv", content).rows
    assert math.isnan(rows["value"].iloc[0]) and math.isnan(rows["value_reported"].iloc[0])


@pytest.mark.parametrize(("text", "value"), [("1,234.5", 1234.5), ("１２", 12.0), ("inf", math.nan),
                                             ("Infinity", math.nan), ("nan", math.nan), ("1e999", math.nan)])
def test_submission_text_cell(text: str, value: float) -> None:
    got = reader.parse_number(text, "吨")
    assert got == value or (math.isnan(got) and math.isnan(value))


def test_submission_numeric_cell_that_overflowed_is_not_a_number() -> None:
    assert math.isnan(reader._cell_value(float("inf"), "吨", "General")[1])
    assert reader._cell_value(12.5, "吨", "General")[1] == 12.5
