"""CNEMC surface-water automatic monitoring, real-time release (国家地表水水质自动监测实时数据).

The feed publishes only the latest reading of each section, so it is polled (every few hours) rather than
fetched per month; each capture is archived as `water_realtime_YYYYmmddTHHMMSS.json`, the name carrying the
fetch time (Asia/Shanghai), because 监测时间 has no year and the year is inferred from it (RULES.md §2.2).

The platform (`POST {base}/Ajax/Publish.ashx`, `action=getRealDatas&AreaID=150000&RiverID=&MNName=&PageIndex=1&
PageSize=…`, standards.md §6.4) answers in pages; the fetcher follows `total` and archives one capture holding every
page as received (a JSON array of the pages when there are several). `ECOFLOW_WATER_FEED_MODE=relay` GETs
`{base}/realtime.json` from a relay instead. Newer platform versions put 所属地市 and 所属河流 in the 断面名称
cell's tooltip: the river names a lake or reservoir (太湖, 乌梁素海, …水库) where the catalogue has no entry, and
lake TP limits then apply (classed by river limits a lake section comes out two classes too good).

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
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from tasks.core.errors import ConfigError, ParseError, UsageError
from tasks.core.numbers import plain
from tasks.sources.base import Parsed, RemoteFile, RowIssue, landed_rows

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from tasks.core.periods import Period

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
#: The platform's class codes (some versions publish 1…7 instead of the label; 7 = 未监测).
CLASS_CODES = {"1": "Ⅰ", "2": "Ⅱ", "3": "Ⅲ", "4": "Ⅳ", "5": "Ⅴ", "6": "劣Ⅴ", "7": ""}
TIDY_COLUMNS = ("row_id", "file_name", "source_line", "province", "basin", "section_name", "obs_time",
                "fetched_at", "parameter", "unit", "value_text", "display", "value", "flag", "site_status",
                "class_reported", "city", "river", "water_body_hint")

PLATFORM_PATH = "Ajax/Publish.ashx"   # under the platform's base, e.g. https://szzdjc.cnemc.cn:8070/GJZ
RELAY_PATH = "realtime.json"
#: 所属河流 (or a section name) naming a lake or reservoir: 太湖, 乌梁素海, 白洋淀, 密云水库, 查干泡, 岱海 …
_LAKE_WATER = re.compile(r"(湖|水库|海|淀|泡|泊|荡|海子)$")
_LAKE_SECTION = re.compile(r"水库|湖心|湖$")
_TOOLTIP_FIELD = re.compile(r"(所属地市|所属河流)\s*[：:]\s*([^\n\r]*)")

#: A reading older than this at fetch time is reported (RULES §2.2 moves any reading that would be more than a day
#: ahead of the fetch back a year, so a wrong --as-of or a stopped station shows up here, not as an error).
STALE_AFTER = timedelta(days=35)
_NAME = re.compile(r"water_realtime_(\d{8}T\d{6})(?:-[^/]+?)?\.(?:json|csv)")  # -<label>: a replayed file
_TIME = re.compile(r"(\d{2})-(\d{2}) (\d{2}):(\d{2})")
_TAG = re.compile(r"<[^>]*>")
_TITLE = re.compile(r"""title\s*=\s*(['"])(.*?)\1""", re.S)
_RAW_VALUE = re.compile(r"原始值\s*[：:]\s*(\S+)")
_HEADER = re.compile(r"(.+?)\s*[(（](.*)[)）]")


@dataclass(frozen=True)
class PlatformQuery:
    """How a poll asks: the platform's paged POST (default) or a GET to a relay; which province, basin, page size."""

    mode: Literal["platform", "relay"] = "platform"
    area_id: str = "150000"      # 6-digit province/city code (150000 = 内蒙古自治区)
    river_id: str = ""           # 10-digit basin code (0900000000 = 黄河), '' = every basin
    page_size: int = 100

    def form(self) -> tuple[tuple[str, str], ...]:
        return (("action", "getRealDatas"), ("AreaID", self.area_id), ("RiverID", self.river_id), ("MNName", ""),
                ("PageIndex", "1"), ("PageSize", str(self.page_size)))


def platform_query(env: Mapping[str, str] | None = None) -> PlatformQuery:
    """ECOFLOW_WATER_FEED_MODE (platform | relay), ECOFLOW_WATER_AREA_ID, ECOFLOW_WATER_RIVER_ID,
    ECOFLOW_WATER_PAGE_SIZE; a value that the platform would not understand is a ConfigError naming it."""
    env = os.environ if env is None else env
    mode = env.get("ECOFLOW_WATER_FEED_MODE") or "platform"
    area = env.get("ECOFLOW_WATER_AREA_ID") or "150000"
    river = env.get("ECOFLOW_WATER_RIVER_ID", "")
    size = env.get("ECOFLOW_WATER_PAGE_SIZE") or "100"
    if mode not in ("platform", "relay"):
        raise ConfigError(f"ECOFLOW_WATER_FEED_MODE={mode!r}: platform (POST getRealDatas) or relay (GET "
                          f"{RELAY_PATH})")
    if not re.fullmatch(r"\d{6}", area):
        raise ConfigError(f"ECOFLOW_WATER_AREA_ID={area!r}: a 6-digit region code such as 150000")
    if not re.fullmatch(r"(\d{10})?", river):
        raise ConfigError(f"ECOFLOW_WATER_RIVER_ID={river!r}: empty or a 10-digit basin code such as 0900000000")
    if not size.isdigit() or not 1 <= int(size) <= 1000:
        raise ConfigError(f"ECOFLOW_WATER_PAGE_SIZE={size!r}: a whole number from 1 to 1000")
    return PlatformQuery(mode, area, river, int(size))  # type: ignore[arg-type]


def lake_from_metadata(river: str, section_name: str) -> bool:
    """Whether the platform's own metadata says lake or reservoir: 所属河流 names one (太湖, 乌梁素海, 察尔森水库),
    or the section's name does (…水库…, 湖心, …湖)."""
    return bool(_LAKE_WATER.search(river.strip()) or _LAKE_SECTION.search(section_name.strip()))


def read_section_cell(cell: str) -> tuple[str, str, str]:
    """(section name, 所属地市, 所属河流) from the 断面名称 cell: plain text in older versions, a span whose tooltip
    reads `所属地市:…&#10;所属河流:…` in newer ones."""
    name = html.unescape(_TAG.sub("", cell)).strip()
    title = _TITLE.search(cell)
    fields = dict(_TOOLTIP_FIELD.findall(html.unescape(title.group(2)))) if title else {}
    return name, fields.get("所属地市", "").strip(), fields.get("所属河流", "").strip()


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
        return display, value, "value"  # inf, nan and 1e999 are not (tasks.core.numbers)
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
    extent = {"hours": ("obs_time",), "stations": ("section_name",)}  # tasks.sources.redelivery
    captured = True             # published only as latest readings: polled, not fetched per month

    def poll_file(self, fetched_at: datetime) -> RemoteFile:
        """The file one poll archives; its name carries the fetch time so a replay infers the same years."""
        if fetched_at.tzinfo is not None:
            from zoneinfo import ZoneInfo

            fetched_at = fetched_at.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
        name = f"water_realtime_{fetched_at:%Y%m%dT%H%M%S}.json"
        query = platform_query()
        if query.mode == "relay":
            return RemoteFile(name=name, path=RELAY_PATH)
        return RemoteFile(name=name, path=PLATFORM_PATH, form=query.form())

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
        after = ("value_text", "display", "flag", "site_status", "class_reported", "city", "river",
                 "water_body_hint")
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
    pages = data if isinstance(data, list) and data and all(isinstance(p, dict) for p in data) else [data]
    for page_number, page in enumerate(pages, start=1):
        if not isinstance(page, dict) or not isinstance(page.get("thead"), list) or not isinstance(
                page.get("tbody"), list):
            keys = sorted(page) if isinstance(page, dict) else type(page).__name__
            where = f" (page {page_number} of {len(pages)})" if len(pages) > 1 else ""
            raise ParseError(name, f"JSON without thead/tbody lists{where} (got {keys}); expected the real-time "
                                   "response {result, total, records, thead, tbody}")
        if page["thead"] != pages[0]["thead"]:
            raise ParseError(name, f"page {page_number} of {len(pages)} has other columns than page 1: the "
                                   "platform changed its format between two pages of one capture")
    columns = _columns(name, [_text(h) for h in pages[0]["thead"]], where="thead")
    records, lines = [], {}
    for index, row in enumerate(row for page in pages for row in page["tbody"]):
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
        meta["section_name"], city, river = read_section_cell(meta["section_name"])
        meta["class_reported"] = CLASS_CODES.get(meta["class_reported"], meta["class_reported"])
        hint = "lake" if lake_from_metadata(river, meta["section_name"]) else ""
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
                                 ("class_reported", meta["class_reported"]), ("city", city),
                                 ("river", river), ("water_body_hint", hint)):
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
        **{c: pd.Series(out[c], dtype="str") for c in ("flag", "site_status", "class_reported", "city", "river",
                                                        "water_body_hint")},
    })
    return frame[list(TIDY_COLUMNS)]


def _text(cell: object) -> str:
    return "" if cell is None else cell if isinstance(cell, str) else str(cell)
