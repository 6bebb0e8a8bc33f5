"""Drinking-water sources judged item by item (RULES §3): the class Ⅲ limit of every item a source is assessed on,
how a cell of a monitoring report reads, and whether a source met the standard in a month.

A surface source (river, lake or reservoir) is assessed on GB 3838-2002 Table 1 at class Ⅲ, without 水温, 总氮 and
粪大肠菌群 (the same items as a section: tasks.standards.water), plus the five Table 2 items for drinking-water
sources; a groundwater source on the numeric items of GB/T 14848-2017 Table 1 (常规指标) at class Ⅲ. A source meets
the standard in a month only if **every** item assessed that month meets its limit; an item left blank was not
assessed; an item the catalogue marks as natural background (一棵树水源地's 铁 and 锰) is recorded but not judged.

Laboratory reports write a value below the detection limit as `0.004L`, `<0.004` or `未检出`: it meets a maximum
whose limit is not below the detection limit (and `未检出` without a limit meets it); it can never show that a
minimum (溶解氧) is met. Bounds are closed (a value at the limit meets it), compared as decimals of the value's
shortest text, as in tasks.standards.water.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from tasks.core import numbers
from tasks.standards import water

Bound = Literal["max", "min", "range"]
SOURCE_KINDS = ("surface", "groundwater")
KIND_ZH = {"surface": "地表水", "groundwater": "地下水"}
SUPPLY = "supply"                    # not an item: the month's water taken (万吨), for the by-volume ratio
SUPPLY_NAME, SUPPLY_UNIT = "本月取水量", "万吨"
RULES_VERSION = "GB3838-2002|GB/T14848-2017"


@dataclass(frozen=True)
class Item:
    code: str
    name_zh: str
    unit: str
    bound: Bound
    limit: str                       # decimal text; a range is "low-high"
    basis: str                       # where the limit comes from, for the template and the docs

    def limit_text(self) -> str:
        """As a clerk reads it on the template: ≤0.3, ≥5, 6.5～8.5."""
        if self.bound == "range":
            low, high = self.limit.split("-")
            return f"{low}～{high}"
        return f"{'≥' if self.bound == 'min' else '≤'}{self.limit}"

    def bounds(self) -> tuple[Decimal, Decimal]:
        low, high = self.limit.split("-")
        return Decimal(low), Decimal(high)


_T1, _T2, _GW = "GB 3838-2002 表1 Ⅲ类", "GB 3838-2002 表2", "GB/T 14848-2017 表1 Ⅲ类"


def _surface_items(water_body: str) -> tuple[Item, ...]:
    """Table 1's evaluated items at class Ⅲ (the lake TP limit for a lake or reservoir), then Table 2."""
    items = []
    for code, name in water.TABLE1.items():
        if code not in water.EVALUATED:
            continue
        if code == "ph":
            items.append(Item(code, name, "无量纲", "range", "-".join(water.PH_RANGE), _T1))
            continue
        limit = str(water.limits(code, water_body)[2])
        bound: Bound = "min" if code in water.MINIMUM_ITEMS else "max"
        items.append(Item(code, name, "mg/L", bound, limit, _T1))
    items += [Item(code, name, "mg/L", "max", limit, _T2) for code, name, limit in (
        ("sulfate", "硫酸盐", "250"), ("chloride", "氯化物", "250"), ("nitrate", "硝酸盐（以N计）", "10"),
        ("fe", "铁", "0.3"), ("mn", "锰", "0.1"))]
    return tuple(items)


