"""The 集中式饮用水水源地水质月报 sheet: an environment bureau's month of its drinking-water sources, item by item,
written and read back.

It goes out with the indicator template to each bureau whose region has sources in the catalogue
(catalogue/drinking_water_sources.csv) and comes back through the same inbox as its own file. One block per source:
first its 本月取水量 (万吨, for the by-volume ratio), then one row per item the source is assessed on (GB 3838-2002
Tables 1 and 2 for a surface source, GB/T 14848-2017 Table 1 for groundwater) with its unit and class Ⅲ limit
printed. The clerk copies the month's monitoring report into 监测值 — a number, or below the detection limit as the
lab writes it (0.004L, <0.004, 未检出) — and leaves an item blank when it was not monitored. Only 监测值 and 备注
are editable; a hidden `_meta` sheet repeats department, period and the row → (source, item) mapping. The reader
identifies a file by its content, never by its name, and leaves every judgement to the drinking_water_sources suite.
"""

from __future__ import annotations

from pathlib import Path

from tasks.core.errors import ParseError, UsageError
from tasks.sources.base import Parsed, RowIssue
from tasks.sources.submissions.workbook import open_workbook, sheet_names, text_of
from tasks.standards import drinking_water as standard

SHEET = "水源地水质月报"
META_SHEET = "_meta"
TEMPLATE_VERSION = "ecoflow-drinking-water/1"
LABELS = {"department_code": "部门编码", "name": "部门名称", "period": "期别", "instructions": "填报说明"}
DEPARTMENT_ROW, NAME_ROW, PERIOD_ROW, INSTRUCTIONS_ROW, HEADER_ROW, FIRST_DATA_ROW = 2, 3, 4, 5, 6, 7
HEADERS = ("序号", "水源地编码", "水源地名称", "水源类型", "项目编码", "监测项目", "单位", "Ⅲ类标准限值", "监测值",
           "备注")
SOURCE_COLUMN, ITEM_COLUMN, VALUE_COLUMN, NOTE_COLUMN = "B", "E", "I", "J"
BACKGROUND = "（本底，不参评）"
INDICATOR = "drinking_water_source_good_ratio"   # the indicator the sheet's sources are counted for
TIDY_COLUMNS = ["row_id", "file_name", "source_line", "sheet", "cell", "source_code", "source_name", "item",
                "item_name", "unit", "value_text", "value", "below_detection", "detection_limit", "note",
                "department_code", "period"]
INSTRUCTIONS = ("按本月水源地水质监测报告逐项填写黄色的“监测值”：填数字，单位以“单位”列为准；低于检出限的按报告写法"
                "填写（如 0.004L、<0.004 或 未检出）；本月未监测的项目留空（留空不等于0）。每个水源地首行填本月取水量"
                "（万吨）。请勿改动其他内容、插入或删除行。")


