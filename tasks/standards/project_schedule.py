"""Whether a key project is on schedule in a month: its plan line, and the judgement of its monthly report.

The plan is a straight line over the project's years [D]: from 0 % at the start of January of its first year to
100 % at the end of December of its last, month by month. Where the catalogue has yearly milestones
(project_milestones.csv) they replace the line: the planned share runs straight from one year end's milestone to
the next. Investment follows the same planned share of the budget [D]. A project is behind when its 形象进度 or its
cumulative investment (as a share of the budget) lags the plan by more than the tolerance, in percentage points.
Pure functions: tasks/compute/project_status.py reads the warehouse and stores what is judged here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from tasks.core.periods import Period

Status = Literal["on_schedule", "behind", "not_reported", "awaiting", "not_started", "no_plan"]
#: What a status means to a reader (Chinese, as the digest and the assessment print it).
STATUS_ZH: dict[str, str] = {
    "on_schedule": "按计划推进", "behind": "滞后", "not_reported": "未按时报送", "awaiting": "待报送",
    "not_started": "未到实施年限", "no_plan": "无分年计划（按报送情况）",
}
#: Statuses that count toward "behind for a second month" (a missed report is as bad as a lag).
LAGGING = ("behind", "not_reported")
DEFAULT_TOLERANCE_PP = 10.0   # [D] percentage points of lag allowed before a project is behind
DEFAULT_DEADLINE_DAY = 10     # [D] the month's sheet is due by this day of the next month


def tolerance_pp() -> float:
    """The lag allowed, in percentage points (ECOFLOW_PROJECT_TOLERANCE_PP, default 10)."""
    return float(os.environ.get("ECOFLOW_PROJECT_TOLERANCE_PP", DEFAULT_TOLERANCE_PP))


def deadline_day() -> int:
    """Day of the next month by which a month's project sheet is due (ECOFLOW_PROJECT_DEADLINE_DAY, default 10)."""
    return int(os.environ.get("ECOFLOW_PROJECT_DEADLINE_DAY", DEFAULT_DEADLINE_DAY))


@dataclass(frozen=True)
class Plan:
    start_year: int | None
    end_year: int | None
    budget_wan: float | None
    milestones: dict[int, float] = field(default_factory=dict)   # year -> cumulative % planned by its end


@dataclass(frozen=True)
class Report:
    progress_pct: float
    invest_to_date_wan: float


@dataclass(frozen=True)
class Judgement:
    status: Status
    planned_pct: float | None
    planned_invest_wan: float | None
    reasons: tuple[str, ...] = ()


def planned_share(plan: Plan, period: Period) -> float | None:
    """% of the project planned done by the end of `period`; None when the plan gives no years."""
    if plan.start_year is None or plan.end_year is None:
        return None
    if period.year < plan.start_year:
        return 0.0
    if period.year > plan.end_year:
        return 100.0
    if plan.milestones:
        before = _milestone_at(plan, period.year - 1)
        at_end = _milestone_at(plan, period.year)
        return before + (at_end - before) * period.month / 12
    total = (plan.end_year - plan.start_year + 1) * 12
    elapsed = (period.year - plan.start_year) * 12 + period.month
    return 100.0 * elapsed / total


def _milestone_at(plan: Plan, year: int) -> float:
    """The cumulative share at the end of `year`: its milestone, else straight between the neighbouring ones."""
    if year < plan.start_year:
        return 0.0
    if year in plan.milestones:
        return plan.milestones[year]
    known = {plan.start_year - 1: 0.0, plan.end_year: 100.0, **plan.milestones}
    lower = max(y for y in known if y < year)
    upper = min(y for y in known if y > year)
    return known[lower] + (known[upper] - known[lower]) * (year - lower) / (upper - lower)


def judge(plan: Plan, report: Report | None, period: Period, *, overdue: bool,
          tolerance: float | None = None) -> Judgement:
    """The project's status for the month: from its report against the plan, or from the lack of one."""
    tol = tolerance_pp() if tolerance is None else tolerance
    planned = planned_share(plan, period)
    planned_invest = plan.budget_wan * planned / 100 if planned is not None and plan.budget_wan else None
    if report is None:
        if planned == 0.0:
            return Judgement("not_started", planned, planned_invest)
        if overdue:
            return Judgement("not_reported", planned, planned_invest, (f"{period} 项目月调度表未按时报送",))
        return Judgement("awaiting", planned, planned_invest)
    if planned is None:
        return Judgement("no_plan", None, None)
    reasons = []
    if report.progress_pct < planned - tol:
        reasons.append(f"形象进度 {_pct(report.progress_pct)}%，计划 {_pct(planned)}%，"
                       f"滞后 {_pct(planned - report.progress_pct)} 个百分点")
    if plan.budget_wan:
        share = 100 * report.invest_to_date_wan / plan.budget_wan
        if share < planned - tol:
            reasons.append(f"累计完成投资 {report.invest_to_date_wan:,.2f} 万元（概算的 {_pct(share)}%），"
                           f"计划 {planned_invest:,.2f} 万元（{_pct(planned)}%）")
    return Judgement("behind" if reasons else "on_schedule", planned, planned_invest, tuple(reasons))


def due_date(period: Period) -> date:
    """The day the sheet for `period` is due: day N of the next month."""
    following = period.shift(1)
    return date(following.year, following.month, deadline_day())


def is_overdue(period: Period, as_of: date) -> bool:
    """Whether the sheet for `period` is late on `as_of` (the deadline has passed)."""
    return as_of > due_date(period)


def _pct(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
