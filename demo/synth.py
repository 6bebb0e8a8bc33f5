"""Deterministic generator of CNEMC ``china_sites_YYYYMMDD.csv`` days in the real file format.

The real mirrors stop at a few dates, but the demo and the benchmark need any day on demand. Output has
the exact byte layout of the real files (header ``date,hour,type,<codes>``, 24 hours x 15 types in the real
order, CRLF, no final newline, empty cell = missing, integers for ug/m3, CO with one decimal written like the
real files do: ``1`` for 1.0, ``0.8``), so the demo exercises the production parsers and validators.

Determinism: every random number is a hash of (seed, day, station code, stream, index) -- a counter-based RNG
(splitmix64) evaluated with numpy -- so a station's values do not depend on which other stations are
requested, and the same day is byte-identical on every call and in every process.

The rolling ``*_24h`` / ``O3_8h*`` rows are computed from the published (rounded) hourly values of this
day and of the generated previous days, as the real feed does: ``PM2.5_24h`` at hour 23 is the
half-even-rounded mean of the day's hourly PM2.5 (when all 24 are present); ``O3_24h`` is the 24-hour max of
hourly O3, so ``O3_24h >= O3``.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np

__all__ = [
    "INNER_MONGOLIA_CITIES",
    "TYPES",
    "file_name",
    "generate_day",
    "load_station_codes",
    "write_month",
]

#: Row types in the order of the real files (verified against the 2019-01 mirror).
TYPES: tuple[str, ...] = (
    "AQI", "PM2.5", "PM2.5_24h", "PM10", "PM10_24h", "SO2", "SO2_24h", "NO2", "NO2_24h",
    "O3", "O3_24h", "O3_8h", "O3_8h_24h", "CO", "CO_24h",
)  # fmt: skip

#: 城市 values of the 12 Inner Mongolia prefecture-level units in StationList-2020.01.01.csv (48 stations).
INNER_MONGOLIA_CITIES: tuple[str, ...] = (
    "呼和浩特", "包头", "乌海", "赤峰", "通辽", "鄂尔多斯", "呼伦贝尔", "巴彦淖尔", "乌兰察布", "兴安盟",
    "锡林郭勒盟", "阿拉善盟",
)  # fmt: skip

_HOURLY = ("PM2.5", "PM10", "SO2", "NO2", "O3", "CO")  # generated series; CO kept in tenths of mg/m3
_MISSING_RATE = 0.02

# HJ 633-2012 breakpoints: IAQI grid and concentration grids (CO in mg/m3). Hourly AQI uses the 24-h grids for
# PM (as CNEMC does), the 1-h grids for the gases; SO2 1-h stops at 800 ug/m3 (clipped here).
_IAQI = np.array([0, 50, 100, 150, 200, 300, 400, 500], dtype=float)
_BREAKPOINTS: dict[str, np.ndarray] = {
    "PM2.5": np.array([0, 35, 75, 115, 150, 250, 350, 500], dtype=float),
    "PM10": np.array([0, 50, 150, 250, 350, 420, 500, 600], dtype=float),
    "SO2": np.array([0, 150, 500, 650, 800], dtype=float),
    "NO2": np.array([0, 100, 200, 700, 1200, 2340, 3090, 3840], dtype=float),
    "O3": np.array([0, 160, 200, 300, 400, 800, 1000, 1200], dtype=float),
    "CO": np.array([0, 5, 10, 35, 60, 90, 120, 150], dtype=float),
}


def file_name(day: date) -> str:
    """Name the real feed uses for ``day``; kept here so server, benchmark and tests agree."""
    return f"china_sites_{day:%Y%m%d}.csv"


# ----------------------------------------------------------------------------------------------------
# counter-based random numbers


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on a uint64 array (wrapping arithmetic is intended)."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _key(*parts: int) -> np.uint64:
    """Fold integers into one uint64 key so each (seed, day, ...) gets an independent stream."""
    k = np.array([0x243F6A8885A308D3], dtype=np.uint64)
    for p in parts:
        k = _mix(k ^ np.array([p & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))
    return k[0]


class _Streams:
    """Uniform/normal draws for a (seed, day, stations) block; ``stream`` ids keep variables independent."""

    def __init__(self, seed: int, day: date, station_keys: np.ndarray) -> None:
        self.base = _mix(station_keys ^ _key(seed, day.toordinal()))  # (S,)

    def uniform(self, stream: int, n: int) -> np.ndarray:
        """(S, n) uniforms in (0, 1)."""
        idx = np.arange(n, dtype=np.uint64) + np.uint64((stream * 0x10000) & 0xFFFFFFFFFFFFFFFF)
        with np.errstate(over="ignore"):
            h = _mix(self.base[:, None] ^ (idx[None, :] * np.uint64(0xD1B54A32D192ED03)))
        return ((h >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53

    def normal(self, stream: int, n: int) -> np.ndarray:
        """(S, n) standard normals (Box-Muller over two uniform streams)."""
        u1 = self.uniform(stream, n)
        u2 = self.uniform(stream + 0x8000, n)
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def _station_keys(stations: Sequence[str]) -> np.ndarray:
    """Stable per-code keys (crc32, not ``hash()``, which is salted per process)."""
    return np.array([zlib.crc32(s.encode("utf-8")) for s in stations], dtype=np.uint64)


def _day_uniform(seed: int, day: date, stream: int) -> float:
    """One region-wide draw per day (weather regime, dust outbreak) shared by all stations."""
    h = int(_key(seed, day.toordinal(), 0x5EED, stream))
    return ((h >> 11) + 0.5) * 2.0**-53


def _station_normal(seed: int, keys: np.ndarray, stream: int) -> np.ndarray:
    """Persistent per-station offsets (urban vs background site), independent of the day."""
    u1, u2 = (
        ((_mix(keys ^ _key(seed, 0x57A7, stream, k)) >> np.uint64(11)).astype(float) + 0.5) * 2.0**-53
        for k in (0, 1)
    )
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


# ----------------------------------------------------------------------------------------------------
# the physical-ish model


def _hourly(day: date, keys: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Published hourly values (S, 24) for one day: ints (CO in tenths), NaN = missing.

    Seasonality for Inner Mongolia: heating-season PM2.5/SO2/CO/NO2 peaks in winter, photochemical O3 peaks in
    summer, coarse dust in spring with occasional region-wide dust outbreaks (PM10 far above 500).
    """
    rs = _Streams(seed, day, keys)
    doy = day.timetuple().tm_yday
    winter = (0.5 * (1.0 + np.cos(2.0 * np.pi * (doy - 15) / 365.25))) ** 1.5  # 1 mid-Jan, 0 mid-Jul
    summer = 1.0 - winter
    spring = float(np.exp(-(((doy - 105) / 35.0) ** 2)))  # windy season, peak mid-April
    h = np.arange(24, dtype=float)[None, :]

    u1, u2 = _day_uniform(seed, day, 1), _day_uniform(seed, day, 2)
    weather = 0.45 * float(np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2))  # stagnant vs windy day
    site = 0.30 * _station_normal(seed, keys, 1)[:, None]
    local = 0.25 * rs.normal(1, 1)
    # smooth hourly wander: a random walk centred on the day
    walk = np.cumsum(0.12 * rs.normal(2, 24), axis=1)
    walk -= walk.mean(axis=1, keepdims=True)
    level = weather + site + local + walk  # (S, 24) log-scale anomaly

    night = np.cos(2.0 * np.pi * (h - 22.0) / 24.0)  # heating/inversion peak around 22-23 h
    rush = np.exp(-(((h - 8.0) / 2.0) ** 2)) + np.exp(-(((h - 20.0) / 3.0) ** 2))

    pm25 = (15.0 + 45.0 * winter) * np.exp(level + 0.25 * winter * night + 0.15 * rs.normal(3, 24))
    coarse = (20.0 + 20.0 * summer + 25.0 * spring) * np.exp(0.6 * level + 0.2 * rs.normal(4, 24))

    # dust outbreak: region-wide day, most stations hit, a 6-12 h plume peaking at 600-1800 ug/m3 of PM10
    dust_season = day.month in (3, 4, 5)
    if dust_season and _day_uniform(seed, day, 3) < 0.08:
        hit = rs.uniform(5, 1) < 0.7
        start = 4.0 + 10.0 * rs.uniform(6, 1)
        length = 6.0 + 6.0 * rs.uniform(7, 1)
        peak = 600.0 + 1200.0 * rs.uniform(8, 1)
        phase = np.clip((h - start) / length, 0.0, 1.0)
        plume = np.where(hit, peak * np.sin(np.pi * phase) ** 2, 0.0)
        coarse = coarse + plume
        pm25 = pm25 + 0.2 * plume
    pm10 = pm25 + coarse

    coal = 0.3 * _station_normal(seed, keys, 2)[:, None]  # sites near coal power/industry read higher SO2
    so2 = (6.0 + 30.0 * winter) * np.exp(0.7 * level + coal + 0.1 * night + 0.2 * rs.normal(9, 24))
    no2 = (16.0 + 20.0 * winter) * np.exp(0.6 * level + 0.35 * rush - 0.25 + 0.2 * rs.normal(10, 24))
    co = (0.35 + 0.9 * winter) * np.exp(0.8 * level + 0.2 * winter * night + 0.15 * rs.normal(11, 24))

    sun = np.clip(np.sin(np.pi * (h - 7.0) / 14.0), 0.0, None) ** 1.3  # photochemistry 7-21 h, peak 14 h
    o3_peak = (50.0 + 95.0 * summer) * np.exp(0.2 * rs.normal(12, 1) - 0.15 * weather)
    night_floor = 0.3 + 0.35 * winter  # winter nights keep background O3 (weak titration in the steppe air)
    o3 = o3_peak * (night_floor + (1.0 - night_floor) * sun) * np.exp(0.15 * rs.normal(13, 24))
    o3 = o3 - 0.2 * no2 * (1.0 - sun)

    out = {
        "PM2.5": np.maximum(np.round(pm25), 1.0),
        "PM10": np.maximum(np.round(pm10), 1.0),
        "SO2": np.maximum(np.round(so2), 1.0),
        "NO2": np.maximum(np.round(no2), 1.0),
        "O3": np.maximum(np.round(o3), 1.0),
        "CO": np.maximum(np.round(co * 10.0), 1.0),  # tenths of mg/m3
    }
    # missing values: half as station-hour outages (all pollutants), half as single cells
    outage = rs.uniform(14, 24) < _MISSING_RATE / 2
    for i, name in enumerate(_HOURLY):
        gone = outage | (rs.uniform(15 + i, 24) < _MISSING_RATE / 2)
        out[name] = np.where(gone, np.nan, out[name])
    return out


