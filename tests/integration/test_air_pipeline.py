"""The air update end to end against a real loopback feed and SMTP sink: faults of the outside world, the
ledger and archive, idempotent re-runs, re-deliveries, and one computed number checked by hand.

Most tests serve only a few days of a month (the other days are 404 = not published, which is not an error)
to keep GX validation time low; the data are the real January 2019 Inner Mongolia files (or days the feed
simulator generates in the same format).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pytest
import requests

from demo import synth
from demo.feed_server import FeedServer
from tasks.cli import commands as cli
from tasks.core import settings
from tasks.core.errors import EcoflowError, FetchError
from tasks.core.periods import Period
from tasks.flow import pipeline

JAN = "2019-01"
HOHHOT = "150100"
HOHHOT_STATIONS = ["1090A", "1091A", "1092A", "1093A", "1094A", "1095A", "1096A", "1097A"]


def day_file(day: date) -> str:
    return f"china_sites_{day:%Y%m%d}.csv"


D1, D2, D3 = (day_file(date(2019, 1, d)) for d in (1, 2, 3))


def run_air(monkeypatch: pytest.MonkeyPatch, url: str, period: str = JAN) -> pipeline.RunSummary:
    monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", url)
    return pipeline.run(settings.load(), "air", Period.parse(period))


def query(sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def table(name: str, where: str = "TRUE", params: list | None = None) -> list[tuple]:
    """Full contents of a table (names here are fixed literals), sorted."""
    return query(f"SELECT * FROM {name} WHERE {where} ORDER BY ALL", params)


def period_state(period: str) -> dict[str, list[tuple]]:
    """What a period's landing and computation produced: raw rows, daily facts, indicator values."""
    first = Period.parse(period).first_day
    last = Period.parse(period).last_day
    return {
        "raw": table("raw.cnemc_air_hourly", "period = ?", [period]),
        "daily": table("marts.air_daily", "obs_date BETWEEN ? AND ?", [first, last]),
        "indicators": table("marts.indicator_values", "period = ?", [period]),
    }


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\r\n")


def test_http_500s_are_retried_and_the_file_lands(eco_env, air_files, monkeypatch) -> None:
    with FeedServer(air_files, last_day=date(2019, 1, 1), fail_first={D1: 2}) as srv:
        summary = run_air(monkeypatch, srv.url)
        assert srv.hits(D1) == 3
        assert [r.status for r in srv.request_log if r.path == f"/{D1}"] == [500, 500, 200]

    assert summary.fetched == 1
    (status, http_status, attempts), = query(
        "SELECT status, http_status, http_attempts FROM meta.batches WHERE file_name = ?", [D1])
    assert status == "landed"
    assert http_status == 200
    assert attempts >= 3
    assert query("SELECT count(*) FROM raw.cnemc_air_hourly WHERE file_name = ?", [D1])[0][0] > 0


def test_404_day_is_recorded_missing_and_listed_by_status(eco_env, air_files, monkeypatch, capsys) -> None:
    with FeedServer(air_files, last_day=date(2019, 1, 3), missing={D2}) as srv:
        summary = run_air(monkeypatch, srv.url)

    assert D2 in summary.missing
    assert query("SELECT status, http_status FROM meta.batches WHERE file_name = ?", [D2]) == [("missing", 404)]
    assert query("SELECT file_name FROM meta.batches WHERE status = 'landed' ORDER BY 1") == [(D1,), (D3,)]
    by_day = dict(query("SELECT obs_date, count(*) FROM raw.cnemc_air_hourly GROUP BY 1"))
    assert set(by_day) == {date(2019, 1, 1), date(2019, 1, 3)}
    assert all(n > 0 for n in by_day.values())

    capsys.readouterr()
    assert cli.main(["status", "--period", JAN]) == 0
    out = capsys.readouterr().out
    missing_line = next(line for line in out.splitlines() if "missing (not published)" in line)
    assert D2 in missing_line
    assert D1 not in missing_line and D3 not in missing_line


def _timeout_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOFLOW_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("ECOFLOW_HTTP_RETRIES", "1")


