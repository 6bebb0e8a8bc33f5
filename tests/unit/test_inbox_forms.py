"""The inbox tells its forms apart from the source spec alone (issue 11, point 2): every inbox-mode source's adapter
says which sheet marks its workbook; the one without a marker (the indicator submission) takes every other file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.core.periods import Period
from tasks.flow import inbox
from tasks.sources import get, spec
from tasks.sources.base import InboxForm
from tasks.sources.submissions.drinking_water import write_source_sheet
from tasks.sources.submissions.projects import write_project_sheet

DEPARTMENT = {"department_code": "150121-slj", "name_zh": "土默特左旗水务局"}
PROJECTS = [{"seq": 11, "project_code": "150121-P11", "name_zh": "大黑河土左旗段清淤治理工程", "years_text": "2022",
             "budget_wan": 2026.21, "planned_pct": 100.0}]
SOURCES = [{"source_code": "152502-DW01", "name_zh": "一棵树水源地", "source_kind": "groundwater", "water_body": None,
            "background_items": []}]
CSV = ("部门编码,期别,指标代码,指标名称,单位,本期值,备注\n"
       "150100-zjj,2025-01,urban_sewage_treatment_rate,城市生活污水集中收集率,%,97.1,\n").encode()


def test_every_inbox_source_is_a_form_and_exactly_one_takes_what_no_other_claims() -> None:
    forms = [get(name) for name in spec.names("inbox")]
    assert forms and all(isinstance(f, InboxForm) for f in forms)
    assert [f.name for f in forms if f.marker_sheet is None] == ["submissions"]
    markers = [f.marker_sheet for f in forms if f.marker_sheet is not None]
    assert len(markers) == len(set(markers))


def test_each_file_goes_to_the_form_whose_sheet_it_has(tmp_path: Path) -> None:
    projects = write_project_sheet(tmp_path / "a.xlsx", department=DEPARTMENT, period="2025-01", projects=PROJECTS)
    sources = write_source_sheet(tmp_path / "b.xlsx", department={"department_code": "152502-sthjj",
                                 "name_zh": "锡林郭勒盟生态环境局锡林浩特市分局"}, period="2025-03", sources=SOURCES)
    for name, content, expected, identity in (
            ("随便起的名字.xlsx", projects.read_bytes(), "project_reports", ("150121-slj", "2025-01")),
            ("水质.xlsx", sources.read_bytes(), "drinking_water_sources", ("152502-sthjj", "2025-03")),
            ("住建局.csv", CSV, "submissions", ("150100-zjj", "2025-01"))):
        form = inbox.form_of(name, content)
        assert form.name == expected, name
        assert form.identify(name, content) == identity


def test_a_new_inbox_form_in_the_spec_is_recognised_without_touching_the_inbox(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class NoiseForm(InboxForm):
        name, marker_sheet = "noise_forms", "噪声监测月报"

    names = spec.names("inbox")
    monkeypatch.setattr(inbox.spec, "names", lambda *modes: [*names, "noise_forms"])
    real = inbox.source_adapter
    monkeypatch.setattr(inbox, "source_adapter", lambda n: NoiseForm() if n == "noise_forms" else real(n))
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "噪声监测月报"
    wb.save(tmp_path / "n.xlsx")
    assert inbox.form_of("n.xlsx", (tmp_path / "n.xlsx").read_bytes()).name == "noise_forms"
    assert inbox.form_of("住建局.csv", CSV).name == "submissions"


def test_a_pass_changes_the_months_of_its_accepted_files_that_feed_indicators() -> None:
    """A file sent back changes nothing; a key projects' sheet feeds the digests and the quarterly assessment, not
    indicator values: neither makes indicators_recompute (or `ecoflow inbox`) evaluate its month again."""
    def outcome(period: str, accepted: bool, source: str) -> inbox.InboxOutcome:
        return inbox.InboxOutcome("f.xlsx", accepted, "150100-lcj", period, Path("x"), source=source)

    assert inbox.changed_periods([
        outcome("2025-01", True, "submissions"), outcome("2025-02", False, "submissions"),
        outcome("2025-03", True, "project_reports"), outcome("2025-04", True, "drinking_water_sources"),
        outcome("2025-01", True, "drinking_water_sources")]) == [Period.parse("2025-01"), Period.parse("2025-04")]
