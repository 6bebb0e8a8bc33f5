"""Surface water end to end: polls of the real-time feed through a loopback HTTP server, the archive and ledger,
the year of 监测时间, quarantine, dedup of a reading captured by several polls, replays, and the monthly
evaluation checked against numbers derived here from the real samples (RULES.md §2).

Real data only: the national snapshot of 2020-05-08 (served byte for byte), and the per-section CSV captures of
2021-04-01…05 that ``demo.water_publisher`` replays as the feed showed them. Expected values are derived in this
file from those files with the json and csv modules and GB 3838-2002 Table 1 (written out below), never taken
from the product's output.

Two module fixtures keep the suite quick: one live poll of the 2020-05-08 snapshot, and 4-hourly polls over
2021-04-01…05 followed by the month's evaluation.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from http import HTTPStatus
from pathlib import Path

import duckdb
import pytest

from demo.feed_server import FeedServer
from demo.smtp_sink import SmtpSink
from demo.water_publisher import WaterPublisher
from tasks.cli import commands as cli
from tasks.compute import water as water_compute
from tasks.core import settings
from tasks.core.errors import ConfigError, ParseError
from tasks.core.periods import Period
from tasks.flow import pipeline
from tasks.flow.warehouse import writer

ROOT = Path(__file__).resolve().parents[2]
WATER_DATA = ROOT / "demo" / "data" / "cnemc_water"
SNAPSHOT = WATER_DATA / "2020-05-08.json"
CAPTURES = WATER_DATA / "water_quality_by_name" / "内蒙古自治区"
CATALOGUE = ROOT / "warehouse" / "catalogue"
FEED_NAME = "realtime.json"
IM = "内蒙古自治区"
SNAPSHOT_AS_OF = datetime(2020, 5, 8, 16, 0)
SNAPSHOT_POLL_FILE = "water_realtime_20200508T160000.json"
APRIL = "2021-04"
WINDOW_FIRST, WINDOW_LAST = datetime(2021, 4, 1, 0, 0), datetime(2021, 4, 5, 23, 0)
WATER_INDICATORS = ("water_good_ratio", "water_worse_v_ratio")

# The feed's columns: 6 descriptive columns and 11 parameter cells (5…15), in the real response's order.
TIME_COL, CLASS_COL, STATUS_COL = 3, 4, 16
PARAMETER_COLUMNS = {5: "water_temp", 6: "ph", 7: "do", 8: "conductivity", 9: "turbidity", 10: "codmn",
                     11: "nh3n", 12: "tp", 13: "tn", 14: "chla", 15: "algae"}
LABEL = re.compile(r"(\d\d)-(\d\d) (\d\d):(\d\d)")
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")

# GB 3838-2002 Table 1, class Ⅰ…Ⅴ limits of the items the automatic stations measure (rivers; lakes and
# reservoirs have their own TP limits). DO is a minimum, pH a range (6–9 = Ⅰ, else 劣Ⅴ), the rest maximums;
# closed bounds. 水温, 总氮, conductivity, turbidity, chlorophyll-a and algal density do not decide the class.
GB3838_MAX = {"codmn": ("2", "4", "6", "10", "15"), "nh3n": ("0.15", "0.5", "1.0", "1.5", "2.0"),
              "tp": ("0.02", "0.1", "0.2", "0.3", "0.4")}
GB3838_LAKE_TP = ("0.01", "0.025", "0.05", "0.1", "0.2")
GB3838_DO_MIN = ("7.5", "6", "5", "3", "2")


# -- independent derivations -------------------------------------------------------------------------------------

def gb3838_class(parameter: str, mean: Decimal, water_body: str) -> int | None:
    """Class 1…6 of one mean, or None for items that are not evaluated."""
    if parameter == "ph":
        return 1 if Decimal(6) <= mean <= Decimal(9) else 6
    if parameter == "do":
        return next((i for i, limit in enumerate(GB3838_DO_MIN, 1) if mean >= Decimal(limit)), 6)
    limits = GB3838_LAKE_TP if parameter == "tp" and water_body == "lake" else GB3838_MAX.get(parameter)
    if limits is None:
        return None
    return next((i for i, limit in enumerate(limits, 1) if mean <= Decimal(limit)), 6)


def is_number(text: str) -> bool:
    return NUMBER.fullmatch(text.strip()) is not None


def label_time(label: str, year: int) -> datetime | None:
    match = LABEL.fullmatch(label.strip())
    return datetime(year, *(int(g) for g in match.groups())) if match else None


def capture_file(section: str) -> Path:
    [path] = CAPTURES.glob(f"*/{section}/2021-04/{section}.csv")
    return path


def capture_rows(section: str) -> list[list[str]]:
    """The CSV capture's data rows, in capture order."""
    with capture_file(section).open(encoding="utf-8-sig", newline="") as fh:
        return [row for row in list(csv.reader(fh))[1:] if row]


def all_capture_sections() -> list[str]:
    return sorted(p.parent.parent.name for p in CAPTURES.glob("*/*/2021-04/*.csv"))


def feed_shows(section: str, clock: datetime) -> tuple[datetime, list[str]] | None:
    """What the real-time feed shows for a section at `clock`: its latest timed reading at or before the clock.
    A time captured twice shows its later capture (the feed's revision), as demo.water_publisher documents."""
    by_time: dict[datetime, list[str]] = {}
    for row in capture_rows(section):
        when = label_time(row[TIME_COL], 2021)
        if when is not None:
            by_time[when] = row
    shown = [t for t in by_time if t <= clock]
    return (max(shown), by_time[max(shown)]) if shown else None


def poll_times() -> list[datetime]:
    times, when = [], WINDOW_FIRST
    while when <= WINDOW_LAST:
        times.append(when)
        when += timedelta(hours=4)
    return times


@dataclass
class Expected:
    """A section's month as RULES §2 defines it, from the copies of its readings the polls saw."""

    readings: int
    readings_all: int
    means: dict[str, Decimal]
    water_class: int | None
    seen_times: set[datetime] = field(default_factory=set)


