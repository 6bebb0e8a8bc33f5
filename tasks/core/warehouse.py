"""The DuckDB warehouse: connections, ordered migrations, re-runnable models and the catalogue load.

DuckDB allows one writer: writing code paths share the Airflow pool `warehouse` (one slot); readers open
the file read-only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

import duckdb

from tasks.core import sql, warehouse_lock
from tasks.core.errors import ConfigError
from tasks.core.settings import Settings

if TYPE_CHECKING:
    import pandas as pd



@contextmanager
def connect(settings: Settings, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; a writer also brings the schema up to date (the catalogue is the flow's first step of a
    run: tasks.flow.warehouse.writer)."""
    path = settings.warehouse_path
    if read_only and not path.exists():
        raise ConfigError(f"no warehouse at {path}: run `ecoflow run air --period YYYY-MM` first")
    if not read_only:
        settings.ensure_dirs()
    con = warehouse_lock.connect(path, read_only=read_only)  # waits for another process's lock, then says whose
    _KNOWN_TABLES.clear()   # names are confirmed again in each warehouse opened (another home, a restored file)
    try:
        if not read_only:
            migrate(con)
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure rolls back, leaving the previous state."""
    con.execute("BEGIN TRANSACTION")
    _IN_TRANSACTION.add(id(con))
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")
    finally:
        _IN_TRANSACTION.discard(id(con))


#: connections inside `transaction` (any failing statement there aborts the transaction: `columns` must not fail)
_IN_TRANSACTION: set[int] = set()


def table_name(con: duckdb.DuckDBPyConnection, qualified: str) -> str:
    """A quoted [schema.]table that exists in the warehouse: table names in SQL come from this allowlist only. A
    name found is remembered until the next warehouse is opened (`connect`; asking on every insert cost ~2 ms a
    statement); a name never found is looked up each time, and refused."""
    known = _KNOWN_TABLES.get(qualified)
    if known is not None:
        return known
    if not columns(con, qualified):
        raise ConfigError(f"unknown warehouse table {qualified!r}")
    schema, _, table = qualified.rpartition(".")
    _KNOWN_TABLES[qualified] = f'"{schema}"."{table}"' if schema else f'"{table}"'
    return _KNOWN_TABLES[qualified]


def columns(con: duckdb.DuckDBPyConnection, qualified: str) -> list[str]:
    """The columns of a [schema.]table or view, in order; empty when there is none of that name (or the name is not
    a plain lower-case one: nothing else is ever looked up)."""
    if not _PLAIN_NAME.match(qualified):
        return []
    if id(con) in _IN_TRANSACTION:   # the catalogue's listing: slower on a new connection, but it never fails
        schema, _, table = qualified.rpartition(".")
        return [r[0] for r in con.execute(sql.load("queries/table_columns_listed"),
                                          {"schema": schema or "main", "table": table}).fetchall()]
    try:
        return [r[0] for r in con.execute(sql.load("queries/table_columns"), {"qualified": qualified}).fetchall()]
    except duckdb.CatalogException:
        return []


_PLAIN_NAME = re.compile(r"^(?:[a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$")
_KNOWN_TABLES: dict[str, str] = {}


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Append a DataFrame whose columns are in the table's order."""
    _with_frame(con, frame, f"INSERT INTO {table_name(con, table)} SELECT * FROM _frame")


def execute_with_frame(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame,
                       params: dict[str, Any] | None = None) -> None:
    """Run warehouse/<name>.sql, whose rows come from `_frame` (a statement over many rows: one statement, not one
    per row)."""
    _with_frame(con, frame, sql.load(name), params)


def _with_frame(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, statement: str,
                params: dict[str, Any] | None = None) -> None:
    """`statement` with `frame` registered as `_frame` (the one place that registers frames)."""
    con.register("_frame", frame)
    try:
        con.execute(statement, params or {})
    finally:
        con.unregister("_frame")


def run_script(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> None:
    """Run every statement of warehouse/<name>.sql, binding only the parameters each statement names."""
    for stmt in sql.statements(sql.load(name)):
        used = {k: v for k, v in (params or {}).items() if f"${k}" in stmt}
        con.execute(stmt, used) if used else con.execute(stmt)


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations in order, each in one transaction; then refresh the models when they changed, a
    migration ran or a view of theirs is missing (a restored backup has none): re-creating them on every writer's
    connection was ~15 ms of its ~40 ms, several times a run. The check itself is two small reads."""
    try:
        done, digests = con.execute(sql.load("queries/schema_state")).fetchall()[0]
    except duckdb.CatalogException:    # a new warehouse, or one from before the models' digest was kept
        run_script(con, "queries/schema_bookkeeping")
        done, digests = con.execute(sql.load("queries/schema_state")).fetchall()[0]
    applied = []
    for path in sql.files("migrations"):
        if path.stem in done:
            continue
        with transaction(con):
            run_script(con, f"migrations/{path.stem}")
            con.execute("INSERT INTO main.schema_migrations VALUES (?, now())", [path.stem])
        applied.append(path.stem)
    digest = models_digest()
    if applied or digests != [digest] or not _views_present(con):
        with transaction(con):
            for path in sql.files("models"):
                run_script(con, f"models/{path.stem}")
            con.execute("DELETE FROM main.schema_models")
            con.execute("INSERT INTO main.schema_models VALUES (?, now())", [digest])
    return applied


def _views_present(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether every view the models make is there (a restore imports none). Binding them all is the quick check;
    only when that fails is the catalogue listed, so that a view which is there but no longer binds (a table under
    it dropped by hand) is left as it was rather than made again, which would fail every writer."""
    try:
        con.execute(_view_probe()).fetchall()
        return True
    except duckdb.Error:
        present = {f"{schema}.{view}" for schema, view in con.execute(sql.load("queries/schema_views")).fetchall()}
        return model_views() <= present


@cache
def _view_probe() -> str:
    """One statement binding every model view (names from the models' own files, quoted as table_name does)."""
    parts = []
    for name in sorted(model_views()):
        schema, view = name.split(".")
        text = sql.with_names("queries/schema_view_probe", view=f'"{schema}"."{view}"')
        parts.append("\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--")))
    return " UNION ALL ".join(parts)


@cache
def model_views() -> frozenset[str]:
    """The views the models create, schema.view (read once a process, as sql.load reads the files)."""
    made = re.compile(r"CREATE\s+OR\s+REPLACE\s+VIEW\s+([\w.]+)", re.IGNORECASE)
    return frozenset(name.lower() for path in sql.files("models")
                     for name in made.findall(sql.load(f"models/{path.stem}")))


@cache
def models_digest() -> str:
    """The models as this code writes them (warehouse/models/*.sql, names and text)."""
    import hashlib

    text = "\n".join(f"-- {path.name}\n{sql.load(f'models/{path.stem}')}" for path in sql.files("models"))
    return hashlib.sha256(text.encode()).hexdigest()
