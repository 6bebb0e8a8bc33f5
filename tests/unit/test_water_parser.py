"""CnemcWaterAdapter.parse on the real CNEMC water captures (JSON snapshot, per-section CSVs) and damaged copies.

The real files are the byte-for-byte copies in demo/data/cnemc_water (see demo/data/PROVENANCE.md).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from tasks.core.errors import ParseError, UsageError
from tasks.core.periods import Period
from tasks.sources.cnemc_water import (
    PARAMETERS,
    TIDY_COLUMNS,
    CnemcWaterAdapter,
    fetch_time_from_name,
    read_cell,
    reading_time,
)

WATER_DATA = Path(__file__).resolve().parents[2] / "demo" / "data" / "cnemc_water"
SNAPSHOT = WATER_DATA / "2020-05-08.json"
CSV_DIR = WATER_DATA / "water_quality_by_name" / "内蒙古自治区"
JSON_NAME = "water_realtime_20200508T160000.json"    # fetched 2020-05-08 16:00, after the 15:00 readings
CSV_NAME = "water_realtime_20210406T000000.csv"      # the April 2021 captures end with 04-05 20:00
HEADER = ("省份,流域,断面名称,监测时间,水质类别,水温(℃),pH(无量纲),溶解氧(mg/L),电导率(μS/cm),浊度(NTU),"
          "高锰酸盐指数(mg/L),氨氮(mg/L),总磷(mg/L),总氮(mg/L),叶绿素α(mg/L),藻密度(cells/L),站点情况")
ADAPTER = CnemcWaterAdapter()


def parse(content: bytes, name: str = CSV_NAME):
    return ADAPTER.parse(name, content)


def need(path: Path) -> Path:
    assert path.exists(), f"real sample missing from the repository: {path}"
    return path


@pytest.fixture(scope="module")
def snapshot() -> tuple[dict, pd.DataFrame, object]:
    raw = need(SNAPSHOT).read_bytes()
    parsed = parse(raw, JSON_NAME)
    return json.loads(raw), parsed.rows, parsed


def csv_files() -> list[Path]:
    return sorted(need(CSV_DIR).glob("*/*/2021-04/*.csv"))


def one(rows: pd.DataFrame, section: str, parameter: str, time: str | None = None) -> pd.Series:
    hit = rows[(rows["section_name"] == section) & (rows["parameter"] == parameter)]
    if time:
        hit = hit[hit["obs_time"] == pd.Timestamp(time)]
    assert len(hit) == 1, hit
    return hit.iloc[0]


def line(section: str, time: str, cells: str, status: str = "正常", klass: str = "Ⅱ") -> str:
    return f"内蒙古自治区,黄河流域,{section},{time},{klass},{cells},{status}"


VALUES = "9.1,8.07,10.37,1286.4,673.9,2.51,0.025,0.045,2.73,*,*"


def csv_bytes(*rows: str) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8")


# --- the JSON snapshot ---------------------------------------------------------------------------------------

def test_snapshot_one_row_per_parameter_cell(snapshot) -> None:
    data, rows, parsed = snapshot
    assert len(data["tbody"]) == 1901
    assert len(rows) == sum(len(r) - 6 for r in data["tbody"]) == 1901 * 11
    assert list(rows.columns) == list(TIDY_COLUMNS)
    assert rows["row_id"].tolist() == list(range(len(rows)))
    assert [i for i in parsed.issues if i.severity == "error"] == []
    assert set(rows["parameter"]) == set(PARAMETERS)
    assert str(rows["obs_time"].dtype).startswith("datetime64") and rows["value"].dtype == "float64"


def test_snapshot_raw_value_is_the_tooltip_not_the_rounded_text(snapshot) -> None:
    _, rows, parsed = snapshot
    do = one(rows, "喇嘛湾", "do")
    assert do["value"] == 5.70371 and do["display"] == "5.70"
    assert do["value_text"] == "<span title='原始值：5.70371'>5.70</span>"
    assert (do["obs_time"], do["class_reported"], do["site_status"]) == (pd.Timestamp("2020-05-08 12:00"), "Ⅲ", "正常")
    assert (do["province"], do["basin"], do["unit"], do["flag"]) == ("内蒙古自治区", "黄河流域", "mg/L", "value")
    assert json.loads(parsed.lines[do["source_line"]])[2] == "喇嘛湾"


def test_snapshot_maintenance_status_and_missing_cells(snapshot) -> None:
    _, rows, _ = snapshot
    conductivity = one(rows, "头道拐", "conductivity")
    assert (conductivity["site_status"], conductivity["class_reported"]) == ("维护", "")
    assert (conductivity["flag"], conductivity["display"], conductivity["value_text"]) == ("missing", "--", "--")
    assert math.isnan(conductivity["value"])
    assert one(rows, "头道拐", "ph")["unit"] == "无量纲"
    assert set(rows["site_status"]) == {"正常", "维护", "停站"}


def test_snapshot_scientific_notation_tooltips(snapshot) -> None:
    _, rows, _ = snapshot
    hit = rows[rows["value_text"].str.contains("E-05")]
    assert len(hit) == 3 and set(hit["flag"]) == {"value"}
    assert sorted(hit["value"]) == [1e-05, 2e-05, 4e-05]


def test_snapshot_years_come_from_the_fetch_time(snapshot) -> None:
    """05-08 readings fetched 2020-05-08 are 2020; a stopped station's last 09-09 reading is from 2019."""
    _, rows, _ = snapshot
    assert one(rows, "喇嘛湾", "do")["obs_time"].year == 2020
    li_tun = one(rows, "李屯", "do")
    assert (li_tun["obs_time"], li_tun["site_status"]) == (pd.Timestamp("2019-09-09 08:00"), "停站")
    assert rows["obs_time"].max() <= pd.Timestamp("2020-05-08 16:00")
    assert (rows["fetched_at"] == pd.Timestamp("2020-05-08 16:00")).all()


