"""Air computation per RULES.md §1: daily facts for stations and regions, then the indicator values.

Concentrations come from SQL (warehouse/compute/); the AQI of each day is scored by tasks.standards.aqi
(column by column, each distinct concentration once), which selects HJ 633-2012 or -2026 by the date of the data.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import duckdb
import pandas as pd

from tasks.compute import region_means
from tasks.compute import store as indicator_store
from tasks.core import sql
from tasks.core.periods import Period
from tasks.core.warehouse import insert_frame, transaction
from tasks.standards.aqi import daily_aqi_arrays, standard_for
from tasks.standards.rounding import round_half_even
from tasks.standards.rules import rules_version

AIR_INDICATORS = ("air_good_day_ratio", "air_pm25_mean")
O3_8H_GRADE2 = 160  # µg/m³: an MDA8 above it is valid whatever its window count (HJ 663 §6.1.2)
_INPUTS = {"so2": "SO2", "no2": "NO2", "co": "CO", "pm10": "PM10", "pm25": "PM2.5",
           "o3_8h_max": "O3_8h", "o3_1h_max": "O3_1h"}
DAILY_COLUMNS = ["entity_kind", "entity_code", "obs_date", "variant", "so2", "no2", "co", "pm10", "pm25",
                 "o3_8h_max", "o3_1h_max", "n_so2", "n_no2", "n_co", "n_pm10", "n_pm25", "n_o3_8h", "n_o3_1h",
                 "aqi_standard", "aqi", "aqi_valid", "good", "primary_pollutants", "capped", "complete"]


def _score(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the day's AQI fields to each row of daily concentrations (tasks.standards.aqi.daily_aqi_arrays, by the
    standard in force on each row's date)."""
    import numpy as np

    standards = np.array([standard_for(d) for d in frame["obs_date"]], dtype=object) if len(frame) else \
        np.array([], dtype=object)
    extra = pd.DataFrame({"aqi_standard": standards, "aqi": pd.array([None] * len(frame), dtype="Int64"),
                          "aqi_valid": False, "good": pd.array([None] * len(frame), dtype="boolean"),
                          "primary_pollutants": pd.Series([None] * len(frame), dtype=object),
                          "capped": False, "complete": False}, index=frame.index)
    for standard in sorted(set(standards)):
        rows = standards == standard
        day = daily_aqi_arrays({name: frame.loc[rows, col].to_numpy(dtype="float64", na_value=np.nan)
                                for col, name in _INPUTS.items()}, standard)
        extra.loc[rows, "aqi"] = pd.array(day["aqi"], dtype="Float64").astype("Int64")
        extra.loc[rows, "aqi_valid"] = day["valid"]
        extra.loc[rows, "good"] = pd.array(day["good"], dtype="Float64").astype("boolean")
        extra.loc[rows, "primary_pollutants"] = pd.Series(day["primary"], index=frame.index[rows], dtype=object)
        extra.loc[rows, "capped"] = day["capped"]
        extra.loc[rows, "complete"] = day["complete"]
    return pd.concat([frame, extra], axis=1)


def _dust_deducted(con: duckdb.DuckDBPyConnection, regions: pd.DataFrame, period: Period) -> pd.DataFrame:
    """扣沙 variant [D]: every region's days again, with PM10/PM2.5 dropped on its listed dust days.

    Written for every region (identical to raw where no day is listed) so a year-to-date of the variant always
    spans the same months as the raw one.
    """
    dust = con.execute(sql.load("queries/dust_days_of_period"),
                       {"first": period.first_day, "last": period.last_day}).fetchall()
    dust_keys = {(code, day) for code, day in dust}
    deducted = regions.copy()
    hit = [(c, d) in dust_keys for c, d in zip(deducted["entity_code"], deducted["obs_date"], strict=True)]
    deducted.loc[hit, ["pm10", "pm25"]] = None
    deducted["variant"] = "dust_deducted"
    return deducted


def compute_daily(con: duckdb.DuckDBPyConnection, period: Period) -> int:
    """Replace marts.air_daily for the period's days; returns the number of rows written.

    Does not open a transaction: `compute_period` wraps the whole recomputation in one.
    """
    conc = con.execute(sql.load("compute/air_daily_concentrations"), {
        "first": period.first_day, "last": period.last_day, "o3_8h_limit": O3_8H_GRADE2}).fetchdf()
    conc["obs_date"] = pd.to_datetime(conc["obs_date"]).dt.date
    conc.insert(3, "variant", "raw")
    parts = [conc, _dust_deducted(con, conc[conc["entity_kind"] == "region"], period)]
    daily = _score(pd.concat(parts, ignore_index=True))[DAILY_COLUMNS] if len(conc) else None
    con.execute("DELETE FROM marts.air_daily WHERE obs_date BETWEEN ? AND ?", [period.first_day, period.last_day])
    if daily is not None:
        insert_frame(con, "marts.air_daily", daily)
    return 0 if daily is None else len(daily)


