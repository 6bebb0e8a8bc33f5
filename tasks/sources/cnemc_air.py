"""CNEMC national air feed: one wide CSV per day (`china_sites_YYYYMMDD.csv`), 15 types x 24 hours.

Header `date,hour,type,<station codes>`; CRLF; empty cell = missing. The parser turns each file into tidy
rows (one per station, hour and type with a value) and keeps every line so a rejected row can be quoted.
A line with the wrong number of fields (a file cut off mid-line) is quarantined; the rest of the file loads.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from tasks.core.errors import ParseError
from tasks.sources.base import Parsed, RemoteFile, RowIssue, landed_rows

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from tasks.core.periods import Period

HEADER_PREFIX = ["date", "hour", "type"]
TYPES = ("AQI", "PM2.5", "PM2.5_24h", "PM10", "PM10_24h", "SO2", "SO2_24h", "NO2", "NO2_24h",
         "O3", "O3_24h", "O3_8h", "O3_8h_24h", "CO", "CO_24h")
POLLUTANTS = ("PM2.5", "PM10", "SO2", "NO2", "O3", "CO")


class CnemcAirAdapter:
    name = "air"
    title = "CNEMC 空气质量日文件"
    suite = "air_hourly"
    raw_table = "raw.cnemc_air_hourly"
    row_key = "row_id"
    column_key = "station_code"
    replace_key = "file_name"
    extent = {"hours": ("obs_date", "hour"), "stations": ("station_code",)}  # tasks.sources.redelivery
    natural_key = ("obs_date", "hour", "type", "station_code")  # a correction replaces the rows it names

    def files(self, period: Period) -> list[RemoteFile]:
        return [RemoteFile(f"china_sites_{d:%Y%m%d}.csv", f"china_sites_{d:%Y%m%d}.csv") for d in period.days]

    def parse(self, name: str, content: bytes) -> Parsed:
        import pandas as pd

        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = content[: exc.start].count(b"\n") + 1
            raise ParseError(name, f"not UTF-8 text (byte {exc.start}: {content[exc.start:exc.start + 4]!r}); "
                                   "CNEMC daily files are ASCII/UTF-8", line=line) from exc
        raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # a bare CR ends a line too
        if raw_lines and raw_lines[-1] == "":
            raw_lines.pop()
        if not raw_lines or not raw_lines[0].strip():
            raise ParseError(name, "empty file: no header line")
        header = raw_lines[0].split(",")
        if header[:3] != HEADER_PREFIX or len(header) < 4:
            got = raw_lines[0][:80]
            raise ParseError(name, f"header must start with date,hour,type and name stations; got {got!r}", line=1)
        stations = header[3:]
        width = len(header)
        _within_bounds(name, len(raw_lines) - 1, len(stations))
        issues: list[RowIssue] = []
        good_lines: list[str] = []
        good_numbers: list[int] = []
        lines = {}
        for number, line in enumerate(raw_lines[1:], start=2):
            lines[number] = line
            fields = line.count(",") + 1
            if fields != width:
                issues.append(RowIssue(
                    number, "parse.field_count",
                    f"line has {fields} of {width} fields (cut off mid-line or malformed); row not loaded",
                    line, values_lost=max(0, fields - len(HEADER_PREFIX))))
                continue
            good_lines.append(line)
            good_numbers.append(number)
        issues += _incomplete_day(good_lines, len(raw_lines))
        if not good_lines:
            return Parsed(_empty_rows(), issues, lines)
        wide = pd.read_csv(io.StringIO("\n".join(good_lines)), header=None, names=header, dtype=str,
                           keep_default_na=False, na_filter=False, engine="c",
                           quoting=3)  # csv.QUOTE_NONE: a stray quote must not join lines (fields are counted so)
        tidy = _tidy(name, wide, stations, good_numbers)
        return Parsed(tidy, issues, lines)

    def expectation_parameters(self, con: duckdb.DuckDBPyConnection, name: str, *, rows: pd.DataFrame | None = None,
                               period: str | None = None) -> dict[str, Any]:
        codes = sorted(r[0] for r in con.execute("SELECT DISTINCT station_code FROM catalogue.stations").fetchall())
        return {"known_station_codes": codes, "types": list(TYPES)}   # the same for every file of a run

    def landing_frame(self, good: pd.DataFrame, *, batch_id: str, period: str, file_name: str) -> pd.DataFrame:
        return landed_rows(
            good, batch_id=batch_id, period=period, file_name=file_name,
            obs_date=_dates(good["date"]), hour=good["hour_num"].astype("int16"),
            type=good["type"], station_code=good["station_code"], value=good["value"].astype("float64"))


def _tidy(name: str, wide: pd.DataFrame, stations: list[str], line_numbers: list[int]) -> pd.DataFrame:
    """One row per non-empty cell, station by station and line by line within a station (a melt's order), built
    from arrays rather than by melting 590,000 strings: the line's columns are repeated by index, and the texts
    that repeat (station codes, types, dates, cell texts) are categoricals, so validation compares small codes.
    `value` is each distinct cell text converted once by the feeds' rule (tasks.core.numbers.plain)."""
    import numpy as np
    import pandas as pd

    from tasks.core.numbers import plain

    cells = wide[stations].to_numpy(dtype=object)
    station_of, line_of = np.nonzero((cells != "").T)     # station-major, as melt(value_vars=stations) orders rows
    texts = pd.Categorical(cells[line_of, station_of])
    values = np.array([plain(t) for t in texts.categories], dtype="float64")
    per_line = {c: pd.Categorical(wide[c].to_numpy(dtype=object)) for c in HEADER_PREFIX}
    hour_num = np.array([plain(h) for h in per_line["hour"].categories], dtype="float64")
    codes = texts.codes
    tidy = pd.DataFrame({
        "row_id": np.arange(len(line_of), dtype="int64"),
        "file_name": pd.Categorical.from_codes(np.zeros(len(line_of), dtype="int8"), [name]),
        "source_line": np.asarray(line_numbers, dtype="int64")[line_of],
        "date": per_line["date"][line_of],
        "file_date": _day_of(name),   # the day the file name says; the suite's air.date_matches_file compares
        "hour": per_line["hour"][line_of],
        "type": per_line["type"][line_of],
        "station_code": pd.Categorical.from_codes(station_of, stations) if len(set(stations)) == len(stations)
        else pd.Categorical(np.asarray(stations, dtype=object)[station_of]),
        "value_text": texts,
        "hour_num": hour_num[per_line["hour"].codes[line_of]] if len(hour_num) else np.full(len(line_of), np.nan),
        "value": values[codes] if len(values) else np.full(len(line_of), np.nan),
    })
    tidy["o3_24h"] = _o3_24h_beside_o3(tidy)
    return tidy


def _dates(texts: pd.Series) -> pd.Series:
    """YYYYMMDD texts as dates; each distinct text converted once when they are categorical (as parsed)."""
    import pandas as pd

    if isinstance(texts.dtype, pd.CategoricalDtype):
        days = pd.to_datetime(texts.cat.categories, format="%Y%m%d")
        return pd.Series(days.to_numpy()[texts.cat.codes.to_numpy()], index=texts.index)
    return pd.to_datetime(texts, format="%Y%m%d")


def _day_of(name: str) -> str:
    """`20190301` of `china_sites_20190301.csv` (compared with each row's date, as text)."""
    return name.removeprefix("china_sites_").removesuffix(".csv")


def _incomplete_day(good_lines: list[str], last_line: int) -> list[RowIssue]:
    """A day file should hold 24 hours x 15 types. Fewer rows happen in real files, so this is a warning —
    but it says which hours are absent, so a file cut off in transit cannot shrink a day unnoticed."""
    hours: dict[str, int] = {}
    for line in good_lines:
        _, hour, _rest = line.split(",", 2)
        hours[hour] = hours.get(hour, 0) + 1
    absent = [h for h in range(24) if str(h) not in hours]
    short = sorted((h for h, n in hours.items() if n < len(TYPES)), key=lambda h: int(h) if h.isdigit() else 99)
    if not absent and not short and len(good_lines) == 24 * len(TYPES):
        return []
    parts = []
    if absent:
        parts.append(f"hours absent: {_ranges(absent)}")
    if short:
        parts.append(f"hours with fewer than {len(TYPES)} types: {', '.join(short)}")
    return [RowIssue(last_line, "parse.incomplete_day",
                     f"{len(good_lines)} of {24 * len(TYPES)} rows ({'; '.join(parts)}); the day's coverage shrinks",
                     "", severity="warning")]


def _ranges(values: list[int]) -> str:
    runs, start = [], values[0]
    for prev, cur in zip(values, [*values[1:], None], strict=True):
        if cur != prev + 1:
            runs.append(f"{start}" if start == prev else f"{start}–{prev}")
            start = cur
    return ", ".join(runs)


def _o3_24h_beside_o3(tidy: pd.DataFrame) -> pd.Series:
    """For each O3 row, the O3_24h value of the same station and hour (the suite checks O3_24h >= O3): the first
    O3_24h row of that date, hour and station in the rows' order, as a merge that keeps the first would find it.
    Rows are matched by their categorical codes, not by joining strings."""
    import numpy as np
    import pandas as pd

    codes = [tidy[c].cat.codes.to_numpy().astype("int64") for c in ("date", "hour", "station_code")]
    sizes = [len(tidy[c].cat.categories) + 1 for c in ("date", "hour", "station_code")]
    key = (codes[0] * sizes[1] + codes[1]) * sizes[2] + codes[2]
    types, names = tidy["type"].cat.codes.to_numpy(), list(tidy["type"].cat.categories)
    out = np.full(len(tidy), np.nan)
    partner, o3 = (np.flatnonzero(types == names.index(t)) if t in names else np.array([], dtype="int64")
                   for t in ("O3_24h", "O3"))
    if len(partner) and len(o3):
        keys, first = np.unique(key[partner], return_index=True)   # the first row of each key, in row order
        where = np.searchsorted(keys, key[o3]).clip(0, len(keys) - 1)
        found = keys[where] == key[o3]
        out[o3[found]] = tidy["value"].to_numpy()[partner[first[where[found]]]]
    return pd.Series(out, index=tidy.index)


def _empty_rows() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype="object") for c in (
        "row_id", "file_name", "source_line", "date", "file_date", "hour", "type", "station_code", "value_text")}
    ).assign(hour_num=pd.Series(dtype="float64"), value=pd.Series(dtype="float64"),
             o3_24h=pd.Series(dtype="float64"))


def _within_bounds(name: str, data_lines: int, stations: int) -> None:
    """Refuse, before anything is split or read into a frame, a file no real day file resembles: more lines than
    twice a day's 24 hours × 15 types, or more values than ECOFLOW_AIR_MAX_VALUES (memory grows with values)."""
    from tasks.core import limits

    most = 2 * 24 * len(TYPES)
    if data_lines > most:
        raise ParseError(name, f"{data_lines} data lines, where a day file has {24 * len(TYPES)} (24 hours × "
                               f"{len(TYPES)} types) and at most {most} are read: not a day file", line=most + 2)
    cap = limits.max_values("air")
    if data_lines * stations > cap:
        raise ParseError(name, f"{stations} stations × {data_lines} lines = {data_lines * stations:,} values, over "
                               f"{limits.max_values_name('air')} ({cap:,}): not read", line=1)
