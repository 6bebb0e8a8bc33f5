"""Source adapters, configured as data: `spec.py` declares every source once; `get` gives a source's adapter."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

from tasks.sources.spec import SPECS
from tasks.sources.spec import spec as declared  # keeps `tasks.sources.spec` the module

if TYPE_CHECKING:
    from tasks.sources.base import SourceAdapter


@cache
def get(name: str) -> SourceAdapter:
    """The adapter of a declared source, imported when first asked for (the spec names it as module:Class)."""
    module, cls = declared(name).adapter.split(":")
    return getattr(import_module(module), cls)()


def adapters() -> dict[str, SourceAdapter]:
    """Every declared source's adapter, in declaration order."""
    return {s.name: get(s.name) for s in SPECS}


def __getattr__(attr: str):  # noqa: ANN202 - `from tasks.sources import REGISTRY`, kept for callers and tests
    if attr == "REGISTRY":
        return adapters()
    raise AttributeError(attr)
