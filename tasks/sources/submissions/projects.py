"""The 项目月调度 workbook: each implementing unit's sheet of its key projects, written and read back.

It goes out with the indicator template (tasks/sources/submissions/template.py) and comes back through the same inbox as
its own file. One row per project the department reports (catalogue/projects.csv): 形象进度 (%) and the milestone
reached, investment completed this month and to date (万元), benefits (text, and the measurable output where there
is one), problems and help needed, and the reason when a cumulative figure goes down. Only the yellow cells are
editable; a hidden `_meta` sheet repeats department, period and the row → project mapping. The reader identifies
a file by its content, never by its name, and leaves every judgement to the project_reports suite.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.core.errors import ParseError, UsageError
from tasks.sources.base import Parsed, RowIssue
from tasks.sources.submissions.workbook import open_workbook, sheet_names, text_of

SHEET = "项目月调度"
META_SHEET = "_meta"
TEMPLATE_VERSION = "ecoflow-projects/1"
LABELS = {"department_code": "部门编码", "name": "部门名称", "period": "期别", "instructions": "填报说明"}
DEPARTMENT_ROW, NAME_ROW, PERIOD_ROW, INSTRUCTIONS_ROW, HEADER_ROW, FIRST_DATA_ROW = 2, 3, 4, 5, 6, 7
# (header, tidy field or None for a read-only column, editable)
COLUMNS: tuple[tuple[str, str | None, bool], ...] = (
    ("序号", None, False), ("项目编码", "project_code", False), ("项目名称", "name_zh", False),
    ("实施年限", None, False), ("投资概算（万元）", None, False), ("计划形象进度（%）", None, False),
    ("形象进度（%）", "progress", True), ("达到节点", "milestone_reached", True),
    ("本月完成投资（万元）", "invest_month", True), ("累计完成投资（万元）", "invest_to_date", True),
    ("已取得效益", "benefits", True), ("效益量化值", "output", True), ("效益单位", "output_unit", True),
    ("存在问题及需协调事项", "problems", True), ("累计值下降原因", "decrease_reason", True),
)
NUMBERS = {"progress": "%", "invest_month": "万元", "invest_to_date": "万元", "output": ""}
TIDY_COLUMNS = ["row_id", "file_name", "source_line", "sheet", "cell", "project_code", "name_zh",
                "progress_text", "progress_pct", "milestone_reached", "invest_month_text", "invest_month_wan",
                "invest_to_date_text", "invest_to_date_wan", "benefits", "output_text", "output_value",
                "output_unit", "problems", "decrease_reason", "department_code", "period"]
INSTRUCTIONS = ("只填写黄色单元格：形象进度按百分比填数字（0–100），投资按万元填数字；累计值比上月减少的，须在"
                "“累计值下降原因”说明；本月未推进的项目也须填报（形象进度、累计投资照填，本月投资填0）。")


def write_project_sheet(path: Path, *, department: dict, period: str, projects: list[dict]) -> Path:
    """The department's 项目月调度 workbook for `period`: one row per project it reports, plan figures shown."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter

    if not projects:
        raise UsageError(f"project sheet: {department.get('department_code')} reports no project")
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    last = get_column_letter(len(COLUMNS))
    ws["A1"] = f"{department['name_zh']} {period} 重点项目月调度表"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells(f"A1:{last}1")
    for row, key, value in ((DEPARTMENT_ROW, "department_code", department["department_code"]),
                            (NAME_ROW, "name", department["name_zh"]), (PERIOD_ROW, "period", period),
                            (INSTRUCTIONS_ROW, "instructions", INSTRUCTIONS)):
        ws.cell(row, 1, LABELS[key]).font = Font(bold=True)
        ws.cell(row, 2, value).number_format = "@"
        ws.merge_cells(f"B{row}:{last}{row}")
    for col, (header, _, _) in enumerate(COLUMNS, start=1):
        ws.cell(HEADER_ROW, col, header).font = Font(bold=True)
    editable = PatternFill("solid", fgColor="FFF2CC")
    for offset, p in enumerate(projects):
        r = FIRST_DATA_ROW + offset
        shown = (p["seq"], p["project_code"], p["name_zh"], p["years_text"], p["budget_wan"],
                 None if p.get("planned_pct") is None else round(p["planned_pct"], 1))
        for col, value in enumerate(shown, start=1):
            ws.cell(r, col, value).alignment = Alignment(wrap_text=col == 3, vertical="center")
        for col, (_, _, can_edit) in enumerate(COLUMNS, start=1):
            if can_edit:
                ws.cell(r, col).protection = Protection(locked=False)
                ws.cell(r, col).fill = editable
        for column, low, high in (("G", 0, 100), ("I", 0, None), ("J", 0, None)):
            ws.data_validations.append(_validation(f"{column}{r}", low, high))
    ws.column_dimensions["C"].width = 40
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"
    ws.protection.sheet = True       # no password: it stops slips, not people
    meta = wb.create_sheet(META_SHEET)
    meta.append(["key", "value", "project_code"])
    for key, value in (("template_version", TEMPLATE_VERSION), ("department_code", department["department_code"]),
                       ("period", period), ("data_sheet", SHEET)):
        meta.append([key, value])
    for offset, p in enumerate(projects):
        meta.append(["row", FIRST_DATA_ROW + offset, p["project_code"]])
    meta.sheet_state = "hidden"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _validation(ref: str, low: float | None, high: float | None):  # noqa: ANN202 - openpyxl types imported lazily
    from openpyxl.worksheet.datavalidation import DataValidation

    if high is None:
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1=str(low), allow_blank=True,
                            showErrorMessage=True, error="请填写不小于 0 的数字（万元），不要带单位或文字。")
    else:
        dv = DataValidation(type="decimal", operator="between", formula1=str(low), formula2=str(high),
                            allow_blank=True, showErrorMessage=True, error="请填写 0 至 100 之间的数字（%）。")
    dv.add(ref)
    return dv


