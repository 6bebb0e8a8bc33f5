"""One loader for the warehouse SQL files: queries live in warehouse/*.sql and take bound parameters only."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from tasks.core.settings import REPO_ROOT

SQL_ROOT = REPO_ROOT / "warehouse"


@cache
def load(name: str) -> str:
    """Return the text of warehouse/<name>.sql (e.g. "queries/indicator_values")."""
    path = (SQL_ROOT / f"{name}.sql").resolve()
    if SQL_ROOT.resolve() not in path.parents:
        raise ValueError(f"SQL name {name!r} escapes the warehouse folder")
    return path.read_text(encoding="utf-8")


_TABLE = re.compile(r'^"[a-z_][a-z0-9_]*"\."[a-z_][a-z0-9_]*"$')    # as core.warehouse.table_name quotes one
_COLUMN = re.compile(r"^[a-z_][a-z0-9_]*$")
_MATCH = re.compile(r"^r\.(\w+) = s\.\1( AND r\.(\w+) = s\.\3)*$")


def with_names(name: str, **names: str) -> str:
    """warehouse/<name>.sql with its {placeholders} filled by names, never by values: a table quoted by
    core.warehouse.table_name (one that exists), a bare lower-case column, or a key match made by `key_match`.
    Values stay bound parameters."""
    for key, value in names.items():
        if not (_TABLE.match(value) or _COLUMN.match(value) or _MATCH.match(value)):
            raise ValueError(f"{name}.sql: {{{key}}} must be a table, a column or a key match, not {value!r}")
    return load(name).format(**names)


def key_match(columns: tuple[str, ...] | list[str]) -> str:
    """`r.a = s.a AND r.b = s.b`: landed rows (r) matching staged rows (s) on the given columns."""
    bad = [c for c in columns if not _COLUMN.match(c)]
    if bad or not columns:
        raise ValueError(f"not column names: {bad or columns!r}")
    return " AND ".join(f"r.{c} = s.{c}" for c in columns)


def statements(text: str) -> list[str]:
    """Split a migration file on ';' at line ends (our SQL files never put ';' inside strings)."""
    parts, current = [], []
    for line in text.splitlines():
        current.append(line)
        if line.rstrip().endswith(";"):
            stmt = "\n".join(current).strip()
            if stmt.strip(";").strip() and not all(
                ln.strip().startswith("--") or not ln.strip() for ln in current
            ):
                parts.append(stmt)
            current = []
    tail = "\n".join(current).strip()
    if tail and not all(ln.strip().startswith("--") or not ln.strip() for ln in current):
        parts.append(tail)
    return parts


def files(folder: str) -> list[Path]:
    return sorted((SQL_ROOT / folder).glob("*.sql"))


def rows(con: Any, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run warehouse/<name>.sql with bound parameters; each result row as a dict (the one place that does it)."""
    cur = con.execute(load(name), params or {})
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
