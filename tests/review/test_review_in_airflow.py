"""Steward review in a real Airflow: the DAG waits, a steward decides through the REST API (or the CLI, which goes
through it), the run completes with the warehouse as decided and the decision logged; a timeout applies the safe
default; a clean month never waits."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from tasks.review.policy import LABELS
from tests.review.conftest import AIR_DAG, WASTE_DAG, WASTE_TIMEOUT_SECONDS, Stack

BIN = Path(sys.executable).parent
BAD_HOURS = 3  # hours of negative PM2.5 in the first day of a bad delivery


def _air_rows(stack: Stack, period: str) -> list[tuple]:
    return stack.query("SELECT batch_id, count(*), min(value) FROM raw.cnemc_air_hourly WHERE period = ? "
                       "GROUP BY ALL ORDER BY ALL", [period])


def _failing_rows(stack: Stack, period: str) -> int:
    return stack.query("SELECT count(*) FROM quarantine.row_issues WHERE period = ? AND severity = 'error' "
                       "AND rule = 'air.value_non_negative'", [period])[0][0]


def _ecoflow(stack: Stack, *args: str, user: str) -> subprocess.CompletedProcess:
    from demo.airflow_stack import USERS

    env = {**stack.env, "ECOFLOW_AIRFLOW_USER": user, "ECOFLOW_AIRFLOW_PASSWORD": USERS[user][1]}
    return subprocess.run([str(BIN / "ecoflow"), *args], env=env, capture_output=True, text=True, timeout=300)


def test_a_steward_accepts_everything_with_a_reason_and_the_values_say_so(stack: Stack) -> None:
    stack.air.publish("2019-02", negative_pm25_hours=BAD_HOURS)
    run_id = stack.airflow.trigger(AIR_DAG, {"period": "2019-02"}, "review-accept-all")
    waiting = stack.pending_review(AIR_DAG, run_id)
    # what the steward is shown: Chinese subject and body with the counts, the failing rows and the options
    assert "2019-02" in waiting["subject"] and "未通过校验" in waiting["subject"]
    body = waiting["body"]
    assert "浓度不应为负值" in body and "china_sites_20190201.csv" in body   # the rule in words, not its id
    assert "air.value_non_negative" not in body
    assert all(label in body for label in LABELS.values())
    assert "/ecoflow/reports/air/2019-02/" in body
    # the check report (linked first) is served by Airflow to a logged-in steward, sandboxed; nothing outside the
    # reports is served
    [report] = re.findall(r"\((https?://[^)]+/ecoflow/reports/air/2019-02/[^)]+\.html)\)", body)[:1]
    assert "/check/" in report
    steward = stack.airflow.session("li.na")
    page = steward.get(report, timeout=30)
    assert page.status_code == 200 and "浓度不应为负值" in page.text and "china_sites_20190201.csv" in page.text
    assert page.headers["Content-Security-Policy"].startswith("sandbox")
    outside = steward.get(f"{stack.airflow.url}/ecoflow/reports/%2e%2e/%2e%2e/warehouse.duckdb", timeout=30)
    assert outside.status_code == 404
    assert waiting["options"] == list(LABELS.values()) and waiting["defaults"] == [LABELS["accept_clean"]]
    assert {u["id"] for u in waiting["assigned_users"]} == {"li.na", "zhou.jie"}

    base = f"{stack.airflow.url}/api/v2/dags/{AIR_DAG}/dagRuns/{run_id}/taskInstances/review/-1/hitlDetails"
    # a user who is not a steward of the source may not decide
    refused = stack.airflow.session("chen.gang").patch(
        base, json={"chosen_options": [LABELS["accept_all"]], "params_input": {"reason": "x"}}, timeout=30)
    assert refused.status_code == 403
    answer = stack.airflow.session("zhou.jie").patch(base, json={
        "chosen_options": [LABELS["accept_all"]],
        "params_input": {"reason": "负值为仪器零点漂移，站点已确认，按原值入库"}}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert stack.airflow.wait_for_run(AIR_DAG, run_id) == "success"

    failing = _failing_rows(stack, "2019-02")
    # every failing row (a negative PM2.5 of the first BAD_HOURS hours) was landed as decided
    assert failing == stack.query("SELECT count(*) FROM raw.cnemc_air_hourly WHERE period = '2019-02' AND "
                                  f"type = 'PM2.5' AND value < 0 AND hour < {BAD_HOURS}")[0][0] > 0
    rows = _air_rows(stack, "2019-02")
    assert min(r[2] for r in rows) < 0  # the failing rows were landed as decided
    [decision] = stack.query("SELECT option, decided_by, via, reason, rows_overridden, rows_quarantined "
                             "FROM review.decisions WHERE period = '2019-02'")
    assert decision == ("accept_all", "zhou.jie", "airflow", "负值为仪器零点漂移，站点已确认，按原值入库", failing, 0)
    overridden = stack.query("SELECT DISTINCT unnest(overridden_batch_ids) FROM marts.indicator_values "
                             "WHERE period = '2019-02' AND indicator_code = 'air_pm25_mean'")
    assert overridden == [(r[0],) for r in rows if r[2] < 0]
    # the stewards were told by email that a review was waiting, with the link to it
    told = [m for m in stack.sink.received if "lina@sthjt.example.cn" in m.rcpt_tos and "2019-02" in m.subject]
    assert told and "required_actions" in told[0].message.get_body(("plain",)).get_content()


def test_a_rejection_through_the_cli_keeps_the_month_and_tells_the_provider(stack: Stack) -> None:
    stack.air.publish("2019-03")
    clean = stack.airflow.trigger(AIR_DAG, {"period": "2019-03"}, "review-clean-march")
    assert stack.airflow.wait_for_run(AIR_DAG, clean) == "success"
    states = stack.airflow.task_states(AIR_DAG, clean)
    assert states["review"] == "skipped" and states["land"] == states["compute"] == "success"  # never waited
    before = _air_rows(stack, "2019-03")
    values_before = stack.query("SELECT * FROM marts.indicator_values WHERE period = '2019-03' ORDER BY ALL")
    assert before and values_before

    stack.air.publish("2019-03", negative_pm25_hours=BAD_HOURS)
    run_id = stack.airflow.trigger(AIR_DAG, {"period": "2019-03"}, "review-reject-march")
    stack.pending_review(AIR_DAG, run_id)
    listed = _ecoflow(stack, "review", "list", user="li.na")
    assert listed.returncode == 0, listed.stderr
    [line] = [x for x in listed.stdout.splitlines() if "air 2019-03" in x]
    review_id = line.split()[0]
    assert "waiting" in listed.stdout
    refused = _ecoflow(stack, "review", "decide", review_id, "--reject", user="li.na")
    assert refused.returncode != 0 and "reason" in refused.stderr  # checked before anything is sent to Airflow
    decided = _ecoflow(stack, "review", "decide", review_id, "--reject", "--reason", "PM2.5 出现负值，请总站核实",
                       "--wait", "240", user="li.na")
    assert decided.returncode == 0, decided.stderr
    assert stack.airflow.wait_for_run(AIR_DAG, run_id) == "success"
    states = stack.airflow.task_states(AIR_DAG, run_id)
    assert states["review"] == "success" and states["land"] == "skipped" and states["compute"] == "skipped"

    assert _air_rows(stack, "2019-03") == before  # the previous state of the month
    assert stack.query("SELECT * FROM marts.indicator_values WHERE period = '2019-03' ORDER BY ALL") == values_before
    assert stack.query("SELECT option, decided_by, via, reason FROM review.decisions WHERE review_id = ?",
                       [review_id]) == [("reject", "li.na", "airflow", "PM2.5 出现负值，请总站核实")]
    assert stack.query("SELECT DISTINCT status FROM meta.batches WHERE run_id = ? AND archive_path IS NOT NULL",
                       [review_id]) == [("rejected",)]
    [notice] = [m for m in stack.sink.received if m.rcpt_tos == ["feed-air@cnemc.example.cn"]]
    text = notice.message.get_body(("plain",)).get_content()
    assert "2019-03" in notice.subject and "PM2.5 出现负值，请总站核实" in text and "浓度不应为负值" in text
    shown = _ecoflow(stack, "status", "--period", "2019-03", user="li.na")
    assert "reject  by li.na (airflow)" in shown.stdout and "PM2.5 出现负值" in shown.stdout


def test_nobody_answers_and_the_timeout_applies_the_safe_default(stack: Stack) -> None:
    started = time.monotonic()
    run_id = stack.airflow.trigger(WASTE_DAG, {"period": "2025-01"}, "review-timeout-waste")
    waiting = stack.pending_review(WASTE_DAG, run_id)
    assert f"{round(WASTE_TIMEOUT_SECONDS / 3600, 2)} 小时内未作决定" in waiting["body"]   # the steward is told
    assert stack.airflow.wait_for_run(WASTE_DAG, run_id, timeout=WASTE_TIMEOUT_SECONDS + 240) == "success"
    assert time.monotonic() - started >= WASTE_TIMEOUT_SECONDS
    [decision] = stack.query("SELECT option, decided_by, via, rows_quarantined, resulting_state FROM review.decisions "
                             "WHERE review_id = (SELECT review_id FROM review.reviews WHERE dag_run_id = ?)", [run_id])
    assert decision[:3] == ("accept_clean", "timeout", "timeout") and decision[3] == 1  # the wrong-unit row
    landed = stack.query("SELECT count(*) FROM raw.waste_quantities WHERE period = '2025-01'")[0][0]
    assert landed > 0 and f"已入库 {landed} 行" in decision[4]
