"""Damaged files: each gives a precise error or quarantine entry, and nothing stored earlier is lost.

Every test starts from a clean small period landed (two real days of January 2019, the rest of the month not
published; landed once a run and copied into each test's home), then damages the second day's file as the feed
serves it and runs the period again.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest

from demo.feed_server import FeedServer
from tasks.core import settings
from tasks.core.errors import EcoflowError, ParseError, ValidationFailed
from tasks.core.periods import Period
from tasks.flow import pipeline
from tests.conftest import REAL_MONTH

JAN = "2019-01"
D1, D2 = "china_sites_20190101.csv", "china_sites_20190102.csv"


def query(sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def period_state() -> dict[str, list[tuple]]:
    return {
        "raw": query("SELECT * FROM raw.cnemc_air_hourly WHERE period = ? ORDER BY ALL", [JAN]),
        "daily": query("SELECT * FROM marts.air_daily WHERE obs_date BETWEEN '2019-01-01' AND '2019-01-31' "
                       "ORDER BY ALL"),
        "indicators": query("SELECT * FROM marts.indicator_values WHERE period = ? ORDER BY ALL", [JAN]),
    }


def cells_of(file_name: str) -> set[tuple]:
    """Landed rows of one file, without the batch id (which changes with the bytes)."""
    return set(query("SELECT source_line, obs_date, hour, type, station_code, value FROM raw.cnemc_air_hourly "
                     "WHERE file_name = ?", [file_name]))


class Feed:
    """A feed of the first two days of January 2019 whose second file a test can rewrite between runs."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self.server = FeedServer(folder, last_day=date(2019, 1, 2)).start()
        monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", self.server.url)

    def run(self) -> pipeline.RunSummary:
        return pipeline.run(settings.load(), "air", Period.parse(JAN))

    def lines(self) -> list[list[str]]:
        text = (self.folder / D2).read_bytes().decode()
        return [line.split(",") for line in text.split("\r\n")]

    def write(self, rows: list[list[str]]) -> None:
        (self.folder / D2).write_bytes("\r\n".join(",".join(r) for r in rows).encode())


def _clean_period(home: Path, mp: pytest.MonkeyPatch) -> None:
    files = home.parent / "feed"
    shutil.copytree(REAL_MONTH, files)
    feed = Feed(files, mp)
    try:
        feed.run()
    finally:
        feed.server.stop()


@pytest.fixture
def feed(eco_env, air_files, monkeypatch, built_home):
    """The clean period landed (made once a run, each test on its own copy) and the feed serving its files."""
    built_home("bad-inputs-clean-period", _clean_period, eco_env)
    feed = Feed(air_files, monkeypatch)
    yield feed
    feed.server.stop()


def line_of(rows: list[list[str]], hour: int, kind: str) -> int:
    """Index in `rows` (= 1-based file line number - 1) of the line for that hour and type."""
    return next(i for i, r in enumerate(rows) if r[1:3] == [str(hour), kind])


def filled(row: list[str], header: list[str]) -> list[str]:
    """Station codes of the non-empty cells of a line."""
    return [code for code, value in zip(header[3:], row[3:], strict=True) if value != ""]


# ---- whole-file problems: the batch stops, the period is not landed, the previous rows stay --------------

def _damaged_run_keeps_period(feed: Feed, damage: Callable[[Path], None]) -> EcoflowError:
    """Damage the second day, re-run: the run fails and the period's landed state is exactly as before."""
    before = period_state()
    assert before["raw"] and before["indicators"]
    damage(feed.folder / D2)
    with pytest.raises(EcoflowError) as err:
        feed.run()
    assert period_state() == before
    (status,), = query("SELECT status FROM meta.runs ORDER BY started_at DESC LIMIT 1")
    assert status == "rejected"  # by the run's safe review policy: logged, the provider told
    assert query("SELECT option, decided_by, via FROM review.decisions") == [("reject", "policy:safe", "policy")]
    assert query("SELECT rule FROM quarantine.row_issues WHERE file_name = ?", [D2]) == [("parse.file",)]
    return err.value


def _assert_parse_error(error: EcoflowError) -> None:
    """errors.py: a whole unreadable file (encoding, header) is a ParseError, carrying the file name."""
    assert isinstance(error, ParseError), f"expected ParseError, got {type(error).__name__}: {error}"
    assert error.file == D2


def test_gbk_file_is_a_parse_error_and_keeps_the_period(feed) -> None:
    def to_gbk(path: Path) -> None:
        path.write_bytes(path.read_bytes().replace(b"1090A", "监测".encode("gbk"), 1))

    error = _damaged_run_keeps_period(feed, to_gbk)
    assert D2 in str(error)
    assert "UTF-8" in str(error)
    _assert_parse_error(error)


def test_empty_file_is_a_parse_error_and_keeps_the_period(feed) -> None:
    error = _damaged_run_keeps_period(feed, lambda path: path.write_bytes(b""))
    assert D2 in str(error)
    assert "empty" in str(error)
    _assert_parse_error(error)


def test_wrong_header_is_a_parse_error_and_keeps_the_period(feed) -> None:
    def rename_columns(path: Path) -> None:
        path.write_bytes(path.read_bytes().replace(b"date,hour,type,", b"datum,stunde,typ,", 1))

    error = _damaged_run_keeps_period(feed, rename_columns)
    assert D2 in str(error)
    assert "header" in str(error)
    _assert_parse_error(error)


