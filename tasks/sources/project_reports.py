"""Key projects' monthly sheets (项目月调度): a department's .xlsx dropped in the inbox, read strictly.

Parsing is tasks.sources.submissions.projects; before validation each row is annotated from the catalogue (is it one of
the department's projects, its budget) and from the last accepted month (cumulative figures never go down without
a reason). Like the indicator submissions a file is all or nothing (max_bad_share 0): one wrong cell sends it back
with the cells to fix; every accepted file is kept and the latest of a department and month is the current one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tasks.core import sql
from tasks.sources.base import InboxForm, Parsed, landed_rows
from tasks.sources.submissions.projects import SHEET

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


SCALE_LIMIT = 2.0   # [D] cumulative investment above twice the budget is a unit slip (元 for 万元), not progress
MONTH_TOLERANCE_WAN = 0.01
ANNOTATION_COLUMNS = ["known_project", "numbers_ok", "complete", "in_range", "month_within_total",
                      "cumulative_ok", "scale_ok", "month_consistent", "reported"]


class ProjectReportAdapter(InboxForm):
    name = "project_reports"
    title = "重点项目月调度报送"
    suite = "project_reports"
    raw_table = "raw.project_reports"
    not_fetched, dropped = "project sheets are not fetched", "them"
    marker_sheet = SHEET

    def identify(self, name: str, content: bytes) -> tuple[str | None, str | None]:
        from tasks.sources.submissions.projects import read_project_sheet

        department, period, _ = read_project_sheet(name, content)
        return department, period

    def parse(self, name: str, content: bytes) -> Parsed:
        from tasks.sources.submissions.projects import read_project_sheet

        return read_project_sheet(name, content)[2]

    def prepare(self, con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> pd.DataFrame:
        """Annotate each row with what the suite compares: catalogue membership, ranges, last month's figures."""
        context = _context(con, _first(rows, "department_code"), _first(rows, "period"))
        return annotate(rows, context)

    def expectation_parameters(self, con: duckdb.DuckDBPyConnection, name: str, *, rows: pd.DataFrame | None = None,
                               period: str | None = None) -> dict[str, Any]:
        department = _first(rows, "department_code") if rows is not None else ""
        return {"department_code": [department], "period": [period or ""]}

    def landing_frame(self, good: pd.DataFrame, *, batch_id: str, period: str, file_name: str) -> pd.DataFrame:
        return landed_rows(
            good, batch_id=batch_id, period=period, file_name=file_name, department_code=good["department_code"],
            project_code=good["project_code"], progress_pct=good["progress_pct"],
            milestone_reached=good["milestone_reached"], invest_month_wan=good["invest_month_wan"],
            invest_to_date_wan=good["invest_to_date_wan"], benefits=good["benefits"],
            output_value=good["output_value"], output_unit=good["output_unit"], problems=good["problems"],
            decrease_reason=good["decrease_reason"], received_at=datetime.now(UTC))


