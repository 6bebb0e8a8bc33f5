"""The compose file's Celery pieces, run natively (no Docker engine here): Redis from the `redis` service's own
command and password, the `airflow-worker-warehouse` from its own command and environment (broker and result
backend as compose sets them, the hosts pointed at this machine), the worker's own healthcheck answered, and the
worker serving the `warehouse` queue only. The whole stack under a scheduler, with a worker killed mid-task, is
tests/review/test_native_stack.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
CELERY_APP = "airflow.providers.celery.executors.celery_executor.app"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _interpolate(value: str, env: dict[str, str]) -> str:
    return re.sub(r"(?<!\$)\$\{(\w+)(?::?[-?][^}]*)?\}", lambda m: env[m.group(1)], value).replace("$$", "$")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[tuple[int, str]]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed (.ci/run installs Debian's redis-server)")
    password, port = uuid.uuid4().hex, _free_port()
    command = [_interpolate(part, {"REDIS_PASSWORD": password}) for part in COMPOSE["services"]["redis"]["command"]]
    assert command[:3] == ["redis-server", "--requirepass", password]
    proc = subprocess.Popen([server, *command[1:], "--port", str(port), "--bind", "127.0.0.1", "--dir",
                             str(tmp_path), "--save", ""], stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        yield port, password
    finally:
        _stop(proc)


def test_the_warehouse_worker_starts_on_redis_and_serves_only_the_warehouse_queue(redis, tmp_path: Path) -> None:
    port, password = redis
    service = COMPOSE["services"]["airflow-worker-warehouse"]
    dot_env = {"POSTGRES_PASSWORD": "", "REDIS_PASSWORD": password, "AIRFLOW_BASE_URL": "http://localhost:8080",
               "AIRFLOW_JWT_SECRET": uuid.uuid4().hex, "AIRFLOW_API_SECRET_KEY": uuid.uuid4().hex,
               "AIRFLOW_FERNET_KEY": "", "ECOFLOW_INBOX_DIR": str(tmp_path / "inbox")}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ECOFLOW_"))}
    for key, value in service["environment"].items():
        env[key] = _interpolate(str(value), dot_env).replace("/opt/ecoflow", str(ROOT))
    env["AIRFLOW__CELERY__BROKER_URL"] = env["AIRFLOW__CELERY__BROKER_URL"].replace("@redis:6379", f"@127.0.0.1:{port}")
    for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND"):  # this machine's server
        env[key] = env[key].replace("airflow:@postgres:5432/airflow", "postgres@127.0.0.1:5432/postgres")
    hostname = f"ecoflow-test-{uuid.uuid4().hex[:8]}"
    env.update({"AIRFLOW_HOME": str(tmp_path / "airflow"), "ECOFLOW_HOME": str(tmp_path / "ecoflow"),
                "HOSTNAME": hostname, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"})
    command = [str(BIN / "airflow"), *service["command"], "--celery-hostname", f"celery@{hostname}"]
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    health = service["healthcheck"]["test"]
    assert health[0] == "CMD-SHELL"
    check = health[1].replace("$$", "$")
    try:
        deadline, answered = time.monotonic() + 240, None
        while time.monotonic() < deadline and worker.poll() is None:
            answered = subprocess.run(["bash", "-c", check], env=env, capture_output=True, text=True, timeout=120)
            if answered.returncode == 0:
                break
            time.sleep(3)
        assert worker.poll() is None, (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
        assert answered is not None and answered.returncode == 0, answered.stdout + answered.stderr
        queues = subprocess.run([str(BIN / "celery"), "--app", CELERY_APP, "inspect", "active_queues", "--json",
                                 "-d", f"celery@{hostname}"], env=env, capture_output=True, text=True, timeout=120)
        assert queues.returncode == 0, queues.stderr
        served = json.loads(queues.stdout.strip().splitlines()[-1])
        assert [q["name"] for q in served[f"celery@{hostname}"]] == ["warehouse"]
    finally:
        _stop(worker)
        log.close()
