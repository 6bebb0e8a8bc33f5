"""The CNEMC surface-water real-time release (国家地表水水质自动监测实时数据) for :class:`demo.feed_server.FeedServer`.

The real feed publishes only the latest reading of each section, so what ``realtime.json`` returns depends on
when it is asked: the publisher has a settable ``clock`` (naive Asia/Shanghai; ``None`` = the wall clock) and
answers as the feed would have at that moment. Three sources, chosen by the clock's date:

1. **2020-05-08** (any time that day): the real national snapshot ``2020-05-08.json``, served byte for byte
   (1,901 sections, 28 in Inner Mongolia; ``sections`` does not filter it).
2. **2021-04-01…05**: the real per-section CSV captures of 13 Inner Mongolia sections. Each section shows its
   latest timed reading at or before the clock, turned into the JSON format: the CSV text becomes both the
   tooltip's raw value and the displayed text (``<span title='原始值：0.025'>0.025</span>``), ``--`` and ``*``
   stay plain, 水质类别 and 站点情况 are the CSV's own (``*`` class for most 维护 rows, as captured). When a
   reading was captured twice, the later capture wins (it is the feed's revision). Rows whose 监测时间 is ``*``
   (不具备运行条件) are skipped, except for a section that has no timed row at all (李屯): it appears with its
   real ``*`` row as captured, which is how the feed listed a station that was not running. A section whose
   first reading is after the clock (before 04-01 08:00, say) is left out.
3. **Any other time**: generated 4-hourly readings (00, 04, … 20 h) of the 28 Inner Mongolia sections of the
   2020-05-08 snapshot (province, basin and names from it, in its order); each section shows the reading of the
   last 4-hour mark at or before the clock. Values are seeded by (section, reading time), so the same clock
   always gives the same bytes. Plausible ranges: DO 6–11 mg/L (lower in summer), CODMn 2–6, NH3-N 0.05–0.8,
   TP 0.02–0.25 (lakes and reservoirs 0.01–0.045), water temperature following the season. Deliberate
   features: 总排干入黄口 has NH3-N 2.1–3.4 (劣Ⅴ); the lake 湖心 (乌梁素海) has TP 0.055–0.095, class Ⅳ under the
   lake limits; 黑柳子 is 维护 during the day (08–16 h) on about a third of the days (CODMn ``--``, no class);
   turbidity is ``--`` in about 8 % of readings; 叶绿素α is measured at the lakes only, 藻密度 nowhere (``*``,
   not measured, as in the 2021 captures). 水质类别 is the class the raw values imply
   (:func:`tasks.standards.water.section_class` over pH, DO, CODMn, NH3-N, TP), empty unless 正常.

The envelope is the real one, ``{"result": 1, "total": 1, "records": n, "thead": [17], "tbody": [[17]]}``,
serialised like the real file (UTF-8, ``ensure_ascii=False``, default separators).

Two ways to ask, as in production (``tasks.sources.cnemc_water``): a GET of ``realtime.json`` (a relay: the whole
answer above) and the platform's own ``POST …/Ajax/Publish.ashx`` with ``action=getRealDatas``, ``AreaID``
(150000 = Inner Mongolia, empty = every province), ``RiverID`` (empty, or 0900000000 = 黄河流域), ``PageIndex`` and
``PageSize``: the matching rows of the same answer, one page of them, ``total`` = the number of pages, ``result``
0 when nothing matches. ``failing_pages`` makes those pages answer HTTP 500 (a capture broken half-way).
"""

from __future__ import annotations

import csv
import json
import math
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from http import HTTPStatus
from pathlib import Path

from tasks.standards.water import CLASS_LABELS, section_class

__all__ = ["DATA_DIR", "LAKES", "NAME", "THEAD", "Section", "WaterPublisher", "shanghai_now", "snapshots"]

DATA_DIR = Path(__file__).resolve().parent / "data" / "cnemc_water"
NAME = "realtime.json"
PLATFORM_NAME = "Ajax/Publish.ashx"      # also answered under /GJZ/, as on the real host
PROVINCE = "内蒙古自治区"
#: AreaID -> province, RiverID -> basin, as far as the demo needs them (standards.md §6.4).
AREAS = {"150000": PROVINCE}
RIVERS = {"0900000000": "黄河流域"}
JSON_TYPE = "application/json; charset=utf-8"
_SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")  # no DST since 1991, so a fixed offset is exact