def annotate(rows: pd.DataFrame, context: dict[str, dict]) -> pd.DataFrame:
    """Add the boolean columns the project_reports suite checks (one rule each), from `context` (code -> the
    project's budget and last accepted figures)."""
    import pandas as pd

    out = rows.copy()
    figures = ("progress", "invest_month", "invest_to_date")
    values = {f: out[c].astype("float64") for f, c in zip(figures, ("progress_pct", "invest_month_wan",
                                                                      "invest_to_date_wan"), strict=True)}
    typed = {f: out[f"{f}_text"].fillna("").astype(str).str.strip() != "" for f in (*figures, "output")}
    filled = pd.concat([typed[f] for f in figures], axis=1)
    entries = [context.get(code) for code in out["project_code"]]
    out["known_project"] = pd.Series([e is not None for e in entries], index=out.index, dtype=bool)
    out["numbers_ok"] = ~(typed["output"] & out["output_value"].isna())
    for f in figures:
        out["numbers_ok"] &= ~(typed[f] & values[f].isna())
    out["reported"] = filled.any(axis=1)
    out["complete"] = filled.all(axis=1) | ~out["reported"]
    out["in_range"] = ((values["progress"].isna() | values["progress"].between(0, 100))
                       & (values["invest_month"].isna() | (values["invest_month"] >= 0))
                       & (values["invest_to_date"].isna() | (values["invest_to_date"] >= 0)))
    out["month_within_total"] = (values["invest_month"].isna() | values["invest_to_date"].isna()
                                 | (values["invest_month"] <= values["invest_to_date"] + MONTH_TOLERANCE_WAN))
    previous_progress = pd.Series([_get(e, "previous_progress") for e in entries], index=out.index, dtype="float64")
    previous_invest = pd.Series([_get(e, "previous_invest") for e in entries], index=out.index, dtype="float64")
    budget = pd.Series([_get(e, "budget_wan") for e in entries], index=out.index, dtype="float64")
    has_reason = out["decrease_reason"].fillna("").astype(str).str.strip() != ""
    lower = ((values["progress"] < previous_progress - 1e-9) | (values["invest_to_date"] < previous_invest - 1e-9))
    out["cumulative_ok"] = ~lower.fillna(False).astype(bool) | has_reason
    out["scale_ok"] = (budget.isna() | values["invest_to_date"].isna()
                       | (values["invest_to_date"] <= budget * SCALE_LIMIT))
    gap = (values["invest_to_date"] - previous_invest - values["invest_month"]).abs()
    out["month_consistent"] = (gap.isna() | (gap <= MONTH_TOLERANCE_WAN)) | has_reason
    out["previous_progress"], out["previous_invest"], out["budget_wan"] = previous_progress, previous_invest, budget
    for column in ANNOTATION_COLUMNS:
        out[column] = out[column].astype(bool)
    letters = {"progress": "G", "invest_month": "I", "invest_to_date": "J", "output": "L"}
    bad_cell = {
        "known_project": lambda i: "B",
        "numbers_ok": lambda i: next(letters[f] for f in letters if typed[f][i] and _nan(out.at[i, _VALUE[f]])),
        "complete": lambda i: next(letters[f] for f in figures if not typed[f][i]),
        "in_range": lambda i: "G" if not 0 <= values["progress"][i] <= 100 else
        ("I" if values["invest_month"][i] < 0 else "J"),
        "month_within_total": lambda i: "I",
        "cumulative_ok": lambda i: "G" if values["progress"][i] < previous_progress[i] else "J",
        "scale_ok": lambda i: "J", "month_consistent": lambda i: "J",
    }
    cells, quoted = [], []
    for i, line in zip(out.index, out["source_line"], strict=True):
        failing = next((check for check in bad_cell if not out.at[i, check]), None)
        cells.append(f"{bad_cell[failing](i)}{line}" if failing else f"G{line}")
        quoted.append("；".join(f"{label}={out.at[i, f + '_text']}" for f, label in _QUOTED))
    out["cell"], out["value_text"] = cells, quoted
    return out


_QUOTED = (("progress", "形象进度"), ("invest_month", "本月投资"), ("invest_to_date", "累计投资"))
_VALUE = {"progress": "progress_pct", "invest_month": "invest_month_wan", "invest_to_date": "invest_to_date_wan",
          "output": "output_value"}


def _nan(value: object) -> bool:
    return value is None or value != value


def _context(con: duckdb.DuckDBPyConnection, department: str, period: str) -> dict[str, dict]:
    return {r["project_code"]: r for r in sql.rows(con, "queries/project_sheet_context",
                                                     {"department": department, "period": period})}


def _get(entry: dict | None, key: str) -> float | None:
    value = entry.get(key) if entry else None
    return None if value is None else float(value)


def _first(rows: pd.DataFrame | None, column: str) -> str:
    if rows is None or column not in rows or not len(rows):
        return ""
    values = rows[column].dropna().unique()
    return str(values[0]) if len(values) else ""
