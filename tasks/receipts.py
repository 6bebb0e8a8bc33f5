"""Replies to departments' submissions: a receipt listing what was taken (and what changed), or the exact
cells to fix. Queued in meta.inbox_files and sent here; a failed send stays queued for the next inbox run.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tasks import mailer, sql
from tasks.errors import DeliveryError
from tasks.periods import TZ
from tasks.settings import Settings

_RULE_ZH = {
    "submission.unknown_indicator": "指标代码不在本部门牵头的指标中",
    "submission.unit": "单位与目录不一致",
    "submission.not_numeric": "不是数值",
    "submission.range": "超出合理范围",
    "submission.period": "期别与文件不一致",
    "submission.department": "部门编码与文件不一致",
    "submission.duplicate": "同一指标填报了多次",
    "submission.blank": "未填报",
    "submission.no_values": "本期值均未填写",
    "parse.field_count": "该行字段数不对",
    "parse.file": "文件无法读取",
    "submission.columns": "表格列不符合模板",
    "submission.value_type": "本期值列无法按数值读取",
    "submission.meta_mismatch": "表内部门编码或期别与模板隐藏信息不一致",
    "submission.no_period": "未找到期别",
    "submission.no_meta": "不是系统下发的模板（缺少隐藏信息页）",
    "submission.template_version": "模板版本不是当前版本",
    "submission.identified_by_meta": "部门编码或期别取自模板隐藏信息",
    "submission.code_from_meta": "指标代码被改动，已按模板隐藏信息识别",
    "project.department": "部门编码与文件不一致",
    "project.period": "期别与文件不一致",
    "project.unknown": "不是本单位负责报送的项目",
    "project.duplicate": "同一项目填报了多次",
    "project.not_numeric": "不是数值",
    "project.incomplete": "形象进度、本月投资、累计投资未同时填写",
    "project.range": "超出合理范围",
    "project.month_exceeds_total": "本月投资大于累计投资",
    "project.cumulative_decrease": "累计值下降且未说明原因",
    "project.scale": "累计投资超过概算2倍，请核对单位",
    "project.month_mismatch": "累计投资增加额与本月投资不一致",
    "project.blank": "本月未填报",
    "project.meta_mismatch": "表内部门编码或期别与模板隐藏信息不一致",
    "project.no_rows": "未填写任何项目",
}


def _rows(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    return sql.rows(con, name, params)


def build(con: duckdb.DuckDBPyConnection, settings: Settings, item: dict, sender: str) -> EmailMessage:
    """The reply to one inbox file (Chinese, text + HTML from tasks/templates/receipt.*.j2)."""
    values = (_rows(con, "queries/submission_batch_values", {"batch_id": item["batch_id"]})
              or _rows(con, "queries/project_batch_values", {"batch_id": item["batch_id"]})) \
        if item["outcome"] == "accepted" else []
    findings = _rows(con, "queries/batch_findings", {"batch_id": item["batch_id"]}) if item["batch_id"] else []
    for f in findings:
        f["rule_zh"] = _RULE_ZH.get(f["rule"], f["rule"])
    ctx = {
        **item, "taken": values,
        "errors": [f for f in findings if f["severity"] == "error"],
        "warnings": [f for f in findings if f["severity"] == "warning"],
        "changed": [v for v in values if v["previous_value"] is not None and v["previous_value"] != v["value"]],
        "received_local": item["received_at"].astimezone(TZ).strftime("%Y-%m-%d %H:%M"),
    }
    env = Environment(loader=PackageLoader("tasks", "templates"), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html.j2"]))
    subject = env.get_template("receipt.subject.j2").render(r=ctx).strip()
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
    msg.set_content(env.get_template("receipt.txt.j2").render(r=ctx))
    msg.add_alternative(env.get_template("receipt.html.j2").render(r=ctx, subject=subject), subtype="html")
    return msg


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
