"""Adding a source touches only the places its spec says (issue 11, point 2; tasks/sources/spec.py's docstring):
its adapter module in `tasks/sources/`, one entry in `spec.py`, its suite in `expectations/`, its raw table in a
`warehouse/migrations/` file and its computation in `tasks/compute/` with its SQL.

A copy of the product's folders gets a fake fifth feed (environmental noise) in exactly those files, nothing else,
and a fresh interpreter importing `tasks` from that copy must run it end to end — `ecoflow run noise` fetches it
from a loopback feed, validates it with its suite (one row quarantined), lands it and computes it — while every
reader of the spec picks it up unedited: the adapter registry, the computations, the settings' feed URLs, the CLI,
the reports plugin, the recomputation DAG's schedule, the DAG factory and the bulletin. The steward of the new feed
is deployment configuration (`ECOFLOW_REVIEW_POLICY` names a policy file outside the repository).

What point 2 does not list yet, and this test shows: a fetched feed needs its operators' row in
`warehouse/catalogue/feed_operators.csv` (the catalogue check insists someone is told of its gaps), and to be
scheduled, a three-line file in `dags/` calling `monthly_feed_dag` (built here from the spec by the factory).
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from demo.feed_server import FeedServer

ROOT = Path(__file__).resolve().parents[2]
#: What the product reads at run time; the copy holds these and nothing else of the repository.
PRODUCT = ("tasks", "warehouse", "expectations", "dags", "plugins")
PERIOD = "2025-01"

ADAPTER = '''\
"""A fake fifth feed (tests/integration/test_fifth_source.py): a month's noise levels per site, one CSV a month."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from tasks.core.errors import ParseError
from tasks.sources.base import Parsed, RemoteFile, landed_rows

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from tasks.core.periods import Period

COLUMNS = ("period", "site_id", "region_code", "leq_day", "leq_night")
MEASURES = ("leq_day", "leq_night")


class NoiseFeedAdapter:
    name = "noise"
    title = "声环境功能区监测月报"
    suite = "noise_levels"
    raw_table = "raw.noise_levels"
    row_key = "row_id"
    column_key = "measure"
    replace_key = "file_name"

    def files(self, period: Period) -> list[RemoteFile]:
        return [RemoteFile(f"noise_{period}.csv", f"noise/{period}.csv")]

    def parse(self, name: str, content: bytes) -> Parsed:
        """One tidy row per site and measure, as every source's rows are (a quarantined level names its column)."""
        import pandas as pd

        lines = content.decode("utf-8").splitlines()
        if not lines or tuple(lines[0].split(",")) != COLUMNS:
            raise ParseError(name, "the header is not " + ",".join(COLUMNS))
        records = list(enumerate(csv.reader(io.StringIO("\\n".join(lines[1:]))), start=2))
        tidy = [{"file_name": name, "source_line": n, **dict(zip(COLUMNS[:3], row[:3])), "measure": measure,
                 "value_text": row[COLUMNS.index(measure)], "value": float(row[COLUMNS.index(measure)])}
                for n, row in records for measure in MEASURES]
        frame = pd.DataFrame(tidy)
        frame.insert(0, "row_id", range(len(frame)))
        return Parsed(frame, [], {n: lines[n - 1] for n, _ in records})

    def expectation_parameters(self, con: duckdb.DuckDBPyConnection, name: str, *, rows: pd.DataFrame | None = None,
                               period: str | None = None) -> dict[str, Any]:
        return {"period": [name.removeprefix("noise_").removesuffix(".csv")]}

    def landing_frame(self, good: pd.DataFrame, *, batch_id: str, period: str, file_name: str) -> pd.DataFrame:
        return landed_rows(good, batch_id=batch_id, period=period, file_name=file_name,
                           **{c: good[c].astype(str) for c in ("site_id", "region_code", "measure")},
                           value=good["value"].astype("float64"))
