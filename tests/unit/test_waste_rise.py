"""Indicator 22 (RULES §3): the rise of 一般工业固体废物综合利用率 against its base year, in percentage points."""

from __future__ import annotations

from tasks.compute.waste_rise import CODE, RATE, rise_rows


def rate(region: str, value: float | None, ok: bool = True, period_type: str = "ytd") -> dict:
    return {"indicator_code": RATE, "region_code": region, "period": "2025-03", "period_type": period_type,
            "variant": "raw", "value": value, "coverage_ok": ok, "rules_version": "R", "batch_ids": ["b"],
            "coverage_unit": "facilities", "coverage_valid": 6, "coverage_expected": 6, "notes": None}


def base(year: int, value: float | None, kind: str = "baselines.csv", complete: bool = True) -> dict:
    return {"base_year": year, "base_value": value, "base_kind": kind, "base_source": "plan", "base_complete": complete}


def test_the_rise_is_the_ytd_rate_minus_the_base_year_value_at_1_decimal() -> None:
    [row] = rise_rows([rate("150121", 69.1), rate("150121", 80.0, period_type="month")], {"150121": base(2021, 67)})
    assert (row["indicator_code"], row["period_type"], row["value"], row["coverage_ok"]) == (CODE, "ytd", 2.1, True)
    assert row["notes"] == "69.1 against base year 2021 67 (baselines.csv)"


def test_a_fall_is_a_negative_rise_exactly() -> None:
    [row] = rise_rows([rate("150100", 58.3)], {"150100": base(2024, 60.1, "computed")})
    assert row["value"] == -1.8          # not -1.7999999999999972


def test_an_incomplete_computed_base_makes_the_rise_incomplete() -> None:
    [row] = rise_rows([rate("150100", 62.0)], {"150100": base(2024, 60.0, "computed", complete=False)})
    assert (row["value"], row["coverage_ok"]) == (2.0, False)
    assert row["notes"] == "62 against base year 2024 60 (computed, incomplete)"


def test_no_base_gives_a_null_value_that_says_why() -> None:
    [row] = rise_rows([rate("150100", 62.0)], {})
    assert (row["value"], row["coverage_ok"], row["lineage"]) == (None, False, None)
    assert row["notes"].startswith("no base: no baseline of industrial_solid_waste_utilization_rate")


def test_an_incomplete_ytd_rate_makes_the_rise_incomplete() -> None:
    [row] = rise_rows([rate("150121", 70.0, ok=False)], {"150121": base(2021, 67)})
    assert (row["value"], row["coverage_ok"]) == (3.0, False)
