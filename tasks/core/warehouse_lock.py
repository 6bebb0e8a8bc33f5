"""One writer at a time: a second process waits for the warehouse's lock a configured time, then says who holds it.

DuckDB lets one process hold a database file for writing (readers of other processes are refused too). Inside
Airflow a pool of one slot keeps writers apart; a person running `ecoflow` beside a scheduled run is not, so the
open is retried for ECOFLOW_LOCK_WAIT seconds (default 120) before failing with the holder's process id and
command line, read from DuckDB's own message and /proc.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb

from tasks.core import limits
from tasks.core.errors import EcoflowError

_HOLDER = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")
_POLL = 0.25


class WarehouseLocked(EcoflowError):
    """The warehouse stayed locked by another process for the whole wait."""

    def __init__(self, path: Path, waited: float, holder: str) -> None:
        super().__init__(f"warehouse {path} is locked by {holder}; waited {waited:g} s (ECOFLOW_LOCK_WAIT) — "
                         "nothing was changed; run again when that process has finished")
        self.path, self.waited, self.holder = path, waited, holder


def lock_wait() -> float:
    return limits.number("ECOFLOW_LOCK_WAIT", 120.0, allow_zero=True)


def holder(message: str) -> str | None:
    """`PID 1234 (python -m tasks.cli.commands run air ...)` from DuckDB's lock error, or None for another error."""
    found = _HOLDER.search(message)
    if not found:
        return None
    pid = found.group(2)
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmdline = ""
    return f"PID {pid} ({cmdline or found.group(1)})"


def connect(path: Path, *, read_only: bool, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, waiting up to `wait` seconds (default lock_wait()) while another process holds the lock."""
    wait = lock_wait() if wait is None else wait
    deadline = time.monotonic() + wait
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            who = holder(str(exc))
            if who is None:
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLocked(path, wait, who) from exc
            time.sleep(_POLL)
