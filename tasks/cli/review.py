"""`ecoflow review …`: the steward's headless path. A review waiting in a DAG run is answered through Airflow's REST
API (the same record a click in the UI leaves, and the DAG run lands it); one held by `ecoflow run --review hold`
is decided here directly."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import time
from pathlib import Path
from typing import Any

from tasks.core.errors import UsageError


def _settings():  # noqa: ANN202
    from tasks.core import settings

    return settings.load()


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _airflow_waiting(reviews: list[dict]) -> dict[tuple[str, str, str], dict]:
    """The Airflow requests still waiting, by (dag, run, task); empty when no review waits in Airflow."""
    if not any(r["waits_in"] == "airflow" for r in reviews):
        return {}
    from tasks.cli.airflow_api import AirflowApi

    found = {}
    for item in AirflowApi.from_env().pending_reviews():
        ti = item.get("task_instance") or {}
        found[(ti.get("dag_id"), ti.get("dag_run_id"), ti.get("task_id"))] = item
    return found


def cmd_list(args: argparse.Namespace) -> int:
    from tasks.core.warehouse import connect
    from tasks.review import decisions as review

    with connect(_settings(), read_only=True) as con:
        reviews = review.pending(con)
    waiting = _airflow_waiting(reviews)
    for r in reviews:
        if r["waits_in"] == "airflow":
            r["airflow"] = "waiting" if (r["dag_id"], r["dag_run_id"], r["task_id"]) in waiting \
                else "not waiting (run cleared or failed: start it again)"
    if args.json:
        _print_json(reviews)
        return 0
    if not reviews:
        print("no review is waiting")
        return 0
    for r in reviews:
        where = f"Airflow {r['dag_id']} / {r['dag_run_id']}: {r['airflow']}" if r["waits_in"] == "airflow" \
            else "held in the warehouse (ecoflow run --review hold)"
        print(f"{r['review_id']}  {r['source']} {r['period']}  {r['rows_bad']} of {r['rows_in']} rows failing"
              f"{'  OVER THE STOP THRESHOLD' if r['breach'] else ''}\n    {len(r['files'])} file(s); {where}")
    return 0


def _details(ref: str) -> tuple[dict, str, str]:
    from tasks.core.warehouse import connect
    from tasks.review import decisions as review
    from tasks.review import policy as review_policy

    st = _settings()
    with connect(st, read_only=True) as con:
        item = review.find(con, ref)
        info = review.details(con, item, st, review_policy.for_source(item["source"]),
                              os.environ.get("ECOFLOW_AIRFLOW_API_URL", ""))
    subject, body = review.render(info)
    return info, subject, body


def cmd_show(args: argparse.Namespace) -> int:
    info, subject, body = _details(args.ref)
    if args.json:
        _print_json({**info, "subject": subject, "body_markdown": body})
        return 0
    print(f"{subject}\nstate: {info['state']}" + (f" (waits in Airflow: {info['dag_id']} / {info['dag_run_id']})"
                                                   if info["waits_in"] == "airflow" else ""))
    print(body)
    print(f"batches with failing rows ({len(info['failing_batches'])} of {len(info['batch_ids'])}; "
          "`ecoflow review fix BATCH --file corrected.csv` lands corrected rows):")
    for batch in info["failing_batches"]:
        print(f"  {batch['batch_id']}  {batch['findings']} finding(s)")
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    from tasks.core.periods import Period
    from tasks.core.warehouse import connect
    from tasks.flow import pipeline
    from tasks.flow.run import Run
    from tasks.review import decisions as review
    from tasks.review.policy import label

    option = "accept_clean" if args.accept_clean else "accept_all" if args.accept_all else "reject"
    st = _settings()
    with connect(st, read_only=True) as con:
        item = review.find(con, args.ref)
    if item["state"] == "superseded":
        raise UsageError(f"review {item['review_id']} was replaced by a newer delivery of {item['source']} "
                         f"{item['period']} before it was decided: nothing to decide")
    if item["state"] != "pending":
        raise UsageError(f"review {item['review_id']} was already decided (`ecoflow review log` shows how)")
    if item["waits_in"] == "airflow":
        from tasks.cli.airflow_api import AirflowApi

        api = AirflowApi.from_env()
        review.Decision(option, api.user, "airflow", args.reason).check()  # before anything is sent
        # Airflow's options are the buttons' labels: the one place the code is sent as its label (the DAG run's
        # review task turns it back into the code)
        answer = api.respond(item["dag_id"], item["dag_run_id"], item["task_id"], label(option),
                             {"reason": args.reason or ""})
        print(f"{item['review_id']}: {label(option)} sent to Airflow as {answer['responded_by']['name']}; "
              f"the DAG run {item['dag_run_id']} lands it")
        return _wait_for_log(st, item["review_id"], args.wait) if args.wait else 0
    decision = review.Decision(option, args.steward or getpass.getuser(), "cli", args.reason)
    held = Run(item["source"], Period.parse(item["period"]), item["review_id"], st)
    result = pipeline.decide(held, decision)
    print(f"{item['review_id']}: {label(option)} — {result.rows_landed} rows landed, {result.rows_rejected} left in "
          "quarantine" if option != "reject" else f"{item['review_id']}: rejected; {item['period']} keeps its "
          "previous state and the provider is told why")
    if option != "reject":  # the rest of the run's steps, as `ecoflow run` would have taken them
        summary = pipeline.finish_delivery(held, pipeline.RunSummary(run_id=held.run_id, source=held.source,
                                                                     period=item["period"]))
        print(f"  indicator values written: {summary.indicator_values}; alerts sent: {summary.alerts_sent}")
    return 0


def _wait_for_log(st: Any, review_id: str, seconds: float) -> int:
    """Until the DAG run has landed the decision and logged it (or the time is up)."""
    from tasks.core.warehouse import connect
    from tasks.review import decisions as review

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with connect(st, read_only=True) as con:
                logged = [d for d in review.log(con) if d["review_id"] == review_id]
        except Exception:  # noqa: BLE001 - the DAG's writer holds the file for a moment
            logged = []
        if logged:
            print(f"  logged: {logged[0]['resulting_state']}")
            return 0
        time.sleep(2)
    raise UsageError(f"the DAG run has not landed {review_id} within {seconds:.0f} s; see the run in Airflow")


def cmd_fix(args: argparse.Namespace) -> int:
    from tasks.flow import pipeline

    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    done = pipeline.correct(_settings(), args.batch, path, args.steward or getpass.getuser(), args.reason)
    if args.json:
        _print_json(done)
        return 0
    print(f"{done['batch_id']}: {done['rows_landed']} corrected rows landed for {done['source']} {done['period']} "
          f"(corrects {done['corrects']}, which stays archived with its findings)")
    print(f"  recomputed and evaluated: {', '.join(done['months_recomputed'])}; alerts sent: {done['alerts_sent']}")
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    from tasks.core import settings
    from tasks.core.warehouse import connect
    from tasks.review import decisions as review

    with connect(settings.load(), read_only=True) as con:
        rows = review.log(con, args.period, args.limit)
    if args.json:
        _print_json(rows)
        return 0
    print_log(rows)
    return 0


def print_log(rows: list[dict]) -> None:
    """One decision per line, then what it left (shared by `review log` and `status`)."""
    from tasks.core.periods import TZ

    if not rows:
        print("no steward decision recorded")
        return
    for d in rows:
        print(f"{d['decided_at'].astimezone(TZ):%Y-%m-%d %H:%M}  {d['source']} {d['period']}  {d['option']}"
              f"  by {d['decided_by']} ({d['via']})  {d['review_id']}"
              + (f"\n    reason: {d['reason']}" if d["reason"] else "")
              + f"\n    {d['resulting_state']}")


def add_parser(sub: Any, parser_class: type) -> None:
    rv = sub.add_parser("review", help="steward review of batches that failed validation")
    rv_sub = rv.add_subparsers(dest="review_command", required=True, parser_class=parser_class)
    ls = rv_sub.add_parser("list", help="reviews waiting for a decision (in Airflow or held by a run)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    sh = rv_sub.add_parser("show", help="what a review holds: rows by rule, failing rows, reports, the options")
    sh.add_argument("ref", metavar="BATCH", help="the review id (ingestion run) or one of its batch ids")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(func=cmd_show)
    de = rv_sub.add_parser("decide", help="decide a waiting review (through Airflow when a DAG run waits)")
    de.add_argument("ref", metavar="BATCH")
    how = de.add_mutually_exclusive_group(required=True)
    how.add_argument("--accept-clean", action="store_true", help="land the rows that pass; the rest stay quarantined")
    how.add_argument("--accept-all", action="store_true", help="land every row, failing ones too (needs --reason)")
    how.add_argument("--reject", action="store_true", help="land nothing; the provider is told why (needs --reason)")
    de.add_argument("--reason", help="why (required with --accept-all and --reject)")
    de.add_argument("--steward", help="who decides, for a review held in the warehouse (default: your login)")
    de.add_argument("--wait", type=float, metavar="SECONDS",
                    help="for a DAG run: wait until it has landed and logged the decision")
    de.set_defaults(func=cmd_decide)
    fx = rv_sub.add_parser("fix", help="land corrected rows for a batch with quarantined rows")
    fx.add_argument("batch", metavar="BATCH", help="the batch id whose quarantined rows are corrected")
    fx.add_argument("--file", required=True, help="the corrected rows, in the feed's own file format")
    fx.add_argument("--reason", help="what was corrected, for the decision log")
    fx.add_argument("--steward", help="who corrects (default: your login)")
    fx.add_argument("--json", action="store_true")
    fx.set_defaults(func=cmd_fix)
    lg = rv_sub.add_parser("log", help="the decision log, newest first")
    lg.add_argument("--period")
    lg.add_argument("--limit", type=int, default=50)
    lg.add_argument("--json", action="store_true")
    lg.set_defaults(func=cmd_log)
