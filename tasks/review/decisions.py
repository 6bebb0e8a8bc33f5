"""Steward review of failing batches: what is waiting, what a steward is shown, and the decision log.

A run whose validation finds error-severity rows (or breaches the stop threshold) is registered here as a pending
review, with its rows staged but not landed (tasks.land.landing). A decision — taken in the Airflow UI, through its REST
API by `ecoflow review decide`, by a response timeout, or by a run's policy — lands the staged rows accordingly and
is appended to review.decisions with who, when, why and what the warehouse holds afterwards.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate
from functools import cache
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined

from tasks.core import sql
from tasks.core.errors import DeliveryError, UsageError
from tasks.core.periods import TZ
from tasks.core.settings import Settings
from tasks.core.warehouse import run_script
from tasks.notify import mailer, messages
from tasks.review.policy import LABELS, ReviewPolicy
from tasks.sources import spec
from tasks.validate import check_report
from tasks.validate.staging import LandingResult, RunValidation

NEEDS_REASON = ("accept_all", "reject")
SAMPLE_ROWS = 10
REPORTS_PREFIX = "/ecoflow/reports"   # where the Airflow plugin (plugins/ecoflow_reports.py) serves the reports


@dataclass(frozen=True)
class Decision:
    option: str                  # accept_clean | accept_all | reject
    decided_by: str              # an Airflow user id, `timeout`, `policy:<name>` or the CLI user
    via: str                     # airflow | cli | timeout | policy
    reason: str | None = None
    decided_at: datetime | None = None

    def to_record(self) -> dict:
        """The decision as it travels between steps (an Airflow XCom, a log line): codes and plain values only."""
        return {"option": self.option, "decided_by": self.decided_by, "via": self.via, "reason": self.reason,
                "decided_at": self.decided_at.isoformat() if self.decided_at else None}

    @classmethod
    def from_record(cls, record: dict) -> Decision:
        """A decision from `to_record`; an option that is not a code is refused (`check` says which are)."""
        at = record.get("decided_at")
        decision = cls(record["option"], decided_by=record["decided_by"], via=record["via"],
                       reason=record.get("reason") or None,
                       decided_at=datetime.fromisoformat(at) if isinstance(at, str) else at)
        if decision.option not in LABELS:
            raise UsageError(f"unknown decision {decision.option!r}: one of {', '.join(LABELS)}")
        return decision

    def check(self) -> None:
        if self.option not in LABELS:
            raise UsageError(f"unknown decision {self.option!r}: one of {', '.join(LABELS)}")
        if self.option in NEEDS_REASON and self.via != "timeout" and not (self.reason or "").strip():
            raise UsageError(f"{self.option} ({LABELS[self.option]}) needs a written reason")


@cache
def _env() -> Environment:
    """Plain-text notices, not escaped, with the option labels (built once: see tasks.core.templates)."""
    env = Environment(loader=PackageLoader("tasks", "templates"), undefined=StrictUndefined, autoescape=False)
    env.filters["zh_option"] = lambda code: LABELS.get(code, code)
    return env


# --- pending reviews ----------------------------------------------------------------------------------------------


def register(con: duckdb.DuckDBPyConnection, checked: RunValidation, *, waits_in: str,
             dag: dict[str, str] | None = None) -> None:
    """Record that the run waits for a steward (a retried validation registers it again, unchanged)."""
    con.execute(sql.load("queries/review_register"), {
        "review_id": checked.run_id, "source": checked.source, "period": checked.period,
        "batch_ids": [b.batch_id for b in checked.batches], "files": [b.file_name for b in checked.batches],
        "rows_in": checked.rows_in, "rows_bad": checked.rows_bad,
        "cells_lost": checked.rows_bad - checked.rows_overridable,
        "breach": "; ".join(str(b) for b in checked.breaches) or None,
        "rule_counts": json.dumps(checked.rule_counts, ensure_ascii=False, sort_keys=True),
        "reports": sorted({str(b.report_path) for b in checked.batches if b.report_path}),
        "waits_in": waits_in, "dag_id": (dag or {}).get("dag_id"), "dag_run_id": (dag or {}).get("dag_run_id"),
        "task_id": (dag or {}).get("task_id"), "now": datetime.now(UTC)})


def find(con: duckdb.DuckDBPyConnection, ref: str) -> dict:
    """A review by its id (the ingestion run) or by the id of one of its batches."""
    found = sql.rows(con, "queries/review_find", {"ref": ref})
    if not found:
        raise UsageError(f"no review for {ref!r}: give a review id or a batch id from `ecoflow review list`")
    review = found[0]
    review["rule_counts"] = json.loads(review["rule_counts"])
    return review


def pending(con: duckdb.DuckDBPyConnection) -> list[dict]:
    return sql.rows(con, "queries/review_pending", {})


def details(con: duckdb.DuckDBPyConnection, review: dict, settings: Settings, policy: ReviewPolicy,
            base_url: str = "") -> dict:
    """What a steward is shown: counts by rule with the reason, a sample of failing rows with file and line, the
    report links and what each option would do."""
    rules = sql.rows(con, "queries/review_rules", {"batch_ids": review["batch_ids"]})
    sample = sql.rows(con, "queries/review_sample", {"batch_ids": review["batch_ids"], "limit": SAMPLE_ROWS})
    failing = sql.rows(con, "queries/review_failing_batches", {"batch_ids": review["batch_ids"]})
    landed_now = con.execute(sql.load("queries/review_period_rows"),
                             {"source": review["source"], "period": review["period"],
                              "review_id": review["review_id"]}).fetchall()[0][0]
    declared = spec.BY_NAME.get(review["source"])
    source_zh = declared.title_zh if declared else review["source"]
    for r in (*rules, *sample):
        r["rule_zh"] = messages.rule_zh(r["rule"], r["reason"])
    for r in sample:  # a waste row's column is its item: named as the system's staff know it
        r["column_name"] = messages.WASTE_ITEMS_ZH.get(r["column_name"], r["column_name"])
    check = check_report.write(con, settings, review, source_zh)
    return {**review, "rules": rules, "sample": sample, "failing_batches": failing, "rows_landed_now": landed_now,
            "rows_good": review["rows_in"] - review["rows_bad"],
            "check_link": report_url(settings, check, base_url),
            "report_links": [report_url(settings, Path(p), base_url)
                             for p in _failing_first(review["reports"], failing)],
            "labels": LABELS, "source_zh": source_zh,
            "value_unit": declared.value_unit if declared else "条数据",
            "provider": policy.provider, "timeout_hours": round(policy.response_timeout.total_seconds() / 3600, 2),
            "timeout_option": policy.timeout_option(bool(review["breach"]))}


def _failing_first(reports: list[str], failing: list[dict]) -> list[str]:
    """The reports of the files with failing rows first (a report's folder is named after its batch)."""
    names = [b["batch_id"].replace(":", "_") for b in failing]
    return sorted(reports, key=lambda path: not any(f"/{name}/" in path for name in names))


def report_url(settings: Settings, report: Path, base_url: str = "") -> str:
    """The report's address in the Airflow web server (the plugin serves ECOFLOW_HOME/reports/gx)."""
    try:
        relative = report.resolve().relative_to((settings.reports_dir / "gx").resolve())
    except ValueError:
        return report.as_uri()
    return f"{base_url.rstrip('/')}{REPORTS_PREFIX}/{relative.as_posix()}"


def render(info: dict) -> tuple[str, str]:
    """The review's subject and Markdown body, in Chinese (what the Airflow UI and the email show)."""
    env = _env()
    subject = env.get_template("review.subject.j2").render(r=info).strip()
    body = env.get_template("review.body.md.j2").render(r=info)
    return subject, body


# --- decisions ----------------------------------------------------------------------------------------------------


def record(con: duckdb.DuckDBPyConnection, review: dict, decision: Decision, result: LandingResult) -> dict:
    """Append the decision to the log and close the review; returns the logged row."""
    state = resulting_state(review, decision.option, result)
    row = {
        "decision_id": uuid.uuid4().hex, "review_id": review["review_id"], "source": review["source"],
        "period": review["period"], "option": decision.option, "reason": (decision.reason or "").strip() or None,
        "decided_by": decision.decided_by, "decided_at": decision.decided_at or datetime.now(UTC),
        "via": decision.via, "batch_ids": list(review["batch_ids"]), "rows_landed": result.rows_landed,
        # left out by this decision: everything (reject), the rows no option can land (accept_all), the failing rows
        "rows_quarantined": review["rows_in"] if decision.option == "reject" else
        review["rows_bad"] - result.rows_overridden if decision.option == "accept_all" else result.rows_rejected,
        "rows_overridden": result.rows_overridden, "resulting_state": state, "correction_of": None}
    run_script(con, "queries/review_record", row)
    return row


def record_correction(con: duckdb.DuckDBPyConnection, original: dict, run_id: str, steward: str,
                      reason: str | None, result: LandingResult, replaced: int) -> dict:
    """Log a correction: the new batch first, then the batch it corrects (kept, with its findings)."""
    new_batch = result.batches[0].batch_id
    row = {
        "decision_id": uuid.uuid4().hex, "review_id": run_id, "source": original["source"],
        "period": original["period"], "option": "correction", "reason": (reason or "").strip() or None,
        "decided_by": steward, "decided_at": datetime.now(UTC), "via": "cli",
        "batch_ids": [new_batch, original["batch_id"]], "rows_landed": result.rows_landed, "rows_quarantined": 0,
        "rows_overridden": 0, "correction_of": original["batch_id"],
        "resulting_state": f"更正 {original['file_name']}：入库 {result.rows_landed} 行更正数据"
                           f"（替换已入库的 {replaced} 行），原批次及其隔离记录保留"}
    run_script(con, "queries/review_record", row)  # (no review row to close: a correction is not reviewed)
    return row


class Superseded(UsageError):
    """The review's run was replaced by a newer delivery of the same files before anyone decided it."""


def logged_option(con: duckdb.DuckDBPyConnection, review_id: str) -> str | None:
    """The option a decided review was decided with (its latest entry in the log)."""
    found = sql.rows(con, "queries/review_logged_option", {"review_id": review_id})
    return found[0]["option"] if found else None


class CorrectionRefused(UsageError):
    """A correction that fails validation itself lands nothing."""

    def __init__(self, path: Path, checked: RunValidation) -> None:
        counts = checked.rule_counts
        rules = ", ".join(f"{rule} ×{n}" for rule, n in sorted(counts.items(), key=lambda kv: -kv[1])[:5])
        reports = sorted({str(b.report_path) for b in checked.batches if b.report_path})
        super().__init__(f"{path}: the correction fails validation itself ({checked.rows_bad} of {checked.rows_in} "
                         f"rows: {rules}); nothing was landed. Report: {reports[0] if reports else '-'}")


def resulting_state(review: dict, option: str, result: LandingResult) -> str:
    period = review["period"]
    if option == "reject":
        return f"未入库：{period} 保留此前已入库的数据，{result.rows_rejected} 行不合格数据退回数据提供方"
    if option == "accept_all":
        return (f"已入库 {result.rows_landed} 行，其中 {result.rows_overridden} 行未通过错误级校验、"
                "按审核决定入库（相关指标值在数据来源中标注）")
    return f"已入库 {result.rows_landed} 行，{result.rows_rejected} 行不合格数据留在隔离区"


def log(con: duckdb.DuckDBPyConnection, period: str | None = None, limit: int = 50) -> list[dict]:
    """The decision log, newest first (one month's, or the latest)."""
    return sql.rows(con, "queries/review_decisions", {"period": period, "limit": limit})


# --- emails -------------------------------------------------------------------------------------------------------


def markdown_html(body: str) -> str:
    """The Markdown body (what the Airflow UI shows) as an HTML email part: tables, lists and links rendered, every
    text escaped (markdown-it's commonmark preset with tables, raw HTML off)."""
    from markdown_it import MarkdownIt

    inner = MarkdownIt("commonmark", {"html": False}).enable("table").render(body)
    return ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>'
            "body{font-family:'WenQuanYi Zen Hei','Microsoft YaHei',sans-serif;font-size:14px;color:#1d1d1d}"
            "table{border-collapse:collapse}th,td{border:1px solid #c9ced6;padding:3px 6px;text-align:left}"
            f"th{{background:#e9eef5}}</style></head><body>{inner}</body></html>")