#: The real response's column headers, exactly as in 2020-05-08.json.
THEAD: tuple[str, ...] = (
    "省份", "流域", "断面名称", "监测时间", "水质类别",
    "水温<br/><span class='unit'>(℃)</span>", "pH<br/><span class='unit'>(无量纲)</span>",
    "溶解氧<br/><span class='unit'>(mg/L)</span>", "电导率<br/><span class='unit'>(μS/cm)</span>",
    "浊度<br/><span class='unit'>(NTU)</span>", "高锰酸盐指数<br/><span class='unit'>(mg/L)</span>",
    "氨氮<br/><span class='unit'>(mg/L)</span>", "总磷<br/><span class='unit'>(mg/L)</span>",
    "总氮<br/><span class='unit'>(mg/L)</span>", "叶绿素α<br/><span class='unit'>(mg/L)</span>",
    "藻密度<br/><span class='unit'>(cells/L)</span>", "站点情况",
)
#: Parameter columns 5…15 in order, with the decimals the real feed displays.
_PARAMETERS = ("water_temp", "ph", "do", "conductivity", "turbidity", "codmn", "nh3n", "tp", "tn", "chla", "algae")
_DISPLAY_DECIMALS = {"water_temp": 1, "ph": 2, "do": 2, "conductivity": 1, "turbidity": 1, "codmn": 2,
                     "nh3n": 3, "tp": 3, "tn": 2, "chla": 3, "algae": 0}

#: Lakes and reservoirs (GB 3838 lake TP limits): 贝尔湖, 乌梁素海 湖心, 察尔森水库 出口, 海勃湾水库.
LAKES = frozenset({"贝尔湖", "湖心", "出口(察尔森水库)", "海勃湾"})
WORST_SECTION = "总排干入黄口"      # NH3-N > 2: 劣Ⅴ
CLASS_IV_LAKE = "湖心"              # TP 0.055–0.095 under the lake limits: Ⅳ
MAINTAINED_SECTION = "黑柳子"       # 维护 during the day on about a third of the days
EVERY = timedelta(hours=4)

# Typical conductivity (μS/cm) and turbidity (NTU) by basin, for sections whose snapshot value is missing or 0.
_BASIN_CONDUCTIVITY = {"黄河流域": 900.0, "松花江流域": 200.0, "辽河流域": 550.0, "西北诸河": 700.0}
_BASIN_TURBIDITY = {"黄河流域": 150.0, "松花江流域": 15.0, "辽河流域": 25.0, "西北诸河": 40.0}
_RAW = re.compile(r"原始值：([^']*)'")


@dataclass(frozen=True)
class Section:
    """One Inner Mongolia section of the 2020-05-08 snapshot, with the levels its generated readings vary around."""

    province: str
    basin: str
    name: str
    water_body: str       # "river" or "lake" (lakes and reservoirs)
    conductivity: float   # μS/cm
    turbidity: float      # NTU


@dataclass(frozen=True)
class _Sources:
    snapshot_day: date
    snapshot: bytes
    sections: tuple[Section, ...]
    capture_days: tuple[date, date]
    #: section name -> timed readings (time, CSV row) sorted by time, the later capture of a repeated time kept
    captured: dict[str, list[tuple[datetime, list[str]]]]
    #: section name -> its CSV row when it has no timed reading at all (李屯)
    untimed: dict[str, list[str]]


def shanghai_now() -> datetime:
    """The wall clock in Asia/Shanghai, naive (the feed's own time)."""
    return datetime.now(_SHANGHAI).replace(tzinfo=None, microsecond=0)


def _naive_shanghai(when: datetime) -> datetime:
    return when.astimezone(_SHANGHAI).replace(tzinfo=None) if when.tzinfo is not None else when


