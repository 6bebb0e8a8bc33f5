"""Source adapters, configured as data: the registry maps a source name to its adapter."""

from __future__ import annotations

from tasks.errors import UsageError
from tasks.sources.base import SourceAdapter
from tasks.sources.cnemc_air import CnemcAirAdapter

REGISTRY: dict[str, SourceAdapter] = {
    "air": CnemcAirAdapter(),
}


def get(name: str) -> SourceAdapter:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UsageError(f"unknown source {name!r}; known sources: {', '.join(sorted(REGISTRY))}") from None
