"""The steward review step of the ingestion DAGs, on Airflow's human-in-the-loop operator.

The validation step (tasks.scheduling.steps.validate_step) says whether the run needs a review. A clean run skips this
task; otherwise it asks the source's stewards (review_policy.csv) with a Chinese subject and Markdown body, waits in
Airflow's `awaiting_input` state, and after the response timeout the scheduler applies the safe default. Airflow
shows and stores the options as their Chinese labels; the answer is turned into the decision's code here, and the
landing step reads that decision (codes only) from this task's XCom. The task never writes to the warehouse (it
holds no pool slot while it waits); it reads the review from it.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import Param
from airflow.sdk.bases.notifier import BaseNotifier
from airflow.sdk.exceptions import AirflowSkipException

from tasks.review.policy import LABELS, label, option_of


class StewardsNotifier(BaseNotifier):
    """Emails the stewards that a review is waiting, with the link to it; a mail failure is logged, not raised
    (the review waits in the UI either way)."""

    template_fields = ()

    def __init__(self, source: str, review_id: str, subject: str, body: str) -> None:
        super().__init__()
        self.source, self.review_id, self.subject, self.body = source, review_id, subject, body

    def notify(self, context: Any) -> None:
        from tasks.review import decisions as review
        from tasks.review import policy as review_policy
        from tasks.scheduling.steps import _settings

        error = review.try_notify(review.notify_stewards, _settings(), review_policy.for_source(self.source),
                                  self.review_id, self.subject, self.body)
        if error:
            self.log.warning("stewards not told by email: %s (the review waits in the UI)", error)


class StewardReviewOperator(HITLOperator):
    """Waits for a steward's decision on a run the validation step flagged; skipped for a clean run."""

    def __init__(self, *, source: str, validate_task_id: str = "validate", **kwargs: Any) -> None:
        kwargs["params"] = {"reason": Param(None, type=["null", "string"], title="理由",
                                            description="选择“全部接受”或“退回”时必须填写；退回理由将告知数据提供方")}
        super().__init__(subject=f"{source}: 数据校验审核", options=list(LABELS.values()),
                         defaults=[label("accept_clean")], **kwargs)
        self.source, self.validate_task_id = source, validate_task_id

    def execute(self, context: Any) -> Any:
        from airflow.sdk.execution_time.hitl import HITLUser

        from tasks.review import policy as review_policy

        facts = context["ti"].xcom_pull(task_ids=self.validate_task_id)
        if not facts or not facts.get("needs_review"):
            raise AirflowSkipException("the batch passed validation: nothing for a steward to decide")
        policy = review_policy.for_source(self.source)
        try:
            link = self.generate_link_to_ui_from_context(context=context)
        except ValueError:  # [api] base_url is not set: the email goes without a link
            link = None
        self.subject = facts["subject"]
        self.body = facts["body"] + (f"\n[在 Airflow 中处理此审核]({link})\n" if link else "")
        self.assigned_users = [HITLUser(id=user, name=user) for user in policy.stewards]
        self.defaults = [label(policy.timeout_option(bool(facts["breach"])))]
        self.response_timeout = policy.response_timeout
        self.notifiers = [StewardsNotifier(self.source, facts["review_id"], self.subject, self.body)]
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> dict[str, Any]:
        """The decision as the landing step takes it: the chosen option's code, who (the login; `timeout` when the
        timeout's default was applied), how and why. An override or a rejection without a reason is not taken: the
        task fails, and its retry asks again."""
        from tasks.review.decisions import Decision

        answer = super().execute_complete(context, event)
        timedout = bool(event.get("timedout"))
        [chosen] = answer["chosen_options"]
        option = option_of(chosen)
        reason = ((answer.get("params_input") or {}).get("reason") or "").strip()
        if not timedout and option != "accept_clean" and not reason:
            raise ValueError(f"“{chosen}” needs a reason (理由); nothing was landed — the retry of this task asks "
                             "again")
        user = answer.get("responded_by_user") or {}
        who = user.get("name") or user.get("id") or "unknown"  # the login: under FAB the id is a row number
        return Decision(option, decided_by="timeout" if timedout else who, via="timeout" if timedout else "airflow",
                        reason=reason or None, decided_at=answer.get("responded_at")).to_record()
