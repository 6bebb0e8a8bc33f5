"""The quarterly assessment's numbers against a hand computation, on a real warehouse with the real catalogue.

Tumed Left, 2025-Q1, judged as of 2025-04-11 (the day after the March sheets' deadline), scheme 50 / 50 / 5 [D]:
- 林草局 (150121-lcj) reports projects 1 and 4 (both 2021-2023, so 100 % planned) in January and March, not in
  February: 2 missed project-months. Both at 100 % with their whole budget: 2 of 2 on schedule. Indicators it leads:
  林草覆盖率 达标 (on track), 生态环境状况指数 达标 but projected to miss (进度预警: off track), 湿地保护率 进行中
  with a projected year-end that meets the target (on track): 2 of 3; 森林覆盖率 数据不足 (not counted);
  草原综合植被盖度 进行中 with no projection and 国家重点保护野生动植物保护率 待报送 (annual: due with December's
  dispatch) are not yet due — neither a minus nor on the list, counted apart (2). Score = 50 × 2/3 + 50 × 2/2 − 5 × 2
  = 73.3 (the rule before RULES §4 was applied counted the two not yet due as 需关注: 50 × 1/5 + 50 − 10 = 50.0).
- 乡村振兴局 (150121-xczxj) reports projects 21 (2022-2023: 100 % planned, reported 100 %, 5811.91 万元) and 22
  (2022-2025, 48 months; March 2025 is month 39: 81.25 % planned, 4294.875 万元 of 5286) with 60 % and 3000 万元:
  behind. 1 of 2 on schedule. Its indicator 农村无害化卫生厕所普及率 is under a 进度预警: 0 of 1.
  Score = 50 × 0/1 + 50 × 1/2 = 25.0. Investment: done 5811.91 + 3000 = 8811.91, planned 5811.91 + 4294.875.
- 水务局 (150121-slj) sends nothing: its five Tumed Left projects and Hohhot's 41 (no years) are not reported in
  each of the three months: 6 × 3 = 18 missed. Score = max(0, 0 − 90) = 0.
- 环境局土左旗分局 (150121-sthjj): 集中式饮用水水源地水质优良比例, a monthly submission, is 待报送 past its deadline
  (the 10th of April): 逾期未报送, off track and on the list; 优良天数比例 未监测 (no station: not counted): 0 of 1.
- Project 21 is a 达标工程 of 农村生活垃圾无害化处理村占比, whose 进度预警 puts it on the leading group's list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from tasks.core import settings as settings_mod
from tasks.core.errors import ConfigError
from tasks.flow.warehouse import writer
from tasks.report import assessment
from tasks.report.assessment import Quarter, assess, load_scheme, render_html

TUMED = "150121"


@pytest.fixture
def con(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[duckdb.DuckDBPyConnection]:
    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path / "home"))
    with writer(settings_mod.load()) as connection:
        yield connection


def report(con, department: str, period: str, project: str, progress: float, total: float) -> None:
    con.execute("INSERT INTO raw.project_reports VALUES (?, ?, 'f.xlsx', 7, ?, ?, ?, NULL, 0, ?, NULL, NULL, NULL, "
                "NULL, NULL, ?)", [f"b-{department}-{period}", period, department, project, progress, total,
                                   datetime(2025, 1, 1, tzinfo=UTC)])


def status(con, indicator: str, status: str, projected_meets: bool | None, value: float | None = 50.0,
           obtained_as: str = "submitted") -> None:
    """An evaluated indicator of Tumed Left in March 2025 (no value: nothing submitted, no basis period)."""
    basis = None if value is None else "2025-03"
    con.execute("INSERT INTO marts.indicator_status (indicator_code, region_code, period, basis_period_type, "
                "basis_period, variant, value, coverage_ok, target_kind, comparator, target_value, status, reason, "
                "projected_value, projected_meets, obtained_as) VALUES (?, ?, '2025-03', ?, ?, 'raw', ?, true, "
                "'value', '>=', 40, ?, 'test', ?, ?, ?)",
                [indicator, TUMED, basis and "ytd", basis, value, status,
                 None if projected_meets is None else value - 5 if not projected_meets else value + 5,
                 projected_meets, obtained_as])


@pytest.fixture
def quarter(con) -> dict:
    for period in ("2025-01", "2025-03"):
        report(con, "150121-lcj", period, "150121-P01", 100, 1000)
        report(con, "150121-lcj", period, "150121-P04", 100, 1000)
    for period in ("2025-01", "2025-02", "2025-03"):
        report(con, "150121-xczxj", period, "150121-P21", 100, 5811.91)
        report(con, "150121-xczxj", period, "150121-P22", 60, 3000)
    status(con, "forest_grass_coverage", "达标", None, 41.2)
    status(con, "eco_environment_status_index", "达标", False)
    status(con, "forest_coverage", "数据不足", None)
    status(con, "wetland_protection_rate", "进行中", True, 38.0)
    status(con, "grassland_vegetation_cover", "进行中", None, 30.0)
    status(con, "key_protected_species_protection_rate", "待报送", None, None)
    status(con, "drinking_water_source_good_ratio", "待报送", None, None)
    status(con, "air_good_day_ratio", "未监测", None, None, obtained_as="not_monitored")
    status(con, "rural_sanitary_toilet_rate", "达标", False)
    status(con, "rural_waste_safe_village_share", "未达标", False, 80)
    con.execute("INSERT INTO marts.indicator_values (indicator_code, region_code, period, period_type, variant, value, "
                "coverage_ok, rules_version, batch_ids) VALUES ('forest_grass_coverage', ?, '2024-03', 'ytd', 'raw', "
                "40.0, true, 'test', [])", [TUMED])
    return assess(con, Quarter.parse("2025-Q1"), as_of=date(2025, 4, 11),
                  scheme={"indicator_weight": 50, "project_weight": 50, "missed_report_penalty": 5})


def by_code(data: dict) -> dict:
    return {d.department_code: d for d in data["departments"]}


def test_scores_match_the_hand_computation(quarter: dict) -> None:
    d = by_code(quarter)
    lcj, xczxj, slj = d["150121-lcj"], d["150121-xczxj"], d["150121-slj"]
    assert (lcj.indicators_on_track, lcj.indicators_judged, lcj.indicators_not_due, lcj.projects_on_schedule,
            lcj.projects_judged, lcj.missed_reports, lcj.score) == (2, 3, 2, 2, 2, 2, 73.3)
    assert (xczxj.indicators_on_track, xczxj.indicators_judged, xczxj.projects_on_schedule, xczxj.projects_judged,
            xczxj.missed_reports, xczxj.score) == (0, 1, 1, 2, 0, 25.0)
    assert xczxj.invest_done_wan == pytest.approx(8811.91)
    assert xczxj.invest_planned_wan == pytest.approx(5811.91 + 4294.875)
    assert (slj.missed_reports, slj.projects_judged, slj.projects_on_schedule, slj.score) == (18, 6, 0, 0.0)
    sthjj = d["150121-sthjj"]
    assert (sthjj.indicators_on_track, sthjj.indicators_judged, sthjj.indicators_not_due) == (0, 1, 0)
    ranked = [x.department_code for x in quarter["departments"]]
    assert ranked.index("150121-lcj") < ranked.index("150121-xczxj") < ranked.index("150121-slj")


def test_the_leading_groups_lists(quarter: dict) -> None:
    watch = {w["project"].project_code: w["why"] for w in quarter["watch_projects"]}
    assert watch["150121-P21"] == "所保障的指标（农村生活垃圾无害化处理村占比）出现进度预警"   # its name, not its code
    assert watch["150121-P11"] == "连续 3 个月未按时报送"
    assert "150121-P22" not in watch or watch["150121-P22"].startswith("连续")
    behind = next(w["project"] for w in quarter["watch_projects"] if w["project"].project_code == "150121-P22")
    assert (behind.status, behind.planned_pct, behind.planned_invest_wan) == ("behind", 81.25, 4294.875)
    assert behind.behind_months == 3
    assert watch["150121-P22"] == "连续 3 个月滞后"


def test_every_project_is_listed_once(quarter: dict) -> None:
    """A project on the leading group's list (with why and the ask) is not repeated in its unit's table."""
    listed = {w["project"].project_code for w in quarter["watch_projects"]}
    d = by_code(quarter)
    assert {"150121-P21", "150121-P22"} <= listed and d["150121-xczxj"].projects == [] and d["150121-xczxj"].listed == 2
    # Hohhot's 41 has missed one month of a dispatch that has not started in Hohhot: not on the list, in the table
    assert [p.project_code for p in d["150121-slj"].projects] == ["150100-P41"] and d["150121-slj"].listed == 5
    html = render_html(quarter)
    rows = re.findall(r'<tr data-project="([^"]+)"', html)
    assert len(rows) == len(set(rows)) and listed <= set(rows)
    lag = re.search(r'<tr data-project="150121-P22">.*?</tr>', html, re.S).group(0)
    assert "连续 3 个月滞后（形象进度 60%，计划 81.2%" in lag                      # its lag where it is listed
    assert "另有5个项目已列入督办事项" in html and "土默特左旗乡村振兴局" in re.search(
        r'<p class="meta" id="all-listed">.*?</p>', html, re.S).group(0)


def test_the_projects_owing_sheets_are_one_row_per_unit_in_short(quarter: dict) -> None:
    groups = {g["department_code"]: g for g in quarter["missed_groups"]}
    slj = groups["150121-slj"]
    assert [p.project_code for p in slj["projects"]] == ["150121-P11", "150121-P13", "150121-P16", "150121-P17",
                                                         "150121-P19"]
    assert (slj["text"], slj["n"]) == ("土默特左旗清单第11、13、16、17、19项，共5个", 5)
    assert slj["why"] == "连续 3 个月未按时报送"
    assert quarter["missed_intro"].startswith(f"以下{len(groups)}个单位共{sum(g['n'] for g in groups.values())}个项目")
    # a unit reporting projects of two plans: each plan's 序号 under its name
    hohhot = replace(slj["projects"][0], region_name="呼和浩特市", seq=41)
    assert assessment.missed_text([hohhot, *slj["projects"][:2]]) == \
        "呼和浩特市清单第41项，土默特左旗清单第11、13项，共3个"
    assert "150121-P21" not in {p.project_code for g in quarter["missed_groups"] for p in g["projects"]}
    assert assessment.seq_ranges([5, 1, 2, 3, 7, 8, 10, 11, 12, 13]) == "1—3、5、7、8、10—13"
    flagged = {r["indicator_code"]: r["status_zh"] for r in quarter["watch_indicators"]}
    assert flagged == {"eco_environment_status_index": "达标（进度预警）",
                       "rural_sanitary_toilet_rate": "达标（进度预警）",
                       "rural_waste_safe_village_share": "未达标（进度预警）",
                       "drinking_water_source_good_ratio": "逾期未报送"}   # nothing not yet due, nothing unmonitored


def test_indicators_not_yet_due_count_neither_way() -> None:
    """RULES §4: in the year an annual value is 进行中 or 待报送, never a miss; data no one owes is not counted."""
    def verdict(status: str, projected_meets: bool | None = None, *, overdue: bool = False) -> str:
        return assessment.indicator_verdict({"status": status, "projected_meets": projected_meets}, overdue=overdue)

    assert [verdict("达标"), verdict("进行中", True)] == ["正常", "正常"]
    assert [verdict("未达标"), verdict("达标", False), verdict("进行中", False), verdict("待报送", overdue=True)] \
        == ["需关注"] * 4
    assert [verdict("进行中"), verdict("待报送")] == ["未到考核期", "未到考核期"]
    assert [verdict("数据不足"), verdict("未监测")] == ["不计分", "不计分"]


def test_a_submission_is_owed_after_its_deadline_and_an_annual_one_only_with_december(con) -> None:
    from tasks.alert import rules
    from tasks.core.periods import Period

    configs = rules.load(con)
    annual = {"indicator_code": "forest_grass_coverage", "frequency": "annual", "obtained_by": "submitted",
              "obtained_as": "submitted", "basis_period": None}
    monthly = {**annual, "indicator_code": "drinking_water_source_good_ratio", "frequency": "monthly"}
    march, december = Period(2025, 3), Period(2025, 12)
    assert not assessment.past_deadline(annual, march, date(2025, 4, 11), configs)
    assert not assessment.past_deadline(annual, december, date(2026, 1, 10), configs)
    assert assessment.past_deadline(annual, december, date(2026, 1, 11), configs)
    assert not assessment.past_deadline(monthly, march, date(2025, 4, 10), configs)
    assert assessment.past_deadline(monthly, march, date(2025, 4, 11), configs)


def test_before_the_deadline_an_awaited_submission_is_not_yet_due(con, quarter: dict) -> None:
    early = assess(con, Quarter.parse("2025-Q1"), as_of=date(2025, 4, 10),
                   scheme={"indicator_weight": 50, "project_weight": 50, "missed_report_penalty": 5})
    assert "drinking_water_source_good_ratio" not in {r["indicator_code"] for r in early["watch_indicators"]}
    sthjj = by_code(early).get("150121-sthjj")
    assert sthjj is None or (sthjj.indicators_judged, sthjj.indicators_not_due) == (0, 1)


def test_indicator_rows_carry_projection_and_year_on_year(quarter: dict) -> None:
    rows = {r["indicator_code"]: r for r in quarter["regions"][TUMED]["indicators"]}
    assert rows["forest_grass_coverage"]["yoy"] == pytest.approx(1.2)
    assert rows["forest_grass_coverage"]["lead_name"] == "土默特左旗林业和草原局"
    assert rows["eco_environment_status_index"]["projected_value"] == 45.0


def test_the_page_shows_the_lists_and_scores(quarter: dict) -> None:
    html = render_html(quarter)
    assert "2025年第一季度生态文明建设示范创建考核情况" in html
    assert '<tr data-department="150121-lcj"><td class="n">' in html and ">73.3<" in html
    assert "连续 3 个月未按时报送" in html and "请于收到本通知后3个工作日内补报项目月调度表" in html
    assert "指标按2025年3月评估结果；项目按各单位2025年3月项目月调度表（截至2025年4月11日）判定" in html
    # a reader sees names, plan numbers, ≥ and Chinese dates: no project, region or indicator code
    from tests.unit.test_messages import assert_reads_chinese, visible

    assert_reads_chinese(visible(html), "assessment page")
    assert "150121-P21" not in visible(html) and "（150121）" not in visible(html)
    watched = re.search(r'<tr data-indicator="rural_waste_safe_village_share" data-region="150121">.*?</tr>',
                        html[html.index('id="watch-indicators"'):], re.S).group(0)
    assert "<td>≥40</td>" in watched and "（进度预警）" in watched


def test_the_assessment_cut_to_a_region_keeps_its_own_numbers(quarter: dict) -> None:
    """The 月报 of one region shows the assessment of that region and those below it; scores are not recomputed."""
    cut = assessment.within(quarter, {TUMED})
    assert set(cut["regions"]) == {TUMED} and cut["departments"]
    assert {d.region_code for d in cut["departments"]} == {TUMED}
    assert [d.score for d in cut["departments"]] == [d.score for d in quarter["departments"]
                                                     if d.region_code == TUMED]
    elsewhere = assessment.within(quarter, {"152500"})
    assert elsewhere["regions"] == {} and elsewhere["departments"] == [] and elsewhere["watch_projects"] == []


def test_only_a_quarters_last_month_closes_a_quarter() -> None:
    from tasks.core.periods import Period

    assert [str(Quarter.ending(Period(2025, m))) for m in (3, 6, 9, 12)] == ["2025-Q1", "2025-Q2", "2025-Q3",
                                                                             "2025-Q4"]
    assert all(Quarter.ending(Period(2025, m)) is None for m in (1, 2, 4, 5, 7, 8, 10, 11))


def test_quarter_and_scheme_errors_name_what_is_wrong(tmp_path: Path) -> None:
    assert [str(m) for m in Quarter.parse("2025-Q4").months] == ["2025-10", "2025-11", "2025-12"]
    with pytest.raises(Exception, match="YYYY-QN"):
        Quarter.parse("2025Q1")
    bad = tmp_path / "scheme.csv"
    bad.write_text("item,value,note\nindicator_weight,fifty,x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 2, column value: 'fifty' is not a number"):
        load_scheme(bad)
    assert load_scheme() == {"indicator_weight": 50, "project_weight": 50, "missed_report_penalty": 5}


def test_the_score_gives_a_missing_part_its_weight() -> None:
    d = assessment.DepartmentScore("x", "x", projects_on_schedule=3, projects_judged=4)
    assert assessment.score(d, {"indicator_weight": 50, "project_weight": 50, "missed_report_penalty": 5}) == 75.0


def test_a_scheduled_run_assesses_the_quarter_before_and_a_manual_run_its_param() -> None:
    from datetime import datetime as dt

    from tasks.core.periods import TZ

    assert str(assessment.quarter_of_run({"data_interval_start": dt(2025, 4, 11, 14, tzinfo=TZ)})) == "2025-Q1"
    assert str(assessment.quarter_of_run({"data_interval_start": dt(2026, 1, 11, 14, tzinfo=TZ)})) == "2025-Q4"
    assert str(assessment.quarter_of_run({"params": {"quarter": "2024-Q3"}})) == "2024-Q3"


def test_the_cli_writes_the_page_and_a_pdf_when_chromium_is_installed(quarter: dict, con, capsys) -> None:
    import shutil

    from tasks.cli.commands import main as ecoflow

    con.close()   # the CLI opens the warehouse read-only
    assert ecoflow(["assess", "--quarter", "2025-Q1", "--as-of", "2025-04-11"]) == 0
    out = capsys.readouterr().out
    folder = settings_mod.load().reports_dir / "assessment" / "2025-Q1"
    assert f"2025年第一季度考核情况：{folder / 'assessment.html'}" in out
    assert ">73.3<" in (folder / "assessment.html").read_text(encoding="utf-8")
    if shutil.which("chromium"):
        assert (folder / "assessment.pdf").read_bytes().startswith(b"%PDF")
    else:
        assert "PDF 未生成" in out
