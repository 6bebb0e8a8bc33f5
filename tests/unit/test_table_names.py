"""Table names in SQL come only from the warehouse's own catalogue (tasks.core.warehouse.table_name)."""

from __future__ import annotations

import duckdb
import pytest

from tasks.core.errors import ConfigError
from tasks.core.warehouse import columns, table_name, transaction


def test_a_real_table_is_quoted_and_a_name_that_is_none_is_refused_every_time() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw; CREATE TABLE raw.names_probe (x INT)")
    assert table_name(con, "raw.names_probe") == '"raw"."names_probe"'
    assert table_name(con, "raw.names_probe") == '"raw"."names_probe"'     # remembered, same answer
    for _ in range(2):
        with pytest.raises(ConfigError, match="unknown warehouse table"):
            table_name(con, 'raw.x"; DROP TABLE raw.names_probe; --')
    assert con.execute("SELECT count(*) FROM raw.names_probe").fetchall() == [(0,)]


def test_columns_of_a_missing_table_are_none_and_a_transaction_goes_on() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw; CREATE TABLE raw.names_probe (x INT, y TEXT)")
    assert columns(con, "raw.names_probe") == ["x", "y"]
    assert columns(con, "raw.nothing_here") == []
    with transaction(con):   # a failed lookup would abort it (DuckDB refuses every statement after an error)
        assert columns(con, "raw.nothing_here") == []
        assert columns(con, "raw.names_probe") == ["x", "y"]
        con.execute("INSERT INTO raw.names_probe VALUES (1, 'a')")
        with pytest.raises(ConfigError, match="unknown warehouse table"):
            table_name(con, "raw.nothing_here")
        con.execute("INSERT INTO raw.names_probe VALUES (2, 'b')")
    assert con.execute("SELECT count(*) FROM raw.names_probe").fetchall() == [(2,)]
