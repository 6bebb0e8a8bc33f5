"""Surface water per RULES.md §2: each section's monthly class, then the regions' 优良 and 劣Ⅴ ratios.

Means come from SQL over the deduplicated readings (warehouse/compute/water_*.sql); classes from
tasks.standards.water (GB 3838-2002, closed bounds, lake TP limits for lakes and reservoirs).
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import duckdb
import pandas as pd

from tasks.compute import store as indicator_store
from tasks.core import sql
from tasks.core.periods import Period
from tasks.core.warehouse import insert_frame, transaction
from tasks.standards import water
from tasks.standards.rounding import round_half_even
from tasks.standards.rules import ECOFLOW_RULES

WATER_INDICATORS = ("water_good_ratio", "water_worse_v_ratio")
RULES_VERSION = f"GB3838-2002|环办〔2011〕22号 ; {ECOFLOW_RULES}"
SECTION_COLUMNS = ["section_code", "province", "basin", "section_name", "period", "water_body", "parameter_means",
                   "parameter_classes", "readings", "readings_all", "water_class", "worst_parameters",
                   "rules_version", "batch_ids", "water_body_source", "platform_classes", "class_disagreements"]
#: The items the platform's per-reading 水质类别 is computed from (the automatic stations' partial class).
PLATFORM_CLASS_ITEMS = ("ph", "do", "codmn", "nh3n", "tp")
SectionKey = tuple[str, str, str]  # province, basin, section name: how the feed names a section


def classify_means(means: dict[str, float], water_body: str) -> tuple[dict[str, int], int | None, list[str]]:
    """Class of every evaluated parameter, the section's class (the worst) and the parameters that set it."""
    classes = {p: water.classify(p, v, water_body) for p, v in sorted(means.items()) if p in water.EVALUATED}
    if not classes:
        return classes, None, []
    worst = max(classes.values())
    return classes, worst, [p for p, c in classes.items() if c == worst]


