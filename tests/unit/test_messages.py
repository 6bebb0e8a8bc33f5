"""The Chinese message catalogue: every text a reader sees is Chinese (Latin only from the allowlist: units,
pollutants, standard numbers), every validation rule has words, and the check that the rendering tests use
catches what it must."""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path

import pytest

from tasks.core.settings import REPO_ROOT
from tasks.notify import messages

CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")   # indicator codes, rule ids and batch ids look like this


def visible(page: str) -> str:
    """What a reader of an HTML page sees: no style, script, tags or attributes; entities decoded."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def assert_reads_chinese(text: str, where: str) -> None:
    """No Latin word outside the allowlist and nothing that looks like an internal code."""
    assert not messages.latin_words(text), f"{where}: Latin words {messages.latin_words(text)[:10]}"
    codes = [c for c in CODE.findall(messages._FILE_NAME.sub(" ", text))]
    assert not codes, f"{where}: internal codes {codes[:10]}"


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize("name", ["REPORT", "RECEIPT", "RULES_ZH"])
def test_every_catalogue_text_reads_chinese(name: str) -> None:
    texts = _strings(getattr(messages, name))
    assert texts
    for text in texts:
        assert_reads_chinese(re.sub(r"\{\w+\}", "", text), f"messages.{name}: {text}")


def test_the_check_catches_english_and_codes_and_passes_units_and_file_names() -> None:
    assert messages.latin_words("2 cell(s) fail the checks; nothing taken") == \
        ["cell", "s", "fail", "the", "checks", "nothing", "taken"]
    assert messages.latin_words("PM2.5浓度为35 μg/m³，按GB 3838-2002评价，文件china_sites_20190102.csv第3行") == []
    assert messages.latin_words("请修改G8单元格和AB12单元格") == [] and messages.latin_words("b2226529") == ["b2226529"]
    with pytest.raises(AssertionError, match="msw_collected"):
        assert_reads_chinese("指标 msw_collected 未报送", "example")


def test_every_validation_rule_has_words() -> None:
    """Each rule of the suites (expectations/*.json) and each rule the parsers raise is in RULES_ZH."""
    rules = set()
    for suite in (REPO_ROOT / "expectations").glob("*.json"):
        for expectation in json.loads(suite.read_text(encoding="utf-8"))["expectations"]:
            rules.add(expectation["meta"]["rule"])
    source = "\n".join(p.read_text(encoding="utf-8") for p in Path(REPO_ROOT / "tasks").rglob("*.py"))
    rules |= set(re.findall(r'"((?:parse|submission)\.[a-z_]+)"', source))
    rules -= {"submission.identified_by_meta", "submission.code_from_meta"}   # warnings the receipts leave out
    assert rules - set(messages.RULES_ZH) == set()


def test_rule_words_never_fall_back_to_english() -> None:
    assert messages.rule_zh("air.value_non_negative", "negative concentration") == "浓度不应为负值"
    assert messages.rule_zh("no.such_rule", "some English reason") == "未通过数据校验"
    assert messages.rule_zh("no.such_rule", "数值异常") == "数值异常"


def test_range_words_say_the_bounds_and_the_unit() -> None:
    assert messages.range_words(0, 100, "%") == "取值应在0—100之间"
    assert messages.range_words(0, None, "吨") == "取值应不小于0（单位：吨）"
    assert messages.range_words(None, None, None) == "取值超出允许范围"
