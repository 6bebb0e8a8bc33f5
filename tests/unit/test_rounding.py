"""GB/T 8170 half-even rounding on the decimal value, not on the binary float."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tasks.standards.rounding import (
    concentration_digits,
    report_round,
    round_concentration,
    round_half_even,
)


def test_half_rounds_down_to_even() -> None:
    assert round_concentration("PM2.5", 74.5) == Decimal("74")


def test_half_rounds_up_to_even() -> None:
    assert round_concentration("PM2.5", 75.5) == Decimal("76")


def test_co_half_rounds_down_to_even() -> None:
    assert round_concentration("CO", 2.45) == Decimal("2.4")


def test_co_half_rounds_up_to_even() -> None:
    assert round_concentration("CO", 2.55) == Decimal("2.6")


def test_float_is_rounded_on_its_decimal_string() -> None:
    # round(2.675, 2) == 2.67 because the binary float is 2.67499999...; GB/T 8170 means the written 2.675.
    assert round_half_even(2.675, 2) == Decimal("2.68")


def test_exact_half_at_two_digits_goes_to_even() -> None:
    assert round_half_even(0.125, 2) == Decimal("0.12")


def test_decimal_and_str_inputs() -> None:
    assert round_half_even(Decimal("2.675"), 2) == Decimal("2.68")
    assert round_half_even("0.135", 2) == Decimal("0.14")


def test_concentration_digits() -> None:
    assert concentration_digits("CO") == 1
    assert [concentration_digits(p) for p in ("SO2", "NO2", "PM10", "PM2.5", "O3")] == [0, 0, 0, 0, 0]


def test_unknown_pollutant_is_rejected() -> None:
    with pytest.raises(ValueError, match="PM25"):
        concentration_digits("PM25")


def test_report_round_returns_float_and_passes_none() -> None:
    assert report_round(2.675, 2) == 2.68
    assert isinstance(report_round(0.25, 1), float)
    assert report_round(0.25, 1) == 0.2
    assert report_round(None, 1) is None


def test_non_finite_value_is_rejected() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        round_half_even(float("nan"), 0)
