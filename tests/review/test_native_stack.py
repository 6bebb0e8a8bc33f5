"""The production stack of docker-compose.yml, run natively from the compose file's own commands, environment and
healthchecks (tests/review/native_stack.py says what stands for what): this machine's PostgreSQL (a fresh database)
and Redis (a database index of its own), the `airflow-init` service, then scheduler, dag-processor, triggerer, API
server with the FAB auth manager, and two Celery workers, one of them on the `warehouse` queue.

Through it a month of air (the 31 real files of January 2019, the first day with negative PM2.5) and a month of
waste (a wrong unit) run at once, each waiting for its steward, who logs in on FAB's login page (a user made with
the FAB CLI, role Steward) and decides. While the air validation is part-way through the month, the warehouse
worker is killed with SIGKILL, every process of it, as `docker kill` does; its task is failed for want of a
heartbeat and retried on the replacement worker. When the air month lands, its Asset event starts
`indicators_recompute` (unpaused first, as docs/operations.md says; nothing triggers it by hand), which evaluates
the month; the warehouse, evaluation included, ends identical to a reference run of the same month without Airflow
(`ecoflow run air`). The writers of every run never overlap.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from pathlib import Path

import duckdb
import pytest
import requests
from cryptography.fernet import Fernet

from demo.feed_server import FeedServer
from demo.smtp_sink import SmtpSink
from demo.waste_publisher import WastePublisher
from tasks.review.policy import LABELS
from tests.review.conftest import REAL_DAYS, _negate_pm25
from tests.review.native_stack import (
    BIN,
    NativeCompose,
    free_port,
    fresh_database,
    redis_database,
    trigger_in_place_of_latest_tick,
    waiting_review,
    write_dot_env,
)

AIR_DAG, WASTE_DAG, RECOMPUTE_DAG = "air_quality_monthly", "waste_monthly", "indicators_recompute"
AIR_ASSET = "ecoflow_air_indicators"  # what air_quality_monthly's `compute` publishes, and indicators_recompute watches
AIR_PERIOD, WASTE_PERIOD = "2019-01", "2025-01"
BAD_HOURS = 3          # hours of negative PM2.5 at every station on the first day
KILL_AFTER_FILES = 10  # the worker dies once the validation has checked this many of the 31 files
SERVICES = ("airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-apiserver")
WORKER, WAREHOUSE_WORKER = "airflow-worker-1", "airflow-worker-warehouse-1"
REPLACEMENT = "airflow-worker-warehouse-2"
#: FAB users made with the FAB CLI: (roles, password). Stewards of review_policy.csv have Steward and Viewer.
USERS = {"li.na": (("Steward", "Viewer"), uuid.uuid4().hex), "wang.qiang": (("Steward", "Viewer"), uuid.uuid4().hex),
         "chen.gang": (("Viewer",), uuid.uuid4().hex)}
ADMIN_PASSWORD = uuid.uuid4().hex
#: What a month's run leaves in the warehouse that must be the same with and without the kill, per table: the rows
#: of the month (timestamps and run ids left out: they name when and which run, not what was landed).
SAME_AS_REFERENCE = {
    "raw.cnemc_air_hourly": "period = '2019-01'",
    "quarantine.row_issues": "period = '2019-01'",
    "quarantine.source_lines": "batch_id IN (SELECT batch_id FROM meta.batches WHERE period = '2019-01')",
    "review.staged_cnemc_air_hourly": "true",
    "marts.air_daily": "obs_date BETWEEN DATE '2019-01-01' AND DATE '2019-01-31'",
    "marts.indicator_values": "period = '2019-01'",
    "marts.indicator_status": "period = '2019-01'",   # by indicators_recompute, started by the air Asset event
    "meta.batches": "period = '2019-01' AND source = 'air'",
}
#: Columns that name the run, where its files are or who decided (the reference run is decided by policy).
NOT_COMPARED = {"run_id", "attempt_id", "review_run", "report_path", "archive_path", "message"}


class RealMonth:
    """The air feed: the 31 real daily files of January 2019, the first with negative PM2.5 for BAD_HOURS hours."""

    def __init__(self) -> None:
        self.files = {p.name: p.read_bytes() for p in sorted(REAL_DAYS.glob("china_sites_201901*.csv"))}
        first = "china_sites_20190101.csv"
        self.files[first] = _negate_pm25(self.files[first].decode("utf-8"), BAD_HOURS).encode("utf-8")

    def respond(self, name: str) -> tuple[int, bytes, str]:
        if name in self.files:
            return HTTPStatus.OK, self.files[name], "text/csv"
        return HTTPStatus.NOT_FOUND, b"not published\n", "text/plain"

    def describe(self) -> str:
        return f"{len(self.files)} real files of January 2019"


@dataclass
class Native:
    compose: NativeCompose
    sink: SmtpSink
    air_url: str
    home: Path                       # the `ecoflow-home` volume
    started: float
    reference: subprocess.Popen | None = None
    story: list[str] = field(default_factory=list)

    @property
    def reference_home(self) -> Path:
        return self.compose.base / "reference"

    def start_reference(self) -> None:
        """The reference: the same month through the same code without Airflow (`ecoflow run air`), decided as the
        steward will decide it, into a home of its own."""
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ECOFLOW_"))},
               "ECOFLOW_HOME": str(self.reference_home), "ECOFLOW_AIR_FEED_URL": self.air_url}
        with (self.compose.logs / "reference.log").open("wb") as out:
            self.reference = subprocess.Popen([str(BIN / "ecoflow"), "run", "air", "--period", AIR_PERIOD,
                                               "--review", "accept-clean"], env=env, stdout=out,
                                              stderr=subprocess.STDOUT, start_new_session=True)

    def say(self, line: str) -> None:
        self.story.append(f"{time.monotonic() - self.started:6.1f} s  {line}")
        print(self.story[-1], flush=True)


@pytest.fixture(scope="module")
def native(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Native]:
    base = tmp_path_factory.mktemp("native-stack")
    started = time.monotonic()
    with fresh_database("ecoflow_native") as database, redis_database() as redis_db, \
            FeedServer(publisher=RealMonth()) as air, \
            FeedServer(publisher=WastePublisher({WASTE_PERIOD: {"wrong_unit"}})) as waste, \
            SmtpSink(base / "smtp") as sink:
        port = free_port()
        write_dot_env(base / ".env", {
            "POSTGRES_PASSWORD": uuid.uuid4().hex, "REDIS_PASSWORD": uuid.uuid4().hex,
            "AIRFLOW_FERNET_KEY": Fernet.generate_key().decode(), "AIRFLOW_JWT_SECRET": uuid.uuid4().hex,
            "AIRFLOW_API_SECRET_KEY": uuid.uuid4().hex, "AIRFLOW_BASE_URL": f"http://127.0.0.1:{port}",
            "ECOFLOW_ADMIN_USERNAME": "admin", "ECOFLOW_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "ECOFLOW_ADMIN_EMAIL": "admin@sthjt.example.gov.cn",
            "ECOFLOW_AIR_FEED_URL": air.url, "ECOFLOW_WASTE_FEED_URL": waste.url,
            "AIRFLOW_CONN_ECOFLOW_SMTP": f"smtp://127.0.0.1:{sink.port}?disable_ssl=true&disable_tls=true"
                                         "&from_email=ecoflow%40sthjt.example.gov.cn",
            "ECOFLOW_BUREAU_EMAIL": "bureau@sthjt.example.gov.cn", "ECOFLOW_INBOX_DIR": str(base / "inbox")})
        compose = NativeCompose(base, base / ".env", database=database, redis_db=redis_db, api_port=port)
        stack = Native(compose, sink, air.url, compose.volume("ecoflow-home"), started)
        try:
            compose.run("airflow-init")
            stack.say("airflow-init done (deploy/airflow-init.sh: db migrate, pool, FAB roles, admin)")
            for service in SERVICES:
                compose.up(service)
            compose.up("airflow-worker", WORKER)
            compose.up("airflow-worker-warehouse", WAREHOUSE_WORKER)
            with ThreadPoolExecutor(max_workers=len(USERS)) as pool:  # the CLI needs the database, not the API
                users = [pool.submit(_fab_cli_user, compose, user) for user in USERS]
                compose.wait_healthy("airflow-apiserver")  # the slowest to start: the others' checks pass first time
                compose.wait_healthy(*SERVICES, WORKER, WAREHOUSE_WORKER)
                for user in users:
                    user.result()
            stack.say(f"healthy: {', '.join(compose.instances)}; FAB users {', '.join(USERS)}")
            yield stack
        finally:
            left = compose.down()
            if stack.reference is not None and stack.reference.poll() is None:
                stack.reference.kill()
                stack.reference.wait(timeout=30)
            stack.say(f"stopped every process ({len(left)} left)")
            (base / "story.txt").write_text("\n".join(stack.story) + "\n", encoding="utf-8")
            assert not left, f"processes left running: {left}"


def _fab_cli_user(compose: NativeCompose, user: str) -> None:
    """`airflow users create` (the FAB CLI) with the first role, `airflow users add-role` for the others."""
    roles, password = USERS[user]
    made = compose.exec("airflow-apiserver", "airflow", "users", "create", "--username", user, "--password",
                        password, "--role", roles[0], "--firstname", user, "--lastname", "-", "--email",
                        f"{user}@sthjt.example.gov.cn")
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    for role in roles[1:]:
        added = compose.exec("airflow-apiserver", "airflow", "users", "add-role", "--username", user, "--role", role)
        assert added.returncode == 0, added.stdout[-2000:] + added.stderr[-2000:]


# --- the REST API, as an operator's script uses it -------------------------------------------------------------


def _get(api: requests.Session, url: str) -> dict:
    answer = api.get(url, timeout=30)
    answer.raise_for_status()
    return answer.json()


def _task_instances(native: Native, api: requests.Session, dag_id: str, run_id: str) -> dict[str, dict]:
    found = _get(api, f"{native.compose.url}/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
    return {t["task_id"]: t for t in found["task_instances"]}


def _tries(native: Native, api: requests.Session, dag_id: str, run_id: str, task_id: str) -> list[dict]:
    url = f"{native.compose.url}/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/tries"
    return sorted(_get(api, url)["task_instances"], key=lambda t: t["try_number"])


def _run_state(native: Native, api: requests.Session, dag_id: str, run_id: str) -> str:
    return _get(api, f"{native.compose.url}/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]


def _validations(native: Native) -> int:
    """How many of the air month's files the validation has checked so far (GX writes one result per file)."""
    folder = native.home / "reports" / "gx" / "air" / AIR_PERIOD / "gx" / "uncommitted" / "validations"
    return len(list(folder.glob("air_hourly/*/*/*.json")))