def expected_month(section: str, polls: list[datetime], water_body: str = "river") -> Expected:
    copies: dict[datetime, list[list[str]]] = defaultdict(list)
    for clock in polls:
        shown = feed_shows(section, clock)
        if shown is not None:
            copies[shown[0]].append(shown[1])
    kept = {}
    for when, rows in copies.items():  # one copy per time: a 正常 one if any poll saw it so, else the latest
        normal = [r for r in rows if r[STATUS_COL] == "正常"]
        kept[when] = normal[-1] if normal else rows[-1]
    valid = [row for row in kept.values() if row[STATUS_COL] == "正常"]
    sums: dict[str, list[Decimal]] = defaultdict(list)
    for row in valid:
        for index, code in PARAMETER_COLUMNS.items():
            if is_number(row[index]):
                sums[code].append(Decimal(row[index]))
    means = {code: sum(values) / len(values) for code, values in sums.items()}
    classes = [c for code, mean in means.items() if (c := gb3838_class(code, mean, water_body)) is not None]
    return Expected(len(valid), len(kept), means, max(classes) if classes else None, set(kept))


def assessment_list(region: str, year: int) -> set[tuple[str, str, str]]:
    """(province, basin, section name) of a region's 考核断面 in force in `year`, from the CSV catalogue."""
    with (CATALOGUE / "water_sections.csv").open(encoding="utf-8", newline="") as fh:
        sections = {r["section_code"]: (r["province"], r["basin"], r["section_name"]) for r in csv.DictReader(fh)}
    with (CATALOGUE / "water_assessment.csv").open(encoding="utf-8", newline="") as fh:
        return {sections[r["section_code"]] for r in csv.DictReader(fh)
                if r["region_code"] == region and int(r["from_year"]) <= year
                and (not r["to_year"] or int(r["to_year"]) >= year)}


def water_body(section: str) -> str:
    """river or lake (lakes and reservoirs: their own TP limits), from the CSV catalogue."""
    with (CATALOGUE / "water_sections.csv").open(encoding="utf-8", newline="") as fh:
        return next(r["water_body"] for r in csv.DictReader(fh) if r["section_name"] == section)


def json_row(csv_row: list[str]) -> list[str]:
    """A CSV capture row as the JSON response shows it: numbers in a 原始值 tooltip, --/* plain."""
    cells = [c if not is_number(c) else f"<span title='原始值：{c}'>{c}</span>" for c in csv_row[5:16]]
    return [*csv_row[:5], *cells, csv_row[16]]


def response(rows: list[list[str]]) -> bytes:
    thead = json.loads(SNAPSHOT.read_bytes())["thead"]
    return json.dumps({"result": 1, "total": 1, "records": len(rows), "thead": thead, "tbody": rows},
                      ensure_ascii=False).encode("utf-8")


class FixedPublisher:
    """A publisher that serves whatever body it is given as realtime.json (404 for anything else)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def respond(self, name: str) -> tuple[int, bytes, str]:
        if name.lstrip("/") != FEED_NAME:
            return HTTPStatus.NOT_FOUND, b"not found\n", "text/plain"
        return HTTPStatus.OK, self.body, "application/json; charset=utf-8"

    def describe(self) -> str:
        return f"{FEED_NAME}: a fixed body of {len(self.body)} bytes"


@pytest.fixture(autouse=True)
def _relay_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """The feed is asked as a relay (GET realtime.json), which these tests are about."""
    monkeypatch.setenv("ECOFLOW_WATER_FEED_MODE", "relay")


# -- warehouse access --------------------------------------------------------------------------------------------

def query_at(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def query(sql: str, params: list | None = None) -> list[tuple]:
    return query_at(settings.load().home, sql, params)


def capture(as_of: datetime) -> tuple[str, object]:
    return pipeline.capture(settings.load(), "water", as_of=as_of, trigger="test")


def run_cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def reading_set(home: Path, file_name: str) -> set[tuple]:
    return set(query_at(home, "SELECT province, basin, section_name, obs_time, parameter, value, flag, site_status "
                              "FROM raw.water_readings WHERE file_name = ?", [file_name]))


@contextlib.contextmanager
def isolated_home(base: Path) -> Iterator[tuple[pytest.MonkeyPatch, SmtpSink]]:
    """ECOFLOW_HOME and SMTP for a module fixture (eco_env is per test)."""
    with pytest.MonkeyPatch.context() as mp, SmtpSink(base / "smtp-outbox") as sink:
        mp.setenv("ECOFLOW_HOME", str(base / "home"))
        mp.setenv("ECOFLOW_HTTP_TIMEOUT", "5")
        mp.setenv("ECOFLOW_HTTP_RETRIES", "3")
        mp.setenv("ECOFLOW_WATER_FEED_MODE", "relay")  # these tests GET realtime.json; the platform's POST:
        # tests/integration/test_water_platform.py
        mp.setenv("AIRFLOW_CONN_ECOFLOW_SMTP", f"smtp://127.0.0.1:{sink.port}?disable_ssl=true&disable_tls=true"
                                               "&from_email=ecoflow%40example.gov.cn")
        yield mp, sink


# -- module fixtures ---------------------------------------------------------------------------------------------

@dataclass
class SnapshotPoll:
    home: Path
    run_id: str
    result: object
    hits: int
    log: list


@pytest.fixture(scope="module")
def snapshot_poll(tmp_path_factory: pytest.TempPathFactory) -> SnapshotPoll:
    """One live poll of the real 2020-05-08 snapshot at 16:00."""
    base = tmp_path_factory.mktemp("water-snapshot")
    with isolated_home(base) as (mp, _), FeedServer(publisher=WaterPublisher(clock=SNAPSHOT_AS_OF)) as srv:
        mp.setenv("ECOFLOW_WATER_FEED_URL", srv.url)
        run_id, result = capture(SNAPSHOT_AS_OF)
        return SnapshotPoll(base / "home", run_id, result, srv.hits(FEED_NAME), srv.request_log)


@dataclass
class AprilPolls:
    home: Path
    polls: list[datetime]
    summary: pipeline.RunSummary


@pytest.fixture(scope="module")
def april(tmp_path_factory: pytest.TempPathFactory) -> AprilPolls:
    """4-hourly polls over 2021-04-01T00:00…04-05T23:00 (publisher clock = as_of), then the month's evaluation."""
    base = tmp_path_factory.mktemp("water-april")
    polls = poll_times()
    with isolated_home(base) as (mp, _), FeedServer(publisher=WaterPublisher(clock=polls[0])) as srv:
        mp.setenv("ECOFLOW_WATER_FEED_URL", srv.url)
        for when in polls:
            srv.publisher.clock = when
            capture(when)
        assert srv.hits(FEED_NAME) == len(polls)
        summary = pipeline.run(settings.load(), "water", Period.parse(APRIL), trigger="test")
    return AprilPolls(base / "home", polls, summary)


