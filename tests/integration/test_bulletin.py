"""The monthly bulletin (月度通报) from a real warehouse: two waste months through the loopback feed server (the
second with a wrong unit quarantined), 林草局's submission through the inbox with a 备注 a browser would run, and
the HTML read back — values, badges, carried basis, sparklines, changes, regions, alerts, coverage, escaping.
A second warehouse holds January and December 2024 and a January 2025 delivered with a wrong unit then corrected:
projections from 2024, rolling 12 months, the revisions the correction recorded, and alerts of several rules.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from tasks.alert.rules import LABELS_ZH
from tasks.core import settings
from tasks.core.errors import UsageError
from tasks.core.periods import Period
from tasks.flow.warehouse import writer
from tasks.notify import messages
from tasks.report import bulletin
from tests.helpers import land_waste_months, submit_forest_coverage
from tests.unit.test_messages import assert_reads_chinese, visible

JAN, FEB = "2025-01", "2025-02"
HOHHOT, XILINHOT = "150100", "152502"
NOTE = '<script>alert("x")</script> 数据取自<林草局>年报 & 复核'


def _two_months(home: Path, mp: pytest.MonkeyPatch) -> None:
    land_waste_months(mp, [JAN, FEB], faults={FEB: {"wrong_unit"}})
    submit_forest_coverage(home, JAN, 36.4, NOTE)


@pytest.fixture
def month(eco_env: Path, built_home) -> Path:
    """January and February 2025 (February's wrong unit quarantined) and 林草局's January submission with NOTE."""
    built_home("bulletin-two-months", _two_months, eco_env)
    return eco_env


def _corrected(home: Path, mp: pytest.MonkeyPatch) -> dict[str, float | None]:
    land_waste_months(mp, [f"2024-{m:02d}" for m in range(1, 13)] + [JAN], faults={JAN: {"wrong_unit"}})
    before = dict(warehouse("SELECT region_code, value FROM marts.indicator_values WHERE indicator_code = "
                            "'household_waste_safe_treatment_rate' AND period = ? AND period_type = 'ytd'", [JAN]))
    land_waste_months(mp, [JAN])
    return before


@pytest.fixture
def corrected(eco_env: Path, built_home) -> dict[str, float | None]:
    """All of 2024 (a complete year to project from), 2025-01 with Hohhot's collected household waste in a wrong unit
    (quarantined), then 2025-01 re-delivered correct. Returns the household waste YTD per region before the fix."""
    return built_home("bulletin-corrected", _corrected, eco_env)


def warehouse(query: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        return con.execute(query, params or []).fetchall()


def section(html: str, sid: str) -> str:
    start = html.index(f'<section id="{sid}">')
    return html[start:html.index("</section>", start)]


def row(html: str, indicator: str, region: str) -> str:
    match = re.search(rf'<tr data-indicator="{indicator}" data-region="{region}">.*?</tr>', html, re.S)
    assert match, f"no row for {indicator} in {region}"
    return match.group(0)


def svg_points(fragment: str) -> int:
    """The points of the one sparkline in a row: data-points, checked against the circles drawn."""
    svg = re.search(r'<svg class="spark".*?</svg>', fragment, re.S)
    if svg is None:
        return 0
    declared = int(re.search(r'data-points="(\d+)"', svg.group(0)).group(1))
    assert declared == svg.group(0).count("<circle")
    return declared


def assert_self_contained(html: str) -> None:
    assert not re.search(r"<script", html, re.I)
    assert not re.search(r"\bsrc\s*=", html, re.I)                         # no image, script or frame to load
    hrefs = re.findall(r'\bhref\s*=\s*"([^"]*)"', html, re.I)
    assert hrefs and all(h.startswith("#") for h in hrefs), hrefs            # in-page anchors only
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?\s*https?:", html, re.I)
    assert "url(" not in html and "@import" not in html and "<link" not in html


def assert_bulletin_reads_chinese(html: str, where: str) -> None:
    """The Latin-word check of every other output (tests/unit/test_messages.py) over the whole bulletin as read:
    no batch id, path, table or indicator code, address or English. What a department typed into 备注 (this
    module's NOTE, a script tag on purpose) is its own text and is left out."""
    assert_reads_chinese(visible(html).replace(NOTE, ""), where)


def test_the_bulletin_of_every_region(month) -> None:
    home = settings.load().home
    before = settings.load().warehouse_path.stat().st_mtime_ns
    path = bulletin.write(settings.load(), Period.parse(FEB), None)
    assert path == home / "reports" / "bulletin" / f"{FEB}.html"
    assert settings.load().warehouse_path.stat().st_mtime_ns == before    # read only
    html = path.read_text(encoding="utf-8")
    assert "<title>内蒙古自治区及各盟市 生态文明建设示范区指标月度通报 2025年2月</title>" in html
    assert "生成时间：" in html and "数据截至：" in html
    assert_self_contained(html)
    assert_bulletin_reads_chinese(html, "bulletin 2025-02")
    # the quarantined row's facility is named as its file names it, not by its id in the waste system
    assert "被隔离的数据行：呼和浩特市生活垃圾清运统计 生活垃圾清运量" in html and "150100-MT-01" not in visible(html)

    # 2. counts per status over every region; some indicators are still awaiting their department
    counts = dict(re.findall(r'data-status="([^"]+)"><div class="n">(\d+)</div>', section(html, "s1")))
    assert set(counts) == {"达标", "未达标", "进行中", "数据不足", "待报送", "未监测"}
    # Hohhot's and 土默特左旗's hazardous waste: annual targets in progress in February (RULES §4), never 未达标
    assert int(counts["待报送"]) > 0 and int(counts["进行中"]) >= 2 and int(counts["未监测"]) >= 2
    judged = warehouse("SELECT status, count(*) FROM marts.indicator_status WHERE period = ? "
                       "AND status IS NOT NULL GROUP BY status", [FEB])
    assert {s: int(n) for s, n in counts.items() if int(n)} == {s: n for s, n in judged}   # 未达标: 0 in February

    # 3. Hohhot's hazardous waste: the year to date at evaluation precision, 进行中, facilities, 2 months drawn
    (ytd,), = warehouse("SELECT value FROM marts.indicator_values WHERE indicator_code = "
                        "'hazardous_waste_disposal_rate' AND region_code = ? AND period = ? AND period_type = 'ytd'",
                        [HOHHOT, FEB])
    hazardous = row(section(html, "s2"), "hazardous_waste_disposal_rate", HOHHOT)
    assert f'<td class="num">{ytd:.1f}<' in hazardous and "1—2月累计" in hazardous
    assert '<span class="badge st-progress">进行中</span>' in hazardous
    assert "≥100%" in hazardous and "8/8 家设施·月" in hazardous
    months_with_values = warehouse("SELECT count(*) FROM marts.indicator_values WHERE indicator_code = "
                                   "'hazardous_waste_disposal_rate' AND region_code = ? AND period_type = 'month' "
                                   "AND value IS NOT NULL", [HOHHOT])[0][0]
    assert svg_points(hazardous) == months_with_values == 2
    assert "<polyline" in hazardous

    # the forest value submitted in January carries to February: 36.4, 达标, basis 2025-01, one point, no line
    forest = row(section(html, "s2"), "forest_grass_coverage", HOHHOT)
    assert '<td class="num">36.4<' in forest and '<span class="badge st-met">达标</span>' in forest
    assert f'data-basis="{JAN}"' in forest and f"沿用 {JAN} 报送值" in forest
    assert svg_points(forest) == 1 and "<polyline" not in forest
    # the department's note, escaped: the script is text, not markup
    assert "部门备注：&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; 数据取自&lt;林草局&gt;年报 &amp; 复核" in forest
    assert "<林草局>" not in html

    # an indicator nobody reported: no sparkline, no error
    plan = row(section(html, "s2"), "eco_civilization_plan", HOHHOT)
    assert svg_points(plan) == 0 and "无数据" in plan and "待报送" in plan
    # domains in the national order, sub-indicators numbered 7.2
    hohhot = section(html, "s2")[section(html, "s2").index('id="r-150100"'):]
    domains = re.findall(r'<tr class="domain"><th colspan="9">([^<]+)</th>', hohhot.split('<h3 id="r-', 1)[0])
    assert domains == ["生态制度", "生态安全", "生态空间", "生态经济", "生态生活", "生态文化"]
    assert '<td class="no">7.2</td>' in row(hohhot, "air_pm25_mean", HOHHOT)

    # 4. what changed since January: the year to date moved, previous → current
    (jan_ytd,), = warehouse("SELECT value FROM marts.indicator_status WHERE indicator_code = "
                            "'hazardous_waste_disposal_rate' AND region_code = ? AND period = ?", [HOHHOT, JAN])
    moved = row(section(html, "s3"), "hazardous_waste_disposal_rate", HOHHOT)
    assert f"{jan_ytd:.1f}" in moved and f"{ytd:.1f}" in moved

    # 5. regions side by side: the regions with targets, the ones with most 未达标 first
    board = section(html, "s4")
    assert "晒成绩、亮短板" in board
    assert '<tr data-region="150100"><th>呼和浩特市</th>' in board
    assert f'<tr data-region="{XILINHOT}"><th>锡林浩特市</th>' in board
    assert board.index('data-region="150100"') < board.index(f'data-region="{XILINHOT}"')
    assert 'data-region="150200"' not in board                          # 包头市 has values but no target

    # 6. alerts raised for February
    alerts = section(html, "s5")
    # (February: Hohhot's hazardous waste is in progress with no earlier year to project from — no target alert;
    # the feeds that did not deliver are the operators' data gaps)
    assert f'|{FEB}|data_gap|raw"' in alerts and "|below_target|" not in alerts

    # 7. coverage: the waste file, the value quarantined for its unit and its rule
    coverage = section(html, "s6")
    (file_name,), = warehouse("SELECT DISTINCT file_name FROM meta.batches WHERE source = 'waste' AND period = ?",
                              [FEB])
    assert f'data-file="{file_name}"' in coverage
    waste = re.search(r'<tr data-source="waste">.*?</tr>', coverage, re.S).group(0)
    quarantined = warehouse("SELECT count(*) FROM quarantine.row_issues WHERE source = 'waste' AND period = ? "
                            "AND severity = 'error'", [FEB])[0][0]
    assert quarantined >= 1 and f'<td class="num incomplete">{quarantined}</td>' in waste
    for (rule,) in warehouse("SELECT DISTINCT rule FROM quarantine.row_issues WHERE period = ?", [FEB]):
        # the rule in words for the reader (messages.RULES_ZH); its id only in an attribute, for operators
        assert f'<tr data-rule="{rule}"><td>{messages.rule_zh(rule)}</td>' in coverage
    assert not messages.latin_words(visible(coverage).replace(file_name, ""))
    assert "本月未运行" in re.search(r'<tr data-source="air">.*?</tr>', coverage, re.S).group(0)


def test_steward_decisions_and_values_accepted_against_the_rules(month) -> None:
    """The month's decisions (oldest first, in Chinese, a timeout not passed off as a person) and the one value
    computed from a batch a steward accepted despite its errors, tagged and footnoted."""
    hazardous = "hazardous_waste_disposal_rate"
    reason = "单位标注有误，经与供数单位核实数值正确 <吨>"
    accepted = "固废与污水 2025-02：入库 120 行，其中 3 行未通过校验仍予接受"
    cleaned = "固废与污水 2025-02：入库 117 行，隔离 3 行"
    with duckdb.connect(str(settings.load().warehouse_path)) as con:
        con.execute("INSERT INTO review.decisions VALUES "
                    "('d-all', 'r-2', 'waste', ?, 'accept_all', ?, 'wang.qiang', TIMESTAMPTZ '2025-03-04 02:05:00+00',"
                    " 'airflow', ['b-2'], 120, 0, 3, ?, NULL),"
                    "('d-timeout', 'r-1', 'waste', ?, 'accept_clean', NULL, 'timeout', "
                    "TIMESTAMPTZ '2025-03-03 16:30:00+00', 'timeout', ['b-1'], 117, 3, 0, ?, NULL)",
                    [FEB, reason, accepted, FEB, cleaned])
        con.execute("UPDATE marts.indicator_values SET overridden_batch_ids = ['b-2'] WHERE indicator_code = ? "
                    "AND region_code = ? AND period = ? AND period_type = 'ytd' AND variant = 'raw'",
                    [hazardous, HOHHOT, FEB])
    html = bulletin.write(settings.load(), Period.parse(FEB), None).read_text(encoding="utf-8")
    assert_self_contained(html)

    coverage = section(html, "s6")
    assert '<h3 id="reviews">数据审核决定</h3>' in coverage and "本月无数据审核决定" not in coverage
    logged = warehouse("SELECT decision_id, via FROM review.decisions WHERE period = ? ORDER BY decided_at", [FEB])
    shown = re.findall(r'<tr data-decision="([^"]+)" data-option="[^"]+">(.*?)</tr>', coverage, re.S)
    assert [d for d, _ in shown] == [d for d, _ in logged]                  # every one, oldest first
    cells = {d: re.findall(r"<td>(.*?)</td>", r, re.S) for d, r in shown}
    for decision, via in logged:                                            # the fixture's run decided by policy
        assert (via == "policy") == (cells[decision][3] == "按审核策略自动执行")   # the policy's name: in the log
    assert cells["d-timeout"] == ["2025-03-04 00:30", "固废与污水", "接受（剔除不合格行）", "超时自动", "—", cleaned]
    assert cells["d-all"] == ["2025-03-04 10:05", "固废与污水", "全部接受", "wang.qiang",
                              "单位标注有误，经与供数单位核实数值正确 &lt;吨&gt;", accepted]

    # the mark on exactly the value computed from the overridden batch, and the footnote pointing to the decisions
    values = section(html, "s2")
    assert values.count('<span class="tag override"') == 1
    assert '<span class="tag override" data-overridden="b-2">审核放行</span>' in row(values, hazardous, HOHHOT)
    assert values.count('class="note override-note"') == 1
    assert "经数据审核人员决定仍予接受的数据，见<a href=\"#reviews\">数据审核决定</a>" in values

    january = bulletin.write(settings.load(), Period.parse(JAN), None).read_text(encoding="utf-8")
    assert "本月无数据审核决定" in section(january, "s6") and "审核放行" not in january


def test_the_bulletin_of_one_region(month, tmp_path: Path) -> None:
    default = bulletin.write(settings.load(), Period.parse(FEB), HOHHOT)
    assert default == settings.load().home / "reports" / "bulletin" / f"{FEB}-{HOHHOT}.html"
    out = bulletin.write(settings.load(), Period.parse(FEB), HOHHOT, out=tmp_path / "通报" / "hohhot.html")
    assert out == tmp_path / "通报" / "hohhot.html"
    html = out.read_text(encoding="utf-8")
    assert "<title>呼和浩特市 生态文明建设示范区指标月度通报 2025年2月</title>" in html
    assert_self_contained(html)
    assert 'id="s4"' not in html and "晒成绩" not in html                  # no side by side for one region
    assert 'data-region="152502"' not in html and 'id="r-150100"' in html

    counts = dict(re.findall(r'data-status="([^"]+)"><div class="n">(\d+)</div>', section(html, "s1")))
    judged = dict(warehouse("SELECT status, count(*) FROM marts.indicator_status WHERE period = ? AND region_code = ?"
                            " AND status IS NOT NULL GROUP BY status", [FEB, HOHHOT]))
    assert {s: int(n) for s, n in counts.items() if int(n)} == judged and judged["待报送"] > 0

    # every national indicator is listed for the region asked for
    numbers = set(re.findall(r'<td class="no">(\d+)(?:\.\d+)?</td>', section(html, "s2")))
    assert numbers == {str(n) for n in range(1, 37)}
    hazardous = row(html, "hazardous_waste_disposal_rate", HOHHOT)
    assert '<span class="badge st-progress">进行中</span>' in hazardous and svg_points(hazardous) == 2
    assert "滚动12个月" in hazardous and "（不完整）" in hazardous      # two months of the twelve
    forest = row(html, "forest_grass_coverage", HOHHOT)
    assert "36.4" in forest and "达标" in forest and f'data-basis="{JAN}"' in forest
    assert "&lt;script&gt;" in forest

    # the region's own alerts only; the sources of the month, and its departments' submissions (none in February)
    assert "|150121|" not in section(html, "s5") and f"|{HOHHOT}|{FEB}|" in section(html, "s5")
    assert "部门报送文件：收到 0 个" in section(html, "s6")
    january = bulletin.write(settings.load(), Period.parse(JAN), HOHHOT).read_text(encoding="utf-8")
    assert "部门报送文件：收到 1 个，接收 1 个，退回 0 个" in january and "lcj.xlsx" in january
    assert "本月报送" in row(january, "forest_grass_coverage", HOHHOT)


def test_an_unknown_region_is_a_one_line_usage_error(eco_env: Path) -> None:
    with writer(settings.load()):                                          # an empty warehouse, catalogue loaded
        pass
    with pytest.raises(UsageError) as caught:
        bulletin.write(settings.load(), Period.parse(FEB), "999999")
    assert "999999" in str(caught.value) and "\n" not in str(caught.value)
    assert not (settings.load().home / "reports" / "bulletin" / f"{FEB}-999999.html").exists()

    # with nothing computed yet the bulletin still renders, and says so
    html = bulletin.write(settings.load(), Period.parse(FEB), HOHHOT).read_text(encoding="utf-8")
    assert "尚未完成达标评价" in html and "没有评价记录" in html and "<svg" not in html
    assert_self_contained(html)


def test_projection_rolling_12_revisions_and_alert_rules(corrected) -> None:
    html = bulletin.write(settings.load(), Period.parse(JAN), None).read_text(encoding="utf-8")
    assert_self_contained(html)
    assert_bulletin_reads_chinese(html, "bulletin 2025-01")
    assert ">None<" not in html and "None" not in re.sub(r"<[^>]+>", "", html)

    # 3. the projected year-end value under the YTD, flagged when it misses the target; the rolling 12 months
    status = {(i, r): (v, p, m) for i, r, v, p, m in warehouse(
        "SELECT indicator_code, region_code, value, projected_value, projected_meets FROM marts.indicator_status "
        "WHERE period = ? AND projected_from = '2024' AND status IS NOT NULL", [JAN])}
    r12 = {(i, r): v for i, r, v in warehouse("SELECT indicator_code, region_code, value FROM marts.indicator_values "
                                              "WHERE period = ? AND period_type = 'r12'", [JAN])}
    household, hazardous = "household_waste_safe_treatment_rate", "hazardous_waste_disposal_rate"
    value, projected, meets = status[(household, XILINHOT)]            # on target so far, but not by the year's end
    assert meets is False and value >= 100 > round(projected, 1)
    xilinhot = row(section(html, "s2"), household, XILINHOT)
    assert '<span class="badge st-progress">进行中</span>' in xilinhot
    assert f'data-projected="{projected:.1f}"' in xilinhot and f"预计年末 {projected:.1f}" in xilinhot
    assert "预计不达标" in xilinhot and f"滚动12个月 {r12[(household, XILINHOT)]:.1f}" in xilinhot
    value, projected, meets = status[(household, HOHHOT)]
    hohhot = row(section(html, "s2"), household, HOHHOT)
    assert meets is True and f"预计年末 {projected:.1f}" in hohhot and "预计不达标" not in hohhot
    value, projected, meets = status[(hazardous, HOHHOT)]               # below 100 so far, and projected to stay so
    assert meets is False and "预计不达标" in row(section(html, "s2"), hazardous, HOHHOT)
    (r12_ok,), = warehouse("SELECT coverage_ok FROM marts.indicator_values WHERE indicator_code = ? AND "
                           "region_code = ? AND period = ? AND period_type = 'r12'", [hazardous, HOHHOT, JAN])
    hazardous_row = row(section(html, "s2"), hazardous, HOHHOT)                  # 2024-02 … 2025-01 all delivered
    assert r12_ok is True and "（不完整）" not in hazardous_row
    assert f"滚动12个月 {r12[(hazardous, HOHHOT)]:.1f}" in hazardous_row
    december = bulletin.write(settings.load(), Period.parse("2024-12"), HOHHOT).read_text(encoding="utf-8")
    assert_bulletin_reads_chinese(december, "bulletin 2024-12")
    assert_bulletin_reads_chinese(bulletin.write(settings.load(), Period.parse("2024-12"), None)
                                  .read_text(encoding="utf-8"), "bulletin 2024-12, every region")
    assert "预计年末" not in section(december, "s2") and "滚动12个月" in section(december, "s2")  # December: the YTD

    # 4. the correction of January, 原值 → 现值 with why, as marts.indicator_value_history recorded it
    history = warehouse("SELECT region_code, old_value, new_value, reason FROM marts.indicator_value_history "
                        "WHERE indicator_code = ? AND period = ? AND period_type = 'ytd' ORDER BY region_code",
                        [household, JAN])
    after = dict(warehouse("SELECT region_code, value FROM marts.indicator_values WHERE indicator_code = ? "
                           "AND period = ? AND period_type = 'ytd'", [household, JAN]))
    assert HOHHOT in {r for r, *_ in history}                          # — (nothing computable) → the fixed value
    changes = section(html, "s3")
    (waste_file,), = warehouse("SELECT DISTINCT file_name FROM meta.batches WHERE source = 'waste' AND period = ?",
                               [JAN])
    for region, old, new, reason in history:
        assert (old, new) == (corrected[region], after[region])
        shown = re.search(rf'<tr data-revision="{household}\|{region}\|{JAN}\|raw">.*?</tr>', changes, re.S)
        assert shown, region
        old_text = "—" if old is None else f"{old:.1f}"
        assert f"{old_text} → {new:.1f}" in shown.group(0) and "1月累计" in shown.group(0)
        assert "new data waste:" in reason and "replaces waste:" in reason   # the batch ids: for operators only
        assert f"固废与污水2025年1月数据重新交付（“{waste_file}”，替换此前交付的同名文件）" in shown.group(0)
        assert "waste:" not in visible(shown.group(0))
    assert f"数值修订（1月，{changes.count('<tr data-revision=')} 项）" in changes
    one = bulletin.write(settings.load(), Period.parse(JAN), HOHHOT).read_text(encoding="utf-8")
    assert f"{household}|{HOHHOT}|{JAN}" in section(one, "s3") and "|150000|" not in section(one, "s3")

    # 6. alerts of the month: the rule, escalation, what it found, closed when and why; no value shown as —
    alerts = section(html, "s5")
    assert ("预警按系统预警规则判定（进度预警、同比恶化、年末未达标、逾期未报送；"
            "监测数据缺口仅通知数据运维单位），同一预警仅在变化、升级或解除时再次通知") in alerts
    ledger = warehouse("SELECT alert_key, kind, status, value, escalation, json_extract_string(detail, '$.finding'), "
                       "close_reason, closed_at FROM alerts.ledger WHERE period = ?", [JAN])
    assert {"projected_miss", "data_gap", "thin_data"} <= {a[1] for a in ledger}     # January: no year-end miss
    assert "below_target" not in {a[1] for a in ledger}
    # the only submission overdue in January: the environment bureau's monthly drinking-water counts
    assert {a[0].split("|")[0] for a in ledger if a[1] == "missing"} <= {"drinking_water_source_good_ratio"}
    assert alerts.count("<tr data-alert=") == len(ledger)
    for key, kind, state, value, escalation, finding, close_reason, closed_at in ledger:
        shown = re.search(rf'<tr data-alert="{re.escape(key)}" data-kind="{kind}">.*?</tr>', alerts, re.S).group(0)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", shown, re.S)
        assert cells[3].startswith(LABELS_ZH[kind]) and finding and f'<div class="sub">{finding}</div>' in cells[3]
        assert ("已升级" in cells[3]) == bool(escalation)
        assert cells[4] == ("—" if value is None else f"{value:.1f}")
        if state == "closed":
            assert "已关闭" in cells[6] and close_reason and close_reason in cells[8]
            assert closed_at.astimezone(bulletin.TZ).strftime("%Y-%m-%d %H:%M") in cells[8]
        else:
            assert "未关闭" in cells[6] and cells[8] == "—"
    projected_miss = next(a for a in ledger if a[0] == f"{household}|{XILINHOT}|{JAN}|projected_miss|raw")
    assert f"预计年末值 {status[(household, XILINHOT)][1]:g}" == projected_miss[5]
    assert any(a[1] == "data_gap" and a[3] is None and a[4] == 0 for a in ledger)  # the operators': never escalated
    assert any(a[2] == "closed" for a in ledger)                      # Hohhot's thin data, closed by the correction