def _rolling(series: np.ndarray, window: int, how: str, min_count: int, last: int = 24) -> np.ndarray:
    """Trailing-window mean/max ending at each of the last ``last`` hours of ``series`` (S, H) -> (S, last).

    NaN-aware like the real feed (a missing hour does not blank the 24-h value) but blank below ``min_count``.
    """
    hours = series.shape[1]
    idx = np.arange(hours - last, hours)[:, None] - np.arange(window)[None, :]  # (last, window)
    win = series[:, idx]  # (S, last, window)
    count = np.sum(~np.isnan(win), axis=2)
    filled = np.where(np.isnan(win), 0.0 if how == "mean" else -np.inf, win)
    val = filled.sum(axis=2) / np.maximum(count, 1) if how == "mean" else filled.max(axis=2)
    return np.where(count >= min_count, val, np.nan)


def _aqi(hourly: dict[str, np.ndarray]) -> np.ndarray:
    """Hourly AQI = ceil(max IAQI) over available pollutants (HJ 633); an approximation of CNEMC's value."""
    stack = np.stack([
        np.interp(np.minimum(hourly[name] / (10.0 if name == "CO" else 1.0), bp[-1]), bp, _IAQI[: len(bp)])
        for name, bp in _BREAKPOINTS.items()
    ])  # fmt: skip
    allnan = np.all(np.isnan(stack), axis=0)
    best = np.where(np.isnan(stack), -1.0, stack).max(axis=0)
    return np.where(allnan, np.nan, np.ceil(best - 1e-9))


