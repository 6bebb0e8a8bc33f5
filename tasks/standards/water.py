"""GB 3838-2002 Table 1: the class (Ⅰ–Ⅴ, 劣Ⅴ) of one value, and a section's class (RULES.md §2.3).

Bounds are closed — a value exactly at a class limit belongs to that class (NH3-N 0.5 → Ⅱ, DO 6.0 → Ⅱ,
CODMn 2 → Ⅰ) — so values are compared as decimals of their shortest text (0.1 + 0.2 is not 0.3 here, but a
mean of exactly 0.5 is 0.5). DO is a minimum (≥), pH a range (6–9 → Ⅰ, outside → 劣Ⅴ), every other item a
maximum (≤). Lakes and reservoirs use their own TP limits. A section's class is the worst class of its
evaluated items (the 21 items of Table 1 without 水温, 总氮 and 粪大肠菌群; reference/standards.md §4).
Conductivity, turbidity, chlorophyll-a and algal density are measured by the automatic stations but are not
Table 1 items, so they have no class.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from decimal import Decimal

WATER_BODIES = ("river", "lake")   # lake = lakes and reservoirs (湖、库)
WORST = 6                          # 劣Ⅴ
CLASS_LABELS: dict[int, str] = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ", 5: "Ⅴ", 6: "劣Ⅴ"}

#: The 24 Table 1 items in the standard's order, with their names in the standard.
TABLE1: dict[str, str] = {
    "water_temp": "水温", "ph": "pH", "do": "溶解氧", "codmn": "高锰酸盐指数", "cod": "化学需氧量",
    "bod5": "五日生化需氧量", "nh3n": "氨氮", "tp": "总磷", "tn": "总氮", "cu": "铜", "zn": "锌",
    "fluoride": "氟化物", "se": "硒", "as": "砷", "hg": "汞", "cd": "镉", "cr6": "铬(六价)", "pb": "铅",
    "cn": "氰化物", "phenol": "挥发酚", "petroleum": "石油类", "las": "阴离子表面活性剂", "sulfide": "硫化物",
    "fecal_coliform": "粪大肠菌群",
}

#: Measured by the automatic stations but not Table 1 items: no class.
NOT_IN_TABLE1 = frozenset({"conductivity", "turbidity", "chla", "algae"})

#: Items that decide a section's class (环办〔2011〕22号): all of Table 1 but 水温, 总氮 and 粪大肠菌群.
EVALUATED: frozenset[str] = frozenset(TABLE1) - {"water_temp", "tn", "fecal_coliform"}

#: Class Ⅰ–Ⅴ limits as decimal text (mg/L; fecal coliform 个/L). "do" lists minimums, the others maximums.
#: River limits; LAKE_LIMITS replaces the items that differ for lakes and reservoirs. TN limits are written
#: for lakes and reservoirs; on rivers a TN class is for reference only (TN is never evaluated).
LIMITS: dict[str, tuple[str, str, str, str, str]] = {
    "do": ("7.5", "6", "5", "3", "2"),
    "codmn": ("2", "4", "6", "10", "15"),
    "cod": ("15", "15", "20", "30", "40"),
    "bod5": ("3", "3", "4", "6", "10"),
    "nh3n": ("0.15", "0.5", "1.0", "1.5", "2.0"),
    "tp": ("0.02", "0.1", "0.2", "0.3", "0.4"),
    "tn": ("0.2", "0.5", "1.0", "1.5", "2.0"),
    "cu": ("0.01", "1.0", "1.0", "1.0", "1.0"),
    "zn": ("0.05", "1.0", "1.0", "2.0", "2.0"),
    "fluoride": ("1.0", "1.0", "1.0", "1.5", "1.5"),
    "se": ("0.01", "0.01", "0.01", "0.02", "0.02"),
    "as": ("0.05", "0.05", "0.05", "0.1", "0.1"),
    "hg": ("0.00005", "0.00005", "0.0001", "0.001", "0.001"),
    "cd": ("0.001", "0.005", "0.005", "0.005", "0.01"),
    "cr6": ("0.01", "0.05", "0.05", "0.05", "0.1"),
    "pb": ("0.01", "0.01", "0.05", "0.05", "0.1"),
    "cn": ("0.005", "0.05", "0.2", "0.2", "0.2"),
    "phenol": ("0.002", "0.002", "0.005", "0.01", "0.1"),
    "petroleum": ("0.05", "0.05", "0.05", "0.5", "1.0"),
    "las": ("0.2", "0.2", "0.2", "0.3", "0.3"),
    "sulfide": ("0.05", "0.1", "0.2", "0.5", "1.0"),
    "fecal_coliform": ("200", "2000", "10000", "20000", "40000"),
}
LAKE_LIMITS: dict[str, tuple[str, str, str, str, str]] = {
    "tp": ("0.01", "0.025", "0.05", "0.1", "0.2"),
}
MINIMUM_ITEMS = frozenset({"do"})
PH_RANGE = ("6", "9")


def limits(parameter: str, water_body: str) -> tuple[Decimal, ...]:
    """Class Ⅰ–Ⅴ limits of an item for a water body (ValueError when the item has none)."""
    _check_water_body(water_body)
    table = LAKE_LIMITS if water_body == "lake" and parameter in LAKE_LIMITS else LIMITS
    if parameter not in table:
        raise ValueError(_no_class(parameter))
    return tuple(Decimal(limit) for limit in table[parameter])


def classify(parameter: str, value: float, water_body: str) -> int:
    """Class 1–5 of one value, 6 = 劣Ⅴ; closed bounds, compared as the decimal of the value's shortest text."""
    _check_water_body(water_body)
    number = _decimal(parameter, value)
    if parameter == "ph":
        low, high = (Decimal(x) for x in PH_RANGE)
        return 1 if low <= number <= high else WORST
    bounds = limits(parameter, water_body)
    if parameter in MINIMUM_ITEMS:
        return next((cls for cls, limit in enumerate(bounds, start=1) if number >= limit), WORST)
    return next((cls for cls, limit in enumerate(bounds, start=1) if number <= limit), WORST)


