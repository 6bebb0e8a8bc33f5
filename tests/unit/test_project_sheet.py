"""The 项目月调度 workbook: recognised by its sheet, read back cell by cell, refused when its header was changed."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tasks.core.errors import ParseError
from tasks.sources.submissions.projects import is_project_sheet, read_project_sheet, write_project_sheet

PROJECTS = [{"seq": 11, "project_code": "150121-P11", "name_zh": "大黑河土左旗段清淤治理工程", "years_text": "2022",
             "budget_wan": 2026.21, "planned_pct": 100.0},
            {"seq": 19, "project_code": "150121-P19", "name_zh": "土左旗城投自来水公司水厂迁建工程",
             "years_text": "2022-2023", "budget_wan": 5950.0, "planned_pct": 100.0}]
DEPARTMENT = {"department_code": "150121-slj", "name_zh": "土默特左旗水务局"}


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    return write_project_sheet(tmp_path / "s.xlsx", department=DEPARTMENT, period="2025-01", projects=PROJECTS)


def test_the_sheet_is_recognised_by_its_content_and_read_back(sheet: Path) -> None:
    wb = openpyxl.load_workbook(sheet)
    ws = wb["项目月调度"]
    ws["G7"], ws["I7"], ws["J7"], ws["L7"], ws["M7"] = "９５％", 0, "2,026.21", 7.82, "km"   # as clerks type them
    wb.save(sheet)
    content = sheet.read_bytes()
    assert is_project_sheet("随便起的名字.xlsx", content) and not is_project_sheet("s.csv", content)
    department, period, parsed = read_project_sheet("s.xlsx", content)
    assert (department, period) == ("150121-slj", "2025-01")
    first, second = parsed.rows.to_dict("records")
    assert (first["project_code"], first["progress_pct"], first["invest_month_wan"], first["invest_to_date_wan"],
            first["output_value"], first["output_unit"]) == ("150121-P11", 95.0, 0.0, 2026.21, 7.82, "km")
    assert second["project_code"] == "150121-P19" and second["progress_text"] == ""


def test_a_changed_header_is_refused_naming_the_cell(sheet: Path) -> None:
    wb = openpyxl.load_workbook(sheet)
    wb["项目月调度"]["J6"] = "累计完成投资（元）"
    wb.save(sheet)
    with pytest.raises(ParseError, match=r"J6 '累计完成投资（元）' \(expected '累计完成投资（万元）'\)"):
        read_project_sheet("s.xlsx", sheet.read_bytes())
