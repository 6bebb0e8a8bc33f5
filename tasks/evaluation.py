"""Evaluation per RULES.md §4: every indicator with a target in a region, judged for a period.

Status is one of 达标 (met), 未达标 (missed), 数据不足 (too little data to judge, or no target value configured)
and 待报送 (awaiting a department's submission). Annual targets are judged on the year-to-date value, never on a
month alone; a submitted value is judged as submitted (an annual one carries forward until a new one arrives); a
task is done (1) or not (0); a target "assigned by the higher level" takes its value from
catalogue.assigned_targets for the year.

A year-to-date value is also projected to the year's end: the YTD plus the average amount by which the YTD of
earlier years moved from the same month to December (winter months weigh on air quality, so January's YTD alone
says little about the year). The projection is judged against the same target; none is made without an earlier
year that has both values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb
import pandas as pd

from tasks import sql
from tasks.periods import Period
from tasks.standards.rounding import round_half_even
from tasks.warehouse import insert_frame, transaction

MET, MISSED, THIN, AWAITING = "达标", "未达标", "数据不足", "待报送"
STATUSES = (MET, MISSED, THIN, AWAITING)
_COMPARE = {">=": lambda v, t: v >= t, "<=": lambda v, t: v <= t, ">": lambda v, t: v > t,
            "<": lambda v, t: v < t, "=": lambda v, t: v == t}


@dataclass(frozen=True)
class Judgement:
    status: str | None      # None: no target here, nothing to judge
    reason: str


def meets(comparator: str, value: float, target: float, digits: int | None) -> bool:
    """Whether a value meets its target, at evaluation precision (RULES.md §1.12) when digits is given."""
    if comparator not in _COMPARE:
        raise ValueError(f"unknown comparator {comparator!r} in catalogue/targets.csv")
    if digits is not None:
        value = float(round_half_even(value, digits))
    return _COMPARE[comparator](value, target)


def judge(*, target_kind: str | None, comparator: str | None, target_value: float | None, obtained_by: str,
          value: float | None, coverage_ok: bool | None, digits: int | None, has_value_row: bool) -> Judgement:
    """The status of one indicator in one region for one period, and why (one line, for people)."""
    if target_kind is None:
        return Judgement(None, "no target for this region and year")
    if target_kind == "assigned" and target_value is None:
        return Judgement(THIN, "the target assigned by the higher level is not configured for this year "
                               "(catalogue/assigned_targets.csv)")
    if not has_value_row:
        if obtained_by in ("submitted", "survey", "task"):
            return Judgement(AWAITING, "no value submitted yet")
        return Judgement(THIN, "no data for the period yet")
    if value is None:
        return Judgement(THIN, "no value could be computed from the data")
    if coverage_ok is False:
        return Judgement(THIN, "data incomplete: the value may not be judged against the target")
    if target_kind == "task":
        return Judgement(MET, "done") if value >= 1 else Judgement(MISSED, "not done")
    if meets(comparator, value, target_value, digits):
        return Judgement(MET, f"{value:g} {comparator} {target_value:g}")
    return Judgement(MISSED, f"{value:g} does not meet {comparator} {target_value:g}")


STATUS_COLUMNS = ["indicator_code", "region_code", "period", "basis_period_type", "basis_period", "variant", "value",
                  "coverage_ok", "target_kind", "comparator", "target_value", "target_text", "status", "reason",
                  "projected_value", "projected_from", "projected_meets"]


@dataclass(frozen=True)
class Projection:
    value: float | None
    years: tuple[int, ...]      # the earlier years whose path from this month to December was used


def project(ytd: float | None, month: int, history: list[tuple[int, float, float]],
            low: float | None = None, high: float | None = None) -> Projection:
    """Year-end value from a YTD at `month` and earlier years' (year, YTD at the month, YTD at December)."""
    if ytd is None:
        return Projection(None, ())
    if month == 12:
        return Projection(ytd, ())
    if not history:
        return Projection(None, ())
    shift = sum(end - at for _, at, end in history) / len(history)
    value = ytd + shift
    if low is not None:
        value = max(low, value)
    if high is not None:
        value = min(high, value)
    return Projection(round(value, 6), tuple(year for year, _, _ in history))


def evaluate(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """One row per indicator with a target (or a value) in a region, for the period."""
    inputs = sql.rows(con, "queries/evaluation_inputs", {"period": str(period), "year": period.year})
    history: dict[tuple[str, str, str], list[tuple[int, float, float]]] = {}
    for h in sql.rows(con, "queries/projection_history",
                      {"month": f"{period.month:02d}", "year_start": f"{period.year:04d}-01"}):
        history.setdefault((h["indicator_code"], h["region_code"], h["variant"]), []).append(
            (h["year"], h["at_month"], h["at_year_end"]))
    rows = []
    for c in inputs:
        verdict = judge(target_kind=c["target_kind"], comparator=c["comparator"], target_value=c["target_value"],
                        obtained_by=c["obtained_by"], value=c["value"], coverage_ok=c["coverage_ok"],
                        digits=c["evaluation_digits"], has_value_row=c["basis_period"] is not None)
        if c["basis_period"] is None:
            c["basis_period_type"] = None
        projection = Projection(None, ())
        if c["basis_period_type"] == "ytd":
            projection = project(c["value"], period.month,
                                 history.get((c["indicator_code"], c["region_code"], c["variant"]), []),
                                 c["min_value"], c["max_value"])
        projected_meets = None
        if projection.value is not None and c["target_kind"] in ("value", "assigned") and c["target_value"] is not None:
            projected_meets = meets(c["comparator"], projection.value, c["target_value"], c["evaluation_digits"])
        rows.append({**{k: c[k] for k in STATUS_COLUMNS if k in c}, "period": str(period), **asdict(verdict),
                     "projected_value": projection.value,
                     "projected_from": ", ".join(map(str, projection.years)) or None,
                     "projected_meets": projected_meets})
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)


def refresh(con: duckdb.DuckDBPyConnection, period: Period) -> int:
    """Replace the period's evaluation (caller may hold a transaction; one is opened otherwise)."""
    frame = evaluate(con, period)
    with transaction(con):
        con.execute("DELETE FROM marts.indicator_status WHERE period = ?", [str(period)])
        if len(frame):
            insert_frame(con, "marts.indicator_status", frame)
    return len(frame)
