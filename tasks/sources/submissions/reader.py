"""A department's submission (月调度 .xlsx, or .csv) -> tidy rows, one per indicator, identified by content.

Department and period come from the file itself (the 部门编码/期别 block cross-checked with the hidden _meta
sheet, or the CSV's columns), never from the file name, which people rename freely. A workbook's rows come from
every visible sheet with a 部门编码 block and a table header — the template's 月调度 and 年度指标, or a
template of version 1 (annual indicators inside 月调度), which is read the same way with a warning. With more than
one sheet read, each cell is named with its sheet (年度指标!G7) and a sheet's line numbers are set apart by
SHEET_LINES, so findings and quoted rows never mix two sheets. Numbers typed as text are
read when unambiguous; a blank stays blank (not reported ≠ 0). Whether a value is acceptable is left to the
submission_values suite, so every finding is reported the same way; only an unusable file raises ParseError.
The reader never touches the filesystem: names may hold anything, including "../".
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import unicodedata
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from tasks.core import numbers
from tasks.core.errors import ParseError
from tasks.sources import workbook_guard
from tasks.sources.base import Parsed, RowIssue
from tasks.sources.submissions import template as tpl

if TYPE_CHECKING:
    import pandas as pd

TIDY_COLUMNS = ["row_id", "file_name", "source_line", "sheet", "cell", "indicator_code", "name_zh", "unit",
                "value_text", "value", "note", "department_code", "period"]
ANNOTATION_COLUMNS = ["expected_unit", "min_value", "max_value", "unit_ok", "numeric_ok", "in_range"]

# Header text (Chinese as in the template, or English) -> tidy field. Other columns (序号, 目标值, 上期值) are ignored.
FIELD_ALIASES = {
    "部门编码": "department_code", "department_code": "department_code",
    "期别": "period", "period": "period",
    "指标代码": "indicator_code", "indicator_code": "indicator_code",
    "指标名称": "name_zh", "name_zh": "name_zh",
    "单位": "unit", "unit": "unit",
    "本期值": "value", "value": "value",
    "备注": "note", "note": "note",
}
CSV_REQUIRED = ("department_code", "period", "indicator_code", "unit", "value")
FIELD_LABELS = {v: k for k, v in FIELD_ALIASES.items() if not k.isascii()}
LABEL_ROWS = 10      # the 部门编码/期别 block is looked for in these first rows
HEADER_ROWS = 30     # and the table header in these
SHEET_LINES = 10_000_000   # the k-th sheet read numbers its lines k·SHEET_LINES + row (Excel stops at 1,048,576)

_PERIOD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")
_PERIOD_COMPACT = re.compile(r"(\d{4})(\d{2})")
TASK_ANSWERS = {tpl.YES: 1.0, tpl.NO: 0.0}


@dataclass
class Submission:
    department_code: str | None
    period: str | None                      # YYYY-MM when recognisable, else the text as found
    format: Literal["xlsx", "csv"]
    sheet: str | None                       # xlsx: the sheet read; csv: None
    rows: pd.DataFrame                      # TIDY_COLUMNS
    issues: list[RowIssue] = field(default_factory=list)
    lines: dict[int, str] = field(default_factory=dict)   # source_line -> the row as text, to quote it whole
    encoding: str | None = None             # csv: utf-8 | utf-8-sig | gb18030; xlsx: None

    def parsed(self) -> Parsed:
        """The adapter-protocol view of the same rows."""
        return Parsed(self.rows, self.issues, self.lines)


def read_submission(name: str, content: bytes) -> Submission:
    """Bytes as received -> tidy rows; raises ParseError only when the file as a whole is unusable."""
    suffix = PurePosixPath(name.strip().replace("\\", "/")).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ParseError(name, f"unsupported file type {suffix or '(no suffix)'!r}: "
                               "send the 月调度 template as .xlsx, or a .csv with the template's columns")
    if not content.strip():
        raise ParseError(name, f"empty file ({len(content)} bytes)")
    return _read_xlsx(name, content) if suffix == ".xlsx" else _read_csv(name, content)


def parse_number(text: str, unit: str = "") -> float:
    """The number a person meant, or NaN when it is not unambiguous.

    Accepts full-width digits, surrounding spaces, thousands separators in groups of three ("1,234.5"), a
    trailing % when the unit is %, and 是 / 否 (1 / 0) in a task's row (unit —). Rejects "35,2" (decimal comma?),
    "约35", "35万", "-", "/" and the like.
    """
    s = unicodedata.normalize("NFKC", str(text)).strip()
    if s in TASK_ANSWERS and normalize_unit(unit) == normalize_unit("—"):
        return TASK_ANSWERS[s]     # a yes/no task's drop-down (template: 是 = done, 否 = not done)
    return numbers.typed(text, percent=normalize_unit(unit) == "%")


def normalize_unit(unit: Any) -> str:
    """Compare units by meaning of the characters: ％ = %, m³ = m3, µ = μ, case and spaces ignored."""
    if unit is None or (isinstance(unit, float) and math.isnan(unit)):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(unit))).lower()


def normalize_period(value: Any) -> str:
    """2025-06, 2025/6, 2025年6月, 202506, a date cell -> "2025-06"; anything else -> its text, for the suite."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, float | int) and not isinstance(value, bool):
        value = _number_text(value)
        match = _PERIOD_COMPACT.fullmatch(value)    # 2025.1 could be January or October: left as is
        return f"{match[1]}-{match[2]}" if match and 1 <= int(match[2]) <= 12 else value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _PERIOD.fullmatch(text) or _PERIOD_COMPACT.fullmatch(text)
    if match and 1 <= int(match[2]) <= 12:
        return f"{match[1]}-{int(match[2]):02d}"
    return text