'''

COMPUTATION = '''\
"""The fake fifth feed's computation: each region's mean daytime level of the month."""

from __future__ import annotations

import duckdb

from tasks.core import sql
from tasks.core.periods import Period
from tasks.core.warehouse import transaction


def compute_period(con: duckdb.DuckDBPyConnection, period: Period) -> dict[str, int]:
    with transaction(con):
        regions = con.execute(sql.load("compute/noise_region_means"), {"period": str(period)}).fetchall()
    return {"indicator_values": 0, "noise_regions": len(regions)}
'''

MIGRATION = """\
-- The fake fifth feed (tests/integration/test_fifth_source.py): its raw table, its staging table, its mart.
CREATE TABLE raw.noise_levels (
    batch_id    TEXT NOT NULL,
    period      TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    source_line INTEGER NOT NULL,
    site_id     TEXT NOT NULL,
    region_code TEXT NOT NULL,
    measure     TEXT NOT NULL,
    value       DOUBLE NOT NULL
);
CREATE TABLE IF NOT EXISTS review.staged_noise_levels AS
    SELECT *, ''::TEXT AS review_run, false AS failed FROM raw.noise_levels LIMIT 0;
CREATE TABLE marts.noise_region_means (
    region_code  TEXT NOT NULL,
    period       TEXT NOT NULL,
    sites        INTEGER NOT NULL,
    leq_day_mean DOUBLE NOT NULL,
    PRIMARY KEY (region_code, period)
);
"""

COMPUTE_SQL = """\
-- The fake fifth feed's month per region (replaced whole on every computation).
INSERT OR REPLACE INTO marts.noise_region_means
SELECT region_code, period, count(DISTINCT site_id), round(avg(value), 1)
FROM raw.noise_levels
WHERE period = $period AND measure = 'leq_day'
GROUP BY region_code, period
RETURNING region_code
"""

SUITE = {
    "name": "noise_levels",
    "meta": {"dataset": "the fake fifth feed of tests/integration/test_fifth_source.py"},
    "expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "period", "value_set": {"$PARAMETER":
                                                                                                  "period"}},
         "meta": {"rule": "noise.period_matches_file", "reason": "the row's month is not the file's"},
         "severity": "critical"},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "value", "min_value": 20,
                                                                  "max_value": 120},
         "meta": {"rule": "noise.leq_range", "reason": "a level outside 20–120 dB(A)"}, "severity": "critical"},
    ],
}

SPEC_ENTRY = """\
    SourceSpec(name="noise", mode="fetch", adapter="tasks.sources.noise:NoiseFeedAdapter",
               computation="tasks.compute.noise", dag_id="noise_monthly", schedule="0 10 12 * *",
               label="声环境", title_zh="声环境功能区监测", value_unit="个测点月均值", review="steward"),
"""

#: The files a new source adds (the spec entry goes into tasks/sources/spec.py): point 2's list, and only it.
ADDED = {
    "tasks/sources/noise.py": ADAPTER,
    "tasks/compute/noise.py": COMPUTATION,
    "expectations/noise_levels.json": json.dumps(SUITE, ensure_ascii=False, indent=2),
    "warehouse/migrations/099_noise_levels.sql": MIGRATION,
    "warehouse/compute/noise_region_means.sql": COMPUTE_SQL,
}
ALLOWED = {*ADDED, "tasks/sources/spec.py"}
#: Beyond point 2's list, a fetched feed needs one catalogue row: who is told when its month is missing (the
#: catalogue check refuses a feed nobody operates). Only a row is appended; no code reads a list of feeds.
OPERATORS = "warehouse/catalogue/feed_operators.csv"
OPERATOR_ROW = "noise,jcz@sthjt.nmg.example.gov.cn,内蒙古自治区环境监测总站,operates the noise sites\n"

#: Hohhot's two sites and 包头's one, and a level no meter reads (quarantined by the suite).
FEED = ("period,site_id,region_code,leq_day,leq_night\n"
        f"{PERIOD},150100-N01,150100,54.2,45.1\n{PERIOD},150100-N02,150100,57.4,47.0\n"
        f"{PERIOD},150200-N01,150200,55.0,46.3\n{PERIOD},150200-N02,150200,250.0,46.0\n")

PROBE = '''\
"""Run in a fresh interpreter whose `tasks` is the copy's: the flow, then what each reader of the spec sees."""
import importlib.util
import json
import sys
from pathlib import Path

