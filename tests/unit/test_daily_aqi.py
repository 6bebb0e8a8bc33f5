"""Daily AQI (RULES.md §1 rules 7–9), version and limits by date, categories, iaqi() argument checks."""

from __future__ import annotations

import datetime

import pytest

from tasks.standards.aqi import category, daily_aqi, iaqi, standard_for
from tasks.standards.limits import grade2_limits, limits_version

# IAQI (HJ 633-2026): SO2 10, NO2 38, CO 20, PM10 58, PM2.5 60, O3_8h 67 -> AQI 67, primary O3.
CLEAN_2026: dict[str, float | None] = {
    "SO2": 10,
    "NO2": 30,
    "CO": 0.8,
    "PM10": 60,
    "PM2.5": 40,
    "O3_8h": 120,
}
# IAQI (HJ 633-2012): as above but PM10 55, PM2.5 57; O3_1h 150 -> 47.
CLEAN_2012: dict[str, float | None] = {**CLEAN_2026, "O3_1h": 150}


def test_complete_day() -> None:
    day = daily_aqi(CLEAN_2026, "HJ633-2026")
    assert day.iaqi == {"SO2": 10, "NO2": 38, "CO": 20, "PM10": 58, "PM2.5": 60, "O3_8h": 67}
    assert (day.aqi, day.primary) == (67, ("O3",))
    assert (day.complete, day.valid, day.good, day.capped) == (True, True, True, False)


def test_complete_day_2012_uses_seven_inputs() -> None:
    day = daily_aqi(CLEAN_2012, "HJ633-2012")
    assert day.iaqi == {"SO2": 10, "NO2": 38, "CO": 20, "PM10": 55, "PM2.5": 57, "O3_8h": 67, "O3_1h": 47}
    assert (day.aqi, day.complete, day.valid, day.good) == (67, True, True, True)


def test_2012_missing_o3_1h_makes_day_incomplete() -> None:
    day = daily_aqi(CLEAN_2026, "HJ633-2012")
    assert (day.complete, day.aqi, day.valid) == (False, None, False)


def test_missing_input_with_aqi_at_most_100_is_not_valid() -> None:
    day = daily_aqi({**CLEAN_2026, "PM2.5": None}, "HJ633-2026")
    assert (day.aqi, day.complete, day.valid, day.good, day.primary) == (None, False, False, None, ())
    assert day.iaqi["PM2.5"] is None
    assert day.iaqi["O3_8h"] == 67  # the individual IAQIs are still published


def test_missing_input_with_aqi_exactly_100_is_not_valid() -> None:
    # PM10 120 under HJ 633-2026 is exactly 100: not > 100, so the incomplete day stays NA.
    day = daily_aqi({**CLEAN_2026, "PM2.5": None, "PM10": 120}, "HJ633-2026")
    assert day.iaqi["PM10"] == 100
    assert (day.aqi, day.valid, day.good) == (None, False, None)


def test_absent_input_counts_as_missing() -> None:
    inputs = {k: v for k, v in CLEAN_2026.items() if k != "SO2"}
    day = daily_aqi(inputs, "HJ633-2026")
    assert (day.aqi, day.complete, day.valid) == (None, False, False)


def test_missing_input_with_aqi_above_100_is_valid_not_good() -> None:
    # PM10 200 under HJ 633-2026: 100 + 50/130 * 80 = 130.8 -> 131.
    day = daily_aqi({**CLEAN_2026, "PM2.5": None, "PM10": 200}, "HJ633-2026")
    assert (day.aqi, day.primary) == (131, ("PM10",))
    assert (day.complete, day.valid, day.good) == (False, True, False)


def test_no_input_at_all() -> None:
    day = daily_aqi({}, "HJ633-2026")
    assert (day.aqi, day.valid, day.good, day.complete, day.primary) == (None, False, None, False, ())


def test_day_above_100_is_valid_not_good() -> None:
    day = daily_aqi({**CLEAN_2026, "PM2.5": 61}, "HJ633-2026")
    assert (day.aqi, day.valid, day.good, day.primary) == (101, True, False, ("PM2.5",))


