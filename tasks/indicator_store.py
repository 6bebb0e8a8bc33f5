"""The one writer of marts.indicator_values: every computation hands its rows here.

A value carries its coverage in its own units (days for air, sections for water, facilities for waste, one
submission for a submitted value), its rules version and its lineage, so readers never need to know which
computation produced it.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

from tasks import sql
from tasks.periods import Period
from tasks.warehouse import insert_frame

COLUMNS = ["indicator_code", "region_code", "period", "period_type", "variant", "value", "numerator",
           "denominator", "valid_days", "calendar_days", "coverage_ok", "rules_version", "batch_ids",
           "coverage_unit", "coverage_valid", "coverage_expected", "notes", "lineage"]
_OPTIONAL = {"valid_days": None, "calendar_days": None, "notes": None, "lineage": None,
             "numerator": None, "denominator": None}


def replace(con: duckdb.DuckDBPyConnection, period: str, codes: Iterable[str], rows: list[dict],
            period_types: Iterable[str] = ("month", "ytd")) -> int:
    """Replace the period's values of these indicators (caller holds the transaction)."""
    codes, period_types = list(codes), list(period_types)
    missing = [c for row in rows for c in COLUMNS if c not in row and c not in _OPTIONAL]
    if missing:
        raise ValueError(f"indicator rows lack columns {sorted(set(missing))}")
    frame = pd.DataFrame([{c: row.get(c, _OPTIONAL.get(c)) for c in COLUMNS} for row in rows], columns=COLUMNS)
    con.execute("DELETE FROM marts.indicator_values WHERE period = ? AND list_contains(?, indicator_code) "
                "AND list_contains(?, period_type)", [period, codes, period_types])
    if len(frame):
        for col in ("valid_days", "calendar_days", "coverage_valid", "coverage_expected"):
            frame[col] = frame[col].astype("Int64")
        insert_frame(con, "marts.indicator_values", frame)
    return len(frame)


def later_months(con: duckdb.DuckDBPyConnection, period: Period,
                 codes: Iterable[str] | None = None) -> list[Period]:
    """Months after `period` in the same year holding values of these indicators (None: any): their
    year-to-date depends on `period`, so a re-delivery recomputes and re-evaluates them too."""
    rows = con.execute(sql.load("queries/later_months_with_values"), {
        "period": str(period), "year_end": f"{period.year:04d}-12",
        "codes": list(codes) if codes is not None else None}).fetchall()
    return [Period.parse(r[0]) for r in rows]
