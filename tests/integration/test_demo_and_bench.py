"""The two commands a new user runs besides `make test`: the demo (`make demo`) and a benchmark smoke run.

Both run as subprocesses exactly as the Makefile runs them, with their state under tmp_path.
"""

from __future__ import annotations

import email
import email.policy
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
                          env={**os.environ, "ECOFLOW_DEMO_HOME": str(home), "ECOFLOW_MONTHLY_PDF": "1"},
                          timeout=1800, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = proc.stdout
    # air x3, water capture, water month, waste x2, inbox, recompute
    assert out.count("DAG run succeeded") == 9
    # December evaluated before January arrives (as its deliveries' Asset events have it), sending no digest
    assert "recomputed 2024-12 (every source); evaluated: 2024-12\n" in out
    assert "150100  呼和浩特市" in out and "air_good_day_ratio" in out
    assert "parse.field_count" in out and "parse.incomplete_day" in out   # the file cut on purpose is visible
    # water: the real April 2021 captures evaluated per GB 3838 (头道拐 Ⅱ, 总排干入黄口 维护 all month: no class)
    assert "water_good_ratio" in out and "11/28 sections" in out
    assert any(line.startswith("头道拐") and "Ⅱ" in line for line in out.splitlines())
    # waste: the wrong unit is quarantined, the rates computed
    assert "unit.wrong_dimension" in out and "urban_sewage_treatment_rate" in out
    # submissions: one accepted (on the indicators table with its lineage), one sent back
    assert re.search(r"forest_grass_coverage +submitted +raw +36\.4", out) and "submission.range" in out
    # 锡林浩特's two sources judged item by item: both meet class Ⅲ (一棵树's iron and manganese are background)
    assert re.search(r"152502 +锡林浩特市 +23 +drinking_water_source_good_ratio +submitted +raw +100\.0", out)
    assert re.search(r"drinking_water_source_good_ratio +submitted +by_volume +100\.0 +% +148\.6 +148\.6", out)
    assert "Subject: 【月调度回执】锡林郭勒盟生态环境局锡林浩特市分局 2025年1月报送已接收（2项）" in out
    # the recomputation: in January an annual target is in progress, never missed; the water capture that did
    # not run is the operators' data gap, not 生态环境局's
    assert re.search(r"hazardous_waste_disposal_rate +ytd .*进行中", out)
    assert re.search(r"2025-01 +150100 +呼和浩特市 +water_good_ratio +data_gap +open", out)
    assert not re.search(r"2025-01 +150100 +呼和浩特市 +\w+ +below_target", out)
    mails = list((home / "smtp-sink").glob("*.eml"))
    assert f"emails received by the SMTP sink ({len(mails)})" in out
    digests = [line for line in out.splitlines()
               if re.search(r"Subject: 【(生态文明指标月度调度|数据缺口|进度预警)】", line)]
    reviews = [line for line in out.splitlines() if "Subject: 【数据审核】" in line]
    assert len(reviews) == 2   # the stewards of air and of waste were told a review was waiting
    # 2 review requests, 3 submission receipts (林草局's form, 住建局's CSV sent back, 锡林浩特's source sheet),
    # 6 project-sheet receipts; the rest one digest per recipient (48 emails in all on the run the README shows)
    assert len(digests) == len(mails) - 11 and len(set(digests)) == len(digests)   # one per recipient
    # a department with nothing to answer still gets the month's table and what changed since December
    quiet = [line for line in digests if line.endswith("：2025年1月")]
    assert quiet, digests
    raw = next(m.read_bytes() for m in mails if b"zjj@tumedleft" in m.read_bytes() and "【生态文明指标月度调度】"
               in email.message_from_bytes(m.read_bytes(), policy=email.policy.default)["Subject"])
    text = email.message_from_bytes(raw, policy=email.policy.default).get_body(("plain",)).get_content()
    assert "较上月的变化" in text and "→" in text
    # key projects: one falling behind, the units that sent nothing listed, the quarter assessed
    assert "150121-P22 土默特左旗户厕改造工程（土默特左旗乡村振兴局）：连续 2 个月滞后" in out
    assert "土默特左旗林业和草原局：2 个项目连续 3 个月未按时报送" in out
    assert (home / "reports" / "assessment" / "2025-Q1" / "assessment.html").exists()
    assert "Subject: 【月调度回执】土默特左旗乡村振兴局" in out
    # the two runs with failing rows waited for a steward, who decided through Airflow's REST API
    assert out.count("the run waits for a data steward") == 2
    # the steward sees each rule in words (messages.RULES_ZH); the rule ids stay in `--json` and the logs
    assert "接受（剔除不合格行）" in out and "该行字段数与表头不一致" in out and "计量单位与项目不符" in out
    assert re.search(r"air 2025-01  accept_clean  by li\.na \(airflow\)", out)
    assert re.search(r"waste 2025-01  accept_clean  by wang\.qiang \(airflow\)", out)
    assert "Subject: 【生态文明指标月度调度】" in out and "Subject: 【数据缺口】内蒙古自治区环境监测总站" in out
    assert "Subject: 【月调度回执】呼和浩特市林业和草原局" in out
    assert "Subject: 【月调度退回】呼和浩特市住房和城乡建设局" in out
    raw = next(m.read_bytes() for m in mails if b"To: jcz@sthjt.nmg.example.gov.cn" in m.read_bytes())
    gap = email.message_from_bytes(raw, policy=email.policy.default)       # the operators are told what to run
    text = gap.get_body(("plain",)).get_content()
    assert "请执行：ecoflow run" in text and "并执行所列命令补采" in text and "命令见下" not in text
    bulletin = home / "reports" / "bulletin" / "2025-01.html"
    assert str(bulletin) in out
    page = bulletin.read_text(encoding="utf-8")
    assert "生态文明建设示范区指标月度通报" in page and "呼和浩特市" in page and "危险废物利用处置率" in page
    assert "进度预警" in page and "年末未达标" in page   # the alerts section names the rules
    monthly = home / "reports" / "monthly" / "2025-01.html"      # the demo ends with the 月报, HTML and PDF
    assert out.rstrip().endswith(str(monthly.with_suffix(".pdf")))
    from pypdf import PdfReader

    assert len(PdfReader(monthly.with_suffix(".pdf")).pages) >= 2
    assert "生态环境质量月报" in monthly.read_text(encoding="utf-8")
    # the inbox keeps every file: 林草局's form, 锡林浩特's source sheet and the key projects' sheets (two units,
    # January to March) processed, 住建局's CSV rejected
    assert sorted(p.parent.name for p in (home / "inbox").rglob("*.*")) == \
        ["2025-01"] * 4 + ["2025-02"] * 2 + ["2025-03"] * 2 + ["rejected"]
    for source, period in (("air", "2025-01"), ("water", "2021-04"), ("waste", "2025-01"), ("submissions", "2025-01")):
        site = home / "reports" / "gx" / source / period / "gx" / "uncommitted" / "data_docs" / "local_site"
        assert (site / "index.html").exists(), site


@pytest.mark.slow
def test_benchmark_smoke_run_writes_a_report_with_every_stage_and_the_floor(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    proc = subprocess.run([sys.executable, "-m", "bench.run_bench", "--days", "1", "--floor-runs", "1",
                           "--backfill-months", "1", "--out", str(report)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False, env={**os.environ, "BENCH_WORK_DIR": str(tmp_path / "work")})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    text = report.read_text(encoding="utf-8")
    for row in ("| fetch", "| land", "| compute", "| **pipeline total**", "| floor: DuckDB"):
        assert row in text, row
    goals = text.split("## Goals (issue 14)")[1].split("\n## ")[0]
    for goal in ("- National air month end to end: **", "- Inner Mongolia month (`ecoflow run air", "- Backfill of "
                 "Inner Mongolia through the CLI (2024-12 … 2024-12", "- Recomputing one month of air"):
        assert goal in goals, goals
