"""集中式饮用水水源地水质优良比例 (national 23; RULES §3): sources whose every evaluated item meets class Ⅲ ÷ sources
evaluated × 100, by count, and — RULES §3's option — by volume.

Two ways in, by region (docs/rules.md D6):

* **Source by source**, where the catalogue lists the region's sources (drinking_water_sources.csv): the environment
  bureau's monthly 水源地水质月报 gives each source's items as measured, and each source is judged item by item
  (tasks.standards.drinking_water). The value is the year so far: a source meets the standard for the year only if
  it met it in every month it was monitored (全年均达标), so December's value is the year's. By volume, the water
  taken from a source in a month that met the standard ÷ the water taken from the sources monitored, January to
  the month (variant `by_volume`).
* **Two counts**, where it does not (yet): the bureau's 月调度 gives the sources evaluated and those meeting class Ⅲ
  in every item, and the product computes the ratio, refusing counts that cannot both be true.

Both are stored as the indicator's submitted value of the month (1 decimal, half-even), judged against the annual
target in December and 进行中 before (RULES §4).
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import duckdb

from tasks.core import sql
from tasks.core.periods import Period
from tasks.sources.submissions import drinking_water as sheet
from tasks.sources.submissions import template
from tasks.standards import drinking_water as standard
from tasks.standards.rounding import round_half_even
from tasks.standards.rules import ECOFLOW_RULES

RATIO = template.DERIVED
EVALUATED, MEETING = template.DERIVED_INPUTS
INPUTS = (EVALUATED, MEETING)
BY_VOLUME = "by_volume"
SHEET_RULES_VERSION = f"{standard.RULES_VERSION} ; {ECOFLOW_RULES}"


def ratio_value(meeting: float, evaluated: float) -> tuple[float | None, str | None]:
    """The ratio at 1 decimal, or None with the reason when the counts cannot give one."""
    if evaluated <= 0:
        return None, f"no source evaluated ({EVALUATED} = {evaluated:g})"
    if meeting > evaluated:
        return None, f"{MEETING} {meeting:g} exceeds {EVALUATED} {evaluated:g}"
    if meeting != int(meeting) or evaluated != int(evaluated):
        return None, f"source counts must be whole numbers ({meeting:g} of {evaluated:g})"
    return _percent(Decimal(int(meeting)), Decimal(int(evaluated))), None


def _percent(part: Decimal, whole: Decimal) -> float:
    return float(round_half_even(part * 100 / whole, 1))


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


# -- source by source -------------------------------------------------------------------------------------------------

def compute_period(con: duckdb.DuckDBPyConnection, period: Period) -> dict[str, int]:
    """A source sheet's month (the registry's entry for `drinking_water_sources`): the month's submitted values, and
    those of the later months of the year that hold a sheet, whose year so far depends on this month."""
    from tasks.compute import submitted

    counts = submitted.compute_period(con, period)
    later = sql.rows(con, "queries/drinking_water_sheet_months", {"period": str(period),
                                                                   "year_end": f"{period.year:04d}-12"})
    for month in (Period.parse(r["period"]) for r in later):
        counts["indicator_values"] += submitted.compute_period(con, month)["indicator_values"]
    return counts


def with_sheets(con: duckdb.DuckDBPyConnection, period: Period, rows: list[dict]) -> list[dict]:
    """`rows` with the ratio of every region that has a source sheet for the period computed from its sheets (by
    count and by volume), replacing a ratio from counts there."""
    results = sql.rows(con, "compute/drinking_water_results", {"first": f"{period.year:04d}-01",
                                                                 "period": str(period)})
    listed: dict[str, list[dict]] = defaultdict(list)
    for s in sql.rows(con, "queries/drinking_water_sources_of_year", {"year": period.year}):
        listed[s["region_code"]].append(s)
    by_region: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_region[r["region_code"]].append(r)
    computed = []
    for region, found in sorted(by_region.items()):
        if listed.get(region) and any(r["period"] == str(period) for r in found):
            computed += year_so_far(region, period, listed[region], found)
    regions = {r["region_code"] for r in computed}
    return [r for r in rows if not (r["indicator_code"] == RATIO and r["region_code"] in regions)] + computed


def judge_months(listed: list[dict], results: list[dict]) -> dict[str, dict[str, standard.SourceMonth]]:
    """period -> source code -> the source's month, for every month with a sheet (a listed source the sheet left
    blank is in it, not evaluated)."""
    cells: dict[str, dict[str, dict]] = defaultdict(lambda: defaultdict(dict))
    for r in results:
        reading = standard.Reading(r["value"], bool(r["below_detection"]), r["detection_limit"])
        cells[r["period"]][r["source_code"]][r["item"]] = (reading, r["value_text"])
    return {month: {s["source_code"]: standard.judge_month(s["source_code"], month, s["source_kind"],
                                                             s["water_body"], s["background_items"] or [],
                                                             found.get(s["source_code"], {}))
                    for s in listed}
            for month, found in sorted(cells.items())}


def year_so_far(region: str, period: Period, listed: list[dict], results: list[dict]) -> list[dict]:
    """The region's two rows for the period (by count: variant raw; by volume), from its sheets of January to the
    period. Notes are for people (Chinese, names not codes); the lineage keeps each source's months."""
    months = judge_months(listed, results)
    names = {s["source_code"]: s["name_zh"] for s in listed}
    evaluated = [s for s in names if any(m[s].evaluated for m in months.values())]
    met = [s for s in evaluated if all(m[s].met for m in months.values() if m[s].evaluated)]
    now = months[str(period)]
    span = f"{period.year}年1月" if period.month == 1 else f"{period.year}年1—{period.month}月"
    missing_months = [f"{p.month}月" for p in (Period(period.year, n) for n in range(1, period.month + 1))
                      if str(p) not in months]
    never = [names[s] for s in names if s not in evaluated]
    complete = not missing_months and not never
    notes = [f"{span}参评水源地{len(evaluated)}个，各次监测均达标{len(met)}个；本月参评"
             f"{sum(m.evaluated for m in now.values())}个、达标{sum(m.met for m in now.values())}个"]
    failing = [f"{names[s]}（{_month_zh(p)}：{'、'.join(m[s].failing + m[s].unjudged)}）"
               for p, m in months.items() for s in names if m[s].evaluated and not m[s].met]
    notes += [f"未达标：{'；'.join(failing)}"] if failing else []
    background = [f"{s['name_zh']}的{'、'.join(_background_names(s))}" for s in listed if s["background_items"]]
    notes += [f"天然本底项目不参评：{'；'.join(background)}"] if background else []
    notes += [f"未报送月份：{'、'.join(missing_months)}"] if missing_months else []
    notes += [f"尚未参评的水源地：{'、'.join(never)}"] if never else []
    batches = sorted({r["batch_id"] for r in results})
    latest = next(r for r in reversed(results) if r["period"] == str(period))
    lines = [r["source_line"] for r in results if r["period"] == str(period) and r.get("source_line") is not None]
    cells = f"{sheet.VALUE_COLUMN}{min(lines)}:{sheet.VALUE_COLUMN}{max(lines)}" if lines else None
    lineage = json.dumps({
        "department_code": latest["department_code"], "department_name": latest["department_name"],
        "file_name": latest["file_name"], "sheet": sheet.SHEET, "cell": cells,
        "received_at": latest["received_at"].isoformat(),
        "months": {p: next(r["file_name"] for r in results if r["period"] == p) for p in months},
        "sources": [{"source_code": s, "name_zh": names[s], "months_evaluated": [p for p, m in months.items()
                                                                               if m[s].evaluated],
                     "met_every_month": s in met,
                     "failing": {p: m[s].failing + m[s].unjudged for p, m in months.items() if m[s].failing
                                 or m[s].unjudged}} for s in names],
    }, ensure_ascii=False)
    base = {"indicator_code": RATIO, "region_code": region, "period": str(period), "period_type": "submitted",
            "rules_version": SHEET_RULES_VERSION, "batch_ids": batches, "coverage_unit": "submission",
            "coverage_valid": len(months), "coverage_expected": period.month, "lineage": lineage}
    count_value = _percent(Decimal(len(met)), Decimal(len(evaluated))) if evaluated else None
    rows = [{**base, "variant": "raw", "value": count_value, "numerator": float(len(met)),
             "denominator": float(len(evaluated)), "coverage_ok": complete and count_value is not None,
             "notes": "；".join(notes if evaluated else [*notes, "无参评水源地"])}]
    taken = [(p, s, m[s]) for p, m in months.items() for s in names if m[s].evaluated]
    no_volume = [f"{names[s]}（{_month_zh(p)}）" for p, s, one in taken if one.supply is None]
    total = sum((Decimal(repr(one.supply)) for _, _, one in taken if one.supply is not None), Decimal(0))
    good = sum((Decimal(repr(one.supply)) for _, _, one in taken if one.supply is not None and one.met), Decimal(0))
    volume = _percent(good, total) if taken and not no_volume and total > 0 else None
    volume_notes = [f"{span}参评水源地取水量{_wan(total)}万吨，其中达标水量{_wan(good)}万吨"]
    volume_notes += [f"缺少取水量：{'、'.join(no_volume)}"] if no_volume else []
    volume_notes += notes[1:]
    rows.append({**base, "variant": BY_VOLUME, "value": volume, "numerator": float(good), "denominator": float(total),
                 "coverage_ok": complete and volume is not None, "notes": "；".join(volume_notes)})
    return rows


def _background_names(source: dict) -> list[str]:
    items = standard.items_for(source["source_kind"], source["water_body"])
    return [i.name_zh for i in items if i.code in (source["background_items"] or [])]


def _month_zh(period: str) -> str:
    return f"{int(period[5:7])}月"


def _wan(amount: Decimal) -> str:
    return f"{amount.normalize():f}" if amount else "0"
