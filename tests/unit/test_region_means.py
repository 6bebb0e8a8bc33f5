"""Regions above the city as the mean of their cities (RULES §1.4) and stations serving several regions.

The aggregation is tested on hand-made city rows; the January 2019 real files (demo/data/cnemc_air, parsed by the
production adapter and computed by the production code) pin 内蒙古 at the mean of the 12 cities, 90.5 %.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tasks.compute import air as air_compute
from tasks.compute.region_means import RegionAboveCity, mean_rows
from tasks.core import settings as settings_mod
from tasks.core import warehouse
from tasks.core.periods import Period
from tasks.flow.warehouse import writer
from tasks.sources.cnemc_air import CnemcAirAdapter
from tests.conftest import REAL_MONTH

JAN = Period.parse("2019-01")
IM_CITIES = ("150100", "150200", "150300", "150400", "150500", "150600", "150700", "150800", "150900", "152200",
             "152500", "152900")
THREE = RegionAboveCity("150000", ("150100", "150200", "150300"),
                        {"150100": "呼和浩特市", "150200": "包头市", "150300": "乌海市"})


def city(code: str, exact: str | None, ok: bool = True, **extra: object) -> dict:
    return {"indicator_code": "air_good_day_ratio", "region_code": code, "period": "2019-01", "period_type": "month",
            "variant": "raw", "exact": None if exact is None else Decimal(exact), "coverage_ok": ok,
            "calendar_days": 31, "rules_version": "R", "batch_ids": [f"b-{code}"], **extra}


def test_the_mean_is_of_unrounded_city_values_rounded_once() -> None:
    two = RegionAboveCity("150000", ("150100", "150200"), {"150100": "呼和浩特市", "150200": "包头市"})
    [row] = mean_rows([city("150100", "1.04"), city("150200", "1.07")], [two])
    assert row["value"] == 1.1          # exact mean 1.055 → 1.1; rounded first: (1.0 + 1.1) / 2 = 1.05 → 1.0
    assert (row["numerator"], row["denominator"]) == (2.11, 2.0)


def test_coverage_counts_cities_with_a_value_and_complete_ones() -> None:
    [row] = mean_rows([city("150100", "80"), city("150200", "90", ok=False), city("150300", "100")], [THREE])
    assert row["value"] == 90.0
    assert (row["coverage_unit"], row["coverage_valid"], row["coverage_expected"], row["coverage_complete"]) == (
        "cities", 3, 3, 2)
    assert row["coverage_ok"] is False
    assert row["notes"] == "incomplete: 包头市"
    assert row["batch_ids"] == ["b-150100", "b-150200", "b-150300"]


def test_a_city_with_no_value_is_left_out_of_the_mean_and_named() -> None:
    # 乌海 has a row without a value (no valid day), 包头 no row at all: the mean is 呼和浩特's alone.
    [row] = mean_rows([city("150100", "74.19354838709677"), city("150300", None, ok=False)], [THREE])
    assert row["value"] == 74.2
    assert (row["coverage_valid"], row["coverage_expected"], row["coverage_complete"]) == (1, 3, 1)
    assert row["coverage_ok"] is False
    assert row["notes"] == "no value: 包头市、乌海市"


def test_no_city_value_gives_a_null_value_and_no_city_row_gives_no_row() -> None:
    [row] = mean_rows([city("150100", None, ok=False)], [THREE])
    assert (row["value"], row["coverage_valid"], row["coverage_ok"]) == (None, 0, False)
    assert mean_rows([city("110000", "50")], [THREE]) == []


def test_every_complete_city_makes_the_region_complete_per_variant_and_period_type() -> None:
    rows = [city(c, "50", period_type=t, variant=v) for c in THREE.cities for t in ("month", "ytd", "r12")
            for v in ("raw", "dust_deducted")]
    out = mean_rows(rows, [THREE])
    assert sorted((r["period_type"], r["variant"]) for r in out) == sorted(
        (t, v) for t in ("month", "ytd", "r12") for v in ("raw", "dust_deducted"))
    assert all(r["coverage_ok"] and r["value"] == 50.0 for r in out)


# --- the warehouse, on the real January 2019 files --------------------------------------------------------------


@pytest.fixture(scope="module")
def real_january(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The 31 real files parsed by the production adapter, their valid rows landed, the month computed."""
    home = tmp_path_factory.mktemp("real") / "home"
    mp = pytest.MonkeyPatch()
    mp.setenv("ECOFLOW_HOME", str(home))
    adapter = CnemcAirAdapter()
    try:
        with writer(settings_mod.load()) as con:
            for path in sorted(Path(REAL_MONTH).glob("china_sites_*.csv")):
                parsed = adapter.parse(path.name, path.read_bytes())
                good = parsed.rows[parsed.rows["value"].notna() & (parsed.rows["value"] >= 0)]
                warehouse.insert_frame(con, "raw.cnemc_air_hourly", adapter.landing_frame(
                    good, batch_id=f"air:{path.name}", period=str(JAN), file_name=path.name))
            air_compute.compute_period(con, JAN)
            yield con
    finally:
        mp.undo()


