"""Drinking-water sources' monthly sheets (水源地水质月报): an environment bureau's .xlsx dropped in the inbox, read
strictly.

Parsing is tasks.sources.submissions.drinking_water; before validation each row is annotated from the catalogue
(is the source one of the bureau's region, is the item one its kind is assessed on) and from the standards (a
reading a laboratory writes, a detection limit the class Ⅲ limit can be judged against, a value that is no unit
slip). Like the other department forms a file is all or nothing (max_bad_share 0): one wrong cell sends it back
with the cells to fix; every accepted file is kept and the latest of a department and month is the current one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tasks.core import sql
from tasks.sources.base import InboxForm, Parsed, landed_rows
from tasks.sources.submissions.drinking_water import SHEET
from tasks.standards import drinking_water as standard

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

ANNOTATION_COLUMNS = ["known_source", "known_item", "numbers_ok", "in_range", "judgeable", "plausible"]


class DrinkingWaterSourcesAdapter(InboxForm):
    name = "drinking_water_sources"
    title = "饮用水水源地水质月报"
    suite = "drinking_water_sources"
    raw_table = "raw.drinking_water_results"
    not_fetched, dropped = "drinking-water source sheets are not fetched", "them"
    marker_sheet = SHEET

    def identify(self, name: str, content: bytes) -> tuple[str | None, str | None]:
        from tasks.sources.submissions.drinking_water import read_source_sheet

        department, period, _ = read_source_sheet(name, content)
        return department, period

    def parse(self, name: str, content: bytes) -> Parsed:
        from tasks.sources.submissions.drinking_water import read_source_sheet

        return read_source_sheet(name, content)[2]

    def prepare(self, con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> pd.DataFrame:
        """Annotate each row with what the suite checks, from the sources listed for the department's region."""
        return annotate(rows, context(con, _first(rows, "department_code"), _first(rows, "period")))

    def expectation_parameters(self, con: duckdb.DuckDBPyConnection, name: str, *, rows: pd.DataFrame | None = None,
                               period: str | None = None) -> dict[str, Any]:
        department = _first(rows, "department_code") if rows is not None else ""
        return {"department_code": [department], "period": [period or ""]}

    def landing_frame(self, good: pd.DataFrame, *, batch_id: str, period: str, file_name: str) -> pd.DataFrame:
        return landed_rows(   # a NaN of a float column lands as NULL
            good, batch_id=batch_id, period=period, file_name=file_name, department_code=good["department_code"],
            source_code=good["source_code"], item=good["item"], value=good["value"].astype("float64"),
            value_text=good["value_text"], below_detection=good["below_detection"].astype(bool),
            detection_limit=good["detection_limit"].astype("float64"), unit=good["unit"], note=good["note"],
            received_at=datetime.now(UTC))


def context(con: duckdb.DuckDBPyConnection, department: str, period: str) -> dict[str, dict]:
    """source code -> kind, water body and background items of the sources listed for the department's region in
    the period's year."""
    year = int(period[:4]) if period[:4].isdigit() else 0
    return {r["source_code"]: r for r in sql.rows(con, "queries/drinking_water_sheet_context",
                                                    {"department": department, "year": year})}


def annotate(rows: pd.DataFrame, sources: dict[str, dict]) -> pd.DataFrame:
    """Add the boolean columns the drinking_water_sources suite checks (one rule each)."""
    import pandas as pd

    out = rows.copy()
    checks: dict[str, list[bool]] = {c: [] for c in ANNOTATION_COLUMNS}
    for _, r in out.iterrows():
        source = sources.get(r["source_code"])
        supply = r["item"] == standard.SUPPLY
        it = None if source is None or supply else standard.item(source["source_kind"], source["water_body"],
                                                                 r["item"])
        value = None if pd.isna(r["value"]) else float(r["value"])
        limit = None if pd.isna(r["detection_limit"]) else float(r["detection_limit"])
        reading = standard.Reading(value, bool(r["below_detection"]), limit)
        checks["known_source"].append(source is not None)
        checks["known_item"].append(source is None or supply or it is not None)
        checks["numbers_ok"].append(reading.ok and not (supply and reading.below_detection))
        checks["in_range"].append(value is None or (value >= 0 and (it is None or it.code != "ph" or value <= 14)))
        background = source is not None and r["item"] in (source["background_items"] or [])
        checks["judgeable"].append(it is None or background or not reading.ok or standard.judgeable(it, reading))
        checks["plausible"].append(it is None or it.code == "ph" or standard.plausible(it, reading))
    for column, values in checks.items():
        out[column] = pd.Series(values, index=out.index, dtype=bool)
    return out


def _first(rows: pd.DataFrame | None, column: str) -> str:
    if rows is None or column not in rows or not len(rows):
        return ""
    values = rows[column].dropna().unique()
    return str(values[0]) if len(values) else ""
