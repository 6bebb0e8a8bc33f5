"""Bounded inputs: how long a fetch may take, how large a delivery may be, how large a workbook may inflate.

Read from the environment when used (no redeploy needed to change one), each with a default sized for the real
feeds: a national CNEMC daily file is ~1.8 MB, a month of the waste feed a few hundred kB, a department's form
well under 1 MB. A delivery over a limit is refused with the limit's name, so an operator knows what to raise.
"""

from __future__ import annotations

import os

from tasks.core.errors import ConfigError

#: ECOFLOW_<SOURCE>_MAX_BYTES defaults: several times the largest real file, far below what hurts a worker.
MAX_BYTES = {"air": 16 * 2**20, "water": 16 * 2**20, "waste": 8 * 2**20, "submissions": 8 * 2**20}
DEFAULT_MAX_BYTES = 16 * 2**20


def number(name: str, default: float, *, allow_zero: bool = False) -> float:
    """A positive number from the environment (or zero, where that means "do not wait")."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not (value >= 0 if allow_zero else value > 0) or value != value or value == float("inf"):
        raise ConfigError(f"{name}={raw!r} must be a positive number" + (" or 0" if allow_zero else ""))
    return value


def max_bytes_name(source: str) -> str:
    return f"ECOFLOW_{source.upper()}_MAX_BYTES"


def max_bytes(source: str) -> int:
    """The largest delivery of `source` accepted, in bytes (the body is stopped when it passes this)."""
    return int(number(max_bytes_name(source), MAX_BYTES.get(source, DEFAULT_MAX_BYTES)))


def max_values_name(source: str) -> str:
    return f"ECOFLOW_{source.upper()}_MAX_VALUES"


def max_values(source: str) -> int:
    """The most values one file of `source` may hold before it is parsed (lines × value columns): the byte cap
    alone lets 16 MB of short junk lines become millions of values, and memory grows with values, not bytes. The
    default is 1.7 times a national CNEMC day (1,640 stations × 360 lines)."""
    return int(number(max_values_name(source), 1_000_000))


def fetch_deadline() -> float:
    """ECOFLOW_HTTP_DEADLINE: seconds one file's fetch may take in all, retries and a trickling body included."""
    return number("ECOFLOW_HTTP_DEADLINE", 300.0)


def workbook_max_inflated() -> int:
    """ECOFLOW_XLSX_MAX_INFLATED: bytes a workbook may hold once its zip members are inflated."""
    return int(number("ECOFLOW_XLSX_MAX_INFLATED", 64 * 2**20))


def workbook_max_ratio() -> float:
    """ECOFLOW_XLSX_MAX_RATIO: how many times its zipped size a workbook member may inflate to."""
    return number("ECOFLOW_XLSX_MAX_RATIO", 200.0)


def workbook_max_cells() -> int:
    """ECOFLOW_XLSX_MAX_CELLS: rows x columns a sheet may declare (a form has a few hundred)."""
    return int(number("ECOFLOW_XLSX_MAX_CELLS", 200_000))


def validation_rows() -> int:
    """ECOFLOW_VALIDATION_ROWS: how many parsed rows one Great Expectations run may check at once. Files of a run
    are validated together up to this many rows (one run's fixed cost instead of one per file: a month of Inner
    Mongolia is one validation, a national month eleven of three days); a bigger file is still validated whole."""
    return int(number("ECOFLOW_VALIDATION_ROWS", 2_000_000))
