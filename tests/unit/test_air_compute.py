"""Daily air facts and indicator values (RULES.md §1 rules 4–6, 9–13) on hand-made hourly rows.

Each test builds a real warehouse in tmp_path (migrations + the catalogue from warehouse/catalogue/), inserts
raw hourly rows for a few stations directly into raw.cnemc_air_hourly, runs the production computation and
reads marts.air_daily / marts.indicator_values. Expected values are computed by hand in the comments.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import duckdb
import pandas as pd
import pytest

from tasks.compute.air import compute_daily, compute_indicators, indicator_rows
from tasks.core import settings as settings_mod
from tasks.core.periods import Period
from tasks.flow.warehouse import writer

JAN = Period.parse("2019-01")
HOHHOT = "150100"
HOHHOT_STATIONS = [f"{n}A" for n in range(1090, 1098)]  # the 8 evaluation stations of 呼和浩特
TIANJIN = "120000"
TIANJIN_CONTROL = "1027A"  # 团泊洼(对照点)
# A clean day (HJ 633-2012 IAQI): SO2 10, NO2 38, CO 20, PM10 55, PM2.5 57 (56.25 rounded up), O3_8h 25,
# O3_1h 16 -> AQI 57, good.
CLEAN = {"SO2": 10.0, "NO2": 30.0, "CO": 0.8, "PM10": 60.0, "PM2.5": 40.0, "O3": 50.0}
COLUMN = {"SO2": "so2", "NO2": "no2", "CO": "co", "PM10": "pm10", "PM2.5": "pm25"}

Row = tuple[str, date, int, str, float]


@pytest.fixture
def con(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[duckdb.DuckDBPyConnection]:
    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path / "home"))
    with writer(settings_mod.load()) as connection:
        yield connection


def hours(station: str, day: date, kind: str, values: dict[int, float] | Iterable[int], value: float = 0.0,
          ) -> list[Row]:
    """Rows of one station, day and type: a {hour: value} mapping, or the given hours all at `value`."""
    pairs = values.items() if isinstance(values, dict) else ((h, value) for h in values)
    return [(station, day, h, kind, float(v)) for h, v in pairs]


def full_day(station: str, day: date, **overrides: float | None) -> list[Row]:
    """24 hours of every pollutant at the CLEAN values; an override of None leaves that pollutant out."""
    values = {**CLEAN, **{k.replace("PM25", "PM2.5"): v for k, v in overrides.items()}}
    return [r for kind, v in values.items() if v is not None for r in hours(station, day, kind, range(24), v)]


def insert(con: duckdb.DuckDBPyConnection, rows: list[Row]) -> None:
    frame = pd.DataFrame(rows, columns=["station_code", "obs_date", "hour", "type", "value"])
    frame["period"] = [f"{d:%Y-%m}" for d in frame["obs_date"]]
    frame["file_name"] = [f"china_sites_{d:%Y%m%d}.csv" for d in frame["obs_date"]]
    frame["batch_id"] = "air:" + frame["file_name"] + ":test"
    frame["source_line"] = range(2, len(frame) + 2)
    con.register("rows_df", frame)
    con.execute("INSERT INTO raw.cnemc_air_hourly SELECT batch_id, period, file_name, source_line, obs_date, "
                "hour, type, station_code, value FROM rows_df")
    con.unregister("rows_df")


def daily(con: duckdb.DuckDBPyConnection, kind: str, code: str, day: date) -> dict | None:
    cur = con.execute("SELECT * FROM marts.air_daily WHERE entity_kind = ? AND entity_code = ? AND obs_date = ? "
                      "AND variant = 'raw'", [kind, code, day])
    rows = cur.fetchall()
    return dict(zip([d[0] for d in cur.description], rows[0], strict=True)) if rows else None


def value(con: duckdb.DuckDBPyConnection, kind: str, code: str, day: date, column: str) -> float | None:
    """One daily value; a missing row counts as a missing value."""
    row = daily(con, kind, code, day)
    return None if row is None else row[column]


def run(con: duckdb.DuckDBPyConnection, rows: list[Row], period: Period = JAN) -> None:
    insert(con, rows)
    compute_daily(con, period)


# --- rule 5: daily means -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["SO2", "NO2", "CO", "PM10", "PM2.5"])
def test_daily_mean_valid_with_20_hours_missing_with_19(con, kind: str) -> None:
    day = date(2019, 1, 10)
    twenty = {h: h + 1 for h in range(20)}  # 1..20, mean 10.5
    nineteen = {h: h + 1 for h in range(19)}
    run(con, hours("1090A", day, kind, twenty) + hours("1091A", day, kind, nineteen))
    col = COLUMN[kind]
    assert daily(con, "station", "1090A", day)[f"n_{col}"] == 20
    assert value(con, "station", "1090A", day, col) == pytest.approx(10.5)
    assert daily(con, "station", "1091A", day)[f"n_{col}"] == 19
    assert value(con, "station", "1091A", day, col) is None


# --- rule 6: O3 --------------------------------------------------------------------------------------------------


def test_mda8_valid_with_14_windows_and_is_max_of_valid_windows(con) -> None:
    # O3 at hours 0..18 = the hour number. Window ending at h counts hours h-7..h: 8 values up to h=18, then 7
    # (h=19), 6 (h=20), 5 (h=21): valid windows 7..20 = 14. Their max is window 20 = mean(13..18) = 15.5, an
    # average of the 6 values present (not /8). Window 21 = mean(14..18) = 16 is higher but has only 5 values.
    day = date(2019, 1, 10)
    run(con, hours("1090A", day, "O3", {h: h for h in range(19)}))
    row = daily(con, "station", "1090A", day)
    assert row["n_o3_8h"] == 14
    assert row["o3_8h_max"] == pytest.approx(15.5)


def test_mda8_missing_with_13_windows(con) -> None:
    # O3 at hours 0..17 = the hour: valid windows 7..19 = 13; max (window 19 = mean(12..17) = 14.5) <= 160.
    day = date(2019, 1, 10)
    run(con, hours("1090A", day, "O3", {h: h for h in range(18)}))
    row = daily(con, "station", "1090A", day)
    assert row["n_o3_8h"] == 13
    assert row["o3_8h_max"] is None


def test_mda8_valid_with_13_windows_when_max_exceeds_160(con) -> None:
    # O3 at hours 0..17 = 100 + 10h: 13 valid windows; max = window 19 = mean(220..270) = 245 > 160.
    day = date(2019, 1, 10)
    run(con, hours("1090A", day, "O3", {h: 100 + 10 * h for h in range(18)}))
    row = daily(con, "station", "1090A", day)
    assert row["n_o3_8h"] == 13
    assert row["o3_8h_max"] == pytest.approx(245.0)


def test_mda8_exactly_160_with_13_windows_is_missing(con) -> None:
    # "exceeds" 160: a maximum of exactly 160 does not rescue 13 windows.
    day = date(2019, 1, 10)
    run(con, hours("1090A", day, "O3", range(18), 160.0))
    row = daily(con, "station", "1090A", day)
    assert row["n_o3_8h"] == 13
    assert row["o3_8h_max"] is None


def test_mda8_uses_only_windows_ending_at_hours_7_to_23(con) -> None:
    # Previous evening 500 (hours 17..23 of the 9th), the 10th all day at 50. Windows ending at 0..6 of the 10th
    # would mix in the 500s (e.g. window 3 = mean(4x500, 4x50) = 275); they are not part of the day's MDA8.
    day, eve = date(2019, 1, 10), date(2019, 1, 9)
    run(con, hours("1090A", eve, "O3", range(17, 24), 500.0) + hours("1090A", day, "O3", range(24), 50.0))
    row = daily(con, "station", "1090A", day)
    assert row["n_o3_8h"] == 17
    assert row["o3_8h_max"] == pytest.approx(50.0)


def test_o3_1h_max_valid_with_20_hours_missing_with_19(con) -> None:
    day = date(2019, 1, 10)
    run(con, hours("1090A", day, "O3", {h: h for h in range(20)})
        + hours("1091A", day, "O3", {h: h for h in range(19)}))
    assert value(con, "station", "1090A", day, "o3_1h_max") == pytest.approx(19.0)
    assert value(con, "station", "1091A", day, "o3_1h_max") is None


# --- rule 4: the city series ---------------------------------------------------------------------------------


def test_city_value_is_mean_of_station_values_per_hour_then_daily_mean(con) -> None:
    # Hours 0..11: 4 stations at 10, 20, 30, 40 (hourly mean 25); hours 12..23: a fifth at 100 (mean 40).
    # Daily mean of the hourly city values = (12*25 + 12*40) / 24 = 32.5 (a pooled mean would be 33.33).
    day = date(2019, 1, 10)
    rows = [r for i, s in enumerate(HOHHOT_STATIONS[:4]) for r in hours(s, day, "PM2.5", range(24), 10.0 * (i + 1))]
    rows += hours(HOHHOT_STATIONS[4], day, "PM2.5", range(12, 24), 100.0)
    run(con, rows)
    row = daily(con, "region", HOHHOT, day)
    assert row["n_pm25"] == 24
    assert row["pm25"] == pytest.approx(32.5)


def test_city_hour_needs_half_of_the_8_evaluation_stations(con) -> None:
    # Hours 0..19: 4 of 8 stations report (valid hours); hours 20..23: only 3 (invalid hours, left out).
    # The city has 20 valid hours -> valid mean of those hours only: station i at 10*(i+1) + h -> mean 25 + 9.5.
    day = date(2019, 1, 10)
    rows = []
    for i, station in enumerate(HOHHOT_STATIONS[:4]):
        reported = range(24) if i < 3 else range(20)
        rows += hours(station, day, "PM2.5", {h: 10 * (i + 1) + h for h in reported})
    run(con, rows)
    row = daily(con, "region", HOHHOT, day)
    assert row["n_pm25"] == 20
    assert row["pm25"] == pytest.approx(34.5)


def test_city_daily_mean_missing_when_hours_have_only_3_stations(con) -> None:
    # SO2 from 4 stations keeps the city's row; PM2.5 from 3 stations all day gives no valid city hour.
    day = date(2019, 1, 11)
    rows = [r for s in HOHHOT_STATIONS[:4] for r in hours(s, day, "SO2", range(24), 10.0)]
    rows += [r for s in HOHHOT_STATIONS[:3] for r in hours(s, day, "PM2.5", range(24), 40.0)]
    run(con, rows)
    row = daily(con, "region", HOHHOT, day)
    assert row["so2"] == pytest.approx(10.0)
    assert row["n_pm25"] == 0
    assert row["pm25"] is None


def _tianjin_evaluation_stations(con) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT station_code FROM staging.int_region_stations WHERE region_code = ? AND NOT is_control "
        "AND station_code NOT IN (SELECT station_code FROM catalogue.stations WHERE name_zh LIKE '%停运%') "
        "ORDER BY station_code", [TIANJIN]).fetchall()]


def _required(con, region: str) -> int:
    n = con.execute("SELECT count(*) FROM staging.int_region_stations WHERE region_code = ? AND NOT is_control "
                    "AND effective_from <= DATE '2019-01-10' AND (valid_to IS NULL OR valid_to >= DATE '2019-01-10')",
                    [region]).fetchall()[0][0]
    return math.ceil(n / 2)


def test_control_station_is_flagged_and_excluded_from_the_region(con) -> None:
    flags = con.execute("SELECT DISTINCT is_control FROM staging.int_region_stations WHERE station_code = ?",
                        [TIANJIN_CONTROL]).fetchall()
    assert flags == [(True,)]
    normal = _tianjin_evaluation_stations(con)
    need = _required(con, TIANJIN)
    assert len(normal) >= need
    enough, short = date(2019, 1, 10), date(2019, 1, 11)
    rows = [r for s in normal[:need] for r in hours(s, enough, "PM2.5", range(24), 40.0)]
    rows += [r for s in normal[:need - 1] for r in hours(s, short, "PM2.5", range(24), 40.0)]
    rows += hours(TIANJIN_CONTROL, enough, "PM2.5", range(24), 400.0)
    rows += hours(TIANJIN_CONTROL, short, "PM2.5", range(24), 400.0)
    run(con, rows)
    # Its value is not averaged in, and it does not count towards the half of the stations.
    assert value(con, "station", TIANJIN_CONTROL, enough, "pm25") == pytest.approx(400.0)
    assert value(con, "region", TIANJIN, enough, "pm25") == pytest.approx(40.0)
    assert value(con, "region", TIANJIN, short, "pm25") is None


def test_stopped_stations_are_not_in_force_for_the_half_rule(con) -> None:
    # RULES.md §1.4: half of the evaluation stations *in force on that date*. Six 天津 stations of the list are
    # named 停运YYMMDD (stopped 2015-2017: 1013A 1014A 1016A 1020A 1022A 1025A), so on 2019-01-10 天津 has
    # 20 - 6 = 14 evaluation stations in force and an hour with 7 reporting stations is valid.
    day = date(2019, 1, 10)
    normal = _tianjin_evaluation_stations(con)
    assert len(normal) == 14
    run(con, [r for s in normal[:7] for r in hours(s, day, "PM2.5", range(24), 40.0)])
    assert value(con, "region", TIANJIN, day, "pm25") == pytest.approx(40.0)


# --- rule 9: valid AQI day -------------------------------------------------------------------------------------


def test_complete_day_has_aqi_and_is_good(con) -> None:
    day = date(2019, 1, 12)
    run(con, full_day("1090A", day))
    row = daily(con, "station", "1090A", day)
    assert (row["aqi_standard"], row["aqi"], row["aqi_valid"], row["good"]) == ("HJ633-2012", 57, True, True)
    assert row["complete"] is True


def test_day_missing_a_pollutant_with_aqi_at_most_100_is_not_valid(con) -> None:
    day = date(2019, 1, 12)
    run(con, full_day("1090A", day, CO=None))
    row = daily(con, "station", "1090A", day)
    assert row["co"] is None
    assert (row["aqi"], row["aqi_valid"], row["good"], row["complete"]) == (None, False, None, False)


def test_day_missing_a_pollutant_with_aqi_above_100_is_valid_and_not_good(con) -> None:
    # PM2.5 200 (HJ 633-2012): 200 + (200-150)/(250-150)*100 = 250.
    day = date(2019, 1, 13)
    run(con, full_day("1090A", day, CO=None, PM25=200.0))
    row = daily(con, "station", "1090A", day)
    assert (row["aqi"], row["aqi_valid"], row["good"], row["complete"]) == (250, True, False, False)


def test_month_indicators_from_the_warehouse(con) -> None:
    # Hohhot from 4 of its 8 stations: Jan 1-2 clean (good), Jan 3 PM2.5 200 (AQI 250, valid, not good),
    # Jan 4 without CO (AQI <= 100 -> not a valid day). 优良天数比例 = 2 / 3 -> 66.7; PM2.5 has 4 valid days
    # (40, 40, 200, 40) -> 80.0. 3 and 4 valid days of 31: coverage not ok.
    rows = []
    for s in HOHHOT_STATIONS[:4]:
        rows += full_day(s, date(2019, 1, 1)) + full_day(s, date(2019, 1, 2))
        rows += full_day(s, date(2019, 1, 3), PM25=200.0) + full_day(s, date(2019, 1, 4), CO=None)
    insert(con, rows)
    compute_daily(con, JAN)
    compute_indicators(con, JAN)
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT indicator_code, value, numerator, denominator, valid_days, calendar_days, coverage_ok "
        "FROM marts.indicator_values WHERE region_code = ? AND period = '2019-01' AND period_type = 'month' "
        "AND variant = 'raw'", [HOHHOT]).fetchall()}
    assert got["air_good_day_ratio"] == (66.7, 2.0, 3.0, 3, 31, False)
    assert got["air_pm25_mean"][0] == 80.0
    assert got["air_pm25_mean"][3:] == (4, 31, False)


# --- rules 10-13: indicator values -------------------------------------------------------------------------------


def inputs(months: dict[int | str, tuple[int, int, float, int]], region: str = HOHHOT) -> pd.DataFrame:
    """{month: (good_days, aqi_valid_days, pm25_sum, pm25_days)} as compute/air_indicator_inputs returns it; a month
    is its period text, or its number in 2019."""
    return pd.DataFrame([
        {"region_code": region, "variant": "raw", "period": m if isinstance(m, str) else f"2019-{m:02d}",
         "good_days": g, "aqi_valid_days": v, "pm25_sum": s, "pm25_days": d, "standards": ["HJ633-2012"]}
        for m, (g, v, s, d) in months.items()])


def pick(rows: list[dict], code: str, period_type: str = "month") -> dict:
    [row] = [r for r in rows if r["indicator_code"] == code and r["period_type"] == period_type]
    return row


def test_good_day_ratio_two_of_three_is_66_7() -> None:
    row = pick(indicator_rows(inputs({1: (2, 3, 120.0, 3)}), {}, JAN), "air_good_day_ratio")
    assert (row["value"], row["numerator"], row["denominator"], row["valid_days"]) == (66.7, 2, 3.0, 3)


def test_good_day_ratio_rounds_half_even() -> None:
    # 1 / 16 * 100 = 6.25 exactly -> 6.2 (half-up would give 6.3).
    row = pick(indicator_rows(inputs({1: (1, 16, 160.0, 16)}), {}, JAN), "air_good_day_ratio")
    assert row["value"] == 6.2


def test_pm25_mean_rounds_half_even_on_the_decimal_value() -> None:
    # 72.9 / 2 = 36.45 -> 36.4 (float round() gives 36.5: 36.45 is stored as 36.4500000000000028...).
    row = pick(indicator_rows(inputs({1: (2, 2, 72.9, 2)}), {}, JAN), "air_pm25_mean")
    assert row["value"] == 36.4


@pytest.mark.parametrize(("days", "ok"), [(26, False), (27, True)])
def test_january_coverage_needs_27_days(days: int, ok: bool) -> None:
    rows = indicator_rows(inputs({1: (days, days, 40.0 * days, days)}), {}, JAN)
    assert pick(rows, "air_good_day_ratio")["coverage_ok"] is ok
    assert pick(rows, "air_pm25_mean")["coverage_ok"] is ok


@pytest.mark.parametrize(("days", "ok"), [(24, False), (25, True)])
def test_february_coverage_needs_25_days(days: int, ok: bool) -> None:
    rows = indicator_rows(inputs({1: (31, 31, 1240.0, 31), 2: (days, days, 40.0 * days, days)}), {},
                          Period.parse("2019-02"))
    assert pick(rows, "air_good_day_ratio")["coverage_ok"] is ok
    assert pick(rows, "air_good_day_ratio")["calendar_days"] == 28


def test_each_indicator_counts_its_own_valid_days() -> None:
    rows = indicator_rows(inputs({1: (20, 27, 26 * 40.0, 26)}), {}, JAN)
    assert pick(rows, "air_good_day_ratio")["coverage_ok"] is True
    assert pick(rows, "air_pm25_mean")["coverage_ok"] is False


def test_ytd_complete_only_if_every_month_is() -> None:
    feb = Period.parse("2019-02")
    rows = indicator_rows(inputs({1: (20, 26, 1040.0, 26), 2: (20, 28, 1120.0, 28)}), {}, feb)
    assert pick(rows, "air_good_day_ratio", "month")["coverage_ok"] is True
    assert pick(rows, "air_good_day_ratio", "ytd")["coverage_ok"] is False
    rows = indicator_rows(inputs({1: (20, 27, 1080.0, 27), 2: (20, 25, 1000.0, 25)}), {}, feb)
    assert pick(rows, "air_good_day_ratio", "ytd")["coverage_ok"] is True


def test_ytd_missing_month_is_incomplete() -> None:
    rows = indicator_rows(inputs({2: (20, 28, 1120.0, 28)}), {}, Period.parse("2019-02"))
    assert pick(rows, "air_good_day_ratio", "ytd")["coverage_ok"] is False
    assert pick(rows, "air_good_day_ratio", "ytd")["calendar_days"] == 31 + 28


def test_ytd_is_recomputed_from_day_counts() -> None:
    # Jan 20/27 (74.1), Feb 10/25 (40.0); YTD = 30/52 = 57.69 -> 57.7 (mean of the months would give 57.0).
    rows = indicator_rows(inputs({1: (20, 27, 1080.0, 27), 2: (10, 25, 1000.0, 25)}), {}, Period.parse("2019-02"))
    ytd = pick(rows, "air_good_day_ratio", "ytd")
    assert (ytd["value"], ytd["numerator"], ytd["valid_days"]) == (57.7, 30, 52)


def test_full_year_needs_324_days() -> None:
    # Every month at its minimum (11 x 27 + 25 = 322 days): each month complete, the year not.
    minimum = {m: (20, 25 if m == 2 else 27, 1000.0, 25 if m == 2 else 27) for m in range(1, 13)}
    rows = indicator_rows(inputs(minimum), {}, Period.parse("2019-12"))
    assert pick(rows, "air_good_day_ratio", "month")["coverage_ok"] is True
    assert pick(rows, "air_good_day_ratio", "ytd")["coverage_ok"] is False
    minimum[3] = (20, 29, 1000.0, 29)  # 324 days
    rows = indicator_rows(inputs(minimum), {}, Period.parse("2019-12"))
    assert pick(rows, "air_good_day_ratio", "ytd")["coverage_ok"] is True


# --- RULES.md §4: the rolling 12 months ------------------------------------------------------------------------

JAN_2020 = Period.parse("2020-01")


def rolling_inputs(**overrides: tuple[int, int, float, int]) -> dict[str, tuple[int, int, float, int]]:
    """2019-01 .. 2020-01, each month with 30 valid days (29 in February), `good` = the month number, PM2.5 sum =
    40 per valid day; keyword `m2019_05=(...)` replaces a month."""
    months = {}
    for p in [Period(2019, m) for m in range(1, 13)] + [JAN_2020]:
        valid = 29 if p.month == 2 else 30
        months[str(p)] = (p.month, valid, 40.0 * valid, valid)
    for key, value in overrides.items():
        months[key[1:].replace("_", "-")] = value
    return months


def test_rolling_12_months_cross_the_year_and_sum_daily_counts() -> None:
    # 2020-01's window is 2019-02 .. 2020-01: 2019-01 (given 500 good days to show it is left out) is not in it.
    months = rolling_inputs(m2019_01=(500, 500, 0.0, 500), m2019_07=(7, 30, 1234.5, 29))
    batches = {p: [f"air:{p}"] for p in months}
    rows = indicator_rows(inputs(months), batches, JAN_2020)
    window = [f"2019-{m:02d}" for m in range(2, 13)] + ["2020-01"]
    good = sum(months[p][0] for p in window)           # 2+3+...+12 + 1 = 78
    valid = sum(months[p][1] for p in window)          # 11 x 30 + 29 = 359
    pm25_sum, pm25_days = sum(months[p][2] for p in window), sum(months[p][3] for p in window)
    ratio = pick(rows, "air_good_day_ratio", "r12")
    assert (good, valid) == (78, 359)
    assert ratio["value"] == float((Decimal(good) * 100 / valid).quantize(Decimal("0.1"), ROUND_HALF_EVEN)) == 21.7
    assert (ratio["numerator"], ratio["denominator"], ratio["valid_days"]) == (78, 359.0, 359)
    assert ratio["calendar_days"] == ratio["coverage_expected"] == 365   # 2019-02-01 .. 2020-01-31
    assert ratio["coverage_valid"] == 359 and ratio["coverage_ok"] is True
    assert ratio["batch_ids"] == [f"air:{p}" for p in window]
    assert ratio["period"] == "2020-01"
    pm25 = pick(rows, "air_pm25_mean", "r12")
    assert pm25["value"] == float((Decimal(repr(pm25_sum)) / pm25_days).quantize(Decimal("0.1"), ROUND_HALF_EVEN))
    assert pm25["valid_days"] == pm25_days == 358
    # the year to date of January is January alone
    assert pick(rows, "air_good_day_ratio", "ytd")["valid_days"] == 30


def test_rolling_12_months_are_complete_only_if_every_month_is_and_324_days() -> None:
    rows = indicator_rows(inputs(rolling_inputs(m2019_06=(6, 26, 1040.0, 26))), {}, JAN_2020)
    assert pick(rows, "air_good_day_ratio", "r12")["coverage_ok"] is False      # June 2019 has 26 < 27 days
    assert pick(rows, "air_good_day_ratio", "month")["coverage_ok"] is True
    months = rolling_inputs()
    del months["2019-04"]
    rows = indicator_rows(inputs(months), {}, JAN_2020)
    assert pick(rows, "air_good_day_ratio", "r12")["coverage_ok"] is False      # a month without data
    assert pick(rows, "air_good_day_ratio", "r12")["calendar_days"] == 365
    # every month at its minimum (11 x 27 + 25 = 322 days): each month complete, the 12 months not
    minimum = {str(p): (1, 25 if p.month == 2 else 27, 1000.0, 25 if p.month == 2 else 27)
               for p in JAN_2020.months_of_rolling_12()}
    assert pick(indicator_rows(inputs(minimum), {}, JAN_2020), "air_good_day_ratio", "r12")["coverage_ok"] is False
    minimum["2019-05"] = (1, 29, 1000.0, 29)  # 324 days
    assert pick(indicator_rows(inputs(minimum), {}, JAN_2020), "air_good_day_ratio", "r12")["coverage_ok"] is True


def test_a_region_without_data_this_year_gets_only_its_rolling_12_months() -> None:
    months = {p: v for p, v in rolling_inputs().items() if p.startswith("2019")}
    rows = indicator_rows(inputs(months), {}, JAN_2020)
    assert {r["period_type"] for r in rows} == {"r12"}
    ratio = pick(rows, "air_good_day_ratio", "r12")
    assert ratio["valid_days"] == 11 * 30 - 1 and ratio["coverage_ok"] is False   # 2020-01 missing


def test_rolling_12_months_of_a_month_are_stored_from_the_warehouse(con) -> None:
    # One clean day in December 2019 and one in January 2020 at 4 of Hohhot's stations: 2020-01's rolling 12
    # months hold both days, its year to date only the January one.
    rows = []
    for s in HOHHOT_STATIONS[:4]:
        rows += full_day(s, date(2019, 12, 31)) + full_day(s, date(2020, 1, 1))
    insert(con, rows)
    compute_daily(con, Period.parse("2019-12"))
    compute_daily(con, JAN_2020)
    compute_indicators(con, JAN_2020)
    got = dict(con.execute(
        "SELECT period_type, (valid_days, calendar_days, coverage_ok, len(batch_ids)) FROM marts.indicator_values "
        "WHERE region_code = ? AND period = '2020-01' AND indicator_code = 'air_good_day_ratio' AND variant = 'raw'",
        [HOHHOT]).fetchall())
    assert got == {"month": (1, 31, False, 1), "ytd": (1, 31, False, 1), "r12": (2, 365, False, 2)}


def test_dust_deducted_variant_exists_for_every_region_even_without_dust_days(tmp_path, monkeypatch) -> None:
    """A YTD of the 扣沙 variant must span the same months as the raw one, so every region gets both."""
    from tasks.compute import air as air_compute
    from tasks.core import settings as settings_module
    from tasks.flow.warehouse import writer as connect

    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path / "dust"))
    with connect(settings_module.load()) as con:
        for station in ("1090A", "1091A", "1094A", "1095A"):  # 4 of Hohhot's 8 stations: the city hour is valid
            for hour in range(24):
                con.execute("INSERT INTO raw.cnemc_air_hourly VALUES ('b', '2019-01', 'f', 1, DATE '2019-01-05', ?, "
                            "'PM2.5', ?, 30)", [hour, station])
        air_compute.compute_daily(con, Period.parse("2019-01"))
        variants = con.execute("SELECT variant, count(*) FROM marts.air_daily WHERE entity_kind = 'region' "
                               "GROUP BY 1 ORDER BY 1").fetchall()
    assert variants == [("dust_deducted", 1), ("raw", 1)]  # 150100 only (150000 is the mean of its cities)


def test_dust_days_drop_pm_from_the_dust_deducted_variant_only(tmp_path, monkeypatch) -> None:
    """RULES.md §1.15: on a listed dust day the 扣沙 variant leaves PM10/PM2.5 out; the raw variant keeps them."""
    from tasks.compute import air as air_compute
    from tasks.core import settings as settings_module
    from tasks.flow.warehouse import writer as connect

    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path / "dust2"))
    with connect(settings_module.load()) as con:
        for station in ("1090A", "1091A", "1094A", "1095A"):
            for day in (5, 6):
                for hour in range(24):
                    con.execute("INSERT INTO raw.cnemc_air_hourly VALUES ('b', '2019-01', 'f', 1, ?, ?, 'PM2.5', ?, "
                                "300)", [date(2019, 1, day), hour, station])
        con.execute("INSERT INTO catalogue.dust_days VALUES ('150100', DATE '2019-01-05', 'test')")
        air_compute.compute_daily(con, Period.parse("2019-01"))
        rows = con.execute("SELECT obs_date, variant, pm25, aqi FROM marts.air_daily WHERE entity_code = '150100' "
                           "ORDER BY obs_date, variant").fetchall()
    assert rows == [
        (date(2019, 1, 5), "dust_deducted", None, None),   # PM2.5 was its only input: no AQI left
        (date(2019, 1, 5), "raw", 300.0, 350),
        (date(2019, 1, 6), "dust_deducted", 300.0, 350),
        (date(2019, 1, 6), "raw", 300.0, 350),
    ]
