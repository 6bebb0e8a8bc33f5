"""DAG integrity: the DAG folder imports cleanly and every DAG is wired as the operations need it.

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
from typing import NamedTuple

import pytest

from tasks.sources import spec as source_spec

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"
FACTORY = ROOT / "tasks" / "scheduling" / "dag_factory.py"
HEAVY = ("pandas", "duckdb", "great_expectations")
MONTHLY_FEED = ("resolve_period", "fetch", "validate", "review", "land", "compute")
MONTHLY_WRITING = ("fetch", "validate", "land", "compute")  # not `review`: it may wait for days


class Spec(NamedTuple):
    tasks: tuple[str, ...]
    writing: tuple[str, ...]      # must take the one-slot warehouse pool
    cron: str | None              # the time part of the schedule (None: scheduled on Assets only)
    period_param: bool
    publishes: str                # the task with an Asset outlet


SPECS = {
    "air_quality_monthly": Spec(MONTHLY_FEED, MONTHLY_WRITING, "0 10 3 * *", True, "compute"),
    "waste_monthly": Spec(MONTHLY_FEED, MONTHLY_WRITING, "0 10 10 * *", True, "compute"),
    "water_realtime_capture": Spec(("poll", "validate", "review", "land"), ("poll", "validate", "land"),
                                   "5 */4 * * *", False, "land"),
    "water_quality_monthly": Spec(("resolve_period", "evaluate"), ("evaluate",), "0 11 3 * *", True, "evaluate"),
    "submissions_inbox": Spec(("ingest_inbox", "publish"), ("ingest_inbox",), "*/10 * * * *", False, "publish"),
    "indicators_recompute": Spec(("changed_periods", "evaluate", "alert", "bulletin"),
                                 ("evaluate", "alert", "bulletin"), "0 12 11 * *", True, "evaluate"),
    "quarterly_assessment": Spec(("assess",), (), "0 14 11 1,4,7,10 *", False, "assess"),
}


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


def test_no_import_errors_and_exactly_these_dags(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert sorted(dagbag.dags) == sorted(SPECS)


@pytest.mark.parametrize("dag_id", SPECS)
def test_each_dag_has_its_tasks(dagbag, dag_id: str) -> None:
    assert sorted(t.task_id for t in dagbag.dags[dag_id].tasks) == sorted(SPECS[dag_id].tasks)


@pytest.mark.parametrize("dag_id", SPECS)
def test_catchup_is_false_and_one_run_at_a_time(dagbag, dag_id: str) -> None:
    assert dagbag.dags[dag_id].catchup is False
    # a water poll waiting for its review must not hold back the next polls (the platform keeps only the latest)
    assert dagbag.dags[dag_id].max_active_runs == (3 if dag_id == "water_realtime_capture" else 1)


def test_catchup_is_set_explicitly_wherever_a_dag_is_declared() -> None:
    for path in [FACTORY, *DAGS.glob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        dag_calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
                     and getattr(node.func, "id", None) == "dag"]
        for call in dag_calls:
            [kw] = [k for k in call.keywords if k.arg == "catchup"]
            assert isinstance(kw.value, ast.Constant) and kw.value.value is False, path


@pytest.mark.parametrize("dag_id", SPECS)
def test_every_task_has_retries_and_an_owner(dagbag, dag_id: str) -> None:
    for task in dagbag.dags[dag_id].tasks:
        assert task.retries >= 1, task.task_id
        assert task.owner and task.owner != "airflow"  # "airflow" is Airflow's default: nobody set it


@pytest.mark.parametrize("dag_id", SPECS)
def test_writing_tasks_take_the_warehouse_pool(dagbag, dag_id: str) -> None:
    for task_id in SPECS[dag_id].writing:
        assert dagbag.dags[dag_id].get_task(task_id).pool == "warehouse", task_id


@pytest.mark.parametrize("dag_id", SPECS)
def test_only_tasks_on_the_warehouse_queue_open_the_warehouse(dagbag, dag_id: str) -> None:
    """Under the CeleryExecutor the `warehouse` queue is served by the one worker that mounts the warehouse
    volume (docker-compose.yml): every writer, and the review that reads its batch, must be on it."""
    dag = dagbag.dags[dag_id]
    for task in dag.tasks:
        if task.pool == "warehouse" or task.task_id == "review":
            assert task.queue == "warehouse", task.task_id


@pytest.mark.parametrize("dag_id", [d for d, s in SPECS.items() if s.period_param])
def test_period_param_exists_and_is_validated(dagbag, dag_id: str) -> None:
    from airflow.sdk.exceptions import ParamValidationError

    param = dagbag.dags[dag_id].params.get_param("period")
    assert param.value is None  # empty = the month before the scheduled run
    assert param.resolve("2019-01") == "2019-01"
    for bad in ("2019-13", "2019-1", "19-01"):
        with pytest.raises(ParamValidationError):
            param.resolve(bad)


@pytest.mark.parametrize("dag_id", SPECS)
def test_the_publishing_task_declares_an_asset_outlet(dagbag, dag_id: str) -> None:
    from airflow.sdk import Asset

    outlets = dagbag.dags[dag_id].get_task(SPECS[dag_id].publishes).outlets
    assert outlets and all(isinstance(o, Asset) for o in outlets)


@pytest.mark.parametrize(("dag_id", "source"), [("air_quality_monthly", "air"), ("waste_monthly", "waste"),
                                                ("water_realtime_capture", "water")])
def test_the_review_waits_for_the_sources_stewards_outside_the_pool(dagbag, dag_id: str, source: str) -> None:
    from airflow.providers.standard.operators.hitl import HITLOperator

    from tasks.review import policy as review_policy

    dag = dagbag.dags[dag_id]
    review = dag.get_task("review")
    assert isinstance(review, HITLOperator) and review.source == source
    assert review.pool != "warehouse"
    assert review.retry_delay.total_seconds() == 30 and not review.retry_exponential_backoff   # asked again soon
    assert review.options == list(review_policy.LABELS.values())
    assert review.defaults == [review_policy.LABELS["accept_clean"]]
    assert set(review.params) == {"reason"}
    assert dag.get_task("validate").downstream_task_ids == {"review"}
    assert dag.get_task("review").downstream_task_ids == {"land"}
    assert dag.get_task("land").trigger_rule == "none_failed"  # a skipped review (clean batch) still lands
    assert review_policy.for_source(source).stewards  # stewards are configured for the source


def test_a_failed_delivery_does_not_cost_the_month_its_bulletin(dagbag) -> None:
    assert dagbag.dags["indicators_recompute"].get_task("bulletin").trigger_rule == "all_done"


def test_assets_are_distinct_per_dag(dagbag) -> None:
    names = [o.name for dag_id, spec in SPECS.items() for o in dagbag.dags[dag_id].get_task(spec.publishes).outlets]
    assert len(names) == len(set(names))


def test_the_recomputation_is_scheduled_on_every_asset_the_ingestion_dags_publish(dagbag) -> None:
    published = {o.name for dag_id, spec in SPECS.items() if dag_id not in ("indicators_recompute",
                                                                               "quarterly_assessment")
                 for o in dagbag.dags[dag_id].get_task(spec.publishes).outlets}
    recompute = dagbag.dags["indicators_recompute"]
    # on the Assets, and monthly on its own for the deadlines (a feed that never came publishes nothing)
    assert type(recompute.timetable).__name__ == "AssetOrTimeSchedule"
    watched = {asset.name for asset in recompute.timetable.asset_condition.objects}
    # every indicator asset is watched; raw water readings are evaluated monthly, not on every poll
    assert watched == published - {"ecoflow_water_readings"}
    assert len(watched) == 4


@pytest.mark.parametrize("source", sorted(source_spec.BY_NAME))
def test_each_source_is_ingested_by_the_dag_its_spec_names_on_its_schedule(dagbag, source: str) -> None:
    declared = source_spec.spec(source)
    for dag_id, cron in ((declared.dag_id, declared.schedule), (declared.month_dag_id, declared.month_schedule)):
        if dag_id is None:
            continue
        timetable = dagbag.dags[dag_id].timetable
        assert timetable.expression == cron, (source, dag_id)
    published = {o.name for t in dagbag.dags[declared.month_dag_id or declared.dag_id].tasks for o in t.outlets}
    # what the recomputation watches must be published (the key projects' statuses are read by the quarterly
    # assessment on its own schedule)
    assert (declared.asset_name in published) == declared.recomputes, (declared.dag_id, published)


def test_the_recomputation_watches_the_sources_their_specs_say(dagbag) -> None:
    watched = {a.name for a in dagbag.dags["indicators_recompute"].timetable.asset_condition.objects}
    assert watched == {s.asset_name for s in source_spec.SPECS if s.recomputes}


def test_the_reports_plugin_lets_each_sources_dag_readers_read_its_reports(dagbag) -> None:
    import importlib.util

    loaded = importlib.util.spec_from_file_location("ecoflow_reports", ROOT / "plugins" / "ecoflow_reports.py")
    plugin = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(plugin)
    assert {s.name: s.dag_id for s in source_spec.SPECS} == plugin.SOURCE_DAGS
    assert set(plugin.SOURCE_DAGS.values()) <= set(dagbag.dags)


@pytest.mark.parametrize("dag_id", [d for d, s in SPECS.items() if s.cron])
def test_schedule_is_a_cron_in_shanghai(dagbag, dag_id: str) -> None:
    timetable = dagbag.dags[dag_id].timetable
    timetable = getattr(timetable, "timetable", timetable)  # the time part of an AssetOrTimeSchedule
    assert type(timetable).__name__ == "CronTriggerTimetable"
    assert timetable.expression == SPECS[dag_id].cron
    assert str(timetable.timezone) == "Asia/Shanghai"


@pytest.mark.parametrize("path", sorted(DAGS.glob("*.py")) + [FACTORY], ids=lambda p: p.name)
def test_dag_files_have_no_heavy_imports_at_module_level(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            top += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            top.append(node.module or "")
    # the factory, the review operator and the sources' declarations import Airflow and the standard library only
    # (checked below, by parsing)
    own = ("tasks.scheduling.dag_factory", "tasks.scheduling.review_operator", "tasks.sources.spec")
    roots = {name.split(".")[0] for name in top if name not in own}
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