def is_project_sheet(name: str, content: bytes) -> bool:
    """Whether an inbox file is a 项目月调度 workbook (by its sheets, not its name)."""
    return SHEET in sheet_names(name, content)


def read_project_sheet(name: str, content: bytes) -> tuple[str | None, str | None, Parsed]:
    """(department, period, tidy rows): one row per project row that names a project or holds a figure."""
    import pandas as pd

    from tasks.sources.submissions.reader import normalize_period, parse_number

    wb = open_workbook(name, content)
    if SHEET not in wb.sheetnames:
        raise ParseError(name, f"no sheet {SHEET}: not a 项目月调度 workbook")
    ws = wb[SHEET]
    meta = _meta(wb)
    issues: list[RowIssue] = []
    department = text_of(ws.cell(DEPARTMENT_ROW, 2).value).strip() or meta.get("department_code", "")
    period = normalize_period(ws.cell(PERIOD_ROW, 2).value) or normalize_period(meta.get("period", ""))
    if not department:
        raise ParseError(name, f"no 部门编码 in {SHEET}!B{DEPARTMENT_ROW} nor in {META_SHEET}")
    for key, seen in (("department_code", department), ("period", period)):
        if meta.get(key) and normalize_period(meta[key]) != seen and meta[key] != seen:
            issues.append(RowIssue(None, "project.meta_mismatch", f"{LABELS[key]} is {seen!r} in {SHEET} but "
                                   f"{META_SHEET} says {meta[key]!r}: use the sheet made for your department and "
                                   "month", "", LABELS[key], seen))
    headers = [text_of(ws.cell(HEADER_ROW, c).value).strip() for c in range(1, len(COLUMNS) + 1)]
    expected = [h for h, _, _ in COLUMNS]
    if headers != expected:
        wrong = [f"{chr(64 + i)}{HEADER_ROW} {got!r} (expected {want!r})"
                 for i, (got, want) in enumerate(zip(headers, expected, strict=True), start=1) if got != want]
        raise ParseError(name, f"{SHEET}: the header row was changed ({'; '.join(wrong[:3])}): the units of the "
                               "figures (%, 万元) are read from the template, so the columns must stay as sent",
                         line=HEADER_ROW)
    rows, lines = [], {}
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        cells = {field: ws.cell(r, col).value for col, (_, field, _) in enumerate(COLUMNS, start=1) if field}
        texts = {k: text_of(v).strip() for k, v in cells.items()}
        if not any(texts.values()):
            continue
        lines[r] = ",".join(text_of(ws.cell(r, c).value) for c in range(1, len(COLUMNS) + 1))
        row: dict[str, Any] = {"file_name": name, "source_line": r, "sheet": SHEET, "cell": f"G{r}:O{r}",
                               "project_code": texts["project_code"], "name_zh": texts["name_zh"],
                               "department_code": department, "period": period}
        for field, unit in NUMBERS.items():
            value = cells[field]
            number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else \
                parse_number(texts[field], unit)
            row[f"{field}_text"] = texts[field]
            row[{"progress": "progress_pct", "invest_month": "invest_month_wan",
                 "invest_to_date": "invest_to_date_wan", "output": "output_value"}[field]] = number
        for field in ("milestone_reached", "benefits", "output_unit", "problems", "decrease_reason"):
            row[field] = texts[field] or None
        rows.append(row)
    frame = pd.DataFrame(rows, columns=TIDY_COLUMNS[1:])
    frame.insert(0, "row_id", range(len(frame)))
    for column in ("progress_pct", "invest_month_wan", "invest_to_date_wan", "output_value"):
        frame[column] = frame[column].astype("float64")
    frame["row_id"] = frame["row_id"].astype("int64")
    frame["source_line"] = frame["source_line"].astype("int64")
    if not rows:
        issues.append(RowIssue(None, "project.no_rows", "no project row is filled in", ""))
    return department, period or None, Parsed(frame, issues, lines)


def _meta(wb) -> dict[str, str]:  # noqa: ANN001
    if META_SHEET not in wb.sheetnames:
        return {}
    return {text_of(a).strip(): text_of(b).strip() for a, b, *_ in wb[META_SHEET].iter_rows(values_only=True)
            if a and a != "row"}


def write_department_sheets(con, out: Path, period: str,  # noqa: ANN001 - a duckdb connection
                            department: str | None = None) -> list[tuple[Path, str, int]]:
    """Every reporting department's 项目月调度 workbook for `period` in `out` (or only `department`'s):
    [(path, department name, number of projects)]. Planned progress is printed beside each project."""
    from tasks.core import sql
    from tasks.core.periods import Period
    from tasks.standards.project_schedule import Plan, planned_share

    month = Period.parse(period)
    by_department: dict[str, list[dict]] = {}
    for p in sql.rows(con, "queries/project_plans"):
        if department is None or p["department_code"] == department:
            plan = Plan(p["start_year"], p["end_year"], p["budget_wan"], dict(p["milestones"]))
            by_department.setdefault(p["department_code"], []).append({**p, "planned_pct": planned_share(plan, month)})
    written = []
    for code, projects in by_department.items():
        info = {"department_code": code, "name_zh": projects[0]["department_name"]}
        path = write_project_sheet(Path(out) / f"{code}_{period}_项目.xlsx", department=info, period=period,
                                   projects=projects)
        written.append((path, info["name_zh"], len(projects)))
    return written
