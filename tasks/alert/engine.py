"""The alert engine: judge every evaluated indicator with the catalogue's alert rules and keep the ledger.

An alert is keyed by indicator+region+period+kind+variant. Its fingerprint (the facts the rule found, the value,
target and coverage, the escalation) decides whether owners hear of it again: a rerun that finds the same facts
sends nothing. An alert still open after the rule's `escalate_after` months in a row escalates (the leading group
office joins the copy). When the condition is gone the alert closes and, if its owners were told, they are told
once that it closed. Delivery is tasks.alert.digest: one email per recipient per run.

Escalation (the leading group office in copy) is only for what RULES §4 names: a 进度预警 persisting the rule's
`escalate_after` months, or a year-end miss (`escalate_after` 1); a rule without it never escalates. A feed's data
gap goes to the feed's operators only (tasks.alert.feed_operators); an indicator the region does not monitor never
alerts.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime

import duckdb

from tasks.alert import feed_operators
from tasks.alert import rules as alert_rules
from tasks.core import sql
from tasks.core.periods import TZ, Period
from tasks.core.settings import Settings
from tasks.evaluate.evaluation import NOT_MONITORED


def alert_key(indicator_code: str, region_code: str, period: str, kind: str, variant: str) -> str:
    return "|".join([indicator_code, region_code, period, kind, variant])


def fingerprint(value: float | None, target: float | None, comparator: str | None, coverage_ok: bool | None,
                detail: dict, escalation: int, cycle: int = 0) -> str:
    """The version of an alert its owners are told: its facts, escalation, and how often it came back."""
    payload = json.dumps([value, target, comparator, bool(coverage_ok), detail, escalation, cycle], sort_keys=True,
                         default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def open_before(con: duckdb.DuckDBPyConnection, facts: dict, kind: str, since: str = "0000-00") -> list[dict]:
    """The same rule's open alerts for this indicator, region and variant in earlier months, latest first."""
    return sql.rows(con, "queries/alert_open_before", {
        "indicator_code": facts["indicator_code"], "region_code": facts["region_code"], "kind": kind,
        "variant": facts["variant"], "period": facts["period"], "since": since})


#: the open alerts of earlier months of one indicator, region, rule and variant, latest first
Earlier = dict[tuple[str, str, str, str], list[dict]]


def open_earlier(con: duckdb.DuckDBPyConnection, period: Period) -> Earlier:
    """Every open alert of the months before `period`, by indicator, region, rule and variant (open_before for all
    of them in one query: an evaluation looked them up one rule at a time, ~2,000 queries a month in a backfill)."""
    earlier: Earlier = {}
    for row in sql.rows(con, "queries/alert_open_earlier", {"period": str(period)}):
        earlier.setdefault((row["indicator_code"], row["region_code"], row["kind"], row["variant"]), []).append(row)
    return earlier


def _open_of(earlier: Earlier, facts: dict, kind: str, since: str = "0000-00") -> list[dict]:
    """What open_before returns, from open_earlier's rows."""
    rows = earlier.get((facts["indicator_code"], facts["region_code"], kind, facts["variant"]), [])
    return [r for r in rows if since <= r["period"] < facts["period"]]


def streak(earlier: Earlier, facts: dict, kind: str) -> int:
    """Months in a row, ending with this one, in which this alert is open (this month counts as one)."""
    count, expected = 1, Period.parse(facts["period"]).shift(-1)
    for text in (a["period"] for a in _open_of(earlier, facts, kind)):
        if text != str(expected):
            break
        count, expected = count + 1, expected.shift(-1)
    return count


def routing(con: duckdb.DuckDBPyConnection, settings: Settings, indicator_code: str, region_code: str,
            escalated: bool, known: dict[tuple[str, str], dict] | None = None) -> tuple[str, list[str]]:
    """To: the lead department (the bureau if the region has none); Cc: cooperating departments, the bureau and,
    once escalated, the leading group office. `known` keeps the departments looked up during one evaluation (the
    rules of one indicator and region share them)."""
    known = {} if known is None else known
    if (indicator_code, region_code) not in known:
        found = sql.rows(con, "queries/alert_routing", {"indicator_code": indicator_code, "region_code": region_code})
        known[(indicator_code, region_code)] = found[0] if found else {}
    r = known[(indicator_code, region_code)]
    to = r.get("lead_email") or settings.bureau_email
    cc = [*sorted(r.get("cooperating_emails") or []), settings.bureau_email]
    if escalated and r.get("leading_group_email"):
        cc.append(r["leading_group_email"])
    return to, [a for i, a in enumerate(cc) if a != to and a not in cc[:i]]


def operator_routing(con: duckdb.DuckDBPyConnection, settings: Settings, source: str) -> tuple[str, list[str]]:
    """To: the feed's first operator; Cc: its other operators (the bureau only when the catalogue names none)."""
    found = feed_operators.operators(con, source)
    return (found[0], found[1:]) if found else (settings.bureau_email, [])


def _close(con: duckdb.DuckDBPyConnection, key: str, fingerprint_before: str, reason: str, now: datetime) -> None:
    """Close an alert; its closing notice is a version of its own (a second closing is told again)."""
    version = "closed:" + hashlib.sha256(f"{fingerprint_before}|{now.isoformat()}".encode()).hexdigest()[:12]
    con.execute(sql.load("queries/alert_close"), {"key": key, "now": now, "reason": reason, "fingerprint": version})


