"""The fault suite's shared parts: a stored state to damage, a snapshot of everything stored, and the record of
each fault's outcome that docs/reliability.md is written from (`make reliability`).

Every fault test starts from a copy of one stored home (air: two small days of January 2019 landed and computed),
injects one fault through the real parts (loopback feed server, inbox folder, SMTP server, the OS boundary), and
calls `fault.check(...)`: nothing stored may be lost or doubled, and the message must name the file and the rule.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from tasks.core import settings

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / ".ecoflow" / "faults-last-run.json"
#: Five real Hohhot stations: small synthetic days (fast to validate) that the catalogue knows.
STATIONS = ["1090A", "1091A", "1094A", "1095A", "1096A"]
STORED_LAST_DAY = date(2019, 1, 2)
#: What is stored, by table: the columns that identify a stored value (with the value).
TABLES = {
    "raw.cnemc_air_hourly": "obs_date, hour, type, station_code, value",
    "raw.waste_quantities": "facility_id, item, value",
    "raw.water_readings": "file_name, source_line, parameter, value_text",  # a capture repeats readings: by line
    "raw.submission_values": "file_name, indicator_code, value",
    "meta.inbox_files": "file_id, sha256, outcome",   # every delivery is recorded, the same bytes twice too
}


def stored_values() -> Counter:
    """Every stored value of every raw table (and every recorded inbox file), as a multiset."""
    path = settings.load().warehouse_path
    if not path.exists():
        return Counter()
    found: Counter = Counter()
    with duckdb.connect(str(path), read_only=True) as con:
        for table, cols in TABLES.items():
            for row in con.execute(f"SELECT {cols} FROM {table}").fetchall():
                found[(table, *row)] += 1
    return found


@dataclass
class FaultRecord:
    id: str
    source: str
    fault: str
    product_does: str
    passed: bool = False
    lost: int = 0
    doubled: int = 0
    message: str = ""


_RECORDS: list[FaultRecord] = []


@dataclass
class Fault:
    """One injected fault: `check` compares what is stored with the snapshot taken before the fault."""

    record: FaultRecord
    before: Counter = field(default_factory=Counter)

    def snapshot(self) -> None:
        self.before = stored_values()

    def check(self, message: str = "", *, names: tuple[str, ...] = (), added: int = 0) -> None:
        """Nothing lost, nothing doubled (`added` new values expected, none of them twice); `message` names
        every string of `names` (the file and the rule)."""
        after = stored_values()
        lost = sum((self.before - after).values())
        new = after - self.before
        doubled = sum(n - 1 for n in after.values() if n > 1) - sum(n - 1 for n in self.before.values() if n > 1)
        self.record.lost, self.record.doubled, self.record.message = lost, max(doubled, 0), message[:300]
        assert lost == 0, f"{lost} stored values lost"
        assert doubled <= 0, f"{doubled} stored values doubled"
        assert sum(new.values()) == added, f"expected {added} new stored values, got {sum(new.values())}"
        for needle in names:
            assert needle in message, f"message does not name {needle!r}: {message}"
        self.record.passed = True


@pytest.fixture(scope="session")
def stored_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with two small days of January 2019 landed and computed (made once, copied by each fault)."""
    from demo.feed_server import FeedServer
    from tasks.core.periods import Period
    from tasks.flow import pipeline

    base = tmp_path_factory.mktemp("stored")
    with pytest.MonkeyPatch.context() as mp, \
            FeedServer(None, stations=STATIONS, last_day=STORED_LAST_DAY) as srv:
        mp.setenv("ECOFLOW_HOME", str(base / "home"))
        mp.setenv("ECOFLOW_AIR_FEED_URL", srv.url)
        mp.delenv("AIRFLOW_CONN_ECOFLOW_SMTP", raising=False)
        pipeline.run(settings.load(), "air", Period.parse("2019-01"))
    return base / "home"


@pytest.fixture
def home(stored_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the stored home as ECOFLOW_HOME, with quick HTTP settings."""
    target = tmp_path / "home"
    shutil.copytree(stored_home, target)
    monkeypatch.setenv("ECOFLOW_HOME", str(target))
    monkeypatch.setenv("ECOFLOW_HTTP_TIMEOUT", "2")
    monkeypatch.setenv("ECOFLOW_HTTP_RETRIES", "2")
    monkeypatch.setenv("ECOFLOW_LOCK_WAIT", "0")
    monkeypatch.delenv("AIRFLOW_CONN_ECOFLOW_SMTP", raising=False)
    for name in ("ECOFLOW_AIR_FEED_URL", "ECOFLOW_WASTE_FEED_URL", "ECOFLOW_WATER_FEED_URL"):
        monkeypatch.delenv(name, raising=False)
    return target


@pytest.fixture
def fault(request: pytest.FixtureRequest, home: Path) -> Iterator[Fault]:
    marker = request.node.get_closest_marker("fault")
    assert marker is not None, "every fault test says what it injects: @pytest.mark.fault(source, fault, does)"
    source, what, does = marker.args
    record = FaultRecord(request.node.name, source, what, does)
    _RECORDS.append(record)
    one = Fault(record)
    one.snapshot()
    yield one


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fault(source, fault, product_does): one injected fault of the suite")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _RECORDS or os.environ.get("PYTEST_XDIST_WORKER"):
        return   # a worker of `make test` saw only part of the suite; `make reliability` runs it in one process
    RESULTS.parent.mkdir(exist_ok=True)
    fuzz = json.loads(FUZZ.read_text()) if FUZZ.exists() else {}
    finished = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    RESULTS.write_text(json.dumps({"finished": finished, "faults": [asdict(r) for r in _RECORDS], "fuzz": fuzz},
                                  ensure_ascii=False, indent=1))
    if os.environ.get("ECOFLOW_WRITE_RELIABILITY"):
        from tests.faults.reliability import write

        write(RESULTS)


FUZZ = ROOT / ".ecoflow" / "fuzz-last-run.json"
