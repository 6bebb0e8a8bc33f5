"""The 月调度 workbook a department fills in each month: one row per indicator it leads, monthly indicators in the
sheet 月调度 and annual ones in their own sheet 年度指标.

Written for a clerk who fills it alone: Chinese headers only (the indicator codes the reader needs sit in a hidden
column and in the hidden `_meta` sheet), 序号 as the plan writes them (7.1, 7.2 for sub-indicators), the unit and
the basis of each value (本月数 or 1—N月累计; 年度（全年数） on the annual sheet) in every row, a yes/no task as a
是/否 list, and the deadline, the route and the 填报人 / 联系电话 fields on each sheet.

Why a sheet of their own rather than only in December [D]: 96 of the 99 indicators departments report are annual,
so "only in the reporting month" would leave most departments without a form eleven months a year and with no way
to send a figure the day it is final (a plan adopted in June). The 年度指标 sheet says on its face that it is due
in December (by the 10th of January), that a final figure may be sent earlier, and that a value already sent
stands (shown as 最近报送值) — blank means nothing new, so nothing is asked twice. A department with no monthly
indicator gets the 年度指标 sheet alone; one with no annual indicator, 月调度 alone.

Only 本期值, 备注 and the 填报人 / 联系电话 cells are editable: sheet protection without a password guides people, it
does not secure anything. Each 本期值 cell carries Excel data validation for the indicator's plausible range (or
the 是/否 list), so most typos are stopped while typing. A hidden `_meta` sheet repeats department, period and the
row → indicator mapping, so the reader can still identify a file whose visible labels were edited. The layout
constants here are what the reader relies on.
"""

from __future__ import annotations

import re
from pathlib import Path

from tasks.core.errors import UsageError
from tasks.notify import messages

# An indicator the template never asks for: it is computed from the counts asked instead (RULES §3: the
# drinking-water sources ratio from the sources evaluated and those meeting class Ⅲ; tasks/compute/drinking_water.py)
DERIVED = "drinking_water_source_good_ratio"
DERIVED_INPUTS = ("drinking_water_sources_evaluated", "drinking_water_sources_meeting_iii")


def rows_params(period: str, department: str | None) -> dict:
    """The parameters of queries/template_rows.sql: what a department's template of the month asks."""
    return {"period": period, "department": department, "derived": DERIVED, "inputs": list(DERIVED_INPUTS)}


SHEET = "月调度"
ANNUAL_SHEET = "年度指标"
META_SHEET = "_meta"
TEMPLATE_VERSION = "ecoflow-submission/2"    # 2: annual indicators on their own sheet (1: all in 月调度)

LABEL_DEPARTMENT = "部门编码"
LABEL_NAME = "部门名称"
LABEL_PERIOD = "期别"
LABEL_INSTRUCTIONS = "填报说明"
HEADERS = ("序号", "指标代码", "指标名称", "单位", "目标值", "上期值", "本期值", "备注", "填报口径")
ANNUAL_HEADERS = ("序号", "指标代码", "指标名称", "单位", "目标值", "最近报送值", "本期值", "备注", "填报口径")

TITLE_ROW = 1
DEPARTMENT_ROW, NAME_ROW, PERIOD_ROW, INSTRUCTIONS_ROW = 2, 3, 4, 5   # label in column A, value in B
HEADER_ROW = 6
FIRST_DATA_ROW = 7
VALUE_COLUMN = "G"          # 本期值
NOTE_COLUMN = "H"           # 备注
BASIS_COLUMN = "I"          # 填报口径: 本月数 / 1—N月累计 / 年度
LAST_COLUMN = "I"
CODE_COLUMN = "B"           # 指标代码: hidden (the reader needs it, a clerk does not)
YES, NO = "是", "否"         # a task's answer; the reader takes 是 as 1 (done) and 否 as 0
LABEL_FILLED_BY, LABEL_PHONE = "填报人", "联系电话"
DEADLINE_DAY = 10           # as the `missing` alert rule: the 10th of the next month

ANNUAL_MONTH = 12          # annual indicators are due with December's report (receipts list them as owed then)
DEPARTMENT_KEYS = ("department_code", "name_zh", "region_code", "region_name", "email")
ROW_KEYS = ("indicator_code", "national_no", "name_zh", "unit", "target_text", "last_value", "last_period",
            "min_value", "max_value")