def _send(settings: Settings, folder: str, name: str, to: list[str], subject: str, text: str,
          html: str | None = None) -> Path:
    """Write the message to the outbox, then send it; the .eml is kept either way (DeliveryError is raised).
    With `html`, the message is multipart/alternative: the plain text first, the HTML part after it."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = f"<{name}@ecoflow.local>"
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    out = settings.outbox_dir / folder
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.eml"
    try:
        transport = mailer.connect(settings)
    except DeliveryError:
        path.write_bytes(bytes(msg))
        raise
    try:
        msg["From"] = transport.sender
        path.write_bytes(bytes(msg))
        transport.send(msg)
    finally:
        transport.close()
    return path


def notify_stewards(settings: Settings, policy: ReviewPolicy, review_id: str, subject: str, body: str) -> Path:
    """Tell the source's stewards a review is waiting: the Markdown body as the plain-text part, rendered as the
    HTML part (tables and links that work in a mail client)."""
    return _send(settings, "review", f"review.{review_id}", list(policy.steward_emails), subject, body,
                 markdown_html(body))


def notify_provider(settings: Settings, policy: ReviewPolicy, info: dict, decision: Decision) -> Path:
    """Tell the data provider why its delivery was rejected."""
    env = _env()
    ctx = {"r": info, "d": decision, "policy": policy,
           "decided_local": (decision.decided_at or datetime.now(UTC)).astimezone(TZ).strftime("%Y-%m-%d %H:%M")}
    subject = env.get_template("review_rejected.subject.j2").render(**ctx).strip()
    text = env.get_template("review_rejected.txt.j2").render(**ctx)
    return _send(settings, "review", f"rejected.{info['review_id']}", [policy.provider_email], subject, text)


def try_notify(fn, *args) -> str | None:  # noqa: ANN001 - one of the two notify functions
    """A notice that cannot be sent must not undo the decision or hold the review: the .eml stays in the outbox."""
    try:
        fn(*args)
    except DeliveryError as exc:
        return str(exc)
    return None
