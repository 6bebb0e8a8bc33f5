"""Replies to departments' submissions: a receipt listing what was taken (and what changed), or the exact
cells to fix. Queued in meta.inbox_files and sent here; a failed send stays queued for the next inbox run.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import duckdb

from tasks.core import periods, sql, templates
from tasks.core.errors import DeliveryError
from tasks.core.periods import TZ, Period
from tasks.core.settings import Settings
from tasks.notify import mailer, messages
from tasks.sources.submissions import drinking_water as source_sheet
from tasks.sources.submissions import template
from tasks.sources.submissions.reader import sheet_and_row
from tasks.standards import drinking_water as standard

DEADLINE_DAY = 10  # as the `missing` alert rule's default (warehouse/catalogue/alert_rules.csv): the 10th
_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# handled, or said once as the list of blanks: nothing to ask for
_SILENT_WARNINGS = ("submission.identified_by_meta", "submission.code_from_meta", "submission.blank")

def _rows(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    return sql.rows(con, name, params)


def build(con: duckdb.DuckDBPyConnection, settings: Settings, item: dict, sender: str) -> EmailMessage:
    """The reply to one inbox file (Chinese, text + HTML from tasks/templates/receipt.*.j2)."""
    ctx = context(con, item)
    env = templates.environment()
    subject = env.get_template("receipt.subject.j2").render(r=ctx, m=messages.RECEIPT).strip()
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    to, cc = recipients(settings, item)
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = f"<inbox.{item['file_id']}@ecoflow.local>"  # stable: a resend can be deduplicated
    msg["X-Ecoflow-Inbox-File"] = item["file_id"]
    # a part a reply does not have (no blanks, no warnings) leaves no run of blank lines behind
    msg.set_content(re.sub(r"\n{3,}", "\n\n", env.get_template("receipt.txt.j2").render(r=ctx, m=messages.RECEIPT)))
    msg.add_alternative(env.get_template("receipt.html.j2").render(r=ctx, m=messages.RECEIPT, subject=subject),
                        subtype="html")
    return msg


def context(con: duckdb.DuckDBPyConnection, item: dict) -> dict[str, Any]:
    """What the reply says: what was taken, what is still owed and by when; or each cell to fix, the rule in
    words, which of duplicated rows to keep, and how and by when to send the file again."""
    say = messages.RECEIPT
    period = item["period"] if item["period"] and _PERIOD.fullmatch(item["period"]) else None
    due = messages.date_zh(periods.deadline(Period.parse(period), "monthly", DEADLINE_DAY)) if period else None
    # an indicator sheet's values, a project sheet's (each project's figures as one line of text), or a source
    # sheet's (each source's month judged, as one line)
    values = (_rows(con, "queries/submission_batch_values", {"batch_id": item["batch_id"]})
              or _rows(con, "queries/project_batch_values", {"batch_id": item["batch_id"]})
              or source_values(con, item["batch_id"])) \
        if item["outcome"] == "accepted" else []
    month = int(period[5:]) if period else None
    for v in values:
        v["value_text"] = say["blank"] if v["value"] is None else _figure(v["value"], v["unit"])
        v["where"] = f"{v['sheet']}表{v['cell']}单元格" if v["sheet"] else f"{v['cell']}单元格"
        v["previous_text"] = (_figure(v["previous_value"], v["unit"])
                              if v["previous_value"] is not None and v["previous_value"] != v["value"] else None)
    findings = _rows(con, "queries/receipt_finding_indicators", {"batch_id": item["batch_id"]}) \
        if item["batch_id"] else []
    catalogue = {r["indicator_code"]: r for r in _rows(con, "queries/receipt_indicators", {})}
    errors = [f for f in findings if f["severity"] == "error"]
    fixes, duplicates = _fixes(errors, catalogue)
    suffix = (item["received_name"] or "").lower().rsplit(".", 1)[-1]
    return {
        **item, "taken": [v for v in values if v["value"] is not None],
        # an annual indicator left blank before its reporting month is not a gap: its sheet says so
        "blanks": [v["name_zh"] for v in values if v["value"] is None
                   and not (v.get("frequency") == "annual" and month != template.ANNUAL_MONTH)],
        "period_zh": messages.period_zh(item["period"]), "deadline": due or "规定期限",
        "department": item["department_name"] or "未识别部门",
        "received_local": _when(item["received_at"]),
        "changed": [v for v in values if v["previous_text"]],
        "owed": _owed(con, item, period) if item["outcome"] == "accepted" and period else [],
        "fixes": fixes, "duplicates": duplicates,
        "warnings": [messages.rule_zh(f["rule"], f["reason"]) for f in findings if f["severity"] == "warning"
                     and f["rule"] not in _SILENT_WARNINGS],
        "resubmit": say["resubmit_csv" if suffix == "csv" else "resubmit_xlsx"].format(deadline=due or "规定期限"),
        "technical": None if fixes or duplicates or item["outcome"] == "accepted" else item["reason"],
        "file_ref": receipt_number(str(item["file_id"])),
    }


def _when(moment: datetime) -> str:
    """2025年2月7日 09:05: the date as an official text writes it (no leading zeros), the time as a clock shows it."""
    local = moment.astimezone(TZ)
    return f"{messages.date_zh(local)} {local:%H:%M}"


def source_values(con: duckdb.DuckDBPyConnection, batch_id: str) -> list[dict]:
    """A source sheet's month, one line per listed source: the items assessed and those above their class Ⅲ
    limit, the natural-background items apart, the water taken; a source left blank is not monitored (None)."""
    found = _rows(con, "queries/drinking_water_batch_values", {"batch_id": batch_id})
    if not any(r["item"] for r in found):
        return []
    lines = []
    for code in dict.fromkeys(r["source_code"] for r in found):
        rows = [r for r in found if r["source_code"] == code and r["item"]]
        first = next(r for r in found if r["source_code"] == code)
        cells = {r["item"]: (standard.Reading(r["value"], r["below_detection"], r["detection_limit"]),
                             r["value_text"]) for r in rows}
        month = standard.judge_month(code, "", first["source_kind"], first["water_body"],
                                     first["background_items"] or [], cells)
        span = (f"{source_sheet.VALUE_COLUMN}{min(r['source_line'] for r in rows)}:"
                f"{source_sheet.VALUE_COLUMN}{max(r['source_line'] for r in rows)}") if rows else ""
        lines.append({"indicator_code": code, "name_zh": first["name_zh"], "value": _source_words(month)
                      if rows else None, "unit": "", "sheet": source_sheet.SHEET, "cell": span,
                      "previous_value": None, "previous_file": None})
    return lines


def _source_words(month: standard.SourceMonth) -> str:
    """评价37项，均达到Ⅲ类；本月取水量 52.3 万吨 — or the items that did not, with their limits."""
    if not month.evaluated:
        words = "未填报评价项目"
    elif month.met:
        words = f"评价{month.assessed}项，均达到Ⅲ类标准"
    else:
        missed = month.failing + month.unjudged
        words = f"评价{month.assessed}项，{len(missed)}项未达到Ⅲ类标准：{'、'.join(missed)}"
    if month.background:
        words += f"；{'、'.join(month.background)}"
    supply = "未填报" if month.supply is None else f"{month.supply:g} 万吨"
    return f"{words}；本月取水量 {supply}"


def _figure(value: float | str, unit: str | None) -> str:
    """A submitted number with its unit; a project's figures come already worded."""
    return value if isinstance(value, str) else f"{value:g}{_unit(unit)}"


