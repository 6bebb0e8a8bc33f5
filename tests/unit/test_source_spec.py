"""Every source is declared once (tasks/sources/spec.py): each part of each declaration resolves to something real.

The DAG side (each source's DAG and schedule, the recomputation's Assets, the reports plugin) is checked in
tests/dags/test_dag_integrity.py, with Airflow's own DagBag.
"""

from __future__ import annotations

import re
from importlib import import_module
from pathlib import Path

import duckdb
import pytest

from tasks import sources
from tasks.compute import registry
from tasks.core import settings
from tasks.core.errors import UsageError
from tasks.core.warehouse import connect
from tasks.review import policy as review_policy
from tasks.sources.base import InboxForm
from tasks.sources.spec import SPECS, names, spec

ROOT = Path(__file__).resolve().parents[2]
CHINESE = re.compile(r"^[\u4e00-\u9fff（）]+$")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ECOFLOW_HOME", str(tmp_path_factory.mktemp("home")))
        with connect(settings.load()) as con:
            yield con


@pytest.mark.parametrize("declared", SPECS, ids=lambda s: s.name)
def test_the_adapter_is_the_sources_and_its_suite_and_raw_table_exist(declared, warehouse) -> None:
    adapter = sources.get(declared.name)
    assert adapter.name == declared.name
    assert (ROOT / "expectations" / f"{adapter.suite}.json").is_file()
    schema, table = adapter.raw_table.split(".")
    columns = {r[0] for r in warehouse.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
        [schema, table]).fetchall()}
    assert {"batch_id", "period", "file_name", "source_line"} <= columns, adapter.raw_table
    assert adapter.replace_key in ("file_name", "batch_id")


@pytest.mark.parametrize("declared", SPECS, ids=lambda s: s.name)
def test_the_mode_matches_what_the_adapter_can_do(declared) -> None:
    adapter = sources.get(declared.name)
    if declared.mode == "inbox":
        assert isinstance(adapter, InboxForm) and declared.review == "sender"
    elif declared.mode == "poll":
        assert callable(adapter.poll_file)
    else:
        from tasks.core.periods import Period

        assert adapter.files(Period.parse("2025-01")), "a fetched source names the files of a month"


@pytest.mark.parametrize("declared", SPECS, ids=lambda s: s.name)
def test_the_computation_exists_and_the_registry_reads_it(declared) -> None:
    assert callable(import_module(declared.computation).compute_period)
    assert registry.for_source(declared.name) is import_module(declared.computation).compute_period


def test_stewards_are_configured_for_exactly_the_sources_a_steward_reviews() -> None:
    assert set(review_policy.load()) == {s.name for s in SPECS if s.review == "steward"}


@pytest.mark.parametrize("declared", SPECS, ids=lambda s: s.name)
def test_readers_see_chinese_names(declared) -> None:
    for text in (declared.label, declared.title_zh):
        assert CHINESE.match(text), text
    assert declared.value_unit.startswith(("个", "条", "项")), declared.value_unit


def test_names_are_unique_and_an_unknown_source_is_a_usage_error() -> None:
    assert len(names()) == len(set(names()))
    assert names("fetch", "poll") == ["air", "water", "waste"]
    with pytest.raises(UsageError, match="known sources: air, water"):
        spec("noise")
    with pytest.raises(UsageError):
        sources.get("noise")


def test_feed_settings_are_read_for_any_declared_feed(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in names("fetch", "poll"):
        monkeypatch.setenv(f"ECOFLOW_{name.upper()}_FEED_URL", f"http://127.0.0.1:1/{name}")
    monkeypatch.setenv("ECOFLOW_WASTE_FEED_CONN_ID", "bureau_waste")
    loaded = settings.load()
    assert loaded.feed_urls == {n: f"http://127.0.0.1:1/{n}" for n in names("fetch", "poll")}
    assert loaded.feed_conn_ids["waste"] == "bureau_waste"
