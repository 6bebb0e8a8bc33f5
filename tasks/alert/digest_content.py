"""What a monthly digest says beyond its alerts: the summary table, the asks with their deadline, what changed
since last month, and the bureau's roll-up — read from the period's evaluation (marts.indicator_status).

A department's digest (RULES §4; docs/alerts.md): first a table of every indicator it leads and where each stands,
then the alerts it leads and must answer (请于×月×日前反馈…), then those it is copied on (知悉), then what changed
since last month; signed with the bureau's 落款 and contact (settings). The bureau's digest is a roll-up of every
region's statuses instead of a copy of every department's table.
"""

from __future__ import annotations

from datetime import date

import duckdb

from tasks.core import sql
from tasks.core.periods import Period
from tasks.notify.wording import COMPARATOR_ZH, with_unit

#: What the lead is asked to do about each kind of alert, before the reply date.
ASKS = {
    "projected_miss": "反馈原因分析及拟采取的措施",
    "below_target": "反馈未达标原因及整改计划",
    "regression_yoy": "说明同比恶化的原因及应对措施",
    "sustained_decline": "说明持续下滑的原因",
    "missing": "补报数据（逾期未报送）",
    "thin_data": "核实并补齐数据",
    "data_gap": "恢复数据，并按所列命令补采",
}


def reply_by(period: Period, day: int) -> date:
    """The reply deadline: `day` of the month after the evaluated one (the dispatch month)."""
    after = period.shift(1)
    return date(after.year, after.month, min(day, 28))


def ask(kind: str, by: date) -> str:
    return f"请于{by.month}月{by.day}日前{ASKS.get(kind, '反馈处理情况')}。"


def period_zh(period: Period) -> str:
    return f"{period.year}年{period.month}月"


def _row_view(r: dict) -> dict:
    digits, unit = r["evaluation_digits"], r["unit"]
    if r.get("target_kind") == "task":    # a task reads as its wording (制定实施), never as "=1"
        target = r["target_text"] or "完成"
    elif r["target_value"] is not None:
        comparator = COMPARATOR_ZH.get(r["comparator"] or "", r["comparator"] or "")
        target = f"{comparator}{with_unit(r['target_value'], unit)}"
    else:
        target = r["target_text"] or "—"
    return {**r, "value_text": with_unit(r["value"], unit, digits), "target_text": target,
            "projected_text": with_unit(r["projected_value"], unit, digits) if r["projected_value"] is not None
            else "—", "last_year_text": with_unit(r["last_year_value"], unit, digits),
            # as digest_changed_leads decides who gets the month's digest: last month's row, with another status (or
            # none: no target then)
            "changed": bool(r.get("had_previous")) and r["previous_status"] != r["status"]}


def led(con: duckdb.DuckDBPyConnection, email: str, period: Period) -> list[dict]:
    """The summary table of a department: every indicator it leads, judged for the period."""
    return [_row_view(r) for r in sql.rows(con, "queries/digest_led", {
        "email": email, "period": str(period), "previous": str(period.shift(-1))})]


def rollup(con: duckdb.DuckDBPyConnection, period: Period) -> list[dict]:
    """The bureau's table: per region, the count of each status and of open alerts."""
    return sql.rows(con, "queries/digest_rollup", {"period": str(period)})
