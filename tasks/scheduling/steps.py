"""Thin adapters between Airflow task contexts and the pipeline steps (keeps DAG files wiring only)."""

from __future__ import annotations

import os
from typing import Any

from tasks.core import settings
from tasks.core.errors import ConfigError, NothingToLand, ParseError, UsageError, ValidationFailed
from tasks.core.periods import Period
from tasks.core.settings import Settings
from tasks.flow import pipeline
from tasks.flow.run import Run

#: Failures a retry cannot mend: the same bytes fail the same way; a person has to look.
FINAL = (ValidationFailed, ParseError, NothingToLand, UsageError)


def _settings() -> Settings:
    """Workers must name their state explicitly: a default under the worker's cwd would split the warehouse."""
    if not os.environ.get("ECOFLOW_HOME"):
        raise ConfigError("ECOFLOW_HOME is not set for the Airflow workers; point it at the shared state folder")
    return settings.load()


def period_of_run(context: Any) -> str:
    """The `period` param of a manual run, else the month before the scheduled run's data interval."""
    param = (context.get("params") or {}).get("period")
    if param:
        return str(Period.parse(param))
    start = context.get("data_interval_start") or context.get("logical_date")
    if start is None:
        raise ValueError("a run without `period` param and without a data interval: pass period=YYYY-MM")
    return str(Period.previous_to(start))


def _run(run: dict) -> Run:
    """The run an upstream task handed on (its XCom), on this worker's settings."""
    return Run.from_xcom(run, _settings())


def fetch_step(source: str, period: str) -> dict:
    """Open the run and fetch the month's files; the run goes to the next tasks as XCom."""
    return pipeline.fetch(_settings(), source, Period.parse(period), trigger="airflow").to_xcom()


def validate_step(context: Any, run: dict, review_task_id: str = "review") -> dict:
    """Validate and stage the run's files; a run that needs a steward is registered as waiting at the review
    task of this DAG run."""
    from airflow.sdk.exceptions import AirflowFailException

    ti = context["ti"]
    dag = {"dag_id": ti.dag_id, "dag_run_id": ti.run_id, "task_id": review_task_id}
    try:
        return pipeline.validate(_run(run), waits_in="airflow", dag=dag)
    except FINAL as exc:  # e.g. no file of the month arrived: a retry fetches nothing new
        raise AirflowFailException(str(exc)) from exc


def land_step(context: Any, run: dict, review_task_id: str = "review", *, finish_run: bool = False) -> dict:
    """Land as the steward decided (a clean run: as validated). A rejection ends the run here: the computation is
    skipped, since the period keeps its previous state."""
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from tasks.review.decisions import Superseded

    current = _run(run)
    answer = context["ti"].xcom_pull(task_ids=review_task_id)
    try:
        decision = review_decision(answer)
        result = pipeline.decide(current, decision)
    except Superseded as exc:
        raise AirflowSkipException(str(exc)) from exc
    except FINAL as exc:
        raise AirflowFailException(str(exc)) from exc
    if decision is not None and decision.option == "reject":
        raise AirflowSkipException(f"rejected by {decision.decided_by}: {current.period} keeps its previous state")
    if finish_run:
        pipeline.finish(current, "landed")
    return {"rows_landed": result.rows_landed, "rows_rejected": result.rows_rejected,
            "rows_overridden": result.rows_overridden, "rows_warned": result.rows_warned,
            "missing": result.missing_files, "reports": result.reports,
            "decision": decision.option if decision else "clean"}


def review_decision(answer: dict | None) -> Any:
    """The review task's XCom as a decision (None: the task was skipped, the run was clean). The review task
    hands on the decision in codes (tasks.scheduling.review_operator); the button's label stays in Airflow."""
    from tasks.review.decisions import Decision

    return Decision.from_record(answer) if answer else None


def compute_step(run: dict) -> dict:
    """The source's values of the run's month (evaluation is indicators_recompute's, once per delivery)."""
    return pipeline.compute(_run(run))