#: GB/T 14848-2017 Table 1, the numeric items (嗅和味 and 肉眼可见物 are read by eye: not on the sheet), class Ⅲ.
GROUNDWATER: tuple[Item, ...] = tuple(Item(code, name, unit, bound, limit, _GW) for code, name, unit, bound, limit in (
    ("color", "色", "度", "max", "15"), ("turbidity", "浑浊度", "NTU", "max", "3"),
    ("ph", "pH", "无量纲", "range", "6.5-8.5"), ("hardness", "总硬度（以CaCO₃计）", "mg/L", "max", "450"),
    ("tds", "溶解性总固体", "mg/L", "max", "1000"), ("sulfate", "硫酸盐", "mg/L", "max", "250"),
    ("chloride", "氯化物", "mg/L", "max", "250"), ("fe", "铁", "mg/L", "max", "0.3"),
    ("mn", "锰", "mg/L", "max", "0.10"),
    ("cu", "铜", "mg/L", "max", "1.00"), ("zn", "锌", "mg/L", "max", "1.00"), ("al", "铝", "mg/L", "max", "0.20"),
    ("phenol", "挥发性酚类（以苯酚计）", "mg/L", "max", "0.002"), ("las", "阴离子表面活性剂", "mg/L", "max", "0.3"),
    ("codmn", "耗氧量（以O₂计）", "mg/L", "max", "3.0"), ("nh3n", "氨氮（以N计）", "mg/L", "max", "0.50"),
    ("sulfide", "硫化物", "mg/L", "max", "0.02"), ("na", "钠", "mg/L", "max", "200"),
    ("total_coliform", "总大肠菌群", "MPN/100mL", "max", "3.0"), ("bacteria", "菌落总数", "CFU/mL", "max", "100"),
    ("nitrite", "亚硝酸盐（以N计）", "mg/L", "max", "1.00"), ("nitrate", "硝酸盐（以N计）", "mg/L", "max", "20.0"),
    ("cn", "氰化物", "mg/L", "max", "0.05"), ("fluoride", "氟化物", "mg/L", "max", "1.0"),
    ("iodide", "碘化物", "mg/L", "max", "0.08"), ("hg", "汞", "mg/L", "max", "0.001"),
    ("as", "砷", "mg/L", "max", "0.01"), ("se", "硒", "mg/L", "max", "0.01"), ("cd", "镉", "mg/L", "max", "0.005"),
    ("cr6", "铬（六价）", "mg/L", "max", "0.05"), ("pb", "铅", "mg/L", "max", "0.01"),
    ("chloroform", "三氯甲烷", "μg/L", "max", "60"), ("ccl4", "四氯化碳", "μg/L", "max", "2.0"),
    ("benzene", "苯", "μg/L", "max", "10.0"), ("toluene", "甲苯", "μg/L", "max", "700"),
    ("gross_alpha", "总α放射性", "Bq/L", "max", "0.5"), ("gross_beta", "总β放射性", "Bq/L", "max", "1.0"),
))


def items_for(kind: str, water_body: str | None = None) -> tuple[Item, ...]:
    """The items a source of this kind is assessed on, in the standard's order."""
    if kind == "groundwater":
        return GROUNDWATER
    if kind == "surface":
        return _surface_items(water_body or "river")
    raise ValueError(f"source kind must be one of {', '.join(SOURCE_KINDS)}, got {kind!r}")


def item(kind: str, water_body: str | None, code: str) -> Item | None:
    return next((i for i in items_for(kind, water_body) if i.code == code), None)


# -- a cell as a laboratory writes it ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reading:
    """One cell: a number, or below the detection limit (limit None: 未检出 with no limit written)."""
    value: float | None
    below_detection: bool = False
    detection_limit: float | None = None

    @property
    def ok(self) -> bool:
        return self.below_detection or self.value is not None


_NOT_DETECTED = ("未检出", "nd", "n.d.", "n.d")
_BELOW = re.compile(r"^(?:<|＜|小于)\s*(.+)$")
_L_SUFFIX = re.compile(r"^(.+?)\s*l$")


