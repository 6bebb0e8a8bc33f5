"""The review task's answer as the DAG's landing step reads it: who, which option, why, and whether the timeout
chose it; an override or a rejection without a reason is refused by the task itself (its retry asks again)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tasks.review.policy import LABELS
from tasks.scheduling.review_operator import StewardReviewOperator
from tasks.scheduling.steps import review_decision


def _answer(option: str, reason: str | None, *, user: str | None = "li.na", timedout: bool = False,
            user_id: str | None = None) -> dict:
    op = StewardReviewOperator(task_id="review", source="air")
    event = {"chosen_options": [LABELS[option]], "params_input": {"reason": reason},
             "responded_at": datetime(2025, 2, 4, 9, 30, tzinfo=UTC),
             "responded_by_user": {"id": user_id or user, "name": user} if user else None, "timedout": timedout}
    return op.execute_complete({}, event)


def test_a_stewards_answer_becomes_the_decision_logged() -> None:
    decision = review_decision(_answer("accept_all", "站点已确认"))
    assert (decision.option, decision.decided_by, decision.via, decision.reason) == \
        ("accept_all", "li.na", "airflow", "站点已确认")
    assert decision.decided_at == datetime(2025, 2, 4, 9, 30, tzinfo=UTC)


def test_under_fab_the_decision_names_the_stewards_login_not_the_user_row_id() -> None:
    # FAB answers with the ab_user row id as `id` and the login as `name` (tests/review/test_native_stack.py)
    assert review_decision(_answer("accept_clean", None, user="li.na", user_id="7")).decided_by == "li.na"


def test_the_timeouts_default_is_logged_as_the_timeout() -> None:
    decision = review_decision(_answer("reject", None, user=None, timedout=True))
    assert (decision.option, decision.decided_by, decision.via) == ("reject", "timeout", "timeout")


@pytest.mark.parametrize("option", ["accept_all", "reject"])
def test_an_override_or_a_rejection_without_a_reason_is_refused_by_the_task(option: str) -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        _answer(option, "   ")


def test_a_skipped_review_is_a_clean_batch() -> None:
    assert review_decision(None) is None
    assert review_decision(_answer("accept_clean", None)).option == "accept_clean"


@pytest.mark.parametrize("option", ["accept_clean", "accept_all", "reject"])
def test_the_decision_travels_as_its_code_never_as_the_buttons_label(option: str) -> None:
    import json

    answer = _answer(option, "站点已确认")
    passed_on = json.dumps(answer, ensure_ascii=False)   # what the XCom holds
    assert answer["option"] == option
    assert not any(label in passed_on for label in LABELS.values())
    assert review_decision(json.loads(passed_on)).option == option


def test_a_label_where_a_code_belongs_is_refused() -> None:
    from tasks.core.errors import UsageError
    from tasks.review.decisions import Decision

    record = Decision("reject", decided_by="li.na", via="airflow", reason="负值").to_record()
    with pytest.raises(UsageError, match="unknown decision"):
        Decision.from_record({**record, "option": LABELS["reject"]})


def test_each_label_shown_maps_back_to_its_code_and_nothing_else_does() -> None:
    from tasks.review.policy import label, option_of

    assert [option_of(label(code)) for code in LABELS] == list(LABELS)
    with pytest.raises(ValueError, match="not a review option"):
        option_of("同意")
