"""CNEMC surface-water automatic monitoring, real-time release (国家地表水水质自动监测实时数据).

The feed publishes only the latest reading of each section, so it is polled (every few hours) rather than
fetched per month; each capture is archived as `water_realtime_YYYYmmddTHHMMSS.json`, the name carrying the
fetch time (Asia/Shanghai), because 监测时间 has no year and the year is inferred from it (RULES.md §2.2).

Two real formats, told apart by content: the JSON response (`thead` + `tbody`, cells as HTML with the raw value
in the tooltip, `<span title='原始值：7.72043'>7.72</span>`), and per-section CSV captures with plain values.
Every parameter cell becomes one tidy row, numeric or not (`--` missing, `*` not measured, 极值过滤 filtered),
so a row can be quoted whole; only a reading without a usable time yields no rows (it is a RowIssue).
"""

from __future__ import annotations

import csv
import html
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tasks.errors import ParseError, UsageError
from tasks.numbers import plain
from tasks.sources.base import Parsed, RemoteFile, RowIssue, landed_rows

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from tasks.periods import Period

#: Header name (before the unit) -> parameter code, in the feed's column order.
PARAMETER_CODES: dict[str, str] = {
    "水温": "water_temp", "pH": "ph", "溶解氧": "do", "电导率": "conductivity", "浊度": "turbidity",
    "高锰酸盐指数": "codmn", "氨氮": "nh3n", "总磷": "tp", "总氮": "tn", "叶绿素α": "chla", "藻密度": "algae",
}
PARAMETERS: tuple[str, ...] = tuple(PARAMETER_CODES.values())
META_COLUMNS: dict[str, str] = {
    "省份": "province", "流域": "basin", "断面名称": "section_name", "监测时间": "time_label",
    "水质类别": "class_reported", "站点情况": "site_status",
}
NORMAL = "正常"
STATUSES = (NORMAL, "维护", "停站", "不具备运行条件")
FLAGS = ("value", "missing", "not_measured", "filtered", "unparsable")
#: As published: '' when the station is not 正常 (JSON), '*' in the CSV captures for the same case.
CLASSES = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ", "", "*")
TIDY_COLUMNS = ("row_id", "file_name", "source_line", "province", "basin", "section_name", "obs_time",
                "fetched_at", "parameter", "unit", "value_text", "display", "value", "flag", "site_status",
                "class_reported")

#: A reading older than this at fetch time is reported (RULES §2.2 moves any reading that would be more than a day
#: ahead of the fetch back a year, so a wrong --as-of or a stopped station shows up here, not as an error).
STALE_AFTER = timedelta(days=35)
_NAME = re.compile(r"water_realtime_(\d{8}T\d{6})(?:-[^/]+?)?\.(?:json|csv)")  # -<label>: a replayed file
_TIME = re.compile(r"(\d{2})-(\d{2}) (\d{2}):(\d{2})")
_TAG = re.compile(r"<[^>]*>")
_TITLE = re.compile(r"""title\s*=\s*(['"])(.*?)\1""", re.S)
_RAW_VALUE = re.compile(r"原始值\s*[：:]\s*(\S+)")
_HEADER = re.compile(r"(.+?)\s*[(（](.*)[)）]")


def fetch_time_from_name(name: str) -> datetime:
    """The fetch time (naive Asia/Shanghai) an archived capture's name carries."""
    match = _NAME.fullmatch(name.rsplit("/", 1)[-1])
    if not match:
        raise ParseError(name, "name must be water_realtime_YYYYmmddTHHMMSS[-label].json or .csv: the fetch time in it "
                               "gives 监测时间 its year (RULES §2.2)")
    try:
        return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S")
    except ValueError as exc:
        raise ParseError(name, f"fetch time {match.group(1)!r} in the name is not a valid date/time") from exc


def reading_time(label: str, fetched_at: datetime) -> datetime | None:
    """`MM-DD HH:MM` -> a datetime: the fetch time's year, minus one if that would put the reading more than one
    day after the fetch time (RULES §2.2). A 02-29 that does not exist in the fetch year falls back a year too.
    None when the label is not a valid time."""
    match = _TIME.fullmatch(label.strip())
    if not match:
        return None
    month, day, hour, minute = (int(g) for g in match.groups())
    for year in (fetched_at.year, fetched_at.year - 1):
        try:
            when = datetime(year, month, day, hour, minute)
        except ValueError:
            continue
        if year == fetched_at.year and when > fetched_at + timedelta(days=1):
            continue
        return when
    return None


