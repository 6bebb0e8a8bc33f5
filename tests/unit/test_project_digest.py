"""A department's monthly digest carries its projects on the leading group's list, with the ask."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tasks.alert import digest, project_digest
from tasks.core import settings as settings_mod
from tasks.core.periods import Period
from tasks.flow.warehouse import writer

XCZXJ_EMAIL = "xczxj@tumedleft.example.gov.cn"


@pytest.fixture
def con(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[duckdb.DuckDBPyConnection]:
    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path / "home"))
    with writer(settings_mod.load()) as connection:
        yield connection


def report(con, period: str, project: str, progress: float, total: float) -> None:
    con.execute("INSERT INTO raw.project_reports VALUES (?, ?, 'f.xlsx', 7, '150121-xczxj', ?, ?, NULL, 0, ?, NULL, "
                "NULL, NULL, NULL, NULL, ?)", [f"b-{period}", period, project, progress, total,
                                               datetime(2025, 1, 1, tzinfo=UTC)])


def test_a_project_behind_for_a_second_month_is_in_the_departments_digest(con) -> None:
    for period in ("2025-01", "2025-02"):
        report(con, period, "150121-P21", 100, 5811.91)
        report(con, period, "150121-P22", 60, 3000)     # 2022-2025: 79.2 % planned by February 2025
    [item] = project_digest.section(con, XCZXJ_EMAIL)
    assert (item["code"], item["period"], item["why"]) == ("150121-P22", "2025-02", "连续 2 个月滞后")
    msg, _ = digest.build(con, XCZXJ_EMAIL, "土默特左旗乡村振兴局", [], settings_mod.load(),
                          sender="ecoflow@example.gov.cn", period=Period.parse("2025-02"))
    text = msg.get_body(("plain",)).get_content()
    assert "重点项目调度：以下 1 个项目已列入领导小组督办清单" in text
    assert "150121-P22「土默特左旗户厕改造工程」（2025年2月）：连续 2 个月滞后（形象进度 60%，计划 79.2%" in text
    assert "请于下次月调度前书面报送滞后原因、赶进度措施及完成时限" in text
    assert "重点项目调度" in msg.get_body(("html",)).get_content()


def test_a_guaranteed_indicators_warning_reaches_the_digest_by_the_indicators_name(con) -> None:
    """The list says which indicator is under a 进度预警 in words: the digest, like the assessment, never the code."""
    report(con, "2025-02", "150121-P21", 100, 5811.91)       # on schedule: listed for its indicator only
    con.execute("INSERT INTO marts.indicator_status (indicator_code, region_code, period, basis_period_type, "
                "basis_period, variant, value, coverage_ok, target_kind, comparator, target_value, status, reason, "
                "projected_value, projected_meets) VALUES ('rural_waste_safe_village_share', '150121', '2025-02', "
                "'submitted', '2025-02', 'raw', 80, true, 'value', '>=', 90, '进行中', 'test', 85, false)")
    [item] = project_digest.section(con, XCZXJ_EMAIL)
    assert (item["code"], item["why"]) == ("150121-P21", "所保障的指标（农村生活垃圾无害化处理村占比）出现进度预警")
    msg, _ = digest.build(con, XCZXJ_EMAIL, "土默特左旗乡村振兴局", [], settings_mod.load(),
                          sender="ecoflow@example.gov.cn", period=Period.parse("2025-02"))
    for body in (msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()):
        assert "所保障的指标（农村生活垃圾无害化处理村占比）出现进度预警" in body
        assert "rural_waste_safe_village_share" not in body


def test_behind_for_one_month_only_or_another_department_adds_nothing(con) -> None:
    report(con, "2025-02", "150121-P22", 60, 3000)
    assert project_digest.section(con, XCZXJ_EMAIL) == []
    assert project_digest.section(con, "lcj@tumedleft.example.gov.cn") == []
    assert project_digest.section(con, "someone@example.com") == []


def test_the_leading_group_office_lists_the_month(con, capsys) -> None:
    from tasks.cli.commands import main as ecoflow

    for period in ("2025-01", "2025-02"):
        report(con, period, "150121-P22", 60, 3000)
    con.close()
    assert ecoflow(["projects", "--period", "2025-02", "--as-of", "2025-03-11"]) == 0
    out = capsys.readouterr().out
    assert "2025-02 重点项目调度情况（截至 2025-03-11）" in out
    assert "150121-P22 土默特左旗户厕改造工程（土默特左旗乡村振兴局）：连续 2 个月滞后" in out
    assert "本月滞后项目（1 个）：\n  150121-P22 土默特左旗户厕改造工程（土默特左旗乡村振兴局）：形象进度 60%" in out
    assert "  土默特左旗林业和草原局：2 个项目连续 2 个月未按时报送（150121-P01、150121-P04）" in out