def section_class(means: Mapping[str, float], water_body: str) -> int | None:
    """Worst class of the evaluated items present (NaN = no valid reading: left out); None when none is."""
    _check_water_body(water_body)
    classes = [classify(code, value, water_body) for code, value in means.items()
               if code in EVALUATED and not _absent(value)]
    return max(classes) if classes else None


def limit_rows() -> list[dict[str, object]]:
    """The limits as flat rows (parameter, water_body, class, bound, limit) for tables and reports."""
    rows: list[dict[str, object]] = []
    for body in WATER_BODIES:
        rows += [{"parameter": "ph", "water_body": body, "class": 1, "bound": "range",
                  "limit": f"{PH_RANGE[0]}-{PH_RANGE[1]}"}]
        for code in LIMITS:
            bound = "min" if code in MINIMUM_ITEMS else "max"
            rows += [{"parameter": code, "water_body": body, "class": cls, "bound": bound, "limit": str(limit)}
                     for cls, limit in enumerate(limits(code, body), start=1)]
    return rows


def _decimal(parameter: str, value: float) -> Decimal:
    """repr() of a float is its shortest round-tripping text: 0.5 -> Decimal('0.5'), exactly the limit."""
    if isinstance(value, bool) or not isinstance(value, Decimal | numbers.Real):
        raise ValueError(f"cannot classify {parameter}: value must be a number, got {value!r}")
    if isinstance(value, Decimal | numbers.Integral):
        number = Decimal(value) if isinstance(value, Decimal) else Decimal(int(value))
    else:
        number = Decimal(repr(float(value)))
    if number.is_nan():
        raise ValueError(f"cannot classify {parameter}: the value is NaN (no valid reading)")
    return number


def _absent(value: float | None) -> bool:
    return value is None or (isinstance(value, numbers.Real) and math.isnan(value))


def _check_water_body(water_body: str) -> None:
    if water_body not in WATER_BODIES:
        raise ValueError(f"water_body must be 'river' or 'lake' (lakes and reservoirs), got {water_body!r}")


def _no_class(parameter: str) -> str:
    if parameter == "water_temp":
        return "cannot classify water_temp: GB 3838 limits only man-made temperature change, not a value"
    if parameter in NOT_IN_TABLE1:
        return f"cannot classify {parameter}: not a GB 3838-2002 Table 1 item (measured, but it has no class)"
    return f"cannot classify {parameter!r}: unknown parameter code (Table 1 codes: {', '.join(TABLE1)})"
