"""Evaluation per RULES.md §4: every indicator with a target in a region, judged for a period.

Status is one of 达标 (met), 未达标 (missed), 进行中 (in progress: an annual target during the year), 数据不足 (too
little data to judge, or no target value configured), 待报送 (awaiting a department's submission) and 未监测 (the
region has no monitoring point for it: catalogue/indicator_sources.csv). An annual target is judged on the
year-to-date value only when the year is complete (December); before that the status is 进行中, with the projected
year-end value and 同比 beside it — a winter month says little about the year. A submitted value is judged as
submitted (an annual one carries forward until a new one arrives); a task is done (1) or not (0); a target
"assigned by the higher level" takes its value from catalogue.assigned_targets for the year.

The projection (RULES §4 [D]): this year's YTD × the mean, over up to 3 of the region's latest complete earlier
years, of (full-year value ÷ the same months' YTD); for a ratio its numerator and denominator (the day counts) are
projected the same way. With no complete earlier year there is no projection, and none is invented.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb
import pandas as pd

from tasks.core import sql
from tasks.core.periods import Period
from tasks.core.warehouse import insert_frame, transaction
from tasks.standards.rounding import round_half_even

MET, MISSED, THIN, AWAITING = "达标", "未达标", "数据不足", "待报送"
IN_PROGRESS, NOT_MONITORED = "进行中", "未监测"
STATUSES = (MET, MISSED, IN_PROGRESS, THIN, AWAITING, NOT_MONITORED)
PROJECTION_YEARS = 3
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
          value: float | None, coverage_ok: bool | None, digits: int | None, has_value_row: bool,
          in_year: bool = False, not_monitored: bool = False) -> Judgement:
    """The status of one indicator in one region for one period, and why (one line, for people). `in_year`: the
    value is part of a year (a YTD before December, a month's submission) judged against an annual target."""
    if target_kind is None:
        return Judgement(None, "no target for this region and year")
    if not_monitored:
        return Judgement(NOT_MONITORED, "not monitored in this region (catalogue/indicator_sources.csv)")
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
    if in_year and target_kind in ("value", "assigned"):
        return Judgement(IN_PROGRESS, f"year in progress: {value:g} so far, judged on the complete year")
    if meets(comparator, value, target_value, digits):
        return Judgement(MET, f"{value:g} {comparator} {target_value:g}")
    return Judgement(MISSED, f"{value:g} does not meet {comparator} {target_value:g}")


STATUS_COLUMNS = ["indicator_code", "region_code", "period", "basis_period_type", "basis_period", "variant", "value",
                  "coverage_ok", "target_kind", "comparator", "target_value", "target_text", "status", "reason",
                  "projected_value", "projected_from", "projected_meets", "last_year_value", "obtained_as"]


@dataclass(frozen=True)
class Projection:
    value: float | None
    years: tuple[int, ...]      # the earlier years whose growth from this month to December was used


@dataclass(frozen=True)
class Path:
    """One complete earlier year: its YTD at the month and at December, and their numerators and denominators."""
    year: int
    at: float
    end: float
    num_at: float | None = None
    num_end: float | None = None
    den_at: float | None = None
    den_end: float | None = None


def _growth(pairs: list[tuple[float | None, float | None]]) -> float | None:
    """Mean of end ÷ at over the years (None when a year lacks one or starts from zero)."""
    if not pairs or any(at is None or end is None or at == 0 for at, end in pairs):
        return None
    return sum(end / at for at, end in pairs) / len(pairs)


def project(ytd: float | None, month: int, history: list[Path], low: float | None = None,
            high: float | None = None) -> Projection:
    """Year-end value from a YTD at `month` and up to PROJECTION_YEARS complete earlier years. A ratio's numerator
    and denominator each grow by their own mean growth, so the ratio grows by their quotient."""
    if ytd is None:
        return Projection(None, ())
    if month == 12:
        return Projection(ytd, ())
    paths = sorted(history, key=lambda h: -h.year)[:PROJECTION_YEARS]
    if not paths:
        return Projection(None, ())
    num_growth = _growth([(h.num_at, h.num_end) for h in paths])
    den_growth = _growth([(h.den_at, h.den_end) for h in paths])
    value_growth = _growth([(h.at, h.end) for h in paths])
    if num_growth is not None and den_growth:
        value = ytd * num_growth / den_growth
    elif value_growth is not None:
        value = ytd * value_growth
    else:
        return Projection(None, ())
    if low is not None:
        value = max(low, value)
    if high is not None:
        value = min(high, value)
    return Projection(round(value, 6), tuple(sorted(h.year for h in paths)))


def evaluate(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """One row per indicator with a target (or a value) in a region, for the period."""
    inputs = sql.rows(con, "queries/evaluation_inputs", {
        "period": str(period), "year": period.year, "first_day": period.first_day,
        "last_year_period": str(Period(period.year - 1, period.month))})
    history: dict[tuple[str, str, str], list[Path]] = {}
    for h in sql.rows(con, "queries/projection_history",
                      {"month": f"{period.month:02d}", "year_start": f"{period.year:04d}-01"}):
        history.setdefault((h["indicator_code"], h["region_code"], h["variant"]), []).append(
            Path(h["year"], h["at_month"], h["at_year_end"], h["num_at_month"], h["num_at_year_end"],
                 h["den_at_month"], h["den_at_year_end"]))
    rows = []
    for c in inputs:
        has_value = c["basis_period"] is not None
        not_monitored = c["obtained_as"] == "not_monitored"
        # a year-to-date value before December is part of its year, whatever the indicator's frequency (indicator 22
        # is annual and computed as a YTD rise); an annual value as submitted is judged when it comes
        in_year = period.month != 12 and (c["basis_period_type"] == "ytd" or (
            c["frequency"] != "annual" and c["basis_period_type"] == "submitted"))
        verdict = judge(target_kind=c["target_kind"], comparator=c["comparator"], target_value=c["target_value"],
                        obtained_by=c["obtained_by"], value=c["value"], coverage_ok=c["coverage_ok"],
                        digits=c["evaluation_digits"], has_value_row=has_value, in_year=in_year,
                        not_monitored=not_monitored)
        if not has_value:
            c["basis_period_type"] = None
        projection = Projection(None, ())
        if c["basis_period_type"] == "ytd" and not not_monitored and c["coverage_ok"]:
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
        con.execute(sql.load("evaluate/indicator_status_clear"), {"period": str(period)})
        if len(frame):
            insert_frame(con, "marts.indicator_status", frame)
    return len(frame)