def test_snapshot_same_name_and_time_twice_is_a_warning(snapshot) -> None:
    """Two different 临淮乡 sections (江苏, 淮河流域) at 05-08 15:00: both kept, reported as a warning."""
    _, rows, parsed = snapshot
    repeated = [i for i in parsed.issues if i.rule == "parse.repeated_reading"]
    assert [(i.source_line, i.severity) for i in repeated] == [(543, "warning")]
    assert "line 537" in repeated[0].reason and "differ" in repeated[0].reason
    assert len(rows[(rows["section_name"] == "临淮乡") & (rows["parameter"] == "do")]) == 2


# --- reading time (RULES §2.2) ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("label", "fetched", "expected"), [
    ("05-08 12:00", "2020-05-08T16:00", "2020-05-08T12:00"),
    ("09-09 08:00", "2020-05-08T16:00", "2019-09-09T08:00"),   # more than a day ahead in 2020 -> 2019
    ("12-31 20:00", "2021-01-01T01:00", "2020-12-31T20:00"),   # New Year: last year's evening
    ("01-02 01:00", "2021-01-01T01:00", "2021-01-02T01:00"),   # exactly one day after: still this year
    ("01-02 01:01", "2021-01-01T01:00", "2020-01-02T01:01"),   # more than one day after: a year back
    # The rule only looks forward: 2020-01-01 is not after the fetch, so the year stays 2020 — a reading one
    # hour "ahead" across New Year (clock skew) is read as almost a year old. RULES §2.2 as written.
    ("01-01 00:00", "2020-12-31T23:00", "2020-01-01T00:00"),
    ("02-29 12:00", "2021-03-01T08:00", "2020-02-29T12:00"),   # no 2021-02-29: the leap year before
])
def test_reading_time(label: str, fetched: str, expected: str) -> None:
    assert reading_time(label, datetime.fromisoformat(fetched)) == datetime.fromisoformat(expected)


@pytest.mark.parametrize("label", ["*", "", "5-8 12:00", "13-01 00:00", "05-08 24:00", "2020-05-08 12:00"])
def test_reading_time_rejects_malformed_labels(label: str) -> None:
    assert reading_time(label, datetime(2020, 5, 8, 16)) is None


def test_new_year_capture_parses_into_the_previous_year() -> None:
    parsed = parse(csv_bytes(line("头道拐", "12-31 20:00", VALUES), line("头道拐", "01-01 00:00", VALUES)),
                   "water_realtime_20210101T010000.csv")
    assert sorted(set(parsed.rows["obs_time"])) == [pd.Timestamp("2020-12-31 20:00"), pd.Timestamp("2021-01-01")]