def _values(con: duckdb.DuckDBPyConnection, code: str, period_type: str = "month") -> dict[str, tuple]:
    return {r[0]: r[1:] for r in con.execute(
        "SELECT region_code, value, numerator, denominator, coverage_unit, coverage_valid, coverage_expected, "
        "coverage_complete, coverage_ok, notes FROM marts.indicator_values WHERE indicator_code = ? "
        "AND period = '2019-01' AND period_type = ? AND variant = 'raw'", [code, period_type]).fetchall()}


def test_january_2019_inner_mongolia_is_the_mean_of_its_12_cities(real_january) -> None:
    got = _values(real_january, "air_good_day_ratio")
    region = got["150000"]
    assert region[0] == 90.5                 # not 100.0, what one virtual station over 48 stations gave
    assert got["150100"][0] == 74.2
    exact = sum(Decimal(int(got[c][1])) * 100 / Decimal(int(got[c][2])) for c in IM_CITIES) / 12
    assert region[0] == float(exact.quantize(Decimal("0.1")))
    assert region[3:8] == ("cities", 12, 12, 10, False)  # 呼伦贝尔 18 and 乌兰察布 15 valid days of 31
    assert region[8] == "incomplete: 呼伦贝尔市、乌兰察布市"


def test_january_2019_pm25_of_the_region_is_the_mean_of_the_city_means(real_january) -> None:
    got = _values(real_january, "air_pm25_mean")
    exact = sum(Decimal(repr(got[c][1])) / Decimal(int(got[c][2])) for c in IM_CITIES) / 12
    assert got["150000"][0] == float(exact.quantize(Decimal("0.1"))) == 36.6
    assert got["150000"][3:7] == ("cities", 12, 12, 12)


def test_the_region_has_no_virtual_station_days(real_january) -> None:
    assert real_january.execute("SELECT count(*) FROM marts.air_daily WHERE entity_code = '150000'").fetchone() == (0,)


def test_xilinhot_gets_the_air_values_of_its_two_stations_and_the_league_keeps_them(real_january) -> None:
    stations = dict(real_january.execute(
        "SELECT region_code, list(station_code ORDER BY station_code) FROM staging.int_region_stations "
        "WHERE region_code IN ('152500', '152502') GROUP BY 1").fetchall())
    assert stations == {"152500": ["2202A", "2203A"], "152502": ["2202A", "2203A"]}
    ratio, pm25 = _values(real_january, "air_good_day_ratio"), _values(real_january, "air_pm25_mean")
    assert ratio["152502"][:3] == ratio["152500"][:3] == (100.0, 30.0, 30.0)
    assert pm25["152502"][0] == pm25["152500"][0] == 9.2
    assert "152502" not in IM_CITIES     # a 旗县区: not one of the cities the region's mean is made of


def test_a_mapping_ends_on_its_valid_to(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path / "home"))
    with writer(settings_mod.load()) as con:
        con.execute("UPDATE catalogue.station_regions SET valid_to = DATE '2019-01-10' WHERE station_code = '2203A'")
        rows = con.execute("SELECT station_code, effective_from, valid_to FROM staging.int_region_stations "
                           "WHERE region_code = '152502' ORDER BY 1").fetchall()
    assert [(r[0], str(r[1]), str(r[2])) for r in rows] == [("2202A", "2015-01-01", "None"),
                                                             ("2203A", "2015-01-01", "2019-01-10")]


@pytest.mark.parametrize(("note", "zh"), [
    ("no value: 包头市、乌海市; incomplete: 呼伦贝尔市", "无数据的盟市：包头市、乌海市；数据不完整的盟市：呼伦贝尔市"),
    ("69.1 against base year 2021 67 (baselines.csv)", "本期累计 69.1，基准年 2021 为 67（规划基准值）"),
    ("— against base year 2024 60.2 (computed, incomplete)",
     "本期累计 —，基准年 2024 为 60.2（上年计算值，数据不完整）"),
    ("drinking_water_sources_meeting_iii 5 exceeds drinking_water_sources_evaluated 4",
     "达标水源地数 5 多于评价水源地数 4"),
])
def test_the_bulletin_reads_the_new_notes_in_chinese(note: str, zh: str) -> None:
    from tasks.report.bulletin import notes_zh

    assert notes_zh(note) == zh