def receipt_number(file_id: str) -> str:
    """A short number a clerk can quote on the phone (digits only), derived from the inbox file's id; the id itself
    stays in the logs and `ecoflow inbox --json`."""
    return f"{int(file_id[:10], 16) % 10**8:08d}" if all(c in "0123456789abcdef" for c in file_id[:10]) \
        else file_id[:8]


def _fixes(errors: list[dict], catalogue: dict[str, dict]) -> tuple[list[dict], list[dict]]:
    """One line per failing cell (indicator, cell, value, the rule in words), and one entry per duplicated
    indicator saying which row to keep: the only copy that fails nothing else, when there is exactly one."""
    failing_elsewhere = {(f["column_name"]) for f in errors if f["rule"] != "submission.duplicate"}
    fixes, dup_rows = [], {}
    for f in errors:
        entry = catalogue.get(f["indicator_code"] or "", {})
        name = entry.get("name_zh") or source_sheet.finding_name(f.get("record")) or "（未识别的指标）"
        if f["rule"] == "submission.duplicate":
            dup_rows.setdefault(name, []).append(f)
            continue
        task = entry.get("unit") in ("—", "") and entry.get("min_value") == 0 and entry.get("max_value") == 1
        words = (messages.RECEIPT["task_answer"] if task and f["rule"] in ("submission.range", "submission.not_numeric")
                 else messages.range_words(entry.get("min_value"), entry.get("max_value"), entry.get("unit"))
                 if f["rule"] == "submission.range" else messages.rule_zh(f["rule"], f["reason"]))
        sheet, cell, line = sheet_and_row(f["column_name"], f["source_line"])
        fixes.append({"name": name, "cell": f"{sheet}表{cell}" if sheet else cell or "—", "line": line,
                      "value": f["value_text"] if f["value_text"] not in (None, "") else "（空）", "rule": words})
    duplicates = []
    for name, rows in dup_rows.items():
        clean = [r for r in rows if r["column_name"] not in failing_elsewhere]
        listed = "、".join(f"{_place(r['column_name'])}单元格填{r['value_text']}" for r in rows)
        text = messages.RECEIPT["duplicate"].format(name=name, n=len(rows), rows=listed)
        text += (messages.RECEIPT["keep"].format(cell=f"{_place(clean[0]['column_name'])}单元格",
                                                 value=clean[0]["value_text"])
                 if len(clean) == 1 else messages.RECEIPT["keep_unknown"])
        duplicates.append({"name": name, "text": text})
    return fixes, duplicates


