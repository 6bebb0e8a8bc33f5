"""The 月调度 template as departments receive it, files as they come back (xlsx filled by hand, CSV in UTF-8 or GBK),
and the submission_values suite on the tidy rows."""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tasks.core.errors import ParseError, UsageError
from tasks.sources.submissions import template as tpl
from tasks.sources.submissions.reader import (
    SHEET_LINES,
    TIDY_COLUMNS,
    annotate,
    parse_number,
    read_submission,
    sheet_and_row,
)
from tasks.sources.submissions.template import write_template
from tasks.validate.runner import validate

DEPARTMENT = {"department_code": "150100-lcj", "name_zh": "林草局", "region_code": "150100",
              "region_name": "呼和浩特市", "email": "lcj@huhhot.example.gov.cn"}
ROWS = [
    {"indicator_code": "forest_grass_coverage", "national_no": 10, "name_zh": "林草覆盖率（干旱半干旱地区）",
     "unit": "%", "target_text": "≥35", "last_value": 34.8, "last_period": "2025-05", "min_value": 0.0,
     "max_value": 100.0},
    {"indicator_code": "urban_park_green_area_per_capita", "national_no": 28, "name_zh": "城镇人均公园绿地面积",
     "unit": "平方米/人", "target_text": "≥14.5", "last_value": None, "last_period": None, "min_value": 0.0,
     "max_value": 100.0},
    {"indicator_code": "green_building_share", "national_no": 29, "name_zh": "城镇新建绿色建筑比例", "unit": "%",
     "target_text": "", "last_value": 61.0, "last_period": "2025-05", "min_value": 0.0, "max_value": 100.0},
    {"indicator_code": "afforestation_area", "national_no": None, "name_zh": "本年完成造林面积", "unit": "万亩",
     "target_text": "", "last_value": 1234.5, "last_period": "2025-05", "min_value": 0.0, "max_value": 5000.0},
    {"indicator_code": "grassland_vegetation_cover", "national_no": None, "name_zh": "草原综合植被盖度", "unit": "%",
     "target_text": "≥45", "last_value": None, "last_period": None, "min_value": 0.0, "max_value": 100.0},
]
CATALOGUE = {r["indicator_code"]: {k: r[k] for k in ("unit", "min_value", "max_value", "name_zh")} for r in ROWS}
PERIOD = "2025-06"
CSV_HEADER = "部门编码,期别,指标代码,指标名称,单位,本期值,备注"


@pytest.fixture
def blank(tmp_path: Path) -> Path:
    return write_template(tmp_path / "150100-lcj 2025-06.xlsx", department=DEPARTMENT, period=PERIOD, rows=ROWS)


