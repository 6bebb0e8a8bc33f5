"""CnemcAirAdapter.parse on a real CNEMC daily file (CRLF, no final newline) and on damaged copies of it."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest

from tasks.core.errors import ParseError
from tasks.sources.cnemc_air import CnemcAirAdapter

ROOT = Path(__file__).resolve().parents[2]
NAME = "china_sites_20190101.csv"
REAL = (ROOT / "demo" / "data" / "cnemc_air" / "inner_mongolia_2019-01" / NAME).read_bytes()


def parse(content: bytes, name: str = NAME):
    return CnemcAirAdapter().parse(name, content)


def data_lines(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))[1:]


def non_empty_cells(lines: list[list[str]]) -> int:
    return sum(1 for fields in lines for cell in fields[3:] if cell != "")


def test_real_file_has_the_expected_shape() -> None:
    # Guards the premises of the tests below: CRLF line ends and no newline at the end of the file.
    assert b"\r\n" in REAL and b"\n" not in REAL.replace(b"\r\n", b"")
    assert not REAL.endswith(b"\n")


def test_one_tidy_row_per_non_empty_station_cell() -> None:
    parsed = parse(REAL)
    lines = data_lines(REAL)
    assert len(lines) == 15 * 24
    assert parsed.issues == []
    assert len(parsed.rows) == non_empty_cells(lines)
    assert (parsed.rows["value_text"] != "").all()
    assert parsed.rows["row_id"].is_unique


def test_tidy_rows_keep_station_hour_type_and_value() -> None:
    parsed = parse(REAL)
    header = REAL.split(b"\r\n", 1)[0].decode().split(",")
    first = data_lines(REAL)[0]  # line 2: hour 0, AQI
    station, text = next((s, v) for s, v in zip(header[3:], first[3:], strict=True) if v)
    row = parsed.rows[(parsed.rows["source_line"] == 2) & (parsed.rows["station_code"] == station)].iloc[0]
    assert (row["date"], row["hour_num"], row["type"], row["value"]) == ("20190101", 0, first[2], float(text))


def test_line_cut_mid_way_is_a_row_issue_and_the_other_lines_parse() -> None:
    lines = REAL.split(b"\r\n")
    cut_number = 101  # file line number (header = 1)
    cut = lines[cut_number - 1][: len(lines[cut_number - 1]) // 2]
    assert cut.count(b",") + 1 < lines[0].count(b",") + 1
    damaged = b"\r\n".join([*lines[: cut_number - 1], cut, *lines[cut_number:]])
    parsed = parse(damaged)
    errors = [(i.source_line, i.rule, i.record) for i in parsed.issues if i.severity == "error"]
    assert errors == [(cut_number, "parse.field_count", cut.decode())]
    others = [fields for n, fields in enumerate(data_lines(REAL), start=2) if n != cut_number]
    assert len(parsed.rows) == non_empty_cells(others)
    assert cut_number not in set(parsed.rows["source_line"])
    assert parsed.lines[cut_number] == cut.decode()


def test_file_cut_off_at_the_end_keeps_every_complete_line() -> None:
    cut_at = len(REAL) - 40  # inside the last line
    parsed = parse(REAL[:cut_at])
    assert [(i.source_line, i.rule) for i in parsed.issues if i.severity == "error"] == [(361, "parse.field_count")]
    assert len(parsed.rows) == non_empty_cells(data_lines(REAL)[:-1])


def test_a_day_cut_short_is_reported_with_the_hours_it_lacks() -> None:
    """A file cut off in transit loses whole hours; the loss must be visible, not only the broken line."""
    lines = REAL.split(b"\r\n")
    parsed = parse(b"\r\n".join(lines[:1 + 15 * 12] + [lines[1 + 15 * 12][:20]]))  # hours 0-11, then a cut line
    warnings = [i for i in parsed.issues if i.severity == "warning"]
    assert [i.rule for i in warnings] == ["parse.incomplete_day"]
    assert "180 of 360 rows" in warnings[0].reason and "hours absent: 12–23" in warnings[0].reason


def test_a_complete_day_has_no_incomplete_day_warning() -> None:
    assert [i for i in parse(REAL).issues if i.rule == "parse.incomplete_day"] == []


def test_utf8_bom_parses_like_the_plain_file() -> None:
    plain, with_bom = parse(REAL), parse(b"\xef\xbb\xbf" + REAL)
    assert with_bom.issues == []
    assert len(with_bom.rows) == len(plain.rows)
    assert list(with_bom.rows["station_code"].unique()) == list(plain.rows["station_code"].unique())


def test_wrong_header_raises_parse_error_naming_the_file() -> None:
    damaged = b"day" + REAL[len(b"date"):]
    with pytest.raises(ParseError, match=NAME) as info:
        parse(damaged)
    assert info.value.file == NAME and info.value.line == 1


def test_header_without_stations_raises_parse_error() -> None:
    with pytest.raises(ParseError, match=NAME):
        parse(b"date,hour,type\r\n20190101,0,AQI")


@pytest.mark.parametrize("content", [b"", b"\r\n", b"\xef\xbb\xbf"])
def test_empty_file_raises_parse_error_naming_the_file(content: bytes) -> None:
    with pytest.raises(ParseError, match=NAME):
        parse(content)


def test_gbk_bytes_raise_parse_error_naming_the_file() -> None:
    gbk = "date,hour,type,监测点\r\n20190101,0,AQI,12".encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    with pytest.raises(ParseError, match=NAME) as info:
        parse(gbk)
    assert info.value.line == 1


def test_o3_24h_is_filled_only_on_o3_rows() -> None:
    rows = parse(REAL).rows
    o3 = rows[rows["type"] == "O3"]
    assert rows.loc[rows["type"] != "O3", "o3_24h"].isna().all()
    assert o3["o3_24h"].notna().any()
    source = rows[rows["type"] == "O3_24h"].set_index(["hour", "station_code"])["value"]
    for r in o3.itertuples():
        expected = source.get((r.hour, r.station_code))
        if expected is None:
            assert math.isnan(r.o3_24h)
        else:
            assert r.o3_24h == expected
