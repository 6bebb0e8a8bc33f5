"""DAG integrity: the DAG folder imports cleanly and air_quality_monthly is wired as the operations need it.

Parsed with Airflow's own DagBag (no metadata database needed), under a throw-away AIRFLOW_HOME.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"
DAG_FILE = DAGS / "air_quality_monthly.py"
DAG_ID = "air_quality_monthly"
WRITING_TASKS = ("fetch", "validate_and_land", "compute", "alert")
ALL_TASKS = ("resolve_period", *WRITING_TASKS)
HEAVY = ("pandas", "duckdb", "great_expectations")


def _airflow_env(home: Path) -> dict[str, str]:
    return {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS), "AIRFLOW__CORE__UNIT_TEST_MODE": "False"}


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    with pytest.MonkeyPatch.context() as mp:
        for key, value in _airflow_env(tmp_path_factory.mktemp("airflow-home")).items():
            mp.setenv(key, value)
        from airflow.dag_processing.dagbag import DagBag

        yield DagBag(dag_folder=str(DAGS), known_pools={"default_pool", "warehouse"})


@pytest.fixture(scope="module")
def dag(dagbag):
    assert DAG_ID in dagbag.dags, f"{DAG_ID} not found; DAGs: {sorted(dagbag.dags)}"
    return dagbag.dags[DAG_ID]


def test_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}


def test_the_dag_exists_with_its_tasks(dag) -> None:
    assert sorted(t.task_id for t in dag.tasks) == sorted(ALL_TASKS)


def test_catchup_is_false_and_set_explicitly(dag) -> None:
    assert dag.catchup is False
    tree = ast.parse(DAG_FILE.read_text(encoding="utf-8"))
    explicit = [kw for node in ast.walk(tree) if isinstance(node, ast.Call)
                for kw in node.keywords if kw.arg == "catchup"]
    assert len(explicit) == 1
    assert isinstance(explicit[0].value, ast.Constant) and explicit[0].value.value is False


@pytest.mark.parametrize("task_id", ALL_TASKS)
def test_every_task_has_retries_and_an_owner(dag, task_id: str) -> None:
    task = dag.get_task(task_id)
    assert task.retries >= 1
    assert task.owner and task.owner != "airflow"  # "airflow" is Airflow's default: nobody set it


@pytest.mark.parametrize("task_id", WRITING_TASKS)
def test_writing_tasks_take_the_warehouse_pool(dag, task_id: str) -> None:
    assert dag.get_task(task_id).pool == "warehouse"


def test_period_param_exists_and_is_validated(dag) -> None:
    from airflow.sdk.exceptions import ParamValidationError

    assert "period" in dag.params
    param = dag.params.get_param("period")
    assert param.value is None  # empty = the month before the scheduled run
    assert param.resolve("2019-01") == "2019-01"
    for bad in ("2019-13", "2019-1", "19-01"):
        with pytest.raises(ParamValidationError):
            param.resolve(bad)


def test_compute_declares_an_asset_outlet(dag) -> None:
    from airflow.sdk import Asset

    outlets = dag.get_task("compute").outlets
    assert outlets and all(isinstance(o, Asset) for o in outlets)


def test_schedule_is_the_3rd_at_10_in_shanghai(dag) -> None:
    timetable = dag.timetable
    assert type(timetable).__name__ == "CronTriggerTimetable"
    assert timetable.expression == "0 10 3 * *"
    assert str(timetable.timezone) == "Asia/Shanghai"
    assert dag.max_active_runs == 1


def test_dag_file_has_no_heavy_imports_at_module_level() -> None:
    tree = ast.parse(DAG_FILE.read_text(encoding="utf-8"))
    top = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            top += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            top.append(node.module or "")
    roots = {name.split(".")[0] for name in top}
    assert not roots & {*HEAVY, "tasks"}, f"module-level imports: {sorted(top)}"


def test_parsing_the_dag_file_loads_no_heavy_module(tmp_path: Path) -> None:
    # A fresh interpreter, as the DAG processor has: parse the file and list which heavy modules got imported.
    code = (
        "import json, sys\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(DAGS)!r})\n"
        "assert not bag.import_errors, bag.import_errors\n"
        f"print('LOADED=' + json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    env = {**os.environ, **_airflow_env(tmp_path / "airflow-home")}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [line] = [x for x in proc.stdout.splitlines() if x.startswith("LOADED=")]
    assert json.loads(line.removeprefix("LOADED=")) == []