@pytest.fixture
def april_home(april: AprilPolls, monkeypatch: pytest.MonkeyPatch) -> AprilPolls:
    monkeypatch.setenv("ECOFLOW_HOME", str(april.home))
    monkeypatch.delenv("AIRFLOW_CONN_ECOFLOW_SMTP", raising=False)
    return april


def section_month(home: Path, section: str) -> tuple:
    rows = query_at(home, "SELECT readings, readings_all, parameter_means, water_class FROM marts.water_section_month "
                          "WHERE section_name = ? AND period = ?", [section, APRIL])
    assert len(rows) == 1, f"{section}: {rows}"
    return rows[0]


# -- 1. one poll of the real snapshot ----------------------------------------------------------------------------

def test_a_poll_of_the_real_snapshot_is_archived_byte_for_byte_and_recorded(snapshot_poll: SnapshotPoll) -> None:
    served = SNAPSHOT.read_bytes()
    assert snapshot_poll.hits == 1
    assert [tuple(r) for r in snapshot_poll.log] == [(f"/{FEED_NAME}", 200)]
    [(file_name, status, sha, size, archive_path, http_status)] = query_at(
        snapshot_poll.home, "SELECT file_name, status, sha256, size_bytes, archive_path, http_status "
                            "FROM meta.batches WHERE run_id = ?", [snapshot_poll.run_id])
    assert file_name == SNAPSHOT_POLL_FILE  # the fetch time 2020-05-08 16:00:00 in the name
    assert status == "landed" and http_status == 200
    archived = Path(archive_path)
    assert archived.name.endswith(SNAPSHOT_POLL_FILE)
    assert archived.read_bytes() == served
    assert sha == hashlib.sha256(served).hexdigest() == hashlib.sha256(archived.read_bytes()).hexdigest()
    assert size == len(served)
    assert query_at(snapshot_poll.home, "SELECT status FROM meta.runs WHERE run_id = ?",
                    [snapshot_poll.run_id]) == [("landed",)]


def test_the_snapshot_lands_one_row_per_parameter_cell_of_every_timed_row(snapshot_poll: SnapshotPoll) -> None:
    data = json.loads(SNAPSHOT.read_bytes())
    parameter_cells = len(data["thead"]) - 6
    timed = [row for row in data["tbody"] if LABEL.fullmatch(row[TIME_COL])]
    expected = len(timed) * parameter_cells
    expected_im = sum(1 for row in timed if row[0] == IM) * parameter_cells
    assert expected_im == 28 * 11  # 28 Inner Mongolia sections in the snapshot, 11 parameters each

    assert query_at(snapshot_poll.home, "SELECT count(*) FROM raw.water_readings") == [(expected,)]
    assert query_at(snapshot_poll.home, "SELECT count(*) FROM raw.water_readings WHERE province = ?",
                    [IM]) == [(expected_im,)]
    assert query_at(snapshot_poll.home, "SELECT rows_landed, rows_rejected FROM meta.batches") == [(expected, 0)]
    assert snapshot_poll.result.rows_landed == expected


def test_snapshot_values_come_from_the_tooltip_and_missing_cells_are_null(snapshot_poll: SnapshotPoll) -> None:
    def cell(section: str, parameter: str) -> list[tuple]:
        return query_at(snapshot_poll.home, "SELECT obs_time, value, display, flag FROM raw.water_readings "
                                            "WHERE section_name = ? AND parameter = ?", [section, parameter])

    # 喇嘛湾 溶解氧: <span title='原始值：5.70371'>5.70</span>, 监测时间 05-08 12:00
    assert cell("喇嘛湾", "do") == [(datetime(2020, 5, 8, 12, 0), 5.70371, "5.70", "value")]
    # 喇嘛湾 NH3-N shows 0.195, the raw value is 0.19496
    assert cell("喇嘛湾", "nh3n") == [(datetime(2020, 5, 8, 12, 0), 0.19496, "0.195", "value")]
    # 喇嘛湾 叶绿素α is "--"
    assert cell("喇嘛湾", "chla") == [(datetime(2020, 5, 8, 12, 0), None, "--", "missing")]
    # 李屯 shows its last reading 09-09 08:00: in 2020 that would be months after the fetch, so it is 2019
    assert {r[0] for r in cell("李屯", "ph")} == {datetime(2019, 9, 9, 8, 0)}
    bad_missing = query_at(snapshot_poll.home, "SELECT count(*) FROM raw.water_readings "
                                               "WHERE flag = 'missing' AND value IS NOT NULL")
    assert bad_missing == [(0,)]


# -- 2. faults of the outside world ------------------------------------------------------------------------------

