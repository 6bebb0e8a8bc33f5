"""The station part of the catalogue: which stations evaluate which region besides their own city's
(warehouse/catalogue/station_regions.csv), checked with the rest of the catalogue and listed in docs/catalogue.md.

A station list names one 城市 per station; some stations serve a 旗县区 too (2202A/2203A stand in 锡林浩特市 and
evaluate both it and 锡林郭勒盟). Regions above the city never take stations: they are the mean of their cities.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Protocol

FILE = "station_regions.csv"
HEADER = ["station_code", "region_code", "valid_from", "valid_to", "note"]
REQUIRED = ("station_code", "region_code", "valid_from")


class _Row(Protocol):
    line: int
    bad: set[str]

    def __getitem__(self, column: str) -> str: ...


def station_cities(folder: Path) -> dict[str, set[str]] | None:
    """{station code: the 城市 names the station lists give it}; None when the folder holds no station list."""
    lists = sorted((folder / "stations").glob("StationList-*.csv"))
    if not lists:
        return None
    found: dict[str, set[str]] = {}
    for path in lists:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for record in csv.DictReader(handle):
                found.setdefault(record["监测点编码"].strip(), set()).add(record["城市"].strip())
    return found


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def check(rows: list, regions: dict[str, _Row] | None, stations: dict[str, set[str]] | None,
          flag: Callable[[str, _Row, str, str], None]) -> None:
    """Flag rows whose station or region is unknown, whose region is above the city or is already the station's
    own city, whose dates are not dates or run backwards, and repeated (station, region, valid_from)."""
    above_city = {r["parent_code"] for r in (regions or {}).values() if r["level"] == "prefecture"}
    seen: dict[tuple[str, str, str], int] = {}
    for row in rows:
        code, region = row["station_code"], row["region_code"]
        if stations is not None and code and code not in stations:
            flag(FILE, row, "station_code", f"unknown station {code!r} (in no list of stations/)")
        if regions is not None and region and region not in regions:
            flag(FILE, row, "region_code", f"unknown region {region!r}")
        elif region in above_city:
            flag(FILE, row, "region_code", f"{region} {regions[region]['name_zh']} has cities: it is the mean of "
                                           "their values and takes no stations")
        elif regions is not None and stations is not None and region and code in stations \
                and regions[region]["station_city"] in stations[code]:
            flag(FILE, row, "region_code", f"{region} is already the city of {code} in the station lists")
        start, end = (_date(row[c]) if row[c] else None for c in ("valid_from", "valid_to"))
        for column, value in (("valid_from", start), ("valid_to", end)):
            if row[column] and value is None and column not in row.bad:
                flag(FILE, row, column, f"{row[column]!r} is not a date (YYYY-MM-DD)")
        if start and end and end < start:
            flag(FILE, row, "valid_to", f"{end} is before valid_from {start}")
        key = (code, region, row["valid_from"])
        if all(key) and key in seen:
            flag(FILE, row, "valid_from", f"duplicate mapping ({', '.join(key)}) (first on line {seen[key]})")
        elif all(key):
            seen[key] = row.line


def markdown(rows: list[dict[str, str]], regions: dict[str, dict[str, str]]) -> list[str]:
    """The section of docs/catalogue.md that lists the mapping."""
    lines = ["## Stations serving several regions", "",
             "From `station_regions.csv`: stations that evaluate a region besides the city the station lists give "
             "them (a city's own stations come from `stations/StationList-*.csv`). Regions with cities (150000) "
             "take no stations: their air values are the mean of their cities' values (docs/rules.md rule 4b).", "",
             "| 站点 | 区域 | 起 | 止 | 说明 |", "|---|---|---|---|---|"]
    for r in rows:
        name = regions.get(r["region_code"], {}).get("name_zh", "?")
        note = r["note"].replace("|", "\\|")
        lines.append(f"| {r['station_code']} | {r['region_code']} {name} | {r['valid_from']} | "
                     f"{r['valid_to'] or '—'} | {note} |")
    return lines + [""]
