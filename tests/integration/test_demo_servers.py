"""The demo's feed server, data generator and SMTP sink behave like the real outside world they stand in for.

Pipeline tests and the demo rely on these doubles; if they drift from the real CNEMC format or swallow faults,
those tests would pass against a fiction. Real sockets throughout (loopback), no mocks.
"""

from __future__ import annotations

import io
import os
import re
import signal
import smtplib
import subprocess
import sys
import time
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pandas as pd
import pytest
import requests

from demo import synth
from demo.feed_server import FeedServer, yesterday_shanghai
from demo.smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "demo" / "data" / "cnemc_air"
IM_DIR = DATA / "inner_mongolia_2019-01"
LAST = date(2019, 12, 31)


def _real(name: str) -> bytes:
    return (IM_DIR / name).read_bytes()


def _real_codes() -> list[str]:
    return _real("china_sites_20190101.csv").split(b"\r\n", 1)[0].decode().split(",")[3:]


def test_demo_data_is_the_unmodified_source() -> None:
    shared = Path("/work/shared/data/cnemc_air")
    if not shared.exists():
        pytest.skip("shared source data not mounted")
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
    assert " /china_sites_20190102.csv 500 " in lines[0]
    assert " /china_sites_20190102.csv 200 " in lines[1]


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