import duckdb

import tasks
from tasks import sources
from tasks.cli.commands import main as ecoflow
from tasks.compute import registry
from tasks.core import settings
from tasks.core.periods import Period
from tasks.report import bulletin
from tasks.scheduling import dag_factory

checkout, result = Path(sys.argv[1]), Path(sys.argv[2])
found = {"tasks_from": tasks.__file__}
found["run_rc"] = ecoflow(["run", "noise", "--period", "PERIOD"])
with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
    def rows(query):
        return [list(r) for r in con.execute(query).fetchall()]
    found["landed"] = rows("SELECT site_id, measure, value FROM raw.noise_levels ORDER BY ALL")
    found["quarantined"] = rows("SELECT rule, column_name FROM quarantine.row_issues WHERE severity = 'error'")
    found["means"] = rows("SELECT region_code, period, sites, leq_day_mean FROM marts.noise_region_means "
                          "ORDER BY region_code")
    found["batches"] = rows("SELECT source, period, file_name, status FROM meta.batches")
found["adapter"] = sources.get("noise").name
found["computation"] = registry.for_source("noise").__module__
found["feed_url"] = settings.load().feed_urls.get("noise")
loaded = importlib.util.spec_from_file_location("ecoflow_reports", checkout / "plugins" / "ecoflow_reports.py")
plugin = importlib.util.module_from_spec(loaded)
loaded.loader.exec_module(plugin)
found["plugin_dag"] = plugin.SOURCE_DAGS.get("noise")
found["recompute_watches"] = sorted(a.name for a in dag_factory.recompute_schedule_assets().objects)
dag = dag_factory.monthly_feed_dag(source="noise", doc_md="noise", tags=["noise"])
found["dag"] = [dag.dag_id, dag.timetable.expression, sorted(t.task_id for t in dag.tasks),
                sorted(o.name for t in dag.tasks for o in t.outlets)]
