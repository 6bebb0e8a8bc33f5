"""Indicator 22, 一般工业固体废物综合利用率提高幅度 (RULES §3): the rise of the year-to-date rate against its base
year, in percentage points.

The base is the region's own plan baseline of the rate (baselines.csv, the latest year before the evaluated one)
where the catalogue has one; otherwise the previous year's rate as this product computed it (its December year to
date) [D] — the reading of the national text "比基准年提高" for a region without a plan baseline, and the same as
Hohhot's 年提高幅度. Both values are published at 1 decimal, so the rise is their difference at 1 decimal. The rise is
complete only when the year to date and the base are (a catalogue baseline always is).
"""

from __future__ import annotations

import json
from decimal import Decimal

import duckdb

from tasks.core import sql
from tasks.standards.rounding import round_half_even

CODE = "industrial_solid_waste_utilization_rise"
RATE = "industrial_solid_waste_utilization_rate"


def bases(con: duckdb.DuckDBPyConnection, period: str) -> dict[str, dict]:
    """{region: its base year, value, kind (baselines.csv / computed), source and completeness} for `period`."""
    return {r["region_code"]: r for r in sql.rows(con, "compute/waste_rise_bases", {"period": period})}


def rise_rows(rate_rows: list[dict], base_of: dict[str, dict]) -> list[dict]:
    """One YTD row of indicator 22 per region with a YTD rate; without a base its value is null and says why."""
    out = []
    for rate in (r for r in rate_rows if r["indicator_code"] == RATE and r["period_type"] == "ytd"):
        base = base_of.get(rate["region_code"])
        has_base = base is not None and base["base_value"] is not None
        value = None
        if has_base and rate["value"] is not None:
            value = float(round_half_even(Decimal(repr(rate["value"])) - Decimal(repr(base["base_value"])), 1))
        if not has_base:
            note = f"no base: no baseline of {RATE} in baselines.csv and no computed rate for the year before"
        else:
            rate_text = "—" if rate["value"] is None else f"{rate['value']:g}"
            note = (f"{rate_text} against base year {base['base_year']} {base['base_value']:g} ({base['base_kind']}"
                    + ("" if base["base_complete"] else ", incomplete") + ")")
        out.append({
            **{k: rate[k] for k in ("region_code", "period", "period_type", "variant", "rules_version", "batch_ids",
                                   "coverage_unit", "coverage_valid", "coverage_expected")},
            "indicator_code": CODE, "value": value,
            "coverage_ok": bool(value is not None and rate["coverage_ok"] and base["base_complete"]),
            "notes": "; ".join(filter(None, [note, rate.get("notes")])),
            "lineage": json.dumps({"base_year": base["base_year"], "base_value": base["base_value"],
                                   "base_kind": base["base_kind"], "base_source": base["base_source"]},
                                  ensure_ascii=False) if has_base else None,
        })
    return out