def test_http_500s_are_retried_and_the_poll_lands(eco_env, monkeypatch) -> None:
    clock = datetime(2021, 4, 2, 8, 0)
    with FeedServer(publisher=WaterPublisher(clock=clock), fail_first={FEED_NAME: 2}) as srv:
        monkeypatch.setenv("ECOFLOW_WATER_FEED_URL", srv.url)
        run_id, result = capture(clock)
        assert srv.hits(FEED_NAME) == 3
        assert [r.status for r in srv.request_log] == [500, 500, 200]

    assert query("SELECT status, http_status, http_attempts FROM meta.batches WHERE run_id = ?",
                 [run_id]) == [("landed", 200, 3)]
    shown = [s for s in all_capture_sections() if feed_shows(s, clock)]
    assert query("SELECT count(*) FROM raw.water_readings") == [(len(shown) * 11,)]
    assert result.rows_landed == len(shown) * 11


def test_a_truncated_response_lands_nothing_and_keeps_the_earlier_poll(eco_env, monkeypatch) -> None:
    earlier, later = datetime(2021, 4, 2, 4, 0), datetime(2021, 4, 2, 8, 0)
    with FeedServer(publisher=WaterPublisher(clock=earlier)) as srv:
        monkeypatch.setenv("ECOFLOW_WATER_FEED_URL", srv.url)
        capture(earlier)
    before = query("SELECT * FROM raw.water_readings ORDER BY ALL")
    assert before

    body = WaterPublisher(clock=later).render()
    cut = body.index(b"<span", len(body) // 2) + 3          # inside a cell's HTML, i.e. inside a JSON string
    text = body[:cut].decode("utf-8")
    with pytest.raises(json.JSONDecodeError) as where:
        json.loads(text)
    with FeedServer(publisher=WaterPublisher(clock=later), truncate={FEED_NAME: cut}) as srv:
        monkeypatch.setenv("ECOFLOW_WATER_FEED_URL", srv.url)
        with pytest.raises(ParseError):
            capture(later)

    poll_file = "water_realtime_20210402T080000.json"
    [(status, size, message)] = query("SELECT status, size_bytes, message FROM meta.batches WHERE file_name = ?",
                                      [poll_file])
    assert status == "failed" and size == cut
    position = f"line {where.value.lineno} column {where.value.colno}"
    assert position in message
    [(rule, line, reason)] = query("SELECT rule, source_line, reason FROM quarantine.row_issues "
                                   "WHERE file_name = ?", [poll_file])
    assert rule == "parse.file" and line == where.value.lineno
    assert position in reason and f"char {where.value.pos} of {len(text)}" in reason
    assert query("SELECT count(*) FROM raw.water_readings WHERE file_name = ?", [poll_file]) == [(0,)]
    assert query("SELECT * FROM raw.water_readings ORDER BY ALL") == before
    assert query("SELECT status FROM meta.runs ORDER BY started_at") == [("landed",), ("failed",)]


def test_an_unconfigured_feed_names_the_variable_to_set(eco_env, monkeypatch) -> None:
    monkeypatch.delenv("ECOFLOW_WATER_FEED_URL", raising=False)
    monkeypatch.delenv("ECOFLOW_WATER_FEED_CONN_ID", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_ECOFLOW_WATER_FEED", raising=False)
    with pytest.raises(ConfigError, match="ECOFLOW_WATER_FEED_URL"):
        capture(datetime(2021, 4, 2, 8, 0))
    assert query("SELECT count(*) FROM meta.batches") == [(0,)]
    assert query("SELECT count(*) FROM raw.water_readings") == [(0,)]
    [(status, message)] = query("SELECT status, message FROM meta.runs")
    assert status == "failed" and "ECOFLOW_WATER_FEED_URL" in message


# -- 3. the month from 4-hourly polls ----------------------------------------------------------------------------

@pytest.mark.parametrize("section", ["头道拐", "卧佛下", "总排干入黄口"])
def test_the_month_of_a_section_matches_its_captured_readings(april_home: AprilPolls, section: str) -> None:
    expected = expected_month(section, april_home.polls, water_body(section))
    # Every reading of the capture is on a 4-hour mark, so the 4-hourly polls saw each of them at least once.
    csv_times = {t for row in capture_rows(section) if (t := label_time(row[TIME_COL], 2021))}
    assert all(t.hour % 4 == 0 and t.minute == 0 for t in csv_times)
    assert expected.seen_times == csv_times

    readings, readings_all, means_json, water_class = section_month(april_home.home, section)
    assert (readings, readings_all) == (expected.readings, expected.readings_all)
    means = json.loads(means_json)
    assert set(means) == set(expected.means)
    for parameter, mean in expected.means.items():
        assert means[parameter] == pytest.approx(float(mean), abs=5e-7), parameter
    assert water_class == expected.water_class


def test_the_three_sections_give_what_the_rules_say(april_home: AprilPolls) -> None:
    """Spelled out for the three sections, so a wrong derivation above cannot pass unnoticed."""
    tdg = expected_month("头道拐", april_home.polls)
    assert (tdg.readings, tdg.readings_all) == (20, 21)     # 04-02 12:00 is 维护
    assert tdg.water_class == 2                             # TP mean 0.0211 > 0.02 (class Ⅰ limit)
    wfx = expected_month("卧佛下", april_home.polls)
    assert (wfx.readings, wfx.readings_all) == (17, 20)     # 04-04 04:00 counts once, as 正常
    assert wfx.water_class == 1
    zpg = expected_month("总排干入黄口", april_home.polls)
    assert (zpg.readings, zpg.readings_all, zpg.means, zpg.water_class) == (0, 25, {}, None)  # 维护 throughout


def test_every_section_with_a_timed_reading_is_evaluated(april_home: AprilPolls) -> None:
    with_readings = {s for s in all_capture_sections() if any(feed_shows(s, c) for c in april_home.polls)}
    assert "李屯" not in with_readings  # only * rows (不具备运行条件): nothing to place in time
    rows = query_at(april_home.home, "SELECT section_name, readings_all FROM marts.water_section_month "
                                     "WHERE period = ?", [APRIL])
    assert {name for name, _ in rows} == with_readings
    for name, readings_all in rows:
        assert readings_all == expected_month(name, april_home.polls).readings_all, name
    polls_with_readings = [c for c in april_home.polls if any(feed_shows(s, c) for s in with_readings)]
    assert len(polls_with_readings) == len(april_home.polls) - 1  # at 04-01 00:00 nothing was published yet
    assert april_home.summary.fetched == len(polls_with_readings)


# -- 4. dedup ----------------------------------------------------------------------------------------------------

def test_capturing_the_same_poll_twice_replaces_its_own_rows(eco_env, monkeypatch) -> None:
    clock = datetime(2021, 4, 2, 8, 0)
    with FeedServer(publisher=WaterPublisher(clock=clock)) as srv:
        monkeypatch.setenv("ECOFLOW_WATER_FEED_URL", srv.url)
        capture(clock)
        first = query("SELECT * FROM raw.water_readings ORDER BY ALL")
        capture(clock)
        assert srv.hits(FEED_NAME) == 2
    assert first and query("SELECT * FROM raw.water_readings ORDER BY ALL") == first
    shown = [s for s in all_capture_sections() if feed_shows(s, clock)]
    assert len(first) == len(shown) * 11
    batches = query("SELECT status, batch_id FROM meta.batches")
    assert len(batches) == 2 and {s for s, _ in batches} == {"landed"} and len({b for _, b in batches}) == 1


def test_a_reading_seen_by_several_polls_is_stored_each_time_and_counted_once(april_home: AprilPolls) -> None:
    reading = datetime(2021, 4, 1, 16, 0)
    seen_by = [c for c in april_home.polls if (shown := feed_shows("头道拐", c)) and shown[0] == reading]
    assert len(seen_by) > 1  # 头道拐 has nothing newer until 04-02 12:00
    rows = query_at(april_home.home, "SELECT count(*), count(DISTINCT file_name) FROM raw.water_readings "
                                     "WHERE section_name = '头道拐' AND obs_time = ?", [reading])
    assert rows == [(len(seen_by) * 11, len(seen_by))]
    kept = query_at(april_home.home, "SELECT count(DISTINCT parameter), count(*) FROM staging.stg_water__readings "
                                     "WHERE section_name = '头道拐' AND obs_time = ?", [reading])
    assert kept == [(11, 11)]
    readings, _, _, _ = section_month(april_home.home, "头道拐")
    assert readings == expected_month("头道拐", april_home.polls).readings  # counted once


def test_a_normal_copy_wins_over_a_later_maintenance_copy_of_the_same_reading(eco_env, monkeypatch) -> None:
    """卧佛下 04-04 04:00 was captured as 维护 (CODMn, NH3-N, TP, TN --) and as 正常: here the feed first shows
    the 正常 copy and later the 维护 one; the reading counts once, as 正常, with the 正常 copy's values."""
    copies = [r for r in capture_rows("卧佛下") if r[TIME_COL] == "04-04 04:00"]
    normal = next(r for r in copies if r[STATUS_COL] == "正常")
    maintenance = next(r for r in copies if r[STATUS_COL] == "维护")
    publisher = FixedPublisher(response([json_row(normal)]))
    with FeedServer(publisher=publisher) as srv:
        monkeypatch.setenv("ECOFLOW_WATER_FEED_URL", srv.url)
        capture(datetime(2021, 4, 4, 4, 0))
        publisher.body = response([json_row(maintenance)])
        capture(datetime(2021, 4, 4, 8, 0))
    assert query("SELECT site_status, count(*) FROM raw.water_readings GROUP BY 1 ORDER BY 1") == [
        ("正常", 11), ("维护", 11)]
    pipeline.run(settings.load(), "water", Period.parse(APRIL), trigger="test")

    [(readings, readings_all, means_json, water_class)] = query(
        "SELECT readings, readings_all, parameter_means, water_class FROM marts.water_section_month "
        "WHERE section_name = '卧佛下'")
    assert (readings, readings_all) == (1, 1)
    expected = {code: float(normal[i]) for i, code in PARAMETER_COLUMNS.items() if is_number(normal[i])}
    assert json.loads(means_json) == pytest.approx(expected)
    assert expected["codmn"] == 0.25  # the 维护 copy has no CODMn at all
    worst = max(gb3838_class(p, Decimal(normal[i]), "river") or 0 for i, p in PARAMETER_COLUMNS.items()
                if is_number(normal[i]))
    assert water_class == worst


# -- 5. replays --------------------------------------------------------------------------------------------------

def test_replaying_the_saved_snapshot_lands_what_the_live_poll_landed(eco_env, snapshot_poll, capsys) -> None:
    code, out, err = run_cli(capsys, "run", "water-capture", "--file", str(SNAPSHOT), "--as-of", "2020-05-08T16:00")
    assert code == 0, err
    [(file_name, status, sha)] = query("SELECT file_name, status, sha256 FROM meta.batches")
    assert status == "landed" and file_name in out
    assert file_name.startswith("water_realtime_20200508T160000") and file_name != SNAPSHOT_POLL_FILE
    assert sha == hashlib.sha256(SNAPSHOT.read_bytes()).hexdigest()
    replayed = reading_set(settings.load().home, file_name)
    live = reading_set(snapshot_poll.home, SNAPSHOT_POLL_FILE)
    assert replayed and replayed == live


def test_replaying_without_as_of_is_a_one_line_error(eco_env, capsys) -> None:
    code, out, err = run_cli(capsys, "run", "water-capture", "--file", str(SNAPSHOT))
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ecoflow: error:") and "--as-of" in lines[0]


def test_replaying_a_csv_capture_gives_its_readings_the_fetch_year(eco_env, capsys) -> None:
    path = capture_file("头道拐")
    code, _, err = run_cli(capsys, "run", "water-capture", "--file", str(path), "--as-of", "2021-04-06T08:00")
    assert code == 0, err
    times = {t for row in capture_rows("头道拐") if (t := label_time(row[TIME_COL], 2021))}
    landed = query("SELECT DISTINCT obs_time FROM raw.water_readings")
    assert {t for (t,) in landed} == times
    assert query("SELECT DISTINCT period FROM raw.water_readings") == [(APRIL,)]


def test_a_reading_of_new_years_eve_fetched_on_new_years_day_keeps_the_old_year(eco_env, tmp_path, capsys) -> None:
    data = json.loads(SNAPSHOT.read_bytes())
    row = list(data["tbody"][0])
    row[TIME_COL] = "12-31 20:00"
    path = tmp_path / "new-year.json"
    path.write_bytes(json.dumps({**data, "records": 1, "tbody": [row]}, ensure_ascii=False).encode("utf-8"))
    code, _, err = run_cli(capsys, "run", "water-capture", "--file", str(path), "--as-of", "2021-01-01T01:00")
    assert code == 0, err
    assert query("SELECT DISTINCT obs_time, period FROM raw.water_readings") == [
        (datetime(2020, 12, 31, 20, 0), "2021-01")]
    assert query("SELECT count(*), min(section_name), max(section_name) FROM raw.water_readings") == [
        (11, row[2], row[2])]


def test_two_files_with_the_same_name_replayed_at_the_same_time_both_land(eco_env, tmp_path, capsys) -> None:
    # the captures are kept one folder per month with the same file name: 新发/2021-04/新发.csv, 新发/2021-05/…
    lines = capture_file("新发").read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "a" / "新发.csv", tmp_path / "b" / "新发.csv"
    for path, body in ((first, lines[1:4]), (second, lines[10:13])):
        path.parent.mkdir()
        path.write_text("\n".join([lines[0], *body]) + "\n", encoding="utf-8")
    for path in (first, second):
        code, _, err = run_cli(capsys, "run", "water-capture", "--file", str(path), "--as-of", "2021-04-06T08:00")
        assert code == 0, err
    expected = {t for row in [r.split(",") for r in lines[1:4] + lines[10:13]]
                if (t := label_time(row[TIME_COL], 2021))}
    assert {t for (t,) in query("SELECT DISTINCT obs_time FROM raw.water_readings")} == expected
    assert query("SELECT count(DISTINCT file_name) FROM raw.water_readings") == [(2,)]


def test_several_files_replayed_in_one_call_are_each_a_run_in_the_order_given(eco_env, capsys) -> None:
    sections = ("头道拐", "新发")
    args = [a for section in sections for a in ("--file", str(capture_file(section)))]
    code, out, err = run_cli(capsys, "run", "water-capture", *args, "--as-of", "2021-04-06T08:00", "--json")
    assert code == 0, err
    runs = json.loads(out)
    assert [len(r["files"]) for r in runs] == [1, 1] and len({r["run_id"] for r in runs}) == 2
    for run, section in zip(runs, sections, strict=True):
        [(count,)] = query("SELECT count(*) FROM raw.water_readings WHERE file_name = ?", [run["files"][0]])
        assert count == run["rows_landed"] > 0 and section in run["files"][0]
    started = query("SELECT run_id FROM meta.runs WHERE source = 'water' ORDER BY started_at")
    assert [r for (r,) in started] == [r["run_id"] for r in runs]


def test_a_missing_file_among_several_is_refused_before_any_lands(eco_env, tmp_path, capsys) -> None:
    code, out, err = run_cli(capsys, "run", "water-capture", "--file", str(capture_file("头道拐")), "--file",
                             str(tmp_path / "gone.csv"), "--as-of", "2021-04-06T08:00")
    assert code == 2 and out == ""
    assert "gone.csv" in err and "no such file" in err
    assert not (settings.load().home / "warehouse.duckdb").exists() or \
        query("SELECT count(*) FROM raw.water_readings") == [(0,)]


def test_a_file_that_stops_its_run_stops_the_command_and_the_earlier_runs_are_still_said(eco_env, tmp_path,
                                                                                         capsys) -> None:
    bad = tmp_path / "不是水质.csv"
    bad.write_text("监测时间,断面名称\n04-06 08:00,头道拐\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "run", "water-capture", "--file", str(capture_file("头道拐")), "--file",
                             str(bad), "--file", str(capture_file("新发")), "--as-of", "2021-04-06T08:00", "--json")
    assert code != 0 and "不是水质" in err
    [landed] = json.loads(out)                                   # the first file's run, as it landed
    assert "头道拐" in landed["files"][0] and landed["rows_landed"] > 0
    files = {f for (f,) in query("SELECT DISTINCT file_name FROM raw.water_readings")}
    assert files == set(landed["files"])                         # the third file was not tried


def test_a_stale_reading_lands_in_its_own_month_with_a_warning(snapshot_poll: SnapshotPoll) -> None:
    # 李屯's last reading in the 2020-05-08 snapshot is 09-09 08:00: RULES §2.2 makes it 2019-09-09
    [(rule, severity, column, value)] = query_at(
        snapshot_poll.home, "SELECT q.rule, q.severity, q.column_name, q.value_text FROM quarantine.row_issues AS q "
        "JOIN quarantine.source_lines AS l USING (batch_id, source_line) "
        "WHERE q.rule = 'water.stale_reading' AND l.record LIKE '%内蒙古自治区%李屯%'")
    assert value == "09-09 08:00"
    assert (severity, column) == ("warning", "监测时间")
    landed = query_at(snapshot_poll.home, "SELECT DISTINCT obs_time FROM raw.water_readings WHERE section_name = ?",
                      ["李屯"])
    assert landed == [(datetime(2019, 9, 9, 8, 0),)]


# -- 6. a bad value ----------------------------------------------------------------------------------------------

def test_an_impossible_ph_is_quarantined_and_the_rest_of_the_poll_lands(eco_env, monkeypatch) -> None:
    data = json.loads(SNAPSHOT.read_bytes())
    index = next(i for i, r in enumerate(data["tbody"]) if r[0] == IM and r[2] == "喇嘛湾")
    bad_cell = "<span title='原始值：15.2'>15.20</span>"
    assert data["tbody"][index][6].startswith("<span title='原始值：8.09416'>")  # the pH column
    data["tbody"][index][6] = bad_cell
    timed = sum(1 for r in data["tbody"] if LABEL.fullmatch(r[TIME_COL])) * 11
    with FeedServer(publisher=FixedPublisher(json.dumps(data, ensure_ascii=False).encode("utf-8"))) as srv:
        monkeypatch.setenv("ECOFLOW_WATER_FEED_URL", srv.url)
        run_id, result = capture(SNAPSHOT_AS_OF)

    issues = query("SELECT rule, column_name, source_line, value_text, batch_id FROM quarantine.row_issues "
                   "WHERE severity = 'error'")
    [(rule, column, line, value_text, batch_id)] = issues
    assert rule == "water.range_ph" and column == "ph"
    assert line == index + 1 and value_text == bad_cell  # source line = the row's place in tbody, 1-based
    [(record,)] = query("SELECT record FROM quarantine.source_lines WHERE batch_id = ? AND source_line = ?",
                        [batch_id, line])
    assert json.loads(record) == data["tbody"][index]
    assert query("SELECT count(*) FROM raw.water_readings WHERE section_name = '喇嘛湾' AND parameter = 'ph'") == [
        (0,)]
    assert query("SELECT count(*) FROM raw.water_readings WHERE section_name = '喇嘛湾'") == [(10,)]
    assert query("SELECT count(*) FROM raw.water_readings") == [(timed - 1,)]
    assert query("SELECT status, rows_landed, rows_rejected FROM meta.batches WHERE run_id = ?", [run_id]) == [
        ("landed", timed - 1, 1)]
    assert (result.rows_landed, result.rows_rejected) == (timed - 1, 1)


# -- 7. the monthly evaluation -----------------------------------------------------------------------------------

def _evaluation_state(home: Path) -> dict[str, list[tuple]]:
    return {
        "sections": query_at(home, "SELECT * FROM marts.water_section_month ORDER BY ALL"),
        "indicators": query_at(home, "SELECT * FROM marts.indicator_values WHERE indicator_code IN (?, ?) "
                                     "ORDER BY ALL", list(WATER_INDICATORS)),
    }


def test_evaluating_the_month_again_changes_nothing(april_home: AprilPolls) -> None:
    before = _evaluation_state(april_home.home)
    assert before["sections"] and before["indicators"]
    pipeline.run(settings.load(), "water", Period.parse(APRIL), trigger="test")
    assert _evaluation_state(april_home.home) == before


def test_the_regions_ratios_are_recomputed_from_the_section_months(april_home: AprilPolls) -> None:
    listed = assessment_list("150000", 2021)
    assert len(listed) == 28
    classes = {(p, b, n): c for p, b, n, c in query_at(
        april_home.home, "SELECT province, basin, section_name, water_class FROM marts.water_section_month "
                         "WHERE period = ?", [APRIL])}
    evaluated = {k: c for k, c in classes.items() if k in listed and c is not None}
    good = sum(1 for c in evaluated.values() if c <= 3)
    worse_v = sum(1 for c in evaluated.values() if c == 6)
    assert len(evaluated) == 11  # 12 sections with readings, 总排干入黄口 without a 正常 one

    def ratio(n: int) -> float:
        return float((Decimal(100) * n / len(evaluated)).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))

    rows = query_at(april_home.home, "SELECT indicator_code, period_type, value, numerator, denominator, "
                                     "coverage_unit, coverage_valid, coverage_expected, coverage_ok "
                                     "FROM marts.indicator_values WHERE region_code = '150000' AND period = ? "
                                     "AND indicator_code IN (?, ?) ORDER BY 1, 2", [APRIL, *WATER_INDICATORS])
    expected = [(code, period_type, ratio(n), float(n), float(len(evaluated)), "sections", len(evaluated),
                 len(listed), False)
                for code, n in (("water_good_ratio", good), ("water_worse_v_ratio", worse_v))
                for period_type in ("month", "r12", "ytd")]  # April alone in its year and in its 12 months
    assert rows == expected


def test_rolling_12_months_classify_the_mean_of_the_monthly_means_across_the_year(eco_env) -> None:
    """RULES.md §4: 2021-01's rolling 12 months are 2020-02 … 2021-01, its year to date January alone."""
    listed = sorted(assessment_list("150100", 2021), key=lambda k: k[2])
    assert [k[2] for k in listed] == ["喇嘛湾", "大入黄口", "头道拐"]
    by_name = {k[2]: k for k in listed}
    stored = {  # (section, period): parameter means
        ("头道拐", "2020-12"): {"nh3n": 1.8, "do": 8.0}, ("头道拐", "2021-01"): {"nh3n": 0.4, "do": 8.0},
        ("喇嘛湾", "2020-12"): {"nh3n": 2.5, "do": 7.0},
        ("大入黄口", "2020-01"): {"nh3n": 0.1, "do": 9.0},   # before the 12 months: never counted for 2021-01
    }

    def span_class(section: str, months: set[str]) -> int | None:
        means = [m for (name, period), m in stored.items() if name == section and period in months]
        if not means:
            return None
        return max(gb3838_class(p, sum(Decimal(repr(m[p])) for m in means) / len(means), "river") for p in means[0])

    with writer(settings.load()) as con:
        for (section, period), means in stored.items():
            province, basin, name = by_name[section]
            con.execute("INSERT INTO marts.water_section_month (section_code, province, basin, section_name, period, "
                        "water_body, parameter_means, parameter_classes, readings, readings_all, water_class, "
                        "worst_parameters, rules_version, batch_ids) VALUES (NULL, ?, ?, ?, ?, 'river', ?, '{}', 6, 6, "
                        "?, NULL, 'test', ?)", [province, basin, name, period, json.dumps(means),
                                                span_class(section, {period}), [f"water:{section}:{period}"]])
        water_compute.compute_indicators(con, Period.parse("2021-01"))
        got = {(code, kind): row for code, kind, *row in con.execute(
            "SELECT indicator_code, period_type, value, numerator, denominator, coverage_valid, coverage_expected, "
            "coverage_ok, notes, batch_ids FROM marts.indicator_values WHERE region_code = '150100' "
            "AND period = '2021-01'").fetchall()}
        empty = con.execute("SELECT DISTINCT value, coverage_ok, coverage_valid FROM marts.indicator_values "
                            "WHERE region_code = '150200' AND period = '2021-01' AND period_type = 'r12'").fetchall()

    window = {str(Period(2020, m)) for m in range(2, 13)} | {"2021-01"}
    for kind, months in (("r12", window), ("ytd", {"2021-01"}), ("month", {"2021-01"})):
        classes = {name: span_class(name, months) for name in by_name}
        evaluated = {n: c for n, c in classes.items() if c is not None}
        batches = sorted(f"water:{n}:{p}" for n, p in stored if n in evaluated and p in months)
        for code, n in (("water_good_ratio", sum(c <= 3 for c in evaluated.values())),
                        ("water_worse_v_ratio", sum(c == 6 for c in evaluated.values()))):
            value = float((Decimal(100) * n / len(evaluated)).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))
            missing = "、".join(k[2] for k in listed if k[2] not in evaluated)
            assert got[(code, kind)] == [value, float(n), float(len(evaluated)), len(evaluated), 3, False,
                                         f"not evaluated: {missing}", batches], (code, kind)
    # 头道拐 is Ⅱ in January but Ⅳ over Dec + Jan (NH3-N mean 1.1); 喇嘛湾 is 劣Ⅴ in December only
    assert got[("water_good_ratio", "month")][0] == 100.0 and got[("water_good_ratio", "r12")][0] == 0.0
    assert got[("water_worse_v_ratio", "r12")][:3] == [50.0, 1.0, 2.0]
    assert empty == [(None, False, 0)]   # a region with no section month in the 12 months: a null value


