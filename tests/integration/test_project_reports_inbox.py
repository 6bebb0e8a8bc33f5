"""Key-project sheets (项目月调度) through the real inbox: written with the templates, filled as a clerk fills
them, checked cell by cell, landed or sent back, answered through a real SMTP server on loopback; and the
schedule status the landed months give.
"""

from __future__ import annotations

from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import duckdb
import openpyxl
import pytest

from tasks.cli.commands import main as ecoflow
from tasks.compute.project_status import statuses, watch_list
from tasks.core import settings
from tasks.core.periods import Period
from tasks.flow import inbox
from tasks.flow.warehouse import writer as connect

SLJ = "150121-slj"   # 土默特左旗水务局: projects 11, 13, 16, 17, 19 of the 重大工程表
BUREAU = "bureau-inbox@ecoflow-test.example.gov.cn"
COLUMN = {"progress": "G", "milestone": "H", "month": "I", "total": "J", "benefits": "K", "output": "L",
          "output_unit": "M", "problems": "N", "reason": "O"}


@pytest.fixture
def home(eco_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ECOFLOW_BUREAU_EMAIL", BUREAU)
    return eco_env


def sheet(home: Path, period: str, department: str = SLJ) -> Path:
    out = home / "templates"
    assert ecoflow(["templates", "--period", period, "--department", department, "--out", str(out)]) == 0
    return out / f"{department}_{period}_项目.xlsx"


def fill(home: Path, period: str, figures: dict[str, dict[str, object]], name: str | None = None,
         extra_rows: list[list[object]] | None = None) -> Path:
    """Fill the department's sheet: project code -> {column key: value}; unnamed projects left blank."""
    wb = openpyxl.load_workbook(sheet(home, period))
    ws = wb["项目月调度"]
    rows = {ws[f"B{r}"].value: r for r in range(7, ws.max_row + 1)}
    for code, cells in figures.items():
        for key, value in cells.items():
            ws[f"{COLUMN[key]}{rows[code]}"] = value
    for offset, values in enumerate(extra_rows or []):
        for col, value in enumerate(values, start=1):
            ws.cell(ws.max_row + 1 if col == 1 else ws.max_row, col, value)
        del offset
    target = settings.load().inbox_dir / (name or f"水务局{period}项目调度.xlsx")
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def process() -> list[inbox.InboxOutcome]:
    """What `ecoflow inbox` does: the files, then the months they changed evaluated."""
    outcomes = inbox.process(settings.load(), trigger="test", settle=0)
    inbox.evaluate_accepted(settings.load(), outcomes)
    return outcomes


def query(sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def findings(batch_id: str) -> list[tuple]:
    return query("SELECT rule, column_name FROM quarantine.row_issues WHERE batch_id = ? AND severity = 'error' "
                 "ORDER BY source_line, rule", [batch_id])


ALL_ON_TIME = {  # end of January 2022 for the 2022 projects; 11 is a 2022 project, 13 runs 2021-2022
    "150121-P11": {"progress": 10, "month": 200, "total": 200, "benefits": "完成河道清淤1.2公里", "output": 1.2,
                   "output_unit": "km"},
    "150121-P13": {"progress": 55, "month": 40, "total": 560},
    "150121-P16": {"progress": 30, "month": 10, "total": 300},
    "150121-P17": {"progress": 20, "month": 50, "total": 1500},
    "150121-P19": {"progress": 5, "month": 300, "total": 300, "problems": "征地手续尚未办结，请协调自然资源局"},
}


def test_a_filled_sheet_is_landed_and_receipted_with_each_project(home: Path, smtp_sink) -> None:
    fill(home, "2022-01", ALL_ON_TIME)
    [outcome] = process()
    assert outcome.accepted, outcome.reason
    assert query("SELECT project_code, progress_pct, invest_month_wan, invest_to_date_wan, output_value, problems "
                 "FROM raw.project_reports ORDER BY project_code") == [
        ("150100-P41", None, None, None, None, None),   # left blank: landed as not reported, with a warning
        ("150121-P11", 10.0, 200.0, 200.0, 1.2, None), ("150121-P13", 55.0, 40.0, 560.0, None, None),
        ("150121-P16", 30.0, 10.0, 300.0, None, None), ("150121-P17", 20.0, 50.0, 1500.0, None, None),
        ("150121-P19", 5.0, 300.0, 300.0, None, "征地手续尚未办结，请协调自然资源局")]
    [mail] = [message_from_bytes(m, policy=policy.default) if isinstance(m, bytes) else m for m in smtp_sink.messages]
    body = mail.get_body(("plain",)).get_content()
    assert "已通过校验并入库，共5项" in body             # the five reported, and the blank one named apart
    assert "以下1项本次未填报（留空不计为0）：呼和浩特市小黑河土默特左旗段生态净化工程。" in body
    assert "本月未填报" in body
    assert "土左旗城投自来水公司水厂迁建工程：形象进度 5.0%，本月投资 300.0 万元，累计 300.0 万元" in body


@pytest.mark.parametrize(("cells", "rule", "column"), [
    ({"progress": 120}, "project.range", "G"),
    ({"month": -5}, "project.range", "I"),
    ({"progress": "约30"}, "project.not_numeric", "G"),
    ({"total": "3百万"}, "project.not_numeric", "J"),
    ({"total": None}, "project.incomplete", "J"),
    ({"month": 900, "total": 300}, "project.month_exceeds_total", "I"),
    ({"total": 15_000_000, "month": 50}, "project.scale", "J"),     # 元 typed for 万元 (budget 6 900 万元)
])
def test_each_wrong_cell_sends_the_whole_sheet_back_with_the_cell_to_fix(home: Path, cells: dict, rule: str,
                                                                          column: str) -> None:
    figures = {code: dict(v) for code, v in ALL_ON_TIME.items()}
    figures["150121-P17"].update(cells)
    fill(home, "2022-01", figures)
    [outcome] = process()
    assert not outcome.accepted
    line = 7 + 4   # P17 is the fifth project row of 水务局's sheet (after Hohhot's 41 and 11, 13, 16)
    assert findings(outcome.batch_id) == [(rule, f"{column}{line}")]
    assert query("SELECT count(*) FROM raw.project_reports") == [(0,)]


def test_a_project_of_another_department_is_refused(home: Path) -> None:
    path = fill(home, "2022-01", ALL_ON_TIME)
    wb = openpyxl.load_workbook(path)
    ws = wb["项目月调度"]
    ws["B9"] = "150121-P01"          # 林草局's project typed into 水务局's sheet
    wb.save(path)
    [outcome] = process()
    assert not outcome.accepted and findings(outcome.batch_id) == [("project.unknown", "B9")]


def test_a_cumulative_figure_going_down_needs_a_reason(home: Path) -> None:
    fill(home, "2022-01", ALL_ON_TIME)
    assert process()[0].accepted
    lower = {code: {**v, "month": 0} for code, v in ALL_ON_TIME.items()}
    lower["150121-P16"] = {"progress": 25, "month": 0, "total": 300}
    fill(home, "2022-02", lower)
    [refused] = process()
    assert not refused.accepted and findings(refused.batch_id) == [("project.cumulative_decrease", "G10")]
    lower["150121-P16"]["reason"] = "1月份形象进度多报，经现场核实更正为25%"
    fill(home, "2022-02", lower)
    [accepted] = process()
    assert accepted.accepted, accepted.reason
    assert query("SELECT progress_pct, decrease_reason FROM raw.project_reports WHERE period = '2022-02' AND "
                 "project_code = '150121-P16'") == [(25.0, "1月份形象进度多报，经现场核实更正为25%")]


def test_behind_a_second_month_and_a_unit_not_reporting_reach_the_leading_groups_list(home: Path) -> None:
    january = {code: dict(v) for code, v in ALL_ON_TIME.items()}
    january["150121-P13"]["progress"] = 40       # 2021-2022: 54.2 % planned by January 2022
    fill(home, "2022-01", january)
    assert process()[0].accepted
    fill(home, "2022-02", {code: {**v, "month": 0} for code, v in january.items()})   # nothing moved
    assert process()[0].accepted
    with connect(settings.load()) as con:
        months = {m.project_code: m for m in statuses(con, Period(2022, 2), as_of=date(2022, 3, 11))}
        listed = {item["project"].project_code: item for item in watch_list(con, list(months.values()),
                                                                              Period(2022, 2))}
    p13 = months["150121-P13"]
    assert (p13.status, round(p13.planned_pct, 1), p13.progress_pct, p13.behind_months) == ("behind", 58.3, 40, 2)
    assert p13.reasons == ("形象进度 40%，计划 58.3%，滞后 18.3 个百分点",)   # 560 of 1076 万元 (52 %) is within 10
    p11 = months["150121-P11"]    # a 2022 project: 16.7 % planned, 10 % done (within the 10-point tolerance)
    assert (p11.status, round(p11.planned_pct, 1)) == ("on_schedule", 16.7)
    lcj = months["150121-P01"]    # 林草局 never reported; Tumed Left's dispatch began in January
    assert (lcj.status, lcj.behind_months) == ("not_reported", 2)
    assert months["150100-P04"].status == "not_started"        # a 2023 project of Hohhot's list
    assert listed["150121-P13"]["why"] == "连续 2 个月滞后"
    assert listed["150121-P13"]["ask"].startswith("请于下次月调度前书面报送滞后原因")
    assert listed["150121-P01"]["why"] == "连续 2 个月未按时报送"
    assert "150121-P11" not in listed
    with connect(settings.load()) as con:   # as of the February deadline the March sheets are not yet late
        early = {m.project_code: m for m in statuses(con, Period(2022, 3), as_of=date(2022, 4, 10))}
    assert early["150121-P13"].status == "awaiting"
