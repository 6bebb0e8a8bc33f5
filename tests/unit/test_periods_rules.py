"""Explicit monthly periods, the month a scheduled run takes, coverage minimums and rules versions by date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pendulum
import pytest

from tasks.core.errors import UsageError
from tasks.core.periods import TZ, Period
from tasks.scheduling.steps import period_of_run
from tasks.standards.rules import ECOFLOW_RULES, rules_for_day, rules_version


def test_parse_accepts_year_month() -> None:
    period = Period.parse("2019-01")
    assert (period.year, period.month, str(period)) == (2019, 1, "2019-01")
    assert (period.first_day, period.last_day) == (date(2019, 1, 1), date(2019, 1, 31))


@pytest.mark.parametrize("text", ["2019-13", "2019-00", "19-01", "2019-1", "2019/01", "2019-01-01", "", "201901"])
def test_parse_rejects_malformed_months(text: str) -> None:
    with pytest.raises(UsageError, match="YYYY-MM"):
        Period.parse(text)


def test_previous_to_a_scheduled_run_in_shanghai() -> None:
    assert Period.previous_to(datetime(2019, 2, 3, 10, 0, tzinfo=TZ)) == Period(2019, 1)


def test_previous_to_uses_shanghai_not_utc_at_the_turn_of_the_year() -> None:
    # 2019-01-01 00:30 in Shanghai is still 2018-12-31 16:30 UTC: the previous month is December 2018,
    # not November (what the UTC date would give).
    moment = datetime(2018, 12, 31, 16, 30, tzinfo=UTC)
    assert moment.astimezone(TZ) == datetime(2019, 1, 1, 0, 30, tzinfo=TZ)
    assert Period.previous_to(moment) == Period(2018, 12)


@pytest.mark.parametrize(("text", "days"), [("2019-02", 25), ("2020-02", 25), ("2019-01", 27), ("2019-04", 27),
                                            ("2019-12", 27)])
def test_min_valid_days(text: str, days: int) -> None:
    assert Period.parse(text).min_valid_days == days


def test_leap_february_has_29_days() -> None:
    assert len(Period.parse("2020-02").days) == 29
    assert len(Period.parse("2019-02").days) == 28


def test_months_of_year_to_date() -> None:
    assert [str(p) for p in Period.parse("2019-03").months_of_year_to_date()] == ["2019-01", "2019-02", "2019-03"]


def test_rules_version_spans_both_aqi_standards_across_2026_03_01() -> None:
    days = [date(2026, 2, 27) + timedelta(days=i) for i in range(4)]  # 02-27 .. 03-02
    version = rules_version(["HJ633-2012", "HJ633-2026"], days)
    assert "HJ633-2012" in version and "HJ633-2026" in version
    assert "GB3095-2012" in version and "GB3095-2026-transition" in version
    assert version.endswith(f" ; {ECOFLOW_RULES}")


def test_rules_version_by_date_of_data_not_the_standards_given() -> None:
    assert rules_for_day(date(2026, 2, 28)).startswith("HJ633-2012|")
    assert rules_for_day(date(2026, 3, 1)).startswith("HJ633-2026|")
    version = rules_version(["HJ633-2026"], [date(2019, 1, 1), date(2019, 1, 31)])
    assert "HJ633-2026" not in version and version.startswith("HJ633-2012|")


def test_period_of_run_uses_the_param_when_given() -> None:
    context = {"params": {"period": "2019-03"},
               "data_interval_start": pendulum.datetime(2019, 2, 3, 10, tz="Asia/Shanghai")}
    assert period_of_run(context) == "2019-03"


def test_period_of_run_rejects_a_malformed_param() -> None:
    with pytest.raises(UsageError):
        period_of_run({"params": {"period": "2019-13"}})


def test_period_of_run_without_param_takes_the_month_before_the_data_interval() -> None:
    context = {"params": {"period": None},
               "data_interval_start": pendulum.datetime(2019, 2, 3, 10, tz="Asia/Shanghai")}
    assert period_of_run(context) == "2019-01"


def test_period_of_run_data_interval_in_utc_is_read_in_shanghai() -> None:
    # The scheduler hands over UTC: 2019-02-28 20:00 UTC is 2019-03-01 04:00 in Shanghai -> February.
    context = {"params": {}, "data_interval_start": pendulum.datetime(2019, 2, 28, 20, tz="UTC")}
    assert period_of_run(context) == "2019-02"


def test_period_of_run_without_param_or_interval_fails() -> None:
    with pytest.raises(ValueError, match="period"):
        period_of_run({"params": {}, "data_interval_start": None, "logical_date": None})
