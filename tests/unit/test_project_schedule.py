"""The plan line of a key project and the judgement of its month (docs/projects.md: behind schedule)."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.core.periods import Period
from tasks.standards.project_schedule import Plan, Report, due_date, is_overdue, judge, planned_share

THREE_YEARS = Plan(2023, 2025, 3600.0)
FARMLAND = Plan(2021, 2025, 136500.0, {2021: 19.6, 2022: 43.4, 2023: 67.0, 2024: 86.1, 2025: 100.0})


def test_a_straight_line_over_the_years_month_by_month() -> None:
    assert planned_share(THREE_YEARS, Period(2022, 12)) == 0.0
    assert planned_share(THREE_YEARS, Period(2023, 3)) == pytest.approx(100 * 3 / 36)
    assert planned_share(THREE_YEARS, Period(2024, 6)) == pytest.approx(50.0)
    assert planned_share(THREE_YEARS, Period(2025, 12)) == pytest.approx(100.0)
    assert planned_share(THREE_YEARS, Period(2026, 1)) == 100.0


def test_milestones_replace_the_line_within_each_year() -> None:
    assert planned_share(FARMLAND, Period(2021, 12)) == pytest.approx(19.6)
    assert planned_share(FARMLAND, Period(2023, 6)) == pytest.approx(43.4 + (67.0 - 43.4) / 2)
    # a straight line over 2021-2025 would say 50 % at the end of June 2023
    assert planned_share(Plan(2021, 2025, None), Period(2023, 6)) == pytest.approx(50.0)


def test_a_project_without_years_has_no_plan_line() -> None:
    plan = Plan(None, None, 4491.52)
    assert planned_share(plan, Period(2025, 1)) is None
    assert judge(plan, Report(10, 100), Period(2025, 1), overdue=True, tolerance=10).status == "no_plan"
    assert judge(plan, None, Period(2025, 1), overdue=True, tolerance=10).status == "not_reported"


def test_progress_lagging_by_more_than_the_tolerance_is_behind() -> None:
    # end of June 2024: 50 % planned, 1800 万元 planned
    on_time = judge(THREE_YEARS, Report(41, 1800), Period(2024, 6), overdue=False, tolerance=10)
    assert (on_time.status, on_time.planned_pct, on_time.planned_invest_wan) == ("on_schedule", 50.0, 1800.0)
    late = judge(THREE_YEARS, Report(39, 1800), Period(2024, 6), overdue=False, tolerance=10)
    assert late.status == "behind"
    assert late.reasons == ("形象进度 39%，计划 50%，滞后 11 个百分点",)


def test_cumulative_investment_lagging_is_behind_even_when_progress_is_on_plan() -> None:
    late = judge(THREE_YEARS, Report(50, 1400), Period(2024, 6), overdue=False, tolerance=10)
    assert late.status == "behind"
    assert late.reasons == ("累计完成投资 1,400.00 万元（概算的 38.9%），计划 1,800.00 万元（50%）",)


def test_the_tolerance_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOFLOW_PROJECT_TOLERANCE_PP", "15")
    assert judge(THREE_YEARS, Report(39, 1800), Period(2024, 6), overdue=False).status == "on_schedule"
    monkeypatch.setenv("ECOFLOW_PROJECT_TOLERANCE_PP", "5")
    assert judge(THREE_YEARS, Report(44, 1800), Period(2024, 6), overdue=False).status == "behind"


def test_no_sheet_is_not_reported_only_after_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    assert due_date(Period(2025, 1)) == date(2025, 2, 10)
    assert not is_overdue(Period(2025, 1), date(2025, 2, 10))
    assert is_overdue(Period(2025, 1), date(2025, 2, 11))
    monkeypatch.setenv("ECOFLOW_PROJECT_DEADLINE_DAY", "5")
    assert is_overdue(Period(2025, 12), date(2026, 1, 6))
    assert judge(THREE_YEARS, None, Period(2024, 1), overdue=False, tolerance=10).status == "awaiting"
    assert judge(THREE_YEARS, None, Period(2024, 1), overdue=True, tolerance=10).status == "not_reported"
    assert judge(THREE_YEARS, None, Period(2022, 1), overdue=True, tolerance=10).status == "not_started"