# --- the April 2021 CSV captures ------------------------------------------------------------------------------

def test_every_csv_capture_parses() -> None:
    files = csv_files()
    assert len(files) == 13
    for path in files:
        parsed = parse(path.read_bytes())
        assert [i for i in parsed.issues if i.severity == "error"] == [], path.name
        with_time = [n for n, text in parsed.lines.items() if text.split(",")[3] != "*"]
        assert len(parsed.rows) == 11 * len(with_time), path.name
        assert parsed.rows.empty or set(parsed.rows["file_name"]) == {CSV_NAME}


def test_csv_plain_values_and_class() -> None:
    rows = parse(need(CSV_DIR / "黄河流域/头道拐/2021-04/头道拐.csv").read_bytes()).rows
    tp = one(rows, "头道拐", "tp", "2021-04-01 12:00")
    assert (tp["value"], tp["display"], tp["value_text"], tp["flag"]) == (0.215, "0.215", "0.215", "value")
    assert (tp["class_reported"], tp["site_status"], tp["unit"], tp["source_line"]) == ("Ⅳ", "正常", "mg/L", 4)
    chla = one(rows, "头道拐", "chla", "2021-04-01 12:00")
    assert (chla["flag"], chla["display"]) == ("not_measured", "*") and math.isnan(chla["value"])


def test_section_that_did_not_run_gives_warnings_and_no_rows() -> None:
    parsed = parse(need(CSV_DIR / "松花江流域/李屯/2021-04/李屯.csv").read_bytes())
    assert parsed.rows.empty and list(parsed.rows.columns) == list(TIDY_COLUMNS)
    assert [(i.source_line, i.rule, i.severity, i.value_text) for i in parsed.issues] == [
        (n, "parse.no_time", "warning", "*") for n in (2, 3, 4)]
    assert "不具备运行条件" in parsed.issues[0].reason
    assert parsed.issues[0].record == parsed.lines[2]


def test_repeated_captures_are_kept_and_reported() -> None:
    repeated = 0
    warned = 0
    for path in csv_files():
        parsed = parse(path.read_bytes())
        keys = parsed.rows.drop_duplicates("source_line")[["section_name", "obs_time"]]
        repeated += int(keys.duplicated().sum())
        warned += sum(1 for i in parsed.issues if i.rule == "parse.repeated_reading")
    assert repeated > 0 and warned == repeated


def test_maintenance_and_normal_copies_of_one_reading() -> None:
    """卧佛下 04-04 04:00 arrives twice: 维护 with CODMn missing, then 正常 complete — both kept, both quoted."""
    parsed = parse(need(CSV_DIR / "黄河流域/卧佛下/2021-04/卧佛下.csv").read_bytes())
    codmn = parsed.rows[(parsed.rows["parameter"] == "codmn") & (parsed.rows["obs_time"] == "2021-04-04 04:00")]
    assert sorted(zip(codmn["site_status"], codmn["flag"], strict=True)) == [("正常", "value"), ("维护", "missing")]
    issue = next(i for i in parsed.issues if i.rule == "parse.repeated_reading" and "differ" in i.reason)
    assert issue.severity == "warning" and issue.source_line == 18


# --- cells ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "display", "value", "flag"), [
    ("<span title='原始值：7.72043'>7.72</span>", "7.72", 7.72043, "value"),
    ('<span class="x" title="原始值:0.0326">0.033</span>', "0.033", 0.0326, "value"),
    ("<span title='原始值：4E-05'>0.00004</span>", "0.00004", 4e-05, "value"),
    ("0.215", "0.215", 0.215, "value"),
    ("--", "--", math.nan, "missing"),
    ("", "", math.nan, "missing"),
    ("*", "*", math.nan, "not_measured"),
    ("<span title='原始值：35.1（极值过滤）'>35.10</span>", "35.10", math.nan, "filtered"),
    ("<span title='原始值：0.81'>极值过滤</span>", "极值过滤", math.nan, "filtered"),
    ("<span title='原始值：abc'>7.7</span>", "7.7", math.nan, "unparsable"),
    ("<span>7.7</span>", "7.7", math.nan, "unparsable"),
    ("n/a", "n/a", math.nan, "unparsable"),
    ("nan", "nan", math.nan, "unparsable"),
])
def test_read_cell(cell: str, display: str, value: float, flag: str) -> None:
    got = read_cell(cell)
    assert (got[0], got[2]) == (display, flag)
    assert got[1] == value or (math.isnan(got[1]) and math.isnan(value))


