"""The one writer of marts.indicator_values: every computation hands its rows here.

A value carries its coverage in its own units (days for air; cities for a region above the city, with how many
were complete; sections for water; facilities for waste; one submission for a submitted value), its rules version
and its lineage, so readers never need to know which computation produced it. When a recomputation changes a
stored value, the old and new value and the reason (a new delivery, a rules change, a corrected submission) go to
marts.indicator_value_history: nothing is revised silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

import duckdb
import pandas as pd

from tasks.core import sql
from tasks.core.periods import Period
from tasks.core.warehouse import insert_frame

COLUMNS = ["indicator_code", "region_code", "period", "period_type", "variant", "value", "numerator",
           "denominator", "valid_days", "calendar_days", "coverage_ok", "rules_version", "batch_ids",
           "coverage_unit", "coverage_valid", "coverage_expected", "notes", "lineage", "overridden_batch_ids",
           "coverage_complete"]
_OPTIONAL = {"valid_days": None, "calendar_days": None, "notes": None, "lineage": None,
             "numerator": None, "denominator": None, "overridden_batch_ids": None,
             "coverage_complete": None}


def replace(con: duckdb.DuckDBPyConnection, period: str, codes: Iterable[str], rows: list[dict],
            period_types: Iterable[str] = ("month", "ytd")) -> int:
    """Replace the period's values of these indicators (caller holds the transaction)."""
    codes, period_types = list(codes), list(period_types)
    missing = [c for row in rows for c in COLUMNS if c not in row and c not in _OPTIONAL]
    if missing:
        raise ValueError(f"indicator rows lack columns {sorted(set(missing))}")
    frame = pd.DataFrame([{c: row.get(c, _OPTIONAL.get(c)) for c in COLUMNS} for row in rows], columns=COLUMNS)
    overridden = {r[0] for r in con.execute(sql.load("queries/overridden_batches")).fetchall()}
    frame["overridden_batch_ids"] = [sorted(set(b or []) & overridden) or None for b in frame["batch_ids"]]
    before = _stored(con, period, codes, period_types)
    con.execute(sql.load("compute/indicator_values_clear"),
                {"period": period, "codes": codes, "period_types": period_types})
    if len(frame):
        for col in ("valid_days", "calendar_days", "coverage_valid", "coverage_expected", "coverage_complete"):
            frame[col] = frame[col].astype("Int64")
        insert_frame(con, "marts.indicator_values", frame)
    _record_revisions(con, before, rows)
    return len(frame)


_KEY = ("indicator_code", "region_code", "period", "period_type", "variant")


def _stored(con: duckdb.DuckDBPyConnection, period: str, codes: list[str], period_types: list[str]) -> dict:
    rows = sql.rows(con, "queries/indicator_values_stored",
                    {"period": period, "codes": codes, "period_types": period_types})
    return {tuple(r[k] for k in _KEY): r for r in rows}


def revision_reason(old: dict, new: dict | None) -> str:
    """Why a stored value changed, in one line, from what its inputs were and are."""
    if new is None:
        return "no longer computed: its inputs are gone"
    reasons = []
    old_batches, new_batches = set(old["batch_ids"] or []), set(new.get("batch_ids") or [])
    if old_batches != new_batches:
        added, removed = sorted(new_batches - old_batches), sorted(old_batches - new_batches)
        parts = ([f"new data {', '.join(added)}"] if added else []) + (
            [f"replaces {', '.join(removed)}"] if removed else [])
        reasons.append("; ".join(parts))
    if old["rules_version"] != new.get("rules_version"):
        reasons.append(f"rules {old['rules_version']} → {new.get('rules_version')}")
    if (old.get("lineage") or None) != (new.get("lineage") or None):
        files = [json.loads(x).get("file_name") if x else None for x in (old.get("lineage"), new.get("lineage"))]
        reasons.append(f"submission corrected: {files[0]} → {files[1]}" if all(files) else "lineage changed")
    return "; ".join(reasons) or "recomputed from the same inputs (a rule or catalogue change)"


def _record_revisions(con: duckdb.DuckDBPyConnection, before: dict, rows: list[dict]) -> None:
    after = {tuple(r[k] for k in _KEY): r for r in rows}
    now = datetime.now(UTC)
    history = []
    for key, old in before.items():
        new = after.get(key)
        if new is not None and new.get("value") == old["value"] and bool(new["coverage_ok"]) == old["coverage_ok"]:
            continue
        history.append({**dict(zip(_KEY, key, strict=True)), "old_value": old["value"],
                        "new_value": None if new is None else new.get("value"),
                        "old_coverage_ok": old["coverage_ok"],
                        "new_coverage_ok": None if new is None else bool(new["coverage_ok"]),
                        "old_rules_version": old["rules_version"],
                        "new_rules_version": None if new is None else new.get("rules_version"),
                        "old_batch_ids": list(old["batch_ids"] or []),
                        "new_batch_ids": None if new is None else list(new.get("batch_ids") or []),
                        "reason": revision_reason(old, new), "revised_at": now})
    if history:
        insert_frame(con, "marts.indicator_value_history", pd.DataFrame(history))


def later_months(con: duckdb.DuckDBPyConnection, period: Period,
                 codes: Iterable[str] | None = None) -> list[Period]:
    """Months after `period`, up to December of the next year, holding values of these indicators (None: any):
    their year-to-date, rolling 12 months, 同比 and projection depend on `period`, so a re-delivery recomputes
    and re-evaluates them too."""
    rows = con.execute(sql.load("queries/later_months_with_values"), {
        "period": str(period), "horizon": f"{period.year + 1:04d}-12",
        "codes": list(codes) if codes is not None else None}).fetchall()
    return [Period.parse(r[0]) for r in rows]
