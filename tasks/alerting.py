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
from email.utils import formatdate, make_msgid
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined

from tasks import mailer, sql
from tasks.errors import DeliveryError
from tasks.periods import Period
from tasks.settings import Settings

KIND_BELOW_TARGET = "below_target"
_COMPARATOR_ZH = {">=": "≥", "<=": "≤"}


def _env() -> Environment:
    return Environment(loader=PackageLoader("tasks", "templates"), undefined=StrictUndefined, autoescape=True)


def misses(comparator: str, value: float | None, target: float) -> bool:
    if value is None:
        return False
    if comparator == ">=":
        return value < target
    if comparator == "<=":
        return value > target
    raise ValueError(f"unknown comparator {comparator!r} in catalogue/targets.csv")


def _fmt(value: float, unit: str) -> str:
    return f"{value:g}{'%' if unit == '%' else ' ' + unit}"


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
        existing = con.execute("SELECT status, sent_fingerprint FROM alerts.ledger WHERE alert_key = ?",
                               [key]).fetchone()
        if not misses(c["comparator"], c["value"], c["target_value"]):
            if existing and existing[0] == "open":
                con.execute("UPDATE alerts.ledger SET status = 'closed', updated_at = ? WHERE alert_key = ?",
                            [now, key])
            continue
        fingerprint = _fingerprint(c)
        to = c["department_email"] or settings.bureau_email
        cc = settings.bureau_email if to != settings.bureau_email else None
        if existing is None:
            con.execute(
                """INSERT INTO alerts.ledger (alert_key, indicator_code, region_code, period, kind, variant, status,
                       value, target_value, comparator, coverage_ok, fingerprint, sent_fingerprint,
                       delivery_status, attempts, recipients_to, recipients_cc, first_raised_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, NULL, 'pending', 0, ?, ?, ?, ?)""",
                [key, c["indicator_code"], c["region_code"], c["period"], KIND_BELOW_TARGET, c["variant"],
                 c["value"], c["target_value"], c["comparator"], c["coverage_ok"], fingerprint, to, cc, now, now])
        elif existing[1] != fingerprint:
            con.execute(
                """UPDATE alerts.ledger SET status = 'open', value = ?, target_value = ?, comparator = ?,
                       coverage_ok = ?, fingerprint = ?, delivery_status = 'pending', recipients_to = ?,
                       recipients_cc = ?, updated_at = ? WHERE alert_key = ?""",
                [c["value"], c["target_value"], c["comparator"], c["coverage_ok"], fingerprint, to, cc, now, key])
        else:
            continue
        due.append(key)
    return due


def render(c: dict, cc: list[str]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of one alert (Chinese, Jinja2 templates in tasks/templates)."""
    year, month = int(c["period"][:4]), int(c["period"][5:7])
    span = f"{year}年1月" if month == 1 else f"{year}年1—{month}月"
    ctx = {**c, "year": year, "month": month, "span": span, "value_text": _fmt(c["value"], c["unit"]),
           "target_text": _fmt(c["target_value"], c["unit"]), "comparator_zh": _COMPARATOR_ZH[c["comparator"]],
           "cc": cc}
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
    msg["Message-ID"] = make_msgid(domain="ecoflow.local")
    msg["X-Ecoflow-Alert"] = c["alert_key"]
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def deliver(con: duckdb.DuckDBPyConnection, settings: Settings, period: Period) -> dict:
    """Send every pending/failed alert of the period; failures stay in the ledger for the next try."""
    pending = con.execute(
        "SELECT alert_key, recipients_to, recipients_cc FROM alerts.ledger WHERE period = ? AND status = 'open' "
        "AND delivery_status IN ('pending', 'failed') ORDER BY alert_key", [str(period)]).fetchall()
    if not pending:
        return {"sent": 0, "pending": 0, "eml_files": []}
    cur = con.execute(sql.load("queries/alert_candidates"), {"period": str(period)})
    cols = [d[0] for d in cur.description]
    candidates = {"|".join([r[0], r[1], r[2], KIND_BELOW_TARGET, r[3]]): dict(zip(cols, r, strict=True))
                  for r in cur.fetchall()}
    sent, errors, files = 0, [], []
    outbox = settings.outbox_dir / "sent"
    outbox.mkdir(parents=True, exist_ok=True)
    try:
        transport = mailer.connect(settings)
    except DeliveryError as exc:
        transport, errors = None, [str(exc)]
    for key, to, cc in pending:
        c = {**candidates[key], "alert_key": key}
        now = datetime.now(UTC)
        try:
            if transport is None:
                raise DeliveryError(errors[0])
            msg = _message(settings, c, to, cc, transport.sender)
            transport.send(msg)
        except DeliveryError as exc:
            con.execute("UPDATE alerts.ledger SET delivery_status = 'failed', attempts = attempts + 1, "
                        "last_error = ?, updated_at = ? WHERE alert_key = ?", [str(exc), now, key])
            if str(exc) not in errors:
                errors.append(str(exc))
            continue
        path = outbox / f"{key.replace('|', '_')}.eml"
        path.write_bytes(bytes(msg))
        files.append(str(path))
        con.execute("UPDATE alerts.ledger SET delivery_status = 'sent', attempts = attempts + 1, last_error = NULL, "
                    "sent_fingerprint = fingerprint, sent_at = ?, updated_at = ?, eml_path = ? WHERE alert_key = ?",
                    [now, now, str(path), key])
        sent += 1
    if transport is not None:
        transport.close()
    result = {"sent": sent, "pending": len(pending) - sent, "eml_files": files}
    if errors:
        raise DeliveryError(f"indicator values for {period} are stored, but {len(pending) - sent} alert(s) were not "
                            f"delivered; they stay pending in alerts.ledger and go out on the next run: {errors[0]}")
    return result


def evaluate_and_send(con: duckdb.DuckDBPyConnection, settings: Settings, period: Period) -> dict:
    evaluate(con, settings, period)
    return deliver(con, settings, period)


def outbox_files(settings: Settings) -> list[Path]:
    return sorted((settings.outbox_dir / "sent").glob("*.eml"))
