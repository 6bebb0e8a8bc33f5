"""The drinking-water sources ratio from the two submitted counts (RULES §3, by count)."""

from __future__ import annotations

import pytest

from tasks.compute.drinking_water import EVALUATED, MEETING, RATIO, derive, ratio_value


@pytest.mark.parametrize(("meeting", "evaluated", "value"), [(5, 6, 83.3), (6, 6, 100.0), (0, 3, 0.0), (1, 8, 12.5)])
def test_sources_meeting_class_iii_over_sources_evaluated(meeting: int, evaluated: int, value: float) -> None:
    assert ratio_value(meeting, evaluated) == (value, None)


@pytest.mark.parametrize(("meeting", "evaluated", "why"), [
    (0, 0, f"no source evaluated ({EVALUATED} = 0)"),
    (7, 6, f"{MEETING} 7 exceeds {EVALUATED} 6"),
    (2.5, 6, "source counts must be whole numbers (2.5 of 6)"),
])
def test_counts_that_cannot_be_true_give_no_value(meeting: float, evaluated: float, why: str) -> None:
    assert ratio_value(meeting, evaluated) == (None, why)


def _row(code: str, value: float, region: str = "150100") -> dict:
    return {"indicator_code": code, "region_code": region, "period": "2025-03", "period_type": "submitted",
            "variant": "raw", "value": value, "coverage_ok": True, "rules_version": "R", "batch_ids": [f"b-{code}"],
            "coverage_unit": "submission", "coverage_valid": 1, "coverage_expected": 1}


def test_the_computed_ratio_replaces_a_ratio_submitted_directly_and_one_count_alone_gives_none() -> None:
    lineage = {("150100", c): {"cell": c, "file_name": "f.xlsx"} for c in (EVALUATED, MEETING)}
    rows = [_row(RATIO, 100.0), _row(EVALUATED, 4), _row(MEETING, 3), _row(EVALUATED, 2, region="150200")]
    out = derive(rows, lineage)
    [ratio] = [r for r in out if r["indicator_code"] == RATIO]
    assert (ratio["region_code"], ratio["value"], ratio["batch_ids"]) == (
        "150100", 75.0, [f"b-{EVALUATED}", f"b-{MEETING}"])
    assert len(out) == 4   # the three counts kept as submitted, the direct ratio replaced
