"""Which months the recomputation refreshes: those the triggering Asset events name, or the period param."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tasks.core.errors import UsageError
from tasks.scheduling.steps import periods_to_refresh, publish_or_skip, publish_periods


def event(*periods: str) -> SimpleNamespace:
    return SimpleNamespace(extra={"periods": list(periods)})


def test_the_months_named_by_every_triggering_event_once_each() -> None:
    context = {"triggering_asset_events": {"air": [event("2025-01"), event("2025-02")],
                                           "waste": [event("2025-01")]}, "params": {"period": None}}
    assert periods_to_refresh(context) == ["2025-01", "2025-02"]


def test_a_manual_run_names_its_month() -> None:
    assert periods_to_refresh({"triggering_asset_events": {}, "params": {"period": "2024-12"}}) == ["2024-12"]


def test_nothing_named_is_an_error_not_a_silent_no_op() -> None:
    with pytest.raises(ValueError, match="nothing to refresh"):
        periods_to_refresh({"triggering_asset_events": {"air": [SimpleNamespace(extra={})]}, "params": {}})


def test_a_malformed_period_in_an_event_is_refused() -> None:
    with pytest.raises(UsageError, match="2025-13"):
        periods_to_refresh({"triggering_asset_events": {"air": [event("2025-13")]}, "params": {}})


def test_publishing_writes_the_sorted_months_into_the_outlet_event() -> None:
    accessor = SimpleNamespace(extra={})
    publish_periods({"outlet_events": {"asset": accessor}}, "asset", ["2025-02", "2025-01", "2025-02"])
    assert accessor.extra == {"periods": ["2025-01", "2025-02"]}


def test_nothing_changed_skips_the_publisher_so_no_asset_event_is_sent() -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    accessor = SimpleNamespace(extra={})
    with pytest.raises(AirflowSkipException):
        publish_or_skip({"outlet_events": {"asset": accessor}}, "asset", [])
    assert accessor.extra == {}
    assert publish_or_skip({"outlet_events": {"asset": accessor}}, "asset", ["2025-01"]) == ["2025-01"]
    assert accessor.extra == {"periods": ["2025-01"]}


def test_a_run_of_the_monthly_timetable_takes_the_month_before() -> None:
    from datetime import datetime

    from tasks.core.periods import TZ

    context = {"params": {"period": None}, "data_interval_start": datetime(2025, 3, 11, 12, tzinfo=TZ)}
    assert periods_to_refresh(context) == ["2025-02"]
