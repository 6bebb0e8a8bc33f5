"""Alert digests of the air update through a real SMTP server on loopback: routing, content, the ledger, no
re-sends, retries.

Period 2025-01: Hohhot (150100) has 2025 targets in warehouse/catalogue/targets.csv. The feed publishes only
the first two days (generated in the real format), so the year-to-date values cannot be judged against their
targets: the alerts say the data are too thin (thin_data), never that the target was missed — and, the station
files of the other days being missing, they go to the air feed's operators (feed_operators.csv), not to the
departments (RULES §4). Water and waste have no data for the month at all: 数据缺口 for their operators.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest

from demo.feed_server import FeedServer
from demo.smtp_sink import free_port
from tasks.core import settings
from tasks.core.errors import DeliveryError
from tasks.core.periods import Period
from tasks.flow import pipeline

PERIOD = "2025-01"
HOHHOT = "150100"
BUREAU = "bureau-inbox@ecoflow-test.example.gov.cn"
CATALOGUE = Path(__file__).resolve().parents[2] / "warehouse" / "catalogue"


def department_email(region: str, role: str = "sthjj") -> str:
    with open(CATALOGUE / "departments.csv", encoding="utf-8") as fh:
        return next(r["email"] for r in csv.DictReader(fh) if r["region_code"] == region and r["role"] == role)


def smtp_url(port: int) -> str:
    return f"smtp://127.0.0.1:{port}?disable_ssl=true&disable_tls=true&from_email=ecoflow%40example.gov.cn"


def query(sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def ledger() -> list[tuple]:
    return query("SELECT alert_key, region_code, delivery_status, attempts, last_error, recipients_to, "
                 "recipients_cc FROM alerts.ledger ORDER BY alert_key")


def carried(received: list) -> list[str]:
    """The alert keys the digests carried, one entry per delivery."""
    return sorted(k.strip() for r in received for k in str(r.message["X-Ecoflow-Alerts"]).split(",") if k.strip())


@pytest.fixture
def feed(eco_env, air_files, monkeypatch):
    monkeypatch.setenv("ECOFLOW_BUREAU_EMAIL", BUREAU)
    with FeedServer(air_files, last_day=date(2025, 1, 2)) as srv:
        monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", srv.url)
        yield srv


def run() -> pipeline.RunSummary:
    return pipeline.run(settings.load(), "air", Period.parse(PERIOD))


def test_thin_air_data_reach_the_air_operators_and_no_department(feed, smtp_sink) -> None:
    summary = run()

    operators = "jcz@sthjt.nmg.example.gov.cn"
    everything = ledger()
    rows = [r for r in everything if r[1] == HOHHOT and r[5] == operators]
    assert rows, "Hohhot has 2025 air targets and only two days of data: alerts expected"
    assert {r[0].split("|")[3] for r in rows if r[0].startswith("air_")} == {"thin_data"}
    # the rates of sewage and household waste: the waste feed's operators, whoever leads them
    assert {r[5] for r in everything if r[0].startswith(("urban_sewage", "household_waste")) and r[1] == HOHHOT} \
        == {"gfzx@sthjt.nmg.example.gov.cn"}
    # no department hears of data it cannot supply, and the bureau is not in copy of the operators' work; a
    # department is chased only for a submission it owes (the drinking-water counts are due monthly)
    departments = {department_email(HOHHOT, role) for role in ("sthjj", "zjj", "cgj", "slj")}
    owed = [r for r in everything if r[0].split("|")[3] == "missing"]
    assert not [r for r in owed if r[0].startswith(("air_", "water_"))]
    gaps = [r for r in everything if r not in owed]
    assert not [r for r in gaps if r[5] in departments or BUREAU in (r[6] or "")]
    assert {r[0].split("|")[3] for r in gaps} <= {"thin_data", "data_gap"}
    assert summary.alerts_sent == len(everything)
    received = smtp_sink.wait_for(1)
    [rec] = [r for r in received if r.message["To"] == operators]
    msg = rec.message
    assert msg["Cc"] is None and rec.rcpt_tos == [operators]
    told = {r[5] for r in owed} | {a.strip() for r in owed for a in (r[6] or "").split(",") if a.strip()}
    assert {r.message["To"] for r in received if r.message["To"] in departments} <= told   # of what they owe
    # the bureau: its monthly roll-up, carrying no alert but the submissions it owes itself
    [bureau] = [r for r in received if r.message["To"] == BUREAU]
    assert set(carried([bureau])) <= {r[0] for r in owed}
    assert "一、各地区指标情况" in bureau.message.get_body(("plain",)).get_content()
    theirs = [r for r in everything if r[5] == operators]      # every region's air and water gaps: one email
    assert msg["Subject"].startswith("【数据缺口】内蒙古自治区环境监测总站：") and f"{len(theirs)} 项" in msg["Subject"]
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "优良天数比例" in text and "PM2.5" in text
    assert "数据覆盖不足（有效天数 2 / 31 天），尚不能据此判断是否达标" in text
    assert "请执行：ecoflow run air --period 2025-01" in text
    assert "呼和浩特市" in html and "<html" in html.lower()
    assert carried([rec]) == sorted(r[0] for r in theirs)
    for _key, _region, status, attempts, last_error, rto, rcc in theirs:
        assert (status, attempts, last_error, rto) == ("sent", 1, None, operators)
        assert rcc == "xxzx@sthjt.nmg.example.gov.cn"
    gaps = [r for r in everything if r[0].split("|")[3] == "data_gap"]
    assert gaps and {r[5] for r in gaps} == {"jcz@sthjt.nmg.example.gov.cn", "gfzx@sthjt.nmg.example.gov.cn"}
    water = next(r.message for r in received if r.message["To"] == "jcz@sthjt.nmg.example.gov.cn")
    assert "截至2025年2月10日，2025年1月监测数据仍未入库" in water.get_body(("plain",)).get_content()


def test_rerunning_the_month_sends_nothing_new(feed, smtp_sink) -> None:
    run()
    first = ledger()
    sent = len(smtp_sink.wait_for(1))
    assert first

    again = run()

    assert again.alerts_sent == 0
    assert len(smtp_sink.received) == sent
    assert ledger() == first
    assert query("SELECT count(*) = count(DISTINCT alert_key) FROM alerts.ledger") == [(True,)]


def test_smtp_down_keeps_alerts_failed_then_delivers_each_once(feed, smtp_sink, monkeypatch) -> None:
    working = settings.load()
    monkeypatch.setenv("AIRFLOW_CONN_ECOFLOW_SMTP", smtp_url(free_port()))  # nothing listens there

    with pytest.raises(DeliveryError) as err:
        run()

    assert "alerts.ledger" in str(err.value)
    rows = ledger()
    assert rows
    for _key, _region, status, attempts, last_error, _to, _cc in rows:
        assert status == "failed"
        assert attempts == 1
        assert last_error
    assert smtp_sink.received == []
    # nothing lost: the month landed and its values were computed before delivery failed
    assert query("SELECT count(*) > 0 FROM raw.cnemc_air_hourly WHERE period = ?", [PERIOD]) == [(True,)]
    assert query("SELECT status FROM meta.runs") == [("computed",)]

    monkeypatch.setenv("AIRFLOW_CONN_ECOFLOW_SMTP", smtp_url(smtp_sink.port))
    result = pipeline.alert(working, [Period.parse(PERIOD)])
    assert result["sent"] == len(rows)
    assert result["pending"] == 0
    again = pipeline.alert(working, [Period.parse(PERIOD)])
    assert again["sent"] == 0

    received = smtp_sink.wait_for(result["digests"])
    assert len(received) == result["digests"]
    assert len({r.message["To"] for r in received}) == len(received)  # one digest per recipient
    per_recipient = [(r.message["To"], k) for r in received for k in carried([r])]
    assert len(per_recipient) == len(set(per_recipient))  # each alert once per recipient
    assert sorted(set(carried(received))) == [r[0] for r in rows]
    for _key, _region, status, attempts, last_error, _to, _cc in ledger():
        assert (status, attempts, last_error) == ("sent", 2, None)


def test_alert_closed_earlier_is_reopened_and_sent_again_when_it_misses_again(feed, smtp_sink) -> None:
    first = len(run().eml_files)
    smtp_sink.wait_for(first)
    with duckdb.connect(str(settings.load().warehouse_path)) as con:  # as if closed, and the closing notice sent
        con.execute("UPDATE alerts.ledger SET status = 'closed', fingerprint = 'closed:x', sent_fingerprint = "
                    "'closed:x'")

    pipeline.alert(settings.load(), [Period.parse(PERIOD)])

    # every recipient of the alerts is told again (the bureau's roll-up of the month went out once already)
    told = {a for r in ledger() for a in [r[5], *(r[6] or "").split(", ")] if a}
    received = smtp_sink.wait_for(first + len(told))
    assert len(received) == first + len(told)
    assert sorted(set(carried(received[first:]))) == [r[0] for r in ledger()]
    assert {r[0] for r in query("SELECT DISTINCT status FROM alerts.ledger")} == {"open"}


def test_a_failed_send_of_an_earlier_month_goes_out_with_a_later_run(feed, smtp_sink) -> None:
    sent_before = len(smtp_sink.wait_for(len(run().eml_files)))
    with duckdb.connect(str(settings.load().warehouse_path)) as con:
        (key,), = con.execute("SELECT alert_key FROM alerts.ledger ORDER BY alert_key LIMIT 1").fetchall()
        con.execute("UPDATE alerts.ledger SET delivery_status = 'failed', sent_fingerprint = NULL "
                    "WHERE alert_key = ?", [key])
        con.execute("DELETE FROM alerts.deliveries WHERE alert_key = ?", [key])  # as if no recipient had it
        (recipients,) = con.execute("SELECT 1 + len(string_split(recipients_cc, ',')) FROM alerts.ledger "
                                    "WHERE alert_key = ?", [key]).fetchone()

    result = pipeline.alert(settings.load(), [Period.parse("2025-03")])  # a later month, nothing to evaluate

    received = smtp_sink.wait_for(sent_before + recipients)
    assert result["sent"] == 1 and result["digests"] == recipients
    assert len(smtp_sink.messages) == sent_before + recipients
    assert all(carried([r]) == [key] for r in received[sent_before:])
    assert query("SELECT delivery_status FROM alerts.ledger WHERE alert_key = ?", [key]) == [("sent",)]