def _kill_during_validation(native: Native, admin: requests.Session, runs: dict[str, str]) -> int:
    """Kill the warehouse worker once the air validation has checked KILL_AFTER_FILES files and nothing else is in
    flight on its queue (a message the dead worker had taken would wait for the broker's visibility timeout)."""
    deadline = time.monotonic() + 420
    while time.monotonic() < deadline:
        tis = [t for dag, run in runs.items() for t in _task_instances(native, admin, dag, run).values()]
        [validate] = [t for t in tis if t["dag_id"] == AIR_DAG and t["task_id"] == "validate"]
        assert validate["state"] in (None, "scheduled", "queued", "running"), \
            f"the air validation ended ({validate['state']}) before the worker could be killed in it"
        busy = [t["task_id"] for t in tis if t is not validate and t["state"] in ("queued", "running")]
        checked = _validations(native)
        if validate["state"] == "running" and checked >= KILL_AFTER_FILES and not busy:
            killed = native.compose.kill(WAREHOUSE_WORKER)
            native.say(f"SIGKILL to {WAREHOUSE_WORKER} ({killed} processes) while validate try "
                       f"{validate['try_number']} had checked {checked} of 31 files")
            return checked
        time.sleep(0.3)
    raise AssertionError(f"the air validation never reached {KILL_AFTER_FILES} files with nothing else in flight")


