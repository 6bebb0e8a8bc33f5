"""GB/T 8170 rounding (四舍六入五成双) done on decimal strings.

Python's ``round()`` works on the binary float, so ``round(2.675, 2)`` gives 2.67; the standards
mean the decimal number as written (2.675 → 2.68). Every value is therefore converted through its
shortest decimal string (``repr``) and rounded with :data:`decimal.ROUND_HALF_EVEN`.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_EVEN, Decimal

# Reporting precision of concentrations (HJ 633-2026 §4.2.2/4.2.3): integer µg/m³, CO to 0.1 mg/m³.
_CONCENTRATION_DIGITS: dict[str, int] = {"SO2": 0, "NO2": 0, "PM10": 0, "PM2.5": 0, "O3": 0, "CO": 1}


def _to_decimal(value: float | Decimal | str) -> Decimal:
    """Exact decimal of what the value *means*: a float goes through ``repr`` so 2.675 stays 2.675."""
    if isinstance(value, bool):
        raise TypeError(f"cannot round a bool: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except decimal.InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    else:
        raise TypeError(f"cannot round {type(value).__name__}: {value!r}")
    if not result.is_finite():
        raise ValueError(f"cannot round a non-finite value: {value!r}")
    return result


def round_half_even(value: float | Decimal | str, digits: int) -> Decimal:
    """Round to ``digits`` decimals, half to even, on the decimal value (GB/T 8170)."""
    if digits < 0:
        raise ValueError(f"digits must be >= 0, got {digits}")
    exact = _to_decimal(value)
    with decimal.localcontext() as ctx:
        # Enough precision that quantize never fails on large concentrations.
        ctx.prec = max(50, exact.adjusted() + digits + 2)
        return exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)


def concentration_digits(pollutant: str) -> int:
    """Decimals a concentration is reported to: 1 for CO (mg/m³), 0 for the others (µg/m³)."""
    try:
        return _CONCENTRATION_DIGITS[pollutant]
    except KeyError:
        allowed = ", ".join(_CONCENTRATION_DIGITS)
        raise ValueError(f"unknown pollutant {pollutant!r}; allowed: {allowed}") from None


def round_concentration(pollutant: str, value: float | Decimal | str) -> Decimal:
    """Round a concentration to its reporting precision before IAQI scoring."""
    return round_half_even(value, concentration_digits(pollutant))


def report_round(value: float | Decimal | str | None, digits: int) -> float | None:
    """Half-even rounding for published statistics (RULES.md §1 rule 12); ``None`` passes through."""
    if value is None:
        return None
    return float(round_half_even(value, digits))
