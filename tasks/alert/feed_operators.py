"""Who is told of a feed's data gap, and what they should run: data the system failed to obtain goes to the feed's
operators (catalogue/feed_operators.csv: the monitoring station, the bureau's IT), never to departments (RULES §4).
"""

from __future__ import annotations

import duckdb

from tasks.core import sql


def feed_of(indicator_code: str) -> str:
    """The feed a computed indicator's data comes from (air, water; the waste file carries every other one)."""
    from tasks.compute.air import AIR_INDICATORS
    from tasks.compute.water import WATER_INDICATORS

    if indicator_code in AIR_INDICATORS:
        return "air"
    return "water" if indicator_code in WATER_INDICATORS else "waste"


def command(source: str, period: str) -> str:
    """What an operator runs to fetch the month again once the feed is back (docs/operations.md)."""
    if source == "water":
        return f"ecoflow run water-capture（补采）；ecoflow run water --period {period}"
    return f"ecoflow run {source} --period {period}"


def operators(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """The feed's operators' addresses, in catalogue order (the first is addressed, the others in copy)."""
    return [r["email"] for r in sql.rows(con, "queries/feed_operators", {"source": source})]
