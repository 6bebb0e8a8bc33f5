"""Which suites may validate a run's files together (one GX run for several files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasks.validate import runner


def test_the_air_suite_judges_rows_one_by_one_and_uniqueness_within_a_file() -> None:
    assert runner.validates_files_together("air_hourly")
    unique = [e for e in runner.suite_definition("air_hourly")["expectations"]
              if e["type"] == "expect_compound_columns_to_be_unique"]
    assert unique and all("file_name" in e["kwargs"]["column_list"] for e in unique)


@pytest.mark.parametrize("suite", ["waste_quantities", "submission_values", "project_reports",
                                   "drinking_water_sources"])
def test_a_suite_with_uniqueness_across_files_validates_file_by_file(suite: str) -> None:
    assert not runner.validates_files_together(suite)


def test_a_rule_about_the_whole_table_keeps_files_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    suite = {"expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "value"}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 100}}]}
    (tmp_path / "sized.json").write_text(json.dumps(suite), encoding="utf-8")
    monkeypatch.setattr(runner, "EXPECTATIONS_DIR", tmp_path)
    runner.suite_definition.cache_clear()
    runner.validates_files_together.cache_clear()
    try:
        assert not runner.validates_files_together("sized")
    finally:
        runner.suite_definition.cache_clear()
        runner.validates_files_together.cache_clear()