def read_cell(cell: str) -> tuple[str, float, str]:
    """One cell -> (display text, value, flag). The value is the tooltip's 原始值 when there is a tooltip (the
    text is rounded for display), else the plain text."""
    raw = cell.strip()
    display = html.unescape(_TAG.sub("", raw)).strip()
    if "极值过滤" in html.unescape(raw):
        return display, math.nan, "filtered"
    title = _TITLE.search(raw)
    if title:
        found = _RAW_VALUE.fullmatch(html.unescape(title.group(2)).strip())
        value = plain(found.group(1)) if found else math.nan
        if not math.isnan(value):
            return display, value, "value"
    if display in ("--", ""):
        return display, math.nan, "missing"
    if display == "*":
        return display, math.nan, "not_measured"
    value = plain(display) if not title and "<" not in raw else math.nan
    if not math.isnan(value):
        return display, value, "value"  # inf, nan and 1e999 are not (tasks.numbers)
    return display, math.nan, "unparsable"


@dataclass(frozen=True)
class _Columns:
    """Where each field sits in a row, from the header."""

    meta: dict[str, int]                         # tidy name -> index
    parameters: tuple[tuple[str, str, int], ...]  # (code, unit, index)
    width: int


class CnemcWaterAdapter:
    name = "water"
    title = "国家地表水水质自动监测实时数据"
    suite = "water_readings"
    raw_table = "raw.water_readings"
    row_key = "row_id"
    column_key = "parameter"
    replace_key = "file_name"   # one file per poll (its name carries the fetch time): a replay replaces that poll
    extent = {"hours": ("obs_time",), "stations": ("section_name",)}  # tasks.redelivery
    captured = True             # published only as latest readings: polled, not fetched per month

    def poll_file(self, fetched_at: datetime) -> RemoteFile:
        """The file one poll archives; its name carries the fetch time so a replay infers the same years."""
        if fetched_at.tzinfo is not None:
            from zoneinfo import ZoneInfo

            fetched_at = fetched_at.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
        return RemoteFile(name=f"water_realtime_{fetched_at:%Y%m%dT%H%M%S}.json", path="realtime.json")

    def files(self, period: Period) -> list[RemoteFile]:
        raise UsageError(f"water: the real-time feed publishes only the latest reading of each section, so it "
                         f"cannot be fetched for {period}; it is captured by polling (poll_file) and the "
                         "captures of a month are landed together")

    def parse(self, name: str, content: bytes) -> Parsed:
        fetched_at = fetch_time_from_name(name)
        text = _decode(name, content)
        start = text.lstrip()
        if not start:
            raise ParseError(name, "empty file: expected the JSON response or a CSV with a 省份,流域,… header "
                                   "(nothing at line 1 column 1)", line=1)
        records = _json_records(name, text) if start[0] in "{[" else _csv_records(name, text)
        return _tidy(name, fetched_at, *records)

    def expectation_parameters(self, con: duckdb.DuckDBPyConnection, name: str, *, rows: pd.DataFrame | None = None,
                               period: str | None = None) -> dict[str, Any]:
        """Known codes, and the latest plausible reading time (one day after the fetch, as RULES §2.2 allows)."""
        latest = fetch_time_from_name(name) + timedelta(days=1)
        return {"parameters": list(PARAMETERS), "statuses": list(STATUSES), "flags": list(FLAGS),
                "classes": list(CLASSES), "latest_time": latest.isoformat()}

    def landing_frame(self, good: pd.DataFrame, *, batch_id: str, period: str, file_name: str) -> pd.DataFrame:
        before = ("province", "basin", "section_name", "obs_time", "fetched_at", "parameter", "unit")
        after = ("value_text", "display", "flag", "site_status", "class_reported")
        return landed_rows(good, batch_id=batch_id, period=period, file_name=file_name,
                           **{c: good[c] for c in before}, value=good["value"].astype("float64"),
                           **{c: good[c] for c in after})


