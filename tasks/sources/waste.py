"""固体废物和污水管理信息系统 monthly feed: one long CSV per month (`waste/YYYY-MM.csv`), one row per facility x item.

The schema is defined by the project [D] (no public sample exists; see docs/feeds/waste.md) and must be confirmed
with the bureau's system. Header `period,facility_id,facility_name,region_code,kind,item,value,unit,note`, UTF-8
with an optional BOM, CRLF or LF. The unit is mandatory and converted to 吨 or m³ here, never guessed: a row whose
unit is missing, unknown or of the wrong dimension keeps NaN as value and the suite sends it to quarantine.
A line with the wrong number of fields is quarantined at parse time; the rest of the file loads.
"""

from __future__ import annotations

import csv
import math
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tasks.core import sql
from tasks.core.errors import ParseError
from tasks.core.numbers import plain
from tasks.sources.base import Parsed, RemoteFile, RowIssue, landed_rows

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from tasks.core.periods import Period

COLUMNS = ("period", "facility_id", "facility_name", "region_code", "kind", "item", "value", "unit", "note")

#: Which items each kind of facility may report (the kind-item matrix of docs/feeds/waste.md).
ITEMS_BY_KIND: dict[str, tuple[str, ...]] = {
    "hazardous_waste_producer": ("hw_generated", "hw_utilized", "hw_disposed"),
    "hazardous_waste_disposal": ("hw_utilized", "hw_disposed"),
    "sewage_plant": ("sewage_treated",),
    "urban_drainage": ("sewage_discharged",),
    "household_waste_incineration": ("msw_safely_treated",),
    "household_waste_landfill": ("msw_safely_treated",),
    "household_waste_transfer": ("msw_collected",),
    "industrial_solid_waste_producer": ("isw_generated", "isw_utilized", "isw_utilized_from_storage"),
}
KINDS = tuple(ITEMS_BY_KIND)

MASS_ITEMS = ("hw_generated", "hw_utilized", "hw_disposed", "msw_collected", "msw_safely_treated",
              "isw_generated", "isw_utilized", "isw_utilized_from_storage")
VOLUME_ITEMS = ("sewage_treated", "sewage_discharged")
ITEMS = MASS_ITEMS + VOLUME_ITEMS
ITEM_DIMENSION = {**dict.fromkeys(MASS_ITEMS, "mass"), **dict.fromkeys(VOLUME_ITEMS, "volume")}

BASE_UNIT = {"mass": "吨", "volume": "m³"}
#: Accepted spellings, exactly (after trimming spaces): spelling -> (dimension, factor to the base unit).
UNITS: dict[str, tuple[str, int]] = {
    "吨": ("mass", 1), "t": ("mass", 1), "万吨": ("mass", 10_000),
    "m³": ("volume", 1), "m3": ("volume", 1), "立方米": ("volume", 1),
    "万m³": ("volume", 10_000), "万m3": ("volume", 10_000), "万立方米": ("volume", 10_000),
}

BOM = b"\xef\xbb\xbf"
_REGION = re.compile(r"^\d{6}$")
_FILE = re.compile(r"^waste_(\d{4}-\d{2})\.csv$")

TIDY_COLUMNS = ("row_id", "file_name", "source_line", "period", "facility_id", "facility_name", "region_code",
                "kind", "item", "value_text", "unit_reported", "value_reported", "unit", "value", "dimension_ok",
                "note", "region_prefecture", "item_allowed", "unit_dimension")


class WasteFeedAdapter:
    name = "waste"
    title = "固体废物和污水管理信息系统月报"
    suite = "waste_quantities"
    raw_table = "raw.waste_quantities"
    row_key = "row_id"
    column_key = "item"
    replace_key = "file_name"    # the month's file, delivered again, replaces what it landed before
    extent = {"stations": ("facility_id",)}  # tasks.sources.redelivery: facilities
    natural_key = ("facility_id", "item")  # a correction replaces the rows it names

    def files(self, period: Period) -> list[RemoteFile]:
        return [RemoteFile(f"waste_{period}.csv", f"waste/{period}.csv")]

    def parse(self, name: str, content: bytes) -> Parsed:
        text, cut_char = _decode(name, content)
        raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # a bare CR ends a line too
        if raw_lines and raw_lines[-1] == "":
            raw_lines.pop()
        if not raw_lines or not raw_lines[0].strip():
            raise ParseError(name, f"empty file: expected the header line {','.join(COLUMNS)}")
        _check_header(name, raw_lines[0])
        issues: list[RowIssue] = []
        records: list[tuple[int, list[str]]] = []
        lines: dict[int, str] = {}
        last = len(raw_lines)
        for number, line in enumerate(raw_lines[1:], start=2):
            lines[number] = line
            if not line.strip():
                continue  # blank lines (Excel exports end with some) carry no data
            if cut_char and number == last:
                issues.append(RowIssue(number, "parse.truncated",
                                       "file ends inside a UTF-8 character (cut off in transit); row not loaded", line))
                continue
            fields = _fields(line)
            if len(fields) != len(COLUMNS):
                issues.append(RowIssue(
                    number, "parse.field_count",
                    f"line has {len(fields)} of {len(COLUMNS)} fields (cut off mid-line, or a comma in an "
                    "unquoted name); row not loaded", line,
                    column_name=next((f.strip() for f in fields if f.strip() in ITEM_DIMENSION), None)))
                continue
            records.append((number, [f.strip() for f in fields]))
        if not records and not issues:
            issues.append(RowIssue(None, "parse.no_rows", "the file has a header but no data rows", "",
                                   severity="warning"))
        return Parsed(_tidy(name, records), issues, lines)

    def expectation_parameters(self, con: duckdb.DuckDBPyConnection, name: str, *, rows: pd.DataFrame | None = None,
                               period: str | None = None) -> dict[str, Any]:
        codes = [r[0] for r in con.execute(sql.load("queries/region_codes")).fetchall()]
        return suite_parameters(codes, period_of(name))

    def landing_frame(self, good: pd.DataFrame, *, batch_id: str, period: str, file_name: str) -> pd.DataFrame:
        text = ("facility_id", "facility_name", "region_code", "kind", "item")
        return landed_rows(
            good, batch_id=batch_id, period=period, file_name=file_name, **{c: good[c].astype(str) for c in text},
            value=good["value"].astype("float64"), unit=good["unit"].astype(str),
            value_reported=good["value_reported"].astype("float64"), unit_reported=good["unit_reported"].astype(str),
            note=good["note"].astype(str))


