"""Every parser fuzzed with Hypothesis: whatever bytes arrive, a parser returns rows (every value finite or NaN)
or raises ParseError naming the file — never another exception.

ECOFLOW_FUZZ_EXAMPLES sets the inputs per parser: 2,000 in the normal run, 100,000 with `make fuzz`. The counts
of the last run are written to .ecoflow/fuzz-last-run.json for docs/reliability.md.
"""

from __future__ import annotations

import json
import math
import os

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tasks.core import numbers
from tasks.core.errors import ParseError
from tasks.sources.cnemc_air import CnemcAirAdapter
from tasks.sources.cnemc_water import CnemcWaterAdapter
from tasks.sources.submissions.reader import read_submission
from tasks.sources.waste import COLUMNS as WASTE_COLUMNS
from tasks.sources.waste import WasteFeedAdapter
from tests.faults.conftest import FUZZ

EXAMPLES = int(os.environ.get("ECOFLOW_FUZZ_EXAMPLES", "2000"))
FUZZ_SETTINGS = hsettings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))
COUNTS: dict[str, dict[str, int]] = {}

#: Cells a hostile or careless source writes.
NASTY = ["", "inf", "-inf", "Infinity", "nan", "NaN", "1e999", "1,234.5", "１２３", "−5", "0x1F", "1_000", "--", "*",
         "<span title='原始值：inf'>1</span>", "'; DROP TABLE x; --", "\u0000", "\r", "\"", "极值过滤", "12.5", "-3",
         "9" * 400, "约35", "35%"]
cell = st.one_of(st.sampled_from(NASTY), st.text(max_size=12),
                 st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers().map(str))


def _count(parser: str, crashed: bool = False) -> None:
    entry = COUNTS.setdefault(parser, {"inputs": 0, "crashes": 0})
    entry["inputs"] += 1
    entry["crashes"] += int(crashed)


def _finite(frame, *columns: str) -> None:  # noqa: ANN001
    for column in columns:
        if column in frame:
            assert all(math.isfinite(v) or math.isnan(v) for v in frame[column].astype("float64")), column
            assert not frame[column].astype("float64").map(math.isinf).any(), column


def _lines(header: str, width: int, sep: str = ",") -> st.SearchStrategy[bytes]:
    row = st.lists(cell, min_size=max(0, width - 2), max_size=width + 2).map(sep.join)
    body = st.lists(row, max_size=8).map("\r\n".join)
    text = st.tuples(st.sampled_from([header, header.upper(), header[: len(header) // 2], ""]), body).map(
        lambda t: f"{t[0]}\r\n{t[1]}")
    encoded = text.flatmap(lambda s: st.sampled_from([s.encode("utf-8"), s.encode("utf-8-sig"),
                                                      s.encode("gbk", errors="replace"), s.encode("utf-16")]))
    return st.one_of(encoded, st.binary(max_size=300))


def _parse(parser: str, call, *columns: str) -> None:  # noqa: ANN001
    try:
        parsed = call()
    except ParseError as exc:
        assert exc.file and str(exc)
        _count(parser)
        return
    except Exception:
        _count(parser, crashed=True)
        raise
    _finite(parsed.rows, *columns)
    _count(parser)


AIR_HEADER = "date,hour,type,1090A,1091A,1094A"


@FUZZ_SETTINGS
@given(_lines(AIR_HEADER, 6))
def test_fuzz_air_parser(content: bytes) -> None:
    _parse("air (CNEMC daily CSV)", lambda: CnemcAirAdapter().parse("china_sites_20190101.csv", content),
           "value", "hour_num")


WATER_HEADER = ("省份,流域,断面名称,监测时间,水质类别,水温(℃),pH(无量纲),溶解氧(mg/L),电导率(μS/cm),浊度(NTU),"
                "高锰酸盐指数(mg/L),氨氮(mg/L),总磷(mg/L),总氮(mg/L),叶绿素α(mg/L),藻密度(cells/L),站点情况")


@FUZZ_SETTINGS
@given(_lines(WATER_HEADER, 17))
def test_fuzz_water_csv_parser(content: bytes) -> None:
    _parse("water (capture CSV)", lambda: CnemcWaterAdapter().parse("water_realtime_20210406T000000.csv", content),
           "value")


@FUZZ_SETTINGS
@given(st.one_of(
    st.recursive(st.one_of(st.none(), st.booleans(), cell, st.floats()),
                 lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(cell, inner, max_size=4)),
                 max_leaves=20).map(lambda v: json.dumps(v, allow_nan=True).encode()),
    st.fixed_dictionaries({"thead": st.lists(st.sampled_from(WATER_HEADER.split(",") + NASTY), max_size=18),
                           "tbody": st.lists(st.lists(cell, max_size=18), max_size=4)}).map(
        lambda v: json.dumps(v).encode()),
    st.binary(max_size=200)))
def test_fuzz_water_json_parser(content: bytes) -> None:
    _parse("water (platform JSON)", lambda: CnemcWaterAdapter().parse("water_realtime_20200508T160000.json", content),
           "value")


@FUZZ_SETTINGS
@given(_lines(",".join(WASTE_COLUMNS), len(WASTE_COLUMNS)))
def test_fuzz_waste_parser(content: bytes) -> None:
    _parse("waste (monthly CSV)", lambda: WasteFeedAdapter().parse("waste_2025-01.csv", content),
           "value", "value_reported")


SUBMISSION_HEADER = "部门编码,期别,指标代码,指标名称,单位,本期值,备注"


@FUZZ_SETTINGS
@given(st.one_of(_lines(SUBMISSION_HEADER, 7), st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b)))
def test_fuzz_submission_reader(content: bytes) -> None:
    name = "form.xlsx" if content.startswith(b"PK") else "form.csv"
    _parse("submissions (form CSV / xlsx)", lambda: read_submission(name, content), "value")


@FUZZ_SETTINGS
@given(st.text(max_size=30))
def test_fuzz_number_rule(text: str) -> None:
    try:
        for value in (numbers.plain(text), numbers.typed(text), numbers.typed(text, percent=True)):
            assert math.isfinite(value) or math.isnan(value)
        assert numbers.why_not(text)
    except Exception:
        _count("numbers (the value rule)", crashed=True)
        raise
    _count("numbers (the value rule)")


@pytest.fixture(scope="module", autouse=True)
def _write_counts():
    yield
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return   # a worker of `make test` ran only some parsers; `make fuzz` / `make reliability` run them all
    FUZZ.parent.mkdir(exist_ok=True)
    FUZZ.write_text(json.dumps({"examples_per_parser": EXAMPLES, "parsers": COUNTS}, ensure_ascii=False, indent=1))