def test_filtered_cell_in_a_capture_is_a_row_not_a_value() -> None:
    cells = VALUES.replace("0.045", "<span title='极值过滤'>--</span>")
    rows = parse(csv_bytes(line("头道拐", "04-01 04:00", cells))).rows
    tp = one(rows, "头道拐", "tp")
    assert tp["flag"] == "filtered" and math.isnan(tp["value"])


# --- bad input ------------------------------------------------------------------------------------------------

def test_gbk_bytes_raise_parse_error_naming_the_byte() -> None:
    gbk = (HEADER + "\r\n" + line("头道拐", "04-01 04:00", VALUES)).encode("gbk")
    with pytest.raises(ParseError, match=r"not UTF-8 text \(byte 2: ") as info:  # 省 in GBK is valid UTF-8
        parse(gbk)
    assert info.value.file == CSV_NAME and info.value.line == 1


@pytest.mark.parametrize("cut", [5000, 4999, 20000])
def test_truncated_json_raises_with_the_position(cut: int) -> None:
    """5000 bytes ends inside a 3-byte character: still reported as truncated JSON, not as another encoding."""
    raw = need(SNAPSHOT).read_bytes()[:cut]
    with pytest.raises(ParseError, match=r"not valid JSON .*line 1 column \d+ \(char \d+") as info:
        parse(raw, JSON_NAME)
    assert info.value.file == JSON_NAME


@pytest.mark.parametrize("content", [b"", b"  \r\n", b"\xef\xbb\xbf"])
def test_empty_content_raises(content: bytes) -> None:
    with pytest.raises(ParseError, match="empty file.*line 1 column 1"):
        parse(content, JSON_NAME)


def test_json_without_tbody_raises() -> None:
    with pytest.raises(ParseError, match="thead/tbody"):
        parse(b'{"result": 0, "msg": "busy"}', JSON_NAME)


@pytest.mark.parametrize(("header", "named"), [
    (HEADER.replace("溶解氧(mg/L)", "溶氧(mg/L)"), "溶氧"),
    (HEADER.replace(",站点情况", ""), "站点情况"),
    (HEADER.replace("总磷(mg/L)", "总氮(mg/L)"), "总氮.*twice"),
    (HEADER.replace("省份", "省"), "'省'"),
])
def test_wrong_header_raises_naming_the_header(header: str, named: str) -> None:
    content = (header + "\r\n" + line("头道拐", "04-01 04:00", VALUES)).encode()
    with pytest.raises(ParseError, match=named) as info:
        parse(content)
    assert info.value.line == 1


def test_json_header_with_unknown_column_raises() -> None:
    data = json.loads(need(SNAPSHOT).read_bytes())
    data["thead"][7] = "溶解氧饱和度<br/><span class='unit'>(%)</span>"
    with pytest.raises(ParseError, match="溶解氧饱和度"):
        parse(json.dumps(data, ensure_ascii=False).encode(), JSON_NAME)


def test_row_with_a_missing_field_is_a_row_issue_and_the_rest_parses() -> None:
    short = line("头道拐", "04-01 08:00", VALUES.rsplit(",", 1)[0])
    parsed = parse(csv_bytes(line("头道拐", "04-01 04:00", VALUES), short, line("头道拐", "04-01 12:00", VALUES)))
    errors = [(i.source_line, i.rule, i.record, i.values_lost) for i in parsed.issues if i.severity == "error"]
    assert errors == [(3, "parse.field_count", short, 11)]
    assert sorted(set(parsed.rows["source_line"])) == [2, 4] and len(parsed.rows) == 22
    assert parsed.lines[3] == short


def test_json_row_with_a_missing_cell_is_a_row_issue() -> None:
    data = json.loads(need(SNAPSHOT).read_bytes())
    data["tbody"][10] = data["tbody"][10][:-1]
    parsed = parse(json.dumps(data, ensure_ascii=False).encode(), JSON_NAME)
    assert [(i.source_line, i.rule) for i in parsed.issues if i.severity == "error"] == [(11, "parse.field_count")]
    assert len(parsed.rows) == 1900 * 11


