"""One flow: `ecoflow run` and the DAGs' tasks take a delivery through the same steps in the same order and leave
the same warehouse — each month the delivery touches evaluated once, the alert rules applied once, the bulletin
written by both.

The same January of the waste feed is delivered to two copies of one home (February already landed, so January's
delivery touches two months): once by the CLI, once by calling the DAG tasks' functions (tasks.scheduling.steps) in
the order the DAG files wire them — waste_monthly, then indicators_recompute as a person's run for the month. The
steps each side took are read from the flow's own log lines (tasks.flow.run.step).
"""

from __future__ import annotations

import logging
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest

from demo.feed_server import FeedServer
from demo.waste_publisher import WastePublisher
from tasks.cli.commands import main as ecoflow
from tasks.core import settings
from tasks.flow.run import STEPS

ROOT = Path(__file__).resolve().parents[2]
JAN, FEB = "2025-01", "2025-02"
#: What differs between two runs of the same delivery by nature: ids, times, where files went, who triggered.
VOLATILE = {"run_id", "batch_id", "batch_ids", "overridden_batch_ids", "attempt_id", "archive_path", "report_path",
            "lineage", "digest_id", "eml_path", "decision_id", "review_id", "file_id", "url", "trigger", "moved_to",
            "new_batch_ids", "old_batch_ids", "review_run"}


