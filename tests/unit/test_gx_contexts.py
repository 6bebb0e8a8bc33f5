"""The file contexts of Great Expectations: a new source-month's context is a copy of one the process set up, and
judges exactly as a context set up from expectations/ does; an existing context gets the suite as it is now."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tasks.validate import runner

NOT_NULL = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "value"},
            "meta": {"rule": "t.not_null", "reason": "空值"}}
IN_RANGE = {"type": "expect_column_values_to_be_between", "kwargs": {"column": "value", "min_value": 0,
                                                                     "max_value": 10},
            "meta": {"rule": "t.range", "reason": "超出范围"}}
FRAME = pd.DataFrame({"row_id": [10, 11, 12, 13], "value": [1.0, None, 11.0, 5.0]})


@pytest.fixture
def suites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """expectations/ in a temporary folder, and the runner's per-process state as a new process has it."""
    folder = tmp_path / "expectations"
    folder.mkdir()
    monkeypatch.setattr(runner, "EXPECTATIONS_DIR", folder)
    monkeypatch.setattr(runner, "_set_up", {})
    _new_process()
    yield folder
    _new_process()


def _new_process() -> None:
    for cached in (runner.suite_definition, runner._checkpoint, runner._context):
        cached.cache_clear()
    runner._set_up.clear()


def _write(folder: Path, *expectations: dict) -> None:
    (folder / "tiny.json").write_text(json.dumps({"expectations": list(expectations)}), encoding="utf-8")


def _findings(root: Path, name: str) -> list[tuple[str, tuple[int, ...]]]:
    outcome = runner.validate(FRAME, suite="tiny", row_key="row_id", parameters={}, gx_root=root, run_name=name)
    runner.publish(root, [outcome])
    assert outcome.report_path is not None and outcome.report_path.exists()
    return sorted((f.rule, f.row_ids) for f in outcome.failures)


def test_a_copied_context_judges_as_the_one_set_up_and_holds_only_its_own_results(suites: Path,
                                                                                  tmp_path: Path) -> None:
    _write(suites, NOT_NULL, IN_RANGE)
    first = _findings(tmp_path / "2025-01", "first")
    assert first == [("t.not_null", (11,)), ("t.range", (12,))]
    second = _findings(tmp_path / "2025-02", "second")
    assert runner._set_up["tiny"] == tmp_path / "2025-01"       # the second month's context was copied
    assert second == first
    results = tmp_path / "2025-02" / "gx" / "uncommitted" / "validations"
    assert any(results.rglob("*.json"))
    assert "first" not in {p.name for p in results.rglob("*")}   # the first month's results stay in its own site
    ids = {m: re.search(r"(?m)^data_context_id: (.+)$", (tmp_path / m / "gx" / "great_expectations.yml")
                        .read_text(encoding="utf-8")).group(1) for m in ("2025-01", "2025-02")}
    assert len(set(ids.values())) == 2                          # a context of its own, named so in its Data Docs
    assert not list((tmp_path / "2025-02").glob(".gx-*"))      # the copy was renamed into place whole


def test_an_earlier_processs_context_gets_the_suite_as_it_is_now(suites: Path, tmp_path: Path) -> None:
    _write(suites, NOT_NULL)
    assert _findings(tmp_path / "2025-01", "before") == [("t.not_null", (11,))]
    _write(suites, NOT_NULL, IN_RANGE)                           # the suite changed (an upgrade), a new process
    _new_process()
    assert _findings(tmp_path / "2025-01", "after") == [("t.not_null", (11,)), ("t.range", (12,))]
    assert _findings(tmp_path / "2025-02", "copied") == [("t.not_null", (11,)), ("t.range", (12,))]


def test_a_model_context_removed_since_is_not_copied(suites: Path, tmp_path: Path) -> None:
    import shutil

    _write(suites, NOT_NULL, IN_RANGE)
    _findings(tmp_path / "2025-01", "first")
    shutil.rmtree(tmp_path / "2025-01")
    assert _findings(tmp_path / "2025-02", "second") == [("t.not_null", (11,)), ("t.range", (12,))]
    assert runner._set_up["tiny"] == tmp_path / "2025-02"
