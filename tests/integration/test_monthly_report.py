"""The 月报 from a real warehouse: the real January 2019 files of the 48 Inner Mongolia stations (first days of
the month, through the loopback feed), `ecoflow report` writing HTML and PDF, the PDF's pages counted (pypdf), the
ranking checked against `ecoflow indicators --json`, and the report read back as a reader would."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from demo.feed_server import FeedServer
from tasks.cli import commands as cli
from tasks.core import settings
from tasks.core.periods import Period
from tasks.flow import pipeline
from tasks.report import charts as report_charts
from tasks.report import monthly as monthly_report
from tests.unit.test_messages import assert_reads_chinese, visible

JAN = "2019-01"
CITIES = 12
LAST_DAY = date(2019, 1, 6)  # six days: every city ranked, the run stays short


@pytest.fixture
def january(eco_env: Path, air_files: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    with FeedServer(air_files, last_day=LAST_DAY) as server:
        monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", server.url)
        pipeline.run(settings.load(), "air", Period.parse(JAN))
    return eco_env


def ecoflow_json(capsys: pytest.CaptureFixture, *args: str) -> list[dict]:
    capsys.readouterr()
    assert cli.main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def ranking_rows(html: str) -> list[tuple[str, str, str]]:
    """(rank, region code, good-day ratio) of each city row of section 二, in order."""
    section = html[html.index('id="ranking"'):html.index('id="water"')]
    found = re.findall(r'<tr data-region="(\d{6})"[^>]*>\s*<td>([^<]*)</td>\s*<td class="name">[^<]*</td>\s*'
                       r'<td>([^<]*)</td>', section)
    return [(rank, code, good) for code, rank, good in found]


def test_report_writes_html_and_an_a4_pdf_whose_ranking_matches_the_indicators(january, capsys, tmp_path) -> None:
    out = tmp_path / "yuebao" / "2019-01.html"
    capsys.readouterr()
    assert cli.main(["report", "--period", JAN, "--out", str(out), "--office", "呼和浩特市生态环境局",
                     "--issue", "7", "--date", "2019-02-05"]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(out), str(out.with_suffix(".pdf"))]
    html = out.read_text(encoding="utf-8")

    # the ranking is the stored month values, best first, exactly as `ecoflow indicators --json` gives them
    stored = ecoflow_json(capsys, "indicators", "--period", JAN, "--json")
    good = {r["region_code"]: r["value"] for r in stored if r["indicator_code"] == "air_good_day_ratio"
            and r["period_type"] == "month" and r["variant"] == "raw"}
    pm25 = {r["region_code"]: r["value"] for r in stored if r["indicator_code"] == "air_pm25_mean"
            and r["period_type"] == "month" and r["variant"] == "raw"}
    cities = [c for c in good if c != "150000" and c.endswith("00")]
    assert len(cities) == CITIES
    expected = sorted(cities, key=lambda c: (-round(good[c], 1), round(pm25[c], 1), c))
    shown = ranking_rows(html)
    assert [code for _, code, _ in shown] == [*expected, "150000"]
    assert [g for _, _, g in shown[:-1]] == [f"{round(good[c], 1):.1f}" for c in expected]
    assert shown[0][0] == "1" and shown[-1][0] == "—"       # the autonomous region's row is not ranked
    ranks = [int(r) for r, _, _ in shown[:-1]]
    assert ranks == sorted(ranks) and ranks[-1] <= CITIES

    # masthead as configured; 综述 names the best and worst city; no internal code reaches the reader
    assert "呼和浩特市生态环境局" in html and "第7期" in html and "2019年2月5日" in html
    names = {r["region_code"]: r["region_name"] for r in stored}
    overview = html[html.index('id="overview"'):html.index('id="ranking"')]
    assert f"最高的是{names[expected[0]]}" in overview and f"最低的是{names[expected[-1]]}" in overview
    assert_reads_chinese(visible(html), "月报")         # no English, no indicator code, no path

    # the PDF: A4 pages, the main body at most four of them (the annex starts on a new page, at most the fifth)
    pdf = PdfReader(out.with_suffix(".pdf"))
    assert len(pdf.pages) >= 2
    width, height = float(pdf.pages[0].mediabox.width), float(pdf.pages[0].mediabox.height)
    assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1           # A4 in points
    annex_page = next(i for i, page in enumerate(pdf.pages) if "附件" in (page.extract_text() or "")
                      and "各地区指标明细" in (page.extract_text() or ""))
    assert 1 <= annex_page <= 4
    first = pdf.pages[0].extract_text()
    assert "生态环境质量月报" in first and "综述" in first
    text = "".join(page.extract_text() or "" for page in pdf.pages)
    assert names[expected[0]] in text


def test_charts_are_embedded_with_a_cjk_font_and_left_out_without_one(january, monkeypatch) -> None:
    if report_charts.charts_module._cjk_font_path() is None:
        pytest.fail("no CJK font installed: .ci/run installs fonts-wqy-zenhei")
    html, _ = monthly_report.write(settings.load(), Period.parse(JAN), pdf=False)
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html.read_text(encoding="utf-8"))
    assert len(images) == 2 and all(len(i) > 2000 for i in images)      # city bars and the 12-month trend

    monkeypatch.setattr(report_charts.charts_module, "_cjk_font_path", lambda: None)
    html, pdf = monthly_report.write(settings.load(), Period.parse(JAN), pdf=False)
    text = html.read_text(encoding="utf-8")
    assert pdf is None and "图表从略" in text and "<img" not in text   # no boxes for glyphs: the tables stay
    assert len(ranking_rows(text)) == CITIES + 1
