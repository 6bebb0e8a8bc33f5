"""China AQI (HJ 633) by the date of the data.

Two versions apply: HJ 633-2012 for days before 2026-03-01 and HJ 633-2026 from that day
(tighter PM breakpoints, new >800 footnotes, no O3 1-hour input in the daily AQI).
Concentrations are first rounded half-even (GB/T 8170), then interpolated exactly and rounded
*up* ("全部进位取整数"), so 50.0000 stays 50 and 51.25 becomes 52. Neither version defines an
IAQI above the 500 breakpoint: the daily AQI uses 500 there and flags it ([D], RULES.md §1 rule 8).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Literal, get_args

from tasks.standards.rounding import round_concentration

Pollutant = Literal["SO2", "NO2", "PM10", "PM2.5", "CO", "O3"]
Averaging = Literal["1h", "8h", "24h"]
Standard = Literal["HJ633-2012", "HJ633-2026"]

POLLUTANTS: tuple[str, ...] = get_args(Pollutant)
AVERAGINGS: tuple[str, ...] = get_args(Averaging)
STANDARDS: tuple[str, ...] = get_args(Standard)

#: First day scored with HJ 633-2026 (in force 2026-03-01).
HJ633_2026_FROM = datetime.date(2026, 3, 1)

#: IAQI value of each breakpoint row (HJ 633-2012 Table 1 / HJ 633-2026 Table 3).
IAQI_LEVELS: tuple[int, ...] = (0, 50, 100, 150, 200, 300, 400, 500)

# Concentration breakpoints per (pollutant, averaging), aligned with IAQI_LEVELS; µg/m³, CO mg/m³.
# Shorter columns end where the standard's table ends (SO2 1h and O3 8h: footnotes above 800).
_GAS_COLUMNS: dict[tuple[str, str], tuple[int, ...]] = {
    ("SO2", "24h"): (0, 50, 150, 475, 800, 1600, 2100, 2620),
    ("SO2", "1h"): (0, 150, 500, 650, 800),
    ("NO2", "24h"): (0, 40, 80, 180, 280, 565, 750, 940),
    ("NO2", "1h"): (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    ("CO", "24h"): (0, 2, 4, 14, 24, 36, 48, 60),
    ("CO", "1h"): (0, 5, 10, 35, 60, 90, 120, 150),
    ("O3", "1h"): (0, 160, 200, 300, 400, 800, 1000, 1200),
    ("O3", "8h"): (0, 100, 160, 215, 265, 800),
}

BREAKPOINTS: Mapping[str, Mapping[tuple[str, str], tuple[int, ...]]] = MappingProxyType(
    {
        "HJ633-2012": MappingProxyType(
            {
                **_GAS_COLUMNS,
                ("PM10", "24h"): (0, 50, 150, 250, 350, 420, 500, 600),
                ("PM2.5", "24h"): (0, 35, 75, 115, 150, 250, 350, 500),
            }
        ),
        # HJ 633-2026 Table 3: gas columns unchanged; PM IAQI=100 at 120 (PM10) and 60 (PM2.5).
        "HJ633-2026": MappingProxyType(
            {
                **_GAS_COLUMNS,
                ("PM10", "24h"): (0, 50, 120, 250, 350, 420, 500, 600),
                ("PM2.5", "24h"): (0, 35, 60, 115, 150, 250, 350, 500),
            }
        ),
    }
)

# Table notes for concentrations above the last breakpoint of the column (800 µg/m³ in both cases).
# HJ 633-2012: no IAQI (another averaging period is reported instead) -> None; HJ 633-2026: a fixed IAQI.
_FOOTNOTES: Mapping[str, Mapping[tuple[str, str], int | None]] = MappingProxyType(
    {
        "HJ633-2012": MappingProxyType({("SO2", "1h"): None, ("O3", "8h"): None}),
        "HJ633-2026": MappingProxyType({("SO2", "1h"): 200, ("O3", "8h"): 300}),
    }
)

_PM = ("PM10", "PM2.5")

# Daily-report inputs: key -> (pollutant, breakpoint column). O3_1h is an HJ 633-2012 input only.
DAILY_INPUTS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "SO2": ("SO2", "24h"),
        "NO2": ("NO2", "24h"),
        "CO": ("CO", "24h"),
        "PM10": ("PM10", "24h"),
        "PM2.5": ("PM2.5", "24h"),
        "O3_8h": ("O3", "8h"),
        "O3_1h": ("O3", "1h"),
    }
)
_DAILY_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "HJ633-2012": ("SO2", "NO2", "CO", "PM10", "PM2.5", "O3_8h", "O3_1h"),
        "HJ633-2026": ("SO2", "NO2", "CO", "PM10", "PM2.5", "O3_8h"),
    }
)
_PRIMARY_ORDER = ("SO2", "NO2", "CO", "PM10", "PM2.5", "O3")

#: IAQI used for a value above the top (IAQI=500) breakpoint in the daily AQI ([D], RULES.md §1 rule 8).
CAP_IAQI = 500

_Status = Literal["ok", "footnote", "above_top"]


def _check_standard(standard: str) -> None:
    if standard not in STANDARDS:
        raise ValueError(f"unknown standard {standard!r}; allowed: {', '.join(STANDARDS)}")


def _column(pollutant: str, averaging: str, standard: str) -> tuple[int, ...]:
    """Breakpoint column for a pollutant and averaging period; PM 1-hour values use the daily column."""
    _check_standard(standard)
    if pollutant not in POLLUTANTS:
        raise ValueError(f"unknown pollutant {pollutant!r}; allowed: {', '.join(POLLUTANTS)}")
    if averaging not in AVERAGINGS:
        raise ValueError(f"unknown averaging {averaging!r}; allowed: {', '.join(AVERAGINGS)}")
    # HJ 633-2026 §4.2.4 (and the platform under 2012): PM 1-hour values use the 24-hour breakpoints.
    column_avg = "24h" if pollutant in _PM and averaging == "1h" else averaging
    table = BREAKPOINTS[standard]
    if (pollutant, column_avg) not in table:
        allowed = sorted({a for p, a in table if p == pollutant} | ({"1h"} if pollutant in _PM else set()))
        raise ValueError(
            f"no {averaging} breakpoints for {pollutant} in {standard}; "
            f"allowed averaging: {', '.join(allowed)}"
        )
    return table[(pollutant, column_avg)]


def _score(pollutant: str, concentration: float, averaging: str, standard: str) -> tuple[int | None, _Status]:
    """IAQI and why it may be None: ``footnote`` (the standard substitutes) or ``above_top`` (undefined)."""
    column = _column(pollutant, averaging, standard)
    if isinstance(concentration, float) and math.isnan(concentration):
        raise ValueError(f"{pollutant} concentration is NaN")
    if concentration < 0:
        raise ValueError(f"{pollutant} concentration is negative: {concentration!r}")
    try:
        rounded = round_concentration(pollutant, concentration)
    except ValueError as exc:
        raise ValueError(f"{pollutant} concentration {concentration!r}: {exc}") from None
    c = Fraction(rounded)
    if c > column[-1]:
        footnotes = _FOOTNOTES[standard]
        key = (pollutant, "24h" if pollutant in _PM and averaging == "1h" else averaging)
        if key in footnotes:
            return footnotes[key], "footnote"
        return None, "above_top"
    for i in range(1, len(column)):
        bp_hi = column[i]
        if c <= bp_hi:
            bp_lo, iaqi_lo, iaqi_hi = column[i - 1], IAQI_LEVELS[i - 1], IAQI_LEVELS[i]
            exact = Fraction(iaqi_hi - iaqi_lo, bp_hi - bp_lo) * (c - bp_lo) + iaqi_lo
            return math.ceil(exact), "ok"
    raise AssertionError("unreachable: concentration within the column but no segment found")


def iaqi(pollutant: str, concentration: float, averaging: str, standard: str) -> int | None:
    """Individual AQI of one concentration, or None where the standard defines no value.

    None means above the IAQI=500 breakpoint, or an HJ 633-2012 footnote (SO2 1h > 800,
    O3 8h > 800) whose value comes from another averaging period. Under HJ 633-2026 those
    footnotes score 200 and 300.
    """
    return _score(pollutant, concentration, averaging, standard)[0]


def standard_for(day: datetime.date) -> Standard:
    """AQI version in force on the date of the data (never the date of the run)."""
    if isinstance(day, datetime.datetime):
        day = day.date()
    return "HJ633-2026" if day >= HJ633_2026_FROM else "HJ633-2012"


_CATEGORIES: tuple[tuple[int, str, str], ...] = (
    (50, "一级", "优"),
    (100, "二级", "良"),
    (150, "三级", "轻度污染"),
    (200, "四级", "中度污染"),
    (300, "五级", "重度污染"),
)


def category(aqi: int) -> tuple[str, str]:
    """(级别, 类别) of an AQI; band edges are closed because AQI values are integers (50 优, 51 良)."""
    if aqi < 0:
        raise ValueError(f"AQI must be >= 0, got {aqi!r}")
    for upper, level, name in _CATEGORIES:
        if aqi <= upper:
            return level, name
    return "六级", "严重污染"


@dataclass(frozen=True)
class DailyAqi:
    """Daily AQI with what the denominators of 优良天数比例 need.

    ``iaqi`` is keyed by input (SO2, NO2, CO, PM10, PM2.5, O3_8h and, for HJ 633-2012, O3_1h);
    None = missing input or an HJ 633-2012 footnote. ``capped``: some input was above the top
    breakpoint and scored 500. ``valid``: the day counts in the denominator. ``good``: AQI <= 100,
    None when the day is not valid.
    """

    aqi: int | None
    iaqi: dict[str, int | None]
    primary: tuple[str, ...]
    capped: bool
    complete: bool
    valid: bool
    good: bool | None


def daily_aqi(concentrations: Mapping[str, float | None], standard: Standard) -> DailyAqi:
    """Daily AQI per HJ 633 and RULES.md §1 rules 7–9.

    Missing inputs are ``None`` or absent (NaN is rejected, not treated as missing). With a
    missing input the AQI of the others is kept only if it is > 100 (a valid non-good day);
    otherwise the day is not valid (HJ 633-2026 §5.3, applied to both versions).
    """
    _check_standard(standard)
    keys = _DAILY_KEYS[standard]
    unknown = sorted(set(concentrations) - set(DAILY_INPUTS))
    if unknown:
        raise ValueError(f"unknown daily AQI inputs {unknown}; allowed: {', '.join(DAILY_INPUTS)}")

    scores: dict[str, int | None] = {}
    capped = False
    complete = True
    for key in keys:
        value = concentrations.get(key)
        if value is None:
            scores[key] = None
            complete = False
            continue
        pollutant, averaging = DAILY_INPUTS[key]
        score, status = _score(pollutant, value, averaging, standard)
        if status == "above_top":
            score, capped = CAP_IAQI, True
        # HJ 633-2012 O3 8h > 800: score stays None and the O3 1h IAQI (also an input) carries O3.
        scores[key] = score

    defined = [s for s in scores.values() if s is not None]
    if not defined:
        return DailyAqi(None, scores, (), capped, complete, False, None)
    top = max(defined)
    if not complete and top <= 100:
        return DailyAqi(None, scores, (), capped, complete, False, None)
    primary: tuple[str, ...] = ()
    if top > 50:
        tied = {DAILY_INPUTS[k][0] for k, s in scores.items() if s == top}
        primary = tuple(p for p in _PRIMARY_ORDER if p in tied)
    return DailyAqi(top, scores, primary, capped, complete, True, top <= 100)


def daily_aqi_arrays(concentrations: Mapping[str, object], standard: Standard) -> dict[str, object]:
    """`daily_aqi` for many days at once (one standard): the same rules, column by column.

    `concentrations` maps each daily input (SO2 … O3_1h) to an array of floats, NaN = missing. Each distinct
    concentration is scored once by the exact scalar rule (`_score`: half-even rounding, exact fractions, round
    up), then the day's AQI, validity, primary pollutants, cap and completeness are taken over the columns as
    `daily_aqi` does. Returns arrays: aqi (float, NaN = none), valid, good (float 1/0, NaN = none), capped,
    complete, and primary (a list of comma-joined names or None).
    """
    import numpy as np

    _check_standard(standard)
    keys = _DAILY_KEYS[standard]
    n = len(next(iter(concentrations.values()))) if concentrations else 0
    scores = np.full((n, len(keys)), np.nan)
    missing = np.zeros((n, len(keys)), dtype=bool)
    capped = np.zeros(n, dtype=bool)
    for j, key in enumerate(keys):
        values = np.asarray(concentrations[key], dtype="float64") if key in concentrations else np.full(n, np.nan)
        missing[:, j] = np.isnan(values)
        distinct, where = np.unique(values[~missing[:, j]], return_inverse=True)
        pollutant, averaging = DAILY_INPUTS[key]
        scored = [_score(pollutant, float(v), averaging, standard) for v in distinct]
        per_value = np.array([np.nan if s is None else s for s, status in scored], dtype="float64")
        above = np.array([status == "above_top" for _, status in scored], dtype=bool)
        per_value[above] = CAP_IAQI
        scores[~missing[:, j], j] = per_value[where] if len(distinct) else []
        capped[~missing[:, j]] |= above[where] if len(distinct) else False
    complete = ~missing.any(axis=1)
    defined = ~np.isnan(scores)
    top = np.where(defined.any(axis=1), np.nanmax(np.where(defined, scores, -1.0), axis=1), np.nan)
    valid = defined.any(axis=1) & (complete | (top > 100))
    aqi = np.where(valid, top, np.nan)
    good = np.where(valid, (top <= 100).astype("float64"), np.nan)
    names = [DAILY_INPUTS[k][0] for k in keys]
    primary: list[str | None] = [None] * n
    for i in np.flatnonzero(valid & (top > 50)):
        tied = {names[j] for j in range(len(keys)) if scores[i, j] == top[i]}
        primary[i] = ",".join(p for p in _PRIMARY_ORDER if p in tied)
    return {"aqi": aqi, "valid": valid, "good": good, "capped": capped, "complete": complete, "primary": primary}
