"""GB 3838-2002 Table 1 classes at their edges (closed bounds), lake TP limits, and a section's worst class."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tasks.standards.water import (
    CLASS_LABELS,
    EVALUATED,
    LIMITS,
    TABLE1,
    classify,
    limit_rows,
    limits,
    section_class,
)


@pytest.mark.parametrize(("parameter", "value", "water_body", "expected"), [
    ("do", 7.5, "river", 1),
    ("do", 6.0, "river", 2),        # DO is a minimum: exactly 6 meets class Ⅱ
    ("do", 5.99, "river", 3),
    ("do", 2.0, "river", 5),
    ("do", 1.99, "river", 6),
    ("nh3n", 0.15, "river", 1),
    ("nh3n", 0.5, "river", 2),      # closed bound: the limit belongs to the class
    ("nh3n", 0.5001, "river", 3),
    ("nh3n", 2.0, "river", 5),
    ("nh3n", 2.0001, "river", 6),   # beyond Ⅴ is 劣Ⅴ
    ("codmn", 2, "river", 1),
    ("codmn", 15, "lake", 5),
    ("codmn", 15.01, "lake", 6),
    ("cod", 15, "river", 1),        # Ⅰ and Ⅱ share the limit: the best class wins
    ("tp", 0.1, "river", 2),
    ("tp", 0.1, "lake", 4),         # lakes and reservoirs have their own TP limits
    ("tp", 0.025, "lake", 2),
    ("tp", 0.0251, "lake", 3),
    ("tp", 0.4, "river", 5),
    ("tp", 0.2, "lake", 5),
    ("tp", 0.21, "lake", 6),
    ("hg", 0.00005, "river", 1),
    ("ph", 6.0, "river", 1),
    ("ph", 9.0, "river", 1),
    ("ph", 9.01, "river", 6),
    ("ph", 5.99, "lake", 6),
    ("fecal_coliform", 40000, "river", 5),
    ("tn", 1.0, "lake", 3),
])
def test_class_of_one_value(parameter: str, value: float, water_body: str, expected: int) -> None:
    assert classify(parameter, value, water_body) == expected


def test_arithmetic_noise_is_not_rounded_away() -> None:
    """0.1 + 0.2 is 0.30000000000000004 in floats: just above the river TP Ⅳ limit (0.3), so class Ⅴ — the
    classifier compares what it is given; rounding for evaluation is the caller's rule."""
    assert classify("tp", 0.1 + 0.2, "river") == 5
    assert classify("tp", 0.3, "river") == 4


def test_numpy_and_integer_values() -> None:
    assert classify("nh3n", np.float64(0.5), "river") == 2
    assert classify("codmn", np.int64(4), "river") == 2
    assert classify("nh3n", math.inf, "river") == 6


def test_labels() -> None:
    assert [CLASS_LABELS[c] for c in range(1, 7)] == ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"]


def test_evaluated_items_are_table1_without_temperature_tn_and_coliform() -> None:
    assert len(TABLE1) == 24
    assert len(EVALUATED) == 21
    assert sorted(EVALUATED) == sorted(set(TABLE1) - {"water_temp", "tn", "fecal_coliform"})
    assert not EVALUATED & {"conductivity", "turbidity", "chla", "algae"}


def test_section_class_is_the_worst_evaluated_item() -> None:
    means = {"ph": 8.1, "do": 6.0, "codmn": 3.0, "nh3n": 0.2, "tp": 0.25}
    assert section_class(means, "river") == 4          # TP 0.25 (Ⅳ) decides
    assert section_class(means, "lake") == 6           # lake TP limit Ⅴ is 0.2


def test_section_class_ignores_tn_temperature_and_non_table1_items() -> None:
    means = {"do": 8.0, "nh3n": 0.1, "tn": 9.0, "water_temp": 30.0, "conductivity": 5000.0, "turbidity": 900.0,
             "fecal_coliform": 99999.0}
    assert section_class(means, "river") == 1


def test_section_class_skips_items_without_a_valid_mean() -> None:
    assert section_class({"do": 8.0, "nh3n": math.nan, "tp": None}, "river") == 1
    assert section_class({"tn": 3.0, "water_temp": 12.0}, "lake") is None
    assert section_class({}, "river") is None


@pytest.mark.parametrize("parameter", ["conductivity", "turbidity", "chla", "algae", "water_temp", "cod_cr"])
def test_parameters_without_a_class_raise_naming_the_parameter(parameter: str) -> None:
    with pytest.raises(ValueError, match=parameter):
        classify(parameter, 1.0, "river")


def test_bad_water_body_and_value_raise() -> None:
    with pytest.raises(ValueError, match="reservoir"):
        classify("tp", 0.1, "reservoir")
    with pytest.raises(ValueError, match="water_body"):
        section_class({"tp": 0.1}, "sea")
    with pytest.raises(ValueError, match="NaN"):
        classify("do", math.nan, "river")
    with pytest.raises(ValueError, match="number"):
        classify("do", "6", "river")  # type: ignore[arg-type]


def test_limits_table() -> None:
    assert [str(x) for x in limits("tp", "lake")] == ["0.01", "0.025", "0.05", "0.1", "0.2"]
    assert [str(x) for x in limits("tp", "river")] == ["0.02", "0.1", "0.2", "0.3", "0.4"]
    rows = limit_rows()
    assert {"parameter": "do", "water_body": "river", "class": 2, "bound": "min", "limit": "6"} in rows
    assert len(rows) == 2 * (1 + 5 * len(LIMITS))