_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_WIDTHS = {"A": 7, "C": 40, "D": 12, "E": 10, "F": 12, "G": 14, "H": 30, "I": 16}


def write_template(path: Path, *, department: dict, period: str, rows: list[dict]) -> Path:
    """Write the department's workbook for `period` (YYYY-MM) to `path` and return the path: 月调度 with the monthly
    indicators, 年度指标 with the annual ones (a row without `frequency` counts as monthly)."""
    from openpyxl import Workbook

    rows = [{k: _none_if_nan(v) for k, v in row.items()} for row in rows]   # NULL from a frame arrives as NaN
    _check(department, period, rows)
    monthly = [r for r in rows if r.get("frequency") != "annual"]
    annual = [r for r in rows if r.get("frequency") == "annual"]
    wb = Workbook()
    sheets = []
    if monthly or not annual:
        sheets.append((SHEET, monthly))
    if annual:
        sheets.append((ANNUAL_SHEET, annual))
    for index, (title, items) in enumerate(sheets):
        ws = wb.active if index == 0 else wb.create_sheet(title)
        ws.title = title
        others = [t for t, _ in sheets if t != title]
        _write_heading(ws, department, period, annual=title == ANNUAL_SHEET, others=others)
        _write_table(ws, items, period, annual=title == ANNUAL_SHEET)
    _write_meta(wb.create_sheet(META_SHEET), department, period, monthly if sheets[0][0] == SHEET else [], annual,
                data_sheet=sheets[0][0])
    wb.properties.title = wb.active["A1"].value
    wb.properties.creator = "ecoflow"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def full_name(department: dict) -> str:
    """区划 + 部门, without doubling the region when the catalogue name already carries it (呼和浩特市林业和草原局)."""
    region, name = department.get("region_name") or "", department["name_zh"]
    return name if name.startswith(region) else f"{region}{name}"


def _check(department: dict, period: str, rows: list[dict]) -> None:
    missing = [k for k in DEPARTMENT_KEYS if k not in department]
    if missing:
        raise UsageError(f"template: department is missing {', '.join(missing)}")
    if not isinstance(period, str) or not _PERIOD.fullmatch(period):
        raise UsageError(f"template: period must be YYYY-MM, got {period!r}")
    for number, row in enumerate(rows, start=1):
        absent = [k for k in ROW_KEYS if k not in row]
        if absent:
            code = row.get("indicator_code", "?")
            raise UsageError(f"template: row {number} ({code}) is missing {', '.join(absent)}")
        if row["min_value"] is not None and row["max_value"] is not None and row["min_value"] > row["max_value"]:
            raise UsageError(f"template: {row['indicator_code']} has min_value {row['min_value']} > max_value "
                             f"{row['max_value']}")
    codes = [r["indicator_code"] for r in rows]
    if len(set(codes)) != len(codes):
        raise UsageError(f"template: an indicator is listed twice in {codes}")


def _write_heading(ws, department: dict, period: str, *, annual: bool, others: list[str]) -> None:  # noqa: ANN001
    from openpyxl.styles import Alignment, Font

    say = messages.TEMPLATE
    ws["A1"] = (say["title_annual"] if annual else say["title"]).format(name=full_name(department), period=period)
    ws.merge_cells(f"A{TITLE_ROW}:{LAST_COLUMN}{TITLE_ROW}")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[TITLE_ROW].height = 28
    text = annual_instructions(department, period) if annual else instructions(department, period)
    if others:
        text += say["see_annual" if not annual else "see_monthly"]
    block = ((DEPARTMENT_ROW, LABEL_DEPARTMENT, department["department_code"], "D"),
             (NAME_ROW, LABEL_NAME, full_name(department), "D"),
             (PERIOD_ROW, LABEL_PERIOD, period, "D"),
             (INSTRUCTIONS_ROW, LABEL_INSTRUCTIONS, text, LAST_COLUMN))
    for row, label, value, last in block:
        ws.cell(row, 1, label).font = Font(bold=True)
        cell = ws.cell(row, 2, value)
        cell.number_format = "@"          # 期别 stays text: Excel would turn a retyped 2025-06 into a date
        cell.alignment = Alignment(horizontal="left", wrap_text=row == INSTRUCTIONS_ROW)
        ws.merge_cells(f"B{row}:{last}{row}")
    ws.row_dimensions[INSTRUCTIONS_ROW].height = 90 if annual else 60
    if annual:
        ws.sheet_properties.tabColor = "C65911"   # the 年度 sheet stands out among the tabs