def test_malformed_time_on_a_normal_row_is_an_error() -> None:
    parsed = parse(csv_bytes(line("头道拐", "04-01 4:00", VALUES), line("头道拐", "*", VALUES),
                             line("头道拐", "*", VALUES, status="维护", klass="*")))
    assert [(i.source_line, i.rule, i.severity, i.column_name) for i in parsed.issues] == [
        (2, "parse.bad_time", "error", "监测时间"), (3, "parse.no_time", "error", "监测时间"),
        (4, "parse.no_time", "warning", "监测时间")]
    assert parsed.rows.empty


# --- names, polling, parameters, landing ----------------------------------------------------------------------

def test_fetch_time_round_trips_through_the_file_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOFLOW_WATER_FEED_MODE", "relay")
    remote = ADAPTER.poll_file(datetime(2021, 1, 1, 1, 0, 5))
    assert (remote.name, remote.path, remote.form) == ("water_realtime_20210101T010005.json", "realtime.json", None)
    assert fetch_time_from_name(remote.name) == datetime(2021, 1, 1, 1, 0, 5)
    assert fetch_time_from_name("water_realtime_20210406T000000.csv") == datetime(2021, 4, 6)


@pytest.mark.parametrize("name", ["头道拐.csv", "water_realtime_2021-04-06.json", "water_realtime_20211306T000000.csv",
                                  "water_realtime_20210406T000000.txt"])
def test_names_without_a_fetch_time_raise(name: str) -> None:
    with pytest.raises(ParseError, match="water_realtime_YYYYmmddTHHMMSS|not a valid date"):
        fetch_time_from_name(name)


def test_files_per_period_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="polling"):
        ADAPTER.files(Period.parse("2021-04"))


def test_expectation_parameters() -> None:
    params = ADAPTER.expectation_parameters(None, JSON_NAME)
    assert params["parameters"] == list(PARAMETERS) and len(PARAMETERS) == 11
    assert params["latest_time"] == "2020-05-09T16:00:00"
    assert {"正常", "维护", "停站", "不具备运行条件"} <= set(params["statuses"])
    assert {"", "*", "劣Ⅴ"} <= set(params["classes"])


def test_landing_frame_columns(snapshot) -> None:
    _, rows, _ = snapshot
    frame = ADAPTER.landing_frame(rows.head(50), batch_id="b1", period="2020-05", file_name=JSON_NAME)
    assert list(frame.columns) == [
        "batch_id", "period", "file_name", "source_line", "province", "basin", "section_name", "obs_time",
        "fetched_at", "parameter", "unit", "value", "value_text", "display", "flag", "site_status", "class_reported",
            "city", "river", "water_body_hint"]
    assert frame["source_line"].dtype == "int32" and frame["value"].dtype == "float64"
    assert (frame["batch_id"] == "b1").all() and len(frame) == 50


# --- validation (Great Expectations) --------------------------------------------------------------------------

def test_suite_runs_on_the_snapshot_and_reports_a_bad_ph_by_row_id(snapshot, tmp_path: Path) -> None:
    from tasks.validate.runner import validate

    _, rows, _ = snapshot
    frame = rows.copy()
    bad = int(frame.loc[frame["parameter"] == "ph", "row_id"].iloc[100])
    frame.loc[frame["row_id"] == bad, "value"] = 15.2
    outcome = validate(frame, suite="water_readings", row_key="row_id",
                       parameters=ADAPTER.expectation_parameters(None, JSON_NAME), gx_root=tmp_path, run_name="x")
    errors = {f.rule: f.row_ids for f in outcome.failures if f.severity == "error"}
    assert errors == {"water.range_ph": (bad,)}
    warnings = {f.rule: f.row_ids for f in outcome.failures if f.severity == "warning"}
    over_20 = frame[(frame["parameter"] == "do") & (frame["value"] > 20)]["row_id"]
    assert set(warnings) == {"water.plausible_do"} and set(warnings["water.plausible_do"]) == set(over_20)
    assert not outcome.success


def test_counter_of_statuses_in_csvs() -> None:
    statuses = Counter()
    for path in csv_files():
        statuses.update(text.rsplit(",", 1)[1] for text in parse(path.read_bytes()).lines.values())
    assert set(statuses) == {"正常", "维护", "不具备运行条件"}
