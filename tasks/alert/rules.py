"""The alert rules of catalogue/alert_rules.csv, each a pure verdict on one evaluated indicator.

RULES §4: the alerts a department hears of are 进度预警 (projected_miss: the projected year-end misses the target,
the only in-year target alert), 同比恶化 (regression_yoy), 年末未达标 (below_target: the complete year misses) and
逾期未报送 (missing: a submission it owes is past its deadline). A feed's data that did not come (data_gap) or came
too thin (thin_data) is the feed operators' (tasks.alert.engine routes it); an indicator the region does not monitor
never alerts. A winter month alone never alerts: in-year statuses are 进行中 (tasks.evaluate.evaluation).

A rule looks at the facts of one indicator in one region for one period (its status, value, target, projection,
同比, rolling-12 series, deadline) and answers FIRE (with the facts it found), CLEAR (the condition is gone: an
open alert closes) or UNKNOWN (nothing to judge yet: an open alert stays as it is, nothing new is raised). Which
rules apply, and their parameters, come from the catalogue: a row for indicator `*` is the default, a row for an
indicator overrides it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

import duckdb

from tasks.core import sql
from tasks.core.periods import Period, deadline
from tasks.evaluate.evaluation import IN_PROGRESS, MET, MISSED, THIN

RULES = ("below_target", "projected_miss", "regression_yoy", "sustained_decline", "missing", "data_gap", "thin_data")
#: Rules about where an indicator stands now: when one clears, the same rule's open alerts of earlier months
#: (of the year; any for the rolling series) are resolved too. `missing` and `thin_data` are about one month's data.
RUNNING = {"below_target": "year", "projected_miss": "year", "regression_yoy": "year", "sustained_decline": "any"}
LABELS_ZH = {"below_target": "年末未达标", "projected_miss": "进度预警", "regression_yoy": "同比恶化",
             "sustained_decline": "持续下滑", "missing": "逾期未报送", "data_gap": "数据缺口",
             "thin_data": "数据不足无法评价"}
#: Rules about data a feed failed to deliver: told to the feed's operators only, never to departments.
FEED_GAPS = ("data_gap", "thin_data")


@dataclass(frozen=True)
class RuleConfig:
    rule: str
    enabled: bool
    escalate_after: int | None         # None: never escalates
    tolerance: float | None = None
    months: int | None = None
    deadline_day: int | None = None
    tolerance_relative: bool = False   # regression_yoy: tolerance in % of last year's value


@dataclass(frozen=True)
class Verdict:
    fire: bool | None            # True: raise/keep; False: clear (close); None: nothing to judge yet
    detail: dict = field(default_factory=dict)
    reason: str = ""             # why it closed (CLEAR) or what it found (FIRE), one line in Chinese


UNKNOWN = Verdict(None)


def load(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], RuleConfig]:
    return {(r["rule"], r["indicator_code"]): RuleConfig(
                r["rule"], bool(r["enabled"]), r["escalate_after"], r["tolerance"], r["months"], r["deadline_day"],
                bool(r["tolerance_relative"]))
            for r in sql.rows(con, "queries/alert_rules")}


def config_for(rules: dict[tuple[str, str], RuleConfig], rule: str, indicator_code: str) -> RuleConfig | None:
    """The indicator's own row over the default row `*` (a parameter it leaves empty is the default's); None: the
    catalogue has neither."""
    default, own = rules.get((rule, "*")), rules.get((rule, indicator_code))
    if own is None or default is None:
        return own or default
    if own.tolerance is None:
        own = replace(own, tolerance=default.tolerance, tolerance_relative=default.tolerance_relative)
    return replace(own, months=own.months or default.months, deadline_day=own.deadline_day or default.deadline_day,
                   escalate_after=own.escalate_after if own.escalate_after is not None else default.escalate_after)


def _worse_by(direction: str, now: float, before: float) -> float:
    """How much worse `now` is than `before` (positive = worse) for the indicator's direction."""
    return before - now if direction == "higher_is_better" else now - before


