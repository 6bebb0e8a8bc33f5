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


def batch_keyed() -> list[str]:
    """The sources whose every delivery is kept as its own batch (forms): their rows are counted by batch."""
    return [name for name, adapter in adapters().items() if adapter.replace_key == "batch_id"]