def _day_table(day: date, stations: Sequence[str], seed: int) -> dict[str, np.ndarray]:
    """All 15 rows for every station as (S, 24) float arrays of published numbers (CO rows in tenths).

    Generates the two previous days as well, so the rolling rows agree with what those days' files print.
    """
    keys = _station_keys(stations)
    days = [_hourly(day - timedelta(days=k), keys, seed) for k in (2, 1, 0)]
    span = {n: np.concatenate([d[n] for d in days], axis=1) for n in _HOURLY}  # (S, 72)
    today = days[2]
    o3_8h = np.round(_rolling(span["O3"], 8, "mean", 6, last=48))  # previous day + today

    table: dict[str, np.ndarray] = {
        "AQI": _aqi(today),
        "PM2.5": today["PM2.5"],
        "PM2.5_24h": np.round(_rolling(span["PM2.5"], 24, "mean", 20)),
        "PM10": today["PM10"],
        "PM10_24h": np.round(_rolling(span["PM10"], 24, "mean", 20)),
        "SO2": today["SO2"],
        "SO2_24h": np.round(_rolling(span["SO2"], 24, "mean", 20)),
        "NO2": today["NO2"],
        "NO2_24h": np.round(_rolling(span["NO2"], 24, "mean", 20)),
        "O3": today["O3"],
        "O3_24h": _rolling(span["O3"], 24, "max", 1),
        "O3_8h": o3_8h[:, 24:],
        "O3_8h_24h": _rolling(o3_8h, 24, "max", 1),
        "CO": today["CO"],
        "CO_24h": np.round(_rolling(span["CO"], 24, "mean", 20)),
    }
    # rolling rows go missing on their own in the real files (a blank hourly cell does not blank them)
    rs = _Streams(seed, day, keys)
    for i, name in enumerate(TYPES):
        if name not in _HOURLY and name != "AQI":
            table[name] = np.where(rs.uniform(100 + i, 24) < _MISSING_RATE, np.nan, table[name])
    return table


