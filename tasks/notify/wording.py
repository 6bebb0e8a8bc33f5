"""How values and targets read in Chinese, shared by the bulletin and the alert digests."""

from __future__ import annotations

from tasks.standards.rounding import round_half_even

COMPARATOR_ZH = {">=": "≥", "<=": "≤", ">": "＞", "<": "＜", "=": "="}


def number(value: float | None, digits: int | None) -> str:
    """A value at evaluation precision (half even on the decimal, GB/T 8170); '—' when there is none."""
    if value is None:
        return "—"
    if digits is None:
        return f"{value:g}"
    return str(round_half_even(value, digits))


def with_unit(value: float | None, unit: str, digits: int | None = None) -> str:
    """E.g. 98.0%, 65 μg/m³; '—' when there is no value."""
    if value is None:
        return "—"
    return number(value, digits) + ("%" if unit == "%" else "" if unit in ("—", "") else " " + unit)
