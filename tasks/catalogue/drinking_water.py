"""The drinking-water sources catalogue (drinking_water_sources.csv): the centralised sources each region's
集中式饮用水水源地水质优良比例 counts, what kind each is, which items are natural background, and from when.

A region with sources listed here is judged source by source from its environment bureau's monthly sheet
(tasks/sources/submissions/drinking_water.py); a region without any keeps the two counts in its 月调度 template.
Kept apart from tasks/catalogue/check.py, which calls `check_sources` from its checker.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tasks.standards import drinking_water as standard
from tasks.standards.water import WATER_BODIES

if TYPE_CHECKING:
    from tasks.catalogue.check import Row, _Checker

FILE = "drinking_water_sources.csv"
HEADER = ["source_code", "region_code", "name_zh", "source_kind", "water_body", "background_items", "from_year",
          "to_year", "source", "note"]
REQUIRED = ("source_code", "region_code", "name_zh", "source_kind", "from_year", "source")
INDICATOR = "drinking_water_source_good_ratio"
_SOURCE_CODE = re.compile(r"^(\d{6})-DW\d{2}$")


def check_sources(checker: _Checker, rows: list[Row], regions: dict[str, Row] | None) -> None:
    """Every problem of drinking_water_sources.csv through `checker` (file, line, column, message)."""
    f = FILE
    for row in rows:
        code = _SOURCE_CODE.match(row["source_code"]) if row["source_code"] else None
        if row["source_code"] and code is None:
            checker.flag(f, row, "source_code", f"{row['source_code']!r} is not <region_code>-DWnn")
        elif code and row["region_code"] and code.group(1) != row["region_code"]:
            checker.flag(f, row, "source_code", f"should start with its region code {row['region_code']}-")
        if regions is not None and row["region_code"] and row["region_code"] not in regions:
            checker.flag(f, row, "region_code", f"unknown region {row['region_code']!r}")
        kind_ok = checker.enum(f, row, "source_kind", standard.SOURCE_KINDS)
        if kind_ok and row["source_kind"] == "surface":
            if not row["water_body"]:
                checker.flag(f, row, "water_body", "a surface source needs river or lake (lakes and reservoirs: "
                                                   "the total phosphorus limit differs)")
            else:
                checker.enum(f, row, "water_body", WATER_BODIES)
        elif kind_ok and row["water_body"]:
            checker.flag(f, row, "water_body", "only a surface source has a water body")
        if kind_ok and row["background_items"] and "water_body" not in row.bad:
            known = {i.code for i in standard.items_for(row["source_kind"], row["water_body"] or None)}
            unknown = [c for c in row["background_items"].split(";") if c.strip() not in known]
            if unknown:
                checker.flag(f, row, "background_items", f"{', '.join(unknown)} is not an item of a "
                                                         f"{row['source_kind']} source")
        first = checker.integer(f, row, "from_year", 2000, 2100)
        last = checker.integer(f, row, "to_year", 2000, 2100)
        if first is not None and last is not None and last < first:
            checker.flag(f, row, "to_year", f"{last} is before from_year {first}")
    checker.unique(f, rows, ("source_code",), "source_code")


def sources_markdown(rows: list[dict[str, str]], regions: dict[str, dict[str, str]], table) -> list[str]:  # noqa: ANN001
    """docs/catalogue.md's section: each region's sources, their kind, background items and years."""
    lines = ["## Drinking-water sources", "",
             f"From `{FILE}`: the centralised sources each region's 集中式饮用水水源地水质优良比例 counts. A region "
             "listed here reports its sources item by item on the 水源地水质月报 and is judged source by source "
             "([rules D6](rules.md)); a region not listed reports two counts in its 月调度. 本底项目 are recorded "
             "but not judged (natural background).", ""]
    kinds = {"surface": "地表水", "groundwater": "地下水"}
    bodies = {"river": "（河流）", "lake": "（湖库）"}
    names = {}
    for kind in standard.SOURCE_KINDS:
        for body in (("river", "lake") if kind == "surface" else (None,)):
            names.update({(kind, i.code): i.name_zh for i in standard.items_for(kind, body)})
    return lines + table(["地区", "编码", "水源地", "类型", "本底项目", "年份", "依据", "说明"], (
        [f"{r['region_code']} {regions.get(r['region_code'], {}).get('name_zh', '?')}", r["source_code"],
         r["name_zh"], kinds.get(r["source_kind"], r["source_kind"]) + bodies.get(r["water_body"], ""),
         "、".join(names.get((r["source_kind"], c), c) for c in r["background_items"].split(";") if c) or "—",
         f"{r['from_year']}—{r['to_year']}", r["source"], r["note"]] for r in rows))