def test_timeout_fails_the_run_naming_the_file_and_lands_nothing(eco_env, air_files, monkeypatch) -> None:
    _timeout_env(monkeypatch)
    with FeedServer(air_files, last_day=date(2019, 1, 2), delay={D2: 4}) as srv:
        with pytest.raises(FetchError) as err:
            run_air(monkeypatch, srv.url)
        assert srv.hits(D2) == 2  # ECOFLOW_HTTP_RETRIES=1: the first try and one retry, both timed out

    assert D2 in str(err.value)
    assert D1 not in str(err.value)
    assert query("SELECT status, http_status, http_attempts FROM meta.batches WHERE file_name = ?", [D2]) == [
        ("failed", None, 2)]
    assert query("SELECT count(*) FROM raw.cnemc_air_hourly WHERE period = ?", [JAN]) == [(0,)]
    assert query("SELECT count(*) FROM marts.indicator_values WHERE period = ?", [JAN]) == [(0,)]
    assert query("SELECT count(*) FROM meta.batches WHERE status = 'landed'") == [(0,)]
    assert query("SELECT status FROM meta.runs") == [("failed",)]


def test_timeout_leaves_an_earlier_landing_intact(eco_env, air_files, monkeypatch) -> None:
    with FeedServer(air_files, last_day=date(2019, 1, 2)) as srv:
        run_air(monkeypatch, srv.url)
    before = period_state(JAN)
    assert before["raw"] and before["indicators"]

    _timeout_env(monkeypatch)
    with FeedServer(air_files, last_day=date(2019, 1, 2), delay={D2: 4}) as srv, \
            pytest.raises(FetchError, match=D2):
        run_air(monkeypatch, srv.url)

    assert period_state(JAN) == before
    assert query("SELECT status FROM meta.runs ORDER BY started_at") == [("computed",), ("failed",)]


