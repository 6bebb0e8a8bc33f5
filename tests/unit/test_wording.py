"""How dates, periods and rule versions read in an official notice: Chinese dates without leading zeros, standard
numbers as printed, the product's rule set by its edition — never an internal code."""

from __future__ import annotations

import re

import pytest

from tasks.notify import messages
from tasks.notify.wording import dates_zh, period_zh, rules_zh


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-01", "2025年1月"),
    ("截至 2025-02-10 本月", "截至2025年2月10日 本月"),
    ("截至2025-02-10", "截至2025年2月10日"),
    ("（2024-12）", "（2024年12月）"),
    ("2025-03 预计年末值 96.8 可达到目标", "2025年3月 预计年末值 96.8 可达到目标"),
    ("waste_2025-01.csv", "waste_2025-01.csv"),          # a file's name is evidence: left as delivered
    ("2025-13", "2025-13"),
    ("", ""),
])
def test_dates_read_as_an_official_text_writes_them(text: str, expected: str) -> None:
    assert dates_zh(text) == expected


def test_a_period_reads_as_a_month() -> None:
    assert period_zh("2025-01") == "2025年1月" and period_zh(None) == ""


@pytest.mark.parametrize(("version", "expected"), [
    ("HJ633-2012|HJ663-2013|GB3095-2012 ; ecoflow-rules-4", "HJ 633-2012、HJ 663-2013、GB 3095-2012（计算规则第4版）"),
    ("HJ633-2012|HJ663-2013|GB3095-2012 + HJ633-2026|HJ663-2026|GB3095-2026 ; ecoflow-rules-4",
     "HJ 633-2012、HJ 663-2013、GB 3095-2012、HJ 633-2026、HJ 663-2026、GB 3095-2026（计算规则第4版）"),
    ("submitted ; ecoflow-rules-4", "部门报送值（计算规则第4版）"),
    ("RULES§3 ; ecoflow-rules-4", "固废、污水与饮用水计算方法（计算规则第4版）"),
    ("GB3838-2002|GB/T14848-2017 ; ecoflow-rules-4", "GB 3838-2002、GB/T 14848-2017（计算规则第4版）"),
    (None, ""),
])
def test_a_rules_version_reads_without_internal_codes(version: str | None, expected: str) -> None:
    assert rules_zh(version) == expected
    assert not messages.latin_words(expected)


def test_the_digest_texts_read_chinese() -> None:
    for text in messages.DIGEST.values():
        assert not messages.latin_words(re.sub(r"\{\w+\}", "", text)), text