def fill(path: Path, values: dict[str, object], edit=None) -> bytes:  # noqa: ANN001
    """Open the template as a department would, type into 本期值 (by cell) and save; returns the bytes sent back."""
    wb = openpyxl.load_workbook(path)
    ws = wb[tpl.SHEET]
    for ref, value in values.items():
        ws[ref] = value
    if edit:
        edit(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def by_code(frame):  # noqa: ANN001, ANN201
    return frame.set_index("indicator_code")


# --- the template ----------------------------------------------------------------------------------------------


def test_template_layout_block_header_and_rows(blank: Path) -> None:
    ws = openpyxl.load_workbook(blank)[tpl.SHEET]
    assert ws["A1"].value == "呼和浩特市林草局 2025-06 生态文明建设示范区指标月调度表"
    assert "A1:I1" in {str(r) for r in ws.merged_cells.ranges}
    assert [(ws[f"A{r}"].value, ws[f"B{r}"].value) for r in (2, 3, 4)] == [
        ("部门编码", "150100-lcj"), ("部门名称", "呼和浩特市林草局"), ("期别", "2025-06")]
    assert ws["B4"].data_type == "s" and ws["B4"].number_format == "@"
    assert ws["A5"].value == "填报说明" and "留空" in ws["B5"].value
    assert [c.value for c in ws[6]] == list(tpl.HEADERS)
    assert all(c.font.bold for c in ws[6])
    assert [ws.cell(r, 2).value for r in range(7, 12)] == [r["indicator_code"] for r in ROWS]
    assert ws["A7"].value == 10 and ws["A10"].value is None          # 序号 = national number when there is one
    assert ws["E7"].value == "≥35" and ws["F7"].value == 34.8 and ws["G7"].value is None
    assert "2025-05" in ws["F7"].comment.text
    assert ws.freeze_panes == "A7"
    assert ws.column_dimensions["C"].width == 40 and ws.column_dimensions["B"].width >= 34
    assert ws.column_dimensions["B"].hidden        # the codes are for the reader: a clerk sees Chinese only


def test_template_rows_say_plan_number_unit_basis_deadline_and_who_filled_it(tmp_path: Path) -> None:
    rows = [{**ROWS[0], "frequency": "annual"},
            {**ROWS[2], "frequency": "monthly", "national_no": 7, "sub_no": 2, "sub_count": 2},
            {**ROWS[3], "frequency": "monthly"}]
    wb = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", department=DEPARTMENT, period=PERIOD, rows=rows))
    ws, annual = wb[tpl.SHEET], wb[tpl.ANNUAL_SHEET]
    assert [ws[f"A{r}"].value for r in (7, 8)] == ["7.2", None]                   # 序号 as the plan writes it
    assert [ws[f"I{r}"].value for r in (7, 8)] == ["1—6月累计", "本月数"]
    assert (annual["A7"].value, annual["I7"].value) == (10, "年度（全年数）")
    assert ws["I6"].value == "填报口径" and ws["D7"].value == "%"
    assert "2025年7月10日前" in ws["B5"].value and DEPARTMENT["email"] in ws["B5"].value
    assert "年度指标见本文件“年度指标”表" in ws["B5"].value
    for sheet, signature in ((ws, 10), (annual, 9)):
        assert (sheet[f"A{signature}"].value, sheet[f"E{signature}"].value) == ("填报人", "联系电话")
        assert not sheet[f"C{signature}"].protection.locked and not sheet[f"F{signature}"].protection.locked
    from tests.unit.test_messages import assert_reads_chinese

    for sheet in (ws, annual):
        headers = [c.value for c in sheet[6] if c.column_letter != "B"]       # column B (codes) is hidden
        assert all(not str(h).isascii() for h in headers)
        shown = " ".join(str(c.value) for row in sheet.iter_rows() for c in row
                         if c.value is not None and c.column_letter != "B" and c.row != 2)   # row 2: the 部门编码
        assert_reads_chinese(shown.replace(DEPARTMENT["email"], ""), f"template, sheet {sheet.title}")


def test_annual_indicators_have_their_own_sheet_marked_annual_and_due_in_december(tmp_path: Path) -> None:
    rows = [{**ROWS[0], "frequency": "annual"}, {**ROWS[1], "frequency": "monthly"},
            {**ROWS[2], "frequency": "annual"}]
    wb = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", department=DEPARTMENT, period=PERIOD, rows=rows))
    assert [ws.title for ws in wb.worksheets] == ["月调度", "年度指标", "_meta"]
    monthly, annual = wb["月调度"], wb["年度指标"]
    # the monthly sheet asks only the monthly indicator; the annual sheet the two annual ones, marked 年度
    assert [monthly.cell(r, 2).value for r in range(7, 8)] == ["urban_park_green_area_per_capita"]
    assert monthly["A8"].value is None
    assert [annual.cell(r, 2).value for r in (7, 8)] == ["forest_grass_coverage", "green_building_share"]
    assert annual["A1"].value == "呼和浩特市林草局 2025-06 生态文明建设示范区年度指标报送表（年度）"
    assert {annual[f"I{r}"].value for r in (7, 8)} == {"年度（全年数）"}
    assert annual["F6"].value == "最近报送值" and annual["F7"].value == 34.8
    assert annual["F7"].comment.text.startswith("报送期：2025-05")
    assert annual.sheet_properties.tabColor.rgb.endswith("C65911")
    # June: not due; when it is due, that a final figure may come earlier, and that blank means nothing new
    june = annual["B5"].value
    assert "应于2025年12月月调度时报送（2026年1月10日前）；本月不作要求" in june
    assert "于2025年7月10日前提前报送" in june and "继续有效" in june and "不必每月重复填报" in june
    assert DEPARTMENT["email"] in june                                   # the route, on the sheet itself
    assert "按月报送的指标见本文件“月调度”表" in june
    december = openpyxl.load_workbook(write_template(tmp_path / "d.xlsx", department=DEPARTMENT, period="2025-12",
                                                     rows=rows))["年度指标"]["B5"].value
    assert "本月须填报2025年全年数，请于2026年1月10日前随本月报表报送" in december
    # the hidden mapping names each sheet's rows; the same data validation and protection on both sheets
    meta = {(r[0], r[1]): r[2] for r in wb[tpl.META_SHEET].iter_rows(min_row=2, values_only=True)}
    assert meta[("row", 7)] == "urban_park_green_area_per_capita"
    assert (meta[("annual_row", 7)], meta[("annual_row", 8)]) == ("forest_grass_coverage", "green_building_share")
    assert ("annual_sheet", "年度指标") in meta
    assert annual.protection.sheet and not annual["G7"].protection.locked and annual["F7"].protection.locked
    assert {str(dv.sqref) for dv in annual.data_validations.dataValidation} == {"G7", "G8"}


def test_a_department_with_only_annual_or_only_monthly_indicators_gets_one_sheet(tmp_path: Path) -> None:
    only_annual = openpyxl.load_workbook(write_template(
        tmp_path / "a.xlsx", department=DEPARTMENT, period=PERIOD, rows=[{**ROWS[0], "frequency": "annual"}]))
    assert [ws.title for ws in only_annual.worksheets] == ["年度指标", "_meta"]
    assert "见本文件" not in only_annual["年度指标"]["B5"].value
    data_sheet = [r[1] for r in only_annual[tpl.META_SHEET].iter_rows(values_only=True) if r[0] == "data_sheet"]
    assert data_sheet == ["年度指标"]
    only_monthly = openpyxl.load_workbook(write_template(
        tmp_path / "m.xlsx", department=DEPARTMENT, period=PERIOD, rows=[{**ROWS[1], "frequency": "monthly"}]))
    assert [ws.title for ws in only_monthly.worksheets] == ["月调度", "_meta"]
    assert "年度指标" not in only_monthly["月调度"]["B5"].value


def test_a_task_is_a_yes_no_list_read_as_1_or_0_and_nothing_else(tmp_path: Path) -> None:
    task = {"indicator_code": "eco_civilization_plan", "national_no": 1, "name_zh": "生态文明建设规划", "unit": "—",
            "target_text": "制定实施", "last_value": 1.0, "last_period": "2025-05", "min_value": 0, "max_value": 1,
            "obtained_by": "task", "frequency": "annual"}
    path = write_template(tmp_path / "task.xlsx", department=DEPARTMENT, period=PERIOD,
                          rows=[task, {**ROWS[0], "frequency": "annual"}])
    ws = openpyxl.load_workbook(path)[tpl.ANNUAL_SHEET]                       # a task is annual: its own sheet
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert (rules["G7"].type, rules["G7"].formula1) == ("list", '"是,否"') and rules["G7"].showErrorMessage
    assert rules["G8"].type == "decimal" and ws["F7"].value == "是"             # last month's answer in words
    catalogue = {"eco_civilization_plan": {k: task[k] for k in ("unit", "min_value", "max_value", "name_zh")},
                 **CATALOGUE}

    def answer(cells: dict[str, object]):  # noqa: ANN202
        return by_code(annotate(read_submission("t.xlsx", fill_sheets(path, {tpl.ANNUAL_SHEET: cells})).rows,
                                catalogue))

    done = answer({"G7": "是"})
    assert done.loc["eco_civilization_plan", "value"] == 1.0 and done.loc["eco_civilization_plan", "in_range"]
    assert answer({"G7": "否"}).loc["eco_civilization_plan", "value"] == 0.0
    assert not answer({"G7": 0.5}).loc["eco_civilization_plan", "in_range"]       # 0.5 is not an answer
    assert not answer({"G7": "差不多"}).loc["eco_civilization_plan", "numeric_ok"]
    # 是 in a number's row is not a number
    assert not answer({"G8": "是"}).loc["forest_grass_coverage", "numeric_ok"]


def test_template_only_value_and_note_cells_are_unlocked(blank: Path) -> None:
    ws = openpyxl.load_workbook(blank)[tpl.SHEET]
    assert ws.protection.sheet is True and not ws.protection.password
    unlocked = {c.coordinate for row in ws.iter_rows(min_row=1, max_row=11, max_col=8) for c in row
                if not c.protection.locked}
    assert unlocked == {f"{col}{r}" for col in "GH" for r in range(7, 12)}


def test_template_validates_each_value_cell_with_its_range_and_unit(blank: Path) -> None:
    ws = openpyxl.load_workbook(blank)[tpl.SHEET]
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert set(rules) == {f"G{r}" for r in range(7, 12)}
    dv = rules["G10"]
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("decimal", "between", "0", "5000")
    assert dv.showErrorMessage and dv.allow_blank and dv.errorStyle == "stop"
    assert "本年完成造林面积" in dv.error and "0 至 5000" in dv.error
    assert dv.showInputMessage and "万亩" in dv.prompt


def test_template_bounds_may_be_open(tmp_path: Path) -> None:
    rows = [{**ROWS[0], "min_value": 0, "max_value": None}, {**ROWS[1], "min_value": None, "max_value": None}]
    path = write_template(tmp_path / "open.xlsx", department=DEPARTMENT, period=PERIOD, rows=rows)
    rules = {str(dv.sqref): dv for dv in openpyxl.load_workbook(path)[tpl.SHEET].data_validations.dataValidation}
    assert (rules["G7"].operator, rules["G7"].formula1, rules["G7"].formula2) == ("greaterThanOrEqual", "0", None)
    assert rules["G8"].type == "decimal" and "数字" in rules["G8"].error
    catalogue = {r["indicator_code"]: r for r in rows}
    sub = read_submission("open.xlsx", fill(path, {"G7": 1e6, "G8": -5}))
    assert annotate(sub.rows, catalogue)["in_range"].tolist() == [True, True]


def test_template_meta_sheet_is_hidden_and_maps_rows_to_codes(blank: Path) -> None:
    wb = openpyxl.load_workbook(blank)
    meta = wb[tpl.META_SHEET]
    assert meta.sheet_state == "hidden" and meta.protection.sheet
    pairs = {r[0]: r[1] for r in meta.iter_rows(min_row=2, values_only=True) if r[0] != "row"}
    assert pairs["template_version"] == "ecoflow-submission/2"
    assert (pairs["department_code"], pairs["period"]) == ("150100-lcj", "2025-06")
    mapping = {r[1]: r[2] for r in meta.iter_rows(min_row=2, values_only=True) if r[0] == "row"}
    assert mapping == {7 + i: r["indicator_code"] for i, r in enumerate(ROWS)}


def test_template_refuses_bad_input(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="YYYY-MM"):
        write_template(tmp_path / "x.xlsx", department=DEPARTMENT, period="2025-6", rows=ROWS)
    with pytest.raises(UsageError, match="min_value"):
        write_template(tmp_path / "x.xlsx", department=DEPARTMENT, period=PERIOD,
                       rows=[{**ROWS[0], "min_value": 5.0, "max_value": 1.0}])


# --- reading a filled workbook ---------------------------------------------------------------------------------


def test_filled_workbook_reads_back_cell_by_cell(blank: Path) -> None:
    content = fill(blank, {"G7": 36.1, "G8": " 15.2 ", "G9": "６２.５", "G10": "1,234.5", "H7": "卫星遥感"})
    sub = read_submission("../上报/林草局 6月.xlsx", content)
    assert (sub.department_code, sub.period, sub.format, sub.sheet, sub.encoding) == (
        "150100-lcj", "2025-06", "xlsx", "月调度", None)
    assert sub.issues == []
    assert list(sub.rows.columns) == TIDY_COLUMNS
    assert sub.rows["row_id"].tolist() == [0, 1, 2, 3, 4]
    rows = by_code(sub.rows)
    assert rows.loc["forest_grass_coverage", ["cell", "source_line", "value_text", "value", "note"]].tolist() == [
        "G7", 7, "36.1", 36.1, "卫星遥感"]
    assert rows.loc["urban_park_green_area_per_capita", ["value_text", "value"]].tolist() == [" 15.2 ", 15.2]
    assert rows.loc["green_building_share", ["value_text", "value"]].tolist() == ["６２.５", 62.5]
    assert rows.loc["afforestation_area", ["value_text", "value", "unit"]].tolist() == ["1,234.5", 1234.5, "万亩"]
    blank_row = rows.loc["grassland_vegetation_cover"]
    assert (blank_row["cell"], blank_row["value_text"], math.isnan(blank_row["value"])) == ("G11", "", True)
    assert (sub.rows["file_name"] == "../上报/林草局 6月.xlsx").all()
    assert set(sub.rows["department_code"]) == {"150100-lcj"} and set(sub.rows["period"]) == {"2025-06"}
    assert sub.lines[7].startswith("10,forest_grass_coverage,")


TWO_SHEETS = [{**ROWS[1], "frequency": "monthly"}, {**ROWS[0], "frequency": "annual"},
              {**ROWS[2], "frequency": "annual"}]


def fill_sheets(path: Path, values: dict[str, dict[str, object]], edit=None) -> bytes:  # noqa: ANN001
    """Type into several sheets: sheet title -> {cell: value}."""
    wb = openpyxl.load_workbook(path)
    for title, cells in values.items():
        for ref, value in cells.items():
            wb[title][ref] = value
    if edit:
        edit(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_an_annual_value_on_the_annual_sheet_is_read_with_its_sheet_and_cell(tmp_path: Path) -> None:
    path = write_template(tmp_path / "t.xlsx", department=DEPARTMENT, period=PERIOD, rows=TWO_SHEETS)
    sub = read_submission("林草局6月.xlsx", fill_sheets(path, {"月调度": {"G7": 15.2},
                                                            "年度指标": {"G7": 36.5, "H7": "年度森林督查"}}))
    assert (sub.department_code, sub.period, sub.sheet) == ("150100-lcj", "2025-06", "月调度")
    assert sub.issues == []
    rows = by_code(sub.rows)
    assert rows.loc["urban_park_green_area_per_capita", ["sheet", "cell", "source_line", "value"]].tolist() == [
        "月调度", "月调度!G7", 7, 15.2]
    assert rows.loc["forest_grass_coverage", ["sheet", "cell", "source_line", "value", "note"]].tolist() == [
        "年度指标", "年度指标!G7", SHEET_LINES + 7, 36.5, "年度森林督查"]
    blank = rows.loc["green_building_share"]                       # an annual value not sent this month: blank
    assert (blank["cell"], blank["value_text"], math.isnan(blank["value"])) == ("年度指标!G8", "", True)
    # each sheet's rows quoted from that sheet: row 7 of 年度指标 is not row 7 of 月调度
    assert sub.lines[7].startswith("28,urban_park_green_area_per_capita,")
    assert sub.lines[SHEET_LINES + 7].startswith("10,forest_grass_coverage,")
    assert sheet_and_row("年度指标!G7", SHEET_LINES + 7) == ("年度指标", "G7", 7)
    assert sheet_and_row("G7", 7) == (None, "G7", 7)


def test_the_annual_sheet_is_checked_as_strictly(tmp_path: Path, gx_root: Path) -> None:
    """Units, ranges and cell-level findings on the annual sheet, each naming the sheet; an indicator on both
    sheets is a duplicate; a cleared code comes from _meta's mapping of that sheet."""
    path = write_template(tmp_path / "t.xlsx", department=DEPARTMENT, period=PERIOD, rows=TWO_SHEETS)

    def vandalise(wb) -> None:  # noqa: ANN001
        wb["年度指标"]["B8"] = None                                        # a code cleared on the annual sheet
        wb["年度指标"]["D7"] = "‰"                                         # a unit changed
        ws = wb["月调度"]
        ws["B8"], ws["D8"], ws["G8"] = "green_building_share", "%", 60     # an annual one typed in the monthly sheet

    content = fill_sheets(path, {"月调度": {"G7": "约15"}, "年度指标": {"G7": 36.5, "G8": 160}}, vandalise)
    sub = read_submission("t.xlsx", content)
    assert [(i.rule, i.source_line, i.severity) for i in sub.issues] == [
        ("submission.code_from_meta", SHEET_LINES + 8, "warning")]
    outcome = run_suite(sub.rows, gx_root, "annual")
    cells = sub.rows.set_index("row_id")["cell"]
    failing = {f.rule: sorted(cells[i] for i in f.row_ids) for f in outcome.failures if f.rule != "submission.blank"}
    assert failing == {"submission.not_numeric": ["月调度!G7"], "submission.unit": ["年度指标!G7"],
                       "submission.range": ["年度指标!G8"],
                       "submission.duplicate": ["年度指标!G8", "月调度!G8"]}


def test_an_annual_sheet_from_another_month_is_a_mismatch(tmp_path: Path) -> None:
    path = write_template(tmp_path / "t.xlsx", department=DEPARTMENT, period=PERIOD, rows=TWO_SHEETS)

    def paste_may(wb) -> None:  # noqa: ANN001
        wb["年度指标"]["B4"] = "2025-05"

    sub = read_submission("t.xlsx", fill_sheets(path, {"年度指标": {"G7": 36.5}}, paste_may))
    assert sub.period == "2025-06"
    issue, = sub.issues
    assert (issue.rule, issue.severity, issue.source_line, issue.column_name, issue.value_text) == (
        "submission.meta_mismatch", "error", SHEET_LINES + 4, "期别", "2025-05")
    assert "年度指标!B4" in issue.reason and issue.record.startswith("期别,2025-05")


def test_a_version_1_file_with_annual_rows_in_the_monthly_sheet_is_read_with_a_warning(tmp_path: Path) -> None:
    """Decided: a file made from the template of before (every indicator in 月调度, 年度 in its 填报口径) is read
    as it always was — same cells, same checks — and its receipt asks for this month's template."""
    path = write_template(tmp_path / "v1.xlsx", department=DEPARTMENT, period=PERIOD, rows=ROWS)   # one sheet

    def as_version_1(wb) -> None:  # noqa: ANN001
        meta = wb[tpl.META_SHEET]
        meta["B2"] = "ecoflow-submission/1"
        for r in range(2, meta.max_row + 1):
            if meta[f"A{r}"].value == "annual_sheet":
                meta.delete_rows(r)
                break
        for r in range(7, 12):
            wb[tpl.SHEET][f"I{r}"] = "年度（全年数）"

    sub = read_submission("v1.xlsx", fill(path, {"G7": 36.5, "G9": 61}, as_version_1))
    assert [(i.rule, i.severity) for i in sub.issues] == [("submission.template_version", "warning")]
    rows = by_code(sub.rows)
    assert rows.loc["forest_grass_coverage", ["sheet", "cell", "value"]].tolist() == ["月调度", "G7", 36.5]
    assert rows.loc["green_building_share", "value"] == 61.0


def test_percent_typed_into_a_percent_cell_is_read_as_displayed(blank: Path) -> None:
    def as_percent(wb) -> None:  # noqa: ANN001 - typing "35.2%" in Excel stores 0.352 with a % format
        wb[tpl.SHEET]["G7"].number_format = "0.0%"

    content = fill(blank, {"G7": 0.352, "G9": "61.5%", "G10": "12%"}, as_percent)
    rows = by_code(read_submission("f.xlsx", content).rows)
    assert rows.loc["forest_grass_coverage", ["value_text", "value"]].tolist() == ["35.2%", 35.2]
    assert rows.loc["green_building_share", "value"] == 61.5
    assert math.isnan(rows.loc["afforestation_area", "value"])         # % on a 万亩 indicator: ambiguous


def test_blank_rows_and_footnotes_below_the_table_are_skipped(blank: Path) -> None:
    def footnote(wb) -> None:  # noqa: ANN001
        ws = wb[tpl.SHEET]
        ws["A14"] = "填表人：张三    联系电话：0471-1234567"
        ws.merge_cells("A14:H14")
        ws["C16"] = "注：数据来源于年度森林督查"

    rows = read_submission("f.xlsx", fill(blank, {"G7": 36}, footnote)).rows
    assert rows["source_line"].tolist() == [7, 8, 9, 10, 11]


def test_value_on_a_row_without_indicator_is_kept_for_the_suite(blank: Path) -> None:
    rows = read_submission("f.xlsx", fill(blank, {"G13": 5})).rows
    assert rows.iloc[-1][["cell", "indicator_code", "value"]].tolist() == ["G13", "", 5.0]


def test_missing_period_everywhere_is_an_issue_and_rows_carry_blank_period(blank: Path) -> None:
    def clear(wb) -> None:  # noqa: ANN001
        wb[tpl.SHEET]["B4"] = None
        wb[tpl.META_SHEET]["B4"] = None

    sub = read_submission("f.xlsx", fill(blank, {"G7": 36}, clear))
    assert sub.period is None and set(sub.rows["period"]) == {""}    # "" not NaN: in-set rules skip nulls
    assert [(i.rule, i.severity) for i in sub.issues] == [("submission.no_period", "error")]


def test_visible_block_disagreeing_with_meta_is_an_error_naming_both_cells(blank: Path) -> None:
    def retarget(wb) -> None:  # noqa: ANN001
        wb[tpl.SHEET]["B2"] = "150100-zjj"
        wb[tpl.SHEET]["B4"] = "2025年7月"

    sub = read_submission("f.xlsx", fill(blank, {"G7": 36}, retarget))
    assert (sub.department_code, sub.period) == ("150100-zjj", "2025-07")   # the visible block is what people see
    found = {i.column_name: i for i in sub.issues}
    assert {i.rule for i in sub.issues} == {"submission.meta_mismatch"} and set(found) == {"部门编码", "期别"}
    assert all(i.severity == "error" for i in sub.issues)
    assert "月调度!B2" in found["部门编码"].reason and "_meta!B3" in found["部门编码"].reason
    assert "'150100-lcj'" in found["部门编码"].reason and found["部门编码"].value_text == "150100-zjj"
    assert "月调度!B4" in found["期别"].reason and "_meta!B4" in found["期别"].reason
    assert found["部门编码"].source_line == 2 and found["部门编码"].record == "部门编码,150100-zjj"


def test_edited_visible_labels_fall_back_to_meta(blank: Path) -> None:
    def vandalise(wb) -> None:  # noqa: ANN001
        ws = wb[tpl.SHEET]
        ws["B2"] = None                         # department value cleared
        ws["B8"] = "人均公园绿地"                # a code overwritten with a name
        ws["B9"] = None                         # a code cleared

    sub = read_submission("f.xlsx", fill(blank, {"G8": 15, "G9": 60}, vandalise))
    assert sub.department_code == "150100-lcj"
    assert sub.rows["indicator_code"].tolist() == [r["indicator_code"] for r in ROWS]
    assert {(i.rule, i.source_line, i.severity) for i in sub.issues} == {
        ("submission.identified_by_meta", 2, "warning"), ("submission.code_from_meta", 8, "warning"),
        ("submission.code_from_meta", 9, "warning")}


def test_reordered_rows_keep_their_visible_codes(blank: Path) -> None:
    def swap(wb) -> None:  # noqa: ANN001 - rows 7 and 9 swapped whole (after unprotecting)
        ws = wb[tpl.SHEET]
        for col in range(1, 9):
            a, b = ws.cell(7, col), ws.cell(9, col)
            a.value, b.value = b.value, a.value

    rows = by_code(read_submission("f.xlsx", fill(blank, {"G7": 36, "G9": 61}, swap)).rows)
    assert rows.loc["green_building_share", ["cell", "value"]].tolist() == ["G7", 61.0]
    assert rows.loc["forest_grass_coverage", ["cell", "value"]].tolist() == ["G9", 36.0]


def test_hand_made_workbook_with_merged_labels_elsewhere(tmp_path: Path) -> None:
    """No _meta, labels with a colon in merged cells further right, header on row 8, period typed as a date."""
    from datetime import datetime

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws["A1"] = "林草局月调度"
    ws.merge_cells("A1:F2")
    ws["C3"] = "部门编码："
    ws.merge_cells("C3:D3")
    ws["E3"] = "１５０１００-lcj"
    ws["C4"] = " 期 别 "
    ws.merge_cells("C4:D4")
    ws["E4"] = datetime(2025, 6, 1)
    ws.append([])
    ws.append([])
    ws.append([])
    ws.append(["指标代码", "单位", "本期值"])
    ws.merge_cells("A8:A8")
    ws.append(["forest_grass_coverage", "%", 36])
    ws.append([])
    ws.append(["green_building_share", "%", "约60"])
    buffer = io.BytesIO()
    wb.save(buffer)
    sub = read_submission("hand.XLSX", buffer.getvalue())
    assert (sub.department_code, sub.period, sub.sheet) == ("150100-lcj", "2025-06", "Sheet1")
    assert [i.rule for i in sub.issues] == ["submission.no_meta"]
    assert sub.rows[["cell", "indicator_code", "value_text"]].values.tolist() == [
        ["C9", "forest_grass_coverage", "36"], ["C11", "green_building_share", "约60"]]
    assert math.isnan(sub.rows.loc[1, "value"])


def test_unknown_department_is_returned_as_found(blank: Path) -> None:
    def other(wb) -> None:  # noqa: ANN001 - someone else's file, consistently
        wb[tpl.SHEET]["B2"] = "159900-xyz"
        wb[tpl.META_SHEET]["B3"] = "159900-xyz"

    sub = read_submission("f.xlsx", fill(blank, {"G7": 36}, other))
    assert sub.department_code == "159900-xyz" and sub.issues == []


def test_workbook_without_department_is_a_parse_error() -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["指标代码", "本期值"])
    wb.active.append(["forest_grass_coverage", 36])
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(ParseError, match="no 部门编码"):
        read_submission("f.xlsx", buffer.getvalue())


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty file"),
    (b"this is not a workbook", "not an .xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "97-2003"),
    (b"PK\x03\x04" + b"\0" * 60, "not a readable .xlsx"),
])
def test_unusable_xlsx_is_a_parse_error(content: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason) as err:
        read_submission("../x/报表.xlsx", content)
    assert err.value.file == "../x/报表.xlsx"


