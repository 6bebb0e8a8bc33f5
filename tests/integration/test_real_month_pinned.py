"""The real January 2019 month (all 31 days, all 48 Inner Mongolia stations) pinned: every daily fact and every
indicator value of every region, as the pipeline computed them before the speed work of issue 14.

Any change to parsing, validation, landing, AQI scoring or the indicators that moves one of these numbers fails
here. The pinned file was written by this module (`ECOFLOW_WRITE_PIN=1`) from the code at commit 04f1808; it
is rewritten only when a rule of RULES.md changes on purpose, and that commit must say so.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import duckdb
import pytest

from demo.feed_server import FeedServer
from tasks.core import settings
from tasks.core.periods import Period
from tasks.flow import pipeline

from ..conftest import REAL_MONTH

PIN = Path(__file__).resolve().parents[1] / "fixtures" / "real_2019_01_pinned.json"
PERIOD = "2019-01"
DAILY = ("entity_kind, entity_code, obs_date::TEXT, variant, so2, no2, co, pm10, pm25, o3_8h_max, o3_1h_max, "
         "n_so2, n_no2, n_co, n_pm10, n_pm25, n_o3_8h, n_o3_1h, aqi_standard, aqi, aqi_valid, good, "
         "primary_pollutants, capped, complete")
VALUES = ("indicator_code, region_code, period, period_type, variant, value, numerator, denominator, valid_days, "
          "calendar_days, coverage_ok, coverage_unit, coverage_valid, coverage_expected, coverage_complete, notes")


def _snapshot(warehouse: Path) -> dict[str, list[list]]:
    """What the month produced, in a stable order: landed rows per station and type, daily facts, indicators."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        def rows(query: str) -> list[list]:
            return [list(r) for r in con.execute(query).fetchall()]

        return {
            "landed": rows("SELECT station_code, type, count(*), sum(value) FROM raw.cnemc_air_hourly "
                           f"WHERE period = '{PERIOD}' GROUP BY ALL ORDER BY ALL"),
            "daily": rows(f"SELECT {DAILY} FROM marts.air_daily "
                          "WHERE obs_date BETWEEN DATE '2019-01-01' AND DATE '2019-01-31' ORDER BY ALL"),
            "indicators": rows(f"SELECT {VALUES} FROM marts.indicator_values WHERE period = '{PERIOD}' "
                               "ORDER BY ALL"),
        }


def _same(pinned: object, got: object) -> bool:
    """Equal, floats to 12 significant digits (DuckDB's parallel sums may differ in the last bit between runs)."""
    if isinstance(pinned, float) and isinstance(got, float):
        return math.isclose(pinned, got, rel_tol=1e-12, abs_tol=1e-12)
    return pinned == got


@pytest.fixture(scope="module")
def real_month(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[list]]:
    home = tmp_path_factory.mktemp("pinned") / "home"
    with pytest.MonkeyPatch.context() as mp, FeedServer(REAL_MONTH) as feed:
        mp.setenv("ECOFLOW_HOME", str(home))
        mp.setenv("ECOFLOW_AIR_FEED_URL", feed.url)
        mp.delenv("AIRFLOW_CONN_ECOFLOW_SMTP", raising=False)
        summary = pipeline.run(settings.load(), "air", Period.parse(PERIOD))
    assert summary.rows_landed > 0
    got = _snapshot(home / "warehouse.duckdb")
    if os.environ.get("ECOFLOW_WRITE_PIN") == "1":
        PIN.write_text(json.dumps(got, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    return got


@pytest.mark.parametrize("part", ["landed", "daily", "indicators"])
def test_real_january_2019_is_unchanged(real_month: dict[str, list[list]], part: str) -> None:
    pinned = json.loads(PIN.read_text(encoding="utf-8"))[part]
    got = json.loads(json.dumps(real_month[part]))  # the same JSON round trip as the pinned file
    assert len(got) == len(pinned), f"{part}: {len(got)} rows, pinned {len(pinned)}"
    for want, have in zip(pinned, got, strict=True):
        assert len(want) == len(have) and all(_same(w, h) for w, h in zip(want, have, strict=True)), \
            f"{part}: pinned {want}\n got {have}"


def test_the_pin_covers_every_station_and_region(real_month: dict[str, list[list]]) -> None:
    header = (REAL_MONTH / "china_sites_20190101.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    stations = {r[0] for r in real_month["landed"]}
    regions = {r[1] for r in real_month["indicators"]}
    # the files name 48 stations; four of them (1747A, 2193A, 2198A, 2199A) report nothing all month
    assert len(header.split(",")) - 3 == 48 and len(stations) == 44
    assert "150000" in regions and len(regions) >= 13  # the region, its 12 leagues and cities