def write_source_sheet(path: Path, *, department: dict, period: str, sources: list[dict]) -> Path:
    """The department's 水源地水质月报 workbook for `period`: a block of rows per source (catalogue order)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter

    if not sources:
        raise UsageError(f"drinking-water sheet: {department.get('department_code')} has no source in the catalogue")
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    last = get_column_letter(len(HEADERS))
    ws["A1"] = f"{department['name_zh']} {period} 集中式饮用水水源地水质月报表"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells(f"A1:{last}1")
    for row, key, value in ((DEPARTMENT_ROW, "department_code", department["department_code"]),
                            (NAME_ROW, "name", department["name_zh"]), (PERIOD_ROW, "period", period),
                            (INSTRUCTIONS_ROW, "instructions", INSTRUCTIONS)):
        ws.cell(row, 1, LABELS[key]).font = Font(bold=True)
        cell = ws.cell(row, 2, value)
        cell.number_format = "@"
        cell.alignment = Alignment(wrap_text=row == INSTRUCTIONS_ROW, vertical="center")
        ws.merge_cells(f"B{row}:{last}{row}")
    ws.row_dimensions[INSTRUCTIONS_ROW].height = 48
    for col, header in enumerate(HEADERS, start=1):
        ws.cell(HEADER_ROW, col, header).font = Font(bold=True)
    editable = PatternFill("solid", fgColor="FFF2CC")
    mapping, r, n = [], FIRST_DATA_ROW, 0
    for source in sources:
        background = set(source.get("background_items") or [])
        kind = standard.KIND_ZH[source["source_kind"]] + (
            {"river": "（河流）", "lake": "（湖库）"}.get(source.get("water_body") or "", ""))
        lines = [(standard.SUPPLY, standard.SUPPLY_NAME, standard.SUPPLY_UNIT, "—")]
        lines += [(i.code, i.name_zh, i.unit, i.limit_text() + (BACKGROUND if i.code in background else ""))
                  for i in standard.items_for(source["source_kind"], source.get("water_body"))]
        for code, name, unit, limit in lines:
            n += 1
            for col, value in enumerate((n, source["source_code"], source["name_zh"], kind, code, name, unit, limit),
                                        start=1):
                ws.cell(r, col, value).alignment = Alignment(vertical="center")
            for col in (VALUE_COLUMN, NOTE_COLUMN):
                ws[f"{col}{r}"].protection = Protection(locked=False)
                ws[f"{col}{r}"].fill = editable
            ws[f"{VALUE_COLUMN}{r}"].number_format = "@"    # 0.004L and <0.004 stay text; numbers are read as typed
            mapping.append((r, source["source_code"], code))
            r += 1
    for col, width in {"A": 6, "C": 16, "D": 12, "F": 24, "G": 11, "H": 22, "I": 14, "J": 24}.items():
        ws.column_dimensions[col].width = width
    ws.column_dimensions[SOURCE_COLUMN].hidden = True    # codes are for the reader; the clerk reads names
    ws.column_dimensions[ITEM_COLUMN].hidden = True
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"
    ws.protection.sheet = True       # no password: it stops slips, not people
    ws.protection.formatColumns = False
    meta = wb.create_sheet(META_SHEET)
    meta.append(["key", "value", "source_code", "item"])
    for key, value in (("template_version", TEMPLATE_VERSION), ("department_code", department["department_code"]),
                       ("period", period), ("data_sheet", SHEET)):
        meta.append([key, value])
    for row, source_code, code in mapping:
        meta.append(["row", row, source_code, code])
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def is_source_sheet(name: str, content: bytes) -> bool:
    """Whether an inbox file is a 水源地水质月报 workbook (by its sheets, not its name)."""
    return SHEET in sheet_names(name, content)


def read_source_sheet(name: str, content: bytes) -> tuple[str | None, str | None, Parsed]:
    """(department, period, tidy rows): one row per filled 监测值 cell (a blank cell: not monitored)."""
    import pandas as pd

    from tasks.sources.submissions.reader import normalize_period

    wb = open_workbook(name, content)
    if SHEET not in wb.sheetnames:
        raise ParseError(name, f"no sheet {SHEET}: not a 水源地水质月报 workbook")
    ws = wb[SHEET]
    meta, meta_rows = _meta(wb)
    issues: list[RowIssue] = []
    department = text_of(ws.cell(DEPARTMENT_ROW, 2).value).strip() or meta.get("department_code", "")
    period = normalize_period(ws.cell(PERIOD_ROW, 2).value) or normalize_period(meta.get("period", ""))
    if not department:
        raise ParseError(name, f"no 部门编码 in {SHEET}!B{DEPARTMENT_ROW} nor in {META_SHEET}")
    for key, seen in (("department_code", department), ("period", period)):
        if meta.get(key) and normalize_period(meta[key]) != seen and meta[key] != seen:
            issues.append(RowIssue(None, "dws.meta_mismatch", f"{LABELS[key]} is {seen!r} in {SHEET} but "
                                   f"{META_SHEET} says {meta[key]!r}: use the sheet made for your department and "
                                   "month", "", LABELS[key], seen))
    headers = tuple(text_of(ws.cell(HEADER_ROW, c).value).strip() for c in range(1, len(HEADERS) + 1))
    if headers != HEADERS:
        wrong = [f"{chr(64 + i)}{HEADER_ROW} {got!r} (expected {want!r})"
                 for i, (got, want) in enumerate(zip(headers, HEADERS, strict=True), start=1) if got != want]
        raise ParseError(name, f"{SHEET}: the header row was changed ({'; '.join(wrong[:3])}): the items and their "
                               "units are read from the template, so the columns must stay as sent", line=HEADER_ROW)
    rows, lines = [], {}
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        cells = [ws.cell(r, c).value for c in range(1, len(HEADERS) + 1)]
        value_cell = cells[8]
        value_text = text_of(value_cell).strip()
        source_code, code = text_of(cells[1]).strip(), text_of(cells[4]).strip()
        if not value_text:
            continue
        lines[r] = ",".join(text_of(v) for v in cells)
        if r in meta_rows and meta_rows[r] != (source_code, code):
            issues.append(RowIssue(r, "dws.meta_mismatch", f"row {r} reads {source_code}/{code} but {META_SHEET} "
                                   f"says {meta_rows[r][0]}/{meta_rows[r][1]}: rows were moved or edited", lines[r],
                                   f"{VALUE_COLUMN}{r}", value_text))
        reading = standard.read_cell(value_cell)
        rows.append({"file_name": name, "source_line": r, "sheet": SHEET, "cell": f"{VALUE_COLUMN}{r}",
                     "source_code": source_code, "source_name": text_of(cells[2]).strip(), "item": code,
                     "item_name": text_of(cells[5]).strip(), "unit": text_of(cells[6]).strip(),
                     "value_text": value_text, "value": reading.value if reading else None,
                     "below_detection": bool(reading and reading.below_detection),
                     "detection_limit": reading.detection_limit if reading else None,
                     "note": text_of(cells[9]).strip() or None, "department_code": department, "period": period})
    frame = pd.DataFrame(rows, columns=TIDY_COLUMNS[1:])
    frame.insert(0, "row_id", range(len(frame)))
    for column in ("value", "detection_limit"):
        frame[column] = frame[column].astype("float64")
    frame["below_detection"] = frame["below_detection"].astype(bool)
    frame["row_id"] = frame["row_id"].astype("int64")
    frame["source_line"] = frame["source_line"].astype("int64")
    if not rows:
        issues.append(RowIssue(None, "dws.no_values", "no 监测值 is filled in: the file would replace the month's "
                               "sources with nothing", ""))
    return department, period or None, Parsed(frame, issues, lines)


def _meta(wb) -> tuple[dict[str, str], dict[int, tuple[str, str]]]:  # noqa: ANN001
    if META_SHEET not in wb.sheetnames:
        return {}, {}
    keys, rows = {}, {}
    for a, b, *rest in wb[META_SHEET].iter_rows(values_only=True):
        if a == "row" and len(rest) >= 2:
            try:
                rows[int(b)] = (text_of(rest[0]).strip(), text_of(rest[1]).strip())
            except (TypeError, ValueError):
                continue
        elif a:
            keys[text_of(a).strip()] = text_of(b).strip()
    return keys, rows


def finding_name(record: str | None) -> str | None:
    """A rejected row's source and item in words (一棵树水源地 铁), from the line as delivered, for the receipt."""
    if not record:
        return None
    cells = record.split(",")
    if len(cells) < 6 or not cells[2].strip():
        return None
    return f"{cells[2].strip()} {cells[5].strip()}".strip()


def write_department_sheets(con, out: Path, period: str,  # noqa: ANN001 - a duckdb connection
                            department: str | None = None) -> list[tuple[Path, str, int]]:
    """Every environment bureau's 水源地水质月报 for `period` whose region has sources in force that year (or only
    `department`'s): [(path, department name, number of sources)]."""
    from tasks.core import sql

    by_department: dict[str, list[dict]] = {}
    for s in sql.rows(con, "queries/drinking_water_sheet_sources", {"year": int(period[:4]), "indicator": INDICATOR}):
        if department is None or s["department_code"] == department:
            by_department.setdefault(s["department_code"], []).append(s)
    written = []
    for code, sources in by_department.items():
        info = {"department_code": code, "name_zh": sources[0]["department_name"]}
        path = write_source_sheet(Path(out) / f"{code}_{period}_水源地.xlsx", department=info, period=period,
                                  sources=sources)
        written.append((path, info["name_zh"], len(sources)))
    return written
