"""集中式饮用水水源地水质优良比例 judged source by source (RULES §3): 锡林浩特市's environment bureau gets a
水源地水质月报 instead of the two counts, fills it from its monitoring reports and drops it in the real
inbox; each source is judged item by item against class Ⅲ (natural-background items apart), the year so far
computed by count and by volume, and the bureau answered through a real SMTP server on loopback."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path

import duckdb
import openpyxl
import pytest

from tasks.cli.commands import main as ecoflow
from tasks.compute.drinking_water import EVALUATED, MEETING, RATIO
from tasks.core import settings
from tasks.flow import inbox

STHJJ = "152502-sthjj"            # 锡林郭勒盟生态环境局锡林浩特市分局: 一棵树 (Fe, Mn background) and 柴达木
YIKESHU, CHAIDAMU = "152502-DW01", "152502-DW02"


@pytest.fixture
def home(eco_env: Path) -> Path:
    return eco_env


def templates(home: Path, period: str, department: str = STHJJ) -> Path:
    out = home / "t" / period
    assert ecoflow(["templates", "--period", period, "--department", department, "--out", str(out)]) == 0
    return out


def submit(home: Path, period: str, changes: dict[tuple[str, str], object] | None = None,
           name: str = "水源地.xlsx") -> inbox.InboxOutcome:
    """A sheet as the bureau fills it: every item monitored, everything within class Ⅲ unless `changes` says."""
    path = templates(home, period) / f"{STHJJ}_{period}_水源地.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["水源地水质月报"]
    rows = {(ws[f"B{r}"].value, ws[f"E{r}"].value): r for r in range(7, ws.max_row + 1)}
    for (source, item), r in rows.items():
        ws[f"I{r}"] = {"supply": 80 if source == YIKESHU else 20, "ph": 7.6, "hardness": 320, "tds": 610}.get(
            item, "0.001L")
    for (source, item), value in (changes or {}).items():
        ws[f"I{rows[(source, item)]}"] = value
    settings.load().inbox_dir.mkdir(parents=True, exist_ok=True)
    wb.save(settings.load().inbox_dir / name)
    [outcome] = inbox.process(settings.load(), trigger="test", settle=0)
    inbox.evaluate_accepted(settings.load(), [outcome])   # as `ecoflow inbox` does
    return outcome


def value(capsys, period: str, variant: str = "raw") -> dict:
    capsys.readouterr()
    assert ecoflow(["indicators", "--period", period, "--region", "152502", "--indicator", RATIO, "--variant",
                    variant, "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    return row


def mails(sink) -> list:
    return [message_from_bytes(m, policy=policy.default) if isinstance(m, bytes) else m for m in sink.messages]


def query(sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_the_bureau_gets_a_source_sheet_instead_of_the_two_counts(home: Path) -> None:
    out = templates(home, "2025-01")
    assert sorted(p.name for p in out.iterdir()) == [f"{STHJJ}_2025-01.xlsx", f"{STHJJ}_2025-01_水源地.xlsx"]
    # what a workbook asks for, on every sheet (a bureau with only annual indicators left gets the 年度指标 sheet alone)
    def asked(path: Path) -> set[str]:
        return {ws[f"B{r}"].value for ws in openpyxl.load_workbook(path).worksheets if ws.title != "_meta"
                for r in range(7, ws.max_row + 1)}

    assert not asked(out / f"{STHJJ}_2025-01.xlsx") & {EVALUATED, MEETING, RATIO}
    hohhot = templates(home, "2025-01", "150100-sthjj") / "150100-sthjj_2025-01.xlsx"
    assert {EVALUATED, MEETING} <= asked(hohhot)   # no sources listed: the two counts are asked


def test_each_source_is_judged_item_by_item_by_count_and_by_volume(home: Path, capsys, smtp_sink) -> None:
    outcome = submit(home, "2025-01", {(CHAIDAMU, "nh3n"): 0.62, (YIKESHU, "fe"): 0.52, (YIKESHU, "mn"): 0.2})
    assert outcome.accepted, outcome.reason
    count = value(capsys, "2025-01")
    # 柴达木's ammonia misses class Ⅲ; 一棵树's iron and manganese are natural background, not judged
    assert (count["value"], count["numerator"], count["denominator"], count["coverage_ok"]) == (50.0, 1.0, 2.0, True)
    assert count["status"] == "进行中"                  # January of an annual target (RULES §4)
    assert "未达标：柴达木水源地（1月：氨氮（以N计） 0.62 mg/L（Ⅲ类限值≤0.50））" in count["notes"]
    assert count["lineage"]["sheet"] == "水源地水质月报" and count["lineage"]["department_code"] == STHJJ
    assert count["lineage"]["cell"] == "I7:I82"            # the sheet's 监测值 cells (2 sources × 38 rows)
    volume = value(capsys, "2025-01", "by_volume")
    assert (volume["value"], volume["numerator"], volume["denominator"]) == (80.0, 80.0, 100.0)
    [receipt] = mails(smtp_sink)
    body = receipt.get_body(("plain",)).get_content()
    assert receipt["To"] == "sthjj@xilinhot.example.gov.cn" and "已通过校验并入库，共2项" in body
    assert ("一棵树水源地：评价35项，均达到Ⅲ类标准；铁 0.52（本底，不参评）、锰 0.2（本底，不参评）；"
            "本月取水量 80 万吨") in body
    assert ("柴达木水源地：评价37项，1项未达到Ⅲ类标准：氨氮（以N计） 0.62 mg/L（Ⅲ类限值≤0.50）；"
            "本月取水量 20 万吨") in body


@pytest.mark.parametrize(("source", "item", "typed", "rule"), [
    (CHAIDAMU, "nh3n", "约0.6", "dws.not_numeric"),
    (CHAIDAMU, "fe", "0.5L", "dws.detection_limit"),   # a detection limit above ≤0.3 cannot show the iron meets it
    (CHAIDAMU, "cd", -0.001, "dws.range"),
    (YIKESHU, "supply", "未检出", "dws.not_numeric"),
])
def test_a_wrong_cell_sends_the_whole_sheet_back_naming_the_source_and_item(home: Path, smtp_sink, source: str,
                                                                          item: str, typed: object,
                                                                          rule: str) -> None:
    outcome = submit(home, "2025-01", {(source, item): typed})
    assert not outcome.accepted
    [(found, cell)] = query("SELECT rule, column_name FROM quarantine.row_issues WHERE batch_id = ? AND "
                            "severity = 'error'", [outcome.batch_id])
    assert found == rule and cell.startswith("I")
    assert query("SELECT count(*) FROM raw.drinking_water_results") == [(0,)]
    [rejection] = mails(smtp_sink)
    body = rejection.get_body(("plain",)).get_content()
    name = {CHAIDAMU: "柴达木水源地", YIKESHU: "一棵树水源地"}[source]
    assert f"{name} " in body and f"{cell}单元格" in body and f"填报“{typed}”" in body
    assert "（未识别的指标）" not in body


def test_a_corrected_earlier_month_revises_the_year_so_far_of_the_later_months(home: Path, capsys) -> None:
    assert submit(home, "2025-01", name="一月.xlsx").accepted
    assert submit(home, "2025-02", name="二月.xlsx").accepted
    assert value(capsys, "2025-02")["value"] == 100.0
    # January's sheet re-sent: 柴达木 had missed class Ⅲ for nitrate that month, so it has not met the standard all year
    assert submit(home, "2025-01", {(CHAIDAMU, "nitrate"): 24}, name="一月更正.xlsx").accepted
    february = value(capsys, "2025-02")
    assert (february["value"], february["coverage_valid"], february["coverage_expected"]) == (50.0, 2, 2)
    assert "柴达木水源地（1月：硝酸盐（以N计） 24 mg/L（Ⅲ类限值≤20.0））" in february["notes"]
    assert query("SELECT old_value, new_value FROM marts.indicator_value_history WHERE indicator_code = ? AND "
                 "region_code = '152502' AND period = '2025-02' AND variant = 'raw' AND old_value IS NOT NULL",
                 [RATIO]) == [(100.0, 50.0)]


def test_a_month_with_no_sheet_yet_is_awaited_from_the_bureau(home: Path, capsys) -> None:
    assert submit(home, "2025-01").accepted
    assert ecoflow(["recompute", "--period", "2025-02", "--source", "submissions"]) == 0   # the month evaluated
    row = value(capsys, "2025-02")
    assert (row["value"], row["status"]) == (None, "待报送")
