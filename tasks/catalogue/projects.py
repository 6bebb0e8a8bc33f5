"""The key-project catalogue (projects.csv, project_milestones.csv): its checks and its section of docs/catalogue.md.

The projects are the ones the plans put under the monthly dispatch (月调度): Hohhot's 附件2 项目清单 (seed 003) and
Tumed Left's 重大工程表 (seed 002). Each names the department that reports it every month, the indicators it counts
toward, its years and budget in 万元 (the unit the source means, RESOLUTIONS.md §8), and, where the text gives them,
yearly milestones that replace the straight line of its schedule. Kept apart from tasks/catalogue/check.py, which calls
`check_projects` from its checker and `projects_markdown` from its doc.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tasks.catalogue.check import Row, _Checker

PROJECT_HEADERS: dict[str, list[str]] = {
    "projects.csv": ["project_code", "region_code", "domain", "seq", "name_zh", "indicator_codes", "indicator_text",
                     "task", "start_year", "end_year", "years_text", "budget_wan", "budget_text", "department_code",
                     "cooperating_departments", "unit_text", "project_type", "attainment_indicator", "source", "note"],
    "project_milestones.csv": ["project_code", "year", "planned_share", "milestone_zh", "source"],
}
PROJECT_REQUIRED: dict[str, tuple[str, ...]] = {
    "projects.csv": ("project_code", "region_code", "domain", "seq", "name_zh", "task", "budget_text",
                     "department_code", "unit_text", "project_type", "source"),
    "project_milestones.csv": ("project_code", "year", "planned_share", "milestone_zh", "source"),
}
# listed: 003's 项目清单 (untyped); consolidation: 指标巩固工程; attainment: 指标N达标工程 (makes indicator N meet its
# target: a 进度预警 on that indicator puts the project on the leading group's list).
PROJECT_TYPES: dict[str, str] = {"listed": "清单项目", "consolidation": "指标巩固工程", "attainment": "指标达标工程"}
_PROJECT_CODE = re.compile(r"^(\d{6})-P(\d{2})$")


def check_projects(checker: _Checker, tables: dict[str, list[Row] | None], departments: dict[str, Row] | None,
                   indicators: dict[str, Row] | None, regions: dict[str, Row] | None) -> None:
    """Report every problem of the two project files through `checker` (file, line, column, message)."""
    from tasks.catalogue.check import DOMAINS

    f = "projects.csv"
    projects = tables.get(f)
    by_code: dict[str, Row] = {}
    if projects is not None:
        for row in projects:
            _check_project(checker, row, departments, indicators, regions, DOMAINS)
            if row["project_code"] and "project_code" not in row.bad:
                by_code.setdefault(row["project_code"], row)
        checker.unique(f, projects, ("project_code",), "project_code")
        checker.unique(f, projects, ("region_code", "seq"), "序号 of the region's list")
    milestones = tables.get("project_milestones.csv")
    if milestones is not None:
        _check_milestones(checker, milestones, by_code if projects is not None else None)


def _check_project(checker: _Checker, row: Row, departments: dict[str, Row] | None,
                   indicators: dict[str, Row] | None, regions: dict[str, Row] | None,
                   domains: tuple[str, ...]) -> None:
    f = "projects.csv"
    match = _PROJECT_CODE.match(row["project_code"])
    if row["project_code"] and not match:
        checker.flag(f, row, "project_code", f"{row['project_code']!r} is not <region_code>-P<two digits>")
    elif match and match.group(1) != row["region_code"]:
        checker.flag(f, row, "project_code", f"should start with its region code {row['region_code']}-")
    elif match and row["seq"] and match.group(2) != f"{int(row['seq']) if row['seq'].isdigit() else 0:02d}":
        checker.flag(f, row, "project_code", f"its number does not match 序号 {row['seq']}")
    if regions is not None and row["region_code"] and row["region_code"] not in regions:
        checker.flag(f, row, "region_code", f"unknown region {row['region_code']!r}")
    checker.enum(f, row, "domain", domains)
    checker.integer(f, row, "seq", 1, 99)
    codes = [c for c in row["indicator_codes"].split(";") if c]
    for code in codes:
        if indicators is not None and code not in indicators:
            checker.flag(f, row, "indicator_codes", f"unknown indicator {code!r}")
    if codes and not row["indicator_text"]:
        checker.flag(f, row, "indicator_text", "keep the plan's wording of the indicator beside its codes")
    if checker.enum(f, row, "project_type", PROJECT_TYPES):
        target = row["attainment_indicator"]
        if row["project_type"] == "attainment" and target not in codes:
            checker.flag(f, row, "attainment_indicator", "an attainment project (指标N达标工程) names the indicator it "
                                                         "makes meet its target, one of its indicator_codes")
        elif row["project_type"] != "attainment" and target:
            checker.flag(f, row, "attainment_indicator", "only an attainment project (指标N达标工程) has one")
    start = checker.integer(f, row, "start_year", 2000, 2100)
    end = checker.integer(f, row, "end_year", 2000, 2100)
    if (start is None) != (end is None) and not row.bad & {"start_year", "end_year"}:
        checker.flag(f, row, "end_year", "start_year and end_year go together (both empty when the plan gives none)")
    elif start is not None and end is not None and start > end:
        checker.flag(f, row, "end_year", f"{end} is before start_year {start}")
    budget = checker.number(f, row, "budget_wan")
    if budget is not None and budget <= 0:
        checker.flag(f, row, "budget_wan", f"{budget:g} 万元 is not a budget (leave it empty when the plan has none)")
    lead = row["department_code"]
    if departments is not None and lead and lead not in departments:
        checker.flag(f, row, "department_code", f"unknown department {lead!r} (departments.csv)")
    for code in (c for c in row["cooperating_departments"].split(";") if c):
        if departments is not None and code not in departments:
            checker.flag(f, row, "cooperating_departments", f"unknown department {code!r}")
        elif code == lead:
            checker.flag(f, row, "cooperating_departments", f"{code} is already the reporting department")


def _check_milestones(checker: _Checker, rows: list[Row], projects: dict[str, Row] | None) -> None:
    f = "project_milestones.csv"
    series: dict[str, list[tuple[int, float, Row]]] = {}
    for row in rows:
        year = checker.integer(f, row, "year", 2000, 2100)
        share = checker.number(f, row, "planned_share")
        if share is not None and not 0 < share <= 100:
            checker.flag(f, row, "planned_share", f"{share:g} is outside 0–100 (% of the project done by year end)")
            share = None
        project = projects.get(row["project_code"]) if projects is not None else None
        if projects is not None and row["project_code"] and project is None:
            checker.flag(f, row, "project_code", f"unknown project {row['project_code']!r}")
        elif project is not None and year is not None and project["start_year"] and project["end_year"]:
            if not int(project["start_year"]) <= year <= int(project["end_year"]):
                checker.flag(f, row, "year", f"{year} is outside the project's years {project['years_text']}")
        elif project is not None and not project["start_year"]:
            checker.flag(f, row, "project_code", "a milestone needs the project's years")
        if year is not None and share is not None and project is not None and not row.bad:
            series.setdefault(row["project_code"], []).append((year, share, row))
    for code, points in series.items():
        points.sort(key=lambda p: p[0])
        for (_, before, _), (_year, share, row) in zip(points, points[1:], strict=False):
            if share <= before:
                checker.flag(f, row, "planned_share", f"{share:g} does not rise over the year before ({before:g})")
        last_year, last_share, last_row = points[-1]
        end = projects[code]["end_year"] if projects else ""
        if end and last_year == int(end) and last_share != 100:
            checker.flag(f, last_row, "planned_share", "the last year of the project plans 100")
    checker.unique(f, rows, ("project_code", "year"), "milestone")


# ---- docs/catalogue.md ----------------------------------------------------------------------------------------------


def _read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in r.items()} for r in csv.DictReader(handle)]


def projects_markdown(folder: Path, regions: dict[str, dict[str, str]], departments: list[dict[str, str]],
                      table: Callable[[list[str], Iterable[list[str]]], list[str]]) -> list[str]:
    """The key-projects section: per region, the list as the plan numbers it, with budget in 万元 and owner."""
    names = {d["department_code"]: d["name_zh"] for d in departments}
    projects = _read(folder, "projects.csv")
    milestones = _read(folder, "project_milestones.csv")
    lines = ["## Key projects (月调度)", "",
             f"{len(projects)} projects from `projects.csv` (the plans' project lists; unit decisions in "
             "RESOLUTIONS.md §8), reported monthly by the department named (see [projects.md](projects.md)); "
             f"{len(milestones)} yearly milestones in `project_milestones.csv`. 投资 in 万元 as the source means it.",
             ""]
    for region in sorted({p["region_code"] for p in projects}):
        rows = sorted((p for p in projects if p["region_code"] == region), key=lambda p: int(p["seq"]))
        total = sum(float(p["budget_wan"]) for p in rows if p["budget_wan"])
        lines += [f"### {region} {regions[region]['name_zh']}", "",
                  f"{len(rows)} projects, 投资概算合计 {total:,.2f} 万元.", ""]
        lines += table(["序号", "项目", "领域", "考核指标", "年限", "投资（万元）", "报送单位", "类型"],
                       ([p["seq"], p["name_zh"], p["domain"], p["indicator_text"], p["years_text"],
                         f"{float(p['budget_wan']):,.2f}" if p["budget_wan"] else p["budget_text"],
                         names.get(p["department_code"], p["department_code"]),
                         PROJECT_TYPES[p["project_type"]] if p["project_type"] != "attainment"
                         else f"{p['indicator_text']}达标工程"] for p in rows))
    if milestones:
        lines += ["### Milestones", ""]
        lines += table(["项目", "年份", "计划完成（%）", "节点"],
                       ([m["project_code"], m["year"], m["planned_share"], m["milestone_zh"]] for m in milestones))
    return lines