@lru_cache(maxsize=4)
def _load(data_dir: Path) -> _Sources:
    snapshot_path = data_dir / "2020-05-08.json"
    snapshot = snapshot_path.read_bytes()
    data = json.loads(snapshot)
    sections = tuple(_section(row) for row in data["tbody"] if row[0] == PROVINCE)
    order = {s.name: i for i, s in enumerate(sections)}

    captured: dict[str, list[tuple[datetime, list[str]]]] = {}
    untimed: dict[str, list[str]] = {}
    for path in sorted((data_dir / "water_quality_by_name" / PROVINCE).glob("*/*/*/*.csv")):
        year = int(path.parent.name[:4])  # …/<断面>/2021-04/<断面>.csv: 监测时间 has no year
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = [row for row in list(csv.reader(fh))[1:] if row]
        by_time: dict[datetime, list[str]] = {}
        for row in rows:
            match = re.fullmatch(r"(\d\d)-(\d\d) (\d\d):(\d\d)", row[3])
            if match:
                month, day, hour, minute = (int(g) for g in match.groups())
                by_time[datetime(year, month, day, hour, minute)] = row  # a later capture replaces an earlier one
        name = rows[0][2]
        if by_time:
            captured[name] = sorted(by_time.items())
        else:
            untimed[name] = rows[-1]
    times = [t for readings in captured.values() for t, _ in readings]
    return _Sources(
        snapshot_day=date.fromisoformat(snapshot_path.stem),
        snapshot=snapshot,
        sections=sections,
        capture_days=(min(times).date(), max(times).date()),
        captured=dict(sorted(captured.items(), key=lambda kv: order.get(kv[0], len(order)))),
        untimed=untimed,
    )


def _section(row: list[str]) -> Section:
    def raw(cell: str) -> float:
        match = _RAW.search(cell)
        return float(match.group(1)) if match else 0.0

    province, basin, name = row[0], row[1], row[2]
    conductivity, turbidity = raw(row[8]), raw(row[9])
    return Section(
        province=province, basin=basin, name=name, water_body="lake" if name in LAKES else "river",
        conductivity=conductivity if conductivity > 0 else _BASIN_CONDUCTIVITY.get(basin, 600.0),
        turbidity=turbidity if turbidity > 0 else _BASIN_TURBIDITY.get(basin, 30.0),
    )


# -- cells -------------------------------------------------------------------------------------------------------

def _span(raw: str, display: str) -> str:
    return f"<span title='原始值：{raw}'>{display}</span>"


def _captured_cell(text: str) -> str:
    """A plain CSV value as the JSON shows it: the text as both raw value and display; --, * and '' stay."""
    return text if text in ("--", "*", "") else _span(text, text)


def _raw_text(value: float) -> str:
    """Like the feed's raw values: up to 5 decimals (4 from 100 up), trailing zeros dropped (7.72043, 664.0922)."""
    text = f"{value:.{5 if abs(value) < 100 else 4}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _value_cell(parameter: str, value: float) -> tuple[str, str]:
    """(cell, raw text) for a generated value; the display is rounded as the feed rounds it ('0' stays '0')."""
    raw = _raw_text(value)
    number = float(raw)
    display = "0" if number == 0 else f"{number:.{_DISPLAY_DECIMALS[parameter]}f}"
    return _span(raw, display), raw


# -- generated readings ------------------------------------------------------------------------------------------

def _reading_time(clock: datetime) -> datetime:
    """The last 4-hour mark (00, 04, … 20 h) at or before the clock."""
    return clock.replace(hour=clock.hour - clock.hour % 4, minute=0, second=0, microsecond=0)


def _maintenance_day(section: Section, day: date) -> bool:
    return random.Random(f"ecoflow-water-maintenance:{section.name}:{day}").random() < 0.3


