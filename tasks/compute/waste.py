"""Waste and sewage rates per RULES.md §3, per region (a facility counts for its region and every ancestor).

Each rate is numerator items ÷ denominator items × 100 over the month, over January..month for the year to
date and over the twelve months ending with the month for the rolling 12 months (sums of quantities, never an
average of monthly rates). Coverage counts facilities: those whose rows of the rate all landed in each month of
the span against those that reported one, or had one quarantined, at any time this year (in the 12 months for the
rolling 12 months). Quarantined rows matter because they leave no trace in raw.waste_quantities: a month with a
denominator row in quarantine is left out in every region the facility counts for (docs/rules.md S5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import duckdb
import pandas as pd

from tasks.compute import store as indicator_store
from tasks.compute import waste_rise
from tasks.core import sql
from tasks.core.periods import Period
from tasks.core.warehouse import transaction
from tasks.standards.rounding import round_half_even
from tasks.standards.rules import ECOFLOW_RULES


@dataclass(frozen=True)
class Rate:
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    cap_at_100: bool = False
    kinds: tuple[str, ...] | None = None   # only these facility kinds count (None: every kind reporting the items)


RATES = {
    # Producers report what they generated and what was utilised or disposed of it; disposal units report the same
    # waste again from their side, so only producers count (else the waste would be counted twice).
    "hazardous_waste_disposal_rate": Rate(("hw_utilized", "hw_disposed"), ("hw_generated",), cap_at_100=True,
                                          kinds=("hazardous_waste_producer",)),
    "urban_sewage_treatment_rate": Rate(("sewage_treated",), ("sewage_discharged",)),
    "household_waste_safe_treatment_rate": Rate(("msw_safely_treated",), ("msw_collected",)),
    "industrial_solid_waste_utilization_rate": Rate(("isw_utilized",), ("isw_generated", "isw_utilized_from_storage")),
}
RULES_VERSION = f"RULES§3 ; {ECOFLOW_RULES}"


def rate_value(numerator: float, denominator: float, cap: bool) -> tuple[float | None, str | None]:
    """The rate at 1 decimal (GB/T 8170), capped at 100 when the rule says so — and then saying so."""
    if not denominator:
        return None, None
    exact = Decimal(repr(numerator)) * 100 / Decimal(repr(denominator))
    value = float(round_half_even(exact, 1))
    if cap and value > 100:
        return 100.0, f"capped at 100 (computed {value:.1f})"
    return value, None


@dataclass
class _Months:
    """One region's rows of one rate, gathered month by month once (filtering the frames per region, rate and span
    was most of a month's compute time): sums, facilities and batches of the landed rows, facilities of the
    quarantined rows."""
    num: dict[str, float] = field(default_factory=dict)
    den: dict[str, float] = field(default_factory=dict)
    facilities: dict[str, set[str]] = field(default_factory=dict)       # landed rows of the rate
    den_facilities: dict[str, set[str]] = field(default_factory=dict)   # landed denominator rows
    batches: dict[str, set[str]] = field(default_factory=dict)
    held: dict[str, set[str]] = field(default_factory=dict)             # quarantined rows of the rate
    held_den: dict[str, set[str]] = field(default_factory=dict)         # quarantined denominator rows
    held_items: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)  # (item, facilities)

    def any_in(self, months: list[str]) -> bool:
        return any(m in self.facilities or m in self.held for m in months)


def _union(by_month: dict[str, set[str]], months: list[str]) -> set[str]:
    """The facilities of `by_month` over `months`."""
    return set().union(*(by_month.get(m, ()) for m in months))


def _of_rate(frame: pd.DataFrame, rate: Rate) -> pd.DataFrame:
    return frame[frame["item"].isin(set(rate.numerator) | set(rate.denominator))
                 & (frame["kind"].isin(rate.kinds) if rate.kinds else True)]


def _sums(rows: pd.DataFrame, items: tuple[str, ...]) -> dict[tuple[str, str], float]:
    """Each region's and month's total of `items`, summed as each month's Series of totals was (Series.sum: NaN as
    0, numpy's pairwise sum over the rows in their order — not groupby's compensated sum, which may differ in the
    last bit): the same float."""
    import numpy as np

    part = rows[rows["item"].isin(items)]
    totals: dict[tuple[str, str], list[float]] = {}
    for region, period, total in zip(part["region_code"], part["period"], part["total"], strict=True):
        totals.setdefault((region, period), []).append(total)
    return {key: float(np.nansum(np.asarray(values, dtype="float64"))) for key, values in totals.items()}


def _gather(totals: pd.DataFrame, quarantined: pd.DataFrame, rate: Rate) -> dict[str, _Months]:
    """Per region, the rate's months (see _Months)."""
    regions: dict[str, _Months] = {}
    landed, held = _of_rate(totals, rate), _of_rate(quarantined, rate)
    den_items = set(rate.denominator)
    for side, items in (("num", rate.numerator), ("den", rate.denominator)):
        for (region, period), total in _sums(landed, items).items():
            getattr(regions.setdefault(region, _Months()), side)[period] = total
    for region, period, item, facilities, batches in zip(landed["region_code"], landed["period"], landed["item"],
                                                         landed["facilities"], landed["batch_ids"], strict=True):
        months = regions.setdefault(region, _Months())
        months.facilities.setdefault(period, set()).update(facilities)
        months.batches.setdefault(period, set()).update(batches)
        if item in den_items:
            months.den_facilities.setdefault(period, set()).update(facilities)
    for region, period, item, facilities in zip(held["region_code"], held["period"], held["item"],
                                                held["facilities"], strict=True):
        months = regions.setdefault(region, _Months())
        months.held.setdefault(period, set()).update(facilities)
        months.held_items.setdefault(period, []).append((item, list(facilities)))
        if item in den_items:
            months.held_den.setdefault(period, set()).update(facilities)
    return regions


