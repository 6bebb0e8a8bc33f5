"""The alert rules (catalogue/alert_rules.csv) as pure verdicts, and the projection they rely on."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.alert import rules as alert_rules
from tasks.alert.rules import RuleConfig
from tasks.core.periods import Period
from tasks.evaluate.evaluation import AWAITING, IN_PROGRESS, MET, MISSED, THIN, Path, meets, project


@pytest.mark.parametrize(("comparator", "value", "target", "digits", "expected"), [
    (">=", 84.8, 84.9, 1, False),
    (">=", 84.9, 84.9, 1, True),
    ("<=", 34.4, 34, 0, True),    # PM2.5 is judged as an integer: 34.4 -> 34 meets <= 34
    ("<=", 34.5, 34, 0, True),    # half-even: 34.5 -> 34
    ("<=", 35.5, 34, 0, False),   # 35.5 -> 36
    ("<=", 34.4, 34, None, False),  # without evaluation precision the raw value would miss
])
def test_meets_at_evaluation_precision(comparator: str, value: float, target: float, digits: int | None,
                                       expected: bool) -> None:
    assert meets(comparator, value, target, digits) is expected


def test_unknown_comparator_is_a_catalogue_error() -> None:
    with pytest.raises(ValueError, match="targets.csv"):
        meets("==", 1.0, 1.0, None)


def facts(**over: object) -> dict:
    base = {"indicator_code": "air_good_day_ratio", "region_code": "150100", "period": "2025-03", "variant": "raw",
            "status": MET, "reason": "", "value": 85.0, "coverage_ok": True, "basis_period_type": "ytd",
            "basis_period": "2025-03", "target_kind": "value", "comparator": ">=", "target_value": 80.0,
            "target_text": None, "projected_value": None, "projected_from": None, "projected_meets": None,
            "direction": "higher_is_better", "obtained_by": "computed", "frequency": "monthly",
            "coverage_valid": 88, "coverage_expected": 90, "month_coverage_valid": 28,
            "last_year_value": None, "last_year_coverage_ok": None,
            "r12_periods": None, "r12_values": None, "r12_ok": None}
    return {**base, **over}


CFG = RuleConfig("x", True, 3, tolerance=2.0, months=3, deadline_day=10)
TODAY = date(2025, 4, 20)


def verdict(rule: str, cfg: RuleConfig = CFG, as_of: date = TODAY, **over: object) -> alert_rules.Verdict:
    return alert_rules.VERDICTS[rule](facts(**over), cfg, as_of)


def test_below_target_follows_the_status() -> None:
    assert verdict("below_target", status=MISSED).fire is True
    assert verdict("below_target", status=MET).fire is False
    assert verdict("below_target", status=THIN).fire is None  # nothing to judge: an open alert stays
    assert verdict("below_target", status=AWAITING).fire is None


def test_projected_miss_only_while_the_year_is_in_progress() -> None:
    during = {"status": IN_PROGRESS}
    assert verdict("projected_miss", projected_meets=False, projected_value=78.2, **during).fire is True
    assert verdict("projected_miss", projected_meets=True, projected_value=81.0, **during).fire is False
    superseded = verdict("projected_miss", status=MISSED, projected_meets=False, projected_value=70.0)
    assert superseded.fire is False and "年末未达标" in superseded.reason            # December: the year is judged
    assert verdict("projected_miss", status=MET, projected_meets=True).fire is False
    assert verdict("projected_miss", projected_meets=None, **during).fire is None  # no earlier year to project from
    assert verdict("projected_miss", status=THIN, projected_meets=False).fire is None


def test_a_winter_month_far_above_the_annual_limit_alerts_nothing_when_the_projection_meets() -> None:
    # Hohhot's January PM2.5 YTD of 65 against ≤ 34 a year: in progress, projected 31 from earlier years
    winter = {"status": IN_PROGRESS, "direction": "lower_is_better", "value": 65.0, "comparator": "<=",
              "target_value": 34.0, "projected_value": 31.0, "projected_meets": True, "period": "2025-01",
              "last_year_value": 64.0, "last_year_coverage_ok": True, "unit": "μg/m³", "month_coverage_valid": 31}
    cfg = RuleConfig("x", True, 3, deadline_day=10)
    fired = [rule for rule in alert_rules.RULES
             if rule != "sustained_decline" and alert_rules.VERDICTS[rule](facts(**winter), cfg, TODAY).fire]
    assert fired == []


@pytest.mark.parametrize(("direction", "now", "before", "fires"), [
    ("higher_is_better", 82.0, 85.0, True),    # 3 points worse > tolerance 2
    ("higher_is_better", 83.5, 85.0, False),   # 1.5 points: within the tolerance
    ("higher_is_better", 83.0, 85.0, False),   # exactly the tolerance is not more than it
    ("lower_is_better", 38.0, 35.0, True),     # PM2.5 up by 3
    ("lower_is_better", 30.0, 35.0, False),    # better
])
def test_regression_is_direction_aware(direction: str, now: float, before: float, fires: bool) -> None:
    v = verdict("regression_yoy", direction=direction, value=now, last_year_value=before,
                last_year_coverage_ok=True)
    assert v.fire is fires
    if fires:
        assert v.detail["worse_by"] == pytest.approx(abs(now - before))


def test_regression_needs_both_years_complete() -> None:
    assert verdict("regression_yoy", value=80.0, last_year_value=90.0, last_year_coverage_ok=False).fire is None
    assert verdict("regression_yoy", value=80.0, last_year_value=None).fire is None
    assert verdict("regression_yoy", value=80.0, last_year_value=90.0, last_year_coverage_ok=True,
                   coverage_ok=False).fire is None


def r12(values: list[float | None], end: str = "2025-03") -> dict:
    last = Period.parse(end)
    periods = [str(last.shift(-i)) for i in range(len(values) - 1, -1, -1)]
    return {"r12_periods": periods, "r12_values": values, "r12_ok": [v is not None for v in values]}


def test_sustained_decline_needs_every_step_worse() -> None:
    assert verdict("sustained_decline", **r12([86.0, 85.5, 85.1, 84.0])).fire is True     # 3 declines in a row
    assert verdict("sustained_decline", **r12([86.0, 85.5, 85.6, 84.0])).fire is False    # one month recovered
    assert verdict("sustained_decline", **r12([85.5, 85.1, 84.0])).fire is None           # too short a series
    assert verdict("sustained_decline", **r12([86.0, None, 85.1, 84.0])).fire is None     # a gap
    lower = verdict("sustained_decline", direction="lower_is_better", **r12([30.0, 31.0, 32.5, 33.0]))
    assert lower.fire is True and lower.detail["from"] == "2024-12"


def test_missing_waits_for_the_deadline() -> None:
    awaiting = {"status": AWAITING, "basis_period": None, "obtained_by": "submitted", "value": None}
    assert verdict("missing", as_of=date(2025, 4, 10), **awaiting).fire is None    # due by the 10th: not yet late
    late = verdict("missing", as_of=date(2025, 4, 11), **awaiting)
    assert late.fire is True and late.detail["deadline"] == "2025-04-10" and "报送" in late.reason
    assert verdict("missing", as_of=date(2025, 4, 11), basis_period="2025-03", obtained_by="submitted").fire is False
    # a feed's data is never chased from a department: that is data_gap's, for the operators
    feed = {"status": THIN, "basis_period": None, "value": None, "month_coverage_valid": None}
    assert verdict("missing", as_of=date(2025, 5, 1), **feed).fire is False
    assert verdict("missing", as_of=date(2025, 5, 1), obtained_by="submitted", obtained_as="not_monitored",
                   **feed).fire is False


def test_a_feed_gap_waits_for_the_deadline_and_clears_when_the_data_lands() -> None:
    gap = verdict("data_gap", as_of=date(2025, 5, 1), status=THIN, basis_period=None, value=None,
                  month_coverage_valid=None)
    assert gap.fire is True and "监测数据未入库" in gap.reason and gap.detail["deadline"] == "2025-04-10"
    assert verdict("data_gap", as_of=date(2025, 4, 10), month_coverage_valid=None).fire is None
    # a month without data whose YTD still stands on the earlier months (e.g. no water captured in March)
    assert verdict("data_gap", as_of=date(2025, 5, 1), month_coverage_valid=0).fire is True
    assert verdict("data_gap", as_of=date(2025, 5, 1)).fire is False
    assert verdict("data_gap", obtained_by="submitted", month_coverage_valid=None).fire is None
    # the month itself missing is data_gap's alone: thin_data waits
    assert verdict("thin_data", status=THIN, coverage_ok=False, month_coverage_valid=None).fire is None


@pytest.mark.parametrize(("unit", "before", "now", "fires"), [
    ("%", 85.0, 82.9, True),            # ratios: 2 percentage points by default
    ("%", 85.0, 83.0, False),
    ("μg/m³", 40.0, 41.9, False),       # concentrations: 5 % of last year's value (2.0)
    ("μg/m³", 40.0, 42.1, True),
])
def test_regression_default_tolerance_is_2_points_for_ratios_and_5_percent_otherwise(
        unit: str, before: float, now: float, fires: bool) -> None:
    direction = "higher_is_better" if unit == "%" else "lower_is_better"
    v = verdict("regression_yoy", cfg=RuleConfig("regression_yoy", True, None), unit=unit, direction=direction,
                value=now, last_year_value=before, last_year_coverage_ok=True)
    assert v.fire is fires


def test_a_relative_tolerance_is_a_share_of_last_years_value() -> None:
    cfg = RuleConfig("regression_yoy", True, None, tolerance=5.0, tolerance_relative=True)
    base = {"direction": "lower_is_better", "last_year_value": 60.0, "last_year_coverage_ok": True}
    assert verdict("regression_yoy", cfg=cfg, value=62.9, **base).fire is False    # 3 < 5 % of 60
    fired = verdict("regression_yoy", cfg=cfg, value=63.1, **base)
    assert fired.fire is True and fired.detail["tolerance"] == "5%"


def test_an_annual_value_is_due_once_a_year() -> None:
    annual = {"status": AWAITING, "basis_period": None, "obtained_by": "submitted", "frequency": "annual"}
    assert verdict("missing", as_of=date(2026, 6, 1), **annual).fire is None       # March: not the year's end
    december = verdict("missing", as_of=date(2026, 1, 11), period="2025-12", **annual)
    assert december.fire is True and december.detail["deadline"] == "2026-01-10"
    # last year's value carried into this December is not this year's submission
    carried = {**annual, "status": MET, "basis_period": "2024-06"}
    assert verdict("missing", as_of=date(2026, 1, 11), period="2025-12", **carried).fire is True
    assert verdict("missing", as_of=date(2026, 1, 11), period="2025-12", **{**carried, "basis_period": "2025-06"}
                   ).fire is False


def test_an_annual_value_is_judged_in_the_month_it_was_submitted_not_again_every_month() -> None:
    annual = {"obtained_by": "submitted", "frequency": "annual", "basis_period_type": "submitted",
              "status": MISSED, "basis_period": "2025-03"}
    assert verdict("below_target", period="2025-03", **annual).fire is True
    assert verdict("below_target", period="2025-07", **annual).fire is None  # carried: March's alert stands


def test_thin_data_only_when_a_value_exists_but_is_incomplete() -> None:
    assert verdict("thin_data", status=THIN, coverage_ok=False, reason="data incomplete").fire is True
    # complete data and an assigned target nobody configured: the bureau's catalogue to fix, not the department's
    assert verdict("thin_data", status=THIN, coverage_ok=True, target_kind="assigned", target_value=None).fire \
        is None
    assert verdict("thin_data", status=THIN, basis_period=None).fire is None  # nothing at all: that is `missing`
    assert verdict("thin_data", status=MET).fire is False


def test_config_for_prefers_the_indicator_row() -> None:
    rules = {("regression_yoy", "*"): RuleConfig("regression_yoy", True, 3, tolerance=0.0),
             ("regression_yoy", "air_pm25_mean"): RuleConfig("regression_yoy", True, 3, tolerance=3.0)}
    assert alert_rules.config_for(rules, "regression_yoy", "air_pm25_mean").tolerance == 3.0
    assert alert_rules.config_for(rules, "regression_yoy", "water_good_ratio").tolerance == 0.0
    assert alert_rules.config_for(rules, "missing", "water_good_ratio") is None


def test_an_override_row_takes_the_default_rows_parameters_it_leaves_empty() -> None:
    rules = {("missing", "*"): RuleConfig("missing", True, 2, deadline_day=15),
             ("missing", "forest_grass_coverage"): RuleConfig("missing", True, 4)}
    cfg = alert_rules.config_for(rules, "missing", "forest_grass_coverage")
    assert (cfg.deadline_day, cfg.escalate_after) == (15, 4)


def test_projection_scales_the_ytd_by_the_earlier_years_growth_to_december() -> None:
    # RULES §4: YTD to March 80 × mean(79/75, 72/72 ... ) — earlier years' full-year ÷ same-months YTD
    p = project(80.0, 3, [Path(2023, 75.0, 78.75), Path(2024, 70.0, 77.0)])   # 1.05 and 1.10: mean 1.075
    assert p.value == pytest.approx(86.0) and p.years == (2023, 2024)
    assert project(80.0, 12, []).value == 80.0               # December: the YTD is the year
    assert project(80.0, 3, []).value is None                # no earlier year: no projection, none invented
    assert project(None, 3, [Path(2024, 1.0, 2.0)]).value is None
    assert project(99.0, 3, [Path(2024, 90.0, 95.0)], 0, 100).value == 100   # bounded by the indicator's range


def test_projection_takes_the_latest_three_years_only() -> None:
    years = [Path(2020, 10.0, 100.0), Path(2021, 10.0, 5.0), Path(2022, 10.0, 5.0), Path(2023, 10.0, 5.0)]
    p = project(60.0, 1, years)
    assert p.value == pytest.approx(30.0) and p.years == (2021, 2022, 2023)


def test_a_ratio_projects_its_day_counts() -> None:
    # January 2024: 20 good days of 31 (64.5 %); the year 300 of 365 (82.2 %). January 2025: 22 of 31 (71.0 %).
    # Good days grow × 15, valid days × 365/31: the projection is 71.0 × 15 / (365/31) = 90.5, the same as
    # projecting 22 × 15 = 330 good days of 365.
    p = project(71.0, 1, [Path(2024, 64.5, 82.2, 20, 300, 31, 365)])
    assert p.value == pytest.approx(71.0 * 15 / (365 / 31))
    assert round(p.value, 1) == round(71.0 / (22 / 31 * 100) * 330 / 365 * 100, 1)
