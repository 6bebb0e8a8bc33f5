"""A digest's summary row: a task's target reads as its wording, and a change since last month is what decides that
a department gets the month's digest (digest_changed_leads) — a first target this year included."""

from __future__ import annotations

from tasks.alert.digest_content import _row_view


def _row(**changes: object) -> dict:
    row = {"evaluation_digits": 1, "unit": "%", "target_kind": "value", "comparator": ">=", "target_value": 95.0,
           "target_text": "95", "value": 96.5, "projected_value": None, "last_year_value": None,
           "status": "进行中", "previous_status": "数据不足", "had_previous": True}
    return {**row, **changes}


def test_a_task_target_reads_as_its_wording_never_as_one() -> None:
    assert _row_view(_row(target_kind="task", comparator="=", target_value=1.0, target_text="制定实施",
                          unit="—"))["target_text"] == "制定实施"
    assert _row_view(_row(target_kind="task", comparator="=", target_value=1.0, target_text=None,
                          unit="—"))["target_text"] == "完成"
    assert _row_view(_row())["target_text"] == "≥95%"


def test_a_change_since_last_month_includes_a_first_target_and_not_a_month_never_evaluated() -> None:
    assert _row_view(_row())["changed"]                                         # 数据不足 → 进行中
    assert _row_view(_row(previous_status=None))["changed"]                     # no target last month → 进行中
    assert not _row_view(_row(previous_status=None, had_previous=False))["changed"]   # last month not evaluated
    assert not _row_view(_row(previous_status="进行中"))["changed"]