def annotate(rows: pd.DataFrame, catalogue: dict[str, dict]) -> pd.DataFrame:
    """Add what the submission_values suite compares per row, from the catalogue (code -> unit, min/max, name).

    An unknown indicator gets unit_ok/in_range True: submission.unknown_indicator already reports it once.
    A yes/no task is in range only as 0 or 1 (是 / 否).
    A blank 本期值 is numeric_ok (submission.blank reports it as a warning); a NaN value is in_range.
    """
    import pandas as pd

    out = rows.copy()
    entries = [catalogue.get(code) for code in out["indicator_code"]]
    out["expected_unit"] = pd.Series([e.get("unit") if e else None for e in entries], index=out.index, dtype=object)
    out["min_value"] = pd.Series([_bound(e, "min_value") for e in entries], index=out.index, dtype="float64")
    out["max_value"] = pd.Series([_bound(e, "max_value") for e in entries], index=out.index, dtype="float64")
    out["unit_ok"] = pd.Series(
        [e is None or normalize_unit(u) == normalize_unit(e.get("unit")) for u, e in zip(out["unit"], entries,
                                                                                         strict=True)],
        index=out.index, dtype=bool)
    blank = out["value_text"].fillna("").astype(str).str.strip() == ""
    value = out["value"].astype("float64")
    out["numeric_ok"] = (blank | value.notna()).astype(bool)
    within = (out["min_value"].isna() | (value >= out["min_value"])) & (out["max_value"].isna()
                                                                         | (value <= out["max_value"]))
    # a yes/no task (unit —, range 0…1) is done or not: 0.5 is not an answer
    task = (out["expected_unit"].map(lambda u: normalize_unit(u) == normalize_unit("—"))
            & (out["min_value"] == 0) & (out["max_value"] == 1))
    within &= ~task | value.isin([0.0, 1.0])
    out["in_range"] = (value.isna() | within).astype(bool)
    return out


def _bound(entry: dict | None, key: str) -> float:
    value = entry.get(key) if entry else None
    return math.nan if value is None or value == "" else float(value)


# --- xlsx ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    value: str
    label_cell: str
    value_cell: str
    row: int