def read_cell(text: object) -> Reading | None:
    """The reading of a cell's text; None for a blank cell; Reading(None) when it is no number a lab writes."""
    if text is None:
        return None
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = numbers.finite(float(text))
        return Reading(None if math.isnan(value) else value)
    s = unicodedata.normalize("NFKC", str(text)).strip()
    if not s:
        return None
    if s.lower() in _NOT_DETECTED:
        return Reading(None, below_detection=True)
    below = _BELOW.match(s) or _L_SUFFIX.match(s.lower())
    if below:
        limit = numbers.typed(below.group(1))
        return Reading(None, True, limit) if not math.isnan(limit) and limit > 0 else Reading(None)
    value = numbers.typed(s)
    return Reading(None if math.isnan(value) else value)


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def meets(it: Item, reading: Reading) -> bool | None:
    """Whether the reading meets the item's class Ⅲ limit (closed bounds); None when it cannot tell (a detection
    limit above a maximum, below detection for a range, a reading that is no number)."""
    if reading.below_detection:
        if it.bound == "max":
            if reading.detection_limit is None:
                return True
            return True if _decimal(reading.detection_limit) <= Decimal(it.limit) else None
        if it.bound == "min" and reading.detection_limit is not None:
            return False if _decimal(reading.detection_limit) <= Decimal(it.limit) else None
        return None
    if reading.value is None:
        return None
    number = _decimal(reading.value)
    if it.bound == "range":
        low, high = it.bounds()
        return low <= number <= high
    if it.bound == "min":
        return number >= Decimal(it.limit)
    return number <= Decimal(it.limit)


def judgeable(it: Item, reading: Reading) -> bool:
    return meets(it, reading) is not None


def plausible(it: Item, reading: Reading) -> bool:
    """Not more than 100 times a maximum (a unit slip: μg/L typed as mg/L), and pH within 0–14."""
    if reading.value is None:
        return True
    if it.code == "ph":
        return 0 <= reading.value <= 14
    return it.bound != "max" or _decimal(reading.value) <= Decimal(it.limit) * 100


# -- a source in a month ----------------------------------------------------------------------------------------------

@dataclass
class SourceMonth:
    """One source's month: the items assessed, those that missed class Ⅲ, the background items recorded apart,
    and the water taken (万吨, None when not given)."""
    source_code: str
    period: str
    assessed: int = 0
    failing: list[str] = field(default_factory=list)       # 氨氮 0.62（Ⅲ类限值≤0.50）
    background: list[str] = field(default_factory=list)    # 铁 0.52（本底，不参评）
    unjudged: list[str] = field(default_factory=list)      # readings that cannot be judged (refused at intake)
    supply: float | None = None

    @property
    def evaluated(self) -> bool:
        return self.assessed > 0

    @property
    def met(self) -> bool:
        return self.evaluated and not self.failing and not self.unjudged


def shown(reading: Reading, text: str | None = None) -> str:
    if text:
        return text.strip()
    if reading.below_detection:
        return "未检出" if reading.detection_limit is None else f"{reading.detection_limit:g}L"
    return f"{reading.value:g}"


def judge_month(source_code: str, period: str, kind: str, water_body: str | None, background: Iterable[str],
                cells: dict[str, tuple[Reading, str | None]]) -> SourceMonth:
    """One source's month from its cells (item code -> (reading, the text as written)); the supply row apart."""
    month = SourceMonth(source_code, period)
    background = set(background)
    for code, (reading, text) in cells.items():
        if code == SUPPLY:
            month.supply = reading.value
            continue
        it = item(kind, water_body, code)
        if it is None or reading is None:
            continue
        if code in background:
            month.background.append(f"{it.name_zh} {shown(reading, text)}（本底，不参评）")
            continue
        month.assessed += 1
        verdict = meets(it, reading)
        if verdict is None:
            month.unjudged.append(f"{it.name_zh} {shown(reading, text)}")
        elif not verdict:
            month.failing.append(f"{it.name_zh} {shown(reading, text)}{_unit(it)}（Ⅲ类限值{it.limit_text()}）")
    return month


def _unit(it: Item) -> str:
    return "" if it.unit == "无量纲" else f" {it.unit}"
