"""SQL lives in warehouse/*.sql: the statements that replace, stage and correct take names only from an allowlist
and values only as bound parameters; the staged tables are made by a migration, not at run time."""

from __future__ import annotations

import pytest

from tasks import sources
from tasks.core import settings, sql
from tasks.core.warehouse import connect, table_name
from tasks.sources.spec import SPECS
from tasks.validate.staging import staged_table


@pytest.mark.parametrize("value", ["raw.cnemc_air_hourly; DROP TABLE x", "'x'", "file_name --", '"raw"."x" OR 1=1',
                                   "r.a = s.b", "r.a = s.a OR true"])
def test_a_placeholder_takes_no_value_that_is_not_a_name(value: str) -> None:
    with pytest.raises(ValueError, match="must be a table, a column or a key match"):
        sql.with_names("land/replace_files", raw=value, key="file_name")


def test_names_fill_the_statement_and_values_stay_parameters() -> None:
    text = sql.with_names("land/replace_files", raw='"raw"."waste_quantities"', key="batch_id")
    assert 'DELETE FROM "raw"."waste_quantities"' in text and "list_contains($keys, batch_id)" in text
    assert sql.key_match(("obs_date", "station_code")) == "r.obs_date = s.obs_date AND r.station_code = s.station_code"
    with pytest.raises(ValueError):
        sql.key_match(("obs_date", "1=1 OR x"))


def test_every_source_has_its_staged_table_from_the_migrations(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path))
    with connect(settings.load()) as con:
        made = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                          "WHERE table_schema = 'review' AND table_name LIKE 'staged_%'").fetchall()}
        adapters = [sources.get(s.name) for s in SPECS]
        assert made == {"staged_" + a.raw_table.rpartition(".")[2] for a in adapters}
        oids = "SELECT table_name, table_oid FROM duckdb_tables() WHERE schema_name = 'review' ORDER BY 1"
        before = con.execute(oids).fetchall()
        for adapter in adapters:   # in step with its raw table already: nothing is made again
            table_name(con, staged_table(con, adapter))
        assert con.execute(oids).fetchall() == before
        con.execute("ALTER TABLE raw.waste_quantities ADD COLUMN later_migration TEXT")   # a raw table changes:
        staged_table(con, sources.get("waste"))                                          # its staged one follows
        assert con.execute(oids).fetchall() != before
        columns = [r[0] for r in con.execute("DESCRIBE review.staged_waste_quantities").fetchall()]
        assert columns[-3:] == ["later_migration", "review_run", "failed"]


#: Python that still writes SQL, and why: the loader's own plumbing (the migrations' ledger, transactions, frames);
#: the backup's EXPORT / COPY, whose paths DuckDB takes only as literals, and its re-homing UPDATE over every text
#: column; the re-delivery check's counts over an adapter's list of extent columns.
SQL_IN_PYTHON = {"tasks/core/warehouse.py", "tasks/flow/backup.py", "tasks/sources/redelivery.py"}


def test_statements_live_in_warehouse_sql_files_not_in_python() -> None:
    import ast
    import re

    from tasks.core.settings import REPO_ROOT

    statement = re.compile(r"^\s*(SELECT|DELETE|INSERT|UPDATE|CREATE|DROP|ALTER|COPY|EXPORT)\s")   # as written here
    found = set()
    for path in sorted((REPO_ROOT / "tasks").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            parts = [node] if isinstance(node, ast.Constant) else node.values if isinstance(node, ast.JoinedStr) \
                else []
            text = "".join(p.value for p in parts if isinstance(p, ast.Constant) and isinstance(p.value, str))
            if statement.match(text):
                found.add(str(path.relative_to(REPO_ROOT)))
    assert found <= SQL_IN_PYTHON, sorted(found - SQL_IN_PYTHON)


def test_a_writer_recreates_the_models_only_when_their_sql_changed(tmp_path, monkeypatch) -> None:
    from tasks.core import warehouse

    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path))
    view = "SELECT sql FROM duckdb_views() WHERE view_name = 'stg_cnemc_air__hourly'"
    with connect(settings.load()) as con:
        made = con.execute(view).fetchall()[0][0]
        assert "raw.cnemc_air_hourly" in made
        con.execute("CREATE OR REPLACE VIEW staging.stg_cnemc_air__hourly AS SELECT 'marker' AS made_by_hand")
    with connect(settings.load()) as con:            # the same models: nothing is made again
        assert "made_by_hand" in con.execute(view).fetchall()[0][0]
        con.execute("DROP VIEW staging.int_region_ancestors")   # as a restored backup has none
    with connect(settings.load()) as con:            # a view missing: every view is made again
        assert con.execute(view).fetchall()[0][0] == made
        assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'int_region_ancestors'"
                           ).fetchall() == [(1,)]
        con.execute("CREATE OR REPLACE VIEW staging.stg_cnemc_air__hourly AS SELECT 'marker' AS made_by_hand")
    monkeypatch.setattr(warehouse, "models_digest", lambda: "another release's models")
    with connect(settings.load()) as con:            # changed models: every view is made again
        assert con.execute(view).fetchall()[0][0] == made
        assert con.execute("SELECT digest FROM main.schema_models").fetchall() == [("another release's models",)]


def test_a_writer_opens_a_warehouse_whose_view_no_longer_binds(tmp_path, monkeypatch) -> None:
    """A table under a model view dropped by hand: the view is there (it is not made again, which would fail), and
    the writers still open the warehouse."""
    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path))
    with connect(settings.load()) as con:
        con.execute("DROP TABLE raw.cnemc_air_hourly")
    for _ in range(2):
        with connect(settings.load()) as con:
            assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'stg_cnemc_air__hourly'"
                               ).fetchall() == [(1,)]

