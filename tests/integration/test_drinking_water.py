"""集中式饮用水水源地水质优良比例 (RULES §3): the environment bureau submits the sources evaluated and those meeting
class Ⅲ in every item through its 月调度 template; the product computes the ratio and judges it against the target."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from tasks.cli.commands import main as ecoflow
from tasks.compute.drinking_water import EVALUATED, MEETING, RATIO
from tasks.core import settings
from tasks.flow import inbox

PERIOD = "2025-12"   # December: the ratio is judged against the annual target (before, 进行中: RULES §4)
STHJJ = "150100-sthjj"


@pytest.fixture
def home(eco_env: Path) -> Path:
    assert ecoflow(["templates", "--period", PERIOD, "--department", STHJJ, "--out", str(eco_env / "t")]) == 0
    return eco_env


def rows_of(home: Path) -> dict[str, int]:
    sheet = openpyxl.load_workbook(home / "t" / f"{STHJJ}_{PERIOD}.xlsx")["月调度"]
    return {sheet[f"B{r}"].value: r for r in range(7, sheet.max_row + 1) if sheet[f"B{r}"].value}


def submit(home: Path, name: str, evaluated: float, meeting: float) -> None:
    wb = openpyxl.load_workbook(home / "t" / f"{STHJJ}_{PERIOD}.xlsx")
    rows = rows_of(home)
    wb["月调度"][f"G{rows[EVALUATED]}"] = evaluated
    wb["月调度"][f"G{rows[MEETING]}"] = meeting
    settings.load().inbox_dir.mkdir(parents=True, exist_ok=True)
    wb.save(settings.load().inbox_dir / name)
    [outcome] = inbox.process(settings.load(), trigger="test", settle=0)
    assert outcome.accepted, outcome.reason
    inbox.evaluate_accepted(settings.load(), [outcome])   # as `ecoflow inbox` does


def indicator(capsys) -> dict:
    capsys.readouterr()
    assert ecoflow(["indicators", "--period", PERIOD, "--region", "150100", "--json"]) == 0
    [row] = [r for r in json.loads(capsys.readouterr().out) if r["indicator_code"] == RATIO]
    return row


def test_the_template_asks_for_the_two_counts_not_the_ratio(home: Path) -> None:
    rows = rows_of(home)
    assert EVALUATED in rows and MEETING in rows
    assert RATIO not in rows


def test_the_ratio_is_computed_from_the_counts_and_judged(home: Path, capsys) -> None:
    submit(home, "sthjj.xlsx", 6, 5)
    row = indicator(capsys)
    assert (row["value"], row["numerator"], row["denominator"], row["period_type"]) == (83.3, 5.0, 6.0, "submitted")
    assert row["target_value"] == 100 and row["status"] == "未达标"
    assert row["lineage"]["computed_from"] == {EVALUATED: f"G{rows_of(home)[EVALUATED]}",
                                               MEETING: f"G{rows_of(home)[MEETING]}"}


def test_every_source_meeting_class_iii_meets_the_target(home: Path, capsys) -> None:
    submit(home, "sthjj.xlsx", 6, 6)
    row = indicator(capsys)
    assert (row["value"], row["status"]) == (100.0, "达标")


def test_more_sources_meeting_than_evaluated_gives_no_value_and_says_why(home: Path, capsys) -> None:
    submit(home, "sthjj.xlsx", 4, 5)
    row = indicator(capsys)
    assert (row["value"], row["coverage_ok"]) == (None, False)
    assert row["notes"] == f"{MEETING} 5 exceeds {EVALUATED} 4"
    assert row["status"] != "达标"