# ----------------------------------------------------------------------------------------------------
# formatting


def _strings(values: np.ndarray, tenths: bool) -> np.ndarray:
    """Exact text of published numbers ('' = missing) via a lookup table, avoiding per-cell formatting."""
    finite = np.nan_to_num(values, nan=-1.0).astype(np.int64)
    top = int(finite.max(initial=0))
    if tenths:  # the real files print 1.0 mg/m3 as "1" and 0.8 as "0.8"
        table = [str(i // 10) if i % 10 == 0 else f"{i // 10}.{i % 10}" for i in range(top + 1)]
    else:
        table = [str(i) for i in range(top + 1)]
    table.append("")
    lookup = np.array(table, dtype=object)
    return lookup[np.where(finite < 0, top + 1, finite)]


def generate_day(day: date, stations: Sequence[str], *, seed: int = 0) -> bytes:
    """Bytes of ``china_sites_YYYYMMDD.csv`` for ``day`` and ``stations`` (column order kept), real layout.

    Deterministic per (seed, day, station): the same call always returns the same bytes.
    """
    codes = list(stations)
    if not codes:
        raise ValueError("need at least one station code")
    table = _day_table(day, codes, seed)
    text = {name: _strings(table[name], tenths=name.startswith("CO")) for name in TYPES}  # (S, 24) each
    ymd = f"{day:%Y%m%d}"
    lines = ["date,hour,type," + ",".join(codes)]
    for hour in range(24):
        for name in TYPES:
            lines.append(f"{ymd},{hour},{name}," + ",".join(text[name][:, hour]))
    return "\r\n".join(lines).encode("utf-8")


def load_station_codes(path: str | Path, cities: str | Iterable[str] | None = None) -> list[str]:
    """Station codes (监测点编码) from a CNEMC StationList CSV, in file order, duplicates dropped.

    ``cities``: a string keeps stations whose 城市 starts with it (e.g. ``"呼和"``); an iterable keeps
    stations whose 城市 starts with any item (:data:`INNER_MONGOLIA_CITIES` selects the 48 regional ones).
    """
    prefixes: tuple[str, ...] | None
    if cities is None:
        prefixes = None
    elif isinstance(cities, str):
        prefixes = (cities,)
    else:
        prefixes = tuple(cities)
    codes: dict[str, None] = {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            code = (row.get("监测点编码") or "").strip()
            city = (row.get("城市") or "").strip()
            if code and (prefixes is None or city.startswith(prefixes)):
                codes.setdefault(code, None)
    return list(codes)


def write_month(
    out_dir: str | Path, year: int, month: int, stations: Sequence[str], seed: int = 0
) -> list[Path]:
    """Write every generated day of ``year-month`` as ``china_sites_YYYYMMDD.csv`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    day = date(year, month, 1)
    paths = []
    while day.month == month:
        path = out / file_name(day)
        path.write_bytes(generate_day(day, stations, seed=seed))
        paths.append(path)
        day += timedelta(days=1)
    return paths
