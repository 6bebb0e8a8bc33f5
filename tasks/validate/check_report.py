"""The steward's check report (数据校验结果): the validation results of a review, in Chinese, as one HTML page that
works with no network.

Great Expectations' Data Docs load Bootstrap, jQuery, DataTables and Font Awesome from public CDNs; on a bureau's
intranet they render unstyled with the status column empty. This page is rendered from the same findings the review
email quotes (quarantine.row_issues: file, the same line number, column, value, rule), with inline CSS and a small
inline script for the rule filter — nothing to fetch. It is written under ECOFLOW_HOME/reports/gx/<source>/<period>/
so the Airflow plugin serves it to the source's readers like the Data Docs it stands in front of.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

from tasks.core import sql, templates
from tasks.core.settings import Settings
from tasks.notify import messages

MAX_ROWS = 2000  # findings listed; the page says how many more there are


def path_of(settings: Settings, review: dict[str, Any]) -> Path:
    name = str(review["review_id"]).replace(":", "_").replace("/", "_")
    return settings.reports_dir / "gx" / review["source"] / review["period"] / "check" / f"{name}.html"


def write(con: duckdb.DuckDBPyConnection, settings: Settings, review: dict[str, Any], source_zh: str) -> Path:
    """Render and store the review's check report; returns its path (written to a temporary name, then renamed)."""
    html = render(con, review, source_zh)
    path = path_of(settings, review)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path


def render(con: duckdb.DuckDBPyConnection, review: dict[str, Any], source_zh: str) -> str:
    rows = sql.rows(con, "queries/review_findings_all", {"batch_ids": review["batch_ids"], "limit": MAX_ROWS + 1})
    rules = sql.rows(con, "queries/review_rules", {"batch_ids": review["batch_ids"]})
    words = {r["rule"]: messages.rule_zh(r["rule"], r["reason"]) for r in rules}
    shown = rows[:MAX_ROWS]
    for r in shown:
        r["rule_zh"] = words.get(r["rule"]) or messages.rule_zh(r["rule"], r["reason"])
        r["severity_zh"] = "错误" if r["severity"] == "error" else "警示"
        r["column_name"] = messages.WASTE_ITEMS_ZH.get(r["column_name"], r["column_name"])
    total = sum(r["findings"] for r in rules)
    by_file = Counter(r["file_name"] for r in shown)
    env = templates.environment(trim=True)
    return env.get_template("check_report.html.j2").render(
        review=review, source_zh=source_zh, rows=shown, more=max(total - len(shown), 0),
        rules=[{**r, "rule_zh": words[r["rule"]], "severity_zh": "错误" if r["severity"] == "error" else "警示"}
               for r in rules],
        files=sorted(by_file.items()))
