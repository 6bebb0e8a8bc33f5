"""`ecoflow backup` / `ecoflow restore`: a backup taken while another process holds the warehouse, restored into a
fresh home, gives the same indicators, ledger and archive; a damaged backup is refused before anything changes."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from demo.feed_server import FeedServer
from demo.waste_publisher import WastePublisher
from tasks.cli import commands as cli
from tasks.core import settings
from tasks.core.errors import ConfigError, DeliveryError, UsageError
from tasks.core.periods import Period
from tasks.flow import backup, pipeline

MONTHS = ("2024-12", "2025-01")
#: What a bureau is audited on, compared whole between the original and the restored warehouse.
COMPARED = ("marts.indicator_values", "marts.indicator_status", "raw.waste_quantities", "quarantine.row_issues")


def rows_at(home: Path, table: str, columns: str = "*") -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall()


def _two_months(home: Path, mp: pytest.MonkeyPatch) -> None:
    with FeedServer(publisher=WastePublisher()) as srv:
        mp.setenv("ECOFLOW_WASTE_FEED_URL", srv.url)
        for month in MONTHS:
            with contextlib.suppress(DeliveryError):  # alerts raised: the data is what is backed up here
                pipeline.run(settings.load(), "waste", Period.parse(month), review_policy_name="accept-clean")


@pytest.fixture
def landed(eco_env: Path, built_home) -> Path:
    """Two waste months landed (made once a run; each test backs up and restores its own copy)."""
    built_home("backup-two-waste-months", _two_months, eco_env)
    return eco_env


def _hold_writer(path: Path, seconds: float) -> subprocess.Popen:
    """Another process (a running Airflow task) writing the warehouse for a while."""
    code = (f"import duckdb, time, sys; con = duckdb.connect({str(path)!r}); "
            "con.execute('CREATE TABLE IF NOT EXISTS main.busy (x INT)'); con.execute('DROP TABLE main.busy'); "
            f"print('holding', flush=True); time.sleep({seconds}); con.close()")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_backup_waits_for_a_writer_and_restores_the_same_indicators(landed: Path, tmp_path: Path, monkeypatch,
                                                                    capsys) -> None:
    before = {t: rows_at(landed, t) for t in COMPARED}
    assert before["marts.indicator_values"] and before["raw.waste_quantities"]
    writer = _hold_writer(landed / "warehouse.duckdb", 3)
    started = time.monotonic()
    assert cli.main(["backup", str(tmp_path / "bk"), "--json"]) == 0
    waited = time.monotonic() - started
    assert writer.wait(timeout=30) == 0
    assert waited >= 1.5  # it waited for the writer instead of failing it or copying a file being written
    out = json.loads(capsys.readouterr().out)
    assert out["tables"]["marts.indicator_values"] == len(before["marts.indicator_values"])

    fresh = tmp_path / "fresh-home"
    monkeypatch.setenv("ECOFLOW_HOME", str(fresh))
    assert cli.main(["restore", str(tmp_path / "bk")]) == 0
    assert "恢复已完成" in capsys.readouterr().out
    assert {t: rows_at(fresh, t) for t in COMPARED} == before
    # the models (views) are made again on the restore's first connection: the warehouse answers through them
    assert rows_at(fresh, "staging.int_region_ancestors") == rows_at(landed, "staging.int_region_ancestors")
    paths = [Path(p) for (p,) in rows_at(fresh, "meta.batches", "archive_path") if p]
    assert paths and all(p.is_relative_to(fresh) and p.is_file() for p in paths)
    for path in paths:  # the bytes as received, identical to the original archive
        assert path.read_bytes() == (landed / path.relative_to(fresh)).read_bytes()


def test_a_damaged_backup_is_refused_and_nothing_changes(landed: Path, tmp_path: Path, monkeypatch) -> None:
    result = backup.backup(settings.load(), tmp_path / "bk")
    parquet = sorted((result.dest / "warehouse").glob("*.parquet"))[0]
    parquet.write_bytes(parquet.read_bytes()[:-10])
    fresh = tmp_path / "fresh-home"
    monkeypatch.setenv("ECOFLOW_HOME", str(fresh))
    with pytest.raises(ConfigError, match=r"damaged: 0 missing, 1 changed.*" + parquet.name):
        backup.restore(settings.load(), result.dest)
    assert not fresh.exists()


def test_restore_refuses_a_home_with_a_warehouse_unless_forced(landed: Path, tmp_path: Path) -> None:
    result = backup.backup(settings.load(), tmp_path / "bk")
    with pytest.raises(UsageError, match="--force"):
        backup.restore(settings.load(), result.dest)
    with pytest.raises(UsageError, match="not empty"):
        backup.backup(settings.load(), result.dest)
    restored = backup.restore(settings.load(), result.dest, force=True)
    assert restored.migrated == [] and restored.catalogue_differs == []
    assert len(list(landed.glob("warehouse.duckdb.before-restore-*"))) == 1
