"""Alert digests of the air update through a real SMTP server on loopback: routing, content, the ledger, no
re-sends, retries.

Period 2025-01: Hohhot (150100) has 2025 targets in warehouse/catalogue/targets.csv. The feed publishes only
the first two days (generated in the real format), so the year-to-date values cannot be judged against their
targets: the alerts say the data are too thin (thin_data), never that the target was missed.
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


def carried(received: list) -> list[str]:
    """The alert keys the digests carried, one entry per delivery."""
    return sorted(k.strip() for r in received for k in str(r.message["X-Ecoflow-Alerts"]).split(","))


@pytest.fixture
def feed(eco_env, air_files, monkeypatch):
    monkeypatch.setenv("ECOFLOW_BUREAU_EMAIL", BUREAU)
    with FeedServer(air_files, last_day=date(2025, 1, 2)) as srv:
        monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", srv.url)
        yield srv


def run() -> pipeline.RunSummary:
    return pipeline.run(settings.load(), "air", Period.parse(PERIOD))


def test_one_digest_goes_to_the_lead_department_and_says_the_data_are_too_thin(feed, smtp_sink) -> None:
    summary = run()

    to = department_email(HOHHOT)
    assert to == "sthjj@huhhot.example.gov.cn"
    everything = ledger()
    rows = [r for r in everything if r[1] == HOHHOT and r[5] == to]
    assert rows, "Hohhot has 2025 air targets and only two days of data: alerts expected"
    # the rates of sewage and household waste have their own lead departments: their own digests
    assert {r[5] for r in everything if r[0].startswith(("urban_sewage", "household_waste")) and r[1] == HOHHOT} \
        == {department_email(HOHHOT, "zjj"), department_email(HOHHOT, "cgj")}
    assert {r[0].split("|")[3] for r in rows if r[0].startswith("air_")} == {"thin_data"}
    # Hohhot's other monthly indicators (water, waste) have no data for the month, long past its deadline
    assert {r[0].split("|")[3] for r in rows if not r[0].startswith("air_")} == {"missing"}
    assert summary.alerts_sent == len(everything)
    received = smtp_sink.wait_for(1)
    [rec] = [r for r in received if r.message["To"] == to]
    msg = rec.message
    assert msg["Cc"] is None and rec.rcpt_tos == [to]
    # the bureau is in copy of every alert: its own digest, once, carrying all of them
    [bureau] = [r for r in received if r.message["To"] == BUREAU]
    assert set(carried([bureau])) == {r[0] for r in everything}
    assert "呼和浩特市生态环境局" in msg["Subject"] and f"{len(rows)} 项预警" in msg["Subject"]
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "优良天数比例" in text and "PM2.5" in text
    assert "数据不足无法评价" in text and "数据不完整" in text and "有效天数 2 / 31 天" in text
    assert "数据逾期未报" in text and "截至 2025-02-10 未收到监测数据" in text
    assert "呼和浩特市" in html and "<html" in html.lower()
    assert carried([rec]) == [r[0] for r in rows]
    for _key, region, status, attempts, last_error, rto, rcc in rows:
        assert (region, status, attempts, last_error, rto) == (HOHHOT, "sent", 1, None, to)
        assert BUREAU in rcc


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

    received = smtp_sink.wait_for(2 * first)
    assert len(received) == 2 * first
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
