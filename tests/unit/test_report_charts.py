"""The 月报's charts: the same data draw the same PNG, drawn once per process; other data are drawn anew."""

from __future__ import annotations

import pytest

from tasks.notify import charts as notify_charts
from tasks.report import charts

MONTHS = [f"2024-{m:02d}" for m in range(2, 13)] + ["2025-01"]
CITIES = [{"region_name": "呼和浩特市", "good_ratio": 80.6, "good_text": "80.6%"},
          {"region_name": "包头市", "good_ratio": 74.2, "good_text": "74.2%"},
          {"region_name": "乌海市", "good_ratio": None, "good_text": "—"}]
TREND = [{"period": m, "good_ratio": 70.0 + i, "pm25": 40.0 - i} for i, m in enumerate(MONTHS) if i != 3]


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    if notify_charts._cjk_font_path() is None:
        pytest.fail("no CJK font installed: .ci/run installs fonts-wqy-zenhei")
    charts._city_bars.cache_clear()
    charts._trend.cache_clear()
    count: list[int] = []
    png = charts._png
    monkeypatch.setattr(charts, "_png", lambda fig: count.append(1) or png(fig))
    return count


def test_the_same_data_are_drawn_once(drawn: list[int]) -> None:
    first = charts.charts(CITIES, TREND, MONTHS)
    assert first["available"] and first["city"].startswith("data:image/png;base64,") and len(drawn) == 2
    again = charts.charts([dict(c) for c in CITIES], [dict(r) for r in TREND], list(MONTHS))
    assert again == first and len(drawn) == 2


def test_changed_data_are_drawn_anew_and_the_same_as_a_first_drawing(drawn: list[int]) -> None:
    first = charts.charts(CITIES, TREND, MONTHS)
    changed = [dict(CITIES[0], good_ratio=81.0, good_text="81.0%"), *CITIES[1:]]
    other = charts.charts(changed, TREND, MONTHS)
    assert other["city"] != first["city"] and other["trend"] == first["trend"] and len(drawn) == 3
    charts._city_bars.cache_clear()
    charts._trend.cache_clear()
    assert charts.charts(CITIES, TREND, MONTHS) == first and len(drawn) == 5   # drawn again: the same bytes