def _carried(f: dict) -> bool:
    """An annual value judged in a month after the one it was submitted in: it was judged then already."""
    return f["frequency"] == "annual" and f["basis_period"] is not None and f["basis_period"] != f["period"]


def below_target(f: dict, cfg: RuleConfig, as_of: date) -> Verdict:
    """年末未达标: only a judged value misses (a complete year, an annual or period value:
    tasks.evaluate.evaluation)."""
    if _carried(f):
        return UNKNOWN
    if f["status"] == MISSED:
        return Verdict(True, {"basis": f["basis_period_type"]}, "全年未达到目标")
    if f["status"] == MET:
        return Verdict(False, reason="已达到目标")
    return UNKNOWN


def projected_miss(f: dict, cfg: RuleConfig, as_of: date) -> Verdict:
    """进度预警: the year is in progress and its projected end misses the target."""
    if _carried(f):
        return UNKNOWN
    if f["status"] == MISSED:
        return Verdict(False, reason="全年已评价（见“年末未达标”预警）")
    if f["status"] == MET:
        return Verdict(False, reason="全年已评价，达到目标")
    if f["status"] != IN_PROGRESS or f["projected_meets"] is None:
        return UNKNOWN
    if f["projected_meets"]:
        return Verdict(False, reason=f"预计年末值 {f['projected_value']:g} 可达到目标")
    return Verdict(True, {"projected_value": f["projected_value"], "projected_from": f["projected_from"]},
                   f"预计年末值 {f['projected_value']:g}")


def regression_yoy(f: dict, cfg: RuleConfig, as_of: date) -> Verdict:
    if f["basis_period_type"] != "ytd" or f["direction"] == "task":
        return UNKNOWN
    now, before = f["value"], f["last_year_value"]
    if now is None or before is None or not f["coverage_ok"] or not f["last_year_coverage_ok"]:
        return UNKNOWN
    worse = round(_worse_by(f["direction"], now, before), 6)
    allowed, text = tolerance(cfg, f.get("unit"), before)
    if worse > allowed:
        return Verdict(True, {"last_year_value": before, "worse_by": worse, "tolerance": text},
                       f"比上年同期差 {worse:g}（容差 {text}）")
    return Verdict(False, reason="已不比上年同期差（在容差内）")


def tolerance(cfg: RuleConfig, unit: str | None, last_year: float) -> tuple[float, str]:
    """How much worse than last year is tolerated, in the value's unit, and how it reads: the configured tolerance,
    else RULES §4's default — 2 percentage points for a ratio (unit %), 5 % of last year's value otherwise."""
    if cfg.tolerance is None:
        return (2.0, "2个百分点") if unit == "%" else (abs(last_year) * 0.05, "5%")
    if cfg.tolerance_relative:
        return abs(last_year) * cfg.tolerance / 100, f"{cfg.tolerance:g}%"
    return cfg.tolerance, f"{cfg.tolerance:g}{'个百分点' if unit == '%' else (unit or '')}"


def sustained_decline(f: dict, cfg: RuleConfig, as_of: date) -> Verdict:
    """The rolling-12 value (free of the seasons) got worse each month for `months` months in a row."""
    months = cfg.months or 3
    series = dict(zip(f["r12_periods"] or [], zip(f["r12_values"] or [], f["r12_ok"] or [], strict=True),
                      strict=True))
    period = Period.parse(f["period"])
    window = [str(period.shift(-i)) for i in range(months, -1, -1)]
    points = [series.get(p) for p in window]
    if f["direction"] == "task" or any(p is None or p[0] is None or not p[1] for p in points):
        return UNKNOWN
    values = [p[0] for p in points]
    if all(_worse_by(f["direction"], b, a) > 0 for a, b in zip(values, values[1:], strict=False)):
        return Verdict(True, {"months": months, "from": window[0], "r12": values},
                       f"滚动12个月值连续 {months} 个月变差")
    return Verdict(False, reason="滚动12个月值不再连续变差")


