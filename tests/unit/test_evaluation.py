"""RULES.md §4 evaluation: one status per indicator, region and period, for every kind of target."""

from __future__ import annotations

import pytest

from tasks.evaluate.evaluation import AWAITING, IN_PROGRESS, MET, MISSED, NOT_MONITORED, THIN, judge, meets


def verdict(**kw) -> tuple[str | None, str]:
    base = {"target_kind": "value", "comparator": ">=", "target_value": 95.0, "obtained_by": "computed",
            "value": 96.0, "coverage_ok": True, "digits": 1, "has_value_row": True}
    j = judge(**{**base, **kw})
    return j.status, j.reason


@pytest.mark.parametrize(("comparator", "value", "target", "expected"), [
    (">=", 95.0, 95.0, True), (">=", 94.96, 95.0, True), (">=", 94.94, 95.0, False),   # at 1 decimal: 94.96 -> 95.0
    ("<=", 34.0, 34.0, True), ("<=", 34.06, 34.0, False),
    (">", 98.0, 98.0, False), (">", 98.1, 98.0, True),                                  # 高于 is strict
    ("<", 0.0, 0.0, False), ("=", 1.0, 1.0, True),
])
def test_meets_per_comparator_at_evaluation_precision(comparator: str, value: float, target: float,
                                                      expected: bool) -> None:
    assert meets(comparator, value, target, 1) is expected


def test_meets_rejects_an_unknown_comparator() -> None:
    with pytest.raises(ValueError, match="unknown comparator '≥'"):
        meets("≥", 1.0, 1.0, None)


def test_higher_and_lower_is_better() -> None:
    assert verdict()[0] == MET
    assert verdict(value=94.0)[0] == MISSED
    assert verdict(comparator="<=", target_value=34.0, value=65.0)[0] == MISSED
    assert verdict(comparator="<=", target_value=34.0, value=33.0)[0] == MET


def test_thin_data_is_never_judged_against_the_target() -> None:
    assert verdict(coverage_ok=False, value=10.0) == (THIN, "data incomplete: the value may not be judged against "
                                                            "the target")
    assert verdict(value=None)[0] == THIN
    assert verdict(has_value_row=False, value=None)[0] == THIN


def test_a_submitted_indicator_without_a_value_is_awaiting_submission() -> None:
    for kind in ("submitted", "survey", "task"):
        assert verdict(obtained_by=kind, has_value_row=False, value=None)[0] == AWAITING


def test_tasks_are_done_or_not() -> None:
    task = {"target_kind": "task", "comparator": "=", "target_value": 1.0, "obtained_by": "task", "digits": None}
    assert verdict(**task, value=1.0) == (MET, "done")
    assert verdict(**task, value=0.0) == (MISSED, "not done")


def test_an_assigned_target_without_its_value_cannot_be_judged() -> None:
    status, reason = verdict(target_kind="assigned", target_value=None)
    assert status == THIN and "assigned_targets.csv" in reason
    assert verdict(target_kind="assigned", target_value=95.0)[0] == MET


def test_no_target_means_no_status() -> None:
    assert verdict(target_kind=None, comparator=None, target_value=None) == (None, "no target for this region and "
                                                                                  "year")


def test_an_annual_target_is_in_progress_during_the_year() -> None:
    # January's PM2.5 of 65 against ≤ 34 for the year: not 未达标, the year is not over
    status, reason = verdict(comparator="<=", target_value=34.0, value=65.0, in_year=True)
    assert status == IN_PROGRESS and "65" in reason
    assert verdict(comparator="<=", target_value=34.0, value=65.0, in_year=False)[0] == MISSED   # December
    assert verdict(in_year=True, coverage_ok=False)[0] == THIN          # thin data is still said so
    task = {"target_kind": "task", "comparator": "=", "target_value": 1.0, "obtained_by": "task", "digits": None}
    assert verdict(**task, value=1.0, in_year=True) == (MET, "done")    # a task is done when it is done


def test_a_region_that_does_not_monitor_an_indicator_is_shown_so() -> None:
    status, reason = verdict(not_monitored=True, has_value_row=False, value=None)
    assert status == NOT_MONITORED and "indicator_sources.csv" in reason
    assert verdict(not_monitored=True, target_kind=None, comparator=None, target_value=None)[0] is None
