"""Data gaps reach someone who can fix them: every computed indicator's feed has operators, and a command."""

from __future__ import annotations

import csv
from datetime import date

from tasks.alert import digest_content, feed_operators
from tasks.catalogue.check import CATALOGUE_DIR
from tasks.core.periods import Period


def test_every_computed_indicator_has_a_feed_with_operators() -> None:
    with (CATALOGUE_DIR / "indicators.csv").open(encoding="utf-8") as fh:
        computed = [r["indicator_code"] for r in csv.DictReader(fh) if r["obtained_by"] == "computed"]
    with (CATALOGUE_DIR / "feed_operators.csv").open(encoding="utf-8") as fh:
        operated = {r["source"] for r in csv.DictReader(fh)}
    feeds = {code: feed_operators.feed_of(code) for code in computed}
    assert feeds["air_pm25_mean"] == "air" and feeds["water_good_ratio"] == "water"
    assert feeds["hazardous_waste_disposal_rate"] == "waste"
    assert set(feeds.values()) <= operated


def test_the_command_fetches_the_month_again() -> None:
    assert feed_operators.command("air", "2025-08") == "ecoflow run air --period 2025-08"
    assert "water-capture" in feed_operators.command("water", "2025-08")
    assert feed_operators.command("water", "2025-08").endswith("ecoflow run water --period 2025-08")


def test_the_ask_names_the_reply_date_of_the_dispatch_month() -> None:
    by = digest_content.reply_by(Period(2025, 12), 20)
    assert by == date(2026, 1, 20)
    assert digest_content.ask("projected_miss", by) == "请于1月20日前反馈原因分析及拟采取的措施。"
    assert digest_content.ask("missing", by).startswith("请于1月20日前补报")
