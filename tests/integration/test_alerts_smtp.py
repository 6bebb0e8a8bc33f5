"""Alert emails through a real SMTP server on loopback: routing, content, the ledger, no re-sends, retries.

Period 2025-01: Hohhot (150100) has 2025 targets in warehouse/catalogue/targets.csv. The feed publishes only
the first two days (generated in the real format), so the year-to-date values miss their targets on thin data
and every alert must say that the data are incomplete.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest

from demo.feed_server import FeedServer
from demo.smtp_sink import free_port
from tasks import pipeline, settings
from tasks.errors import DeliveryError
from tasks.periods import Period

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


@pytest.fixture
def feed(eco_env, air_files, monkeypatch):
    monkeypatch.setenv("ECOFLOW_BUREAU_EMAIL", BUREAU)
    with FeedServer(air_files, last_day=date(2025, 1, 2)) as srv:
        monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", srv.url)
        yield srv


def run() -> pipeline.RunSummary:
    return pipeline.run(settings.load(), "air", Period.parse(PERIOD))


def test_alert_email_goes_to_the_lead_department_with_the_bureau_in_copy(feed, smtp_sink) -> None:
    summary = run()

    rows = ledger()
    assert rows, "Hohhot misses its 2025 targets on these days: alerts expected"
    assert summary.alerts_sent == len(rows)
    received = smtp_sink.wait_for(len(rows))
    assert len(received) == len(rows)
    to = department_email(HOHHOT)
    assert to == "sthjj@huhhot.example.gov.cn"
    for rec in received:
        msg = rec.message
        assert msg["To"] == to
        assert msg["Cc"] == BUREAU
        assert set(rec.rcpt_tos) == {to, BUREAU}
        assert "呼和浩特市" in msg["Subject"]
        assert msg.get_content_type() == "multipart/alternative"
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert "呼和浩特市" in text and "呼和浩特市" in html
        assert "目标" in text
        assert "数据不完整" in text
        assert "<html" in html.lower()
    keys = sorted(str(rec.message["X-Ecoflow-Alert"]) for rec in received)
    assert keys == [r[0] for r in rows]
    for _key, region, status, attempts, last_error, rto, rcc in rows:
        assert (region, status, attempts, last_error, rto, rcc) == (HOHHOT, "sent", 1, None, to, BUREAU)


def test_rerunning_the_month_sends_nothing_new(feed, smtp_sink) -> None:
    run()
    first = ledger()
    sent = len(smtp_sink.wait_for(len(first)))
    assert sent == len(first) > 0

    again = run()

    assert again.alerts_sent == 0
    assert len(smtp_sink.received) == sent
    assert ledger() == first
    assert query("SELECT count(*), count(DISTINCT alert_key) FROM alerts.ledger") == [(sent, sent)]


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
    result = pipeline.alert(working, Period.parse(PERIOD))
    assert result["sent"] == len(rows)
    assert result["pending"] == 0
    again = pipeline.alert(working, Period.parse(PERIOD))
    assert again["sent"] == 0

    received = smtp_sink.wait_for(len(rows))
    keys = [str(rec.message["X-Ecoflow-Alert"]) for rec in received]
    assert sorted(keys) == [r[0] for r in rows]  # each alert exactly once
    for _key, _region, status, attempts, last_error, _to, _cc in ledger():
        assert (status, attempts, last_error) == ("sent", 2, None)


def test_alert_closed_earlier_is_reopened_and_sent_again_when_it_misses_again(feed, smtp_sink) -> None:
    run()
    smtp_sink.wait_for(2)
    sent_before = len(smtp_sink.messages)
    with duckdb.connect(str(settings.load().warehouse_path)) as con:
        con.execute("UPDATE alerts.ledger SET status = 'closed'")  # as if the value had met the target

    pipeline.alert(settings.load(), Period.parse(PERIOD))

    smtp_sink.wait_for(sent_before * 2)
    assert len(smtp_sink.messages) == sent_before * 2
    assert {r[0] for r in query("SELECT DISTINCT status FROM alerts.ledger")} == {"open"}


def test_a_failed_send_of_an_earlier_month_goes_out_with_a_later_run(feed, smtp_sink) -> None:
    run()
    smtp_sink.wait_for(2)
    sent_before = len(smtp_sink.messages)
    with duckdb.connect(str(settings.load().warehouse_path)) as con:
        (key,), = con.execute("SELECT alert_key FROM alerts.ledger ORDER BY alert_key LIMIT 1").fetchall()
        con.execute("UPDATE alerts.ledger SET delivery_status = 'failed', sent_fingerprint = NULL "
                    "WHERE alert_key = ?", [key])

    result = pipeline.alert(settings.load(), Period.parse("2025-03"))  # a later month, nothing to evaluate

    smtp_sink.wait_for(sent_before + 1)
    assert result["sent"] == 1
    assert len(smtp_sink.messages) == sent_before + 1
    assert query("SELECT delivery_status FROM alerts.ledger WHERE alert_key = ?", [key]) == [("sent",)]
