"""Departmental submissions (月调度): an .xlsx template or a .csv export dropped in the inbox.

Parsing is tasks.sources.submissions.reader; before validation the rows are annotated from the catalogue (unit, range,
whether the department leads the indicator). A department's file is all or nothing (max_bad_share 0): one wrong
cell sends the whole file back with the cells to fix. Every accepted file is kept (replace_key batch_id); the
latest accepted file of a department and period is the current one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tasks.core import sql
from tasks.sources.base import InboxForm, Parsed, RowIssue, landed_rows

if TYPE_CHECKING:
    import duckdb
    import pandas as pd



class SubmissionAdapter(InboxForm):
    name = "submissions"
    title = "部门月调度报送"
    suite = "submission_values"
    raw_table = "raw.submission_values"
    not_fetched, dropped = "submissions are not fetched", "files"   # the inbox's catch-all (no marker sheet)

    def identify(self, name: str, content: bytes) -> tuple[str | None, str | None]:
        from tasks.sources.submissions.reader import read_submission

        found = read_submission(name, content)
        return found.department_code, found.period

    def parse(self, name: str, content: bytes) -> Parsed:
        from tasks.sources.submissions.reader import read_submission

        parsed = read_submission(name, content).parsed()
        filled = parsed.rows["value_text"].fillna("").astype(str).str.strip() != "" if len(parsed.rows) else []
        if not any(filled):  # an untouched template would replace the department's values with nothing
            parsed.issues.append(RowIssue(None, "submission.no_values", "no 本期值 is filled in: the file would "
                                          "replace the department's values for the period with nothing", ""))
        return parsed

    def prepare(self, con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> pd.DataFrame:
        """Annotate with the catalogue entries of the indicators the file's department leads."""
        from tasks.sources.submissions.reader import annotate

        return annotate(rows, _catalogue(con, _department(rows)))

    def expectation_parameters(self, con: duckdb.DuckDBPyConnection, name: str, *, rows: pd.DataFrame | None = None,
                               period: str | None = None) -> dict[str, Any]:
        """The indicators the file's department leads, the department and the run's period (from the content)."""
        department = _department(rows) if rows is not None else ""
        return {"known_indicators": sorted(_catalogue(con, department)), "department_code": [department],
                "period": [period or ""]}

    def landing_frame(self, good: pd.DataFrame, *, batch_id: str, period: str, file_name: str) -> pd.DataFrame:
        return landed_rows(
            good, batch_id=batch_id, period=period, file_name=file_name, department_code=good["department_code"],
            sheet=good["sheet"].where(good["sheet"].notna(), None),
            cell=good["cell"].astype(str).str.rpartition("!")[2],   # 年度指标!G7: the sheet has its own column
            indicator_code=good["indicator_code"], value=good["value"].astype("float64"),
            unit=good["expected_unit"].where(good["expected_unit"].notna(), good["unit"]),
            note=good["note"], received_at=datetime.now(UTC))


def _catalogue(con: duckdb.DuckDBPyConnection, department: str) -> dict[str, dict]:
    """code -> unit, range and name of the submitted indicators the department leads (its role, its region)."""
    found = con.execute(sql.load("queries/department_indicators"), {"department": department}).fetchall()
    return {code: {"unit": unit, "min_value": lo, "max_value": hi, "name_zh": zh} for code, unit, lo, hi, zh in found}


def _department(rows: pd.DataFrame) -> str:
    codes = rows["department_code"].dropna().unique()
    return str(codes[0]) if len(codes) else ""