def period_of(name: str) -> str:
    """The month a file holds, from its published name (`waste_YYYY-MM.csv`)."""
    match = _FILE.match(name)
    if not match:
        raise ParseError(name, "file name is not waste_YYYY-MM.csv: cannot tell which month it holds")
    return match.group(1)


def suite_parameters(known_region_codes: list[str], period: str) -> dict[str, Any]:
    """Everything the suite refers to as $PARAMETER (split out so tests can build it without a warehouse)."""
    return {"known_region_codes": list(known_region_codes), "period": [period], "kinds": list(KINDS),
            "items": list(ITEMS), "accepted_units": list(UNITS)}


def _fields(line: str) -> list[str]:
    """One CSV line's fields; a line the csv module cannot read at all is one unreadable field (then quarantined as
    the wrong number of fields), never an exception."""
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return [line]


def _decode(name: str, content: bytes) -> tuple[str, bool]:
    """UTF-8 (BOM optional). Returns the text and whether the file ended inside a multi-byte character."""
    skip = len(BOM) if content.startswith(BOM) else 0
    try:
        return content[skip:].decode("utf-8"), False
    except UnicodeDecodeError as exc:
        start = exc.start + skip  # offsets in the file as delivered, BOM included
        if exc.end + skip == len(content) and "unexpected end" in exc.reason:
            return content[skip:start].decode("utf-8"), True  # cut in transit, not another encoding
        line = content[:start].count(b"\n") + 1
        column = start - (content.rfind(b"\n", 0, start) + 1) + 1
        raise ParseError(name, f"not UTF-8 text (byte offset {start}, line {line}, byte {column} of the line: "
                               f"{content[start:start + 4]!r}); the feed is UTF-8 (BOM optional)"
                               f"{_other_encoding(content)}", line=line) from exc


def _other_encoding(content: bytes) -> str:
    try:
        content.decode("gb18030")
    except UnicodeDecodeError:
        return ""
    return "; the bytes read as GBK/GB18030 (an Excel 'CSV' export on Chinese Windows): re-export as 'CSV UTF-8'"


def _check_header(name: str, line: str) -> None:
    got = [f.strip().lower() for f in _fields(line)]
    if tuple(got) == COLUMNS:
        return
    missing = [c for c in COLUMNS if c not in got]
    extra = [c for c in got if c not in COLUMNS]
    detail = "; ".join(p for p in (f"missing {', '.join(missing)}" if missing else "",
                                   f"unexpected {', '.join(extra)}" if extra else "",
                                   "same columns in another order" if not missing and not extra else "") if p)
    raise ParseError(name, f"header must be {','.join(COLUMNS)}; got {line[:120]!r} ({detail})", line=1)


def _tidy(name: str, records: list[tuple[int, list[str]]]) -> pd.DataFrame:
    import pandas as pd

    rows = [_row(name, number, fields) for number, fields in records]
    frame = pd.DataFrame(rows, columns=list(TIDY_COLUMNS[1:]))
    frame.insert(0, "row_id", range(len(frame)))
    for column in ("value_reported", "value"):
        frame[column] = frame[column].astype("float64")
    frame["source_line"] = frame["source_line"].astype("int64")
    frame["dimension_ok"] = frame["dimension_ok"].astype(bool)
    return frame


def _row(name: str, number: int, fields: list[str]) -> list[Any]:
    """One tidy row; the helper columns are None where another rule already reports the problem."""
    period, facility_id, facility_name, region_code, kind, item, value_text, unit_text, note = fields
    value_reported = plain(value_text, exponent=False)  # tasks.core.numbers: never inf/nan, no separators
    number_ok = not math.isnan(value_reported)
    unit_dimension, factor = UNITS.get(unit_text, (None, 0))
    dimension_ok = unit_dimension is not None and unit_dimension == ITEM_DIMENSION.get(item)
    value = float(Decimal(value_text.strip()) * factor) if dimension_ok and number_ok else math.nan
    allowed = item in ITEMS_BY_KIND[kind] if kind in ITEMS_BY_KIND and item in ITEM_DIMENSION else None
    return [name, number, period, facility_id or None, facility_name, region_code, kind, item, value_text,
            unit_text or None, value_reported, BASE_UNIT[unit_dimension] if dimension_ok else "", value,
            dimension_ok, note, region_code[:4] + "00" if _REGION.match(region_code) else None, allowed,
            unit_dimension]