def test_2012_o3_8h_above_800_falls_back_to_o3_1h() -> None:
    # O3 1h 900 -> 300 + 100/200 * 100 = 350.
    day = daily_aqi({**CLEAN_2012, "O3_8h": 850, "O3_1h": 900}, "HJ633-2012")
    assert day.iaqi["O3_8h"] is None
    assert day.iaqi["O3_1h"] == 350
    assert (day.aqi, day.primary, day.capped, day.complete, day.valid) == (350, ("O3",), False, True, True)


def test_2026_scores_o3_8h_above_800_as_300_and_ignores_o3_1h() -> None:
    # Under HJ 633-2012 the O3 1h 1300 would be above the top breakpoint (capped 500).
    day = daily_aqi({**CLEAN_2026, "O3_8h": 850, "O3_1h": 1300}, "HJ633-2026")
    assert "O3_1h" not in day.iaqi
    assert day.iaqi["O3_8h"] == 300
    assert (day.aqi, day.capped, day.primary) == (300, False, ("O3",))


def test_2026_ignores_o3_1h_on_an_ordinary_day() -> None:
    day = daily_aqi({**CLEAN_2026, "O3_1h": 400}, "HJ633-2026")
    assert day.aqi == 67


def test_above_top_breakpoint_scores_500_and_is_flagged() -> None:
    assert iaqi("PM10", 2000, "24h", "HJ633-2026") is None
    day = daily_aqi({**CLEAN_2026, "PM10": 2000}, "HJ633-2026")
    assert (day.aqi, day.iaqi["PM10"], day.capped, day.primary) == (500, 500, True, ("PM10",))
    assert (day.valid, day.good) == (True, False)


def test_capped_flag_also_on_incomplete_day() -> None:
    day = daily_aqi({"PM10": 2000}, "HJ633-2012")
    assert (day.aqi, day.capped, day.complete, day.valid) == (500, True, False, True)


def test_primary_pollutants_tie() -> None:
    # HJ 633-2012: PM10 100 -> 75, PM2.5 55 -> 75, O3_8h 130 -> 75 and O3_1h 180 -> 75 (O3 named once).
    inputs = {**CLEAN_2012, "PM10": 100, "PM2.5": 55, "O3_8h": 130, "O3_1h": 180}
    day = daily_aqi(inputs, "HJ633-2012")
    assert (day.aqi, day.primary) == (75, ("PM10", "PM2.5", "O3"))


def test_no_primary_pollutant_at_aqi_50() -> None:
    # PM2.5 35 -> exactly 50; everything else lower.
    inputs = {"SO2": 5, "NO2": 20, "CO": 0.4, "PM10": 30, "PM2.5": 35, "O3_8h": 60}
    day = daily_aqi(inputs, "HJ633-2026")
    assert (day.aqi, day.primary, day.good) == (50, (), True)


def test_primary_pollutant_at_aqi_51() -> None:
    inputs = {"SO2": 5, "NO2": 20, "CO": 0.4, "PM10": 51, "PM2.5": 20, "O3_8h": 60}
    day = daily_aqi(inputs, "HJ633-2026")
    assert (day.aqi, day.primary) == (51, ("PM10",))


def test_unknown_daily_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="PM25"):
        daily_aqi({**CLEAN_2026, "PM25": 40}, "HJ633-2026")


def test_daily_aqi_rejects_unknown_standard() -> None:
    with pytest.raises(ValueError, match="HJ633-2012, HJ633-2026"):
        daily_aqi(CLEAN_2026, "HJ633-2013")  # type: ignore[arg-type]


def test_standard_for_edges() -> None:
    assert standard_for(datetime.date(2026, 2, 28)) == "HJ633-2012"
    assert standard_for(datetime.date(2026, 3, 1)) == "HJ633-2026"
    assert standard_for(datetime.datetime(2026, 2, 28, 23, 59)) == "HJ633-2012"


@pytest.mark.parametrize(
    ("aqi", "expected"),
    [
        (0, ("一级", "优")),
        (50, ("一级", "优")),
        (51, ("二级", "良")),
        (100, ("二级", "良")),
        (101, ("三级", "轻度污染")),
        (150, ("三级", "轻度污染")),
        (151, ("四级", "中度污染")),
        (200, ("四级", "中度污染")),
        (201, ("五级", "重度污染")),
        (300, ("五级", "重度污染")),
        (301, ("六级", "严重污染")),
        (500, ("六级", "严重污染")),
    ],
)
def test_category_edges(aqi: int, expected: tuple[str, str]) -> None:
    assert category(aqi) == expected