def _exact_ratio(numerator: int, denominator: int) -> Decimal | None:
    return Decimal(numerator) * 100 / Decimal(denominator) if denominator else None


def _exact_mean(total: float | None, count: int) -> Decimal | None:
    return Decimal(repr(total)) / Decimal(count) if count and total is not None else None


def _rounded(exact: Decimal | None) -> float | None:
    return None if exact is None else float(round_half_even(exact, 1))


def _ratio(numerator: int, denominator: int) -> float | None:
    return _rounded(_exact_ratio(numerator, denominator))


def _mean(total: float | None, count: int) -> float | None:
    return _rounded(_exact_mean(total, count))


def indicator_rows(inputs: pd.DataFrame, batches: dict[str, list[str]], period: Period) -> list[dict]:
    """Month, year-to-date and rolling-12-month values of air_good_day_ratio and air_pm25_mean for every region
    and variant. `inputs` hold one row per month (its period text) back to the start of the rolling 12 months; a
    region with no data in the year to date gets no month or YTD value (as when only the year was read)."""
    rows = []
    year, rolling = period.months_of_year_to_date(), period.months_of_rolling_12()
    spans = (("month", [period], year), ("ytd", year, year), ("r12", rolling, rolling))
    for (region, variant), grp in inputs.groupby(["region_code", "variant"], sort=True):
        by_month = {r.period: r for r in grp.itertuples(index=False)}
        for period_type, months, scope in spans:
            if not any(str(m) in by_month for m in scope):
                continue
            present = [by_month[str(m)] for m in months if str(m) in by_month]
            days = [m.first_day + timedelta(days=i) for m in months for i in range(m.last_day.day)]
            standards = sorted({s for r in present for s in r.standards})
            lineage = sorted({b for m in months for b in batches.get(str(m), [])})
            for code, num_col, den_col in (("air_good_day_ratio", "good_days", "aqi_valid_days"),
                                           ("air_pm25_mean", "pm25_sum", "pm25_days")):
                per_month = {m: (int(getattr(by_month[str(m)], den_col)) if str(m) in by_month else 0)
                             for m in months}
                valid = sum(per_month.values())
                complete = all(per_month[m] >= m.min_valid_days for m in months)
                if len(months) == 12:  # a full year (December's YTD, any rolling 12 months) also needs 324 days
                    complete = complete and valid >= 324
                numerator = sum(float(getattr(r, num_col) or 0) for r in present)
                exact = (_exact_ratio(int(numerator), valid) if code == "air_good_day_ratio"
                         else _exact_mean(numerator if valid else None, valid))
                rows.append({
                    "indicator_code": code, "region_code": region, "period": str(period),
                    "period_type": period_type, "variant": variant, "value": _rounded(exact), "exact": exact,
                    "numerator": numerator if code == "air_good_day_ratio" else (
                        float(round_half_even(Decimal(repr(numerator)), 3)) if valid else None),
                    "denominator": float(valid), "valid_days": valid, "calendar_days": len(days),
                    "coverage_ok": bool(complete and valid > 0),
                    "rules_version": rules_version(standards, days), "batch_ids": lineage,
                    "coverage_unit": "days", "coverage_valid": valid, "coverage_expected": len(days),
                })
    return rows


def compute_indicators(con: duckdb.DuckDBPyConnection, period: Period) -> int:
    """Replace the indicator values of the period (month, YTD, rolling 12 months): cities and 旗县区 from their
    stations' days in marts.air_daily, regions above the city as the mean of their cities
    (tasks/compute/region_means.py)."""
    first = period.shift(-11)  # the rolling 12 months reach back past January
    inputs = con.execute(sql.load("compute/air_indicator_inputs"),
                         {"first": first.first_day, "last": period.last_day}).fetchdf()
    batches = dict(con.execute(sql.load("compute/air_batches_by_period"), {
        "first_period": str(first), "last_period": str(period)}).fetchall())
    rows = indicator_rows(inputs, batches, period)
    rows += region_means.mean_rows(rows, region_means.regions_above_city(con))
    return indicator_store.replace(con, str(period), AIR_INDICATORS, rows, period_types=("month", "ytd", "r12"))


def compute_period(con: duckdb.DuckDBPyConnection, period: Period) -> dict[str, int]:
    """Daily facts of the month, its indicator values and those of the later months whose YTD or rolling 12
    months include it, in one transaction."""
    with transaction(con):
        days = compute_daily(con, period)
        values = compute_indicators(con, period)
        for later in indicator_store.later_months(con, period, AIR_INDICATORS):
            values += compute_indicators(con, later)
    return {"daily_rows": days, "indicator_values": values}