page = bulletin.write(settings.load(), Period.parse("PERIOD"), None).read_text(encoding="utf-8")
found["bulletin"] = [line for line in page.splitlines() if 'data-source="noise"' in line]
result.write_text(json.dumps(found, ensure_ascii=False), encoding="utf-8")
'''.replace("PERIOD", PERIOD)


def changed_files(copy: Path) -> set[str]:
    """Every file of the copy that the repository does not have, or has with other bytes."""
    changed = set()
    for path in copy.rglob("*"):
        rel = path.relative_to(copy)
        if path.is_file() and "__pycache__" not in rel.parts:
            original = ROOT / rel
            if not original.is_file() or not filecmp.cmp(path, original, shallow=False):
                changed.add(rel.as_posix())
    return changed


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The product's folders copied, then the fake source added in the places point 2 names (and only there)."""
    copy = tmp_path / "checkout"
    for folder in PRODUCT:
        shutil.copytree(ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for rel, text in ADDED.items():
        (copy / rel).write_text(text, encoding="utf-8")
    spec = copy / "tasks" / "sources" / "spec.py"
    text = spec.read_text(encoding="utf-8")
    end = "\n)\n\nBY_NAME"
    assert text.count(end) == 1, "SPECS no longer ends as this test expects"
    spec.write_text(text.replace(end, "\n" + SPEC_ENTRY.rstrip("\n") + end), encoding="utf-8")
    with (copy / OPERATORS).open("a", encoding="utf-8") as operators:
        operators.write(OPERATOR_ROW)
    return copy


@pytest.mark.slow
def test_a_fifth_source_needs_only_its_module_spec_entry_suite_and_sql(checkout: Path, tmp_path: Path,
                                                                        smtp_sink) -> None:
    assert changed_files(checkout) == ALLOWED | {OPERATORS}
    assert (checkout / OPERATORS).read_bytes() == (ROOT / OPERATORS).read_bytes() + OPERATOR_ROW.encode("utf-8")
    policy = tmp_path / "review_policy.csv"   # the new feed's steward, configured where the deployment keeps it
    policy.write_text((ROOT / "warehouse" / "catalogue" / "review_policy.csv").read_text(encoding="utf-8")
                      + "noise,li.na,lina@sthjt.nmg.example.gov.cn,声环境监测网,feed-noise@example.gov.cn,48,"
                        "accept_clean\n", encoding="utf-8")
    probe, result = tmp_path / "probe.py", tmp_path / "found.json"
    probe.write_text(PROBE, encoding="utf-8")

    class Noise:
        def respond(self, name: str) -> tuple[int, bytes, str]:
            if name.lstrip("/") == f"noise/{PERIOD}.csv":
                return 200, FEED.encode("utf-8"), "text/csv"
            return 404, b"not published\n", "text/plain"

        def describe(self) -> str:
            return "a fake noise feed"

    with FeedServer(publisher=Noise()) as srv:
        env = {**os.environ, "PYTHONPATH": str(checkout), "ECOFLOW_HOME": str(tmp_path / "home"),
               "ECOFLOW_NOISE_FEED_URL": srv.url, "ECOFLOW_REVIEW_POLICY": str(policy),
               "ECOFLOW_MAX_BAD_SHARE": "0.5", "AIRFLOW_HOME": str(tmp_path / "airflow"),
               "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
               "AIRFLOW_CONN_ECOFLOW_SMTP": f"smtp://127.0.0.1:{smtp_sink.port}?disable_ssl=true&disable_tls=true"
                                            "&from_email=ecoflow%40example.gov.cn"}
        proc = subprocess.run([sys.executable, str(probe), str(checkout), str(result)], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert srv.hits(f"noise/{PERIOD}.csv") == 1
        url = srv.url
    found = json.loads(result.read_text(encoding="utf-8"))
    assert Path(found["tasks_from"]).is_relative_to(checkout)   # the copy ran, not the installed product
    # fetched, validated (the impossible level quarantined by the new suite), landed and computed
    assert found["run_rc"] == 0, proc.stdout[-3000:]
    assert found["landed"] == [["150100-N01", "leq_day", 54.2], ["150100-N01", "leq_night", 45.1],
                               ["150100-N02", "leq_day", 57.4], ["150100-N02", "leq_night", 47.0],
                               ["150200-N01", "leq_day", 55.0], ["150200-N01", "leq_night", 46.3],
                               ["150200-N02", "leq_night", 46.0]]   # its impossible daytime level alone is out
    assert found["quarantined"] == [["noise.leq_range", "leq_day"]]
    assert found["means"] == [["150100", PERIOD, 2, 55.8], ["150200", PERIOD, 1, 55.0]]
    assert found["batches"] == [["noise", PERIOD, f"noise_{PERIOD}.csv", "landed"]]
    # every reader of the spec knows the new source without an edit of its own
    assert found["adapter"] == "noise" and found["computation"] == "tasks.compute.noise"
    assert found["feed_url"] == url
    assert found["plugin_dag"] == "noise_monthly"
    assert "ecoflow_noise_indicators" in found["recompute_watches"]
    assert found["dag"] == ["noise_monthly", "0 10 12 * *", ["compute", "fetch", "land", "resolve_period", "review",
                                                             "validate"], ["ecoflow_noise_indicators"]]
    [row] = found["bulletin"]
    assert "声环境" in row and "声环境功能区监测" in row