def _read_xlsx(name: str, content: bytes) -> Submission:
    wb = _open_workbook(name, content)
    meta, meta_rows = _read_meta(wb)
    ws, block = _data_sheet(name, wb, meta)
    lines = _sheet_lines(ws)
    issues: list[RowIssue] = []
    department = _identify(ws, block, meta, "department_code", lines, issues)
    if not department:
        where = f"{ws.title}!{block['department_code'].value_cell}" if "department_code" in block else "none"
        raise ParseError(name, f"no 部门编码: the label was not found in the first {LABEL_ROWS} rows or its value "
                               f"cell is blank ({where}), and no _meta sheet names one")
    period = _identify(ws, block, meta, "period", lines, issues)
    if not period:
        issues.append(RowIssue(None, "submission.no_period", f"no 期别 in sheet {ws.title} nor in _meta; every row "
                                                             "fails submission.period", ""))
    if meta is None:
        issues.append(RowIssue(None, "submission.no_meta", "no _meta sheet (not made from the ecoflow template?): "
                                                           "identified by the visible block only", "",
                               severity="warning"))
    elif meta.get("template_version", ("", ""))[0] != tpl.TEMPLATE_VERSION:
        found = meta.get("template_version", ("(none)", ""))[0]
        issues.append(RowIssue(None, "submission.template_version", f"_meta says template version {found!r}, this "
                               f"reader knows {tpl.TEMPLATE_VERSION!r}", "", severity="warning"))
    more = _other_sheets(wb, ws)
    rows = []
    for index, sheet in enumerate([ws, *more]):
        offset = index * SHEET_LINES
        if index:
            lines.update(_sheet_lines(sheet, offset))
            _same_block(sheet, department, period or "", offset, lines, issues)
        header_row, columns = _find_header(name, sheet)
        mapping = meta_rows.get("annual_row" if sheet.title == tpl.ANNUAL_SHEET else "row", {})
        rows += _data_rows(name, sheet, header_row, columns, mapping, lines, issues, offset=offset,
                           qualify=bool(more))
    for row in rows:
        row["department_code"], row["period"] = department, period or ""
    return Submission(department, period or None, "xlsx", ws.title, _frame(rows), issues, lines)