def _place(column_name: str | None) -> str:
    """A finding's cell as a clerk finds it: 年度指标!G8 → 年度指标表G8 (a cell of a one-sheet file stays G8)."""
    sheet, cell, _ = sheet_and_row(column_name, None)
    return f"{sheet}表{cell}" if sheet else cell or "—"


def _owed(con: duckdb.DuckDBPyConnection, item: dict, period: str) -> list[dict]:
    """The department's indicators of the period not yet submitted: monthly ones every month, annual ones in
    their reporting month (December, due by the 10th of January)."""
    done = {r["indicator_code"] for r in _rows(con, "queries/receipt_submitted_codes",
                                               {"department": item["department_code"], "period": period})}
    month = int(period[5:])
    owed = []
    for r in _rows(con, "queries/template_rows", template.rows_params(period, item["department_code"])):
        if r["indicator_code"] in done or (r["frequency"] == "annual" and month != template.ANNUAL_MONTH):
            continue
        owed.append({"name": r["name_zh"], "no": _plan_no(r), "annual": r["frequency"] == "annual"})
    return owed


def _plan_no(r: dict) -> str:
    if r["national_no"] is None:
        return ""
    return f"{r['national_no']}.{r['sub_no']}" if (r["sub_no"] or 1) > 1 else str(r["national_no"])


def _unit(unit: str | None) -> str:
    return "" if unit in (None, "", "—") else ("%" if unit == "%" else f" {unit}")


def recipients(settings: Settings, item: dict) -> tuple[list[str], list[str]]:
    """The department when the file named a known one, else the bureau (a data steward sorts it out)."""
    if item.get("department_email"):
        return [item["department_email"]], [settings.bureau_email]
    return [settings.bureau_email], []


def deliver_pending(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, tuple[str, list[str]]]:
    """Send every queued reply; returns received name -> (sent | failed, recipients)."""
    due = _rows(con, "queries/inbox_replies_due", {})
    if not due:
        return {}
    folder = settings.outbox_dir / "replies"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        transport, error = mailer.connect(settings), None
    except DeliveryError as exc:
        transport, error = None, str(exc)
    statuses = {}
    try:
        for item in due:
            to, cc = recipients(settings, item)
            params = {"file_id": item["file_id"], "reply_to": ", ".join(to + cc), "eml": None, "error": None}
            try:
                if transport is None:
                    raise DeliveryError(error)
                msg = build(con, settings, item, transport.sender)
                path = folder / f"{item['received_at'].astimezone(TZ):%Y%m%dT%H%M%S}-{item['file_id'][:8]}.eml"
                path.write_bytes(bytes(msg))
                refused = transport.send(msg)
            except DeliveryError as exc:
                con.execute(sql.load("queries/inbox_reply_mark"), {**params, "status": "failed", "error": str(exc)})
                statuses[item["received_name"]] = ("failed", to + cc)
                continue
            con.execute(sql.load("queries/inbox_reply_mark"), {
                **params, "status": "sent", "eml": str(path),
                "error": f"refused by the server: {', '.join(sorted(refused))}" if refused else None})
            statuses[item["received_name"]] = ("sent", to + cc)
    finally:
        if transport is not None:
            transport.close()
    return statuses
