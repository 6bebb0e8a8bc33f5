"""Judging a value against its target: direction, and evaluation precision (RULES.md §1.12)."""

from __future__ import annotations

import pytest

from tasks.alerting import misses


@pytest.mark.parametrize(("comparator", "value", "target", "digits", "expected"), [
    (">=", 84.8, 84.9, 1, True),
    (">=", 84.9, 84.9, 1, False),
    ("<=", 34.4, 34, 0, False),   # PM2.5 is judged as an integer: 34.4 -> 34 meets <= 34
    ("<=", 34.5, 34, 0, False),   # half-even: 34.5 -> 34
    ("<=", 35.5, 34, 0, True),    # 35.5 -> 36
    ("<=", 34.4, 34, None, True),  # without evaluation precision the raw value would miss
    (">=", None, 84.9, 1, False),  # no value: nothing to judge (coverage says why)
])
def test_misses(comparator: str, value: float | None, target: float, digits: int | None, expected: bool) -> None:
    assert misses(comparator, value, target, digits) is expected


def test_unknown_comparator_is_a_catalogue_error() -> None:
    with pytest.raises(ValueError, match="targets.csv"):
        misses("==", 1.0, 1.0)
