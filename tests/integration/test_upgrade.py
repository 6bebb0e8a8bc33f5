"""Upgrade: a warehouse written by the previous release (tests/fixtures/upgrade, commit 385de14, migrations
001–010) is restored into a fresh home and migrated forward; every row it held is still there, unchanged, and
the months it computed compute again to the same indicator values."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tasks.core import settings, sql
from tasks.core.periods import Period
from tasks.flow import backup, pipeline

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "upgrade" / "backup-385de14"
MANIFEST = json.loads((FIXTURE / "MANIFEST.json").read_text(encoding="utf-8"))
#: Reloaded from the installed catalogue files by every writer's connection: not data the release wrote.
RELOADED = "catalogue."
INDICATOR_KEY = "indicator_code, region_code, period, period_type, variant, value, numerator, denominator"


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> backup.RestoreResult:
    home = tmp_path_factory.mktemp("upgrade") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ECOFLOW_HOME", str(home))
        return backup.restore(settings.load(), FIXTURE)


def _con(result: backup.RestoreResult) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(result.home / "warehouse.duckdb"), read_only=True)


def test_every_pending_migration_is_applied(upgraded) -> None:
    assert MANIFEST["migrations"][-1] == "010_steward_review"
    pending = sorted(p.stem for p in sql.files("migrations") if p.stem not in MANIFEST["migrations"])
    assert "015_water_platform_metadata" in pending
    assert upgraded.migrated == pending
    with _con(upgraded) as con:
        applied = [r[0] for r in con.execute("SELECT version FROM main.schema_migrations ORDER BY 1").fetchall()]
    assert applied == sorted(MANIFEST["migrations"] + pending)


@pytest.mark.parametrize("table", sorted(t for t in MANIFEST["tables"] if not t.startswith(RELOADED)
                                         and t != "main.schema_migrations"))
def test_every_row_of_the_old_release_is_kept_unchanged(upgraded, table: str) -> None:
    schema, name = table.split(".")
    parquet = FIXTURE / "warehouse" / f"{schema}_{name}.parquet" if schema != "main" else None
    with _con(upgraded) as con:
        count = con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchall()[0][0]
        assert count == MANIFEST["tables"][table]
        if parquet is None or not count:
            return
        old = [c[0] for c in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(parquet)]).fetchall()]
        columns = ", ".join(f'"{c}"' for c in old if c not in ("archive_path", "report_path"))  # re-homed paths
        rows = f'SELECT {columns} FROM "{schema}"."{name}"'
        was = f"SELECT {columns} FROM read_parquet(?)"
        assert con.execute(f"SELECT count(*) FROM ({rows} EXCEPT ALL {was})", [str(parquet)]).fetchall() == [(0,)]
        assert con.execute(f"SELECT count(*) FROM ({was} EXCEPT ALL {rows})", [str(parquet)]).fetchall() == [(0,)]


def test_new_columns_of_old_rows_hold_their_defaults(upgraded) -> None:
    with _con(upgraded) as con:
        assert con.execute("SELECT DISTINCT city, river, water_body_hint FROM raw.water_readings").fetchall() == [
            ("", "", "")]


def test_the_old_months_compute_again_to_the_same_indicators(upgraded, monkeypatch) -> None:
    with _con(upgraded) as con:
        before = con.execute(f"SELECT {INDICATOR_KEY} FROM marts.indicator_values ORDER BY ALL").fetchall()
    monkeypatch.setenv("ECOFLOW_HOME", str(upgraded.home))
    for source, month in (("water", "2021-04"), ("waste", "2024-12"), ("waste", "2025-01")):
        pipeline.recompute(settings.load(), Period.parse(month), [source])
    with _con(upgraded) as con:
        after = con.execute(f"SELECT {INDICATOR_KEY} FROM marts.indicator_values ORDER BY ALL").fetchall()
        sources = con.execute("SELECT DISTINCT water_body_source FROM marts.water_section_month").fetchall()
    # what the old release computed comes out the same; this release also computes indicator 22 (the rise of the
    # industrial solid-waste utilisation rate) from the same waste data
    assert before and set(before) <= set(after)
    assert {r[0] for r in set(after) - set(before)} == {"industrial_solid_waste_utilization_rise"}
    assert sources == [("catalogue",)]
