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


@pytest.mark.parametrize("name", ["REPORT", "RECEIPT", "RULES_ZH", "REVISION", "ASSESSMENT", "VERDICTS",
                                  "PROJECT_WATCH"])
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


BATCHES = {  # as meta.batches holds them (ids are source:file:sha256 prefix)
    "waste:waste_202501.csv:1a2b3c4d": {"source": "waste", "period": "2025-01", "file_name": "waste_202501.csv",
                                        "department_name": None},
    "waste:waste_202501.csv:9f8e7d6c": {"source": "waste", "period": "2025-01", "file_name": "waste_202501.csv",
                                        "department_name": None},
    "submissions:lcj.xlsx:5e6f7a8b": {"source": "submissions", "period": "2025-01", "file_name": "lcj.xlsx",
                                      "department_name": "呼和浩特市林业和草原局"},
    "submissions:林草局更正.xlsx:0a1b2c3d": {"source": "submissions", "period": "2025-01",
                                          "file_name": "林草局更正.xlsx", "department_name": "呼和浩特市林业和草原局"},
    **{f"air:china_sites_201901{d:02d}.csv:{d:08x}": {"source": "air", "period": "2019-01", "department_name": None,
                                                    "file_name": f"china_sites_201901{d:02d}.csv"} for d in (1, 2, 3)},
    "water:water_20210401T0800.html:77777777": {"source": "water", "period": "2021-04", "department_name": None,
                                               "file_name": "water_20210401T0800.html"},
}
AIR = [b for b in BATCHES if b.startswith("air:")]


def revision(old: list[str] | None, new: list[str] | None, *, rules: tuple[str, str] = ("r1", "r1"),
             new_value: float | None = 1.0) -> dict:
    return {"old_batch_ids": old, "new_batch_ids": new, "old_rules_version": rules[0], "new_rules_version": rules[1],
            "new_value": new_value}


@pytest.mark.parametrize(("row", "expected"), [
    (revision(["waste:waste_202501.csv:1a2b3c4d"], ["waste:waste_202501.csv:9f8e7d6c"]),
     "固废与污水2025年1月数据重新交付（“waste_202501.csv”，替换此前交付的同名文件）"),
    (revision(["submissions:lcj.xlsx:5e6f7a8b"], ["submissions:林草局更正.xlsx:0a1b2c3d"]),
     "呼和浩特市林业和草原局2025年1月报送更正（“林草局更正.xlsx”替换此前的“lcj.xlsx”）"),
    (revision([], AIR), "新增环境空气2019年1月数据（3个文件）"),
    (revision([], AIR[:2]), "新增环境空气2019年1月数据（“china_sites_20190101.csv”、“china_sites_20190102.csv”）"),
    (revision(AIR, AIR[:2]), "环境空气2019年1月数据不再计入（“china_sites_20190103.csv”）"),
    (revision([], ["water:water_20210401T0800.html:77777777"]), "新增地表水2021年4月数据（1个文件）"),
    (revision(AIR, AIR, rules=("ecoflow-rules-2", "ecoflow-rules-3")), "计算规则调整"),
    (revision(["waste:gone:00000000"], ["waste:unknown:11111111"]), "所用数据变更"),
    (revision(AIR, AIR), "输入未变，因规则或目录调整重新计算"),
    (revision(AIR, None, rules=("r1", None), new_value=None), "输入数据已不存在，不再计算"),
])
def test_a_revision_says_why_in_words_without_batch_ids(row: dict, expected: str) -> None:
    """The bulletin's 数值修订 reason names the source, the month and the files (or how many), never a batch id."""
    from tasks.report.bulletin import revision_reason_zh

    text = revision_reason_zh(row, BATCHES)
    assert text == expected
    assert_reads_chinese(text, "revision reason")