def _decode(name: str, content: bytes) -> str:
    """UTF-8 (BOM allowed). A character cut in two at the very end is a truncated transfer, not another encoding:
    it is dropped so the JSON parser (or the CSV field count) reports the truncation where it is."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.end == len(content) and "unexpected end" in exc.reason:
            return content[: exc.start].decode("utf-8-sig")
        line = content[: exc.start].count(b"\n") + 1
        raise ParseError(name, f"not UTF-8 text (byte {exc.start}: {content[exc.start:exc.start + 4]!r}); the "
                               "CNEMC water feed is UTF-8 (a GBK export of the CSV?)", line=line) from exc


Record = tuple[int, list[str], str]   # source line, cells, the line / row as received


def _json_records(name: str, text: str) -> tuple[_Columns, list[Record], dict[int, str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(name, f"not valid JSON (truncated?): {exc.msg} at line {exc.lineno} column {exc.colno} "
                               f"(char {exc.pos} of {len(text)})", line=exc.lineno) from exc
    if not isinstance(data, dict) or not isinstance(data.get("thead"), list) or not isinstance(data.get("tbody"),
                                                                                                 list):
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise ParseError(name, f"JSON without thead/tbody lists (got {keys}); expected the real-time response "
                               "{result, total, records, thead, tbody}")
    columns = _columns(name, [_text(h) for h in data["thead"]], where="thead")
    records, lines = [], {}
    for index, row in enumerate(data["tbody"]):
        number = index + 1
        quoted = json.dumps(row, ensure_ascii=False)
        lines[number] = quoted
        cells = [_text(c) for c in row] if isinstance(row, list) else [quoted]
        records.append((number, cells, quoted))
    return columns, records, lines


def _csv_records(name: str, text: str) -> tuple[_Columns, list[Record], dict[int, str]]:
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    columns = _columns(name, next(csv.reader([raw_lines[0]])), where="line 1")
    records, lines = [], {}
    for number, line in enumerate(raw_lines[1:], start=2):
        if not line.strip():
            continue
        lines[number] = line
        records.append((number, next(csv.reader([line])), line))
    return columns, records, lines


def _columns(name: str, header: list[str], *, where: str) -> _Columns:
    """Map header cells (HTML in the JSON, `名称(单位)` in the CSV) to fields; every column is required."""
    meta: dict[str, int] = {}
    parameters: list[tuple[str, str, int]] = []
    for index, cell in enumerate(header):
        label = html.unescape(_TAG.sub("", cell)).strip()
        match = _HEADER.fullmatch(label)
        base, unit = (match.group(1).strip(), match.group(2).strip()) if match else (label, "")
        if label in META_COLUMNS and META_COLUMNS[label] not in meta:
            meta[META_COLUMNS[label]] = index
        elif base in PARAMETER_CODES and PARAMETER_CODES[base] not in {code for code, _, _ in parameters}:
            parameters.append((PARAMETER_CODES[base], unit, index))
        elif label in META_COLUMNS or base in PARAMETER_CODES:
            raise ParseError(name, f"column {label!r} appears twice in the header ({where}, column {index + 1})",
                             line=1)
        else:
            raise ParseError(name, f"unknown column {label!r} ({where}, column {index + 1}); known: "
                                   f"{', '.join([*META_COLUMNS, *PARAMETER_CODES])}", line=1)
    seen = {code for code, _, _ in parameters}
    missing = [h for h, key in META_COLUMNS.items() if key not in meta]
    missing += [h for h, code in PARAMETER_CODES.items() if code not in seen]
    if missing:
        raise ParseError(name, f"header lacks column(s) {', '.join(missing)} ({where})", line=1)
    return _Columns(meta, tuple(parameters), len(header))


def _tidy(name: str, fetched_at: datetime, columns: _Columns, records: list[Record],
          lines: dict[int, str]) -> Parsed:
    out: dict[str, list] = {c: [] for c in TIDY_COLUMNS if c not in ("row_id", "file_name", "fetched_at")}
    issues: list[RowIssue] = []
    first_seen: dict[tuple[str, str, str, datetime], tuple[int, list[str]]] = {}
    for number, cells, quoted in records:
        if len(cells) != columns.width:
            issues.append(RowIssue(number, "parse.field_count",
                                   f"row has {len(cells)} of {columns.width} fields (cut off or malformed); "
                                   "row not loaded", quoted, values_lost=len(columns.parameters)))
            continue
        meta = {key: cells[i].strip() for key, i in columns.meta.items()}
        when = reading_time(meta["time_label"], fetched_at)
        if when is None:
            issues.append(_no_time(number, meta, quoted, len(columns.parameters)))
            continue
        if fetched_at - when > STALE_AFTER:
            issues.append(RowIssue(
                number, "water.stale_reading",
                f"监测时间 {meta['time_label']} read as {when:%Y-%m-%d %H:%M}, {(fetched_at - when).days} days "
                f"before the fetch time {fetched_at:%Y-%m-%d %H:%M} (站点情况 {meta.get('site_status', '')}): a "
                "section that stopped reporting, or a replay with a wrong --as-of; it lands in its own month", quoted,
                column_name="监测时间", value_text=meta["time_label"], severity="warning"))
        key = (meta["province"], meta["basin"], meta["section_name"], when)
        if key in first_seen:
            issues.append(_repeated(number, quoted, *first_seen[key], cells))
        else:
            first_seen[key] = (number, cells)
        for code, unit, index in columns.parameters:
            display, value, flag = read_cell(cells[index])
            for column, item in (("source_line", number), ("province", meta["province"]),
                                 ("basin", meta["basin"]), ("section_name", meta["section_name"]),
                                 ("obs_time", when), ("parameter", code), ("unit", unit),
                                 ("value_text", cells[index]), ("display", display), ("value", value),
                                 ("flag", flag), ("site_status", meta["site_status"]),
                                 ("class_reported", meta["class_reported"])):
                out[column].append(item)
    return Parsed(_frame(name, fetched_at, out), issues, lines)


def _no_time(number: int, meta: dict[str, str], quoted: str, values: int) -> RowIssue:
    """A reading without a usable time cannot be placed: nothing lands. Expected for a station that is not
    running (`*` with 不具备运行条件); an error when the station says 正常."""
    label, status = meta["time_label"], meta["site_status"]
    rule = "parse.no_time" if label == "*" else "parse.bad_time"
    if status != NORMAL:
        reason = f"监测时间 {label!r} and 站点情况 {status}: no reading to land"
        severity = "warning"
    else:
        reason = (f"监测时间 {label!r} is not a valid MM-DD HH:MM time although 站点情况 is {status}; "
                  "row not loaded")
        severity = "error"
    return RowIssue(number, rule, reason, quoted, column_name="监测时间", value_text=label, severity=severity,
                    values_lost=values if severity == "error" else 0)


def _repeated(number: int, quoted: str, first: int, first_cells: list[str], cells: list[str]) -> RowIssue:
    """The same section and time seen twice: a capture repeated (counts once, RULES §2.2) — or, when the cells
    differ, a revised reading or two sections sharing a name, which someone should look at."""
    if cells == first_cells:
        reason = f"same reading as line {first} (captured twice; counts once)"
    else:
        changed = sum(1 for a, b in zip(cells, first_cells, strict=True) if a != b)
        reason = (f"same section and 监测时间 as line {first} but {changed} field(s) differ: a revised reading, "
                  "or two sections with the same name")
    return RowIssue(number, "parse.repeated_reading", reason, quoted, severity="warning", values_lost=0)


def _frame(name: str, fetched_at: datetime, out: dict[str, list]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame({
        "row_id": pd.Series(range(len(out["source_line"])), dtype="int64"),
        "file_name": pd.Series([name] * len(out["source_line"]), dtype="str"),
        "source_line": pd.Series(out["source_line"], dtype="int64"),
        **{c: pd.Series(out[c], dtype="str") for c in ("province", "basin", "section_name")},
        "obs_time": pd.Series(pd.to_datetime(out["obs_time"]), dtype="datetime64[ns]"),
        "fetched_at": pd.Series([fetched_at] * len(out["source_line"]), dtype="datetime64[ns]"),
        **{c: pd.Series(out[c], dtype="str") for c in ("parameter", "unit", "value_text", "display")},
        "value": pd.Series(out["value"], dtype="float64"),
        **{c: pd.Series(out[c], dtype="str") for c in ("flag", "site_status", "class_reported")},
    })
    return frame[list(TIDY_COLUMNS)]


def _text(cell: object) -> str:
    return "" if cell is None else cell if isinstance(cell, str) else str(cell)
