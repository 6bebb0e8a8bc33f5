"""Waste and sewage rates per RULES.md §3, per region (a facility counts for its region and every ancestor).

Each rate is numerator items ÷ denominator items × 100 over the month, over January..month for the year to
date and over the twelve months ending with the month for the rolling 12 months (sums of quantities, never an
average of monthly rates). Coverage counts facilities: those whose rows of the rate all landed in each month of
the span against those that reported one, or had one quarantined, at any time this year (in the 12 months for the
rolling 12 months). Quarantined rows matter because they leave no trace in raw.waste_quantities: a month with a
denominator row in quarantine is left out in every region the facility counts for (docs/rules.md S5).
"""

from __future__ import annotations

from dataclasses import dataclass
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


def _facilities(frame: pd.DataFrame) -> set[str]:
    return {f for fs in frame["facilities"] for f in fs}


def _by_month(frame: pd.DataFrame) -> dict[str, set[str]]:
    """The facilities of each month's rows."""
    months: dict[str, set[str]] = {}
    for period, facilities in zip(frame["period"], frame["facilities"], strict=True):
        months.setdefault(period, set()).update(facilities)
    return months


def _sum_by_month(frame: pd.DataFrame) -> dict[str, float]:
    """Each month's total, summed as a filtered Series would be (same rows, same order: the same float)."""
    return {period: float(group.sum()) for period, group in frame["total"].groupby(frame["period"], sort=False)}


def _held_note(held: pd.DataFrame) -> str | None:
    """Which rows of the rate were quarantined, so a reader sees why a month is missing or coverage is short."""
    months: dict[tuple[str, str], list[str]] = {}
    for row in held.sort_values(["period", "item"]).itertuples():
        for facility in row.facilities:
            months.setdefault((facility, row.item), []).append(row.period)
    if not months:
        return None
    return "quarantined: " + ", ".join(f"{facility} {item} ({', '.join(sorted(set(ms)))})"
                                       for (facility, item), ms in sorted(months.items()))


def _rate_over(mine: pd.DataFrame, held: pd.DataFrame, rate: Rate, span: list[str]) -> dict:
    """The rate over the complete months of `span` (period texts) and its coverage. `mine` holds the rate's landed
    rows and `held` its quarantined rows of the months that say which facilities must report: this year for the
    month and YTD, the 12 months for r12. A quarantined row counts as reported-but-missing: its facility is expected,
    and a month with a denominator row in quarantine is incomplete, since the numerator may hold the quantities
    that row's facility collected or discharged (RULES §3; a region's numerator and denominator often come from
    different facilities, e.g. treatment plants and a transfer station)."""
    den_rows, num_rows = mine[mine["item"].isin(rate.denominator)], mine[mine["item"].isin(rate.numerator)]
    den_held = held[held["item"].isin(rate.denominator)]
    den_landed = _facilities(den_rows)
    den_known, known = den_landed | _facilities(den_held), _facilities(mine) | _facilities(held)
    # each frame split by month once (a boolean filter per month and frame was most of a month's compute time)
    den_by, mine_by, held_by = _by_month(den_rows), _by_month(mine), _by_month(held)
    den_sum, num_sum, den_held_months = _sum_by_month(den_rows), _sum_by_month(num_rows), set(den_held["period"])
    per_month = {}
    for m in span:
        den_total = den_sum.get(m, 0.0)
        complete = (bool(den_known) and m not in den_held_months and den_by.get(m, set()) >= den_known
                    and den_total > 0)
        whole = mine_by.get(m, set()) - held_by.get(m, set())
        per_month[m] = (num_sum.get(m, 0.0), den_total, complete, len(whole))
    used = [m for m in span if per_month[m][2]]
    num = sum(per_month[m][0] for m in used)
    den = sum(per_month[m][1] for m in used)
    value, note = rate_value(num, den, rate.cap_at_100) if used else (None, None)
    left_out = [m for m in span if m not in used]
    why = None
    if left_out:
        why = (f"no {' / '.join(rate.denominator)} reported (quarantined or not delivered)"
               if not den_landed else "denominator incomplete in month(s) " + ", ".join(left_out))
    note = "; ".join(filter(None, [note, why, _held_note(held[held["period"].isin(span)])])) or None
    reported = sum(per_month[m][3] for m in span)
    expected = len(known) * len(span)
    return {"value": value, "numerator": num, "denominator": den,
            "coverage_ok": value is not None and not left_out and reported == expected,
            "batch_ids": sorted({b for bs in mine.loc[mine["period"].isin(span), "batch_ids"] for b in bs}),
            "coverage_valid": reported, "coverage_expected": expected, "notes": note}


def _of_rate(frame: pd.DataFrame, rate: Rate) -> pd.DataFrame:
    return frame[frame["item"].isin(set(rate.numerator) | set(rate.denominator))
                 & (frame["kind"].isin(rate.kinds) if rate.kinds else True)]


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
    landed_by_region = dict(tuple(totals.groupby("region_code", sort=False)))
    held_by_region = dict(tuple(quarantined.groupby("region_code", sort=False)))
    for region in sorted(set(landed_by_region) | set(held_by_region)):
        grp = landed_by_region.get(region, totals.iloc[0:0])
        held_grp = held_by_region.get(region, quarantined.iloc[0:0])
        for code, rate in RATES.items():
            items, held_items = _of_rate(grp, rate), _of_rate(held_grp, rate)
            for period_type, span, scope in spans:
                mine, held = items[items["period"].isin(scope)], held_items[held_items["period"].isin(scope)]
                if mine.empty and held.empty:
                    continue
                rows.append({"indicator_code": code, "region_code": region, "period": str(period),
                             "period_type": period_type, "variant": "raw", **_rate_over(mine, held, rate, span),
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