def alert_step(periods: list[str], context: Any = None) -> dict:
    """The alert rules over the evaluated months; the monthly digests on a dispatch run (the monthly timetable, or
    a person's manual run), only new 进度预警 on a run a delivery triggered (its Asset events)."""
    dispatch = not (context or {}).get("triggering_asset_events")
    return pipeline.alert(_settings(), [Period.parse(p) for p in periods], dispatch=dispatch)


def bulletin_step(periods: list[str]) -> list[str]:
    """The bulletin (reports/bulletin/<period>.html) and the 月报 (reports/monthly/<period>.html and .pdf) of each
    month named; returns the files written."""
    return [str(f) for f in pipeline.bulletin(_settings(), [Period.parse(p) for p in periods])]


def poll_step(source: str) -> dict:
    """Fetch and archive one poll of a real-time feed; its validation, review and landing follow (the run, as
    XCom: its `period` and `run_id` among it)."""
    return pipeline.poll(_settings(), source, trigger="airflow").to_xcom()


def evaluate_step(source: str, period: str) -> dict:
    """The month of a captured source, computed from what the polls landed (its evaluation follows in
    indicators_recompute)."""
    return pipeline.compute_captured(_settings(), source, Period.parse(period), trigger="airflow")


def inbox_step() -> dict:
    from tasks.flow import inbox

    outcomes = inbox.process(_settings(), trigger="airflow")
    return {"files": len(outcomes), "accepted": sum(o.accepted for o in outcomes),
            "rejected": sum(not o.accepted for o in outcomes),
            "periods": [str(p) for p in inbox.changed_periods(outcomes)]}


def publish_periods(context: Any, asset: Any, periods: list[str]) -> None:
    """Tell the Asset's consumers which months changed (the recomputation refreshes only those)."""
    context["outlet_events"][asset].extra = {"periods": sorted(set(periods))}


def publish_or_skip(context: Any, asset: Any, periods: list[str]) -> list[str]:
    """Publish the months that changed; with none, skip the task so the Asset gets no event (its consumer would
    have nothing to do)."""
    from airflow.sdk.exceptions import AirflowSkipException

    if not periods:
        raise AirflowSkipException("no month changed: the Asset is not updated")
    publish_periods(context, asset, periods)
    return sorted(set(periods))


def periods_to_refresh(context: Any) -> list[str]:
    """The months the triggering Asset events name, the `period` param of a manual run, or — for a run of the
    monthly timetable — the month before it."""
    found = set()
    for events in (context.get("triggering_asset_events") or {}).values():
        for event in events:
            found.update(str(Period.parse(p)) for p in (getattr(event, "extra", None) or {}).get("periods", []))
    param = (context.get("params") or {}).get("period")
    if param:
        found.add(str(Period.parse(param)))
    if not found and not context.get("triggering_asset_events"):
        found.add(period_of_run(context))
    if not found:
        raise ValueError("nothing to refresh: no triggering Asset event named a period and no `period` param")
    return sorted(found)


def recompute_step(context: Any, periods: list[str]) -> list[str]:
    """With the `recompute_values` param (a manual run after a catalogue or rules change), recompute every
    source's values of the months from what is landed first; returns the months to evaluate."""
    if not (context.get("params") or {}).get("recompute_values"):
        return periods
    st = _settings()
    for text in periods:
        pipeline.recompute(st, Period.parse(text))
    return periods


def refresh_step(periods: list[str]) -> dict:
    """Evaluate the months and the later months that depend on them (YTD, rolling 12 months, 同比, projection)."""
    return {"evaluated": [str(m) for m in pipeline.evaluate(_settings(), [Period.parse(p) for p in periods])]}


def assess_step(context: Any) -> dict:
    """The quarterly assessment DAG's task: write the quarter's assessment; the paths for the task log and XCom."""
    from tasks.report import assessment

    quarter = assessment.quarter_of_run(context)
    html, pdf = assessment.write(_settings(), quarter)
    return {"quarter": str(quarter), "html": str(html), "pdf": str(pdf) if pdf else None}
