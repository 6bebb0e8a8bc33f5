"""The 月报 from a real warehouse: the real January 2019 files of the 48 Inner Mongolia stations (first days of
the month, through the loopback feed), `ecoflow report` writing HTML and PDF, the PDF's pages counted (pypdf), the
ranking checked against `ecoflow indicators --json`, and the report read back as a reader would. And a quarter's
last month: January to March 2025 of the waste feed and two departments' key-project sheets through the real inbox
(demo/projects_demo.py's figures), where the March 月报 carries the quarter's assessment, the same as
`ecoflow assess --quarter 2025-Q1` prints, and February's does not."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from demo import projects_demo
from demo.feed_server import FeedServer
from tasks.cli import commands as cli
from tasks.core import settings
from tasks.core.periods import Period
from tasks.flow import inbox, pipeline
from tasks.report import charts as report_charts
from tasks.report import monthly as monthly_report
from tests.helpers import land_waste_months
from tests.unit.test_messages import assert_reads_chinese, visible

JAN = "2019-01"
CITIES = 12
REAL_MONTH = Path(__file__).resolve().parents[2] / "demo" / "data" / "cnemc_air" / "inner_mongolia_2019-01"
LAST_DAY = date(2019, 1, 6)  # six days: every city ranked, the run stays short


def _january(home: Path, mp: pytest.MonkeyPatch) -> None:
    with FeedServer(REAL_MONTH, last_day=LAST_DAY) as server:
        mp.setenv("ECOFLOW_AIR_FEED_URL", server.url)
        pipeline.run(settings.load(), "air", Period.parse(JAN))


@pytest.fixture
def january(eco_env: Path, built_home) -> Path:
    """The first six real days of January 2019 through the air pipeline (built once, copied per test)."""
    built_home("monthly-report-january", _january, eco_env)
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


def _first_quarter(home: Path, mp: pytest.MonkeyPatch) -> None:
    land_waste_months(mp, list(projects_demo.MONTHS))
    for month in projects_demo.MONTHS:
        out = home / "templates" / month
        for department, (name, months) in projects_demo.SHEETS.items():
            assert cli.main(["templates", "--period", month, "--department", department, "--out", str(out)]) == 0
            projects_demo.fill(out / f"{department}_{month}_项目.xlsx",
                               settings.load().inbox_dir / f"{name}{month}项目调度.xlsx", months[month])
        outcomes = inbox.process(settings.load(), trigger="test", settle=0)
        assert outcomes and all(o.accepted for o in outcomes), [o.reason for o in outcomes]


@pytest.fixture
def first_quarter(eco_env: Path, built_home) -> Path:
    """January to March 2025: the waste months evaluated, and 乡村振兴局's and 水务局's project sheets for each month
    filled as the demo fills them (户厕改造 falls behind; the other units of the two plans send nothing); built
    once, copied per test."""
    built_home("monthly-report-first-quarter", _first_quarter, eco_env)
    return eco_env


def table(html: str, table_id: str) -> str:
    """The table as rendered, whitespace left out (the two pages' templates trim blocks differently)."""
    start = html.index(f'<table id="{table_id}">')
    return re.sub(r"\s+", "", html[start:html.index("</table>", start)])


def test_a_quarters_last_month_carries_the_assessment_as_ecoflow_assess_gives_it(first_quarter, capsys,
                                                                                    tmp_path) -> None:
    out = tmp_path / "2025-03.html"
    assert cli.main(["report", "--period", "2025-03", "--out", str(out), "--date", "2025-04-15"]) == 0
    html = out.read_text(encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["assess", "--quarter", "2025-Q1"]) == 0            # judged the day after March's sheets were due
    page = (settings.load().reports_dir / "assessment" / "2025-Q1" / "assessment.html").read_text(encoding="utf-8")

    # after the main body, before the annex; the same scores and lists as the assessment's own page, in short
    assert html.index('id="alerts"') < html.index('id="assessment"') < html.index('id="annex"')
    section = html[html.index('id="assessment"'):html.index('id="annex"')]
    assert "五、2025年第一季度考核情况" in section
    assert "项目按各单位2025年3月项目月调度表（截至2025年4月11日）判定" in section
    for table_id in ("scores", "watch-indicators"):
        assert table(section, table_id) == table(page, table_id), table_id
    scores = re.findall(r'<trdata-department="([^"]+)"><tdclass="n">\d+</td><td>[^<]*</td><tdclass="n">([\d.]+)<',
                        table(section, "scores"))
    assert dict(scores)["150121-xczxj"] == "50.0"   # 户厕改造 behind: 1 of 2 projects; its annual indicator not yet due
    assert float(dict(scores)["150121-slj"]) > 0                        # it reported all three months
    behind = re.search(r'<trdata-project="150121-P22">.*?</tr>', table(section, "watch-projects")).group(0)
    assert "户厕" in behind and "连续2个月滞后" in behind                 # behind in February and March
    # the same projects on the list: one row each on the page, the 月报 one row per unit owing sheets
    listed = re.findall(r'<trdata-project="([^"]+)">', table(page, "watch-projects"))
    grouped = [c for row in re.findall(r'<tr data-projects="([^"]+)">', section) for c in row.split()]
    assert grouped and sorted(re.findall(r'<trdata-project="([^"]+)">', table(section, "watch-projects")) + grouped) \
        == sorted(listed) and len(set(listed)) == len(listed)
    assert len(re.findall(r'<tr data-projects=', section)) < len(grouped)
    # each region in one line of counts, the page's regions; no indicator or project table of their own
    assert set(re.findall(r'<p class="counts" data-region="(\d+)">', section)) \
        == set(re.findall(r'<h3 data-region="(\d+)">', page[page.index("各地区指标"):])) != set()
    assert "<tr data-indicator" not in re.sub(r'<table id="watch-indicators">.*?</table>', "", section, flags=re.S)
    assert "各部门项目" not in section
    assert_reads_chinese(visible(html), "月报 with the assessment")

    # the main body still ends by page four; the assessment starts a page of its own and takes at most four (docs/
    # bulletin.md: a leading group reads a few pages), the annex after it
    pdf = PdfReader(out.with_suffix(".pdf"))
    texts = [page.extract_text() or "" for page in pdf.pages]
    starts = next(i for i, t in enumerate(texts) if "2025年第一季度考核情况" in t)
    annex_page = next(i for i, t in enumerate(texts) if "附件" in t and "各地区指标明细" in t)
    assert 1 <= starts <= 4 and starts < annex_page
    assert annex_page - starts <= 4, f"the assessment runs to {annex_page - starts} pages"
    assert "各部门得分" in "".join(texts[starts:annex_page])
    assert all(abs(float(p.mediabox.width) - 595.3) < 1 for p in pdf.pages)


def test_a_month_inside_a_quarter_has_no_assessment(first_quarter, tmp_path) -> None:
    out = tmp_path / "2025-02.html"
    assert cli.main(["report", "--period", "2025-02", "--out", str(out), "--no-pdf"]) == 0
    html = out.read_text(encoding="utf-8")
    assert 'id="assessment"' not in html and "考核情况" not in html and "各部门得分" not in html
    assert 'id="annex"' in html
