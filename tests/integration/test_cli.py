"""`ecoflow` as an operator uses it: run a month, read the indicator values, see what ran; one-line errors.

The read commands share one small landed period (three real days of January 2019: one not published, one cut
off mid-line), produced once by `ecoflow run` in this module.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from demo.feed_server import FeedServer
from tasks.cli import commands as cli

PERIOD = "2019-01"
REAL_MONTH = Path(__file__).resolve().parents[2] / "demo" / "data" / "cnemc_air" / "inner_mongolia_2019-01"
D1, D2, D3 = (f"china_sites_201901{d:02d}.csv" for d in (1, 2, 3))


@dataclass
class Landed:
    home: Path
    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Landed:
    """`ecoflow run air --period 2019-01` once: day 2 is 404, day 3 is cut off in the middle of line 200."""
    base = tmp_path_factory.mktemp("cli")
    feed_dir = base / "feed"
    shutil.copytree(REAL_MONTH, feed_dir)
    lines = (feed_dir / D3).read_bytes().split(b"\r\n")
    cut = sum(len(line) + 2 for line in lines[:199]) + len(lines[199]) // 2
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp, \
            FeedServer(feed_dir, last_day=date(2019, 1, 3), missing={D2}, truncate={D3: cut}) as srv:
        mp.setenv("ECOFLOW_HOME", str(base / "home"))
        mp.setenv("ECOFLOW_AIR_FEED_URL", srv.url)
        mp.delenv("AIRFLOW_CONN_ECOFLOW_SMTP", raising=False)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["run", "air", "--period", PERIOD])
    return Landed(base / "home", code, out.getvalue(), err.getvalue())


@pytest.fixture
def home(landed: Landed, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ECOFLOW_HOME", str(landed.home))
    return landed.home


def query(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def run_cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_run_prints_the_summary_and_exits_0(landed: Landed) -> None:
    assert landed.code == 0
    rows, rejected = query(landed.home, "SELECT sum(rows_landed), sum(rows_rejected) FROM meta.batches")[0]
    (raw_rows,), = query(landed.home, "SELECT count(*) FROM raw.cnemc_air_hourly WHERE period = ?", [PERIOD])
    (values,), = query(landed.home, "SELECT count(*) FROM marts.indicator_values WHERE period = ?", [PERIOD])
    assert rows == raw_rows > 0 and rejected > 0 and values > 0
    out = landed.out
    assert out.startswith(f"air {PERIOD}: run air-{PERIOD}-")
    assert "files landed: 2; not published (404): 29 (" in out
    assert D2 in out
    assert f"values landed: {raw_rows}; quarantined: {rejected};" in out
    assert f"indicator values written: {values}" in out
    assert "alerts sent: 0; pending: 0" in out


REQUIRED = {"indicator_code", "region_code", "period", "period_type", "value", "numerator", "denominator",
            "coverage_ok"}


def test_indicators_json_is_an_array_of_records(home: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, "indicators", "--period", PERIOD, "--json")
    assert code == 0
    records = json.loads(out)
    assert isinstance(records, list)
    assert len(records) == query(home, "SELECT count(*) FROM marts.indicator_values WHERE variant = 'raw'")[0][0]
    for r in records:
        assert set(r) >= REQUIRED
        assert r["period"] == PERIOD
        assert r["period_type"] in {"month", "ytd", "r12"}
        assert r["value"] is None or isinstance(r["value"], int | float)
        assert isinstance(r["denominator"], int | float)
        assert isinstance(r["coverage_ok"], bool)
    assert {r["period_type"] for r in records} == {"month", "ytd", "r12"}
    assert {r["region_code"] for r in records} >= {"150000", "150100"}
    assert not any(r["coverage_ok"] for r in records)  # two days of 31


def test_indicators_region_filter(home: Path, capsys) -> None:
    _, out_all, _ = run_cli(capsys, "indicators", "--period", PERIOD, "--json")
    code, out, _ = run_cli(capsys, "indicators", "--period", PERIOD, "--region", "150100", "--json")
    assert code == 0
    records = json.loads(out)
    assert records
    assert {r["region_code"] for r in records} == {"150100"}
    assert records == [r for r in json.loads(out_all) if r["region_code"] == "150100"]
    expected = dict(query(home, "SELECT indicator_code || '/' || period_type, value FROM marts.indicator_values "
                                "WHERE region_code = '150100' AND variant = 'raw'"))
    assert {f"{r['indicator_code']}/{r['period_type']}": r["value"] for r in records} == expected


def test_indicators_table_prints_the_chinese_region_name(home: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, "indicators", "--period", PERIOD, "--region", "150100")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["region", "name", "no", "indicator"]
    body = lines[2:]
    assert len(body) == 6  # two indicators: month, year-to-date and rolling 12 months
    assert all(line.split()[:2] == ["150100", "呼和浩特市"] for line in body)
    (pm25,), = query(home, "SELECT value FROM marts.indicator_values WHERE region_code = '150100' "
                           "AND indicator_code = 'air_pm25_mean' AND period_type = 'month' AND variant = 'raw'")
    assert any("air_pm25_mean" in line and f" {pm25:.1f} " in line for line in body)


def test_status_shows_files_missing_and_quarantined(home: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, "status")
    assert code == 0
    lines = out.splitlines()
    header = lines[0].split()
    assert header[:7] == ["source", "period", "status", "files", "landed", "missing", "failed"]
    row = next(line.split() for line in lines if line.startswith("air") and PERIOD in line)
    (rejected,), = query(home, "SELECT sum(rows_rejected) FROM meta.batches")
    # source period status files landed missing failed rows-landed quarantined warnings
    assert row[:7] == ["air", PERIOD, "computed", "31", "2", "29", "0"]
    assert int(row[8]) == rejected > 0
    missing = next(line for line in lines if "missing (not published)" in line)
    assert D2 in missing and D1 not in missing and D3 not in missing
    rule_line = next(line for line in lines if "parse.field_count" in line)
    assert f"{D3}:200" in rule_line


# ---- errors: one line on stderr, non-zero exit --------------------------------------------------------------

def _one_line_error(code: int, out: str, err: str) -> str:
    assert code != 0
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ecoflow: error: ")
    return lines[0]


@pytest.mark.parametrize("argv", [
    ["run", "air", "--period", "2019-13"],
    ["indicators", "--period", "2019-13"],
    ["status", "--period", "2019-13"],
], ids=["run", "indicators", "status"])
def test_bad_period_is_a_one_line_error(argv, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", "http://127.0.0.1:9")
    line = _one_line_error(*run_cli(capsys, *argv))
    assert "'2019-13'" in line and "YYYY-MM" in line


def test_no_feed_configured_is_a_one_line_error(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    monkeypatch.delenv("ECOFLOW_AIR_FEED_URL", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_ECOFLOW_AIR_FEED", raising=False)
    line = _one_line_error(*run_cli(capsys, "run", "air", "--period", PERIOD))
    assert "ECOFLOW_AIR_FEED_URL" in line
    assert "ecoflow_air_feed" in line


def test_indicators_before_any_run_is_a_one_line_error(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path / "home"))
    line = _one_line_error(*run_cli(capsys, "indicators", "--period", PERIOD))
    assert "no warehouse" in line
    assert str(tmp_path / "home" / "warehouse.duckdb") in line
    assert not (tmp_path / "home" / "warehouse.duckdb").exists()


def test_catalogue_check_passes_on_the_repository_and_names_each_problem(capsys, tmp_path: Path) -> None:
    from tasks.catalogue.check import CATALOGUE_DIR

    code, out, _ = run_cli(capsys, "catalogue", "check")
    assert code == 0 and "no problems" in out
    broken = tmp_path / "catalogue"
    broken.mkdir()
    for path in CATALOGUE_DIR.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        if path.name == "targets.csv":
            text = text.replace("150100,air_good_day_ratio,2025,value,>=,84.9",
                                "150100,air_good_day_ratio,2025,value,>=,x")
        (broken / path.name).write_text(text, encoding="utf-8")
    code, out, err = run_cli(capsys, "catalogue", "check", "--folder", str(broken))
    assert code == 2
    [line] = out.splitlines()
    assert line.startswith("targets.csv:") and "target_value: 'x' is not a number" in line
    assert "1 problem(s)" in err


def test_backfill_runs_each_month_in_order_with_a_progress_bar(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """`--through`: December 2018 has nothing published (named as failed, exit 2), January 2019 lands; stdout
    carries only the JSON, the progress bar goes to stderr."""
    feed = tmp_path / "feed"
    shutil.copytree(REAL_MONTH, feed)
    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AIRFLOW_CONN_ECOFLOW_SMTP", raising=False)
    with FeedServer(feed, last_day=date(2019, 1, 2), missing={f"china_sites_201812{d:02d}.csv" for d in
                                                              range(1, 32)}) as srv:
        monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", srv.url)
        code, out, err = run_cli(capsys, "run", "air", "--period", "2018-12", "--through", "2019-01", "--json")
    assert code == 2
    result = json.loads(out)
    assert [m["period"] for m in result["months"]] == ["2019-01"] and result["months"][0]["rows_landed"] > 0
    assert [f["period"] for f in result["failed"]] == ["2018-12"] and "2018-12" in result["failed"][0]["error"]
    bars = [line for line in err.splitlines() if line.startswith("回填 air")]
    assert [b.split("（")[1][:7] for b in bars] == ["2018-12", "2019-01", "2019-01"]
    assert bars[-1].endswith("完成") and "100.0%" in bars[-1] and "第 2/2 月" in bars[-1]
    assert query(tmp_path / "home", "SELECT DISTINCT period FROM raw.cnemc_air_hourly") == [("2019-01",)]


def test_backfill_refuses_an_end_before_its_start(capsys: pytest.CaptureFixture) -> None:
    code, out, err = run_cli(capsys, "run", "air", "--period", "2019-03", "--through", "2019-01")
    assert code == 2 and out == "" and "--through 2019-01 is before --period 2019-03" in err