# -- 8. the sections command -------------------------------------------------------------------------------------

def test_water_sections_json_lists_every_section_with_readings(april_home: AprilPolls, capsys) -> None:
    code, out, err = run_cli(capsys, "water", "sections", "--period", APRIL, "--json")
    assert code == 0, err
    rows = json.loads(out)
    with_readings = {s for s in all_capture_sections() if any(feed_shows(s, c) for c in april_home.polls)}
    assert sorted(r["section_name"] for r in rows) == sorted(with_readings)
    for r in rows:
        assert {"section_name", "province", "period", "parameter_means", "readings", "class"} <= set(r)
        assert r["province"] == IM and r["period"] == APRIL
        expected = expected_month(r["section_name"], april_home.polls, water_body(r["section_name"]))
        assert r["readings"] == expected.readings, r["section_name"]
        assert r["class"] == expected.water_class, r["section_name"]
        assert r["parameter_means"] == pytest.approx({k: float(v) for k, v in expected.means.items()}, abs=5e-7)
    assert {r["section_name"] for r in rows if r["class"] is None} == {"总排干入黄口"}


def test_water_sections_text_output_is_a_table(april_home: AprilPolls, capsys) -> None:
    code, out, _ = run_cli(capsys, "water", "sections", "--period", APRIL)
    assert code == 0
    assert "头道拐" in out and "卧佛下" in out
    code, out, _ = run_cli(capsys, "water", "sections", "--period", "2021-05")
    assert code == 0 and "no section evaluated for 2021-05" in out



