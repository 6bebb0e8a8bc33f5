"""Load the catalogue into the warehouse: the versioned CSV files, checked first, replaced whole when they change."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from tasks.catalogue.check import CATALOGUE_DIR, check
from tasks.core import sql
from tasks.core.errors import ConfigError
from tasks.core.warehouse import run_script, transaction

_STATION_LIST = re.compile(r"StationList-(\d{4})\.(\d{2})\.(\d{2})\.csv$")


def station_lists(folder: Path = CATALOGUE_DIR / "stations") -> list[tuple[date, Path]]:
    """Station list files with the date they are valid from (from the file name)."""
    found = []
    for path in sorted(folder.glob("StationList-*.csv")):
        match = _STATION_LIST.search(path.name)
        if not match:
            raise ConfigError(f"{path}: station list names must look like StationList-YYYY.MM.DD.csv")
        found.append((date(*map(int, match.groups())), path))
    if not found:
        raise ConfigError(f"no station list in {folder}")
    return found


def load_catalogue(con: duckdb.DuckDBPyConnection, folder: Path = CATALOGUE_DIR) -> None:
    """Replace the catalogue tables from the versioned CSV files (caller holds the transaction), after checking
    them: a catalogue with a problem is never loaded, so the warehouse keeps the last good one."""
    errors = check(folder)
    if errors:
        shown = "; ".join(str(e) for e in errors[:5])
        raise ConfigError(f"the catalogue in {folder} has {len(errors)} problem(s) (`ecoflow catalogue check` lists "
                          f"them all): {shown}")
    run_script(con, "load/catalogue", {
        name: str(folder / f"{name}.csv")
        for name in ("regions", "departments", "indicators", "targets", "assigned_targets", "baselines", "dust_days",
                     "water_sections", "water_assessment", "alert_rules", "indicator_sources",
                     "feed_operators", "drinking_water_sources")
    })
    run_script(con, "load/projects", {name: str(folder / f"{name}.csv") for name in ("projects", "project_milestones")})
    run_script(con, "load/stations_clear")
    for valid_from, path in station_lists(folder / "stations"):
        run_script(con, "load/stations",
                   {"path": str(path), "valid_from": valid_from.isoformat(), "list_file": path.name})
    run_script(con, "load/stations_close", {"changes": str(folder / "station_changes.csv"),
                                            "station_regions": str(folder / "station_regions.csv")})


def fingerprint(folder: Path = CATALOGUE_DIR) -> str:
    """sha256 over every catalogue file's name and bytes: a change to any of them is a new catalogue."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def refresh(con: duckdb.DuckDBPyConnection, folder: Path | None = None) -> bool:
    """Load the catalogue (default: the repository's, CATALOGUE_DIR) if its files changed since the last load (a
    run's first step; cheap when nothing changed). Returns whether it loaded. A catalogue with a problem is refused
    and the last good one stays."""
    folder = folder or CATALOGUE_DIR
    current = fingerprint(folder)
    row = next(iter(con.execute(sql.load("load/load_state_read")).fetchall()), None)
    if row and row[0] == current:
        return False
    with transaction(con):
        load_catalogue(con, folder)
        run_script(con, "load/load_state_write",
                   {"fingerprint": current, "folder": str(folder), "loaded_at": datetime.now(UTC)})
    return True
