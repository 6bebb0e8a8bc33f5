"""The key-project section of a department's monthly digest (docs/projects.md): its projects on the leading
group's list — behind or not reported for a second month, or a 达标工程 whose indicator is under a 进度预警 —
each with the ask. Kept apart from tasks/alert/digest.py, which calls `section` once per recipient.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from tasks.compute.project_status import department_digest_section
from tasks.core import sql
from tasks.core.periods import TZ, Period
from tasks.notify.wording import dates_zh, period_zh


def section(con: duckdb.DuckDBPyConnection, recipient: str) -> list[dict]:
    """The recipient's projects to raise, judged for the latest month with project sheets (empty: no section)."""
    # fetchall, not fetchone: DuckDB keeps a result that was not read to its end open on the connection
    department = next(iter(con.execute(sql.load("queries/department_of_email"), {"email": recipient}).fetchall()),
                      None)
    latest = con.execute(sql.load("queries/project_reports_latest_period")).fetchall()[0][0]
    if department is None or latest is None:
        return []
    items = department_digest_section(con, department[0], Period.parse(latest), datetime.now(TZ).date())
    return [{"code": i["project"].project_code, "name": i["project"].name_zh, "period": latest,
             "period_zh": period_zh(latest), "why": dates_zh(i["why"]),
             "status": i["project"].status_zh, "reasons": dates_zh("；".join(i["project"].reasons)), "ask": i["ask"]}
            for i in items]
