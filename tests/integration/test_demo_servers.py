"""The demo's feed server, data generator and SMTP sink behave like the real outside world they stand in for.

Pipeline tests and the demo rely on these doubles; if they drift from the real CNEMC format or swallow faults,
those tests would pass against a fiction. Real sockets throughout (loopback), no mocks.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pandas as pd
import pytest
import requests

from demo import synth, waste_samples
from demo.feed_server import FeedServer, yesterday_shanghai
from demo.smtp_sink import SmtpSink
from demo.waste_publisher import WastePublisher
from demo.water_publisher import THEAD, WaterPublisher, snapshots
from tasks.sources.cnemc_water import CnemcWaterAdapter
from tasks.standards.water import CLASS_LABELS, section_class

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "demo" / "data" / "cnemc_air"
IM_DIR = DATA / "inner_mongolia_2019-01"
LAST = date(2019, 12, 31)
WATER = ROOT / "demo" / "data" / "cnemc_water"
WATER_SNAPSHOT = WATER / "2020-05-08.json"
WATER_CSV = WATER / "water_quality_by_name" / "内蒙古自治区"
SPAN = re.compile(r"<span title='原始值：([^']*)'>([^<]*)</span>")


def _real(name: str) -> bytes:
    return (IM_DIR / name).read_bytes()


def _real_codes() -> list[str]:
    return _real("china_sites_20190101.csv").split(b"\r\n", 1)[0].decode().split(",")[3:]


def test_demo_data_is_the_unmodified_source() -> None:
    # the project's shared folder stands beside the checkout (here and in CI): the real samples the demo copies
    shared = ROOT.parent / "shared" / "data" / "cnemc_air"
    assert shared.exists(), f"the real CNEMC samples are expected at {shared} (shared/ beside the checkout)"
    names = sorted(p.name for p in IM_DIR.glob("*.csv"))
    assert len(names) == 31
    for name in names:
        assert _real(name) == (shared / "inner_mongolia_2019-01" / name).read_bytes(), name
    station_list = "StationList-2020.01.01.csv"
    assert (DATA / station_list).read_bytes() == (shared / station_list).read_bytes()


def test_station_list_filter_matches_real_header() -> None:
    codes = synth.load_station_codes(DATA / "StationList-2020.01.01.csv", synth.INNER_MONGOLIA_CITIES)
    assert sorted(codes) == sorted(_real_codes())
    assert synth.load_station_codes(DATA / "StationList-2020.01.01.csv", "呼和浩特")[:2] == ["1090A", "1091A"]


def test_real_file_served_byte_identical() -> None:
    name = "china_sites_20190115.csv"
    with FeedServer(DATA, port=0, last_day=LAST) as srv:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", srv.url)
        r = requests.get(f"{srv.url}/{name}", timeout=5)
        assert r.status_code == 200
        assert r.content == _real(name)
        assert srv.request_log == [(f"/{name}", 200)]


def test_generated_day_is_deterministic_real_format() -> None:
    day = date(2019, 7, 15)
    name = synth.file_name(day)
    with FeedServer(DATA, port=0, last_day=LAST) as srv:
        first = requests.get(f"{srv.url}/{name}", timeout=5).content
        second = requests.get(f"{srv.url}/{name}", timeout=5).content
    assert first == second == synth.generate_day(day, _real_codes())
    assert b"\r\n" in first and b"\n" not in first.replace(b"\r\n", b"") and not first.endswith(b"\n")

    df = pd.read_csv(io.BytesIO(first))
    real = pd.read_csv(io.BytesIO(_real("china_sites_20190101.csv")))
    assert len(df) == 360
    assert list(df.columns) == list(real.columns)
    assert list(df["type"][:15]) == list(real["type"][:15]) == list(synth.TYPES)
    assert (df["date"] == 20190715).all() and sorted(set(df["hour"])) == list(range(24))

    codes = _real_codes()
    pm = df[df["type"] == "PM2.5"].set_index("hour")[codes]
    pm24 = df[df["type"] == "PM2.5_24h"].set_index("hour")[codes]
    full = [c for c in codes if pm[c].notna().all() and pd.notna(pm24.loc[23, c])]
    assert full, "no station with a full day of PM2.5"
    for c in full:
        assert pm24.loc[23, c] == round(pm[c].mean()), c  # round() is half-even, like the feed

    o3 = df[df["type"] == "O3"].set_index("hour")[codes]
    o3_24 = df[df["type"] == "O3_24h"].set_index("hour")[codes]
    both = (o3.notna() & o3_24.notna()).to_numpy()
    assert both.sum() > 900
    assert (o3_24.to_numpy()[both] >= o3.to_numpy()[both]).all()
    assert 0.005 < df[codes].isna().to_numpy().mean() < 0.05  # ~2 % empty cells


def test_generated_day_seasonality_and_dust() -> None:
    codes = _real_codes()

    def median(month: int, kind: str) -> float:
        """Median over ten days of the month: single days swing with the weather, seasons must not."""
        days = [date(2020, month, 1) + timedelta(days=3 * k) for k in range(10)]
        frames = [pd.read_csv(io.BytesIO(synth.generate_day(d, codes))) for d in days]
        df = pd.concat(frames)
        return float(df[df["type"] == kind][codes].stack().median())

    assert median(1, "PM2.5") > 2 * median(7, "PM2.5")
    assert median(7, "O3_24h") > 1.5 * median(1, "O3_24h")
    spring = [date(2020, 3, 1) + timedelta(days=k) for k in range(92)]
    peaks = []
    for day in spring:
        df = pd.read_csv(io.BytesIO(synth.generate_day(day, codes[:6])))
        peaks.append(df[df["type"] == "PM10"][codes[:6]].max().max())
    assert 0 < sum(p > 500 for p in peaks) < 30  # occasional dust days, not every day


def test_404_missing_after_last_day_and_malformed() -> None:
    with FeedServer(DATA, port=0, last_day=date(2019, 1, 20), missing={"china_sites_20190105.csv"}) as srv:
        codes = {
            path: requests.get(srv.url + path, timeout=5).status_code
            for path in (
                "/china_sites_20190105.csv",  # injected missing, although a real file exists
                "/china_sites_20190121.csv",  # after last_day, although a real file exists
                "/china_sites_20190230.csv",  # no such date
                "/china_sites_2019011.csv",
                "/other.csv",
                "/china_sites_20190120.csv",
            )
        }
    assert codes == {
        "/china_sites_20190105.csv": 404,
        "/china_sites_20190121.csv": 404,
        "/china_sites_20190230.csv": 404,
        "/china_sites_2019011.csv": 404,
        "/other.csv": 404,
        "/china_sites_20190120.csv": 200,
    }


def test_default_last_day_is_yesterday_in_shanghai() -> None:
    tomorrow = synth.file_name(yesterday_shanghai() + timedelta(days=2))
    with FeedServer(DATA, port=0) as srv:
        assert requests.get(f"{srv.url}/{tomorrow}", timeout=5).status_code == 404


def test_fail_first_then_success() -> None:
    name = "china_sites_20190110.csv"
    with FeedServer(DATA, port=0, last_day=LAST, fail_first={name: 2}) as srv:
        statuses = [requests.get(f"{srv.url}/{name}", timeout=5).status_code for _ in range(3)]
        assert statuses == [500, 500, 200]
        assert srv.request_log == [(f"/{name}", 500), (f"/{name}", 500), (f"/{name}", 200)]
        assert srv.hits(name) == 3


def test_truncate_cuts_body_mid_line() -> None:
    name = "china_sites_20190110.csv"
    full = _real(name)
    cut = 20_000
    assert b"\r\n" not in full[cut - 5 : cut + 5]  # the cut lands inside a row
    with FeedServer(DATA, port=0, last_day=LAST, truncate={name: cut}) as srv:
        r = requests.get(f"{srv.url}/{name}", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Length"] == str(cut)
    assert r.content == full[:cut]
    last_row = r.content.split(b"\r\n")[-1]
    assert 0 < last_row.count(b",") < full.split(b"\r\n", 1)[0].count(b",")


def test_delay_triggers_client_timeout() -> None:
    name = "china_sites_20190111.csv"
    with FeedServer(DATA, port=0, last_day=LAST, delay={name: 0.6}) as srv:
        with pytest.raises(requests.exceptions.Timeout):
            requests.get(f"{srv.url}/{name}", timeout=0.2)
        started = time.monotonic()
        r = requests.get(f"{srv.url}/{name}", timeout=5)
        assert time.monotonic() - started >= 0.55
        assert r.content == _real(name)


def test_feed_server_cli_logs_each_request() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "demo.feed_server", "--data", str(DATA), "--port", "0",
           "--last-day", "2019-12-31", "--fail-first", "china_sites_20190102.csv:1"]  # fmt: skip
    with subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stderr is not None
            banner = proc.stderr.readline()
            url = re.search(r"http://127\.0\.0\.1:\d+", banner)
            assert url, banner
            assert requests.get(f"{url.group(0)}/china_sites_20190102.csv", timeout=5).status_code == 500
            assert requests.get(f"{url.group(0)}/china_sites_20190102.csv", timeout=5).status_code == 200
            lines = [proc.stderr.readline(), proc.stderr.readline()]
        finally:
            proc.send_signal(signal.SIGINT)  # the CLI's own Ctrl-C path: shuts the server down cleanly
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    # one line per request; two requests' lines may come in either order (each handler writes its own)
    assert sorted(line.split()[3] for line in lines if " /china_sites_20190102.csv " in line) == ["200", "500"]


def test_smtp_sink_receives_chinese_mail(tmp_path: Path) -> None:
    subject = "【预警】呼和浩特 PM2.5 日均浓度超标（2019年1月）"
    body = "内蒙古自治区生态环境监测：呼市一监 PM2.5 日均 124 µg/m³，超过二级标准。\n"
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = "ecoflow@example.org"
    msg["To"] = "duty@example.org, 值班员 <oncall@example.org>"
    msg.set_content(body)

    with SmtpSink(tmp_path / "outbox", port=0) as sink:
        assert sink.port > 0
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as client:
            client.send_message(msg)
        received = sink.wait_for(1, timeout=5)

    assert len(received) == 1 and len(sink.messages) == 1
    got = sink.messages[0]
    assert got["Subject"] == subject
    assert got.get_content() == body
    assert received[0].mail_from == "ecoflow@example.org"
    assert received[0].rcpt_tos == ["duty@example.org", "oncall@example.org"]

    files = list((tmp_path / "outbox").glob("*.eml"))
    assert files == [received[0].path]
    reparsed = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert reparsed["Subject"] == subject
    assert reparsed.get_content() == body


# -- water: the real-time JSON as of a clock ------------------------------------------------------------------


def _get(url: str) -> requests.Response:
    return requests.get(url, timeout=10)


def _cell_text(cell: str) -> str:
    """The plain value of a JSON cell: the tooltip's raw value, or the cell itself (--, *)."""
    match = SPAN.fullmatch(cell)
    return match.group(1) if match else cell


