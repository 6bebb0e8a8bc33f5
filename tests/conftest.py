"""Shared fixtures: a real feed server and SMTP sink on loopback, and an isolated ECOFLOW_HOME per test; homes that
many tests start from are built once per run and copied into each test's home."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Each evaluation writes the 月报; printing it to PDF (WeasyPrint, ~2 s a month) was a third of the suite's
#: evaluations' time and a tenth of its CPU. The tests that check the PDF an evaluation writes (the demo, the one
#: flow, the monthly report) ask for it; `ecoflow report` prints it whatever this says (tasks.core.settings).
os.environ.setdefault("ECOFLOW_MONTHLY_PDF", "0")
AIR_DATA = ROOT / "demo" / "data" / "cnemc_air"
#: pytest-xdist's worksteal hands each worker one half of the test list, in order, and balances only by stealing the
#: not yet started end of the other's queue; a worker always keeps the test after the one it runs. So the demo
#: (minutes on one worker, in a subprocess) opens the first half with short tests after it, and the modules with the
#: longest builds and runs (their durations in `make test`, longest first) open the second half: neither worker is
#: left alone with a long test at the end. Modules move whole, so a module's fixtures are set up once per worker.
DEMO = "tests/integration/test_demo_and_bench.py::test_demo_runs_every_dag_and_prints_what_happened"
LONG_MODULES = (
    "tests/dags/test_dags_test.py",
    "tests/integration/test_waste_pipeline.py",
    "tests/integration/test_bulletin.py",
    "tests/integration/test_water_pipeline.py",
    "tests/faults/test_fuzz.py",
    "tests/integration/test_alert_digests.py",
    "tests/integration/test_monthly_report.py",
    "tests/integration/test_alert_year_replay.py",
    "tests/integration/test_backup.py",
    "tests/integration/test_evaluation.py",
    "tests/integration/test_celery_native.py",
    "tests/integration/test_compose.py",
    "tests/integration/test_fifth_source.py",
)
REAL_MONTH = AIR_DATA / "inner_mongolia_2019-01"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The demo first, then tests in collection order up to the middle, where LONG_MODULES start (in their order),
    then the rest: the same order on every worker, as xdist requires."""
    def rank(item: pytest.Item) -> int:
        for i, module in enumerate(LONG_MODULES):
            if item.nodeid.startswith(f"{module}::"):
                return i
        return len(LONG_MODULES)

    demo = [i for i in items if i.nodeid == DEMO]
    long = sorted((i for i in items if i.nodeid != DEMO and rank(i) < len(LONG_MODULES)), key=rank)
    rest = [i for i in items if i.nodeid != DEMO and rank(i) == len(LONG_MODULES)]
    before_long = max(0, min(len(rest), len(items) // 2 - len(demo)))
    items[:] = demo + rest[:before_long] + long + rest[before_long:]


@pytest.fixture
def air_files(tmp_path: Path) -> Path:
    """A writable copy of the real January 2019 files that a test may damage."""
    target = tmp_path / "feed"
    shutil.copytree(REAL_MONTH, target)
    return target


@pytest.fixture
def smtp_sink(tmp_path: Path) -> Iterator:
    from demo.smtp_sink import SmtpSink

    with SmtpSink(tmp_path / "smtp-outbox") as sink:
        yield sink


@pytest.fixture
def eco_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_sink) -> Path:
    """ECOFLOW_HOME under tmp_path and an SMTP connection to the sink; the feed URL is set by each test."""
    home = tmp_path / "home"
    monkeypatch.setenv("ECOFLOW_HOME", str(home))
    monkeypatch.setenv("ECOFLOW_HTTP_TIMEOUT", "5")
    monkeypatch.setenv("ECOFLOW_HTTP_RETRIES", "3")
    monkeypatch.setenv("AIRFLOW_CONN_ECOFLOW_SMTP",
                       f"smtp://127.0.0.1:{smtp_sink.port}?disable_ssl=true&disable_tls=true"
                       "&from_email=ecoflow%40example.gov.cn")
    monkeypatch.delenv("ECOFLOW_AIR_FEED_URL", raising=False)
    return home


#: builds a home: called with the home (ECOFLOW_HOME, empty) and a MonkeyPatch holding the build's environment;
#: what it returns (JSON) is handed to every test that copies the home
Build = Callable[[Path, pytest.MonkeyPatch], Any]


@contextlib.contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's temporary folder that both xdist workers see (each worker's basetemp is a folder inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, Build, Path], Any]:
    """`built_home(name, build, into)`: copies into `into` (a test's ECOFLOW_HOME) the home `build` makes, and
    returns what `build` returned. Each home is made once per run, by whichever worker asks first (the other waits
    for it rather than making it again — the months of data many tests start from are the suite's biggest cost),
    and never changed after: every test works on its own copy.

    The build runs with the environment eco_env gives a test (an SMTP sink of its own, the same HTTP settings, no
    feed URL left behind), so the copy holds what the same steps make in the test's home. The mails the build sent
    are not in the test's sink: tests that look at them keep building their own."""
    root = _shared_root(tmp_path_factory)

    def get(name: str, build: Build, into: Path) -> Any:
        folder = root / f"built-{name}"
        with _exclusive(root / f"built-{name}.lock"):
            if not (folder / "built.json").exists():
                shutil.rmtree(folder, ignore_errors=True)   # a build that failed half way is made again
                from demo.smtp_sink import SmtpSink

                with pytest.MonkeyPatch.context() as mp, SmtpSink(folder / "smtp-outbox") as sink:
                    mp.setenv("ECOFLOW_HOME", str(folder / "home"))
                    mp.setenv("ECOFLOW_HTTP_TIMEOUT", "5")
                    mp.setenv("ECOFLOW_HTTP_RETRIES", "3")
                    mp.setenv("AIRFLOW_CONN_ECOFLOW_SMTP",
                              f"smtp://127.0.0.1:{sink.port}?disable_ssl=true&disable_tls=true"
                              "&from_email=ecoflow%40example.gov.cn")
                    for feed in ("AIR", "WATER", "WASTE"):
                        mp.delenv(f"ECOFLOW_{feed}_FEED_URL", raising=False)
                    made = build(folder / "home", mp)
                (folder / "built.json").write_text(json.dumps(made), encoding="utf-8")
        shutil.copytree(folder / "home", into, dirs_exist_ok=True)
        _rehomed(into, folder / "home")
        return json.loads((folder / "built.json").read_text(encoding="utf-8"))

    return get


def _rehomed(home: Path, built: Path) -> None:
    """The paths the copied warehouse holds (archive_path, report_path, …) pointed into the home the build made:
    point them into the copy, as a restore does, so a test sees what the same steps make in its own home."""
    warehouse = home / "warehouse.duckdb"
    if warehouse.exists():
        import duckdb

        from tasks.flow.backup import rehome

        with duckdb.connect(str(warehouse)) as con:
            rehome(con, str(built), str(home))
