"""Production deployment: docker-compose.yml checked statically, and its init script run natively on PostgreSQL.

There is no Docker engine here (PITFALLS.md), so the compose file is parsed and checked, and the `airflow-init`
service's script (deploy/airflow-init.sh) runs on this machine against a fresh PostgreSQL database with the
compose file's own AIRFLOW__ settings. PostgreSQL (127.0.0.1:5432, user postgres, trust) is started by CI: if
it is not reachable the test fails, it does not skip.
"""

from __future__ import annotations

import json
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
from cryptography.fernet import Fernet

from tests.review.native_stack import fresh_database

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
INIT_SCRIPT = ROOT / "deploy" / "airflow-init.sh"
BIN = Path(sys.executable).parent
IMAGE_ROOT = "/opt/ecoflow"  # where deploy/Dockerfile copies the repository
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
SCHEMA = ROOT / "deploy" / "schema" / "compose-spec.json"
ENV_EXAMPLE = ROOT / ".env.example"
AIRFLOW_SERVICES = {"airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer", "airflow-worker", "airflow-worker-warehouse"}
COMMANDS = {"airflow-apiserver": ["api-server"], "airflow-scheduler": ["scheduler"],
            "airflow-dag-processor": ["dag-processor"], "airflow-triggerer": ["triggerer"],
            "airflow-worker": ["celery", "worker", "--queues", "default"],
            "airflow-worker-warehouse": ["celery", "worker", "--queues", "warehouse", "--concurrency", "4"]}