def arrived(f: dict) -> bool:
    """Whether the data of the period came: a computed indicator's month has data (its YTD may stand on earlier
    months alone); a monthly submission is for the month; an annual one was submitted this year."""
    if _from_feed(f):
        return bool(f["month_coverage_valid"])
    if f["basis_period"] is None:
        return False
    if f["frequency"] == "annual":
        return f["basis_period"][:4] == f["period"][:4]
    return f["basis_period"] == f["period"]


def _from_feed(f: dict) -> bool:
    return f["obtained_by"] == "computed" and f.get("obtained_as", "feed") == "feed"


def _late(f: dict, cfg: RuleConfig, as_of: date) -> Verdict | None:
    """None: the period's data is late past its deadline; else the verdict (arrived: clear; not due yet: unknown)."""
    period = Period.parse(f["period"])
    if f["frequency"] == "annual" and period.month != 12:
        return UNKNOWN  # an annual value is due once a year, judged with December
    if arrived(f):
        return Verdict(False, reason="数据已到")
    if as_of <= deadline(period, f["frequency"] or "monthly", cfg.deadline_day or 10):
        return UNKNOWN
    return None


def missing(f: dict, cfg: RuleConfig, as_of: date) -> Verdict:
    """逾期未报送: a submission a department owes (a feed's data is data_gap's, for its operators; an indicator the
    region does not monitor is owed by no one)."""
    if _from_feed(f) or f.get("obtained_as") == "not_monitored":
        return Verdict(False, reason="不由部门报送")
    late = _late(f, cfg, as_of)
    if late is not None:
        return late
    due = deadline(Period.parse(f["period"]), f["frequency"] or "monthly", cfg.deadline_day or 10)
    return Verdict(True, {"deadline": due.isoformat()}, f"截至 {due.isoformat()} 未收到报送")


def data_gap(f: dict, cfg: RuleConfig, as_of: date) -> Verdict:
    """数据缺口: a feed's month is not landed by its deadline (the feed failed, a capture did not run, a file is
    missing); for the feed's operators, with the command that fetches it again."""
    if not _from_feed(f):
        return UNKNOWN
    late = _late(f, cfg, as_of)
    if late is not None:
        return late
    due = deadline(Period.parse(f["period"]), f["frequency"] or "monthly", cfg.deadline_day or 10)
    return Verdict(True, {"deadline": due.isoformat()}, f"截至 {due.isoformat()} 本月监测数据未入库")


def thin_data(f: dict, cfg: RuleConfig, as_of: date) -> Verdict:
    """Only data that came but cannot be judged (an unconfigured assigned target is the bureau's to fix in
    catalogue/assigned_targets.csv, not the department's: `ecoflow catalogue check` and the bulletin show it)."""
    if _carried(f) or (_from_feed(f) and not arrived(f)):
        return UNKNOWN  # the month itself did not come: data_gap tells the operators once
    incomplete = f["value"] is None or f["coverage_ok"] is False
    if f["status"] == THIN and f["basis_period"] is not None and incomplete:
        return Verdict(True, {"coverage_valid": f["coverage_valid"], "coverage_expected": f["coverage_expected"]},
                       "数据覆盖不足，尚不能据此判断是否达标")
    if f["status"] in (MET, MISSED, IN_PROGRESS):
        return Verdict(False, reason="数据已满足评价要求")
    return UNKNOWN


VERDICTS: dict[str, Callable[[dict, RuleConfig, date], Verdict]] = {
    "below_target": below_target, "projected_miss": projected_miss, "regression_yoy": regression_yoy,
    "sustained_decline": sustained_decline, "missing": missing, "data_gap": data_gap, "thin_data": thin_data,
}
