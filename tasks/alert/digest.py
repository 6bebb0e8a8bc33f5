"""Alert digests: one monthly digest per recipient on the dispatch date, and immediate mail only for what needs
action now.

Due means an alert's current version (opened, changed, escalated, or a closing notice) has not been delivered.
On the dispatch run (`dispatch=True`: the monthly run after the month's recomputation, or a person at the CLI)
each recipient gets one digest with every due alert it leads or is copied on: a department's opens with the table
of the indicators it leads (tasks.alert.digest_content), then what it must answer and by when, then what it is copied on
(知悉), then what changed since last month, signed with the bureau's 落款; the bureau's opens with a roll-up of
every region; a feed operator's lists the data gaps and the command to run. A department with no due alert and no
change gets nothing. Between dispatches (a delivery triggered a recomputation) only a new 进度预警 goes out at once,
to its lead department; the rest waits for the month's digest. Each alert shows its value, target, coverage, the
data it came from and a trend chart (PNG, inline). A digest that cannot be sent leaves every alert in it pending
in the ledger for the next run; one that went out marks them sent, so nothing is lost or sent twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import duckdb

from tasks.alert import digest_content, project_digest
from tasks.alert.rules import FEED_GAPS, LABELS_ZH
from tasks.core import sql, templates
from tasks.core.errors import DeliveryError
from tasks.core.periods import Period
from tasks.core.settings import Settings
from tasks.core.warehouse import execute_with_frame
from tasks.notify import mailer
from tasks.notify.messages import DIGEST
from tasks.notify.wording import COMPARATOR_ZH, dates_zh, period_zh, rules_zh, with_unit
from tasks.sources.spec import title as source_title

_COVERAGE_ZH = {"days": ("有效天数", "天"), "sections": ("参与评价断面", "个"), "facilities": ("报送设施", "个"),
                "submission": ("报送", "份"), "cities": ("有值盟市", "个")}
CHART_MONTHS = 24


def coverage_text(unit: str | None, valid: int | None, expected: int | None) -> str:
    """E.g. 有效天数 28 / 31 天, 参与评价断面 5 / 6 个 — coverage in the value's own units."""
    if valid is None:
        return "—"
    label, suffix = _COVERAGE_ZH.get(unit or "days", ("覆盖", ""))
    return f"{label} {valid} / {expected} {suffix}".rstrip()


def span_text(period: str, basis: str | None) -> str:
    year, month = int(period[:4]), int(period[5:7])
    if basis == "ytd":
        return f"{year}年1月" if month == 1 else f"{year}年1—{month}月累计"
    return f"{year}年{month}月"


def _sources(con: duckdb.DuckDBPyConnection, last: dict | None) -> str:
    """The data a value came from, for people: the department and the file (and cell) it submitted, or the files
    a feed delivered — never batch ids."""
    if not last:
        return ""
    if last.get("lineage"):
        lineage = json.loads(last["lineage"])
        sheet, cell = lineage.get("sheet"), lineage.get("cell")
        cell_text = f"{cell}单元格" if cell else ""
        where = f"（{sheet}表{cell_text}）" if sheet else (f"（{cell_text}）" if cell else "")
        return DIGEST["sources_submitted"].format(department=lineage.get("department_name") or "部门",
                                                  file=lineage.get("file_name") or "", where=where)
    batches = list(last.get("batch_ids") or [])
    if not batches:
        return ""
    files = sql.rows(con, "queries/batch_files", {"ids": batches})
    if not files:
        return ""
    names = list(dict.fromkeys(f["file_name"] for f in files))
    return DIGEST["sources_files"].format(source=source_title(files[0]["source"], "监测数据"),
                                          files="、".join(names[:3]),
                                          more=DIGEST["sources_more"].format(n=len(names)) if len(names) > 3 else "")


def _finding(a: dict, detail: dict, coverage: str) -> str:
    """What a rule found, as an official text says it: Chinese dates, the value with its unit and precision."""
    unit, digits = a["unit"], a["evaluation_digits"]
    if a["kind"] == "data_gap" and detail.get("deadline"):
        return DIGEST["finding_data_gap"].format(deadline=dates_zh(detail["deadline"]),
                                                 period=period_zh(a["period"]))
    if a["kind"] == "missing" and detail.get("deadline"):
        return DIGEST["finding_missing"].format(deadline=dates_zh(detail["deadline"]), period=period_zh(a["period"]))
    if a["kind"] == "projected_miss" and detail.get("projected_value") is not None:
        return DIGEST["finding_projected"].format(projected=with_unit(detail["projected_value"], unit, digits))
    if a["kind"] == "regression_yoy" and detail.get("worse_by") is not None:
        worse = with_unit(detail["worse_by"], "", digits) + ("个百分点" if unit == "%" else
                                                             "" if unit in ("—", "") else f" {unit}")
        return DIGEST["finding_regression"].format(worse=worse, tolerance=detail.get("tolerance", ""))
    if a["kind"] == "thin_data" and coverage:
        return DIGEST["finding_thin"].format(coverage=coverage)
    return dates_zh(detail.get("finding", ""))


