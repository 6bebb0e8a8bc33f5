"""The 水源地水质月报 sheet: written per source from the catalogue, recognised by its sheet, read back cell by cell
as a laboratory writes values, refused when its layout was changed; each row annotated with the rules the
drinking_water_sources suite checks; and the sources catalogue checked line by line."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tasks.catalogue.check import CATALOGUE_DIR, HEADERS, check
from tasks.core.errors import ParseError
from tasks.sources.drinking_water_sources import annotate
from tasks.sources.submissions.drinking_water import (
    SHEET,
    is_source_sheet,
    read_source_sheet,
    write_source_sheet,
)
from tasks.sources.submissions.projects import is_project_sheet

DEPARTMENT = {"department_code": "152502-sthjj", "name_zh": "锡林郭勒盟生态环境局锡林浩特市分局"}
SOURCES = [{"source_code": "152502-DW01", "name_zh": "一棵树水源地", "source_kind": "groundwater", "water_body": None,
            "background_items": ["fe", "mn"]},
           {"source_code": "152502-DW09", "name_zh": "示例水库", "source_kind": "surface", "water_body": "lake",
            "background_items": []}]


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    return write_source_sheet(tmp_path / "s.xlsx", department=DEPARTMENT, period="2025-03", sources=SOURCES)


def rows_of(path: Path) -> dict[tuple[str, str], int]:
    ws = openpyxl.load_workbook(path)[SHEET]
    return {(ws[f"B{r}"].value, ws[f"E{r}"].value): r for r in range(7, ws.max_row + 1)}


def fill(path: Path, values: dict[tuple[str, str], object]) -> bytes:
    wb = openpyxl.load_workbook(path)
    rows = rows_of(path)
    for key, value in values.items():
        wb[SHEET][f"I{rows[key]}"] = value
    wb.save(path)
    return path.read_bytes()


def test_one_block_per_source_with_its_items_units_and_class_iii_limits(sheet: Path) -> None:
    ws = openpyxl.load_workbook(sheet)[SHEET]
    rows = rows_of(sheet)
    assert len(rows) == (1 + 37) + (1 + 26)        # 取水量, then GB/T 14848 Table 1 / GB 3838 Tables 1 and 2
    first = rows[("152502-DW01", "supply")]
    assert [ws.cell(first, c).value for c in (3, 4, 6, 7, 8)] == ["一棵树水源地", "地下水", "本月取水量", "万吨", "—"]
    assert ws[f"H{rows[('152502-DW01', 'fe')]}"].value == "≤0.3（本底，不参评）"
    assert ws[f"H{rows[('152502-DW09', 'tp')]}"].value == "≤0.05"           # a reservoir's total phosphorus
    assert ws[f"H{rows[('152502-DW09', 'do')]}"].value == "≥5"
    assert ws[f"D{rows[('152502-DW09', 'do')]}"].value == "地表水（湖库）"
    assert ws.column_dimensions["B"].hidden and ws.column_dimensions["E"].hidden   # codes are the reader's


def test_the_sheet_is_recognised_by_its_content_and_only_filled_cells_are_read(sheet: Path) -> None:
    content = fill(sheet, {("152502-DW01", "supply"): 52.3, ("152502-DW01", "nh3n"): "0.02L",
                           ("152502-DW09", "ph"): "７.８", ("152502-DW09", "cd"): "未检出"})
    assert is_source_sheet("随便起的名字.xlsx", content) and not is_project_sheet("x.xlsx", content)
    assert not is_source_sheet("s.csv", content)
    department, period, parsed = read_source_sheet("s.xlsx", content)
    assert (department, period, parsed.issues) == ("152502-sthjj", "2025-03", [])
    got = {(r["source_code"], r["item"]): tuple(None if v != v else v for v in (r["value"], r["below_detection"],
                                                                                r["detection_limit"]))
           for r in parsed.rows.to_dict("records")}
    assert got == {("152502-DW01", "supply"): (52.3, False, None), ("152502-DW01", "nh3n"): (None, True, 0.02),
                   ("152502-DW09", "ph"): (7.8, False, None), ("152502-DW09", "cd"): (None, True, None)}
    assert set(parsed.lines) == {r for r in parsed.rows["source_line"]}     # each row can be quoted whole


def test_a_sheet_with_nothing_filled_in_would_replace_the_month_with_nothing(sheet: Path) -> None:
    _, _, parsed = read_source_sheet("s.xlsx", sheet.read_bytes())
    assert [i.rule for i in parsed.issues] == ["dws.no_values"]


def test_a_changed_header_is_refused_naming_the_cell(sheet: Path) -> None:
    wb = openpyxl.load_workbook(sheet)
    wb[SHEET]["G6"] = "单位（μg/L）"
    wb.save(sheet)
    with pytest.raises(ParseError, match=r"G6 '单位（μg/L）' \(expected '单位'\)"):
        read_source_sheet("s.xlsx", sheet.read_bytes())


def test_a_row_whose_codes_no_longer_match_the_template_is_reported(sheet: Path) -> None:
    rows = rows_of(sheet)
    row = rows[("152502-DW01", "nh3n")]
    wb = openpyxl.load_workbook(sheet)
    wb[SHEET][f"E{row}"] = "fe"          # a row edited to another item: the hidden _meta keeps what was sent
    wb[SHEET][f"I{row}"] = 0.1
    wb.save(sheet)
    _, _, parsed = read_source_sheet("s.xlsx", sheet.read_bytes())
    assert [(i.rule, i.source_line, i.column_name) for i in parsed.issues] == [("dws.meta_mismatch", row, f"I{row}")]


CONTEXT = {s["source_code"]: s for s in SOURCES}


def _annotated(*cells: tuple[str, str, object]) -> pd.DataFrame:
    from tasks.standards.drinking_water import read_cell

    rows = []
    for n, (source, item, text) in enumerate(cells):
        reading = read_cell(text)
        rows.append({"row_id": n, "source_code": source, "item": item, "value_text": str(text),
                     "value": reading.value, "below_detection": reading.below_detection,
                     "detection_limit": reading.detection_limit})
    frame = pd.DataFrame(rows).astype({"value": "float64", "detection_limit": "float64"})
    return annotate(frame, CONTEXT)


def _failing(frame: pd.DataFrame, column: str) -> list[int]:
    return frame.index[~frame[column]].tolist()


def test_each_row_is_annotated_with_the_rule_it_breaks() -> None:
    frame = _annotated(
        ("152502-DW01", "nh3n", 0.1),          # 0 fine
        ("152502-DW99", "nh3n", 0.1),          # 1 a source not listed for the region
        ("152502-DW01", "do", 6),              # 2 dissolved oxygen is no GB/T 14848 item
        ("152502-DW01", "nh3n", "约0.1"),      # 3 not a number a lab writes
        ("152502-DW01", "cd", -0.001),         # 4 negative
        ("152502-DW01", "ph", 15),             # 5 pH outside 0–14
        ("152502-DW01", "hg", "0.002L"),       # 6 detection limit above the 0.001 limit: cannot be judged
        ("152502-DW01", "fe", "0.5L"),         # 7 the same for iron, but iron is background here: not judged
        ("152502-DW01", "pb", 5),              # 8 500 times the limit: a unit slip (warning)
        ("152502-DW01", "supply", "未检出"),   # 9 the water taken is a quantity, never below detection
        ("152502-DW09", "tp", 0.2),            # 10 above the reservoir limit, but a real value: judged later
    )
    assert _failing(frame, "known_source") == [1]
    assert _failing(frame, "known_item") == [2]
    assert _failing(frame, "numbers_ok") == [3, 9]
    assert _failing(frame, "in_range") == [4, 5]
    assert _failing(frame, "judgeable") == [6]
    assert _failing(frame, "plausible") == [8]


# ---- the catalogue of sources ---------------------------------------------------------------------------------------

@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "catalogue"
    target.mkdir()
    for name in HEADERS:
        shutil.copy(CATALOGUE_DIR / name, target / name)
    return target


def test_the_sources_catalogue_is_checked_line_by_line(folder: Path) -> None:
    path = folder / "drinking_water_sources.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    n = len(lines)
    lines += ["152502-DW01,152502,重复,groundwater,,,2022,,s,",
              "150121-DW01,152502,编码与地区不符,groundwater,,,2022,,s,",
              "152502-DW03,152502,未写水体,surface,,,2022,,s,",
              "152502-DW04,152502,地下水写了水体,groundwater,lake,,2022,,s,",
              "152502-DW05,152502,本底项目不对,groundwater,,do,2022,,s,",
              "152502-DW06,152502,年份倒置,groundwater,,,2025,2023,s,",
              "152502-DW07,999999,未知地区,spring,,,2022,,s,"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = [str(e) for e in check(folder)]
    f = "drinking_water_sources.csv"
    assert got == [
        f"{f}:{n + 1}: source_code: duplicate source_code 152502-DW01 (first on line 2)",
        f"{f}:{n + 2}: source_code: should start with its region code 152502-",
        f"{f}:{n + 3}: water_body: a surface source needs river or lake (lakes and reservoirs: the total phosphorus "
        "limit differs)",
        f"{f}:{n + 4}: water_body: only a surface source has a water body",
        f"{f}:{n + 5}: background_items: do is not an item of a groundwater source",
        f"{f}:{n + 6}: to_year: 2023 is before from_year 2025",
        f"{f}:{n + 7}: region_code: unknown region '999999'",
        f"{f}:{n + 7}: source_code: should start with its region code 999999-",
        f"{f}:{n + 7}: source_kind: 'spring' is not one of: surface, groundwater",
    ]


def test_a_by_volume_target_is_for_the_drinking_water_sources_ratio_only(folder: Path) -> None:
    path = folder / "targets.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "150100,air_good_day_ratio,2031,value,>=,80,80,by_volume,test,\n", encoding="utf-8")
    got = [str(e) for e in check(folder)]
    assert got == [f"targets.csv:{len(text.splitlines()) + 1}: variant: by_volume applies to "
                   "drinking_water_source_good_ratio only"]
