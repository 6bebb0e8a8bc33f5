"""Waste and sewage rates per RULES.md §3, per region (a facility counts for its region and every ancestor).

Each rate is numerator items ÷ denominator items × 100 over the month, and over January..month for the year to
date (sums of quantities, never an average of monthly rates). Coverage counts facilities: those that reported
an item of the rate this month against those that did at any time this year.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pandas as pd

from tasks import indicator_store, sql
from tasks.periods import Period
from tasks.rules import ECOFLOW_RULES
from tasks.standards.rounding import round_half_even
from tasks.warehouse import transaction


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


def indicator_rows(totals: pd.DataFrame, period: Period) -> list[dict]:
    """Month and YTD rates per region. A month counts only when its denominator is complete — every facility
    that reported a denominator item this year reported it this month — since a ratio of a complete numerator to
    a partial denominator would overstate the rate (a facility with nothing to report reports 0, not nothing)."""
    rows = []
    months = list(range(1, period.month + 1))
    for region, grp in totals.groupby("region_code", sort=True):
        for code, rate in RATES.items():
            mine = grp[grp["item"].isin(set(rate.numerator) | set(rate.denominator))
                       & (grp["kind"].isin(rate.kinds) if rate.kinds else True)]
            if mine.empty:
                continue
            den_rows, num_rows = mine[mine["item"].isin(rate.denominator)], mine[mine["item"].isin(rate.numerator)]
            den_known, known = _facilities(den_rows), _facilities(mine)
            per_month = {}
            for m in months:
                den_m = den_rows[den_rows["month"] == m]
                complete = bool(den_known) and _facilities(den_m) >= den_known and float(den_m["total"].sum()) > 0
                per_month[m] = (float(num_rows.loc[num_rows["month"] == m, "total"].sum()),
                                float(den_m["total"].sum()), complete, len(_facilities(mine[mine["month"] == m])))
            for period_type, span in (("month", [period.month]), ("ytd", months)):
                used = [m for m in span if per_month[m][2]]
                num = sum(per_month[m][0] for m in used)
                den = sum(per_month[m][1] for m in used)
                value, note = rate_value(num, den, rate.cap_at_100) if used else (None, None)
                left_out = [m for m in span if m not in used]
                if left_out:
                    why = (f"no {' / '.join(rate.denominator)} reported (quarantined or not delivered)"
                           if not den_known else "denominator incomplete in month(s) "
                           + ", ".join(f"{period.year}-{m:02d}" for m in left_out))
                    note = "; ".join(filter(None, [note, why]))
                reported = sum(per_month[m][3] for m in span)
                expected = len(known) * len(span)
                part = mine[mine["month"].isin(span)]
                rows.append({
                    "indicator_code": code, "region_code": region, "period": str(period),
                    "period_type": period_type, "variant": "raw", "value": value, "numerator": num,
                    "denominator": den, "coverage_ok": value is not None and reported == expected,
                    "rules_version": RULES_VERSION, "batch_ids": sorted({b for bs in part["batch_ids"] for b in bs}),
                    "coverage_unit": "facilities", "coverage_valid": reported, "coverage_expected": expected,
                    "notes": note,
                })
    return rows


def compute_indicators(con: duckdb.DuckDBPyConnection, period: Period) -> int:
    totals = con.execute(sql.load("compute/waste_item_totals"),
                         {"year": period.year, "month": period.month}).fetchdf()
    return indicator_store.replace(con, str(period), RATES, indicator_rows(totals, period))


def compute_period(con: duckdb.DuckDBPyConnection, period: Period) -> dict[str, int]:
    """The month's rates and the YTD of later months, in one transaction."""
    with transaction(con):
        values = compute_indicators(con, period)
        for later in indicator_store.later_months(con, period, tuple(RATES)):
            values += compute_indicators(con, later)
    return {"indicator_values": values}