def test_category_rejects_negative() -> None:
    with pytest.raises(ValueError):
        category(-1)


@pytest.mark.parametrize(
    ("day", "version", "pm25_annual", "pm25_24h", "pm10_annual", "pm10_24h", "no2_annual", "so2_24h"),
    [
        (datetime.date(2026, 2, 28), "GB3095-2012", 35, 75, 70, 150, 40, 150),
        (datetime.date(2026, 3, 1), "GB3095-2026-transition", 30, 60, 60, 120, 40, 150),
        (datetime.date(2030, 12, 31), "GB3095-2026-transition", 30, 60, 60, 120, 40, 150),
        (datetime.date(2031, 1, 1), "GB3095-2026-final", 25, 50, 50, 100, 30, 50),
    ],
)
def test_limits_by_date(
    day: datetime.date,
    version: str,
    pm25_annual: int,
    pm25_24h: int,
    pm10_annual: int,
    pm10_24h: int,
    no2_annual: int,
    so2_24h: int,
) -> None:
    limits = grade2_limits(day)
    assert limits_version(day) == version
    assert (limits["PM2.5_annual"], limits["PM2.5_24h"]) == (pm25_annual, pm25_24h)
    assert (limits["PM10_annual"], limits["PM10_24h"]) == (pm10_annual, pm10_24h)
    assert (limits["NO2_annual"], limits["SO2_24h"]) == (no2_annual, so2_24h)
    assert (limits["CO_24h"], limits["O3_8h"]) == (4, 160)


def test_limits_copy_cannot_change_module_data() -> None:
    grade2_limits(datetime.date(2026, 2, 28))["PM2.5_annual"] = 0
    assert grade2_limits(datetime.date(2026, 2, 28))["PM2.5_annual"] == 35


def test_iaqi_rounds_input_half_even_before_scoring() -> None:
    # 160.5 -> 160 -> exactly 100 (scoring 160.5 directly would give 101).
    assert iaqi("O3", 160.5, "8h", "HJ633-2026") == 100


def test_iaqi_pm_1h_uses_daily_breakpoints() -> None:
    assert iaqi("PM2.5", 61, "1h", "HJ633-2026") == 101
    assert iaqi("PM10", 151, "1h", "HJ633-2012") == 101


def test_iaqi_2012_footnotes_give_none_2026_fixed_values() -> None:
    assert iaqi("SO2", 801, "1h", "HJ633-2012") is None
    assert iaqi("SO2", 801, "1h", "HJ633-2026") == 200
    assert iaqi("O3", 801, "8h", "HJ633-2012") is None
    assert iaqi("O3", 801, "8h", "HJ633-2026") == 300


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_iaqi_rejects_negative_and_nan(bad: float) -> None:
    with pytest.raises(ValueError, match=r"PM2\.5.*(-1\.0|NaN)"):
        iaqi("PM2.5", bad, "24h", "HJ633-2026")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("PM25", 10, "24h", "HJ633-2026"), "PM2.5"),
        (("PM2.5", 10, "daily", "HJ633-2026"), "24h"),
        (("PM2.5", 10, "24h", "HJ633-2013"), "HJ633-2026"),
        (("PM2.5", 10, "8h", "HJ633-2026"), "24h"),
        (("O3", 10, "24h", "HJ633-2026"), "8h"),
    ],
)
def test_iaqi_rejects_unknown_arguments_naming_allowed_values(args: tuple, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        iaqi(*args)


@pytest.mark.parametrize(
    ("pollutant", "concentration", "averaging", "expected"),
    [("CO", 2.2, "24h", 55), ("CO", 65.4, "1h", 218), ("CO", 148.8, "1h", 496)],
)
def test_iaqi_is_exact_so_whole_values_are_not_pushed_up(
    pollutant: str, concentration: float, averaging: str, expected: int
) -> None:
    # Binary floats give 55.00000000000001 etc., which a ceiling would turn into 56.
    assert iaqi(pollutant, concentration, averaging, "HJ633-2012") == expected
