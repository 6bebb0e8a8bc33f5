"""docker-compose.yml run natively (there is no Docker engine here): every service from its own command, environment
and healthcheck, with what compose would put in place.

What compose does, and what stands for it here:

* **.env** (`env_file` and `${VAR:?…}` interpolation): a `.env` written from `.env.example` with every value filled
  in; each Airflow service gets all of it, then its own interpolated `environment`, as compose does.
* **Service names.** `postgres:5432` is this machine's PostgreSQL (user `postgres`, trust auth) on a fresh database;
  `redis:6379/0` is this machine's Redis on a database index of the test's own (that server has no password, so the
  broker URL carries none); `airflow-apiserver:8080` is the API server's port here.
* **Volumes.** A named volume is a folder under the test's base, a bind mount its host folder; a path a service
  mounts nothing at is a folder of that instance's own (as a container's own filesystem is), so a worker without
  the warehouse volume cannot see the warehouse. `/opt/ecoflow` (the image's copy of the repository) is this checkout.
* **Containers.** Each instance has its own HOSTNAME (Celery's node name, Airflow's hostname of a task), and the
  ports a container has to itself (API 8080, scheduler health 8974, log servers 8793/8794) are free ports here.
  All instances share one AIRFLOW_HOME, so the API server reads the workers' task logs from disk.
* **restart: always** is not emulated: a test that kills a service starts its replacement itself.

`TEST_SETTINGS` are the only settings added that compose does not have: they make a heartbeat timeout and a
retry take seconds instead of minutes, and validate the air month file by file (a month of Inner Mongolia is
otherwise one validation, and the worker must be killed in the middle of it). The scheduler schedules as in
production (`[scheduler] use_job_schedule` stays on: turned off, it would stop the Asset-triggered runs of
`indicators_recompute` too); the test keeps the feed DAGs' timetables from starting runs of their own by giving its
runs the logical date of each DAG's latest scheduled tick (`trigger_in_place_of_latest_tick`).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg2
import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
IMAGE_ROOT = "/opt/ecoflow"  # where deploy/Dockerfile copies the repository
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_CLAIM = "ecoflow:native-stack:claim"

#: Not in docker-compose.yml: a killed worker's task is failed after 30 s without a heartbeat instead of 300 s, and
#: a retry waits at most 5 s instead of the DAGs' 5 minutes and more. Not `AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=False`
#: either: the scheduler creates timetable and Asset-triggered runs in one step, and with it off an Asset event stays
#: queued for indicators_recompute and starts nothing (docs/pitfalls.md).
TEST_SETTINGS = {
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
    "AIRFLOW__CORE__MAX_TASK_RETRY_DELAY": "5",
    "ECOFLOW_VALIDATION_ROWS": "16000",   # one real day (~15,600 rows) per validation
}
#: Ports a container has to itself (container port -> the setting that moves it here).
OWN_PORTS = {8974: "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT",
             8793: "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT",
             8794: "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- compose's file formats ------------------------------------------------------------------------------------


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `$$`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}` and `${VAR?message}`."""

    def one(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group(1), match.group(2) or "", match.group(3) or ""
        have = name in env and (env[name] != "" or not op.startswith(":"))
        if have:
            return env[name]
        if op.endswith("?"):
            raise ValueError(f"compose would stop: {name} is not set ({arg})")
        return arg if op.endswith("-") else ""

    return re.sub(r"\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}", one, value)


def read_dot_env(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (comments and blank lines skipped), as compose reads an env file."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


def write_dot_env(path: Path, values: dict[str, str]) -> None:
    """A .env made from .env.example with `values` filled in; every name must be one .env.example documents."""
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    unknown = set(values) - set(read_dot_env(ENV_EXAMPLE))
    assert not unknown, f".env.example does not document {sorted(unknown)}"
    lines = [f"{line.partition('=')[0]}={values[line.partition('=')[0]]}"
             if re.match(r"^\w+=", line) and line.partition("=")[0] in values else line
             for line in example.splitlines()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- this machine's PostgreSQL and Redis ---------------------------------------------------------------------


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database on this machine, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg2.connect(dbname="postgres", connect_timeout=5, **PG)
    except psycopg2.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG['host']}:{PG['port']} (.ci/run starts it): {exc}")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextmanager
def redis_database() -> Iterator[int]:
    """An empty database index of this machine's Redis, claimed for the test (a key set only if absent) and flushed
    afterwards: other users of the server keep theirs."""
    import redis

    token = uuid.uuid4().hex
    for index in range(15, 0, -1):
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=index, socket_connect_timeout=5)
        try:
            if client.dbsize() == 0 and client.set(REDIS_CLAIM, token, nx=True, ex=3600):
                break
        except redis.exceptions.ConnectionError as exc:
            pytest.fail(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT} (.ci/run starts it): {exc}")
        client.close()
    else:
        pytest.fail("every database index of the Redis on 127.0.0.1:6379 is in use")
    try:
        yield index
    finally:
        if client.get(REDIS_CLAIM) == token.encode():
            client.flushdb()
        client.close()


# --- the services ------------------------------------------------------------------------------------------------


@dataclass
class Instance:
    """A started service: one container's worth of processes."""

    name: str
    service: str
    proc: subprocess.Popen
    env: dict[str, str]
    log: Path
    ports: dict[int, int]


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class NativeCompose:
    """The compose file's services as processes on this machine (see the module docstring for what stands for what).

    `run` is `docker compose run` (a one-off), `up` starts an instance, `exec` runs a command in an instance's
    environment, `healthy` runs its healthcheck, `kill` is `docker kill` (SIGKILL to every process of it), `down`
    stops everything this object started.
    """

    def __init__(self, base: Path, dot_env: Path, *, database: str, redis_db: int, api_port: int) -> None:
        self.compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
        self.dot_env = read_dot_env(dot_env)
        self.base, self.logs = base, base / "logs"
        self.airflow_home = base / "airflow-home"
        self.database, self.redis_db, self.api_port = database, redis_db, api_port
        self.url = f"http://127.0.0.1:{api_port}"
        self.instances: dict[str, Instance] = {}
        self.logs.mkdir(parents=True, exist_ok=True)
        self.airflow_home.mkdir(parents=True, exist_ok=True)

    def service(self, name: str) -> dict:
        return self.compose["services"][name]

    def volume(self, name: str) -> Path:
        return self.base / "volumes" / name

    def private_root(self, instance: str) -> Path:
        """What an instance's container has of its own at `/` (the paths it mounts nothing at)."""
        return self.base / "containers" / instance

    # -- what compose would substitute ----------------------------------------------------------------------
    def mounts(self, service: str, instance: str) -> list[tuple[str, Path]]:
        """(container path, host folder), longest container path first; `/` is the instance's own folder."""
        found = [(IMAGE_ROOT, ROOT)]
        for spec in self.service(service).get("volumes") or []:
            source, target = interpolate(spec, self.dot_env).split(":")[:2]
            host = self.volume(source) if source in (self.compose.get("volumes") or {}) else Path(source)
            host.mkdir(parents=True, exist_ok=True)
            found.append((target, host))
        for target, host in found:  # a mount inside another one: a link in the outer folder stands for it
            for outer, outer_host in found:
                if target.startswith(outer.rstrip("/") + "/") and target != outer:
                    link = outer_host / target[len(outer) + 1:]
                    if not link.is_symlink():
                        link.parent.mkdir(parents=True, exist_ok=True)
                        link.symlink_to(host, target_is_directory=True)
        found.append(("/", self.private_root(instance)))
        return sorted(found, key=lambda m: len(m[0]), reverse=True)

    def host_path(self, path: str, mounts: list[tuple[str, Path]]) -> str:
        for target, host in mounts:
            if target == "/" or path == target or path.startswith(target.rstrip("/") + "/"):
                rest = path[len(target):].lstrip("/") if target != "/" else path.lstrip("/")
                resolved = host / rest if rest else host
                if target == "/":
                    resolved.parent.mkdir(parents=True, exist_ok=True)
                return str(resolved)
        raise AssertionError(path)

    def on_this_machine(self, value: str) -> str:
        """Service names in a URL -> this machine's servers (and the test's own database and Redis index)."""
        for pattern, replacement in (
                (r"^((?:db\+)?postgresql\+psycopg2://)airflow:([^@]*)@postgres:5432/airflow$",  # secret-scan: allow
                 rf"\1{PG['user']}:\2@{PG['host']}:{PG['port']}/{self.database}"),
                (r"^redis://:[^@]*@redis:6379/0$", f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.redis_db}"),
                (r"^http://airflow-apiserver:8080/", f"{self.url}/")):
            value = re.sub(pattern, replacement, value)
        assert not re.search(r"(@|//)(postgres|redis|airflow-apiserver):\d+(/|$)", value), \
            f"docker-compose.yml names a server this test does not stand in for: {value}"
        return value

    def environment(self, service: str, instance: str, ports: dict[int, int]) -> dict[str, str]:
        """The instance's environment: a clean process environment, the .env file, the service's `environment`."""
        mounts = self.mounts(service, instance)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ECOFLOW_", "PYTHON"))}
        env.update(self.dot_env)
        for key, value in (self.service(service).get("environment") or {}).items():
            value = self.on_this_machine(interpolate(str(value), self.dot_env))
            env[key] = self.host_path(value, mounts) if value.startswith("/") else value
        env.update(TEST_SETTINGS)
        env.update({
            "HOSTNAME": instance,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.review.hostname.container_hostname",
            "AIRFLOW_HOME": str(self.airflow_home),
            "PYTHONPATH": str(ROOT),  # for tests.review.hostname
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
        })
        env.update({OWN_PORTS[inside]: str(here) for inside, here in ports.items()})
        return env

    def command(self, service: str, instance: str) -> list[str]:
        """The service's entrypoint and command; without an entrypoint the image's runs `airflow <command>`."""
        spec = self.service(service)
        raw = spec.get("command") or []
        command = shlex.split(raw) if isinstance(raw, str) else [interpolate(str(c), self.dot_env) for c in raw]
        command = [str(ROOT / c.removeprefix(IMAGE_ROOT + "/")) if c.startswith(IMAGE_ROOT + "/") else c
                   for c in command]
        if spec.get("entrypoint"):
            return [spec["entrypoint"], *command]
        if command[:2] == ["celery", "worker"]:  # Celery names a node after the container's hostname
            command += ["--celery-hostname", f"celery@{instance}"]
        return [str(BIN / "airflow"), *command]

    # -- running them ---------------------------------------------------------------------------------------
    def run(self, service: str, *, timeout: float = 600) -> subprocess.CompletedProcess:
        """`docker compose run SERVICE`: the service's own command, once, to the end."""
        env = self.environment(service, service, {})
        with (self.logs / f"{service}.log").open("ab") as out:
            done = _run(self.command(service, service), env=env, cwd=self.private_root(service), timeout=timeout,
                        stdout=out, stderr=subprocess.STDOUT)
        assert done.returncode == 0, f"{service} exited {done.returncode}:\n{self.tail(service)}"
        return done

    def up(self, service: str, instance: str | None = None) -> Instance:
        """Start one instance of a long-running service."""
        instance = instance or service
        ports = {inside: free_port() for inside in OWN_PORTS}
        env = self.environment(service, instance, ports)
        cwd = self.private_root(instance)
        cwd.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{instance}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(self.command(service, instance), env=env, cwd=cwd, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.instances[instance] = Instance(instance, service, proc, env, log, ports)
        return self.instances[instance]

    def exec(self, instance: str, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """`docker compose exec INSTANCE argv…`."""
        running = self.instances[instance]
        return _run(list(argv), env=running.env, cwd=self.private_root(instance), timeout=timeout,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def healthcheck(self, instance: str) -> subprocess.CompletedProcess:
        """The service's own healthcheck, its container ports moved to this instance's."""
        running = self.instances[instance]
        test = self.service(running.service)["healthcheck"]["test"]
        ports = {8080: self.api_port, **running.ports}

        def here(text: str) -> str:
            text = text.replace("$$", "$")
            return re.sub(r"localhost:(\d+)", lambda m: f"127.0.0.1:{ports.get(int(m.group(1)), m.group(1))}", text)

        argv = ["bash", "-c", here(test[1])] if test[0] == "CMD-SHELL" else [here(t) for t in test[1:]]
        return _run(argv, env=running.env, cwd=self.private_root(instance), timeout=120, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE)

    def wait_healthy(self, *instances: str, timeout: float = 240) -> None:
        """Until each instance's healthcheck passes (checked side by side, every 2 s, as compose's interval would);
        an instance that exits fails at once with its log."""

        def one(name: str) -> None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.instances[name].proc.poll() is not None:
                    raise AssertionError(f"{name} exited ({self.instances[name].proc.returncode}):\n{self.tail(name)}")
                if self.healthcheck(name).returncode == 0:
                    return
                time.sleep(2)
            raise AssertionError(f"{name} not healthy after {timeout:.0f} s\n{self.tail(name)}")

        with ThreadPoolExecutor(max_workers=len(instances)) as pool:
            for done in [pool.submit(one, name) for name in instances]:
                done.result()

    def kill(self, instance: str) -> int:
        """`docker kill`: SIGKILL to every process of the instance (Airflow runs each task in a process group of its
        own, so the whole tree, not the group); returns how many processes were killed."""
        procs = _tree(self.instances[instance].proc.pid)
        for proc in procs:  # freeze first, so nothing forks or is re-parented while the tree is read again
            _signal(proc, signal.SIGSTOP)
        procs = {p.pid: p for p in [*procs, *(c for p in procs for c in _children(p))]}.values()
        for proc in procs:
            _signal(proc, signal.SIGKILL)
        self.instances[instance].proc.wait(timeout=30)
        psutil.wait_procs(list(procs), timeout=30)
        return len(procs)

    def down(self) -> list[str]:
        """Stop every instance (SIGTERM, then SIGKILL to whatever of its tree is left after 30 s); returns the
        processes still running after that (none, or the test says which)."""
        trees = {name: _tree(i.proc.pid) for name, i in self.instances.items()}
        for instance in self.instances.values():
            if instance.proc.poll() is None:
                instance.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for name, procs in trees.items():
            _, alive = psutil.wait_procs(procs, timeout=max(0.1, deadline - time.monotonic()))
            for proc in alive:
                _signal(proc, signal.SIGKILL)
            psutil.wait_procs(alive, timeout=10)
            self.instances[name].proc.poll()
        return [f"{name}: {p.pid} {p.name()}" for name, procs in trees.items() for p in procs if _running(p)]

    def tail(self, instance: str, chars: int = 3000) -> str:
        log = self.logs / f"{instance}.log"
        return f"--- {log} ---\n" + (log.read_text(errors="replace")[-chars:] if log.exists() else "(no log)")

    # -- the API, as its users reach it ---------------------------------------------------------------------
    def token_session(self, username: str, password: str) -> requests.Session:
        """A session carrying a FAB API token (POST /auth/token), as scripts and the ecoflow CLI use."""
        answer = requests.post(f"{self.url}/auth/token", json={"username": username, "password": password},
                               timeout=30)
        answer.raise_for_status()
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        return session

    def browser_login(self, username: str, password: str) -> requests.Session:
        """What a browser does on FAB's login page: read the form's CSRF token, post the form, keep the cookies
        (the UI then calls the API with the `_token` cookie the login sets). No `_token` cookie: refused."""
        session = requests.Session()
        page = session.get(f"{self.url}/auth/login/", timeout=30)
        page.raise_for_status()
        [csrf] = re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        session.post(f"{self.url}/auth/login/", data={"username": username, "password": password,
                                                      "csrf_token": csrf}, timeout=30)
        return session


def _run(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float, **out: object) -> \
        subprocess.CompletedProcess:
    """subprocess.run, but a timeout or an interruption kills the command's whole process tree, not only it."""
    cwd.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(argv, env=env, cwd=cwd, text=True, start_new_session=True, **out)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except BaseException:
        procs = _tree(proc.pid)
        for child in procs:
            _signal(child, signal.SIGKILL)
        psutil.wait_procs(procs, timeout=10)
        raise
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _children(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _signal(proc: psutil.Process, sig: int) -> None:
    with suppress(psutil.NoSuchProcess):
        proc.send_signal(sig)


# --- a review, as a steward finds it ---------------------------------------------------------------------------

PARK_SETTLE_SECONDS = 5


def waiting_review(api: requests.Session, url: str, scheduler_log: Path, dag_id: str, run_id: str, *,
                   timeout: float = 240) -> dict:
    """The review waiting in the run, as `api` (a steward's session) sees it through the REST API, once Airflow can
    take an answer to it.

    Airflow 3.3 fails the task when a response lands before the scheduler has taken the executor's report that the
    task parked (TI queued for resumption, executor says "success" -> "failed", retried): no person answers within
    seconds, and a test acting as one waits until the scheduler logged that report (on a loaded machine it comes
    well after the park; docs/pitfalls.md).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = api.get(f"{url}/api/v2/dags/{dag_id}/dagRuns/{run_id}/hitlDetails", timeout=30)
        answer.raise_for_status()
        waiting = [d for d in answer.json()["hitl_details"] if d["responded_at"] is None
                   and d["task_instance"]["state"] == "awaiting_input"]
        if waiting:
            _wait_for_park(scheduler_log, dag_id, run_id, waiting[0]["task_instance"], deadline)
            time.sleep(PARK_SETTLE_SECONDS)
            return waiting[0]
        run = api.get(f"{url}/api/v2/dags/{dag_id}/dagRuns/{run_id}", timeout=30)
        run.raise_for_status()
        if run.json()["state"] in ("success", "failed"):
            tasks = api.get(f"{url}/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances", timeout=30).json()
            raise AssertionError(f"{dag_id} {run_id} ended ({run.json()['state']}) without waiting for a review: "
                                 f"{ {t['task_id']: t['state'] for t in tasks['task_instances']} }")
        time.sleep(1)
    raise AssertionError(f"no review waiting in {dag_id} {run_id} after {timeout:.0f} s")


def _wait_for_park(log: Path, dag_id: str, run_id: str, ti: dict, deadline: float) -> None:
    """Until the scheduler has received the executor's event for the parked try of the review task."""
    event = (f"Received executor event with state success for task instance TaskInstanceKey(dag_id='{dag_id}', "
             f"task_id='{ti['task_id']}', run_id='{run_id}', try_number={ti['try_number']}")
    while time.monotonic() < deadline:
        if log.exists() and event in log.read_text(encoding="utf-8", errors="replace"):
            return
        time.sleep(0.5)
    raise AssertionError(f"the scheduler never took the report that {dag_id} {run_id} parked for review")


# --- runs a test starts, with the scheduler scheduling as in production ----------------------------------------


def trigger_in_place_of_latest_tick(api: requests.Session, url: str, dag_id: str, run_id: str, conf: dict) -> str:
    """Trigger a run of a paused DAG at the logical date of its latest scheduled tick, then unpause the DAG; returns
    that logical date.

    With `catchup=False`, unpausing a DAG makes the scheduler start the run of its latest tick at once (another
    month, which with `max_active_runs=1` would hold up the test's run; docs/pitfalls.md). The scheduler creates no
    run for a logical date that already has one ("run already exists; skipping dagrun creation") and moves on to
    the next tick, weeks away: the test's run takes that tick, and the timetable starts nothing while it runs. The
    run is still a manual run of its `conf`'s month (DAG params come before the data interval)."""
    dag = api.get(f"{url}/api/v2/dags/{dag_id}", timeout=30)
    dag.raise_for_status()
    assert dag.json()["is_paused"], f"{dag_id} must still be paused: its timetable could have started a run already"
    tick = dag.json()["next_dagrun_logical_date"]
    assert tick, f"{dag_id} has no scheduled tick yet (the DAG processor computes it)"
    api.post(f"{url}/api/v2/dags/{dag_id}/dagRuns", json={"dag_run_id": run_id, "logical_date": tick, "conf": conf},
             timeout=30).raise_for_status()
    api.patch(f"{url}/api/v2/dags/{dag_id}", json={"is_paused": False}, timeout=30).raise_for_status()
    return tick