def _open_workbook(name: str, content: bytes):  # noqa: ANN202 - openpyxl types are imported lazily
    import zipfile

    from openpyxl import load_workbook

    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParseError(name, "not an .xlsx: this is an Excel 97-2003 .xls or a password-protected workbook "
                               "saved under .xlsx; save it as .xlsx without a password")
    if not content.startswith(b"PK"):
        raise ParseError(name, f"not an .xlsx (not a zip archive; starts with {content[:8]!r})")
    workbook_guard.check(name, content)  # a zip bomb or a sheet declaring a million rows is refused unopened
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # "Data Validation extension is not supported" and friends
            return load_workbook(io.BytesIO(content), data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ParseError(name, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # openpyxl raises many kinds on damaged XML; all mean the same to the sender
        raise ParseError(name, f"damaged .xlsx workbook ({type(exc).__name__}: {exc})") from exc


def _read_meta(wb) -> tuple[dict[str, tuple[str, str]] | None, dict[str, dict[int, tuple[str, str]]]]:  # noqa: ANN001
    """key -> (value, cell), and per sheet key (`row`: 月调度, `annual_row`: 年度指标) Excel row -> (indicator_code,
    cell), from the hidden _meta sheet if there is one."""
    if tpl.META_SHEET not in wb.sheetnames:
        return None, {}
    keys: dict[str, tuple[str, str]] = {}
    rows: dict[str, dict[int, tuple[str, str]]] = {}
    for a, b, c, *_ in wb[tpl.META_SHEET].iter_rows(min_col=1, max_col=3):
        key = _text(a.value).strip()
        if key in ("row", "annual_row"):
            number = _number_text(b.value) if isinstance(b.value, int | float) else _text(b.value).strip()
            if number.isdigit():
                rows.setdefault(key, {})[int(number)] = (_code(c.value), c.coordinate)
        elif key and key not in keys:
            keys[key] = (_text(b.value).strip(), b.coordinate)
    return keys, rows


def _data_sheet(name: str, wb, meta: dict | None):  # noqa: ANN001, ANN202
    """The visible sheet holding the 部门编码 label (月调度 first, 年度指标 last), and the label block found on it."""
    sheets = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    sheets.sort(key=lambda ws: (ws.title != tpl.SHEET, ws.title == tpl.ANNUAL_SHEET))
    for ws in sheets:
        block = _find_labels(ws)
        if "department_code" in block:
            return ws, block
    if meta and meta.get("department_code", ("", ""))[0] and sheets:
        return sheets[0], _find_labels(sheets[0])
    raise ParseError(name, f"no 部门编码: no visible sheet has a '部门编码' label in its first {LABEL_ROWS} rows "
                           "and there is no _meta sheet (is this the 月调度 template?)")


def _other_sheets(wb, main) -> list:  # noqa: ANN001
    """The other visible sheets that are forms too (a 部门编码 label and a table header): the template's 年度指标,
    or a copy a clerk made — read, not skipped, so a value is never silently left out (a copy's rows then fail
    submission.duplicate and the department is told)."""
    out = []
    for ws in wb.worksheets:
        if ws is main or ws.sheet_state != "visible" or "department_code" not in _find_labels(ws):
            continue
        try:
            _find_header("", ws)
        except ParseError:
            continue
        out.append(ws)
    return out


def _same_block(ws, department: str, period: str, offset: int, lines: dict[int, str],  # noqa: ANN001
                issues: list[RowIssue]) -> None:
    """A further sheet's own 部门编码 / 期别 must be the file's: a sheet pasted from another department's or month's
    workbook would otherwise be taken for this one."""
    for key, expected in (("department_code", department), ("period", period)):
        seen = _find_labels(ws).get(key)
        if seen is None or not seen.value or seen.value == expected:
            continue
        label = FIELD_LABELS[key]
        issues.append(RowIssue(
            offset + seen.row, "submission.meta_mismatch",
            f"{label} in {ws.title}!{seen.value_cell} is {seen.value!r} but the file is {expected!r}: a sheet from "
            "another department's or month's workbook?", lines.get(offset + seen.row, ""), label, seen.value))


def _find_labels(ws) -> dict[str, _Found]:  # noqa: ANN001
    """部门编码 / 期别 anywhere in the first rows; the value is the next cell right of the label (past its merge)."""
    spans = _merge_spans(ws)
    found: dict[str, _Found] = {}
    for row in ws.iter_rows(min_row=1, max_row=min(LABEL_ROWS, ws.max_row)):
        for cell in row:
            key = FIELD_ALIASES.get(_label(cell.value))
            if key not in ("department_code", "period") or key in found:
                continue
            right = spans.get((cell.row, cell.column), (cell.row, cell.column, cell.column))[2]
            anchor = _anchor(ws, spans, cell.row, right + 1)
            raw = ws.cell(*anchor).value
            value = normalize_period(raw) if key == "period" else _code(raw)
            found[key] = _Found(value, cell.coordinate, ws.cell(*anchor).coordinate, cell.row)
    return found


def _identify(ws, block: dict[str, _Found], meta: dict | None, key: str, lines: dict[int, str],  # noqa: ANN001
              issues: list[RowIssue]) -> str:
    """The visible value, cross-checked with _meta; _meta alone when the visible one is missing or blank."""
    label = FIELD_LABELS[key]
    seen = block.get(key)
    stored, stored_cell = (meta or {}).get(key, ("", ""))
    stored = normalize_period(stored) if key == "period" and stored else _code(stored)
    if seen and seen.value:
        if stored and stored != seen.value:
            issues.append(RowIssue(
                seen.row, "submission.meta_mismatch",
                f"{label} in {ws.title}!{seen.value_cell} is {seen.value!r} but {tpl.META_SHEET}!{stored_cell} "
                f"says {stored!r} (visible block edited, or a copy of another department's or month's template?); "
                "use the template made for your department and month, or correct the block",
                lines.get(seen.row, ""), label, seen.value))
        return seen.value
    if stored:
        where = f"{ws.title}!{seen.value_cell} is blank" if seen else f"no {label} label in {ws.title}"
        issues.append(RowIssue(seen.row if seen else None, "submission.identified_by_meta",
                               f"{where}; using {tpl.META_SHEET}!{stored_cell} = {stored!r}",
                               lines.get(seen.row, "") if seen else "", label, stored, severity="warning"))
        return stored
    return ""


def _find_header(name: str, ws) -> tuple[int, dict[str, int]]:  # noqa: ANN001
    spans = _merge_spans(ws)
    for r in range(1, min(HEADER_ROWS, ws.max_row) + 1):
        columns: dict[str, int] = {}
        for c in range(1, ws.max_column + 1):
            key = FIELD_ALIASES.get(_label(ws.cell(*_anchor(ws, spans, r, c)).value))
            if key and key not in columns:
                columns[key] = c
        if "indicator_code" in columns and "value" in columns:
            return r, columns
    raise ParseError(name, f"sheet {ws.title}: no table header with 指标代码 and 本期值 in the first {HEADER_ROWS} "
                           "rows")


def _data_rows(name: str, ws, header_row: int, columns: dict[str, int],  # noqa: ANN001
               meta_rows: dict[int, tuple[str, str]], lines: dict[int, str], issues: list[RowIssue], *,
               offset: int = 0, qualify: bool = False) -> list[dict]:
    """One dict per row below the header that names an indicator or holds a value; blank and footnote rows skipped.
    Lines are numbered offset + row; with `qualify` the cell carries its sheet (年度指标!G7)."""
    from openpyxl.utils import get_column_letter

    template_codes = {code for code, _ in meta_rows.values()}
    value_col = columns["value"]
    prefix = f"{ws.title}!" if qualify else ""
    out = []
    for r in range(header_row + 1, ws.max_row + 1):
        def cell(key: str, r: int = r) -> Any:
            return ws.cell(r, columns[key]).value if key in columns else None

        unit = _text(cell("unit")).strip()
        value_cell = ws.cell(r, value_col)
        value_text, value = _cell_value(value_cell.value, unit, value_cell.number_format)
        note = _text(cell("note")).strip()
        code = _row_code(ws, r, _code(cell("indicator_code")), columns, meta_rows, template_codes, lines, issues,
                         offset)
        if not code and not value_text.strip() and not note:
            continue
        out.append({"file_name": name, "source_line": offset + r, "sheet": ws.title,
                    "cell": f"{prefix}{get_column_letter(value_col)}{r}", "indicator_code": code,
                    "name_zh": _text(cell("name_zh")).strip(), "unit": unit, "value_text": value_text,
                    "value": value, "note": note})
    return out


def _row_code(ws, r: int, visible: str, columns: dict[str, int], meta_rows: dict[int, tuple[str, str]],  # noqa: ANN001
              template_codes: set[str], lines: dict[int, str], issues: list[RowIssue], offset: int = 0) -> str:
    """The visible 指标代码 unless it was blanked or edited into something the template never had: then _meta's."""
    stored, stored_cell = meta_rows.get(r, ("", ""))
    if not stored or stored == visible:
        return visible
    if visible and visible in template_codes:   # rows were moved (sorted, re-ordered): the visible code moved along
        return visible
    from openpyxl.utils import get_column_letter

    where = f"{ws.title}!{get_column_letter(columns['indicator_code'])}{r}"
    shown = repr(visible) if visible else "blank"
    issues.append(RowIssue(offset + r, "submission.code_from_meta",
                           f"指标代码 in {where} is {shown}; using {tpl.META_SHEET}!{stored_cell} = {stored!r}",
                           lines.get(offset + r, ""), "指标代码", visible, severity="warning"))
    return stored


def _cell_value(raw: Any, unit: str, number_format: str) -> tuple[str, float]:
    """(the cell as text, the number it holds or NaN). A %-formatted 0.352 in a % row is 35.2, as displayed."""
    if raw is None:
        return "", math.nan
    if isinstance(raw, bool):
        return str(raw).upper(), math.nan
    if isinstance(raw, int | float):
        if "%" in (number_format or "") and normalize_unit(unit) == "%":
            shown = round(float(raw) * 100, 10)
            return f"{_number_text(shown)}%", shown
        return _number_text(raw), numbers.finite(float(raw))  # a cell holding 1e309 is inf: not a number
    if isinstance(raw, datetime | date | time):
        return raw.isoformat(), math.nan
    text = str(raw)
    return text, parse_number(text, unit)


def _sheet_lines(ws, offset: int = 0) -> dict[int, str]:  # noqa: ANN001
    """Every non-blank row as CSV text, so a finding can quote the row whole (keyed offset + row)."""
    lines = {}
    for number, values in enumerate(ws.iter_rows(values_only=True), start=offset + 1):
        texts = [_text(v) for v in values]
        if any(t.strip() for t in texts):
            while texts and not texts[-1]:
                texts.pop()
            lines[number] = _csv_line(texts)
    return lines


def _merge_spans(ws) -> dict[tuple[int, int], tuple[int, int, int]]:  # noqa: ANN001
    """(row, col) of every cell in a merged range -> (top row, left col, right col) of that range."""
    spans = {}
    for rng in ws.merged_cells.ranges:
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                spans[(r, c)] = (rng.min_row, rng.min_col, rng.max_col)
    return spans


def _anchor(ws, spans: dict, r: int, c: int) -> tuple[int, int]:  # noqa: ANN001
    top, left, _ = spans.get((r, c), (r, c, c))
    return top, left


# --- csv -------------------------------------------------------------------------------------------------------


def _read_csv(name: str, content: bytes) -> Submission:
    from openpyxl.utils import get_column_letter

    text, encoding = _decode(name, content)
    physical = [line.rstrip("\r\n") for line in io.StringIO(text, newline="")]
    records = _records(name, text)
    header = next(((s, e, rec) for s, e, rec in records if any(f.strip() for f in rec)), None)
    if header is None:
        raise ParseError(name, "empty file: no header line")
    header_line, _, names = header
    columns = _csv_columns(name, header_line, names, physical)
    width, value_letter = len(names), get_column_letter(columns["value"] + 1)
    issues: list[RowIssue] = []
    lines: dict[int, str] = {}
    rows: list[dict] = []
    for start, end, rec in records:
        if start <= header_line:
            continue
        lines[start] = "\n".join(physical[start - 1:end])
        if not any(f.strip() for f in rec):
            continue
        if len(rec) != width:
            issues.append(RowIssue(start, "parse.field_count",
                                   f"line has {len(rec)} of {width} fields (cut off, or a comma inside an unquoted "
                                   "value); row not loaded", lines[start]))
            continue

        def get(key: str, rec: list[str] = rec) -> str:
            return rec[columns[key]] if key in columns else ""

        unit = get("unit").strip()
        rows.append({"file_name": name, "source_line": start, "sheet": None, "cell": f"{value_letter}{start}",
                     "indicator_code": _code(get("indicator_code")), "name_zh": get("name_zh").strip(),
                     "unit": unit, "value_text": get("value"), "value": parse_number(get("value"), unit),
                     "note": get("note").strip(), "department_code": _code(get("department_code")),
                     "period": normalize_period(get("period")) if get("period").strip() else ""})
    department = _most_common(r["department_code"] for r in rows)
    if not department:
        raise ParseError(name, f"no 部门编码: the 部门编码 column is blank on every row ({len(rows)} rows)")
    period = _most_common(r["period"] for r in rows)
    if not period:
        issues.append(RowIssue(None, "submission.no_period", "the 期别 column is blank on every row; every row fails "
                                                             "submission.period", ""))
    for row in rows:   # a merged cell exported to CSV leaves the rows below it blank: they belong to the file
        row["department_code"] = row["department_code"] or department
        row["period"] = row["period"] or period
    return Submission(department, period or None, "csv", None, _frame(rows), issues, lines, encoding)


def _decode(name: str, content: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK/GB2312, what Excel 'CSV' gives in China)."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ParseError(name, "UTF-16 text (Excel 'Unicode text'?): save as 'CSV UTF-8' or plain CSV")
    if content.startswith(codecs.BOM_UTF8):
        try:
            return content.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ParseError(name, f"starts with a UTF-8 BOM but is not UTF-8 (byte {exc.start}: "
                                   f"{content[exc.start:exc.start + 4]!r})",
                             line=content[: exc.start].count(b"\n") + 1) from exc
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ParseError(name, f"neither UTF-8 nor GBK/GB18030 text (byte {exc.start}: "
                               f"{content[exc.start:exc.start + 4]!r})",
                         line=content[: exc.start].count(b"\n") + 1) from exc


def _records(name: str, text: str) -> list[tuple[int, int, list[str]]]:
    """(first line, last line, fields) per CSV record; a quoted 备注 may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""))
    out, start = [], 1
    try:
        for rec in reader:
            out.append((start, reader.line_num, rec))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ParseError(name, f"not readable as CSV ({exc})", line=reader.line_num or start) from exc
    return out


def _csv_columns(name: str, line: int, names: list[str], physical: list[str]) -> dict[str, int]:
    from openpyxl.utils import get_column_letter

    columns: dict[str, int] = {}
    for i, header in enumerate(names):
        key = FIELD_ALIASES.get(_label(header).lower()) or FIELD_ALIASES.get(_label(header))
        if not key:
            continue
        if key in columns:
            raise ParseError(name, f"column {FIELD_LABELS[key]} appears twice (columns "
                                   f"{get_column_letter(columns[key] + 1)} and {get_column_letter(i + 1)})", line=line)
        columns[key] = i
    missing = [FIELD_LABELS[k] for k in CSV_REQUIRED if k not in columns]
    if missing:
        got = physical[line - 1][:120]
        raise ParseError(name, f"missing required column(s) {', '.join(missing)}: a submission CSV has the columns "
                               f"部门编码,期别,指标代码,指标名称,单位,本期值,备注; header is {got!r}", line=line)
    return columns


# --- shared ----------------------------------------------------------------------------------------------------


def _frame(rows: list[dict]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=TIDY_COLUMNS[1:])
    frame.insert(0, "row_id", range(len(frame)))
    frame["row_id"] = frame["row_id"].astype("int64")
    frame["source_line"] = frame["source_line"].astype("int64")
    frame["value"] = frame["value"].astype("float64")
    return frame


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_text(value)
    return str(value)


def _number_text(value: float) -> str:
    """35 -> "35", 35.0 -> "35", 35.2 -> "35.2": how the number looks in the cell, without float noise."""
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _label(value: Any) -> str:
    """A label cell as compared: NFKC, no spaces, no trailing colon ("部门编码：" = "部门编码")."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", _text(value)))
    return text.rstrip(":")


def _code(value: Any) -> str:
    """Codes are compared as typed apart from width and surrounding spaces (１５０１００-lcj = 150100-lcj)."""
    return unicodedata.normalize("NFKC", _text(value)).strip()


def _most_common(values: Any) -> str:
    counts = Counter(v for v in values if v)
    return counts.most_common(1)[0][0] if counts else ""


def _csv_line(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()


def sheet_and_row(cell: str | None, source_line: int | None) -> tuple[str | None, str | None, int | None]:
    """(sheet, cell, row) a clerk is pointed to: 年度指标!G8 at line 10,000,008 is (年度指标, G8, 8)."""
    sheet, _, plain = (cell or "").rpartition("!")
    row = None if source_line is None else source_line % SHEET_LINES
    return sheet or None, plain or None, row