#: Services that mount ECOFLOW_HOME: the one worker of the `warehouse` queue, and the API server (its plugin
#: serves the validation reports). The scalable workers must not: a second writer of the DuckDB file.
HOME_SERVICES = {"airflow-apiserver", "airflow-worker-warehouse"}
SECRET_NAMES = re.compile(r"AIRFLOW_CONN_|SMTP|FEED|PASSWORD|SECRET", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else list(command)


def _interpolate(value: str, env: dict[str, str] | None = None) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?message} with `env` standing for .env."""
    env = env or {}
    return re.sub(r"\$\{(\w+)(?::?[-?]([^}]*))?\}", lambda m: env.get(m.group(1)) or "", value)


def _variables() -> dict[str, str]:
    """Every ${VAR…} docker-compose.yml refers to, with the operator after the name ('' when none)."""
    text = "\n".join(line for line in COMPOSE_FILE.read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith("#"))
    return {m.group(1): m.group(2) or "" for m in re.finditer(r"(?<!\$)\$\{(\w+)(:?[-?])?", text)}  # $$: literal


# --- the compose file against the Compose Specification ------------------------------------------------------


def test_compose_file_is_valid_against_the_compose_specification(compose) -> None:
    import jsonschema

    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_check_catches_a_wrong_file(compose) -> None:
    import jsonschema

    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    broken = json.loads(json.dumps(compose))
    broken["services"]["airflow-worker"]["depends_on"] = "postgres"  # a list or a mapping
    broken["services"]["redis"]["restart_policy"] = "always"
    messages = sorted(e.message for e in validator.iter_errors(broken))
    assert len(messages) == 2 and any("restart_policy" in m for m in messages)


def test_every_variable_is_required_and_documented_in_env_example() -> None:
    variables = _variables()
    assert {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET"} <= set(variables)
    assert {name: op for name, op in variables.items() if op != ":?"} == {}  # no default for anything
    documented = set(re.findall(r"^(\w+)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.MULTILINE))
    assert set(variables) <= documented
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):  # every variable comes with a comment saying what it is
        if re.match(r"^\w+=", line):
            above = [ln for ln in lines[:index] if ln.strip()]
            assert above and (above[-1].startswith("#") or re.match(r"^\w+=", above[-1])), line
    secrets = [ln for ln in lines if re.match(r"^\w*(PASSWORD|SECRET|FERNET|_KEY)\w*=", ln)]
    assert secrets and all(ln.split("=", 1)[1] == "" for ln in secrets)  # the example holds no secret


def test_celery_on_redis_and_postgresql(compose) -> None:
    for name in AIRFLOW_SERVICES:
        env = compose["services"][name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:${REDIS_PASSWORD:?"), name
        assert "@redis:6379/" in env["AIRFLOW__CELERY__BROKER_URL"]
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://airflow:${POSTGRES_PASSWORD:?")
        assert env["AIRFLOW__CORE__AUTH_MANAGER"] == "tasks.scheduling.fab_auth.StewardFabAuthManager", name
        depends = compose["services"][name]["depends_on"]
        assert depends["postgres"]["condition"] == depends["redis"]["condition"] == "service_healthy", name
    assert compose["services"]["redis"]["image"].startswith("redis:")


def test_workers_scale_and_only_the_warehouse_worker_holds_the_warehouse(compose) -> None:
    from tasks.scheduling.dag_factory import WRITE

    services = compose["services"]
    assert "container_name" not in services["airflow-worker"]  # `--scale airflow-worker=3` needs no fixed name
    assert "ports" not in services["airflow-worker"]
    assert WRITE["queue"] in _command(services["airflow-worker-warehouse"])
    assert WRITE["queue"] not in _command(services["airflow-worker"])
    mounting = {name for name, svc in services.items()
                if any(str(v).startswith("ecoflow-home:") for v in svc.get("volumes") or [])}
    assert mounting == HOME_SERVICES


def test_every_long_running_service_has_a_healthcheck(compose) -> None:
    for name, service in compose["services"].items():
        if name == "airflow-init":
            continue
        test = service["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, name


def test_mailpit_only_in_the_staging_profile(compose) -> None:
    mailpit = compose["services"]["mailpit"]
    assert mailpit["profiles"] == ["staging"] and mailpit["image"].startswith("axllent/mailpit:")
    assert all("profiles" not in svc for name, svc in compose["services"].items() if name != "mailpit")


# --- the compose file ------------------------------------------------------------------------------------------


def test_services(compose) -> None:
    assert set(compose["services"]) == {"postgres", "redis", "mailpit", *AIRFLOW_SERVICES}


@pytest.mark.parametrize(("name", "command"), sorted(COMMANDS.items()))
def test_airflow_components_run_their_command(compose, name: str, command: list[str]) -> None:
    assert _command(compose["services"][name]) == command


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


def test_ecoflow_home_is_on_a_named_volume(compose) -> None:
    named = set(compose.get("volumes") or {})
    for name in HOME_SERVICES:
        service = compose["services"][name]
        home = service["environment"]["ECOFLOW_HOME"]
        mounts = [v.split(":") for v in service["volumes"] if isinstance(v, str)]
        assert [m[0] for m in mounts if len(m) >= 2 and m[1] == home and m[0] in named], (name, home, mounts)


def test_the_submissions_inbox_is_a_host_folder_inside_ecoflow_home(compose) -> None:
    # departments drop files on a shared drive; the inbox DAG reads ECOFLOW_HOME/inbox (the default)
    for name in HOME_SERVICES:
        service = compose["services"][name]
        home = service["environment"]["ECOFLOW_HOME"]
        assert f"${{ECOFLOW_INBOX_DIR:?set ECOFLOW_INBOX_DIR in .env}}:{home}/inbox" in service["volumes"], name
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


@pytest.fixture
def metadata_db() -> Iterator[str]:
    with fresh_database("ecoflow_init") as name:
        yield name


def test_init_script_prepares_a_fresh_postgresql_metadata_database(compose, metadata_db: str, tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ECOFLOW_"))}
    dot_env = {"POSTGRES_PASSWORD": "unused", "REDIS_PASSWORD": "unused", "AIRFLOW_BASE_URL": "http://localhost:8080",
               "AIRFLOW_JWT_SECRET": uuid.uuid4().hex, "AIRFLOW_API_SECRET_KEY": uuid.uuid4().hex,
               "AIRFLOW_FERNET_KEY": Fernet.generate_key().decode(), "ECOFLOW_ADMIN_USERNAME": "admin",
               "ECOFLOW_ADMIN_PASSWORD": uuid.uuid4().hex, "ECOFLOW_ADMIN_EMAIL": "admin@example.gov.cn"}
    for key, value in compose["services"]["airflow-init"]["environment"].items():
        if key.startswith(("AIRFLOW__", "ECOFLOW_ADMIN_")):
            env[key] = _interpolate(str(value), dot_env).replace(IMAGE_ROOT, str(ROOT))
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
            cur.execute("SELECT name FROM ab_role")
            roles = {r[0] for r in cur.fetchall()}
            cur.execute("SELECT a.name FROM ab_role r JOIN ab_permission_view_role pvr ON pvr.role_id = r.id "
                        "JOIN ab_permission_view pv ON pv.id = pvr.permission_view_id "
                        "JOIN ab_permission a ON a.id = pv.permission_id JOIN ab_view_menu v ON v.id = pv.view_menu_id "
                        "WHERE r.name = 'Steward' AND v.name = 'HITL Detail' ORDER BY 1")
            steward = cur.fetchall()
            cur.execute("SELECT u.username, r.name FROM ab_user u JOIN ab_user_role ur ON ur.user_id = u.id "
                        "JOIN ab_role r ON r.id = ur.role_id")
            admins = cur.fetchall()
    finally:
        con.close()
    assert pools == [(1,)]
    assert roles >= {"Admin", "Op", "Viewer", "Steward"}
    assert steward == [("can_edit",), ("can_read",)]
    assert admins == [("admin", "Admin")]
    assert serialized, "air_quality_monthly was not serialized"
    assert dags == [(False,)]
    assert import_errors == 0