def test_late_captures_are_taken_in_by_recompute_which_lists_what_it_revised(eco_env, monkeypatch, capsys) -> None:
    polls = poll_times()
    early, late = polls[:1], polls[1:]
    with FeedServer(publisher=WaterPublisher(clock=polls[0])) as srv:
        monkeypatch.setenv("ECOFLOW_WATER_FEED_URL", srv.url)
        for when in early:
            srv.publisher.clock = when
            capture(when)
        pipeline.run(settings.load(), "water", Period.parse(APRIL), trigger="test")
        first = dict(((c, r, t), (v, ok)) for c, r, t, v, ok in query(
            "SELECT indicator_code, region_code, period_type, value, coverage_ok FROM marts.indicator_values "
            "WHERE period = ?", [APRIL]))
        for when in late:  # polls that land after the month was evaluated (e.g. replayed from saved responses)
            srv.publisher.clock = when
            capture(when)

    code, out, _ = run_cli(capsys, "recompute", "--period", APRIL, "--source", "water")

    assert code == 0
    now = dict(((c, r, t), (v, ok)) for c, r, t, v, ok in query(
        "SELECT indicator_code, region_code, period_type, value, coverage_ok FROM marts.indicator_values "
        "WHERE period = ?", [APRIL]))
    revised = query("SELECT indicator_code, region_code, period_type, old_value, new_value, old_coverage_ok, "
                    "new_coverage_ok, reason FROM marts.indicator_value_history WHERE period = ?", [APRIL])
    changed = {k for k in now if now[k] != first.get(k)}
    assert changed, "the late polls carry readings of sections the first one did not see"
    assert {(c, r, t) for c, r, t, *_ in revised} == changed
    for code, region, period_type, old, new, old_ok, new_ok, reason in revised:
        assert ((old, old_ok), (new, new_ok)) == (first[(code, region, period_type)], now[(code, region, period_type)])
        assert reason.startswith("new data water:")
    assert f"values revised: {len(query('SELECT * FROM marts.indicator_value_history'))}" in out
    # the same recomputation again: nothing left to revise
    code, out, _ = run_cli(capsys, "recompute", "--period", APRIL, "--source", "water")
    assert code == 0 and "values revised: 0" in out