def _target_text(a: dict) -> str:
    if a.get("target_kind") == "task":
        return a.get("target_text") or DIGEST["target_task"]
    if a["target_value"] is None:
        return DIGEST["target_assigned"] if a.get("target_kind") == "assigned" else ""
    return f"{COMPARATOR_ZH.get(a['comparator'] or '', a['comparator'] or '')}{with_unit(a['target_value'], a['unit'])}"


def _alert_view(con: duckdb.DuckDBPyConnection, a: dict) -> dict:
    """What the digest shows of one alert, and its chart."""
    from tasks.notify.charts import trend_png

    period = Period.parse(a["period"])
    series = sql.rows(con, "queries/alert_series", {
        "indicator_code": a["indicator_code"], "region_code": a["region_code"], "variant": a["variant"],
        "first": str(period.shift(-(CHART_MONTHS - 1))), "last": a["period"]})
    months = [(r["period"], r["value"]) for r in series if r["period_type"] == "month"]
    ytd = [(r["period"], r["value"]) for r in series if r["period_type"] == "ytd"]
    submitted = [(r["period"], r["value"]) for r in series if r["period_type"] == "submitted"]
    basis = "ytd" if ytd else ("submitted" if submitted else None)
    last = next((r for r in reversed(series) if r["period_type"] == basis and r["period"] == a["period"]), None)
    detail = json.loads(a["detail"]) if a["detail"] else {}
    digits = a["evaluation_digits"]
    coverage = coverage_text((last or {}).get("coverage_unit"), (last or {}).get("coverage_valid"),
                             (last or {}).get("coverage_expected"))
    chart = None
    points = months or submitted
    if a["status"] == "open" and len([v for _, v in points if v is not None]) >= 2:
        chart = trend_png(points, ytd=ytd or None, target=a["target_value"], unit=a["unit"], highlight=a["period"])
    return {
        **a, "label": LABELS_ZH[a["kind"]], "detail": detail, "finding": _finding(a, detail, coverage),
        "period_zh": period_zh(a["period"]), "close_reason_zh": dates_zh(a["close_reason"]),
        "span": span_text(a["period"], basis), "value_text": with_unit(a["value"], a["unit"], digits),
        "target_text": _target_text(a),
        "last_year_text": with_unit(detail.get("last_year_value"), a["unit"], digits)
        if "last_year_value" in detail else None,
        "projected_text": with_unit(detail.get("projected_value"), a["unit"], digits)
        if "projected_value" in detail else None,
        "coverage_text": "" if coverage == "—" else coverage,
        "coverage_ok": a["coverage_ok"], "sources": _sources(con, last),
        "rules_text": rules_zh((last or {}).get("rules_version")),
        "chart": chart, "cid": None, "escalated": bool(a["escalation"]),
    }


def _gaps(views: list[dict]) -> list[dict]:
    """An operator's data gaps, one per feed and month: the command to run once, and what it leaves uncomputed,
    the indicators that share a finding on one line."""
    groups: dict[tuple[str, str], dict] = {}
    for v in views:
        source = v["detail"].get("source") or ""
        group = groups.setdefault((source, v["period"]), {
            "source_zh": source_title(source, "监测数据"), "period_zh": v["period_zh"],
            "command": v["detail"].get("command"), "findings": {}})
        group["findings"].setdefault(v["finding"], []).append(f"{v['region_name']}「{v['indicator_name']}」")
    return [{**g, "findings": [{"finding": f, "items": items} for f, items in g["findings"].items()]}
            for _, g in sorted(groups.items())]


def _digest_id(recipient: str, alerts: list[dict]) -> str:
    payload = json.dumps([recipient, sorted([a["alert_key"], a["fingerprint"]] for a in alerts)])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def recipients(alert: dict, bureau: str) -> list[tuple[str, str]]:
    """(address, role) of everyone who hears of an alert: the lead department, then everyone in copy."""
    lead = alert["recipients_to"] or bureau
    copies = [x.strip() for x in (alert["recipients_cc"] or "").split(",") if x.strip()]
    return [(lead, "lead"), *((c, "copy") for c in dict.fromkeys(copies) if c != lead)]


def _mode(items: list[tuple[dict, str]], dispatch: bool) -> str:
    if not dispatch:
        return "immediate"
    if items and all(a["kind"] in FEED_GAPS and "command" in (a["detail"] or "") for a, _ in items):
        return "operator"
    return "monthly"