def _generated_row(section: Section, when: datetime) -> list[str]:
    level_rng = random.Random(f"ecoflow-water-section:{section.name}")
    level, ph_level = level_rng.random(), level_rng.random()  # how polluted / how alkaline this section is
    warmth = level_rng.uniform(-1.5, 1.5) - (2.5 if section.basin == "松花江流域" else 0.0)  # Hulunbuir is colder
    rng = random.Random(f"ecoflow-water:{section.name}:{when:%Y-%m-%dT%H:%M}")
    lake = section.water_body == "lake"

    doy = when.timetuple().tm_yday
    temp = 10.5 + warmth - 11.5 * math.cos(2 * math.pi * (doy - 15) / 365.25) + 1.2 * math.sin(
        2 * math.pi * (when.hour - 10) / 24) + rng.uniform(-0.4, 0.4)
    temp = max(temp, rng.uniform(0.2, 1.0))  # under the ice
    saturation = 14.6 - 0.39 * temp + 0.007 * temp * temp
    values: dict[str, float | None] = {
        "water_temp": temp,
        "ph": min(8.7, max(7.5, 7.7 + 0.7 * ph_level + rng.uniform(-0.08, 0.08))),
        "do": min(11.0, max(6.0, saturation * (0.78 - 0.1 * level) + rng.uniform(-0.3, 0.3))),
        "conductivity": section.conductivity * rng.uniform(0.95, 1.05),
        "turbidity": None if rng.random() < 0.08 else section.turbidity * rng.uniform(0.7, 1.4),
        "codmn": min(6.0, max(2.0, 2 + 3.6 * level + rng.uniform(-0.35, 0.35))),
        "nh3n": min(0.8, max(0.05, (0.06 + 0.65 * level * level) * rng.uniform(0.8, 1.2))),
        "tp": (min(0.045, max(0.01, (0.013 + 0.027 * level) * rng.uniform(0.85, 1.15))) if lake
               else min(0.25, max(0.02, (0.025 + 0.19 * level) * rng.uniform(0.8, 1.2)))),
        "tn": max(0.2, 0.4 + 2.6 * level + rng.uniform(-0.15, 0.15)),
        "chla": rng.uniform(0.002, 0.02) if lake else None,
        "algae": None,
    }
    if section.name == WORST_SECTION:
        values["nh3n"] = rng.uniform(2.1, 3.4)
        values["tn"] = rng.uniform(3.0, 6.0)
    if section.name == CLASS_IV_LAKE:
        values["tp"] = rng.uniform(0.055, 0.095)

    status = "正常"
    if section.name == MAINTAINED_SECTION and 8 <= when.hour <= 16 and _maintenance_day(section, when.date()):
        status = "维护"
        values["codmn"] = None  # the analyser is what is being serviced

    cells, raws = [], {}
    for parameter in _PARAMETERS:
        value = values[parameter]
        if value is None:
            cells.append("*" if parameter in ("chla", "algae") else "--")
            continue
        cell, raws[parameter] = _value_cell(parameter, value)
        cells.append(cell)
    label = ""
    if status == "正常":
        evaluated = {p: float(raws[p]) for p in ("ph", "do", "codmn", "nh3n", "tp") if p in raws}
        cls = section_class(evaluated, section.water_body)
        label = CLASS_LABELS[cls] if cls is not None else ""
    return [section.province, section.basin, section.name, f"{when:%m-%d %H:%M}", label, *cells, status]


def _response(rows: list[list[str]]) -> bytes:
    body = {"result": 1, "total": 1, "records": len(rows), "thead": list(THEAD), "tbody": rows}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


# -- the publisher -----------------------------------------------------------------------------------------------

