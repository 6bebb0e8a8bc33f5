"""A re-delivery never erases by itself: compare a file's new delivery with what is landed for it.

A feed's file replaces what the same file landed before (replace_key `file_name`). A delivery that carries fewer
values, fewer hours or fewer stations than what is stored — cut off in transit, header-only, partial — would
silently erase data, so it is a breach of its own (rule `landing.no_shrink`): the run waits for a steward's
decision in the review (which shows what would be removed), and a run with no one to ask refuses it. A complete
re-delivery (as many values, hours and stations, or more) replaces as before; every delivery stays in the ledger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from tasks.core.errors import EcoflowError
from tasks.core.warehouse import table_name
from tasks.sources.base import SourceAdapter

RULE = "landing.no_shrink"
#: What a measure is called in the message a person reads.
MEASURES_ZH = {"values": "数值", "hours": "小时", "stations": "站点"}
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Extent:
    """How much a delivery of one file holds: values, and distinct hours and stations where the source has them."""

    values: int
    hours: int | None = None
    stations: int | None = None

    def shortfalls(self, stored: Extent) -> list[tuple[str, int, int]]:
        """(measure, stored, new) for every measure this delivery holds less of than what is stored."""
        out = []
        for measure in MEASURES_ZH:
            new, old = getattr(self, measure), getattr(stored, measure)
            if new is not None and old is not None and new < old:
                out.append((measure, old, new))
        return out


class DeliveryShrinks(EcoflowError):
    """A re-delivery holds less than what its file landed before: not landed unless a steward decides so."""

    def __init__(self, source: str, period: str, file: str, shortfalls: list[tuple[str, int, int]]) -> None:
        what = "；".join(f"{MEASURES_ZH[m]} {new:,} < 已入库 {old:,}（将删除 {old - new:,}）"
                        for m, old, new in shortfalls)
        super().__init__(f"{source} {period}: {file} 的重新交付少于已入库的数据（{what}）；未入库，已入库数据保持不变"
                         f"（规则 {RULE}；如确需替换，由数据管理员在审核中决定：ecoflow review decide）")
        self.source, self.period, self.file, self.shortfalls = source, period, file, shortfalls
        self.rule = RULE


def _columns(adapter: SourceAdapter, measure: str) -> tuple[str, ...]:
    """The raw-table columns that tell the adapter's hours or stations apart (none: the measure is not checked)."""
    cols = tuple(getattr(adapter, "extent", {}).get(measure, ()))
    if not all(_IDENT.match(c) for c in cols):
        raise ValueError(f"adapter {adapter.name!r}: extent columns must be plain column names, not {cols!r}")
    return cols


def _distinct(cols: tuple[str, ...]) -> str:
    return f"count(DISTINCT ({', '.join(cols)}))" if cols else "NULL"


def stored_files(con: duckdb.DuckDBPyConnection, adapter: SourceAdapter, period: str,
                 file_names: list[str]) -> dict[str, Extent]:
    """What the files' earlier deliveries landed for the period, in one scan of the period (not one per file); a
    file with nothing landed is absent, and so is every file of a source whose every batch is kept."""
    if getattr(adapter, "replace_key", "file_name") != "file_name" or not file_names:
        return {}
    raw = table_name(con, adapter.raw_table)
    hours, stations = _columns(adapter, "hours"), _columns(adapter, "stations")
    rows = con.execute(f"SELECT file_name, count(*), {_distinct(hours)}, {_distinct(stations)} FROM {raw} "
                       "WHERE period = ? AND list_contains(?, file_name) GROUP BY file_name",
                       [period, list(file_names)]).fetchall()
    return {name: Extent(values, h, s) for name, values, h, s in rows if values}


def delivered_files(con: duckdb.DuckDBPyConnection, adapter: SourceAdapter, staged: str, run_id: str,
                    values: dict[str, int]) -> dict[str, Extent]:
    """What the run's new deliveries hold: the `values` each carries (readable or not), the hours and stations of
    its staged rows — in one scan of the run's staged rows, not one per file."""
    hours, stations = _columns(adapter, "hours"), _columns(adapter, "stations")
    rows = con.execute(f"SELECT file_name, {_distinct(hours)}, {_distinct(stations)} FROM {table_name(con, staged)} "
                       "WHERE review_run = ? AND list_contains(?, file_name) GROUP BY file_name",
                       [run_id, list(values)]).fetchall()
    found = {name: (h, s) for name, h, s in rows}
    none = (0 if hours else None, 0 if stations else None)   # a file with no staged row, as count() says it
    return {name: Extent(n, *found.get(name, none)) for name, n in values.items()}


def check_files(con: duckdb.DuckDBPyConnection, adapter: SourceAdapter, period: str, staged: str, run_id: str,
                values: dict[str, int], landed: dict[str, Extent]) -> dict[str, DeliveryShrinks]:
    """The breach of each staged file (`values`: what each carries) that would erase landed data by replacing its
    file; `landed`: their `stored_files`."""
    values = {name: n for name, n in values.items() if name in landed}
    out = {}
    for name, now in delivered_files(con, adapter, staged, run_id, values).items() if values else []:
        short = now.shortfalls(landed[name])
        if short:
            out[name] = DeliveryShrinks(adapter.name, period, name, short)
    return out