def section_months(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """One row per section with readings in the month: means, counts, class (marts.water_section_month)."""
    found = con.execute(sql.load("compute/water_section_means"),
                        {"first": period.first_day, "last": period.last_day}).fetchdf()
    published = con.execute(sql.load("compute/water_reading_classes"),
                            {"first": period.first_day, "last": period.last_day}).fetchdf()
    by_section = {key: grp for key, grp in published.groupby(["province", "basin", "section_name"], sort=True)}
    rows = []
    for (province, basin, name), grp in found.groupby(["province", "basin", "section_name"], sort=True):
        first = grp.iloc[0]
        reported, disagreements = platform_classes(by_section.get((province, basin, name)), first["water_body"])
        means = {r.parameter: float(r.mean_value) for r in grp.itertuples(index=False)
                 if isinstance(r.parameter, str) and pd.notna(r.mean_value)}
        classes, worst, worst_params = classify_means(means, first["water_body"])
        rows.append({
            "section_code": first["section_code"] if pd.notna(first["section_code"]) else None,
            "province": province, "basin": basin, "section_name": name, "period": str(period),
            "water_body": first["water_body"],
            "parameter_means": json.dumps({p: round(v, 6) for p, v in sorted(means.items())}, ensure_ascii=False),
            "parameter_classes": json.dumps(classes), "readings": int(first["readings"]),
            "readings_all": int(first["readings_all"]), "water_class": worst,
            "worst_parameters": ",".join(worst_params) or None, "rules_version": RULES_VERSION,
            "batch_ids": list(first["batch_ids"]), "water_body_source": first["water_body_source"],
            "platform_classes": json.dumps(reported, ensure_ascii=False), "class_disagreements": disagreements,
        })
    frame = pd.DataFrame(rows, columns=SECTION_COLUMNS)
    frame["water_class"] = frame["water_class"].astype("Int64")
    return frame


def platform_classes(readings: pd.DataFrame | None, water_body: str) -> tuple[dict[str, int], int]:
    """The classes the platform published for a section's valid readings (label -> count), and how many readings
    it classed otherwise than GB 3838 does on the same items and water body. A lake the platform classes by river
    TP limits shows up here, as does a platform rule we do not follow."""
    if readings is None:
        return {}, 0
    counts: dict[str, int] = defaultdict(int)
    disagreements = 0
    for reading in readings.itertuples(index=False):
        label = reading.class_reported or ""
        if label not in water.CLASS_LABELS.values():
            continue
        counts[label] += 1
        values = {p: float(getattr(reading, p)) for p in PLATFORM_CLASS_ITEMS if pd.notna(getattr(reading, p))}
        ours = water.section_class(values, water_body) if values else None
        disagreements += ours is not None and water.CLASS_LABELS[ours] != label
    return dict(sorted(counts.items())), disagreements


def _ratio(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    return float(round_half_even(Decimal(numerator) * 100 / Decimal(denominator), 1))


def span_classes(months: pd.DataFrame) -> dict[SectionKey, tuple[int | None, list[str]]]:
    """Class of each section over several months (year to date, rolling 12 months): the class of the mean of its
    monthly means [D]."""
    result = {}
    for key, grp in months.groupby(["province", "basin", "section_name"], sort=True):
        sums: dict[str, list[float]] = defaultdict(list)
        for means in grp["parameter_means"]:
            for p, v in json.loads(means).items():
                sums[p].append(v)
        avg = {p: float(sum(Decimal(repr(x)) for x in xs) / len(xs)) for p, xs in sums.items()}
        _, worst, _ = classify_means(avg, grp["water_body"].iloc[0])
        batches = sorted({b for ids in grp["batch_ids"] for b in ids})
        result[tuple(key)] = (worst, batches)
    return result


def indicator_rows(lists: pd.DataFrame, spans: dict[str, dict[SectionKey, tuple[int | None, list[str]]]],
                   period: Period) -> list[dict]:
    """water_good_ratio and water_worse_v_ratio for every region with an assessment list, one row per period type
    of `spans` (its section classes): a region whose sections have no class in a span gets a null value."""
    rows = []
    for region, grp in lists.groupby("region_code", sort=True):
        listed = [(r.province, r.basin, r.section_name) for r in grp.itertuples(index=False)]
        for period_type, classes in spans.items():
            evaluated = {k: classes[k] for k in listed if k in classes and classes[k][0] is not None}
            good = sum(1 for c, _ in evaluated.values() if c <= 3)
            worse_v = sum(1 for c, _ in evaluated.values() if c == 6)
            batches = sorted({b for _, ids in evaluated.values() for b in ids})
            for code, numerator in (("water_good_ratio", good), ("water_worse_v_ratio", worse_v)):
                rows.append({
                    "indicator_code": code, "region_code": region, "period": str(period),
                    "period_type": period_type, "variant": "raw", "value": _ratio(numerator, len(evaluated)),
                    "numerator": float(numerator), "denominator": float(len(evaluated)),
                    "coverage_ok": bool(listed) and len(evaluated) == len(listed),
                    "rules_version": RULES_VERSION, "batch_ids": batches, "coverage_unit": "sections",
                    "coverage_valid": len(evaluated), "coverage_expected": len(listed),
                    "notes": None if len(evaluated) == len(listed) else
                    "not evaluated: " + "、".join(k[2] for k in listed if k not in evaluated),
                })
    return rows


def compute_indicators(con: duckdb.DuckDBPyConnection, period: Period) -> int:
    """The regions' ratios for the month, the year to date and the rolling 12 months, from the stored section
    months, against the assessment list of the period's year."""
    stored = con.execute(sql.load("compute/water_sections_of_year"),
                         {"first_period": str(period.shift(-11)), "period": str(period)}).fetchdf()
    this_month = stored[stored["period"] == str(period)]
    month = {(r.province, r.basin, r.section_name): (None if pd.isna(r.water_class) else int(r.water_class),
                                                     list(r.batch_ids))
             for r in this_month.itertuples(index=False)}
    spans = {"month": month}
    for period_type, months in (("ytd", period.months_of_year_to_date()), ("r12", period.months_of_rolling_12())):
        spans[period_type] = span_classes(stored[stored["period"].isin([str(m) for m in months])])
    lists = con.execute(sql.load("compute/water_assessment_lists"), {"year": period.year}).fetchdf()
    rows = indicator_rows(lists, spans, period)
    return indicator_store.replace(con, str(period), WATER_INDICATORS, rows, period_types=("month", "ytd", "r12"))


def compute_period(con: duckdb.DuckDBPyConnection, period: Period) -> dict[str, int]:
    """Section months and the ratios of the month, and those of the later months whose YTD or rolling 12 months
    include it, in one transaction."""
    sections = section_months(con, period)
    with transaction(con):
        con.execute(sql.load("compute/water_section_month_clear"), {"period": str(period)})
        if len(sections):
            insert_frame(con, "marts.water_section_month", sections)
        values = compute_indicators(con, period)
        for later in indicator_store.later_months(con, period, WATER_INDICATORS):
            values += compute_indicators(con, later)
    return {"sections": len(sections), "indicator_values": values}
