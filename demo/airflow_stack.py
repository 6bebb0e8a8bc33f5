"""A real Airflow on this machine, as docker-compose.yml runs it: API server, scheduler and DAG processor with the
LocalExecutor, the repository's DAGs and plugins, and the simple auth manager with the stewards as users.

Used by `make demo` (the API server alone, beside `airflow dags test`, so a steward can answer a waiting review) and
by the review tests (the whole stack, on a fresh PostgreSQL database). Everything binds to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: Airflow users (simple auth manager role, password): the stewards of review_policy.csv, an admin and a reader.
USERS = {"admin": ("admin", "admin-demo"), "li.na": ("user", "lina-demo"), "zhou.jie": ("user", "zhoujie-demo"),
         "wang.qiang": ("user", "wangqiang-demo"), "zhao.min": ("user", "zhaomin-demo"),
         "chen.gang": ("user", "chengang-demo")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AirflowStack:
    """`with AirflowStack(home, env, sql_alchemy_conn) as af:` — af.url, af.api(user) give a logged-in session."""

    def __init__(self, home: Path, env: dict[str, str], sql_alchemy_conn: str | None = None, *,
                 components: tuple[str, ...] = ("api-server", "scheduler", "dag-processor")) -> None:
        self.home, self.components = home, components
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs = home / "logs"
        self.procs: list[subprocess.Popen] = []
        passwords = home / "passwords.json"
        self.env = {
            **env,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, (r, _) in USERS.items()),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": "ecoflow-local-stack-secret-not-for-production",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # runs only when triggered: no scheduled month
            "AIRFLOW__SCHEDULER__TRIGGER_TIMEOUT_CHECK_INTERVAL": "2",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', os.environ.get('PATH', ''))}",
        }
        if sql_alchemy_conn:  # PostgreSQL, as in production (SQLite: `airflow dags test` and an API server only)
            self.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = sql_alchemy_conn
            self.env["AIRFLOW__CORE__EXECUTOR"] = "LocalExecutor"
        home.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        passwords.write_text(json.dumps({u: p for u, (_, p) in USERS.items()}), encoding="utf-8")

    def airflow(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        with (self.logs / "cli.log").open("ab") as out:
            return subprocess.run([str(BIN / "airflow"), *args], env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                  check=check, timeout=600)

    def __enter__(self) -> AirflowStack:
        self.airflow("db", "migrate")
        self.airflow("pools", "set", "warehouse", "1", "DuckDB has one writer")
        for name in self.components:
            out = (self.logs / f"{name}.log").open("ab")
            self.procs.append(subprocess.Popen([str(BIN / "airflow"), name], env=self.env, stdout=out,
                                               stderr=subprocess.STDOUT, start_new_session=True))
        self._wait_healthy()
        return self

    def _wait_healthy(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for proc, name in zip(self.procs, self.components, strict=True):
                if proc.poll() is not None:
                    raise RuntimeError(f"airflow {name} exited ({proc.returncode}); see {self.logs / (name + '.log')}")
            try:
                if requests.get(f"{self.url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise RuntimeError(f"the Airflow API server did not answer on {self.url} within {timeout:.0f} s")

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def session(self, user: str) -> requests.Session:
        """A requests session carrying `user`'s API token."""
        password = USERS[user][1]
        answer = requests.post(f"{self.url}/auth/token", json={"username": user, "password": password}, timeout=30)
        answer.raise_for_status()
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        return session

    def trigger(self, dag_id: str, conf: dict, run_id: str) -> str:
        """Unpause the DAG and start a run with `conf`; returns the run id."""
        admin = self.session("admin")
        admin.patch(f"{self.url}/api/v2/dags/{dag_id}", json={"is_paused": False}, timeout=30).raise_for_status()
        answer = admin.post(f"{self.url}/api/v2/dags/{dag_id}/dagRuns",
                            json={"dag_run_id": run_id, "logical_date": None, "conf": conf}, timeout=30)
        answer.raise_for_status()
        return answer.json()["dag_run_id"]

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> None:
        """Until the DAG processor has parsed the DAG into the metadata database."""
        admin, deadline = self.session("admin"), time.monotonic() + timeout
        while time.monotonic() < deadline:
            if admin.get(f"{self.url}/api/v2/dags/{dag_id}", timeout=30).status_code == 200:
                return
            time.sleep(1)
        raise RuntimeError(f"DAG {dag_id} was not parsed within {timeout:.0f} s; see {self.logs}/dag-processor.log")

    def run_state(self, dag_id: str, run_id: str) -> str:
        answer = self.session("admin").get(f"{self.url}/api/v2/dags/{dag_id}/dagRuns/{run_id}", timeout=30)
        answer.raise_for_status()
        return answer.json()["state"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 300) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.run_state(dag_id, run_id)
            if state in ("success", "failed"):
                return state
            time.sleep(1)
        raise RuntimeError(f"{dag_id} {run_id} still running after {timeout:.0f} s; see {self.logs}")

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        answer = self.session("admin").get(f"{self.url}/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                                           timeout=30)
        answer.raise_for_status()
        return {t["task_id"]: t["state"] for t in answer.json()["task_instances"]}
