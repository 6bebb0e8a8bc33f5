"""The alert engine: evaluate year-to-date values against targets, keep a ledger, deliver what changed.

An alert is keyed by indicator+region+period+kind+variant. It is (re)sent only when its fingerprint (value,
target, coverage) differs from what was last delivered, so re-running a month sends nothing new. A failed
send stays pending in the ledger and is retried on the next run or task retry.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tasks import mailer, sql
from tasks.errors import DeliveryError
from tasks.periods import Period
from tasks.settings import Settings

KIND_BELOW_TARGET = "below_target"
_COVERAGE_ZH = {"days": ("有效天数", "天"), "sections": ("参与评价断面", "个"), "facilities": ("报送设施", "个"),
                "submission": ("报送", "份")}
_COMPARATOR_ZH = {">=": "≥", "<=": "≤", ">": "＞", "<": "＜", "=": "="}


def _env() -> Environment:
    return Environment(loader=PackageLoader("tasks", "templates"), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html.j2"]))


def misses(comparator: str, value: float | None, target: float, digits: int | None = None) -> bool:
    """Whether a value misses its target, judged at evaluation precision (RULES.md §1.12) when digits is given."""
    from tasks.evaluation import meets

    return value is not None and not meets(comparator, value, target, digits)


def _fmt(value: float, unit: str, digits: int | None = None) -> str:
    number = f"{value:.{digits}f}" if digits is not None else f"{value:g}"
    return f"{number}{'%' if unit == '%' else ' ' + unit}"


def coverage_text(c: dict) -> str:
    """E.g. 有效天数 28 / 31 天, 参与评价断面 5 / 6 个 — coverage in the value's own units."""
    label, unit = _COVERAGE_ZH.get(c.get("coverage_unit") or "days", ("覆盖", ""))
    return f"{label} {c.get('coverage_valid')} / {c.get('coverage_expected')} {unit}".rstrip()


def _fingerprint(c: dict) -> str:
    payload = json.dumps([c["value"], c["target_value"], c["comparator"], bool(c["coverage_ok"])])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def evaluate(con: duckdb.DuckDBPyConnection, settings: Settings, period: Period) -> list[str]:
    """Upsert the ledger for the period; returns keys of alerts that now need delivery."""
    cur = con.execute(sql.load("queries/alert_candidates"), {"period": str(period)})
    cols = [d[0] for d in cur.description]
    candidates = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    now = datetime.now(UTC)
    due = []
    for c in candidates:
        key = "|".join([c["indicator_code"], c["region_code"], c["period"], KIND_BELOW_TARGET, c["variant"]])
        existing = con.execute(sql.load("queries/alert_state"), {"key": key}).fetchall()
        state = existing[0] if existing else None
        if c["value"] is None:  # nothing could be computed (thin data): no verdict, an open alert stays as it is
            continue
        if not misses(c["comparator"], c["value"], c["target_value"], c["evaluation_digits"]):
            if state and state[0] == "open":
                con.execute(sql.load("queries/alert_close"), {"key": key, "now": now, "reason": None})
            continue
        fingerprint = _fingerprint(c)
        to = c["department_email"] or settings.bureau_email
        cc = settings.bureau_email if to != settings.bureau_email else None
        params = {"key": key, "value": c["value"], "target_value": c["target_value"], "comparator": c["comparator"],
                  "coverage_ok": c["coverage_ok"], "fingerprint": fingerprint, "to": to, "cc": cc, "now": now}
        if state is None:
            con.execute(sql.load("queries/alert_raise"), {
                **params, "indicator_code": c["indicator_code"], "region_code": c["region_code"],
                "period": c["period"], "kind": KIND_BELOW_TARGET, "variant": c["variant"]})
        elif state[1] != fingerprint or state[0] == "closed":
            con.execute(sql.load("queries/alert_update"), params)
        else:
            continue
        due.append(key)
    return due