def build(con: duckdb.DuckDBPyConnection, recipient: str, name: str | None, items: list[tuple[dict, str]],
          settings: Settings, *, sender: str, period: Period | None, dispatch: bool = True,
          is_bureau: bool = False) -> tuple[EmailMessage, str]:
    """The digest for one recipient: its summary (or the bureau's roll-up), the alerts it leads with the ask and
    the deadline, those it is copied on, what changed; text, HTML, charts."""
    alerts = [a for a, _ in items]
    views = [{**_alert_view(con, a), "role": role} for a, role in items]
    mode = _mode(items, dispatch)
    period = period or max((Period.parse(a["period"]) for a in alerts), default=None)
    digest_id = _digest_id(recipient, alerts if alerts else [{"alert_key": f"monthly|{period}", "fingerprint": ""}])
    for n, v in enumerate(views):
        if v["chart"] is not None:
            v["cid"] = make_msgid(idstring=f"chart{n}", domain="ecoflow.local")
    reply = digest_content.reply_by(period, settings.reply_day) if period else None
    for v in views:
        v["ask"] = digest_content.ask(v["kind"], reply) if reply and v["role"] == "lead" else None
    opened = [v for v in views if v["status"] == "open"]
    closed = [v for v in views if v["status"] == "closed"]
    summary = digest_content.led(con, recipient, period) if period and mode == "monthly" and not is_bureau else []
    ctx = {"to": recipient, "department": name, "mode": mode, "opened": opened, "closed": closed,
           "leading": [v for v in opened if v["role"] == "lead"],
           "copied": [v for v in opened if v["role"] != "lead"],
           "leads": sum(v["role"] == "lead" for v in opened),
           "periods": sorted({v["period"] for v in views}), "escalated": any(v["escalated"] for v in opened),
           "periods_zh": [period_zh(p) for p in sorted({v["period"] for v in views})],
           "gaps": _gaps(opened) if mode == "operator" else [], "say": DIGEST,
           "period_zh": digest_content.period_zh(period) if period else "",
           "reply_text": f"{reply.month}月{reply.day}日" if reply else "",
           "summary": summary, "changes": [r for r in summary if r["changed"]],
           "rollup": digest_content.rollup(con, period) if period and is_bureau and mode == "monthly" else [],
           "signature": settings.signature, "contact": settings.contact,
           "signed_on": formatdate(localtime=True),
           "projects": project_digest.section(con, recipient)}
    env = templates.environment()
    subject = env.get_template("digest.subject.j2").render(d=ctx).strip()
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = recipient
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = f"<digest.{digest_id}@ecoflow.local>"  # stable per content: a resend can be deduplicated
    msg["X-Ecoflow-Alerts"] = ", ".join(a["alert_key"] for a in alerts)
    msg["X-Ecoflow-Digest"] = mode
    # sections a digest does not have leave no run of blank lines behind
    msg.set_content(re.sub(r"\n{3,}", "\n\n", env.get_template("digest.txt.j2").render(d=ctx)))
    msg.add_alternative(env.get_template("digest.html.j2").render(d=ctx, subject=subject), subtype="html")
    html_part = msg.get_payload()[1]
    for v in views:
        if v["chart"] is not None:
            html_part.add_related(v["chart"], maintype="image", subtype="png", cid=v["cid"], disposition="inline",
                                  filename=f"{v['indicator_code']}_{v['region_code']}.png")
    return msg, digest_id


DELIVERY_COLUMNS = ("alert_key", "version", "recipient", "role", "status", "last_error", "digest_id", "eml_path",
                    "updated_at")


def _record(con: duckdb.DuckDBPyConnection, deliveries: list[dict]) -> None:
    """A recipient's delivery of each alert version of its digest, in one statement (alerts.deliveries; an upsert
    a row cost ~6 ms, and a digest may carry dozens of alerts)."""
    if deliveries:
        import pandas as pd

        frame = pd.DataFrame(deliveries, columns=list(DELIVERY_COLUMNS)).astype(
            {c: "object" for c in DELIVERY_COLUMNS if c != "updated_at"})
        execute_with_frame(con, "queries/alert_delivery_record", frame)


def _immediate(con: duckdb.DuckDBPyConnection, a: dict) -> bool:
    """Needs action now: a new 进度预警 — its owners never told of it, and no 进度预警 of an earlier month of the year
    still open for the indicator (a persisting one is the monthly digest's). A rejection is the receipts' own mail."""
    from tasks.alert.engine import open_before

    if a["kind"] != "projected_miss" or a["status"] != "open" or a["sent_fingerprint"] is not None:
        return False
    return not open_before(con, a, "projected_miss", f"{a['period'][:4]}-01")


