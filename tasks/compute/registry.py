"""Which computation a source's data feeds (as its spec says), imported only when used."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

import duckdb

from tasks.core.errors import UsageError
from tasks.core.periods import Period
from tasks.sources.spec import SPECS

#: source -> the module holding its compute_period (declared in tasks/sources/spec.py)
COMPUTATIONS = {s.name: s.computation for s in SPECS}


def for_source(source: str) -> Callable[[duckdb.DuckDBPyConnection, Period], dict[str, int]]:
    """The source's compute_period(con, period) -> counts (it holds its own transaction)."""
    try:
        return import_module(COMPUTATIONS[source]).compute_period
    except KeyError:
        raise UsageError(f"nothing computes from source {source!r}; known: {', '.join(COMPUTATIONS)}") from None
