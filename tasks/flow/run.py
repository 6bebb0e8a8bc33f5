"""The run a delivery's steps carry: which source, which month, the ledger's run id and the settings it runs on.

A step takes the `Run` and nothing else about the delivery, so the CLI and the DAG tasks hand every step the same
thing. Airflow passes strings between tasks: `to_xcom` / `from_xcom` are the one place a run becomes text and back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from tasks.core.periods import Period
from tasks.core.settings import Settings

#: The steps a delivery goes through, in this order, whether the CLI or the DAGs run it. The steward's review sits
#: between `validate` and `land`: a person in Airflow, the run's policy on the CLI (tasks.flow.pipeline.run).
STEPS = ("fetch", "validate", "land", "compute", "evaluate", "alert", "bulletin")
#: How a CLI run decides a validation that needs a steward (tasks.flow.pipeline.run); here, not in the pipeline, so
#: that `ecoflow`'s argument parser names them without importing the pipeline (pandas, DuckDB: ~0.5 s a command).
REVIEW_POLICIES = ("safe", "accept-clean", "accept-all", "reject", "hold")

log = logging.getLogger("tasks.flow")


@dataclass(frozen=True)
class Run:
    source: str
    period: Period
    run_id: str
    settings: Settings

    def to_xcom(self) -> dict[str, str]:
        """What one DAG task hands the next (the settings are each worker's own)."""
        return {"source": self.source, "period": str(self.period), "run_id": self.run_id}

    @classmethod
    def from_xcom(cls, data: dict[str, Any], settings: Settings) -> Run:
        return cls(data["source"], Period.parse(data["period"]), data["run_id"], settings)

    def __str__(self) -> str:
        return f"{self.source} {self.period} (run {self.run_id})"


def step(name: str, *, source: str | None = None, period: Period | None = None, run_id: str | None = None) -> None:
    """Say that a step ran (the log line a run's trace and the tests read: which step, for what)."""
    log.info("step %s: %s %s %s", name, source or "-", period or "-", run_id or "-",
             extra={"step": name, "source": source, "period": str(period) if period else None, "run_id": run_id})
