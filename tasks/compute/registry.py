"""Which computation a source's data feeds: one entry per source, imported only when used."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

import duckdb

from tasks.core.errors import UsageError
from tasks.core.periods import Period

COMPUTATIONS = {
    "air": "tasks.compute.air",
    "water": "tasks.compute.water",
    "waste": "tasks.compute.waste",
    "submissions": "tasks.compute.submitted",
    "project_reports": "tasks.compute.project_status",
    "drinking_water_sources": "tasks.compute.drinking_water",
}


def for_source(source: str) -> Callable[[duckdb.DuckDBPyConnection, Period], dict[str, int]]:
    """The source's compute_period(con, period) -> counts (it holds its own transaction)."""
    try:
        return import_module(COMPUTATIONS[source]).compute_period
    except KeyError:
        raise UsageError(f"nothing computes from source {source!r}; known: {', '.join(COMPUTATIONS)}") from None