# ---- row problems: the rows are quarantined with their rule, the rest of the file lands ------------------

def _assert_quarantined(rule: str, expected: set[tuple[int, str]], value_text: str | None = None) -> None:
    """`expected` = {(source_line, station_code)} held back by `rule` from the second day's file."""
    found = query("SELECT file_name, source_line, column_name, value_text, severity, reason FROM "
                  "quarantine.row_issues WHERE rule = ? AND file_name = ?", [rule, D2])
    assert {(line, column) for _, line, column, _, _, _ in found} == expected
    assert len(found) == len(expected)
    assert all(severity == "error" and reason for _, _, _, _, severity, reason in found)
    if value_text is not None:
        assert {v for _, _, _, v, _, _ in found} == {value_text}
    (batch_id,), = query("SELECT DISTINCT batch_id FROM quarantine.row_issues WHERE rule = ?", [rule])
    lines = dict(query("SELECT source_line, record FROM quarantine.source_lines WHERE batch_id = ?", [batch_id]))
    assert {line for line, _ in expected} <= set(lines)


def _assert_landed_without(before_d1: set, before_d2: set, removed: set[tuple[int, str]]) -> None:
    assert cells_of(D1) == before_d1
    after = cells_of(D2)
    assert after == {c for c in before_d2 if (c[0], c[4]) not in removed}
    assert {(c[0], c[4]) for c in after} & removed == set()
    (status,), = query("SELECT status FROM meta.batches WHERE file_name = ? ORDER BY fetched_at DESC LIMIT 1",
                       [D2])
    assert status == "landed"


def test_negative_value_is_quarantined_and_the_rest_lands(feed) -> None:
    before_d1, before_d2 = cells_of(D1), cells_of(D2)
    rows = feed.lines()
    i = line_of(rows, 6, "PM2.5")
    stations = filled(rows[i], rows[0])[:2]
    for code in stations:
        rows[i][rows[0].index(code)] = "-5"
    feed.write(rows)
    feed.run()

    removed = {(i + 1, code) for code in stations}
    _assert_quarantined("air.value_non_negative", removed, "-5")
    _assert_landed_without(before_d1, before_d2, removed)


def test_non_numeric_value_is_quarantined_and_the_rest_lands(feed) -> None:
    before_d1, before_d2 = cells_of(D1), cells_of(D2)
    rows = feed.lines()
    i = line_of(rows, 7, "NO2")
    code = filled(rows[i], rows[0])[0]
    rows[i][rows[0].index(code)] = "abc"
    feed.write(rows)
    feed.run()

    _assert_quarantined("air.value_numeric", {(i + 1, code)}, "abc")
    _assert_landed_without(before_d1, before_d2, {(i + 1, code)})


def test_duplicate_row_is_quarantined_whole_and_the_rest_lands(feed) -> None:
    before_d1, before_d2 = cells_of(D1), cells_of(D2)
    rows = feed.lines()
    i = line_of(rows, 8, "SO2")
    rows.append(list(rows[i]))  # the same date, hour and type a second time, at the end of the file
    copy = len(rows)
    feed.write(rows)
    feed.run()

    codes = filled(rows[i], rows[0])
    expected = {(line, code) for line in (i + 1, copy) for code in codes}
    _assert_quarantined("air.one_value_per_station_hour_type", expected)
    _assert_landed_without(before_d1, before_d2, expected)


def test_unknown_station_column_is_quarantined_and_the_rest_lands(feed) -> None:
    before_d1, before_d2 = cells_of(D1), cells_of(D2)
    rows = feed.lines()
    col = rows[0].index("3061A")
    rows[0][col] = "9999Z"
    feed.write(rows)
    feed.run()

    lines = {n + 1 for n, r in enumerate(rows[1:], start=1) if r[col] != ""}
    assert lines
    _assert_quarantined("air.known_station", {(n, "9999Z") for n in lines})
    _assert_landed_without(before_d1, before_d2, {(n, "3061A") for n in lines})


# ---- a batch beyond the allowed share of bad rows stops before landing -------------------------------------

def test_batch_beyond_max_bad_share_lands_nothing(feed, monkeypatch) -> None:
    monkeypatch.setenv("ECOFLOW_MAX_BAD_SHARE", "0.01")
    before = period_state()
    rows = feed.lines()
    header = rows[0]
    total = sum(1 for r in rows[1:] for v in r[3:] if v != "")
    bad = 0
    for hour in range(24):
        r = rows[line_of(rows, hour, "PM2.5")]
        for code in filled(r, header):
            r[header.index(code)] = "-" + r[header.index(code)]
            bad += 1
    assert bad / total > 0.01
    feed.write(rows)

    with pytest.raises(ValidationFailed) as err:
        feed.run()

    message = str(err.value)
    assert D2 in message
    assert f"{bad} of {total}" in message
    assert f"{bad / total:.1%}" in message
    assert "1.0%" in message
    assert period_state() == before
    assert query("SELECT status FROM meta.batches WHERE file_name = ? ORDER BY fetched_at DESC LIMIT 1",
                 [D2]) == [("rejected",)]