def _real_im_sections() -> list[list[str]]:
    return [row for row in json.loads(WATER_SNAPSHOT.read_bytes())["tbody"] if row[0] == "内蒙古自治区"]


def test_water_real_snapshot_served_byte_identical() -> None:
    real = WATER_SNAPSHOT.read_bytes()
    assert tuple(json.loads(real)["thead"]) == THEAD
    pub = WaterPublisher(clock=datetime(2020, 5, 8, 0, 0))
    with FeedServer(publisher=pub, port=0) as srv:
        r = _get(f"{srv.url}/realtime.json")
        assert r.status_code == 200 and r.content == real
        assert r.headers["Content-Type"].startswith("application/json")
        pub.clock = datetime(2020, 5, 8, 23, 59)  # any time that day
        assert _get(f"{srv.url}/realtime.json").content == real
        assert _get(f"{srv.url}/other.json").status_code == 404
        assert srv.request_log == [("/realtime.json", 200), ("/realtime.json", 200), ("/other.json", 404)]


def _expected_capture(path: Path, clock: datetime) -> list[str] | None:
    """The section's latest timed CSV row at or before the clock (a later capture of the same time wins)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    timed = {}
    for row in rows:
        if row[3] != "*":
            timed[datetime.strptime(f"2021-{row[3]}", "%Y-%m-%d %H:%M")] = row
    if not timed:
        return rows[-1]  # never running in these days (李屯): the real * row as captured
    past = [t for t in timed if t <= clock]
    return timed[max(past)] if past else None


def test_water_april_2021_serves_latest_real_capture_per_section() -> None:
    clock = datetime(2021, 4, 2, 9, 0)
    csvs = sorted(WATER_CSV.glob("*/*/2021-04/*.csv"))
    assert len(csvs) == 13
    with FeedServer(publisher=WaterPublisher(clock=clock), port=0) as srv:
        body = _get(f"{srv.url}/realtime.json").json()
        assert body["thead"] == list(THEAD) and body["records"] == len(body["tbody"]) == 13
        got = {row[2]: row for row in body["tbody"]}
        assert set(got) == {p.stem for p in csvs}
        for path in csvs:
            expected = _expected_capture(path, clock)
            assert expected is not None, path
            row = got[path.stem]
            assert [*row[:5], *(_cell_text(c) for c in row[5:16]), row[16]] == expected, path.stem
            for cell, text in zip(row[5:16], expected[5:16], strict=True):
                assert cell == (text if text in ("--", "*") else f"<span title='原始值：{text}'>{text}</span>")

        # 头道拐 at 09:00: its last reading is 04-01 16:00 (the rows after it until 04-02 12:00 have no time)
        assert got["头道拐"] == [
            "内蒙古自治区", "黄河流域", "头道拐", "04-01 16:00", "Ⅱ",
            "<span title='原始值：9.7'>9.7</span>", "<span title='原始值：8.09'>8.09</span>",
            "<span title='原始值：10.35'>10.35</span>", "<span title='原始值：1267.8'>1267.8</span>",
            "<span title='原始值：657.3'>657.3</span>", "<span title='原始值：2.39'>2.39</span>",
            "<span title='原始值：0.025'>0.025</span>", "<span title='原始值：0.005'>0.005</span>",
            "<span title='原始值：2.61'>2.61</span>", "*", "*", "正常",
        ]
        assert got["李屯"][3:5] == ["*", "*"] and got["李屯"][16] == "不具备运行条件"
        assert got["新发"][3] == "04-02 08:00"

        srv.publisher.clock = datetime(2021, 4, 2, 13, 0)  # the clock moves: the next poll sees newer readings
        later = {row[2]: row for row in _get(f"{srv.url}/realtime.json").json()["tbody"]}
        assert later["头道拐"][3:5] == ["04-02 12:00", "Ⅰ"] and later["头道拐"][16] == "维护"
        assert later["头道拐"][9] == "--"

        srv.publisher.clock = datetime(2021, 4, 1, 2, 0)  # before the first captured reading: only 李屯 is listed
        assert [row[2] for row in _get(f"{srv.url}/realtime.json").json()["tbody"]] == ["李屯"]


def test_water_generated_clock_28_sections_deterministic() -> None:
    clock = datetime(2025, 3, 3, 13, 30)
    real = _real_im_sections()
    with FeedServer(publisher=WaterPublisher(clock=clock), port=0) as srv:
        first = _get(f"{srv.url}/realtime.json").content
        second = _get(f"{srv.url}/realtime.json").content
    assert first == second == WaterPublisher(clock=clock).render()
    assert WaterPublisher().render(datetime(2025, 3, 3, 17, 0)) != first  # the next 4-hour reading

    body = json.loads(first)
    assert list(body) == ["result", "total", "records", "thead", "tbody"]
    assert body["thead"] == list(THEAD) and body["records"] == len(body["tbody"]) == 28
    assert [row[:3] for row in body["tbody"]] == [row[:3] for row in real]  # province, basin, name, order
    for row in body["tbody"]:
        assert len(row) == 17 and row[3] == "03-03 12:00" and row[16] in ("正常", "维护")
        assert all(SPAN.fullmatch(c) or c in ("--", "*") for c in row[5:16]), row
        assert SPAN.fullmatch(row[6]) and SPAN.fullmatch(row[7])  # pH and DO always measured
        raws = {code: float(SPAN.fullmatch(row[i]).group(1)) for code, i in
                (("ph", 6), ("do", 7), ("codmn", 10), ("nh3n", 11), ("tp", 12)) if SPAN.fullmatch(row[i])}
        for raw, display in (SPAN.fullmatch(c).groups() for c in row[5:16] if SPAN.fullmatch(c)):
            assert abs(float(raw) - float(display)) <= 0.051, (raw, display)
        assert 6 <= raws["do"] <= 11 and 2 <= raws["codmn"] <= 6 and 0.01 <= raws["tp"] <= 0.25
        water_body = "lake" if row[2] in ("贝尔湖", "湖心", "出口(察尔森水库)", "海勃湾") else "river"
        if row[16] == "正常":
            assert row[4] == CLASS_LABELS[section_class(raws, water_body)], row
        else:
            assert row[4] == ""
    by_name = {row[2]: row for row in body["tbody"]}
    assert by_name["总排干入黄口"][4] == "劣Ⅴ" and float(_cell_text(by_name["总排干入黄口"][11])) > 2
    assert by_name["湖心"][4] == "Ⅳ" and 0.05 < float(_cell_text(by_name["湖心"][12])) <= 0.1

    parsed = CnemcWaterAdapter().parse("water_realtime_20250303T133000.json", first)  # the pipeline's own parser
    assert not parsed.issues and len(parsed.rows) == 28 * 11
    assert set(parsed.rows["obs_time"]) == {pd.Timestamp("2025-03-03 12:00")}


def test_water_snapshots_make_a_month_of_polls() -> None:
    polls = list(snapshots(datetime(2025, 4, 1), datetime(2025, 4, 30, 20, 0)))
    assert len(polls) == 180
    assert [t for t, _ in polls[:3]] == [datetime(2025, 4, 1, 0), datetime(2025, 4, 1, 4), datetime(2025, 4, 1, 8)]
    assert polls[7][1] == WaterPublisher(clock=polls[7][0]).render()
    rows = [row for _, body in polls for row in json.loads(body)["tbody"]]
    assert len(rows) == 180 * 28
    maintenance = {row[2] for row in rows if row[16] == "维护"}
    assert maintenance == {"黑柳子"}
    assert 0 < sum(row[16] == "维护" for row in rows) < 180 / 2
    assert 0.02 < sum(row[9] == "--" for row in rows) / len(rows) < 0.15  # turbidity sometimes missing
    temps = [float(_cell_text(row[5])) for row in rows]
    assert min(temps) > 0 and max(temps) < 25


def test_water_faults_on_realtime_json() -> None:
    name = "realtime.json"
    pub = WaterPublisher(clock=datetime(2025, 3, 3, 13, 30))
    full = pub.render()
    with FeedServer(publisher=pub, port=0, fail_first={name: 2}) as srv:
        assert [_get(f"{srv.url}/{name}").status_code for _ in range(3)] == [500, 500, 200]
        assert srv.hits(name) == 3 and srv.request_log[-1] == (f"/{name}", 200)
    cut = 5_000
    with FeedServer(publisher=pub, port=0, truncate={name: cut}, missing={"other.json"}) as srv:
        r = _get(f"{srv.url}/{name}")
        assert r.status_code == 200 and r.headers["Content-Length"] == str(cut) and r.content == full[:cut]
        with pytest.raises(json.JSONDecodeError):
            json.loads(r.content)
        assert _get(f"{srv.url}/other.json").status_code == 404


def test_publisher_and_air_options_do_not_mix() -> None:
    with pytest.raises(TypeError, match="publisher"):
        FeedServer(DATA, publisher=WastePublisher())
    with pytest.raises(TypeError, match="publisher"):
        FeedServer(publisher=WastePublisher(), last_day=LAST)


# -- waste: the monthly CSV ---------------------------------------------------------------------------------------


def test_waste_server_months_unpublished_and_faults() -> None:
    pub = WastePublisher({"2025-02": {"wrong_unit"}}, unpublished={"2025-03"})
    with FeedServer(publisher=pub, port=0, fail_first={"waste/2025-04.csv": 1}) as srv:
        jan = _get(f"{srv.url}/waste/2025-01.csv")
        assert jan.status_code == 200 and jan.content == waste_samples.generate("2025-01")
        assert jan.headers["Content-Type"].startswith("text/csv")
        feb = _get(f"{srv.url}/waste/2025-02.csv").content
        assert feb != waste_samples.generate("2025-02")
        assert feb == waste_samples.generate("2025-02", faults={"wrong_unit"})
        df = pd.read_csv(io.BytesIO(feb), encoding="utf-8-sig", dtype=str)
        fid, item = waste_samples.FAULT_TARGETS["wrong_unit"]
        assert df[(df["facility_id"] == fid) & (df["item"] == item)]["unit"].tolist() == ["万m³"]
        assert _get(f"{srv.url}/waste/2025-03.csv").status_code == 404  # not delivered yet
        assert [_get(f"{srv.url}/waste/2025-04.csv").status_code for _ in range(2)] == [500, 200]
        assert {path: _get(srv.url + path).status_code for path in ("/waste/2025-13.csv", "/2025-01.csv",
                                                                     "/waste/2025-1.csv")} == {
            "/waste/2025-13.csv": 404, "/2025-01.csv": 404, "/waste/2025-1.csv": 404}
    with pytest.raises(ValueError, match="unknown waste faults"):
        WastePublisher({"2025-02": {"wrong_units"}})


# -- the command line for the other feeds -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "path", "check"),
    [
        (["--feed", "water", "--clock", "2021-04-02T09:00"], "/realtime.json",
         lambda r: len(r.json()["tbody"]) == 13),
        (["--feed", "waste", "--waste-fault", "2025-02:wrong_unit,negative", "--unpublished", "2025-03"],
         "/waste/2025-02.csv",
         lambda r: r.content == waste_samples.generate("2025-02", faults={"wrong_unit", "negative"})),
    ],
    ids=["water", "waste"],
)
def test_feed_server_cli_other_feeds(args: list[str], path: str,
                                     check: Callable[[requests.Response], bool]) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "demo.feed_server", "--port", "0", *args, "--fail-first", f"{path[1:]}:1"]
    with subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stderr is not None
            banner = proc.stderr.readline()
            url = re.search(r"http://127\.0\.0\.1:\d+", banner)
            assert url, banner
            assert _get(url.group(0) + path).status_code == 500
            r = _get(url.group(0) + path)
            assert r.status_code == 200 and check(r)
            if "waste" in args:
                assert _get(f"{url.group(0)}/waste/2025-03.csv").status_code == 404
            lines = [proc.stderr.readline(), proc.stderr.readline()]
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    # both requests are logged; the threaded server may log the second before the first when the machine is busy
    assert sorted(" 500 " in line for line in lines) == [False, True], lines
    assert all(f" {path} " in line for line in lines) and any(f" {path} 200 " in line for line in lines), lines