def render(c: dict, cc: list[str]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of one alert (Chinese, Jinja2 templates in tasks/templates)."""
    year, month = int(c["period"][:4]), int(c["period"][5:7])
    span = f"{year}年1月" if month == 1 else f"{year}年1—{month}月"
    ctx = {**c, "year": year, "month": month, "span": span, "value_text": _fmt(c["value"], c["unit"], 1),
           "target_text": _fmt(c["target_value"], c["unit"]), "comparator_zh": _COMPARATOR_ZH[c["comparator"]],
           "cc": cc, "coverage_text": coverage_text(c)}
    env = _env()
    subject = env.get_template("alert.subject.j2").render(a=ctx).strip()
    text = env.get_template("alert.txt.j2").render(a=ctx)
    html = env.get_template("alert.html.j2").render(a=ctx, subject=subject)
    return subject, text, html


def _message(settings: Settings, c: dict, to: str, cc: str | None, sender: str) -> EmailMessage:
    subject, text, html = render(c, [cc] if cc else [])
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Date"] = formatdate(localtime=True)
    # Stable per alert version: a resend after a crash between send and ledger update can be deduplicated.
    msg["Message-ID"] = f"<{c['alert_key'].replace('|', '.')}.{c['fingerprint']}@ecoflow.local>"
    msg["X-Ecoflow-Alert"] = c["alert_key"]
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def _candidates(con: duckdb.DuckDBPyConnection, period: str) -> dict[str, dict]:
    cur = con.execute(sql.load("queries/alert_candidates"), {"period": period})
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    return {"|".join([r["indicator_code"], r["region_code"], r["period"], KIND_BELOW_TARGET, r["variant"]]): r
            for r in rows}


def deliver(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict:
    """Send every open alert not yet delivered, whatever its period; failures stay pending for the next try."""
    pending = con.execute(sql.load("queries/alerts_due")).fetchall()
    if not pending:
        return {"sent": 0, "pending": 0, "eml_files": []}
    candidates: dict[str, dict[str, dict]] = {}
    sent, errors, files = 0, [], []
    outbox = settings.outbox_dir / "sent"
    outbox.mkdir(parents=True, exist_ok=True)
    try:
        transport = mailer.connect(settings)
    except DeliveryError as exc:
        transport, errors = None, [str(exc)]
    try:
        for key, period, fingerprint, to, cc in pending:
            now = datetime.now(UTC)
            found = candidates.setdefault(period, _candidates(con, period)).get(key)
            if found is None:  # target or value gone since the alert was raised: nothing left to tell
                con.execute(sql.load("queries/alert_close"),
                            {"key": key, "now": now, "reason": "no longer measured against a target"})
                continue
            c = {**found, "alert_key": key, "fingerprint": fingerprint}
            path = outbox / f"{key.replace('|', '_')}.eml"
            try:
                if transport is None:
                    raise DeliveryError(errors[0])
                msg = _message(settings, c, to, cc, transport.sender)
                try:
                    path.write_bytes(bytes(msg))
                except OSError as exc:
                    raise DeliveryError(f"cannot write {path}: {exc}") from exc
                transport.send(msg)
            except DeliveryError as exc:
                con.execute(sql.load("queries/alert_mark_failed"), {"key": key, "now": now, "error": str(exc)})
                if str(exc) not in errors:
                    errors.append(str(exc))
                continue
            files.append(str(path))
            con.execute(sql.load("queries/alert_mark_sent"), {"now": now, "path": str(path), "key": key})
            sent += 1
    finally:
        if transport is not None:
            transport.close()
    result = {"sent": sent, "pending": len(pending) - sent, "eml_files": files}
    if errors:
        raise DeliveryError(f"indicator values are stored, but {len(pending) - sent} alert(s) were not delivered; "
                            f"they stay pending in alerts.ledger and go out on the next run: {errors[0]}")
    return result


def evaluate_and_send(con: duckdb.DuckDBPyConnection, settings: Settings, period: Period) -> dict:
    """Evaluate the month and the later months of its year (their YTD depends on it), then deliver."""
    from tasks.indicator_store import later_months

    for month in [period, *later_months(con, period)]:
        evaluate(con, settings, month)
    return deliver(con, settings)