def _deadline(period: str) -> str:
    """The 10th of the month after `period`, in words."""
    year, month = int(period[:4]), int(period[5:])
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year}年{month}月{DEADLINE_DAY}日"


def instructions(department: dict, period: str) -> str:
    """What to fill, by when (the 10th of the next month) and where to send it."""
    return messages.TEMPLATE["instructions"].format(deadline=_deadline(period), email=department["email"])


def annual_instructions(department: dict, period: str) -> str:
    """The 年度指标 sheet: due with December's report (by the 10th of January); a final figure may come earlier and
    a value already sent stands, so blank means nothing new."""
    year, month = int(period[:4]), int(period[5:])
    due = _deadline(f"{year:04d}-{ANNUAL_MONTH:02d}")
    key = "annual_due" if month == ANNUAL_MONTH else "annual_not_due"
    return messages.TEMPLATE[key].format(year=year, deadline=due, month_deadline=_deadline(period),
                                         email=department["email"])


def plan_number(item: dict) -> object:
    """序号 as the plan writes it: 7.1 for a sub-indicator, 10 for an indicator without sub-indicators."""
    if item["national_no"] is None:
        return None
    if (item.get("sub_count") or 1) > 1 and item.get("sub_no"):
        return f"{item['national_no']}.{item['sub_no']}"
    return item["national_no"]


def basis(item: dict, period: str) -> str:
    """Whether the value is the month's, the year so far, or the year's (an annual indicator)."""
    if item.get("frequency") == "annual":
        return "年度（全年数）"
    if item.get("unit") == "%":
        month = int(period[5:])
        return "1月累计" if month == 1 else f"1—{month}月累计"
    return "本月数"


def is_task(item: dict) -> bool:
    """A yes/no (done / not done) task: unit — and the range 0…1 (the catalogue's tasks, and only they)."""
    return item.get("obtained_by") == "task" or (item["unit"] in ("—", "") and item["min_value"] == 0
                                                 and item["max_value"] == 1)


def _write_table(ws, rows: list[dict], period: str, *, annual: bool) -> None:  # noqa: ANN001 - openpyxl, lazily
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for col, text in enumerate(ANNUAL_HEADERS if annual else HEADERS, start=1):
        cell = ws.cell(HEADER_ROW, col, text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cell.border = border
    editable = PatternFill("solid", fgColor="FFF2CC")
    for offset, item in enumerate(rows):
        r = FIRST_DATA_ROW + offset
        last = item["last_value"]
        if is_task(item) and last is not None:
            last = YES if last >= 1 else NO
        values = (plan_number(item), item["indicator_code"], item["name_zh"], item["unit"],
                  item["target_text"] or None, last, None, None, basis(item, period))
        for col, value in enumerate(values, start=1):
            cell = ws.cell(r, col, value)
            cell.border = border
            cell.alignment = Alignment(vertical="center", wrap_text=col == 3)
        if item["last_value"] is not None and item["last_period"]:
            ws.cell(r, 6).comment = Comment(f"{'报送期' if annual else '上期'}：{item['last_period']}", "ecoflow")
        for col in (VALUE_COLUMN, NOTE_COLUMN):
            ws[f"{col}{r}"].protection = Protection(locked=False)
            ws[f"{col}{r}"].fill = editable
        ws.data_validations.append(_task_validation(item, f"{VALUE_COLUMN}{r}") if is_task(item)
                                   else _value_validation(item, f"{VALUE_COLUMN}{r}"))
    code_width = max([14, *(len(str(item["indicator_code"])) + 2 for item in rows)])
    for col, width in {**_WIDTHS, "B": min(code_width, 44)}.items():
        ws.column_dimensions[col].width = width
    ws.column_dimensions[CODE_COLUMN].hidden = True   # codes are for the reader; the clerk reads names
    if not rows:   # a department without monthly indicators this month still gets a readable sheet
        ws.cell(FIRST_DATA_ROW, 3, messages.TEMPLATE["no_monthly"])
    _write_signature(ws, FIRST_DATA_ROW + max(len(rows), 1) + 1, border, editable)
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.protection.sheet = True            # no password: it stops slips, not people
    ws.protection.formatColumns = False   # widening a column is fine
    ws.protection.formatRows = False


def _write_signature(ws, row: int, border, fill) -> None:  # noqa: ANN001 - openpyxl types are imported lazily
    """填报人 and 联系电话 below the table: labels in A and E, the cells to fill in C and F (columns the reader does
    not read, so a name or a number there is never taken for a value)."""
    from openpyxl.styles import Font, Protection

    for label_col, input_col, label in (("A", "C", LABEL_FILLED_BY), ("E", "F", LABEL_PHONE)):
        ws[f"{label_col}{row}"] = label
        ws[f"{label_col}{row}"].font = Font(bold=True)
        cell = ws[f"{input_col}{row}"]
        cell.protection = Protection(locked=False)
        cell.fill = fill
        cell.border = border
        cell.number_format = "@"


def _task_validation(item: dict, ref: str):  # noqa: ANN202 - openpyxl types are imported lazily
    """A yes/no task: a drop-down of 是 / 否, nothing else accepted."""
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True, showDropDown=False,
                        showErrorMessage=True, errorStyle="stop", errorTitle="请从列表中选择",
                        error=f"{item['name_zh']}：请选择“{YES}”（已完成）或“{NO}”（未完成）；本月未报送请留空。"[:255],
                        showInputMessage=True, promptTitle="本期值", prompt=f"从下拉列表选择“{YES}”或“{NO}”")
    dv.add(ref)
    return dv