def evaluate(con: duckdb.DuckDBPyConnection, settings: Settings, period: Period,
             as_of: date | None = None) -> list[str]:
    """Apply every enabled rule to the period's evaluation; upsert the ledger; return the keys now due.

    A rule about where an indicator stands (alert_rules.RUNNING) that clears also resolves the same rule's open
    alerts of earlier months; an open alert of the period whose indicator is no longer judged there (its target
    was removed) closes. `as_of` is the day deadlines are judged against (today in Asia/Shanghai by default).
    """
    as_of = as_of or datetime.now(TZ).date()
    rules = alert_rules.load(con)
    facts_rows = sql.rows(con, "queries/alert_facts", {
        "period": str(period), "r12_from": str(period.shift(-25)),
        "last_year_period": str(Period(period.year - 1, period.month))})
    ledger = {r["alert_key"]: r for r in sql.rows(con, "queries/alert_state", {"period": str(period)})}
    departments: dict[tuple[str, str], dict] = {}
    earlier = open_earlier(con, period)   # each (indicator, region, rule, variant) is judged once below
    now = datetime.now(UTC)
    due = []
    for facts in facts_rows:
        for kind in alert_rules.RULES:
            cfg = alert_rules.config_for(rules, kind, facts["indicator_code"])
            if cfg is None:
                continue
            key = alert_key(facts["indicator_code"], facts["region_code"], facts["period"], kind, facts["variant"])
            state = ledger.get(key)
            status = state["status"] if state else None
            if facts["status"] == NOT_MONITORED:
                verdict = alert_rules.Verdict(False, reason="本地区未监测该指标")
            elif cfg.enabled:
                verdict = alert_rules.VERDICTS[kind](facts, cfg, as_of)
            else:
                verdict = alert_rules.Verdict(False, reason="规则已停用")
            if verdict.fire is False:
                if status == "open":
                    _close(con, key, state["fingerprint"], verdict.reason, now)
                    due.append(key)
                due += _resolve_earlier(con, earlier, facts, kind, period, verdict.reason, now)
            if not verdict.fire:
                continue
            escalation = int(cfg.escalate_after is not None and streak(earlier, facts, kind) >= cfg.escalate_after)
            detail = {**verdict.detail, "finding": verdict.reason}
            if kind in alert_rules.FEED_GAPS and facts["obtained_by"] == "computed":
                source = feed_operators.feed_of(facts["indicator_code"])
                to, cc = operator_routing(con, settings, source)
                escalation = 0
                detail.update(source=source, command=feed_operators.command(source, facts["period"]))
            else:
                to, cc = routing(con, settings, facts["indicator_code"], facts["region_code"], bool(escalation),
                                 departments)
            cycle = (state["cycle"] + (status == "closed")) if state else 0
            fp = fingerprint(facts["value"], facts["target_value"], facts["comparator"], facts["coverage_ok"],
                             detail, escalation, cycle)
            params = {"key": key, "value": facts["value"], "target_value": facts["target_value"],
                      "comparator": facts["comparator"], "coverage_ok": facts["coverage_ok"], "fingerprint": fp,
                      "to": to, "cc": ", ".join(cc) or None, "now": now,
                      "detail": json.dumps(detail, ensure_ascii=False, default=str), "escalation": escalation,
                      "cycle": cycle}
            if status is None:
                con.execute(sql.load("queries/alert_raise"), {
                    **params, "indicator_code": facts["indicator_code"], "region_code": facts["region_code"],
                    "period": facts["period"], "kind": kind, "variant": facts["variant"]})
            elif status == "closed" or state["fingerprint"] != fp:
                con.execute(sql.load("queries/alert_update"), params)
            else:
                continue
            due.append(key)
    judged = {(f["indicator_code"], f["region_code"], f["variant"]) for f in facts_rows}
    for alert in sql.rows(con, "queries/alert_open_of_period", {"period": str(period)}):
        if (alert["indicator_code"], alert["region_code"], alert["variant"]) not in judged:
            _close(con, alert["alert_key"], alert["fingerprint"], "本期不再考核该指标（目标已从目录中移除）", now)
            due.append(alert["alert_key"])
    return due


def _resolve_earlier(con: duckdb.DuckDBPyConnection, earlier: Earlier, facts: dict, kind: str, period: Period,
                     reason: str, now: datetime) -> list[str]:
    """The same rule's open alerts of earlier months, resolved by this month (of its year; any month for a rule on
    the rolling series); returns their keys."""
    scope = alert_rules.RUNNING.get(kind)
    if scope is None:
        return []
    keys = []
    for alert in _open_of(earlier, facts, kind, f"{period.year:04d}-01" if scope == "year" else "0000-00"):
        _close(con, alert["alert_key"], alert["fingerprint"], f"{period} {reason}", now)
        keys.append(alert["alert_key"])
    return keys


def evaluate_months(con: duckdb.DuckDBPyConnection, settings: Settings, periods: list[Period],
                    as_of: date | None = None) -> list[str]:
    """The alert rules over several months (a re-delivered month and the later months that depend on it)."""
    return [key for period in sorted(set(periods)) for key in evaluate(con, settings, period, as_of)]