def test_truncated_file_quarantines_the_cut_line_and_lands_the_rest(eco_env, air_files, monkeypatch) -> None:
    lines = lines_of(air_files / D2)
    cut_number = 151                                   # 1-based line number in the file (header = 1)
    start = sum(len(line) + 2 for line in lines[: cut_number - 1])
    cut_line = lines[cut_number - 1][: len(lines[cut_number - 1]) // 2]
    assert cut_line.count(b",") < lines[0].count(b",")  # really mid-line
    with FeedServer(air_files, last_day=date(2019, 1, 2), truncate={D2: start + len(cut_line)}) as srv:
        run_air(monkeypatch, srv.url)

    issues = query("SELECT batch_id, file_name, source_line, severity FROM quarantine.row_issues "
                   "WHERE rule = 'parse.field_count'")
    assert [(f, n, s) for _, f, n, s in issues] == [(D2, cut_number, "error")]
    batch_id = issues[0][0]
    assert query("SELECT record FROM quarantine.source_lines WHERE batch_id = ? AND source_line = ?",
                 [batch_id, cut_number]) == [(cut_line.decode(),)]
    assert query("SELECT count(*) FROM raw.cnemc_air_hourly WHERE obs_date = ?", [date(2019, 1, 2)])[0][0] > 0
    assert query("SELECT max(source_line) FROM raw.cnemc_air_hourly WHERE file_name = ?", [D2]) == [
        (cut_number - 1,)]
    assert query("SELECT status FROM meta.batches WHERE file_name = ?", [D2]) == [("landed",)]


def test_raw_bytes_are_archived_before_parsing(eco_env, air_files, monkeypatch) -> None:
    # the second day cannot be parsed at all: its bytes must be archived all the same
    damaged = (air_files / D2).read_bytes().replace(b"1090A", "监测".encode("gbk"), 1)
    (air_files / D2).write_bytes(damaged)
    with FeedServer(air_files, last_day=date(2019, 1, 2)) as srv:
        served = {name: requests.get(f"{srv.url}/{name}", timeout=5).content for name in (D1, D2)}
        with pytest.raises(EcoflowError, match=D2):
            run_air(monkeypatch, srv.url)

    archive_dir = settings.load().archive_dir
    for name, body in served.items():
        (sha, archive_path, size), = query(
            "SELECT sha256, archive_path, size_bytes FROM meta.batches WHERE file_name = ?", [name])
        path = Path(archive_path)
        assert path.is_relative_to(archive_dir)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha == hashlib.sha256(body).hexdigest()
        assert size == len(body)


def test_same_period_twice_leaves_the_warehouse_identical(eco_env, air_files, monkeypatch, smtp_sink) -> None:
    period = "2025-01"
    days = [day_file(date(2025, 1, d)) for d in (1, 2)]
    # the second day arrives cut off in its last line (a derived type): the pollutant hours stay complete
    body = synth.generate_day(date(2025, 1, 2), FeedServer(air_files).stations)
    cut = len(body) - len(body.rsplit(b"\r\n", 1)[1]) // 2
    with FeedServer(air_files, last_day=date(2025, 1, 2), truncate={days[1]: cut}) as srv:
        first = run_air(monkeypatch, srv.url, period)
        tables = ("raw.cnemc_air_hourly", "quarantine.row_issues", "quarantine.source_lines",
                  "marts.indicator_values", "marts.air_daily")
        before = {name: table(name) for name in tables}
        sent = len(smtp_sink.messages)
        second = run_air(monkeypatch, srv.url, period)
        after = {name: table(name) for name in tables}

    assert first.alerts_sent > 0 and sent == len(first.eml_files)  # one digest per recipient
    assert second.alerts_sent == 0
    assert len(smtp_sink.messages) == sent
    landed = query("SELECT file_name, count(*), count(DISTINCT batch_id), count(DISTINCT run_id) "
                   "FROM meta.batches WHERE status = 'landed' GROUP BY 1 ORDER BY 1")
    assert landed == [(name, 2, 1, 2) for name in days]
    assert query("SELECT count(*) FROM meta.batches") == [(2 * 31,)]
    assert query("SELECT status, count(*) FROM meta.runs GROUP BY 1") == [("computed", 2)]
    assert all(before[name] for name in tables)  # something to compare, in every table
    for name in tables:
        assert after[name] == before[name], f"{name} differs after re-running {period} on the same bytes"


def test_redelivered_day_replaces_only_its_period(eco_env, air_files, monkeypatch) -> None:
    jan_unserved = {day_file(date(2019, 1, d)) for d in range(3, 32)}
    feb_unserved = {day_file(date(2019, 2, d)) for d in range(2, 29)}
    with FeedServer(air_files, last_day=date(2019, 2, 28), missing=jan_unserved | feb_unserved) as srv:
        run_air(monkeypatch, srv.url, JAN)
        run_air(monkeypatch, srv.url, "2019-02")
        feb_raw = table("raw.cnemc_air_hourly", "period = '2019-02'")
        feb_daily = table("marts.air_daily", "obs_date >= DATE '2019-02-01'")
        jan_d1 = table("raw.cnemc_air_hourly", "file_name = ?", [D1])
        (old_batch,), = query("SELECT DISTINCT batch_id FROM raw.cnemc_air_hourly WHERE file_name = ?", [D2])
        jan_count = query("SELECT count(*) FROM raw.cnemc_air_hourly WHERE period = ?", [JAN])[0][0]

        # the publisher corrects one value of 2019-01-02: PM2.5 at 1090A, hour 5
        lines = lines_of(air_files / D2)
        col = lines[0].decode().split(",").index("1090A")
        number = next(i for i, line in enumerate(lines) if line.startswith(b"20190102,5,PM2.5,"))
        cells = lines[number].decode().split(",")
        assert cells[col] != "999"
        cells[col] = "999"
        lines[number] = ",".join(cells).encode()
        (air_files / D2).write_bytes(b"\r\n".join(lines))
        run_air(monkeypatch, srv.url, JAN)

    assert table("raw.cnemc_air_hourly", "period = '2019-02'") == feb_raw
    assert table("marts.air_daily", "obs_date >= DATE '2019-02-01'") == feb_daily
    assert table("raw.cnemc_air_hourly", "file_name = ?", [D1]) == jan_d1
    (new_batch,), = query("SELECT DISTINCT batch_id FROM raw.cnemc_air_hourly WHERE file_name = ?", [D2])
    assert new_batch != old_batch
    assert query("SELECT count(*) FROM raw.cnemc_air_hourly WHERE batch_id = ?", [old_batch]) == [(0,)]
    assert query("SELECT count(*) FROM raw.cnemc_air_hourly WHERE period = ?", [JAN])[0][0] == jan_count
    assert query("SELECT value FROM raw.cnemc_air_hourly WHERE obs_date = DATE '2019-01-02' AND hour = 5 "
                 "AND type = 'PM2.5' AND station_code = '1090A'") == [(999.0,)]


def test_hohhot_daily_pm25_matches_a_hand_computation(eco_env, air_files, monkeypatch) -> None:
    """RULES.md §1.4-1.5: city hour = mean of its evaluation stations, valid with >= ceil(8/2) of them; the
    day's mean = mean of the valid city hours, valid with >= 20 of them."""
    day = date(2019, 1, 1)
    with FeedServer(air_files, last_day=day) as srv:
        run_air(monkeypatch, srv.url)

    placeholders = ",".join("?" * len(HOHHOT_STATIONS))
    rows = query(f"SELECT hour, value FROM raw.cnemc_air_hourly WHERE obs_date = ? AND type = 'PM2.5' "
                 f"AND station_code IN ({placeholders})", [day, *HOHHOT_STATIONS])
    by_hour: dict[int, list[float]] = defaultdict(list)
    for hour, value in rows:
        by_hour[hour].append(value)
    needed = math.ceil(len(HOHHOT_STATIONS) / 2)
    city_hours = [sum(v) / len(v) for _, v in sorted(by_hour.items()) if len(v) >= needed]
    assert len(city_hours) >= 20
    expected = sum(city_hours) / len(city_hours)
    # a pooled mean over all station-hours would differ: some stations miss some hours that day
    pooled = sum(v for _, v in rows) / len(rows)
    assert not math.isclose(expected, pooled, rel_tol=1e-6)

    (pm25, n_pm25), = query("SELECT pm25, n_pm25 FROM marts.air_daily WHERE entity_kind = 'region' "
                            "AND entity_code = ? AND obs_date = ? AND variant = 'raw'", [HOHHOT, day])
    assert n_pm25 == len(city_hours)
    assert pm25 == pytest.approx(expected, rel=1e-12)


def test_files_validated_together_keep_their_own_findings(eco_env, air_files, monkeypatch) -> None:
    """Consecutive days go through one GX run (ECOFLOW_VALIDATION_ROWS): each finding still lands on its own file
    and line, the good rows of every day land, and a row dated another day is caught as before."""
    d2 = lines_of(air_files / D2)
    wrong_date = next(i for i, line in enumerate(d2) if line.startswith(b"20190102,7,PM10,"))
    d2[wrong_date] = d2[wrong_date].replace(b"20190102,", b"20190103,", 1)   # a row of day 2 dated day 3
    (air_files / D2).write_bytes(b"\r\n".join(d2))
    d3 = lines_of(air_files / D3)
    negative = next(i for i, line in enumerate(d3) if line.startswith(b"20190103,9,SO2,"))
    fields = d3[negative].split(b",")
    first = next(j for j in range(3, len(fields)) if fields[j])
    fields[first] = b"-4"
    d3[negative] = b",".join(fields)
    (air_files / D3).write_bytes(b"\r\n".join(d3))
    with FeedServer(air_files, last_day=date(2019, 1, 3)) as srv:
        summary = run_air(monkeypatch, srv.url)

    found = query("SELECT file_name, source_line, rule, count(*) FROM quarantine.row_issues "
                  "WHERE severity = 'error' GROUP BY ALL ORDER BY ALL")
    nonempty = sum(1 for cell in d2[wrong_date].split(b",")[3:] if cell)
    assert found == [(D2, wrong_date + 1, "air.date_matches_file", nonempty),
                     (D3, negative + 1, "air.value_non_negative", 1)]
    pages = {b.report_path for b in summary_batches(summary)}
    assert len(pages) == 1 and next(iter(pages)).exists()        # one validation, one page, for the three days
    landed = dict(query("SELECT file_name, count(*) FROM raw.cnemc_air_hourly GROUP BY ALL"))
    assert landed[D1] == 15378 and landed[D2] == 15644 - nonempty and landed[D3] == 15661 - 1


def summary_batches(summary: pipeline.RunSummary) -> list:
    """The run's batches as the ledger recorded them (file, report page)."""
    rows = query("SELECT file_name, report_path FROM meta.batches WHERE run_id = ? AND status = 'landed'",
                 [summary.run_id])
    return [type("Batch", (), {"file_name": f, "report_path": Path(p)}) for f, p in rows]
