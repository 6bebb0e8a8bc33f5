"""Each key project's schedule status per month, from the catalogue and the accepted project sheets.

`compute_period` is the computation of the project_reports source (tasks/compute/registry.py): after a sheet lands it
stores the month's statuses in marts.project_status. `statuses` judges any month as of a date (the quarterly
assessment uses the quarter's reporting deadline). The dispatch of a plan's projects starts in the first month any
of them was reported (a blank row is not a report) [D]: months before are not counted as missed reports. The
leading group's list holds every project behind (or not reported) for a second month running, and every 达标工程
whose indicator is under a 进度预警 (the projected year-end misses the target).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from tasks.core import sql
from tasks.core.periods import TZ, Period
from tasks.core.warehouse import transaction
from tasks.notify import messages
from tasks.standards.project_schedule import LAGGING, STATUS_ZH, Plan, Report, is_overdue, judge


@dataclass(frozen=True)
class ProjectMonth:
    project_code: str
    region_code: str
    seq: int
    name_zh: str
    department_code: str
    department_name: str
    project_type: str
    attainment_indicator: str | None
    period: str
    status: str
    planned_pct: float | None
    progress_pct: float | None
    planned_invest_wan: float | None
    invest_to_date_wan: float | None
    budget_wan: float | None
    behind_months: int
    reasons: tuple[str, ...]
    batch_id: str | None
    problems: str | None = None
    region_name: str = ""          # the region whose plan lists it (its 序号 is that plan's)

    @property
    def status_zh(self) -> str:
        return STATUS_ZH[self.status]


def statuses(con: duckdb.DuckDBPyConnection, period: Period, as_of: date) -> list[ProjectMonth]:
    """Every project's status for `period`, judged as of `as_of` (a missing sheet is late after the deadline)."""
    plans = sql.rows(con, "queries/project_plans")
    reports: dict[tuple[str, str], dict] = {}
    started: dict[str, str] = {}
    region_of = {p["project_code"]: p["region_code"] for p in plans}
    for r in sql.rows(con, "queries/project_reports_current", {"period": str(period)}):
        reports[(r["project_code"], r["period"])] = r
        region = region_of.get(r["project_code"])
        if region and r["progress_pct"] is not None and (region not in started or r["period"] < started[region]):
            started[region] = r["period"]
    out = []
    for p in plans:
        plan = Plan(p["start_year"], p["end_year"], p["budget_wan"], dict(p["milestones"]))
        first = Period.parse(started.get(p["region_code"], str(period)))
        month, behind, current = period, 0, None
        while month >= first:
            judged, report = _judge(plan, reports.get((p["project_code"], str(month))), month, as_of)
            if current is None:
                current = (judged, report)
            if judged.status not in LAGGING:
                break
            behind += 1
            month = month.shift(-1)
        if current is None:  # the month is before the plan's dispatch started
            current = _judge(plan, reports.get((p["project_code"], str(period))), period, as_of)
        judged, report = current
        out.append(ProjectMonth(
            p["project_code"], p["region_code"], p["seq"], p["name_zh"], p["department_code"], p["department_name"],
            p["project_type"], p["attainment_indicator"], str(period), judged.status, judged.planned_pct,
            report and report["progress_pct"], judged.planned_invest_wan, report and report["invest_to_date_wan"],
            p["budget_wan"], behind, judged.reasons, report and report["batch_id"], report and report["problems"],
            p["region_name"]))
    return out


def _judge(plan: Plan, row: dict | None, month: Period, as_of: date):  # noqa: ANN202 - (Judgement, row or None)
    reported = row if row is not None and row["progress_pct"] is not None else None
    report = Report(reported["progress_pct"], reported["invest_to_date_wan"]) if reported else None
    return judge(plan, report, month, overdue=is_overdue(month, as_of)), reported


def compute_period(con: duckdb.DuckDBPyConnection, period: Period) -> dict[str, int]:
    """Store the month's statuses (as of today: a sheet not yet due is `awaiting`, not missing)."""
    found = statuses(con, period, datetime.now(TZ).date())
    with transaction(con):
        con.execute(sql.load("compute/project_status_clear"), {"period": str(period)})
        for s in found:
            con.execute(sql.load("queries/project_status_insert"), {
                "project_code": s.project_code, "period": s.period, "department_code": s.department_code,
                "status": s.status, "planned_pct": s.planned_pct, "progress_pct": s.progress_pct,
                "planned_invest_wan": s.planned_invest_wan, "invest_to_date_wan": s.invest_to_date_wan,
                "behind_months": s.behind_months, "reasons": "\n".join(s.reasons) or None, "batch_id": s.batch_id})
    return {"indicator_values": 0, "project_status": len(found)}


def watch_list(con: duckdb.DuckDBPyConnection, months: list[ProjectMonth], period: Period) -> list[dict]:
    """The leading group's list: behind for a second month running, or a 达标工程 whose indicator is 进度预警.

    Each entry is the project, why (in words, the indicator by its name: every reader of the list — the assessment,
    the department's digest, `ecoflow projects` — gets the same text), the ask, and `missed_run`: on the list only
    for sheets it did not send (the assessment groups those per unit)."""
    warned = {(r["indicator_code"], r["region_code"])
              for r in sql.rows(con, "queries/project_progress_warnings", {"period": str(period)})}
    names = {r["indicator_code"]: r["name_zh"] for r in sql.rows(con, "queries/indicator_names")}
    say = messages.PROJECT_WATCH
    out = []
    for m in months:
        why = []
        run = m.status in LAGGING and m.behind_months >= 2
        if run:
            why.append(say["run_missed" if m.status == "not_reported" else "run_behind"].format(n=m.behind_months))
        attainment = m.project_type == "attainment" and (m.attainment_indicator, m.region_code) in warned
        if attainment:
            why.append(say["attainment_warning"].format(
                indicator=names.get(m.attainment_indicator or "", "所保障的指标")))
        if why:
            out.append({"project": m, "why": "；".join(why), "ask": ask(m),
                        "missed_run": run and m.status == "not_reported" and not attainment})
    # lagging works first, then missing sheets; by unit and project within each
    return sorted(out, key=lambda w: (w["project"].status == "not_reported", w["project"].department_code,
                                      w["project"].project_code))


def ask(m: ProjectMonth) -> str:
    """What the department is asked to do (公文 register)."""
    return messages.PROJECT_WATCH["ask_missed" if m.status == "not_reported" else "ask_behind"]


def department_digest_section(con: duckdb.DuckDBPyConnection, department_code: str, period: Period,
                              as_of: date) -> list[dict]:
    """The department's projects on the leading group's list, for its monthly digest (empty: nothing to add)."""
    months = [m for m in statuses(con, period, as_of) if m.department_code == department_code]
    return watch_list(con, months, period)
