"""Regions above the city as the mean of their cities (RULES §1.4; docs/rules.md rule 4b).

The autonomous region 150000 — any region with cities (level prefecture) as children — is never a virtual station
over all its stations: every official bulletin reports 全区12个盟市平均 figures, and one series over 48 stations
1,000 km apart smooths every city's peaks away (January 2019: 100 % good days against 90.5 % for the mean of the
12 cities). Its value for each indicator, period type and variant is the arithmetic mean of its cities' unrounded
values, rounded once. Coverage is in cities: how many had a value, how many of those were complete.

Used for air only: water ratios count the region's own assessment sections and waste rates sum the quantities of
its facilities, which is how their official regional figures are made.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb

from tasks.core import sql
from tasks.standards.rounding import round_half_even

COVERAGE_UNIT = "cities"


@dataclass(frozen=True)
class RegionAboveCity:
    region_code: str
    cities: tuple[str, ...]
    names: dict[str, str]


def regions_above_city(con: duckdb.DuckDBPyConnection) -> list[RegionAboveCity]:
    """Every region with cities as children, from catalogue.regions."""
    return [RegionAboveCity(code, tuple(cities), dict(zip(cities, names, strict=True)))
            for code, cities, names in con.execute(sql.load("queries/region_cities")).fetchall()]


def _one(text: set[str]) -> str:
    return " + ".join(sorted(text))


def mean_rows(city_rows: list[dict], regions: list[RegionAboveCity], digits: int = 1) -> list[dict]:
    """Rows of each region above the city from its cities' rows.

    A city row needs `exact` (its unrounded value, a Decimal, or None when it has no value) beside the stored
    columns. A city without a row, or whose value is None, counts as a city without a value: the mean is over the
    cities that have one, and the coverage says so. `coverage_ok` only when every city has a complete value.
    """
    by_key: dict[tuple[str, str, str, str, str], dict] = {}
    for row in city_rows:
        by_key[(row["indicator_code"], row["period"], row["period_type"], row["variant"], row["region_code"])] = row
    keys = sorted({k[:4] for k in by_key})
    out = []
    for region in regions:
        for indicator, period, period_type, variant in keys:
            found = {c: by_key[(indicator, period, period_type, variant, c)] for c in region.cities
                     if (indicator, period, period_type, variant, c) in by_key}
            if not found:
                continue
            valued = {c: r for c, r in found.items() if r.get("exact") is not None}
            complete = [c for c, r in valued.items() if r["coverage_ok"]]
            total = sum((Decimal(r["exact"]) for r in valued.values()), Decimal(0))
            value = float(round_half_even(total / len(valued), digits)) if valued else None
            notes = []
            if missing := [region.names[c] for c in region.cities if c not in valued]:
                notes.append("no value: " + "、".join(missing))
            if thin := [region.names[c] for c in valued if c not in complete]:
                notes.append("incomplete: " + "、".join(thin))
            sample = next(iter(found.values()))
            out.append({
                "indicator_code": indicator, "region_code": region.region_code, "period": period,
                "period_type": period_type, "variant": variant, "value": value,
                "numerator": float(round_half_even(total, 3)) if valued else None,
                "denominator": float(len(valued)), "valid_days": None,
                "calendar_days": sample.get("calendar_days"),
                "coverage_ok": bool(valued) and len(complete) == len(region.cities),
                "rules_version": _one({r["rules_version"] for r in found.values()}),
                "batch_ids": sorted({b for r in found.values() for b in r["batch_ids"] or []}),
                "coverage_unit": COVERAGE_UNIT, "coverage_valid": len(valued),
                "coverage_expected": len(region.cities), "coverage_complete": len(complete),
                "notes": "; ".join(notes) or None,
            })
    return out