def _value_validation(item: dict, ref: str):  # noqa: ANN202 - openpyxl types are imported lazily
    """Excel refuses text and numbers outside [min_value, max_value] as they are typed (a bound may be None)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    low, high = (None if item[k] is None else _plain(item[k]) for k in ("min_value", "max_value"))
    unit = item["unit"] or "无（纯数值）"
    if low is not None and high is not None:
        operator, formulas, allowed = "between", (low, high), f"{low} 至 {high} 之间的数字"
    elif low is not None:
        operator, formulas, allowed = "greaterThanOrEqual", (low, None), f"不小于 {low} 的数字"
    elif high is not None:
        operator, formulas, allowed = "lessThanOrEqual", (high, None), f"不大于 {high} 的数字"
    else:
        operator, formulas, allowed = "between", ("-1000000000000000", "1000000000000000"), "数字"
    dv = DataValidation(
        type="decimal", operator=operator, formula1=formulas[0], formula2=formulas[1], allow_blank=True,
        showErrorMessage=True, errorStyle="stop", errorTitle="数值不符合要求",
        error=f"{item['name_zh']}：请填写{allowed}（单位：{unit}），不要带单位或文字；本月未报送请留空。"[:255],
        showInputMessage=True, promptTitle="本期值",
        prompt=f"单位：{unit}；{allowed}"[:255])
    dv.add(ref)
    return dv


def _write_meta(ws, department: dict, period: str, monthly: list[dict], annual: list[dict], *,  # noqa: ANN001
                data_sheet: str) -> None:
    """key / value rows, then `row` (月调度) and `annual_row` (年度指标): Excel row → indicator code per sheet."""
    ws.append(["key", "value", "indicator_code"])
    for key, value in (("template_version", TEMPLATE_VERSION), ("department_code", department["department_code"]),
                       ("period", period), ("region_code", department["region_code"]),
                       ("department_email", department["email"]), ("data_sheet", data_sheet),
                       ("header_row", HEADER_ROW), ("value_column", VALUE_COLUMN),
                       ("annual_sheet", ANNUAL_SHEET if annual else "")):
        ws.append([key, value])
    for key, items in (("row", monthly), ("annual_row", annual)):
        for offset, item in enumerate(items):
            ws.append([key, FIRST_DATA_ROW + offset, item["indicator_code"]])
    ws.sheet_state = "hidden"
    ws.protection.sheet = True


def _none_if_nan(value: object) -> object:
    return None if isinstance(value, float) and value != value else value


def _plain(value: float) -> str:
    """A number as Excel formula text without exponent or float noise (1000000, 0.5, 100)."""
    text = f"{float(value):.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