class WaterPublisher:
    """``realtime.json`` as the feed answered at ``clock``; 404 for any other name.

    ``clock`` is a naive Asia/Shanghai datetime, settable at any time (an aware datetime is converted);
    ``None`` (the default) follows the wall clock. ``sections`` (names from the 2020-05-08 snapshot's 28
    Inner Mongolia sections) limits the generated and the 2021-04 answers; the real 2020-05-08 snapshot is
    always served whole and unmodified.
    """

    def __init__(self, clock: datetime | None = None, sections: Iterable[str] | None = None, *,
                 data_dir: str | Path = DATA_DIR, failing_pages: Iterable[int] = ()) -> None:
        self._sources = _load(Path(data_dir).resolve())
        self.failing_pages = set(failing_pages)
        known = [s.name for s in self._sources.sections]
        if sections is None:
            self.sections = list(known)
        else:
            self.sections = list(sections)
            unknown = sorted(set(self.sections) - set(known))
            if unknown:
                raise ValueError(f"unknown sections {unknown}; the 2020-05-08 snapshot's Inner Mongolia sections "
                                 f"are: {', '.join(known)}")
        self.clock = clock

    @property
    def clock(self) -> datetime:
        """The time the feed is asked at (naive Asia/Shanghai): the one set, else the wall clock now."""
        return self._clock if self._clock is not None else shanghai_now()

    @clock.setter
    def clock(self, value: datetime | None) -> None:
        self._clock = _naive_shanghai(value) if value is not None else None

    @property
    def all_sections(self) -> tuple[Section, ...]:
        """The 28 Inner Mongolia sections of the 2020-05-08 snapshot, in its order."""
        return self._sources.sections

    def source(self, clock: datetime | None = None) -> str:
        """Which source answers at ``clock``: ``"snapshot"``, ``"captured"`` or ``"generated"``."""
        when = _naive_shanghai(clock) if clock is not None else self.clock
        if when.date() == self._sources.snapshot_day:
            return "snapshot"
        first, last = self._sources.capture_days
        return "captured" if first <= when.date() <= last else "generated"

    def render(self, clock: datetime | None = None) -> bytes:
        """The response body at ``clock`` (default: the publisher's clock)."""
        when = _naive_shanghai(clock) if clock is not None else self.clock
        kind = self.source(when)
        if kind == "snapshot":
            return self._sources.snapshot
        wanted = set(self.sections)
        if kind == "captured":
            rows = []
            for name, readings in self._sources.captured.items():
                latest = [row for t, row in readings if t <= when]
                if name in wanted and latest:
                    rows.append(latest[-1])
            rows += [row for name, row in self._sources.untimed.items() if name in wanted]
            return _response([[*row[:5], *(_captured_cell(c) for c in row[5:16]), row[16]] for row in rows])
        reading = _reading_time(when)
        return _response([_generated_row(s, reading) for s in self._sources.sections if s.name in wanted])

    def snapshots(self, first: datetime, last: datetime, every_hours: float = 4) -> Iterator[tuple[datetime, bytes]]:
        """Polls from ``first`` to ``last`` inclusive, every ``every_hours``: (poll time, body); the clock is
        untouched. A month of 4-hourly polls is 180 bodies (about half a second)."""
        if every_hours <= 0:
            raise ValueError("every_hours must be positive")
        step = timedelta(hours=every_hours)
        when, last = _naive_shanghai(first), _naive_shanghai(last)
        while when <= last:
            yield when, self.render(when)
            when += step

    def respond(self, name: str) -> tuple[int, bytes, str]:
        if name.lstrip("/") != NAME:
            return HTTPStatus.NOT_FOUND, f"not found: the water feed publishes only {NAME}\n".encode(), "text/plain"
        return HTTPStatus.OK, self.render(), JSON_TYPE

    def respond_form(self, name: str, form: dict[str, str]) -> tuple[int, bytes, str]:
        """The platform's ``POST Ajax/Publish.ashx``: one page of the matching rows of :meth:`render`."""
        if name.lstrip("/").removeprefix("GJZ/") != PLATFORM_NAME:
            return HTTPStatus.NOT_FOUND, f"not found: POST {PLATFORM_NAME}\n".encode(), "text/plain"
        if form.get("action") != "getRealDatas":
            return HTTPStatus.BAD_REQUEST, b"unknown action\n", "text/plain"
        try:
            index, size = int(form.get("PageIndex") or 1), int(form.get("PageSize") or 20)
        except ValueError:
            return HTTPStatus.BAD_REQUEST, b"PageIndex and PageSize must be numbers\n", "text/plain"
        if index in self.failing_pages:
            return HTTPStatus.INTERNAL_SERVER_ERROR, b"injected failure\n", "text/plain"
        area, river = form.get("AreaID") or "", form.get("RiverID") or ""
        rows = [row for row in json.loads(self.render())["tbody"]
                if (not area or row[0] == AREAS.get(area)) and (not river or row[1] == RIVERS.get(river))]
        size = max(1, size)
        pages = -(-len(rows) // size)
        page = rows[(index - 1) * size: index * size] if index >= 1 else []
        body = {"result": 1 if rows else 0, "total": pages, "records": len(rows), "thead": list(THEAD),
                "tbody": page}
        return HTTPStatus.OK, json.dumps(body, ensure_ascii=False).encode("utf-8"), JSON_TYPE

    def describe(self) -> str:
        clock = f"set to {self._clock:%Y-%m-%d %H:%M}" if self._clock is not None else "following the wall clock"
        first, last = self._sources.capture_days
        return (f"{NAME} (GET) and POST {PLATFORM_NAME} (pages): clock (Asia/Shanghai) {clock}, answering from "
                f"the {self.source()} source; real snapshot on "
                f"{self._sources.snapshot_day}, real captures {first}…{last}, generated readings of "
                f"{len(self.sections)} sections otherwise")


def snapshots(first: datetime, last: datetime, every_hours: float = 4, *,
              sections: Iterable[str] | None = None) -> Iterator[tuple[datetime, bytes]]:
    """``WaterPublisher(sections=sections).snapshots(first, last, every_hours)``: a month of 4-hourly polls is
    180 bodies."""
    return WaterPublisher(sections=sections).snapshots(first, last, every_hours)
