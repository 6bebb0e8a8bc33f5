"""How values and targets read in Chinese, shared by the bulletin and the alert digests."""

from __future__ import annotations

import re

from tasks.standards.rounding import round_half_even

COMPARATOR_ZH = {">=": "≥", "<=": "≤", ">": "＞", "<": "＜", "=": "="}


def number(value: float | None, digits: int | None) -> str:
    """A value at evaluation precision (half even on the decimal, GB/T 8170); '—' when there is none."""
    if value is None:
        return "—"
    if digits is None:
        return f"{value:g}"
    return str(round_half_even(value, digits))


def with_unit(value: float | None, unit: str, digits: int | None = None) -> str:
    """E.g. 98.0%, 65 μg/m³; '—' when there is no value."""
    if value is None:
        return "—"
    return number(value, digits) + ("%" if unit == "%" else "" if unit in ("—", "") else " " + unit)


# -- dates, periods and rules as a reader of an official notice reads them ---------------------------------------------

_ISO_DAY = re.compile(r"(?<![A-Za-z0-9_-])(\d{4})-(\d{2})-(\d{2})(?![A-Za-z0-9_.-])")   # not inside a file name
_ISO_MONTH = re.compile(r"(?<![A-Za-z0-9_-])(\d{4})-(0[1-9]|1[0-2])(?![A-Za-z0-9_.-])")
_STANDARD = re.compile(r"^(GB/T|GB|HJ)\s*(\d)")
_OWN_RULES = re.compile(r"^ecoflow-rules-(\d+)$")
_RULE_PARTS = {"submitted": "部门报送值", "RULES§3": "固废、污水与饮用水计算方法"}


def period_zh(period: str | None) -> str:
    """2025-01 → 2025年1月 (anything else as it is)."""
    return dates_zh(period or "")


def dates_zh(text: str | None) -> str:
    """ISO days and months inside a sentence as an official text writes them: 截至 2025-02-10 → 截至2025年2月10日,
    （2025-01） → （2025年1月）."""
    if not text:
        return ""
    text = _ISO_DAY.sub(lambda m: f"{int(m[1])}年{int(m[2])}月{int(m[3])}日", text)
    text = _ISO_MONTH.sub(lambda m: f"{int(m[1])}年{int(m[2])}月", text)
    return re.sub(r"(?<=[\u4e00-\u9fff]) (?=\d{4}年)", "", text)


def rules_zh(rules_version: str | None) -> str:
    """A value's rules version for readers: the standards with their numbers as printed (HJ 633-2012), the
    bureau's rules by their part, and the product's rule set by its edition — never the internal codes."""
    if not rules_version:
        return ""
    head, _, own = rules_version.partition(" ; ")
    parts = []
    for token in (t.strip() for chunk in head.split(" + ") for t in chunk.split("|")):
        if token and token not in parts:
            parts.append(token)
    words = [_RULE_PARTS.get(t) or _STANDARD.sub(r"\1 \2", t) for t in parts]
    edition = _OWN_RULES.match(own.strip())
    return "、".join(dict.fromkeys(words)) + (f"（计算规则第{edition[1]}版）" if edition else "")
