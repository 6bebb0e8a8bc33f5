"""The quarterly assessment (季考核): per region its indicators, per department its projects and a score, and the
lists the leading group acts on. HTML always; PDF too when a headless Chromium is installed. The same content
(`assess`, rendered by tasks/templates/_assessment.html.j2) is a section of the 月报 of a quarter's last month
(tasks/report/monthly.py).

Indicators come from the evaluation of the quarter's last month (status, projected year-end, 同比 against the same
basis a year earlier); projects from tasks/compute/project_status.py judged as of the day the last month's sheets were
due (the day after, by default). The score per department follows warehouse/assessment/scheme.csv [D]
(docs/projects.md shows the sums). An indicator not yet due (RULES §4: an annual value is judged on the complete
year; in the year it is 进行中 or 待报送, never a miss) counts neither for nor against its department and is not on
the leading group's list: it is counted apart (`indicators_not_due`).

The 月报 shows the same numbers in short (`compact`: the lists, the scores and one line per region); this page keeps
the detail. Either way a project is listed once: one on the leading group's list (with why, its lag and the ask) is
left out of its unit's table.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from tasks.alert import rules
from tasks.compute.project_status import ProjectMonth, statuses, watch_list
from tasks.core import sql
from tasks.core.errors import ConfigError, UsageError
from tasks.core.periods import Period
from tasks.core.settings import REPO_ROOT, Settings
from tasks.evaluate.evaluation import AWAITING, IN_PROGRESS, MET, MISSED
from tasks.notify import messages
from tasks.notify.wording import COMPARATOR_ZH
from tasks.standards.project_schedule import due_date

SCHEME_PATH = REPO_ROOT / "warehouse" / "assessment" / "scheme.csv"
SCHEME_ITEMS = ("indicator_weight", "project_weight", "missed_report_penalty")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
ON_TRACK, OFF_TRACK, NOT_DUE, NOT_COUNTED = (messages.VERDICTS[k] for k in ("on_track", "off_track", "not_due",
                                                                               "not_counted"))
VERDICT_ORDER = (ON_TRACK, OFF_TRACK, NOT_DUE, NOT_COUNTED)
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run")


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = _QUARTER.match(text.strip())
        if not match:
            raise UsageError(f"quarter {text!r} is not in the form YYYY-QN (e.g. 2025-Q1)")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def months(self) -> list[Period]:
        return [Period(self.year, 3 * (self.number - 1) + m) for m in (1, 2, 3)]

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def zh(self) -> str:
        return f"{self.year}年第{'一二三四'[self.number - 1]}季度"

    @classmethod
    def ending(cls, period: Period) -> Quarter | None:
        """The quarter `period` closes (March → Q1, …), None for a month inside a quarter."""
        return cls(period.year, period.month // 3) if period.month % 3 == 0 else None


def load_scheme(path: Path = SCHEME_PATH) -> dict[str, float]:
    """The scoring scheme; a wrong row is named by file, line and column."""
    scheme: dict[str, float] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            if row.get("item") not in SCHEME_ITEMS:
                raise ConfigError(f"{path}, line {line}, column item: {row.get('item')!r} is not one of "
                                  f"{', '.join(SCHEME_ITEMS)}")
            try:
                scheme[row["item"]] = float(row["value"])
            except (TypeError, ValueError):
                raise ConfigError(f"{path}, line {line}, column value: {row.get('value')!r} is not a number") from None
    missing = [i for i in SCHEME_ITEMS if i not in scheme]
    if missing:
        raise ConfigError(f"{path}: no row for {', '.join(missing)}")
    return scheme


@dataclass
class DepartmentScore:
    department_code: str
    name_zh: str
    region_code: str = ""
    indicators_on_track: int = 0
    indicators_judged: int = 0
    indicators_not_due: int = 0       # led, but not yet due: shown as a count, never scored
    projects_on_schedule: int = 0
    projects_judged: int = 0
    missed_reports: int = 0
    invest_done_wan: float = 0.0
    invest_planned_wan: float = 0.0
    indicators: list[dict] = field(default_factory=list)
    projects: list[ProjectMonth] = field(default_factory=list)   # its table: those not on the leading group's list
    listed: int = 0                   # its projects on the leading group's list (shown there, not in its table)
    score: float = 0.0


def indicator_verdict(row: dict, *, overdue: bool) -> str:
    """How an indicator counts for the department that leads it [D] (RULES §4; docs/projects.md):
    需关注 — 未达标, a 进度预警 (the projected year-end misses the target) or a submission past its deadline
    (`overdue`: what the 逾期未报送 alert rule says); 正常 — 达标, or 进行中 with a projected year-end that meets the
    target; 未到考核期 — 待报送 before it is due (an annual value is due with December's dispatch) and 进行中 with no
    projection: judged on the complete year, never a miss in the year; 不计分 — 数据不足 and 未监测: data the system
    failed to obtain, or a region without a monitoring point, is never a department's fault."""
    status, projected_meets = row["status"], row["projected_meets"]
    if status == MISSED or (status in (MET, IN_PROGRESS) and projected_meets is False):
        return OFF_TRACK
    if status == MET:
        return ON_TRACK
    if status == IN_PROGRESS:
        return ON_TRACK if projected_meets else NOT_DUE
    if status == AWAITING:
        return OFF_TRACK if overdue else NOT_DUE
    return NOT_COUNTED


def status_zh(row: dict) -> str:
    """The status as the page prints it: 进度预警 beside it, and an awaited submission past its deadline said so."""
    if row["status"] == AWAITING and row["verdict"] == OFF_TRACK:
        return rules.LABELS_ZH["missing"]
    warning = f"（{rules.LABELS_ZH['projected_miss']}）" if row["projected_meets"] is False else ""
    return row["status"] + warning


def past_deadline(row: dict, period: Period, as_of: date, configs: dict) -> bool:
    """Whether an awaited submission is past its deadline on `as_of`: the `missing` alert rule's own verdict
    (catalogue/alert_rules.csv: by the 10th of the next month; an annual value only with December)."""
    cfg = rules.config_for(configs, "missing", row["indicator_code"]) or rules.RuleConfig("missing", True, None)
    return rules.missing({**row, "period": str(period)}, cfg, as_of).fire is True


def score(d: DepartmentScore, scheme: dict[str, float]) -> float:
    """[D] weights over the parts the department has (a part it has none of gives its weight to the other),
    minus the penalty per missed project-month, never below 0; one decimal."""
    parts = []
    if d.indicators_judged:
        parts.append((scheme["indicator_weight"], d.indicators_on_track / d.indicators_judged))
    if d.projects_judged:
        parts.append((scheme["project_weight"], d.projects_on_schedule / d.projects_judged))
    total_weight = scheme["indicator_weight"] + scheme["project_weight"]
    weight = sum(w for w, _ in parts)
    earned = sum(w * share for w, share in parts) * (total_weight / weight) if weight else 0.0
    return round(max(0.0, earned - scheme["missed_report_penalty"] * d.missed_reports), 1)


def default_as_of(quarter: Quarter) -> date:
    """The day after the quarter's last project sheets were due: when `ecoflow assess` judges by default."""
    return due_date(quarter.months[-1]) + timedelta(days=1)


def assess(con: duckdb.DuckDBPyConnection, quarter: Quarter, *, as_of: date | None = None,
           scheme: dict[str, float] | None = None) -> dict:
    """Everything the assessment page shows, as data (the test checks these numbers by hand)."""
    scheme = scheme or load_scheme()
    last = quarter.months[-1]
    as_of = as_of or default_as_of(quarter)
    indicators = sql.rows(con, "queries/assessment_indicators",
                          {"period": str(last), "last_year": str(last.shift(-12))})
    configs = rules.load(con)
    departments = sql.rows(con, "queries/assessment_departments")
    by_role = {(d["region_code"], d["role"]): d for d in departments}
    parent = {d["region_code"]: d["parent_code"] for d in departments}
    region_of = {d["department_code"]: d["region_code"] for d in departments}
    scores: dict[str, DepartmentScore] = {}

    def entry(code: str, name: str) -> DepartmentScore:
        return scores.setdefault(code, DepartmentScore(code, name, region_of.get(code, "")))

    regions: dict[str, dict] = {}
    for row in indicators:
        row["verdict"] = indicator_verdict(row, overdue=row["status"] == AWAITING
                                           and past_deadline(row, last, as_of, configs))
        row["not_due"] = row["verdict"] == NOT_DUE
        row["off"] = row["verdict"] == OFF_TRACK
        row["status_zh"] = status_zh(row)
        row["yoy"] = None if row["last_year_value"] is None or row["value"] is None else \
            row["value"] - row["last_year_value"]
        lead = by_role.get((row["region_code"], row["lead_department"])) or \
            by_role.get((parent.get(row["region_code"]), row["lead_department"]))
        row["lead_name"] = lead["name_zh"] if lead else "未配置牵头部门"   # the role's code stays in the catalogue
        row["target_zh"] = target_zh(row)
        regions.setdefault(row["region_code"], {"name_zh": row["region_name"], "indicators": []})["indicators"] \
            .append(row)
        if lead and row["verdict"] == NOT_DUE:
            entry(lead["department_code"], lead["name_zh"]).indicators_not_due += 1
        elif lead and row["verdict"] != NOT_COUNTED:
            d = entry(lead["department_code"], lead["name_zh"])
            d.indicators_judged += 1
            d.indicators_on_track += row["verdict"] == ON_TRACK
            d.indicators.append(row)
    quarter_months = {m: statuses(con, m, as_of) for m in quarter.months}
    at_end = quarter_months[last]
    for month_rows in quarter_months.values():
        for m in month_rows:
            if m.status == "not_reported":
                entry(m.department_code, m.department_name).missed_reports += 1
    for m in at_end:
        d = entry(m.department_code, m.department_name)
        d.projects.append(m)
        if m.status in ("on_schedule", "behind", "not_reported", "no_plan"):
            d.projects_judged += 1
            d.projects_on_schedule += m.status in ("on_schedule", "no_plan")
        if m.planned_invest_wan is not None:
            d.invest_planned_wan += m.planned_invest_wan
            d.invest_done_wan += m.invest_to_date_wan or 0.0
    for d in scores.values():
        d.score = score(d, scheme)
    ranked = sorted((d for d in scores.values() if d.indicators_judged or d.projects_judged),
                    key=lambda d: (-d.score, d.department_code))
    watch = watch_list(con, at_end, last)
    listed = {w["project"].project_code for w in watch}
    for d in scores.values():   # a project is listed once: one on the leading group's list is not repeated below
        d.listed = sum(p.project_code in listed for p in d.projects)
        d.projects = [p for p in d.projects if p.project_code not in listed]
    for region in regions.values():
        region["counts"] = counts(region["indicators"])
    return with_groups({
        "quarter": quarter, "period": str(last), "as_of": as_of, "scheme": scheme, "regions": regions,
        "departments": ranked, "watch_projects": watch,
        "watch_indicators": [r for rs in regions.values() for r in rs["indicators"] if r["verdict"] == OFF_TRACK],
        "texts": {"basis": messages.ASSESSMENT["basis"].format(month=messages.period_zh(str(last)),
                                                              as_of=messages.date_zh(as_of)),
                  "listed": messages.ASSESSMENT["listed"], "all_listed": messages.ASSESSMENT["all_listed"]},
    })


def counts(rows: list[dict]) -> list[tuple[str, int]]:
    """How many of a region's indicators count which way, in VERDICT_ORDER (only those it has)."""
    found = [r["verdict"] for r in rows]
    return [(v, found.count(v)) for v in VERDICT_ORDER if v in found]


def with_groups(data: dict) -> dict:
    """The data with `missed_groups` (the list's projects there for missing sheets, one row per unit and run
    length, as the 月报 shows them), each region's count line (the 月报) and its line of indicators not yet due
    (this page), made from its own lists."""
    groups: dict[tuple[str, str], dict] = {}
    for w in data["watch_projects"]:
        if w["missed_run"]:
            p = w["project"]
            groups.setdefault((p.department_code, w["why"]), {
                "department_code": p.department_code, "department_name": p.department_name, "why": w["why"],
                "ask": w["ask"], "projects": []})["projects"].append(p)
    for g in groups.values():
        g["text"], g["n"] = missed_text(g["projects"]), len(g["projects"])
    lines = {code: messages.ASSESSMENT["region_counts"].format(
                 region=r["name_zh"], counts="，".join(f"{v}{n}项" for v, n in r["counts"]))
             for code, r in data["regions"].items()}
    not_due = {code: messages.ASSESSMENT["not_due_line"].format(
                   n=len(names), names="、".join(names))
               for code, r in data["regions"].items()
               if (names := [i["name_zh"] for i in r["indicators"] if i["verdict"] == NOT_DUE])}
    intro = messages.ASSESSMENT["missed_intro"].format(
        units=len({g["department_code"] for g in groups.values()}), n=sum(g["n"] for g in groups.values()),
        ask=messages.PROJECT_WATCH["ask_missed"])
    return {**data, "missed_groups": list(groups.values()), "missed_intro": intro, "region_lines": lines,
            "not_due_lines": not_due}


def missed_text(projects: list[ProjectMonth]) -> str:
    """呼和浩特市清单第11—15、18项，共6个: the projects by their plans' 序号 (runs of three or more as a range)."""
    by_region: dict[str, list[int]] = {}
    for p in projects:
        by_region.setdefault(p.region_name, []).append(p.seq)
    lists = "，".join(messages.ASSESSMENT["project_list"].format(region=region, seqs=seq_ranges(seqs))
                     for region, seqs in by_region.items())
    return messages.ASSESSMENT["missed_projects"].format(lists=lists, n=len(projects))


def seq_ranges(seqs: list[int]) -> str:
    """[1, 2, 3, 5, 7, 8] → 1—3、5、7、8."""
    ordered, out = sorted(set(seqs)), []
    start = 0
    for i in range(1, len(ordered) + 1):
        if i == len(ordered) or ordered[i] != ordered[i - 1] + 1:
            run = ordered[start:i]
            out.append(f"{run[0]}—{run[-1]}" if len(run) >= 3 else "、".join(map(str, run)))
            start = i
    return "、".join(out)


def target_zh(row: dict) -> str:
    """The target as the page shows it: ≥35 (the plan's wording for a task or a target without a number)."""
    if row["target_value"] is not None and row["comparator"]:
        return f"{COMPARATOR_ZH.get(row['comparator'], row['comparator'])}{row['target_value']:g}"
    return row["target_text"] or "—"


def within(data: dict, regions: set[str]) -> dict:
    """The assessment cut to `regions` (a region and those below it): their indicators, the departments of those
    regions, and the leading group's lists for them. Numbers are not recomputed: a department's score is its own."""
    return with_groups({
        **data,
        "regions": {code: r for code, r in data["regions"].items() if code in regions},
        "departments": [d for d in data["departments"] if d.region_code in regions],
        "watch_projects": [w for w in data["watch_projects"] if w["project"].region_code in regions],
        "watch_indicators": [r for r in data["watch_indicators"] if r["region_code"] in regions],
    })


def render_html(data: dict) -> str:
    from tasks.core import templates

    return templates.environment().get_template("assessment.html.j2").render(a=data)


def write(settings: Settings, quarter: Quarter, *, as_of: date | None = None) -> tuple[Path, Path | None]:
    """Write reports/assessment/<quarter>/assessment.html (and .pdf when Chromium is there); their paths."""
    from tasks.core.warehouse import connect

    with connect(settings, read_only=True) as con:
        data = assess(con, quarter, as_of=as_of)
    folder = settings.reports_dir / "assessment" / str(quarter)
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / "assessment.html"
    html.write_text(render_html(data), encoding="utf-8")
    return html, to_pdf(html)


def to_pdf(html: Path) -> Path | None:
    """Print the page with headless Chromium when it is installed; None (HTML only) when it is not."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        return None
    pdf = html.with_suffix(".pdf")
    subprocess.run([browser, *CHROMIUM_FLAGS, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", html.as_uri()],
                   check=True, capture_output=True, timeout=120)
    return pdf if pdf.exists() else None


def quarter_of_run(context: dict) -> Quarter:
    """The `quarter` param of a manual run, else the quarter of the month before the scheduled run."""
    param = (context.get("params") or {}).get("quarter")
    if param:
        return Quarter.parse(param)
    start = context.get("data_interval_start") or context.get("logical_date")
    if start is None:
        raise UsageError("a run without `quarter` param and without a data interval: pass quarter=YYYY-QN")
    month = Period.previous_to(start)
    return Quarter(month.year, (month.month - 1) // 3 + 1)
