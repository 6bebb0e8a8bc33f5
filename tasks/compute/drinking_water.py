"""集中式饮用水水源地水质优良比例 (national 23; RULES §3): sources whose every evaluated item meets class Ⅲ ÷ sources
evaluated × 100, by count, computed from two counts the environment bureau submits each month.

There is no source-monitoring feed: the bureau's monitoring reports judge each source item by item, and its 月调度
gives the sources evaluated and those meeting class Ⅲ in every evaluated item. The product computes the ratio
(1 decimal, half-even), so the rule is applied the same way in every region and month, and refuses counts that
cannot both be true (more sources meeting class Ⅲ than evaluated; none evaluated).
"""

from __future__ import annotations

import json
from decimal import Decimal

from tasks.sources.submissions import template
from tasks.standards.rounding import round_half_even

RATIO = template.DERIVED
EVALUATED, MEETING = template.DERIVED_INPUTS
INPUTS = (EVALUATED, MEETING)


def ratio_value(meeting: float, evaluated: float) -> tuple[float | None, str | None]:
    """The ratio at 1 decimal, or None with the reason when the counts cannot give one."""
    if evaluated <= 0:
        return None, f"no source evaluated ({EVALUATED} = {evaluated:g})"
    if meeting > evaluated:
        return None, f"{MEETING} {meeting:g} exceeds {EVALUATED} {evaluated:g}"
    if meeting != int(meeting) or evaluated != int(evaluated):
        return None, f"source counts must be whole numbers ({meeting:g} of {evaluated:g})"
    return float(round_half_even(Decimal(int(meeting)) * 100 / Decimal(int(evaluated)), 1)), None


def derive(rows: list[dict], lineage_of: dict[tuple[str, str], dict]) -> list[dict]:
    """Ratio rows for every region with both counts submitted for the period, replacing a ratio submitted directly
    (an older template) there. `rows` are the submitted rows to store, `lineage_of` maps (region, code) to the
    cell each count came from."""
    counts: dict[str, dict[str, dict]] = {}
    for row in rows:
        if row["indicator_code"] in INPUTS:
            counts.setdefault(row["region_code"], {})[row["indicator_code"]] = row
    both = {region for region, found in counts.items() if set(found) >= set(INPUTS)}
    out = [r for r in rows if not (r["indicator_code"] == RATIO and r["region_code"] in both)]
    for region in sorted(both):
        found = counts[region]
        meeting, evaluated = found[MEETING], found[EVALUATED]
        value, why = ratio_value(float(meeting["value"]), float(evaluated["value"]))
        out.append({
            **{k: evaluated[k] for k in ("region_code", "period", "period_type", "variant", "rules_version",
                                         "coverage_unit", "coverage_valid", "coverage_expected")},
            "indicator_code": RATIO, "value": value, "coverage_ok": value is not None,
            "numerator": float(meeting["value"]), "denominator": float(evaluated["value"]), "notes": why,
            "batch_ids": sorted(set(meeting["batch_ids"]) | set(evaluated["batch_ids"])),
            "lineage": json.dumps({**lineage_of[(region, MEETING)], "computed_from": {
                code: lineage_of[(region, code)]["cell"] for code in INPUTS}}, ensure_ascii=False),
        })
    return out
