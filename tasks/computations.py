"""Which computation a source's data feeds: one entry per source, imported only when used."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

import duckdb

from tasks.errors import UsageError
from tasks.periods import Period

COMPUTATIONS = {
    "air": "tasks.air_compute",
    "water": "tasks.water_compute",
    "waste": "tasks.waste_compute",
    "submissions": "tasks.submitted_compute",
    "project_reports": "tasks.project_status",
}


def for_source(source: str) -> Callable[[duckdb.DuckDBPyConnection, Period], dict[str, int]]:
    """The source's compute_period(con, period) -> counts (it holds its own transaction)."""
    try:
        return import_module(COMPUTATIONS[source]).compute_period
    except KeyError:
        raise UsageError(f"nothing computes from source {source!r}; known: {', '.join(COMPUTATIONS)}") from None
