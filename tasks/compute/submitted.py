"""Submitted indicator values (RULES.md §4): the value as the department submitted it for the period, with
the department, file, sheet, cell and time it came from. A corrected file replaces the earlier one. The drinking-water
sources ratio is computed from the environment bureau's source sheets where the catalogue lists the region's sources,
else from the two counts it submits (tasks/compute/drinking_water.py)."""

from __future__ import annotations

import json

import duckdb

from tasks.compute import drinking_water
from tasks.compute import store as indicator_store
from tasks.core import sql
from tasks.core.periods import Period
from tasks.core.warehouse import transaction
from tasks.standards.rules import ECOFLOW_RULES

PERIOD_TYPE = "submitted"
RULES_VERSION = f"submitted ; {ECOFLOW_RULES}"


def submitted_codes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Indicators departments report: submitted values, survey results and tasks (1 done, 0 not done)."""
    return [r[0] for r in con.execute(sql.load("compute/submitted_codes")).fetchall()]


def compute_period(con: duckdb.DuckDBPyConnection, period: Period) -> dict[str, int]:
    cur = con.execute(sql.load("compute/submitted_values"), {"period": str(period)})
    cols = [d[0] for d in cur.description]
    rows, lineage_of = [], {}
    for found in (dict(zip(cols, r, strict=True)) for r in cur.fetchall()):
        lineage = {k: found[k] for k in ("department_code", "department_name", "file_name", "sheet", "cell")}
        lineage["received_at"] = found["received_at"].isoformat()
        lineage_of[(found["region_code"], found["indicator_code"])] = lineage
        rows.append({
            "indicator_code": found["indicator_code"], "region_code": found["region_code"], "period": str(period),
            "period_type": PERIOD_TYPE, "variant": "raw", "value": found["value"], "coverage_ok": True,
            "rules_version": RULES_VERSION, "batch_ids": [found["batch_id"]], "coverage_unit": "submission",
            "coverage_valid": 1, "coverage_expected": 1, "lineage": json.dumps(lineage, ensure_ascii=False),
        })
    rows = drinking_water.with_sheets(con, period, drinking_water.derive(rows, lineage_of))
    with transaction(con):
        count = indicator_store.replace(con, str(period), submitted_codes(con), rows, period_types=[PERIOD_TYPE])
    return {"indicator_values": count}
