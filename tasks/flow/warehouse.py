"""The warehouse as a run opens it: schema migrated, then the catalogue brought up to date (once: it loads only
when its files changed)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from tasks.catalogue import load as catalogue_load
from tasks.core.settings import Settings
from tasks.core.warehouse import connect


@contextmanager
def writer(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """The writer's connection of a run step, on the current catalogue."""
    with connect(settings) as con:
        catalogue_load.refresh(con)
        yield con
