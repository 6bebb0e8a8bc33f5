"""Evaluation end to end: Hohhot's whole indicator system for a month, from a waste feed, a department's
submission and nothing else — every national indicator listed with a status, each status for the right reason.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from tasks.cli.commands import main as ecoflow
from tasks.core import settings
from tasks.evaluate.evaluation import AWAITING, IN_PROGRESS, MET, NOT_MONITORED, STATUSES, THIN
from tests.helpers import land_waste_months, submit_forest_coverage

JAN, FEB = "2025-01", "2025-02"
HOHHOT = "150100"
CATALOGUE = Path(__file__).resolve().parents[2] / "warehouse" / "catalogue"


def _two_months(home: Path, mp: pytest.MonkeyPatch) -> None:
    land_waste_months(mp, [JAN, FEB])
    submit_forest_coverage(home, JAN, 36.4)


@pytest.fixture
def month(eco_env: Path, built_home) -> Path:
    """January and February 2025 and 林草局's January submission (built once, copied per test)."""
    built_home("evaluation-two-months", _two_months, eco_env)
    return eco_env


def indicators(capsys, period: str, region: str = HOHHOT) -> list[dict]:
    capsys.readouterr()
    assert ecoflow(["indicators", "--period", period, "--region", region, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def judged(rows: list[dict]) -> dict[str, dict]:
    """The row carrying each indicator's status (year to date, or as submitted)."""
    return {r["indicator_code"]: r for r in rows if r["period_type"] in ("ytd", "submitted")}


def test_every_national_indicator_is_listed_for_hohhot_with_a_status(month, capsys) -> None:
    rows = judged(indicators(capsys, JAN))
    with open(CATALOGUE / "indicators.csv", encoding="utf-8") as fh:
        national = {r["indicator_code"]: int(r["national_no"]) for r in csv.DictReader(fh) if r["national_no"]}
    assert set(national) <= set(rows)
    assert {rows[c]["national_no"] for c in national} == set(range(1, 37))
    assert all(rows[c]["status"] in STATUSES for c in national), {c: rows[c]["status"] for c in national}
    for field in ("national_no", "name_zh", "status", "target"):
        assert all(field in r for r in rows.values())


def test_each_status_for_its_reason(month, capsys) -> None:
    rows = judged(indicators(capsys, JAN))
    assert rows["forest_grass_coverage"]["status"] == MET                 # submitted 36.4 >= 35
    assert rows["forest_grass_coverage"]["value"] == 36.4
    # computed YTDs against annual targets: in progress until December (RULES §4), met or not
    assert rows["urban_sewage_treatment_rate"]["status"] == IN_PROGRESS   # YTD >= 95 so far
    assert rows["hazardous_waste_disposal_rate"]["status"] == IN_PROGRESS  # YTD < 100 so far: not 未达标 yet
    assert rows["eco_civilization_plan"]["status"] == AWAITING            # a task nobody reported yet
    assert rows["green_building_share"]["status"] == AWAITING             # 住建局 sent nothing
    assert rows["air_good_day_ratio"]["status"] == THIN                   # no air data at all this month
    energy = rows["energy_per_gdp"]
    assert energy["status"] == THIN and "assigned_targets.csv" in energy["status_reason"]
    assert rows["eco_civilization_plan"]["target"] == "制定实施"


def test_an_annual_submitted_value_carries_to_later_months(month, capsys) -> None:
    rows = judged(indicators(capsys, FEB))
    forest = rows["forest_grass_coverage"]
    assert (forest["value"], forest["basis_period"], forest["status"]) == (36.4, JAN, MET)


def test_the_evaluation_is_stored_and_replaced_per_period(month) -> None:
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        counts = dict(con.execute("SELECT period, count(*) FROM marts.indicator_status GROUP BY period").fetchall())
        dupes = con.execute("SELECT count(*) FROM (SELECT indicator_code, region_code, period, count(*) AS n "
                            "FROM marts.indicator_status GROUP BY ALL HAVING n > 1)").fetchall()[0][0]
    assert counts[JAN] > 43 and counts[FEB] > 43 and dupes == 0


def test_each_value_comes_with_the_same_period_last_year(eco_env: Path, monkeypatch, capsys) -> None:
    land_waste_months(monkeypatch, ["2024-01", JAN])
    last_year = {(r["indicator_code"], r["period_type"]): r["value"] for r in indicators(capsys, "2024-01")}
    for row in indicators(capsys, JAN):
        if (row["indicator_code"], row["period_type"]) in last_year and row["value"] is not None:
            expected = last_year[(row["indicator_code"], row["period_type"])]
            assert row["same_period_last_year"] == expected, row["indicator_code"]
            if expected is not None:
                assert row["change_vs_last_year"] == pytest.approx(row["value"] - expected)
    sewage = next(r for r in indicators(capsys, JAN)
                  if r["indicator_code"] == "urban_sewage_treatment_rate" and r["period_type"] == "ytd")
    assert sewage["same_period_last_year"] is not None


def test_a_region_without_a_station_shows_the_indicator_as_not_monitored(month, capsys) -> None:
    rows = judged(indicators(capsys, JAN, "150121"))                      # 土默特左旗: no national air station
    for code in ("air_good_day_ratio", "air_pm25_mean", "water_worse_v_ratio"):
        assert rows[code]["status"] == NOT_MONITORED, code
        assert "indicator_sources.csv" in rows[code]["status_reason"]
    assert rows["hazardous_waste_disposal_rate"]["status"] != NOT_MONITORED   # the waste feed covers the banner