@pytest.fixture(scope="module")
def dags(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The DAGs as the DAG processor reads them from dags/."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow-home")))
        mp.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        mp.setenv("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(dag_folder=str(ROOT / "dags"), known_pools={"default_pool", "warehouse"})
        assert bag.import_errors == {}
        yield bag.dags


@pytest.fixture
def homes(tmp_path: Path, eco_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """Two copies of one home where February of the waste feed is landed, evaluated and alerted; the feed serves
    January next."""
    monkeypatch.setenv("ECOFLOW_MONTHLY_PDF", "1")   # both ways print the 月报 as production does
    with FeedServer(publisher=WastePublisher()) as srv:
        monkeypatch.setenv("ECOFLOW_WASTE_FEED_URL", srv.url)
        assert ecoflow(["run", "waste", "--period", FEB]) == 0
        cli_home, dag_home = tmp_path / "cli", tmp_path / "dag"
        shutil.copytree(eco_env, cli_home)
        shutil.copytree(eco_env, dag_home)
        yield cli_home, dag_home


def _trace(records: list[logging.LogRecord]) -> list[tuple[str, str | None]]:
    return [(r.step, r.period) for r in records if hasattr(r, "step")]


class _TaskInstance(SimpleNamespace):
    """What a task's context holds of its task instance, for the steps that read it: ids and upstream XComs."""

    def xcom_pull(self, task_ids: str) -> Any:
        return self.xcoms.get(task_ids)


def _dag_steps(dags: dict) -> list[str]:
    """waste_monthly, then indicators_recompute: each task called as its DAG wires it, in the DAG's order."""
    from tasks.scheduling import steps

    feed, recompute = dags["waste_monthly"], dags["indicators_recompute"]
    order = [t.task_id for t in feed.topological_sort()] + [t.task_id for t in recompute.topological_sort()]
    xcom: dict[str, Any] = {}
    ti = _TaskInstance(dag_id=feed.dag_id, run_id="manual__2025-02-03", xcoms=xcom)
    manual = {"params": {"period": JAN}, "triggering_asset_events": {}, "ti": ti}
    calls = {
        "resolve_period": lambda: steps.period_of_run(manual),
        "fetch": lambda: steps.fetch_step("waste", xcom["resolve_period"]),
        "validate": lambda: steps.validate_step(manual, xcom["fetch"]),
        "review": lambda: None,   # skipped: January passes validation (asserted below)
        "land": lambda: steps.land_step(manual, xcom["fetch"]),
        "compute": lambda: steps.compute_step(xcom["fetch"]),
        "changed_periods": lambda: steps.periods_to_refresh(manual),
        "evaluate": lambda: steps.refresh_step(steps.recompute_step(manual, xcom["changed_periods"])),
        "alert": lambda: steps.alert_step(xcom["evaluate"]["evaluated"], manual),
        "bulletin": lambda: steps.bulletin_step(xcom["evaluate"]["evaluated"]),
    }
    assert set(order) == set(calls), "a DAG task this test does not know how to call"
    for task_id in order:
        xcom[task_id] = calls[task_id]()
    assert not xcom["validate"]["needs_review"] and xcom["land"]["decision"] == "clean"
    return order


def _state(home: Path) -> dict[str, list[tuple]]:
    """Every table's rows, without the columns that differ between two runs of one delivery by nature."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = "
                             "'BASE TABLE' AND table_schema NOT IN ('main', 'catalogue') ORDER BY 1, 2").fetchall()
        state = {}
        for schema, table in tables:
            columns = [c for c, kind in con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND "
                "table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()
                if c not in VOLATILE and not kind.startswith("TIMESTAMP")]
            listed = ", ".join(f'"{c}"' for c in columns)
            query = f'SELECT {listed} FROM "{schema}"."{table}" ORDER BY ALL'   # names read from the catalog
            state[f"{schema}.{table}"] = [tuple(_closed(v) for v in row) for row in con.execute(query).fetchall()]
    return state


def _closed(value: Any) -> Any:
    """A closed alert's fingerprint and delivery version hash the time it was closed: only `closed:` is compared."""
    return "closed:" if isinstance(value, str) and value.startswith("closed:") else value


def _reports(home: Path) -> list[str]:
    return sorted(str(p.relative_to(home)) for p in (home / "reports").glob("*/*") if p.suffix in (".html", ".pdf")
                  and p.parent.name in ("bulletin", "monthly"))


def test_the_cli_and_the_dag_tasks_take_the_same_steps_and_leave_the_same_warehouse(
        homes: tuple[Path, Path], dags: dict, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    cli_home, dag_home = homes
    with FeedServer(publisher=WastePublisher()) as srv, caplog.at_level(logging.INFO, logger="tasks.flow"):
        monkeypatch.setenv("ECOFLOW_WASTE_FEED_URL", srv.url)
        monkeypatch.setenv("ECOFLOW_HOME", str(cli_home))
        caplog.clear()
        assert ecoflow(["run", "waste", "--period", JAN]) == 0
        by_cli = _trace(caplog.records)
        monkeypatch.setenv("ECOFLOW_HOME", str(dag_home))
        caplog.clear()
        order = _dag_steps(dags)
        by_dags = _trace(caplog.records)

    # the DAGs wire the flow's steps in the flow's order (resolving the month and the review around them)
    assert [t for t in order if t in STEPS] == list(STEPS)
    # both took the same steps in the same order, for the same months
    assert by_cli == by_dags
    assert list(dict.fromkeys(s for s, _ in by_cli)) == list(STEPS)
    # January's delivery re-evaluates January and February (its YTD and 同比 depend on January), each once; the
    # alert rules run once; both months get their bulletin and 月报
    counts = Counter(by_cli)
    assert counts[("evaluate", JAN)] == counts[("evaluate", FEB)] == 1
    assert sum(n for (s, _), n in counts.items() if s == "evaluate") == 2
    assert sum(n for (s, _), n in counts.items() if s == "alert") == 1
    assert {p for s, p in by_cli if s == "bulletin"} == {JAN, FEB}
    assert {"reports/bulletin/2025-01.html", "reports/bulletin/2025-02.html",
            "reports/monthly/2025-01.html", "reports/monthly/2025-01.pdf"} <= set(_reports(cli_home))
    assert _reports(cli_home) == _reports(dag_home)
    # and the warehouse holds the same: values, evaluations, the alert ledger and its deliveries, the ledger
    cli_state, dag_state = _state(cli_home), _state(dag_home)
    assert cli_state.keys() == dag_state.keys()
    assert cli_state["marts.indicator_status"] and cli_state["raw.waste_quantities"]
    for table in cli_state:
        assert cli_state[table] == dag_state[table], table
    assert settings.load().home == dag_home
