"""Source adapters, configured as data: the registry maps a source name to its adapter."""

from __future__ import annotations

from tasks.core.errors import UsageError
from tasks.sources.base import SourceAdapter
from tasks.sources.cnemc_air import CnemcAirAdapter
from tasks.sources.cnemc_water import CnemcWaterAdapter
from tasks.sources.drinking_water_sources import DrinkingWaterSourcesAdapter
from tasks.sources.project_reports import ProjectReportAdapter
from tasks.sources.submissions.adapter import SubmissionAdapter
from tasks.sources.waste import WasteFeedAdapter

REGISTRY: dict[str, SourceAdapter] = {
    "air": CnemcAirAdapter(),
    "water": CnemcWaterAdapter(),
    "waste": WasteFeedAdapter(),
    "submissions": SubmissionAdapter(),
    "project_reports": ProjectReportAdapter(),
    "drinking_water_sources": DrinkingWaterSourcesAdapter(),
}


def get(name: str) -> SourceAdapter:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UsageError(f"unknown source {name!r}; known sources: {', '.join(sorted(REGISTRY))}") from None
