"""The two commands a new user runs besides `make test`: the demo (`make demo`) and a benchmark smoke run.

Both run as subprocesses exactly as the Makefile runs them, with their state under tmp_path.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_runs_every_dag_and_prints_what_happened(tmp_path: Path) -> None:
    home = tmp_path / "demo-home"
    proc = subprocess.run([sys.executable, "-m", "demo.run_demo"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "ECOFLOW_DEMO_HOME": str(home)}, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = proc.stdout
    assert out.count("DAG run succeeded") == 6   # air x2, water capture, water month, waste, inbox
    assert "150100  呼和浩特市" in out and "air_good_day_ratio" in out
    assert "parse.field_count" in out and "parse.incomplete_day" in out   # the file cut on purpose is visible
    # water: the real April 2021 captures evaluated per GB 3838 (头道拐 Ⅱ, 总排干入黄口 维护 all month: no class)
    assert "water_good_ratio" in out and "11/28 sections" in out
    assert any(line.startswith("头道拐") and "Ⅱ" in line for line in out.splitlines())
    # waste: the wrong unit is quarantined, the rates computed
    assert "unit.wrong_dimension" in out and "urban_sewage_treatment_rate" in out
    # submissions: one accepted (on the indicators table with its lineage), one sent back
    assert re.search(r"forest_grass_coverage +submitted +raw +36\.4", out) and "submission.range" in out
    assert "emails received by the SMTP sink (6)" in out
    assert out.count("Subject: 【生态文明指标预警】呼和浩特市") == 3   # 2 air + 危险废物利用处置率
    assert out.count("Subject: 【生态文明指标预警】土默特左旗 危险废物利用处置率") == 1   # its own 2025 target
    assert "Subject: 【月调度回执】呼和浩特市林业和草原局" in out
    assert "Subject: 【月调度退回】呼和浩特市住房和城乡建设局" in out
    assert len(list((home / "smtp-sink").glob("*.eml"))) == 6
    bulletin = home / "reports" / "bulletin" / "2025-01.html"
    assert str(bulletin) in out
    page = bulletin.read_text(encoding="utf-8")
    assert "生态文明建设示范区指标月度通报" in page and "呼和浩特市" in page and "危险废物利用处置率" in page
    assert sorted(p.parent.name for p in (home / "inbox").rglob("*.*")) == ["2025-01", "rejected"]
    for source, period in (("air", "2025-01"), ("water", "2021-04"), ("waste", "2025-01"), ("submissions", "2025-01")):
        site = home / "reports" / "gx" / source / period / "gx" / "uncommitted" / "data_docs" / "local_site"
        assert (site / "index.html").exists(), site


@pytest.mark.slow
def test_benchmark_smoke_run_writes_a_report_with_every_stage_and_the_floor(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    proc = subprocess.run([sys.executable, "-m", "bench.run_bench", "--days", "1", "--floor-runs", "1",
                           "--out", str(report)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    text = report.read_text(encoding="utf-8")
    for row in ("| fetch", "| land", "| compute", "| **pipeline total**", "| floor: DuckDB"):
        assert row in text, row
