"""The alert rules end to end: real waste months through the pipeline, the ledger, digests over real SMTP.

Hohhot (150100) must treat 100 % of its hazardous waste (targets.csv, 2024 and 2025). One producer of 赛罕区
delivers hand-made months through a loopback feed: 1,000 吨 generated every month; all of it handled in 2024 but
October–December (990 吨), and 970 / 950 / 930 吨 in January–March 2025. So, by hand (RULES §4):

* 2024 YTD: March 100.0, October 99.9, November 99.8 — in progress (进行中), and no earlier complete year to
  project from, so no 进度预警; December (11,970 / 12,000) 99.8: the complete year misses 100 — 年末未达标
  (below_target), escalated at once (escalate_after 1);
* 2025 YTD: January 97.0, February 96.0, March 95.0 — in progress. The projection scales each by 2024's growth
  to December (handled ×11,970/3,000 over generated ×12,000/3,000 from March): March's is 95.0 × 0.9975 =
  94.76, a miss of 100 — 进度预警 (projected_miss) in each month, escalated in March (the third month in a row);
  each YTD is worse than 2024's same months (100.0) by 3, 4, 5 points, more than the default 2 points of a ratio:
  同比恶化 (regression_yoy), never escalated.

A producer of 锡林浩特市 (152502, target 100 in 2025, none in 2024) handles the same as Hohhot's in 2024 but all
of it in 2025: its YTD is 100.0 while the projection, 100.0 × 0.9975 = 99.75 (99.8 at one decimal), misses it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from demo.feed_server import FeedServer
from demo.waste_samples import HEADER
from tasks.cli.commands import main as ecoflow
from tasks.core import settings
from tasks.core.errors import DeliveryError
from tasks.core.periods import Period
from tasks.flow import pipeline
from tests.unit.test_messages import assert_reads_chinese, visible

HOHHOT = "150100"
XILINHOT = "152502"
CODE = "hazardous_waste_disposal_rate"
BUREAU = "bureau-inbox@ecoflow-test.example.gov.cn"
HANDLED = {**{f"2024-{m:02d}": 1000 for m in range(1, 10)}, "2024-10": 990, "2024-11": 990, "2024-12": 990,
           "2025-01": 970, "2025-02": 950, "2025-03": 930}
MONTHS_2025 = ["2025-01", "2025-02", "2025-03"]
XILINHOT_HANDLED = {**HANDLED, **dict.fromkeys(MONTHS_2025, 1000)}


class HandMadeWaste:
    """waste/YYYY-MM.csv with a hazardous-waste producer in Hohhot and one in Xilinhot; `handled` (Hohhot's) can
    be changed between fetches."""

    def __init__(self, handled: dict[str, int]) -> None:
        self.handled = dict(handled)
        self.xilinhot = dict(XILINHOT_HANDLED)

    def respond(self, name: str) -> tuple[int, bytes, str]:
        period = name.lstrip("/").removeprefix("waste/").removesuffix(".csv")
        if period not in self.handled:
            return 404, b"not published\n", "text/plain"
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADER)
        for producer, handled in ((["150105-HP-01", "金桥开发区电子材料企业", "150105"], self.handled[period]),
                                  (["152502-HP-01", "锡林浩特市煤化工企业", "152502"], self.xilinhot[period])):
            producer = [*producer, "hazardous_waste_producer"]
            writer.writerow([period, *producer, "hw_generated", "1000", "吨", ""])
            writer.writerow([period, *producer, "hw_utilized", str(handled), "吨", ""])
            writer.writerow([period, *producer, "hw_disposed", "0", "吨", ""])
        return 200, out.getvalue().encode("utf-8"), "text/csv"

    def describe(self) -> str:
        return "hand-made hazardous-waste months"


def ingest(periods: list[str]) -> list[Period]:
    """What the waste DAG does for each month: fetch, validate and land, compute; then what indicators_recompute
    does first: evaluate the months (and those after them)."""
    for text in periods:
        run = pipeline.fetch(settings.load(), "waste", Period.parse(text))
        pipeline.land_unattended(run)
        pipeline.compute(run)
    return pipeline.evaluate(settings.load(), [Period.parse(p) for p in periods])


def recompute(periods: list[Period]) -> dict:
    """What indicators_recompute does after evaluation: the alert rules, then one digest per recipient."""
    return pipeline.alert(settings.load(), periods)


def query(sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def alerts(kind: str | None = None, region: str = HOHHOT) -> dict[tuple[str, str], tuple]:
    rows = query("SELECT period, kind, status, delivery_status, escalation, recipients_cc, detail, attempts "
                 "FROM alerts.ledger WHERE indicator_code = ? AND region_code = ? AND (? IS NULL OR kind = ?)",
                 [CODE, region, kind, kind])
    return {(r[0], r[1]): r[2:] for r in rows}


@pytest.fixture
def feed(eco_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HandMadeWaste]:
    monkeypatch.setenv("ECOFLOW_BUREAU_EMAIL", BUREAU)
    publisher = HandMadeWaste(HANDLED)
    with FeedServer(publisher=publisher) as srv:
        monkeypatch.setenv("ECOFLOW_WASTE_FEED_URL", srv.url)
        yield publisher


def _fifteen_months(home: Path, mp: pytest.MonkeyPatch) -> list[str]:
    with FeedServer(publisher=HandMadeWaste(HANDLED)) as srv:
        mp.setenv("ECOFLOW_WASTE_FEED_URL", srv.url)
        return [str(p) for p in ingest(sorted(HANDLED))]


@pytest.fixture
def year_and_quarter(feed: HandMadeWaste, eco_env: Path, built_home) -> list[Period]:
    """2024 and the first quarter of 2025 landed and evaluated; no alert rule applied yet. The fifteen months are
    landed once per run (each test works on a copy)."""
    return [Period.parse(p) for p in built_home("alert-digests-fifteen-months", _fifteen_months, eco_env)]


def test_values_projection_and_rolling_12_months_as_computed_by_hand(year_and_quarter) -> None:
    values = dict(((p, t), v) for p, t, v in query(
        "SELECT period, period_type, value FROM marts.indicator_values WHERE indicator_code = ? AND region_code = ?",
        [CODE, HOHHOT]))
    assert values[("2024-03", "ytd")] == 100.0 and values[("2024-12", "ytd")] == 99.8
    assert [values[(p, "ytd")] for p in MONTHS_2025] == [97.0, 96.0, 95.0]
    assert [values[(p, "r12")] for p in ["2024-12", *MONTHS_2025]] == [99.8, 99.5, 99.1, 98.5]
    status = query("SELECT status, projected_value, projected_from, projected_meets FROM marts.indicator_status "
                   "WHERE indicator_code = ? AND region_code = ? AND period = '2025-03'", [CODE, HOHHOT])
    assert status == [("进行中", pytest.approx(94.7625), "2024", False)]
    xilinhot = query("SELECT period, status, projected_value, projected_meets FROM marts.indicator_status "
                     "WHERE indicator_code = ? AND region_code = ? AND period LIKE '2025-%' ORDER BY period",
                     [CODE, XILINHOT])
    assert xilinhot == [(p, "进行中", pytest.approx(99.75), False) for p in MONTHS_2025]
    december = query("SELECT status FROM marts.indicator_status WHERE indicator_code = ? AND region_code = ? "
                     "AND period = '2024-12'", [CODE, HOHHOT])
    assert december == [("未达标",)]                                        # the complete year is judged


def test_each_rule_fires_once_and_one_digest_goes_to_the_lead_department(year_and_quarter, smtp_sink) -> None:
    result = recompute(year_and_quarter)

    found = alerts()
    assert {k for k, v in found.items() if v[0] == "open"} == {
        ("2024-12", "below_target"), *((p, "projected_miss") for p in MONTHS_2025),
        *((p, "regression_yoy") for p in MONTHS_2025)}
    assert not [k for k in found if k[1] in ("missing", "sustained_decline", "data_gap")]
    # Xilinhot meets its target so far, but not by the year's end: told early, in its own digest
    ahead = alerts(region=XILINHOT)
    assert {k for k, v in ahead.items() if v[0] == "open"} == {(p, "projected_miss") for p in MONTHS_2025}
    assert json.loads(ahead[("2025-03", "projected_miss")][4])["projected_value"] == pytest.approx(99.75)
    assert json.loads(found[("2025-03", "projected_miss")][4])["projected_from"] == "2024"
    regression = json.loads(found[("2025-01", "regression_yoy")][4])
    assert regression["last_year_value"] == 100.0 and regression["worse_by"] == pytest.approx(3.0)
    assert regression["tolerance"] == "2个百分点"
    # escalation: a year-end miss at once, a 进度预警 from its third month in a row, 同比恶化 never
    assert found[("2024-12", "below_target")][2] == 1
    assert [found[(p, "projected_miss")][2] for p in MONTHS_2025] == [0, 0, 1]
    assert [found[(p, "regression_yoy")][2] for p in MONTHS_2025] == [0, 0, 0]
    leading_group = "lxbgs@huhhot.example.gov.cn"
    assert leading_group in found[("2024-12", "below_target")][3]
    assert leading_group in found[("2025-03", "projected_miss")][3]
    assert leading_group not in found[("2025-02", "projected_miss")][3]

    received = smtp_sink.wait_for(1)
    by_recipient: dict[str, set[str]] = {}
    for rec in received:
        assert rec.message["Cc"] is None and len(rec.rcpt_tos) == 1
        assert rec.message["To"] not in by_recipient, "one digest per recipient per run"
        by_recipient[rec.message["To"]] = {k.strip() for k in str(rec.message["X-Ecoflow-Alerts"]).split(",")}
    keys = {r[0] for r in query("SELECT alert_key FROM alerts.ledger WHERE indicator_code = ? AND region_code = ?",
                                [CODE, HOHHOT])}
    escalated = {r[0] for r in query("SELECT alert_key FROM alerts.ledger WHERE escalation = 1")}
    # (the rest of Hohhot's indicators have no data in these months: their data gaps go to the feed operators)
    def mine(recipient: str) -> set[str]:
        return {k for k in by_recipient[recipient] if k.startswith(f"{CODE}|{HOHHOT}|")}

    assert mine("sthjj@huhhot.example.gov.cn") == keys                    # the lead department: all of them
    assert mine(BUREAU) == keys                                           # the bureau: in copy of everything
    assert mine("yjj@huhhot.example.gov.cn") == keys                      # a cooperating department of 危险废物
    assert mine(leading_group) == escalated & keys                        # the leading group: what escalated
    [msg] = [r.message for r in received if r.message["To"] == "sthjj@huhhot.example.gov.cn"]
    assert "【已升级】" in msg["Subject"] and "呼和浩特市生态环境局" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert "危险废物利用处置率" in text and "95.0%" in text and "≥100%" in text
    assert "上年同期：100.0%" in text and "进度预警" in text and "同比恶化" in text and "年末未达标" in text
    # coverage and the files it came from, by name (never a batch id); the rules by their standards and edition
    assert "报送设施 1 / 1 个" in text and "数据来源：固体废物与污水处理：waste_2025-01.csv" in text
    assert "waste:" not in text and "ecoflow-rules" not in text and "RULES§3" not in text
    assert "计算依据：固废、污水与饮用水计算方法（计算规则第4版）" in text
    # periods and findings as an official text writes them
    assert "【进度预警】呼和浩特市「危险废物利用处置率」（2025年3月）" in text
    assert "判定：按进度推算，年末预计为94.8%，达不到目标" in text
    assert_reads_chinese(text, "the lead department's digest")     # no English, no internal codes
    assert_reads_chinese(visible(msg.get_body(("html",)).get_content()), "the lead department's digest (HTML)")
    # the monthly digest's order: the table of what it leads, what it must answer and by when, what it is copied
    # on, what changed; signed by the bureau
    sections = ["一、贵单位牵头指标情况", "二、需贵单位反馈的事项（请于4月20日前反馈）"]
    assert all(x in text for x in sections) and text.index(sections[0]) < text.index(sections[1])
    assert "请于4月20日前反馈原因分析及拟采取的措施。" in text
    assert text.rstrip().splitlines()[-2] == "内蒙古自治区生态环境厅"
    assert msg["X-Ecoflow-Digest"] == "monthly"
    bureau = next(r.message for r in received if r.message["To"] == BUREAU).get_body(("plain",)).get_content()
    assert "一、各地区指标情况" in bureau and "呼和浩特市：" in bureau     # the bureau's roll-up
    operators = {"jcz@sthjt.nmg.example.gov.cn", "xxzx@sthjt.nmg.example.gov.cn", "gfzx@sthjt.nmg.example.gov.cn"}
    for rec in received:   # data gaps reach the operators only
        gaps = {k for k in str(rec.message["X-Ecoflow-Alerts"]).split(", ") if "|data_gap|" in k}
        assert not gaps or rec.message["To"] in operators, rec.message["To"]
    copy = next(r.message for r in received if r.message["To"] == "yjj@huhhot.example.gov.cn")
    assert "牵头部门：呼和浩特市生态环境局" in copy.get_body(("plain",)).get_content()
    # the leading group office is copied on escalations only: its digest's sections are numbered from 一
    office = next(r.message for r in received if r.message["To"] == leading_group).get_body(("plain",)).get_content()
    assert "一、抄送贵单位知悉的事项" in office and "三、" not in office and "\n\n\n" not in office
    html = msg.get_body(("html",)).get_content()
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert images, "trend charts are inline PNGs"
    assert all(p.get_content().startswith(b"\x89PNG") and p.get_content_disposition() == "inline" for p in images)
    assert all(f"cid:{p['Content-ID'][1:-1]}" in html for p in images)
    [xilinhot] = [r.message for r in received if r.message["To"] == "sthjj@xilinhot.example.gov.cn"]
    assert "进度预警" in xilinhot.get_body(("plain",)).get_content()
    assert "预计年末：99.8%" in xilinhot.get_body(("plain",)).get_content()
    assert result["pending"] == 0 and result["sent"] == len(query("SELECT * FROM alerts.ledger"))


def test_a_rerun_sends_nothing_and_a_change_is_sent_again(year_and_quarter, smtp_sink) -> None:
    recompute(year_and_quarter)
    first = len(smtp_sink.wait_for(1))
    ledger = query("SELECT * FROM alerts.ledger ORDER BY alert_key")

    again = recompute(year_and_quarter)

    assert again["sent"] == 0 and len(smtp_sink.received) == first
    assert query("SELECT * FROM alerts.ledger ORDER BY alert_key") == ledger
    assert query("SELECT count(*) = count(DISTINCT alert_key) FROM alerts.ledger") == [(True,)]


def test_a_corrected_month_closes_its_alerts_and_owners_are_told_once(year_and_quarter, feed, smtp_sink) -> None:
    recompute(year_and_quarter)
    before = len(smtp_sink.wait_for(1))
    feed.handled["2025-01"] = 1000              # the producer corrects January: all of it was handled

    recompute(ingest(["2025-01"]))

    found = alerts()
    assert found[("2025-01", "regression_yoy")][:2] == ("closed", "sent")
    assert found[("2025-01", "projected_miss")][:2] == ("open", "sent")      # 100.0 × 0.9975 still misses
    closing = [r.message for r in smtp_sink.received[before:]]
    recipients = [m["To"] for m in closing]
    assert len(recipients) == len(set(recipients)) and "sthjj@huhhot.example.gov.cn" in recipients
    text = next(m for m in closing if m["To"] == "sthjj@huhhot.example.gov.cn").get_body(("plain",)).get_content()
    assert "已解除" in text and "已不比上年同期差" in text
    # February and March are still worse than 2024 (their YTD now 97.5 and 96.0): changed, so sent again in the
    # same digest
    assert found[("2025-02", "regression_yoy")][:2] == ("open", "sent")
    assert "97.5%" in text and "96.0%" in text
    history = query("SELECT old_value, new_value, reason FROM marts.indicator_value_history "
                    "WHERE indicator_code = ? AND region_code = ? AND period = '2025-01' AND period_type = 'ytd'",
                    [CODE, HOHHOT])
    assert [(h[0], h[1]) for h in history] == [(97.0, 100.0)]
    assert "new data waste:" in history[0][2] and "replaces waste:" in history[0][2]

    told = len(smtp_sink.received)
    recompute(ingest(["2025-01"]))                  # the same correction again: nothing more to tell
    assert len(smtp_sink.received) == told


def test_smtp_down_keeps_alerts_pending_then_delivers_each_once(year_and_quarter, smtp_sink) -> None:
    smtp_sink.stop()                                # the mail server is down for this run

    with pytest.raises(DeliveryError, match="alerts.ledger"):
        recompute(year_and_quarter)

    pending = query("SELECT delivery_status, attempts, last_error IS NOT NULL FROM alerts.ledger")
    assert pending and set(pending) == {("failed", 1, True)}

    smtp_sink.start()                               # back, on the same port
    result = pipeline.alert(settings.load(), [])    # the next run (nothing new to evaluate) delivers them
    assert result["pending"] == 0 and result["sent"] == len(pending)
    assert pipeline.alert(settings.load(), [])["sent"] == 0
    received = smtp_sink.wait_for(result["digests"])
    assert len(received) == result["digests"]
    carried = [(r.message["To"], k.strip()) for r in received for k in str(r.message["X-Ecoflow-Alerts"]).split(",")
               if k.strip()]
    assert len(carried) == len(set(carried))                                     # each alert once per recipient
    assert {k for _, k in carried} == {r[0] for r in query("SELECT alert_key FROM alerts.ledger")}
    assert set(query("SELECT delivery_status, attempts FROM alerts.ledger")) == {("sent", 2)}
    assert set(query("SELECT status, attempts FROM alerts.deliveries")) == {("sent", 2)}   # failed once, then sent


def test_a_feed_missing_by_the_deadline_reaches_its_operators_only(year_and_quarter, smtp_sink, capsys) -> None:
    # April never arrives. The monthly run on the 11th evaluates it anyway: the data were due by the 10th.
    assert ecoflow(["alerts", "--period", "2025-04", "--as-of", "2025-05-10"]) == 0
    assert not [k for k in alerts("data_gap") if k[0] == "2025-04"]          # not late yet
    assert ecoflow(["alerts", "--period", "2025-04", "--as-of", "2025-05-11"]) == 0
    gaps = query("SELECT indicator_code, detail, recipients_to, recipients_cc FROM alerts.ledger "
                 "WHERE kind = 'data_gap' AND region_code = ? AND period = '2025-04'", [HOHHOT])
    by_code = {g[0]: g for g in gaps}
    assert {CODE, "air_good_day_ratio", "air_pm25_mean"} <= set(by_code)
    detail = json.loads(by_code[CODE][1])
    assert detail["deadline"] == "2025-05-10" and detail["command"] == "ecoflow run waste --period 2025-04"
    assert by_code[CODE][2:] == ("gfzx@sthjt.nmg.example.gov.cn", "xxzx@sthjt.nmg.example.gov.cn")
    assert by_code["air_pm25_mean"][2:] == ("jcz@sthjt.nmg.example.gov.cn", "xxzx@sthjt.nmg.example.gov.cn")
    # departments are chased only for what they owe: no `missing` alert about a feed's data
    assert not query("SELECT * FROM alerts.ledger WHERE kind = 'missing' AND indicator_code = ?", [CODE])
    # 土默特左旗 has no air station: never alerted for its air data
    assert not query("SELECT * FROM alerts.ledger WHERE region_code = '150121' AND indicator_code LIKE 'air_%'")
    capsys.readouterr()
    assert ecoflow(["alerts", "--json", "--open"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {(a["indicator_code"], a["kind"]) for a in listed if a["period"] == "2025-04"} >= {(CODE, "data_gap")}
    assert all(a["status"] == "open" for a in listed)
    operator = next(r.message for r in smtp_sink.received if r.message["To"] == "gfzx@sthjt.nmg.example.gov.cn"
                    and "2025年4月" in r.message["Subject"])
    assert operator["Subject"].startswith("【数据缺口】") and operator["Subject"].endswith("（2025年4月）")
    text = operator.get_body(("plain",)).get_content()
    # one gap per feed and month: what is missing, what it leaves uncomputed, and the command, once, where the
    # ask says it is
    assert "请于5月20日前恢复数据，并执行所列命令补采：" in text and "命令见下" not in text
    assert text.count("请执行：ecoflow run waste --period 2025-04") == 1
    assert text.index("固体废物与污水处理 2025年4月") < text.index("请执行：ecoflow run waste --period 2025-04")
    assert "截至2025年5月10日，2025年4月监测数据仍未入库，涉及" in text and "呼和浩特市「危险废物利用处置率」" in text
    # an operator is nobody's lead department, and the departments' note on annual targets is not theirs
    assert "牵头部门：" not in text and "年度目标" not in text and "进行中" not in text