def test_truncated_xlsx_is_a_parse_error(blank: Path) -> None:
    content = blank.read_bytes()
    with pytest.raises(ParseError, match="xlsx"):
        read_submission("f.xlsx", content[: len(content) // 2])
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, b"<oops" if item.filename == "xl/worksheets/sheet1.xml" else data)
    with pytest.raises(ParseError, match="xlsx"):
        read_submission("f.xlsx", damaged.getvalue())


@pytest.mark.parametrize("name", ["报表.xls", "a.pdf", "noext", "a.xlsx.txt", "a.csv.zip"])
def test_other_suffixes_are_unsupported(name: str, blank: Path) -> None:
    with pytest.raises(ParseError, match="unsupported file type"):
        read_submission(name, blank.read_bytes())


# --- CSV -------------------------------------------------------------------------------------------------------


def csv_text(*lines: str, header: str = CSV_HEADER) -> str:
    return "\r\n".join([header, *lines]) + "\r\n"


GOOD_LINES = (
    "150100-lcj,2025-06,forest_grass_coverage,林草覆盖率（干旱半干旱地区）,%,36.1,卫星遥感",
    "150100-lcj,2025-06,urban_park_green_area_per_capita,城镇人均公园绿地面积,平方米/人,15.2,",
    "150100-lcj,2025-06,grassland_vegetation_cover,草原综合植被盖度,%,,本月无监测",
)


@pytest.mark.parametrize(("encoding", "prefix", "recorded"), [
    ("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"), ("gbk", b"", "gb18030")])
def test_csv_in_utf8_bom_and_gbk_with_chinese_headers(encoding: str, prefix: bytes, recorded: str) -> None:
    sub = read_submission("林草局.CSV", prefix + csv_text(*GOOD_LINES).encode(encoding))
    assert (sub.department_code, sub.period, sub.format, sub.sheet, sub.encoding) == (
        "150100-lcj", "2025-06", "csv", None, recorded)
    assert sub.issues == []
    assert list(sub.rows.columns) == TIDY_COLUMNS
    assert sub.rows[["source_line", "cell", "name_zh", "value_text"]].values.tolist() == [
        [2, "F2", "林草覆盖率（干旱半干旱地区）", "36.1"], [3, "F3", "城镇人均公园绿地面积", "15.2"],
        [4, "F4", "草原综合植被盖度", ""]]
    assert sub.rows["value"].tolist()[:2] == [36.1, 15.2] and math.isnan(sub.rows["value"][2])
    assert sub.rows["note"].tolist() == ["卫星遥感", "", "本月无监测"]
    assert sub.lines[3] == GOOD_LINES[1]


def test_csv_english_headers_other_order_and_extra_columns() -> None:
    text = csv_text("35.5,forest_grass_coverage,%,2025/6,150100-lcj,x,≥35",
                    header="Value,indicator_code,unit,period,department_code,note,目标值")
    sub = read_submission("en.csv", text.encode())
    assert sub.rows[["cell", "value", "period", "note"]].values.tolist() == [["A2", 35.5, "2025-06", "x"]]


def test_csv_short_line_is_a_row_issue_and_the_rest_loads() -> None:
    short = "150100-lcj,2025-06,green_building_share,城镇新建绿色建筑比例,%"
    sub = read_submission("f.csv", csv_text(GOOD_LINES[0], short, GOOD_LINES[1]).encode())
    assert sub.rows["source_line"].tolist() == [2, 4]
    assert [(i.source_line, i.rule, i.severity, i.record) for i in sub.issues] == [
        (3, "parse.field_count", "error", short)]
    assert "5 of 7 fields" in sub.issues[0].reason


def test_csv_blank_lines_and_department_only_on_the_first_row() -> None:
    lines = (GOOD_LINES[0], ",,,,,,", "", ",,urban_park_green_area_per_capita,城镇人均公园绿地面积,平方米/人,15.2,")
    sub = read_submission("f.csv", csv_text(*lines).encode())
    assert sub.rows["source_line"].tolist() == [2, 5]
    assert set(sub.rows["department_code"]) == {"150100-lcj"} and set(sub.rows["period"]) == {"2025-06"}


@pytest.mark.parametrize(("content", "reason"), [
    ("指标代码,本期值\r\nforest_grass_coverage,36\r\n".encode(), "missing required column"),
    (csv_text(",2025-06,forest_grass_coverage,林草覆盖率,%,36,").encode(), "no 部门编码"),
    (b"\xef\xbb\xbf", "empty file"),
    (b"  \r\n", "empty file"),
    ("部门编码,期别,指标代码,单位,本期值,本期值\r\n".encode(), "appears twice"),
    ("\ufeff部门编码".encode("utf-16"), "UTF-16"),
])
def test_unusable_csv_is_a_parse_error(content: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        read_submission("f.csv", content)


@pytest.mark.parametrize(("text", "unit", "expected"), [
    ("35.2", "%", 35.2), (" 35.2 ", "%", 35.2), ("35.2%", "%", 35.2), ("35.2％", "％", 35.2), ("３５.２", "%", 35.2),
    ("1,234.5", "万亩", 1234.5), ("-3", "%", -3.0), ("35.2%", "万亩", None), ("35,2", "%", None),
    ("约35", "%", None), ("35万", "万亩", None), ("-", "%", None), ("nan", "%", None), ("", "%", None),
])
def test_parse_number_reads_only_unambiguous_text(text: str, unit: str, expected: float | None) -> None:
    got = parse_number(text, unit)
    assert (math.isnan(got) if expected is None else got == expected)


# --- the suite -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gx_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gx")


def run_suite(rows, gx_root: Path, run_name: str):  # noqa: ANN001, ANN201
    return validate(annotate(rows, CATALOGUE), suite="submission_values", row_key="row_id",
                    parameters={"known_indicators": list(CATALOGUE), "department_code": ["150100-lcj"],
                                "period": [PERIOD]},
                    gx_root=gx_root, run_name=run_name)


def test_annotate_adds_catalogue_columns() -> None:
    text = csv_text("150100-lcj,2025-06,forest_grass_coverage,x,％,120,", "150100-lcj,2025-06,nope,x,%,1,",
                    "150100-lcj,2025-06,afforestation_area,x,亩,约35,", "150100-lcj,2025-06,green_building_share,x,%,,")
    out = annotate(read_submission("f.csv", text.encode()).rows, CATALOGUE)
    assert out[["expected_unit", "unit_ok", "numeric_ok", "in_range"]].values.tolist() == [
        ["%", True, True, False], [None, True, True, True], ["万亩", False, False, True], ["%", True, True, True]]
    assert out.loc[0, ["min_value", "max_value"]].tolist() == [0.0, 100.0]


def test_suite_flags_the_exact_rows_of_a_filled_workbook(blank: Path, gx_root: Path) -> None:
    content = fill(blank, {"G7": 36.1, "G8": "约15", "G9": 160, "G10": "1,234.5"})   # G11 left blank
    sub = read_submission("f.xlsx", content)
    outcome = run_suite(sub.rows, gx_root, "xlsx")
    found = {f.rule: (f.severity, f.row_ids) for f in outcome.failures}
    assert found == {"submission.not_numeric": ("error", (1,)), "submission.range": ("error", (2,)),
                     "submission.blank": ("warning", (4,))}
    cells = sub.rows.set_index("row_id")["cell"]
    assert [cells[i] for i in (1, 2, 4)] == ["G8", "G9", "G11"]
    assert outcome.rows("error") == {1, 2}


def test_suite_flags_the_exact_rows_of_a_csv(gx_root: Path) -> None:
    lines = (
        "150100-lcj,2025-06,forest_grass_coverage,林草覆盖率,%,36.1,",            # 0 ok
        "150100-lcj,2025-06,urban_park_green_area_per_capita,公园绿地,公顷,15.2,",  # 1 unit
        "150100-lcj,2025-06,green_building_share,绿色建筑,%,60,",                  # 2 duplicate
        "150100-lcj,2025-06,green_building_share,绿色建筑,%,61,",                  # 3 duplicate
        "150100-lcj,2025-05,afforestation_area,造林,万亩,12,",                     # 4 period
        "150100-zjj,2025-06,grassland_vegetation_cover,植被盖度,%,50,",           # 5 department
        "150100-lcj,2025-06,air_pm25_mean,PM2.5,μg/m³,30,",                       # 6 unknown indicator
        "150100-lcj,2025-06,grassland_vegetation_cover,植被盖度,%,-1,",            # 7 range
        "150100-lcj,2025-06,forest_grass_coverage,林草覆盖率,%,约35,",              # 8 not numeric + duplicate of 0
    )
    sub = read_submission("f.csv", csv_text(*lines).encode("gb18030"))   # GBK has no ³
    outcome = run_suite(sub.rows, gx_root, "csv")
    found = {f.rule: set(f.row_ids) for f in outcome.failures}
    assert found == {"submission.unit": {1}, "submission.duplicate": {0, 2, 3, 8}, "submission.period": {4},
                     "submission.department": {5}, "submission.unknown_indicator": {6}, "submission.range": {7},
                     "submission.not_numeric": {8}}
    assert all(f.severity == "error" for f in outcome.failures)
    cells = sub.rows.set_index("row_id")["cell"]
    assert cells[1] == "F3" and cells[8] == "F10"
