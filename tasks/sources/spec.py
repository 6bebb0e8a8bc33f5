"""Every source declared once: how it arrives, which adapter reads it, what it computes, which DAG runs it, who
reviews it and what readers call it. The registry, the computations, the reports plugin, the recomputation DAG's
schedule, the CLI, the bulletin and the review notices read this table; `tests/unit/test_source_spec.py` proves
each entry resolves (adapter, suite, raw table, computation, DAG, review policy, Asset).

Adding a source: its adapter module in `tasks/sources/`, one entry here, its suite in `expectations/`, its raw
table in a `warehouse/migrations/` file and its computation in `tasks/compute/` (with its SQL).

Plain data with no import of its own, so any layer may read it (the layering test allows this one module).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Mode = Literal["fetch", "poll", "inbox"]


@dataclass(frozen=True)
class SourceSpec:
    name: str               # the key everywhere: ledger, raw tables' batches, CLI, Assets
    mode: Mode              # fetch: pulled per month over HTTP; poll: captured as published; inbox: dropped by a
    #                         department in the inbox folder
    adapter: str            # "module:Class" implementing tasks.sources.base.SourceAdapter
    computation: str        # module with compute_period(con, period) -> counts
    dag_id: str             # the DAG that ingests and validates it; its readers may read the source's reports
    schedule: str           # that DAG's cron, Asia/Shanghai
    label: str              # short Chinese name (bulletin, 月报)
    title_zh: str           # full Chinese name (review notices)
    value_unit: str         # what one value of a batch is, so a review counts values, not lines
    review: Literal["steward", "sender"]   # steward: failing rows wait for the source's stewards
    #                         (warehouse/catalogue/review_policy.csv); sender: the form goes back to its department
    recomputes: bool = True  # its indicators' Asset schedules indicators_recompute
    feeds_indicators: bool = True   # a month of it changes indicator values (so that month is evaluated again)
    month_dag_id: str | None = None   # a polled source's month is computed by a DAG of its own
    month_schedule: str | None = None

    @property
    def asset_name(self) -> str:
        """The Asset its computation updates (indicators_recompute schedules on those with `recomputes`)."""
        return f"ecoflow_{self.name}_indicators"

    @property
    def asset_uri(self) -> str:
        return f"file:///ecoflow/warehouse/{self.name}_indicators"


SPECS: tuple[SourceSpec, ...] = (
    SourceSpec(name="air", mode="fetch", adapter="tasks.sources.cnemc_air:CnemcAirAdapter",
               computation="tasks.compute.air", dag_id="air_quality_monthly", schedule="0 10 3 * *",
               label="环境空气", title_zh="环境空气质量（国控站点）", value_unit="个站点小时数值", review="steward"),
    SourceSpec(name="water", mode="poll", adapter="tasks.sources.cnemc_water:CnemcWaterAdapter",
               computation="tasks.compute.water", dag_id="water_realtime_capture", schedule="5 */4 * * *",
               label="地表水", title_zh="地表水水质（自动监测站）", value_unit="个断面监测值", review="steward",
               month_dag_id="water_quality_monthly", month_schedule="0 11 3 * *"),
    SourceSpec(name="waste", mode="fetch", adapter="tasks.sources.waste:WasteFeedAdapter",
               computation="tasks.compute.waste", dag_id="waste_monthly", schedule="0 10 10 * *",
               label="固废与污水", title_zh="固体废物与污水处理", value_unit="条设施填报数", review="steward"),
    SourceSpec(name="submissions", mode="inbox", adapter="tasks.sources.submissions.adapter:SubmissionAdapter",
               computation="tasks.compute.submitted", dag_id="submissions_inbox", schedule="*/10 * * * *",
               label="部门报送", title_zh="部门月调度报送", value_unit="项指标值", review="sender"),
    SourceSpec(name="project_reports", mode="inbox", adapter="tasks.sources.project_reports:ProjectReportAdapter",
               computation="tasks.compute.project_status", dag_id="submissions_inbox", schedule="*/10 * * * *",
               label="重点项目调度", title_zh="重点项目月调度报送", value_unit="个项目填报数", review="sender",
               recomputes=False, feeds_indicators=False),   # read by the quarterly assessment and the digests
    SourceSpec(name="drinking_water_sources", mode="inbox",
               adapter="tasks.sources.drinking_water_sources:DrinkingWaterSourcesAdapter",
               computation="tasks.compute.drinking_water", dag_id="submissions_inbox", schedule="*/10 * * * *",
               label="饮用水水源地", title_zh="饮用水水源地水质月报", value_unit="项水源地监测值", review="sender",
               recomputes=False),   # its months reach indicators_recompute through the inbox's submissions Asset
)

BY_NAME: dict[str, SourceSpec] = {s.name: s for s in SPECS}


def names(*modes: Mode) -> list[str]:
    """The sources in declaration order, only those arriving by `modes` when given."""
    return [s.name for s in SPECS if not modes or s.mode in modes]


def spec(name: str) -> SourceSpec:
    try:
        return BY_NAME[name]
    except KeyError:
        from tasks.core.errors import UsageError

        raise UsageError(f"unknown source {name!r}; known sources: {', '.join(BY_NAME)}") from None


def title(name: str, default: str) -> str:
    """The source's full Chinese name, or `default` for a source no longer declared."""
    return BY_NAME[name].title_zh if name in BY_NAME else default


def label(name: str, default: str | None = None) -> str:
    """The source's short Chinese name; for a source no longer declared (old ledger rows) `default`, or the name."""
    return BY_NAME[name].label if name in BY_NAME else (name if default is None else default)