def _wait_for_runs(native: Native, admin: requests.Session, runs: dict[str, str], timeout: float) -> dict[str, str]:
    deadline, states = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        states = {dag: _run_state(native, admin, dag, run) for dag, run in runs.items()}
        if all(s in ("success", "failed") for s in states.values()):
            return states
        time.sleep(2)
    raise AssertionError(f"runs not finished after {timeout:.0f} s: {states}")


def _hitl(native: Native, dag_id: str, run_id: str) -> str:
    return f"{native.compose.url}/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/review/-1/hitlDetails"


def _runs(native: Native, api: requests.Session, dag_id: str) -> list[dict]:
    return _get(api, f"{native.compose.url}/api/v2/dags/{dag_id}/dagRuns?limit=100")["dag_runs"]


def _xcom(native: Native, api: requests.Session, dag_id: str, run_id: str, task_id: str) -> object:
    url = f"{native.compose.url}/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value"
    return _get(api, url)["value"]


def _dispatch_run(native: Native, api: requests.Session, timeout: float = 60) -> str:
    """The run unpausing indicators_recompute starts at once: its monthly timetable's latest tick (the dispatch of
    the 11th, for the month before), as in production."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if runs := _runs(native, api, RECOMPUTE_DAG):
            assert [(r["run_type"], r["triggered_by"]) for r in runs] == [("scheduled", "timetable")], runs
            return runs[0]["dag_run_id"]
        time.sleep(0.5)
    raise AssertionError(f"unpausing {RECOMPUTE_DAG} started no run of its timetable in {timeout:.0f} s")


def _run_started_by(native: Native, api: requests.Session, dag_id: str, run_id: str, timeout: float) -> \
        tuple[dict, dict]:
    """The Asset event the run `dag_id`/`run_id` published, and the indicators_recompute run that consumed it, once
    that run has ended."""
    url = f"{native.compose.url}/api/v2/assets/events?source_dag_id={dag_id}&source_run_id={run_id}"
    deadline, event = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        [event] = _get(api, url)["asset_events"]
        consumers = [r for r in event["created_dagruns"] if r["dag_id"] == RECOMPUTE_DAG]
        if consumers:
            [consumer] = consumers
            run = _get(api, f"{native.compose.url}/api/v2/dags/{RECOMPUTE_DAG}/dagRuns/{consumer['run_id']}")
            if run["state"] in ("success", "failed"):
                return event, run
        time.sleep(2)
    runs = [(r["dag_run_id"], r["state"]) for r in _runs(native, api, RECOMPUTE_DAG)]
    raise AssertionError(f"no {RECOMPUTE_DAG} run consumed the Asset event of {dag_id} {run_id} and ended within "
                         f"{timeout:.0f} s: {event}; runs: {runs}")


# --- the warehouse -----------------------------------------------------------------------------------------------


def _differences(stack_db: Path, reference_db: Path) -> dict[str, tuple[int, int, int]]:
    """Per table: (rows here, rows only here, rows only in the reference), as multisets (EXCEPT ALL)."""
    found = {}
    with duckdb.connect(str(stack_db), read_only=True) as con:
        con.execute(f"ATTACH '{reference_db}' AS ref (READ_ONLY)")
        for table, where in SAME_AS_REFERENCE.items():
            schema, name = table.split(".")
            columns = [c for c, kind in con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = current_database()"
                " AND table_schema = ? AND table_name = ? ORDER BY ordinal_position", [schema, name]).fetchall()
                if "TIMESTAMP" not in kind and c not in NOT_COMPARED]
            cols = ", ".join(f'"{c}"' for c in columns)
            here = f"SELECT {cols} FROM {table} WHERE {where}"
            there = f"SELECT {cols} FROM ref.{table} WHERE {where.replace('meta.batches', 'ref.meta.batches')}"
            found[table] = (con.execute(f"SELECT count(*) FROM ({here})").fetchone()[0],
                            con.execute(f"SELECT count(*) FROM ({here} EXCEPT ALL {there})").fetchone()[0],
                            con.execute(f"SELECT count(*) FROM ({there} EXCEPT ALL {here})").fetchone()[0])
    return found


def _query(native: Native, text: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(native.home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(text, params or []).fetchall()


def _at(text: str | None) -> datetime:
    assert text, "a try without a start or end time"
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- the test ----------------------------------------------------------------------------------------------------


def test_the_compose_stack_runs_two_months_survives_a_killed_worker_and_serializes_its_writers(native: Native) -> None:
    compose, url = native.compose, native.compose.url
    admin = compose.token_session("admin", ADMIN_PASSWORD)
    air_run, waste_run = f"native-air-{AIR_PERIOD}", f"native-waste-{WASTE_PERIOD}"
    # DAGs start paused (Airflow's default, which compose keeps): an Asset event queues a run only for a consumer that
    # is unpaused when the event arrives, so the operator unpauses indicators_recompute (docs/operations.md), which
    # starts the dispatch run of its latest 11th at once; it ends before the feeds start, so that their writers contend
    # only with each other for the `warehouse` slot
    admin.patch(f"{url}/api/v2/dags/{RECOMPUTE_DAG}", json={"is_paused": False}, timeout=30).raise_for_status()
    dispatch_run = _dispatch_run(native, admin)
    dispatched = _wait_for_runs(native, admin, {RECOMPUTE_DAG: dispatch_run}, timeout=240)
    assert dispatched == {RECOMPUTE_DAG: "success"}, dispatched
    native.say(f"unpaused {RECOMPUTE_DAG}: its timetable started {dispatch_run} ({dispatched[RECOMPUTE_DAG]}, "
               f"months {_xcom(native, admin, RECOMPUTE_DAG, dispatch_run, 'changed_periods')})")
    ticks = {dag_id: trigger_in_place_of_latest_tick(admin, url, dag_id, run_id, {"period": period})
             for dag_id, run_id, period in ((AIR_DAG, air_run, AIR_PERIOD), (WASTE_DAG, waste_run, WASTE_PERIOD))}
    native.say(f"triggered {AIR_DAG} {AIR_PERIOD} and {WASTE_DAG} {WASTE_PERIOD} at once (in place of their ticks "
               f"{', '.join(ticks.values())}) and unpaused them")

    # --- the warehouse worker dies in the middle of the air validation; its replacement takes the retry
    checked = _kill_during_validation(native, admin, {AIR_DAG: air_run, WASTE_DAG: waste_run})
    staged = _query(native, "SELECT count(DISTINCT file_name), count(*) FROM review.staged_cnemc_air_hourly")[0]
    assert KILL_AFTER_FILES - 1 <= staged[0] < 31 and staged[1] > 0  # the dead try had staged part of the month
    native.say(f"left by the dead try: {staged[1]:,} staged rows of {staged[0]} files (its committed writes)")
    native.start_reference()  # while the scheduler waits out the heartbeat timeout
    compose.up("airflow-worker-warehouse", REPLACEMENT)  # what `restart: always` does for a lost container
    compose.wait_healthy(REPLACEMENT)
    native.say(f"{REPLACEMENT} healthy (celery inspect ping)")

    # --- the stewards log in on FAB's login page and decide, each only their source's review
    refused = compose.browser_login("li.na", "not-the-password")
    assert "_token" not in refused.cookies
    li_na = compose.browser_login("li.na", USERS["li.na"][1])
    wang_qiang = compose.browser_login("wang.qiang", USERS["wang.qiang"][1])
    chen_gang = compose.browser_login("chen.gang", USERS["chen.gang"][1])
    assert all("_token" in s.cookies for s in (li_na, wang_qiang, chen_gang))
    log = compose.logs / "airflow-scheduler.log"
    waste_review = waiting_review(wang_qiang, url, log, WASTE_DAG, waste_run, timeout=420)
    assert WASTE_PERIOD in waste_review["subject"] and waste_review["assigned_users"] == [
        {"id": "wang.qiang", "name": "wang.qiang"}]
    answer = wang_qiang.patch(_hitl(native, WASTE_DAG, waste_run),
                              json={"chosen_options": [LABELS["accept_clean"]], "params_input": {}}, timeout=30)
    assert answer.status_code == 200, answer.text
    native.say(f"wang.qiang (FAB login, Steward) decided the waste review: {LABELS['accept_clean']}")

    air_review = waiting_review(li_na, url, log, AIR_DAG, air_run, timeout=420)
    assert AIR_PERIOD in air_review["subject"] and "浓度不应为负值" in air_review["body"]
    air_hitl = _hitl(native, AIR_DAG, air_run)
    choice = {"chosen_options": [LABELS["accept_clean"]], "params_input": {}}
    viewer = chen_gang.patch(air_hitl, json=choice, timeout=30)
    other_steward = wang_qiang.patch(air_hitl, json=choice, timeout=30)
    assert (viewer.status_code, other_steward.status_code) == (403, 403), (viewer.text, other_steward.text)
    assert "not a respondent" in other_steward.text
    answer = li_na.patch(air_hitl, json=choice, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["responded_by"]["name"] == "li.na"
    native.say("li.na (FAB login, Steward) decided the air review; a Viewer and the waste steward were refused (403)")

    states = _wait_for_runs(native, admin, {AIR_DAG: air_run, WASTE_DAG: waste_run}, timeout=300)
    assert states == {AIR_DAG: "success", WASTE_DAG: "success"}, states
    native.say(f"both runs: {states}")

    # --- the air month's Asset event started indicators_recompute, which evaluated the month
    event, recompute = _run_started_by(native, admin, AIR_DAG, air_run, timeout=300)
    recompute_run = recompute["dag_run_id"]
    assert (event["name"], event["source_task_id"], event["extra"]) == (AIR_ASSET, "compute", {"periods": [AIR_PERIOD]})
    assert (recompute["run_type"], recompute["triggered_by"], recompute["state"]) == (
        "asset_triggered", "asset", "success"), recompute
    assert {t["task_id"]: t["state"] for t in _task_instances(native, admin, RECOMPUTE_DAG, recompute_run).values()} \
        == dict.fromkeys(("changed_periods", "evaluate", "alert", "bulletin"), "success")
    assert AIR_PERIOD in _xcom(native, admin, RECOMPUTE_DAG, recompute_run, "changed_periods")
    assert AIR_PERIOD in _xcom(native, admin, RECOMPUTE_DAG, recompute_run, "evaluate")["evaluated"]
    created = f"Created asset-triggered DagRun for '{RECOMPUTE_DAG}': run_id={recompute_run}, consumed"
    assert created in log.read_text(encoding="utf-8", errors="replace")
    recompute_runs = {r["dag_run_id"]: r for r in _runs(native, admin, RECOMPUTE_DAG)}
    assert {(r["run_type"], r["triggered_by"]) for r in recompute_runs.values()} <= {
        ("scheduled", "timetable"), ("asset_triggered", "asset")}, recompute_runs  # none by hand
    assert [r["dag_run_id"] for r in recompute_runs.values() if r["run_type"] == "scheduled"] == [dispatch_run]
    assert all(r["state"] == "success" for r in recompute_runs.values()), recompute_runs
    for dag_id, run_id in ((AIR_DAG, air_run), (WASTE_DAG, waste_run)):  # the feeds' timetables started nothing
        assert [r["dag_run_id"] for r in _runs(native, admin, dag_id)] == [run_id]
    native.say(f"the air Asset event ({event['extra']}) started {recompute_run}, which evaluated {AIR_PERIOD}: "
               f"{recompute['state']}; {RECOMPUTE_DAG} runs: " + ", ".join(
                   f"{r['run_type']} {r['state']}" for r in recompute_runs.values()))

    # --- the killed try failed for want of a heartbeat and the retry ran on the replacement, from the start
    tries = _tries(native, admin, AIR_DAG, air_run, "validate")
    assert [(t["try_number"], t["state"], t["hostname"]) for t in tries] == [
        (1, "failed", WAREHOUSE_WORKER), (2, "success", REPLACEMENT)]
    timed_out = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
                 if "Detected a task instance without a heartbeat" in line]
    assert len(timed_out) == 1 and all(f"'{k}': '{v}'" in timed_out[0] for k, v in (
        ("Task Id", "validate"), ("Run Id", air_run), ("Hostname", WAREHOUSE_WORKER)))
    retried = f"dag_id={AIR_DAG}/run_id={air_run}/task_id=validate/attempt=2.log"
    assert retried in (compose.logs / f"{REPLACEMENT}.log").read_text(errors="replace")
    native.say(f"validate: try 1 failed on {WAREHOUSE_WORKER} (heartbeat timeout), try 2 succeeded on {REPLACEMENT}"
               f" ({(_at(tries[1]['start_date']) - _at(tries[0]['end_date'])).total_seconds():.0f} s after)")
    # every warehouse task ran on a worker with the warehouse volume; the other worker never opened a warehouse
    every_run = [(AIR_DAG, air_run), (WASTE_DAG, waste_run), *((RECOMPUTE_DAG, r) for r in recompute_runs)]
    for dag_id, run_id in every_run:
        for ti in _task_instances(native, admin, dag_id, run_id).values():
            if ti["state"] == "success":
                expected = {WORKER} if ti["queue"] == "default" else {WAREHOUSE_WORKER, REPLACEMENT}
                assert ti["hostname"] in expected, (dag_id, ti["task_id"], ti["queue"], ti["hostname"])
    assert not list(compose.private_root(WORKER).rglob("warehouse.duckdb"))

    # --- the warehouse is what the reference run without Airflow and without a kill gives: nothing lost or doubled
    assert native.reference is not None and native.reference.wait(timeout=300) == 0, compose.tail("reference")
    differences = _differences(native.home / "warehouse.duckdb", native.reference_home / "warehouse.duckdb")
    assert {t: d[1:] for t, d in differences.items()} == {t: (0, 0) for t in SAME_AS_REFERENCE}, differences
    landed = differences["raw.cnemc_air_hourly"][0]
    quarantined = differences["quarantine.row_issues"][0]
    assert landed > 400_000 and quarantined > 0 and differences["review.staged_cnemc_air_hourly"][0] == 0
    assert differences["marts.indicator_status"][0] > 0  # the month was evaluated, not compared empty with empty
    doubled = _query(native, "SELECT count(*) FROM (SELECT obs_date, hour, type, station_code "
                             "FROM raw.cnemc_air_hourly WHERE period = ? GROUP BY ALL HAVING count(*) > 1)",
                     [AIR_PERIOD])
    assert doubled == [(0,)]
    native.say(f"warehouse = reference run: {landed:,} air rows landed, {quarantined} quarantined, "
               f"{differences['marts.indicator_values'][0]} indicator values, "
               f"{differences['marts.indicator_status'][0]} indicator statuses; 0 rows differ in "
               f"{len(SAME_AS_REFERENCE)} tables; no natural key twice")
    decisions = _query(native, "SELECT source, option, decided_by, via FROM review.decisions ORDER BY source")
    assert decisions == [("air", "accept_clean", "li.na", "airflow"),
                         ("waste", "accept_clean", "wang.qiang", "airflow")]
    waste_rows = _query(native, "SELECT count(*) FROM raw.waste_quantities WHERE period = ?", [WASTE_PERIOD])[0][0]
    waste_in = _query(native, "SELECT sum(rows_in), sum(rows_rejected) FROM meta.batches WHERE source = 'waste' "
                              "AND period = ?", [WASTE_PERIOD])[0]
    assert waste_in[1] == 1 and waste_rows == waste_in[0] - 1  # all but the wrong-unit row
    told = {r for m in native.sink.received for r in m.rcpt_tos}
    assert {"lina@sthjt.nmg.example.gov.cn", "wangqiang@sthjt.nmg.example.gov.cn"} <= told  # review notices

    # --- every run's writers took the one `warehouse` slot in turn, and one feed run waited for the other
    writes = [t for dag_id, run_id in every_run
              for task in _task_instances(native, admin, dag_id, run_id)
              for t in _tries(native, admin, dag_id, run_id, task) if t["pool"] == "warehouse" and t["start_date"]]
    writes.sort(key=lambda t: _at(t["start_date"]))
    overlaps = [(a["task_id"], b["task_id"]) for a, b in zip(writes, writes[1:], strict=False)
                if _at(b["start_date"]) < _at(a["end_date"])]
    assert overlaps == []
    feeds = [t for t in writes if t["dag_id"] in (AIR_DAG, WASTE_DAG)]
    # b waited for a: ready before a released the slot, given the slot (queued: a pool counts queued and running
    # tries) only after a released it. The scheduler may make both ready in one loop and queue a first: b's ready
    # time need not fall after a took the slot (it failed twice on a few ms either way)
    waited = [(b["dag_id"], b["task_id"], a["dag_id"], a["task_id"]) for a in feeds for b in feeds
              if a["dag_id"] != b["dag_id"] and b["scheduled_when"]
              and _at(b["scheduled_when"]) < _at(a["end_date"]) <= _at(b["queued_when"] or b["start_date"])]
    assert waited, "no writer of one run was ready while the other run's writer held the slot: " + "; ".join(
        f"{t['dag_id']}.{t['task_id']}#{t['try_number']} {t['scheduled_when']} {t['queued_when']} {t['start_date']} "
        f"{t['end_date']}"
        for t in writes)
    native.say(f"{len(writes)} writing tries of {len(every_run)} runs, none overlapping; waited for the slot: "
               + "; ".join(f"{b}.{bt} behind {a}.{at}" for b, bt, a, at in waited[:3]))
    assert checked >= KILL_AFTER_FILES
