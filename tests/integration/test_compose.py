"""Production deployment: docker-compose.yml checked statically, and its init script run natively on PostgreSQL.

There is no Docker engine here (PITFALLS.md), so the compose file is parsed and checked, and the `airflow-init`
service's script (deploy/airflow-init.sh) runs on this machine against a fresh PostgreSQL database with the
compose file's own AIRFLOW__ settings. PostgreSQL (127.0.0.1:5432, user postgres, trust) is started by CI: if
it is not reachable the test fails, it does not skip.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
INIT_SCRIPT = ROOT / "deploy" / "airflow-init.sh"
BIN = Path(sys.executable).parent
IMAGE_ROOT = "/opt/ecoflow"  # where deploy/Dockerfile copies the repository
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
AIRFLOW_SERVICES = {"airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer"}
COMMANDS = {"airflow-apiserver": "api-server", "airflow-scheduler": "scheduler",
            "airflow-dag-processor": "dag-processor", "airflow-triggerer": "triggerer"}
SECRET_NAMES = re.compile(r"AIRFLOW_CONN_|SMTP|FEED|PASSWORD|SECRET", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else list(command)


def _interpolate(value: str) -> str:
    """Compose's ${VAR:-default} with an environment that has none of the variables (no .env here)."""
    return re.sub(r"\$\{(\w+)(?::?-([^}]*))?\}", lambda m: os.environ.get(m.group(1)) or (m.group(2) or ""), value)


# --- the compose file ------------------------------------------------------------------------------------------


def test_services(compose) -> None:
    assert set(compose["services"]) == {"postgres", *AIRFLOW_SERVICES}


@pytest.mark.parametrize(("name", "command"), sorted(COMMANDS.items()))
def test_airflow_components_run_their_command(compose, name: str, command: str) -> None:
    assert _command(compose["services"][name]) == [command]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_components_wait_for_the_init_service(compose, name: str) -> None:
    depends = compose["services"][name]["depends_on"]
    assert depends["airflow-init"]["condition"] == "service_completed_successfully"


def test_airflow_init_runs_the_init_script(compose) -> None:
    init = compose["services"]["airflow-init"]
    [script] = [part for part in [init.get("entrypoint", ""), *_command(init)] if part.endswith(".sh")]
    assert script.startswith(IMAGE_ROOT + "/")
    assert ROOT / script.removeprefix(IMAGE_ROOT + "/") == INIT_SCRIPT
    assert INIT_SCRIPT.is_file()
    assert re.search(rf"^COPY\b.*\s\.\s+{re.escape(IMAGE_ROOT)}\s*$", DOCKERFILE.read_text(), re.MULTILINE)
    assert compose["services"]["airflow-init"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_metadata_database_is_postgresql(compose) -> None:
    assert compose["services"]["postgres"]["image"].startswith("postgres:")
    for name in AIRFLOW_SERVICES:
        env = compose["services"][name]["environment"]
        conn = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert conn.startswith("postgresql"), (name, conn)
        assert "@postgres:5432/" in conn, (name, conn)
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"


def test_ecoflow_home_is_on_a_named_volume(compose) -> None:
    named = set(compose.get("volumes") or {})
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        home = service["environment"]["ECOFLOW_HOME"]
        mounts = [v.split(":") for v in service["volumes"] if isinstance(v, str)]
        assert [m[0] for m in mounts if len(m) >= 2 and m[1] == home and m[0] in named], (name, home, mounts)


def test_the_submissions_inbox_is_a_host_folder_inside_ecoflow_home(compose) -> None:
    # departments drop files on a shared drive; the inbox DAG reads ECOFLOW_HOME/inbox (the default)
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        home = service["environment"]["ECOFLOW_HOME"]
        assert f"${{ECOFLOW_INBOX_DIR:-./inbox}}:{home}/inbox" in service["volumes"], name
        assert "ECOFLOW_INBOX" not in service["environment"]


def test_no_smtp_or_feed_secret_is_hard_coded(compose) -> None:
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        for key, value in env.items():
            assert not key.startswith("AIRFLOW_CONN_"), (name, key)
            assert key != "ECOFLOW_AIR_FEED_URL", (name, key)
            if SECRET_NAMES.search(key):
                assert str(value).startswith("${"), f"{name}: {key} is hard-coded, take it from .env"
        if name in AIRFLOW_SERVICES:
            assert any((f if isinstance(f, str) else f["path"]) == ".env" for f in service["env_file"]), name
    code = [line for line in COMPOSE_FILE.read_text(encoding="utf-8").splitlines()
            if not line.lstrip().startswith("#")]
    assert not [line for line in code if "smtp://" in line or "AIRFLOW_CONN_" in line]
    assert not re.search(r"^\s*ENV\s.*(AIRFLOW_CONN_|SMTP|FEED_URL)", DOCKERFILE.read_text(), re.MULTILINE)


def test_env_file_with_the_secrets_is_git_ignored() -> None:
    proc = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, ".env (feed and SMTP secrets, docker-compose.yml) is not in .gitignore"


def test_env_file_with_the_secrets_stays_out_of_the_image() -> None:
    # deploy/Dockerfile copies the whole build context (COPY . /opt/ecoflow), .env included unless ignored.
    ignore = ROOT / ".dockerignore"
    patterns = ignore.read_text().split() if ignore.exists() else []
    assert ".env" in patterns or "**/.env" in patterns, ".env is not in .dockerignore: COPY . bakes it in the image"


# --- the init script, natively ---------------------------------------------------------------------------------


def _admin() -> psycopg2.extensions.connection:
    try:
        con = psycopg2.connect(dbname="postgres", connect_timeout=5, **PG)
    except psycopg2.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG['host']}:{PG['port']} as user {PG['user']} "
                    f"(CI starts it; locally: start the postgresql service): {exc}")
    con.autocommit = True
    return con


@pytest.fixture
def metadata_db() -> Iterator[str]:
    name = f"ecoflow_init_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_init_script_prepares_a_fresh_postgresql_metadata_database(compose, metadata_db: str, tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ECOFLOW_"))}
    for key, value in compose["services"]["airflow-init"]["environment"].items():
        if key.startswith("AIRFLOW__"):
            env[key] = _interpolate(str(value)).replace(IMAGE_ROOT, str(ROOT))
    env.update({
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{PG['user']}@{PG['host']}:{PG['port']}/"
                                               f"{metadata_db}",
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "ECOFLOW_HOME": str(tmp_path / "ecoflow"),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(ROOT / "dags")
    proc = subprocess.run(["bash", str(INIT_SCRIPT)], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, (f"deploy/airflow-init.sh exited {proc.returncode}\n--- stdout ---\n"
                                  f"{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}")

    con = psycopg2.connect(dbname=metadata_db, connect_timeout=5, **PG)
    try:
        with con.cursor() as cur:
            cur.execute("SELECT slots FROM slot_pool WHERE pool = 'warehouse'")
            pools = cur.fetchall()
            cur.execute("SELECT dag_id FROM serialized_dag WHERE dag_id = 'air_quality_monthly'")
            serialized = cur.fetchall()
            cur.execute("SELECT is_stale FROM dag WHERE dag_id = 'air_quality_monthly'")
            dags = cur.fetchall()
            cur.execute("SELECT count(*) FROM import_error")
            import_errors = cur.fetchall()[0][0]
    finally:
        con.close()
    assert pools == [(1,)]
    assert serialized, "air_quality_monthly was not serialized"
    assert dags == [(False,)]
    assert import_errors == 0