def _groups(con: duckdb.DuckDBPyConnection, settings: Settings, due: list[dict], dispatch: bool,
            period: Period | None) -> dict[str, list[tuple[dict, str]]]:
    """Recipient -> the (alert, role) it has not had yet; on a dispatch with a period, also the bureau (its
    roll-up) and every department whose led indicators changed, unless they had the month's digest already (a
    month nothing was evaluated for has no roll-up)."""
    have = {(r["alert_key"], r["version"], r["recipient"]) for r in sql.rows(
        con, "queries/alert_delivered_to", {"keys": [a["alert_key"] for a in due] + [f"monthly|{period}"]})}
    groups: dict[str, list[tuple[dict, str]]] = {}
    for a in due:
        for address, role in recipients(a, settings.bureau_email):
            if (dispatch or role == "lead") and (a["alert_key"], a["fingerprint"], address) not in have:
                groups.setdefault(address, []).append((a, role))
    if dispatch and period is not None and digest_content.rollup(con, period):
        changed = [r["email"] for r in sql.rows(con, "queries/digest_changed_leads", {
            "period": str(period), "previous": str(period.shift(-1))})]
        for address in [settings.bureau_email, *changed]:
            if (f"monthly|{period}", MONTHLY, address) not in have:
                groups.setdefault(address, [])
    return groups


MONTHLY = "monthly"  # the version under which a recipient's monthly digest of a period is recorded


def deliver(con: duckdb.DuckDBPyConnection, settings: Settings, *, period: Period | None = None,
            dispatch: bool = True) -> dict:
    """The due alerts to their recipients: on a dispatch one digest per recipient (with the month's summary for
    `period`), otherwise only new 进度预警 to their lead departments. Each recipient's delivery of each alert
    version is recorded (alerts.deliveries), and so is each recipient's monthly digest: a recipient that already
    has one never gets it again, a failed one is retried alone; an alert is `sent` once all its recipients have it."""
    due = sql.rows(con, "queries/alerts_due")
    if not dispatch:
        due = [a for a in due if _immediate(con, a)]
    if period is None and dispatch and due:
        period = max(Period.parse(a["period"]) for a in due)
    groups = _groups(con, settings, due, dispatch, period)
    if not groups:
        return {"sent": 0, "pending": len(due) if not dispatch else 0, "digests": 0, "eml_files": []}
    names = {r["email"].lower(): r["name_zh"] for r in sql.rows(con, "queries/department_names")}
    names.setdefault(settings.bureau_email.lower(), "生态环境主管部门")
    outbox = settings.outbox_dir / "sent"
    outbox.mkdir(parents=True, exist_ok=True)
    errors: dict[str, str] = {}
    files = []
    try:
        transport = mailer.connect(settings)
    except DeliveryError as exc:
        transport, failure = None, str(exc)
    try:
        for address, items in groups.items():
            now = datetime.now(UTC)
            digest_id, path, error = None, None, None
            try:
                if transport is None:
                    raise DeliveryError(failure)
                msg, digest_id = build(con, address, names.get(address.lower()), items, settings,
                                       sender=transport.sender, period=period, dispatch=dispatch,
                                       is_bureau=address.lower() == settings.bureau_email.lower())
                path = outbox / f"digest_{digest_id}.eml"
                try:
                    path.write_bytes(bytes(msg))
                except OSError as exc:
                    raise DeliveryError(f"cannot write {path}: {exc}") from exc
                transport.send(msg)
                files.append(str(path))
            except DeliveryError as exc:
                error = errors[address] = str(exc)
            record = [(a["alert_key"], a["fingerprint"], role) for a, role in items]
            if dispatch and period is not None:
                record.append((f"monthly|{period}", MONTHLY, "digest"))
            # recorded as soon as the digest went out (or failed), before the next one is sent
            _record(con, [{"alert_key": key, "version": version, "recipient": address, "role": role,
                           "status": "failed" if error else "sent", "last_error": error, "digest_id": digest_id,
                           "eml_path": None if error else str(path), "updated_at": now}
                          for key, version, role in record])
    finally:
        if transport is not None:
            transport.close()
    sent_keys = []
    now = datetime.now(UTC)
    for a in due:
        failed = [errors[address] for address, _ in recipients(a, settings.bureau_email) if address in errors]
        if failed:
            con.execute(sql.load("queries/alert_mark_failed"), {"key": a["alert_key"], "now": now, "error": failed[0]})
        elif dispatch:
            sent_keys.append(a["alert_key"])
    if sent_keys:
        con.execute(sql.load("queries/alert_mark_sent"), {"now": now, "keys": sent_keys})
    sent = len(sent_keys)
    pending = len(due) - sent
    result = {"sent": sent, "pending": pending, "digests": len(files), "eml_files": files}
    if errors:
        first = next(iter(errors.values()))
        raise DeliveryError(f"indicator values are stored, but {len(errors)} digest(s) did not go out and "
                            f"{pending} alert(s) did not reach every recipient; they stay pending in "
                            f"alerts.ledger and go out on the next run: {first}")
    return result