def _held_note(months: _Months, span: list[str]) -> str | None:
    """Which rows of the rate were quarantined, so a reader sees why a month is missing or coverage is short."""
    held: dict[tuple[str, str], set[str]] = {}
    for m in span:
        for item, facilities in months.held_items.get(m, ()):
            for facility in facilities:
                held.setdefault((facility, item), set()).add(m)
    if not held:
        return None
    return "quarantined: " + ", ".join(f"{facility} {item} ({', '.join(sorted(ms))})"
                                       for (facility, item), ms in sorted(held.items()))


def _rate_over(months: _Months, rate: Rate, span: list[str], scope: list[str]) -> dict:
    """The rate over the complete months of `span` (period texts) and its coverage. `scope` is the months that say
    which facilities must report: this year for the month and YTD, the 12 months for r12. A quarantined row counts
    as reported-but-missing: its facility is expected, and a month with a denominator row in quarantine is
    incomplete, since the numerator may hold the quantities that row's facility collected or discharged (RULES §3;
    a region's numerator and denominator often come from different facilities, e.g. treatment plants and a transfer
    station)."""
    den_landed = _union(months.den_facilities, scope)
    den_known = den_landed | _union(months.held_den, scope)
    known = _union(months.facilities, scope) | _union(months.held, scope)
    per_month = {}
    for m in span:
        den_total = months.den.get(m, 0.0)
        complete = (bool(den_known) and m not in months.held_den and months.den_facilities.get(m, set()) >= den_known
                    and den_total > 0)
        whole = months.facilities.get(m, set()) - months.held.get(m, set())
        per_month[m] = (months.num.get(m, 0.0), den_total, complete, len(whole))
    used = [m for m in span if per_month[m][2]]
    num = sum(per_month[m][0] for m in used)
    den = sum(per_month[m][1] for m in used)
    value, note = rate_value(num, den, rate.cap_at_100) if used else (None, None)
    left_out = [m for m in span if m not in used]
    why = None
    if left_out:
        why = (f"no {' / '.join(rate.denominator)} reported (quarantined or not delivered)"
               if not den_landed else "denominator incomplete in month(s) " + ", ".join(left_out))
    note = "; ".join(filter(None, [note, why, _held_note(months, span)])) or None
    reported = sum(per_month[m][3] for m in span)
    expected = len(known) * len(span)
    return {"value": value, "numerator": num, "denominator": den,
            "coverage_ok": value is not None and not left_out and reported == expected,
            "batch_ids": sorted(_union(months.batches, span)),
            "coverage_valid": reported, "coverage_expected": expected, "notes": note}


def indicator_rows(totals: pd.DataFrame, period: Period, quarantined: pd.DataFrame | None = None) -> list[dict]:
    """Month, YTD and rolling-12-month rates per region. A month counts only when its denominator is complete —
    every facility that reported a denominator item this year (for r12: in the 12 months) reported it this month,
    and none of the month's denominator rows is in quarantine (`quarantined`: the held-back rows per region, as
    compute/waste_quarantined_items) — since a ratio of a complete numerator to a partial denominator would
    overstate the rate (a facility with nothing to report reports 0, not nothing). A span without any row of the
    rate, landed or quarantined, gets no value row."""
    if quarantined is None:
        quarantined = pd.DataFrame(columns=["region_code", "period", "kind", "item", "facilities"])
    rows = []
    year = [str(m) for m in period.months_of_year_to_date()]
    rolling = [str(m) for m in period.months_of_rolling_12()]
    # period type, the months summed, the months whose reporting facilities are expected
    spans = (("month", [str(period)], year), ("ytd", year, year), ("r12", rolling, rolling))
    by_rate = {code: _gather(totals, quarantined, rate) for code, rate in RATES.items()}
    for region in sorted(set(totals["region_code"]) | set(quarantined["region_code"])):
        for code, rate in RATES.items():
            months = by_rate[code].get(region)
            for period_type, span, scope in spans:
                if months is None or not months.any_in(scope):
                    continue
                rows.append({"indicator_code": code, "region_code": region, "period": str(period),
                             "period_type": period_type, "variant": "raw", **_rate_over(months, rate, span, scope),
                             "rules_version": RULES_VERSION, "coverage_unit": "facilities"})
    return rows


def compute_indicators(con: duckdb.DuckDBPyConnection, period: Period) -> int:
    """Replace the period's rates (month, YTD, rolling 12 months) from the landed quantities and the rows held in
    quarantine (which make their months incomplete), and indicator 22, the YTD rise of the industrial solid-waste
    rate against its base year (tasks/compute/waste_rise.py)."""
    months = {"first_period": str(period.shift(-11)), "last_period": str(period)}
    totals = con.execute(sql.load("compute/waste_item_totals"), months).fetchdf()
    quarantined = con.execute(sql.load("compute/waste_quarantined_items"), months).fetchdf()
    rows = indicator_rows(totals, period, quarantined)
    count = indicator_store.replace(con, str(period), RATES, rows, period_types=("month", "ytd", "r12"))
    rises = waste_rise.rise_rows(rows, waste_rise.bases(con, str(period)))
    return count + indicator_store.replace(con, str(period), [waste_rise.CODE], rises, period_types=("ytd",))


def compute_period(con: duckdb.DuckDBPyConnection, period: Period) -> dict[str, int]:
    """The month's rates and those of the later months whose YTD or rolling 12 months include it, in one
    transaction."""
    with transaction(con):
        values = compute_indicators(con, period)
        for later in indicator_store.later_months(con, period, (*RATES, waste_rise.CODE)):
            values += compute_indicators(con, later)
    return {"indicator_values": values}
