"""`ecoflow`: run a source for a month, read indicator values, see what ran — the same code the DAGs run.

Errors are one line on stderr with a non-zero exit; nothing here needs a scheduler.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from tasks.cli import contract as cli_contract
from tasks.cli.contract import EXIT_ERROR, args_problem


def _quiet() -> None:
    """Keep library chatter (GX progress bars, Airflow/structlog info logs) out of CLI output."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TQDM_DISABLE", "1")
    logging.basicConfig(level=logging.WARNING)
    for name in ("great_expectations", "airflow", "tqdm"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _rows(con: Any, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    from tasks.core import sql

    return sql.rows(con, name, params)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    def cell(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, bool):
            return "yes" if v else "NO"
        if isinstance(v, float):
            return f"{v:.0f}" if abs(v) >= 1e5 else f"{v:g}"  # 8722320 m³, not 8.72232e+06
        return str(v)

    body = [[cell(r.get(key)) for key, _ in columns] for r in rows]
    heads = [title for _, title in columns]

    def width(s: str) -> int:  # CJK characters take two columns in a terminal
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)

    widths = [max([width(h)] + [width(row[i]) for row in body]) for i, h in enumerate(heads)]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(heads), line(["-" * w for w in widths])] + [line(r) for r in body])


def _print_summary(summary: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
        return
    from tasks.sources.spec import spec

    print(f"{summary.source} {summary.period}: run {summary.run_id}")
    if spec(summary.source).mode == "poll":
        print(f"  polls with readings of the month: {summary.fetched} (evaluated from what was captured)")
    else:
        print(f"  files landed: {summary.fetched}; not published (404): {len(summary.missing)}"
              + (f" ({', '.join(summary.missing)})" if summary.missing else ""))
    print(f"  values landed: {summary.rows_landed}; quarantined: {summary.rows_rejected}; "
          f"findings reported as warnings: {summary.rows_warned}")
    if summary.review == "pending":
        print(f"  WAITING FOR REVIEW: {summary.review_id} — nothing landed yet; "
              f"`ecoflow review show {summary.review_id}`, then `ecoflow review decide {summary.review_id} …`")
        return
    if summary.review:
        print(f"  steward review {summary.review_id}: decided by policy: {summary.review}")
    print(f"  indicator values written: {summary.indicator_values}")
    print(f"  alerts sent: {summary.alerts_sent}; pending: {summary.alerts_pending}")
    for path in summary.eml_files:
        print(f"  alert email: {path}")
    for path in summary.bulletins:
        print(f"  report written: {path}")
    if summary.reports:
        from tasks.core import settings
        from tasks.validate.runner import data_docs_index

        print("  validation reports: "
              f"{data_docs_index(settings.load().gx_root(summary.source, summary.period))}")


def cmd_run(args: argparse.Namespace) -> int:
    from tasks.core import settings
    from tasks.core.errors import DeliveryError
    from tasks.core.periods import Period
    from tasks.flow import pipeline

    first = Period.parse(args.period)
    if args.through:
        return _backfill(args, first, Period.parse(args.through))
    try:
        summary = pipeline.run(settings.load(), args.source, first, trigger="cli",
                               review_policy_name=args.review, reason=args.reason)
    except DeliveryError as exc:
        if getattr(exc, "summary", None) is not None:
            _print_summary(exc.summary, args.json)
        raise
    _print_summary(summary, args.json)
    return 0


def _backfill(args: argparse.Namespace, first: Any, last: Any) -> int:
    """`--period` through `--through`, month by month in order (a later month's year to date and rolling 12 months
    read the earlier ones), with a progress bar on stderr. The months before the last record their alerts and send
    no monthly digest and write no bulletin: the last month's run sends one digest per recipient with everything
    due, and writes its bulletin and 月报. A month that fails is named and the next one runs; the exit is non-zero
    if any failed."""
    import time

    from tasks.core import settings
    from tasks.core.errors import EcoflowError, UsageError
    from tasks.flow import pipeline

    if last < first:
        raise UsageError(f"--through {last} is before --period {first}")
    months = [first.shift(i) for i in range((last.year - first.year) * 12 + last.month - first.month + 1)]
    done: list[dict[str, Any]] = []
    failed: list[tuple[str, str]] = []
    started = time.monotonic()
    for i, month in enumerate(months, start=1):
        _progress(args.source, month, i, len(months), time.monotonic() - started)
        try:
            summary = pipeline.run(settings.load(), args.source, month, trigger="cli",
                                   review_policy_name=args.review, reason=args.reason, history=i < len(months))
            done.append(summary.as_dict())
        except EcoflowError as exc:
            failed.append((str(month), str(exc).splitlines()[0]))
    _progress(args.source, months[-1], len(months), len(months), time.monotonic() - started, end=True)
    if args.json:
        print(json.dumps({"months": done, "failed": [{"period": p, "error": e} for p, e in failed]},
                         ensure_ascii=False, indent=2))
    else:
        landed = sum(d.get("rows_landed", 0) for d in done)
        print(f"{args.source} {first}..{last}: {len(done)} of {len(months)} months run, {landed} values landed, "
              f"{time.monotonic() - started:.0f} s")
        for period, error in failed:
            print(f"  FAILED {period}: {error}")
    return EXIT_ERROR if failed else 0


def _progress(source: str, month: Any, i: int, n: int, elapsed: float, *, end: bool = False) -> None:
    """One line on stderr, rewritten in place on a terminal: the bar, the month, time spent and left."""
    share = (i if end else i - 1) / n
    bar = "█" * round(share * 24) + "░" * (24 - round(share * 24))
    left = elapsed / (i - 1) * (n - i + 1) if i > 1 and not end else 0.0
    text = (f"回填 {source} {bar} {share:6.1%} 第 {i}/{n} 月（{month}）已用 {elapsed:,.0f} 秒"
            + ("，完成" if end else f"，预计还需 {left:,.0f} 秒"))
    tty = sys.stderr.isatty()
    print(("\r" + text) if tty else text, end="" if tty and not end else "\n", file=sys.stderr, flush=True)


def _parse_time(text: str) -> datetime:
    from tasks.core.errors import UsageError

    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a time like 2020-05-08T16:00 (Asia/Shanghai unless an offset "
                         "is given)") from None


def cmd_capture(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tasks.core import settings
    from tasks.core.errors import EcoflowError, UsageError
    from tasks.flow import pipeline

    replays = [Path(f) for f in args.file or []]
    for replay in replays:   # every file checked before the first lands
        if not replay.is_file():
            raise UsageError(f"--file {replay}: " + ("a folder, not a file" if replay.is_dir() else "no such file"))
        if replay.suffix.lower() not in (".json", ".csv"):
            raise UsageError(f"--file {replay}: a saved response is the platform's .json or a per-section .csv "
                             "capture")
    as_of = _parse_time(args.as_of) if args.as_of else None
    config = settings.load()
    outs: list[dict] = []
    for replay in replays or [None]:   # each replay a run of its own, in the order given, in one process
        try:
            run_id, result = pipeline.capture(config, "water", as_of=as_of, replay=replay, trigger="cli")
        except EcoflowError:
            if args.json and outs:   # the runs that landed before this file are still said (stderr: the error)
                print(json.dumps(outs, ensure_ascii=False, indent=2))
            raise
        out = {"run_id": run_id, "period": result.period, "files": [b.file_name for b in result.batches],
               "rows_landed": result.rows_landed, "rows_rejected": result.rows_rejected,
               "rows_warned": result.rows_warned, "reports": result.reports}
        outs.append(out)
        if not args.json:
            print(f"water capture {', '.join(out['files'])}: run {run_id}")
            print(f"  readings landed: {result.rows_landed}; quarantined: {result.rows_rejected}; "
                  f"warnings: {result.rows_warned}")
            for report in result.reports:
                print(f"  validation report: {report}")
    if args.json:
        print(json.dumps(outs if len(replays) > 1 else outs[0], ensure_ascii=False, indent=2))
    return 0


def cmd_water_sections(args: argparse.Namespace) -> int:
    from tasks.core import settings
    from tasks.core.periods import Period
    from tasks.core.warehouse import connect
    from tasks.standards.water import CLASS_LABELS

    period = Period.parse(args.period)
    with connect(settings.load(), read_only=True) as con:
        if args.province and not _rows(con, "queries/water_province_seen", {"province": args.province}):
            from tasks.core.errors import UsageError

            raise UsageError(f"no readings were ever captured for province {args.province!r} (write it as the "
                             "feed does, e.g. 内蒙古自治区)")
        rows = _rows(con, "queries/water_sections", {"period": str(period), "province": args.province})
    for r in rows:
        r["parameter_means"] = json.loads(r["parameter_means"])
        r["parameter_classes"] = json.loads(r["parameter_classes"])
        r["platform_classes"] = json.loads(r["platform_classes"]) if r["platform_classes"] else None
        r["class"] = r.pop("water_class")
        r["class_label"] = CLASS_LABELS.get(r["class"]) if r["class"] is not None else None
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=_jsonable))
        return 0
    if not rows:
        print(f"no section evaluated for {period}: capture readings first (`ecoflow run water-capture`), then "
              f"`ecoflow run water --period {period}`")
        return 0
    for r in rows:
        r["means"] = " ".join(f"{k}={v:g}" for k, v in r["parameter_means"].items()
                              if k in ("do", "codmn", "nh3n", "tp"))
    print(_table(rows, [("section_name", "section"), ("province", "province"), ("basin", "basin"),
                        ("water_body", "body"), ("readings", "valid"), ("readings_all", "readings"),
                        ("class_label", "class"), ("worst_parameters", "worst"),
                        ("class_disagreements", "platform differs"), ("means", "means (mg/L)")]))
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tasks.core import settings
    from tasks.core.periods import Period
    from tasks.flow.warehouse import writer
    from tasks.sources.submissions import drinking_water
    from tasks.sources.submissions.projects import write_department_sheets
    from tasks.sources.submissions.template import rows_params, write_template

    period = Period.parse(args.period)
    st = settings.load()
    out = Path(args.out) if args.out else st.home / "templates" / str(period)
    with writer(st) as con:
        rows = _rows(con, "queries/template_rows", rows_params(str(period), args.department))
        sheets = write_department_sheets(con, out, str(period), args.department)
        source_sheets = drinking_water.write_department_sheets(con, out, str(period), args.department)
    if not rows and (sheets or source_sheets):
        return _print_project_sheets(sheets, source_sheets)
    if not rows:
        from tasks.core.errors import UsageError

        raise UsageError("no department leads a submitted indicator" + (
            f" with code {args.department!r}" if args.department else ""))
    out.mkdir(parents=True, exist_ok=True)
    by_department: dict[str, list[dict]] = {}
    for r in rows:
        by_department.setdefault(r["department_code"], []).append(r)
    for code, items in by_department.items():
        first = items[0]
        department = {"department_code": code, "name_zh": first["department_name"],
                      "region_code": first["region_code"], "region_name": first["region_name"],
                      "email": first["email"]}
        lines = [{"indicator_code": r["indicator_code"], "national_no": r["national_no"], "name_zh": r["name_zh"],
                  "unit": r["unit"], "min_value": r["min_value"], "max_value": r["max_value"],
                  "target_text": (f"{r['comparator'].replace('>=', '≥').replace('<=', '≤')}{r['target_value']:g}"
                                  if r["target_value"] is not None and r["target_kind"] != "task"
                                  else r["target_text"] or ("上级下达" if r["target_kind"] == "assigned" else "")),
                  "last_value": r["last_value"], "last_period": r["last_period"], "sub_no": r["sub_no"],
                  "sub_count": r["sub_count"], "frequency": r["frequency"], "obtained_by": r["obtained_by"]}
                 for r in items]
        path = write_template(out / f"{code}_{period}.xlsx", department=department, period=str(period), rows=lines)
        print(f"{path}  {first['department_name']}: {len(lines)} indicator(s)")
    return _print_project_sheets(sheets, source_sheets)


def _print_project_sheets(sheets: list, source_sheets: list) -> int:
    for path, name, count in sheets:
        print(f"{path}  {name}: {count} project(s)")
    for path, name, count in source_sheets:
        print(f"{path}  {name}: {count} drinking-water source(s)")
    return 0


def cmd_assess(args: argparse.Namespace) -> int:
    from datetime import date

    from tasks.core import settings
    from tasks.report import assessment

    quarter = assessment.Quarter.parse(args.quarter)
    as_of = date.fromisoformat(args.as_of) if args.as_of else None
    html, pdf = assessment.write(settings.load(), quarter, as_of=as_of)
    print(f"{quarter.zh}考核情况：{html}")
    print(f"PDF：{pdf}" if pdf else "PDF 未生成（本机未安装 Chromium，仅输出 HTML）")
    return 0


def cmd_projects(args: argparse.Namespace) -> int:
    import json
    from collections import Counter
    from datetime import date, datetime

    from tasks.compute.project_status import statuses, watch_list
    from tasks.core import settings
    from tasks.core.periods import TZ, Period
    from tasks.core.warehouse import connect

    period = Period.parse(args.period)
    as_of = date.fromisoformat(args.as_of) if args.as_of else datetime.now(TZ).date()
    with connect(settings.load(), read_only=True) as con:
        months = statuses(con, period, as_of)
        listed = watch_list(con, months, period)
    if args.json:
        print(json.dumps({"period": str(period), "as_of": as_of.isoformat(),
                          "statuses": dict(Counter(m.status for m in months)),
                          "watch": [{"project_code": w["project"].project_code, "department_code":
                                     w["project"].department_code, "status": w["project"].status,
                                     "behind_months": w["project"].behind_months, "why": w["why"]} for w in listed]},
                         ensure_ascii=False, indent=2))
        return 0
    from tasks.standards.project_schedule import STATUS_ZH

    counts = Counter(m.status for m in months)
    summary = "，".join(f"{STATUS_ZH[k]} {n} 个" for k, n in counts.items())
    print(f"{period} 重点项目调度情况（截至 {as_of}）：{summary}")
    behind = [m for m in months if m.status == "behind"]
    print(f"本月滞后项目（{len(behind)} 个）：")
    for m in behind:
        print(f"  {m.project_code} {m.name_zh}（{m.department_name}）：{'；'.join(m.reasons)}")
    print(f"领导小组督办清单（{len(listed)} 个）：")
    missing: dict[str, list[str]] = {}
    for w in listed:
        m = w["project"]
        if w["missed_run"]:   # one line per unit that owes sheets
            missing.setdefault(f"{m.department_name}：{w['why']}", []).append(m.project_code)
        else:
            print(f"  {m.project_code} {m.name_zh}（{m.department_name}）：{w['why']}")
    for line, codes in missing.items():
        print(f"  {line.replace('：', f'：{len(codes)} 个项目', 1)}（{'、'.join(codes)}）")
    return 0


def cmd_inbox(args: argparse.Namespace) -> int:
    from tasks.core import settings
    from tasks.flow import inbox

    st = settings.load()
    outcomes = inbox.process(st, trigger="cli", settle=args.settle)
    if args.json:
        print(json.dumps([{**o.__dict__, "moved_to": str(o.moved_to)} for o in outcomes], ensure_ascii=False,
                         indent=2))
    else:
        if not outcomes:
            print(f"inbox {st.inbox_dir}: nothing to ingest")
        for o in outcomes:
            verdict = "accepted" if o.accepted else "REJECTED"
            print(f"{verdict}  {o.received_name}  department={o.department_code or '-'} "
                  f"period={o.period or '-'} reply={o.reply_status}")
            if o.reason:
                print(f"  reason: {o.reason}")
            print(f"  moved to: {o.moved_to}")
    # what indicators_recompute does when the submissions Asset names the months: evaluate, only new 进度预警,
    # bulletins (a DeliveryError: exit 2, the alerts stay pending, the bulletins are written)
    done = inbox.refresh_accepted(st, outcomes)
    if done and not args.json:
        print(f"evaluated: {', '.join(map(str, done['evaluated']))}; alerts sent: {done['sent']}; "
              f"pending: {done['pending']}")
        for path in done["bulletins"]:
            print(f"report written: {path}")
    return 0


def cmd_submissions(args: argparse.Namespace) -> int:
    from tasks.core import settings
    from tasks.core.periods import Period
    from tasks.core.warehouse import connect

    period = Period.parse(args.period)
    with connect(settings.load(), read_only=True) as con:
        rows = _rows(con, "queries/submissions_list", {"period": str(period), "history": args.history})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=_jsonable))
        return 0
    if not rows:
        print(f"no submitted values for {period}")
        return 0
    print(_table(rows, [("department_code", "department"), ("indicator_code", "indicator"), ("value", "value"),
                        ("unit", "unit"), ("file_name", "file"), ("cell", "cell"), ("received_at", "received"),
                        ("current", "current")]))
    return 0


def cmd_catalogue_check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tasks.catalogue.check import CATALOGUE_DIR, check

    folder = Path(args.folder) if args.folder else CATALOGUE_DIR
    errors = check(folder)
    for error in errors:
        print(error)
    if errors:
        print(f"ecoflow: error: {len(errors)} problem(s) in the catalogue at {folder}", file=sys.stderr)
        return EXIT_ERROR
    print(f"catalogue at {folder}: no problems")
    return 0


def cmd_catalogue_markdown(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tasks.catalogue.check import CATALOGUE_DIR, check
    from tasks.catalogue.docs import render_markdown

    folder = Path(args.folder) if args.folder else CATALOGUE_DIR
    errors = check(folder)
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        return EXIT_ERROR
    sys.stdout.write(render_markdown(folder))
    return 0


def _known_region(con: Any, code: str | None) -> None:
    from tasks.core.errors import UsageError

    if code and not _rows(con, "queries/region_name", {"region_code": code}):
        raise UsageError(f"unknown region code {code!r} (see warehouse/catalogue/regions.csv)")


def cmd_indicators(args: argparse.Namespace) -> int:
    from tasks.core import settings
    from tasks.core.periods import Period
    from tasks.core.warehouse import connect

    period = Period.parse(args.period)
    with connect(settings.load(), read_only=True) as con:
        _known_region(con, args.region)
        rows = _rows(con, "queries/indicator_values",
                     {"period": str(period), "region": args.region, "variant": None if args.all_variants
                      else args.variant})
    if args.indicator:
        rows = [r for r in rows if r["indicator_code"] in args.indicator]
    for r in rows:
        r["lineage"] = json.loads(r["lineage"]) if r["lineage"] else None
    if args.json:
        print(json.dumps([{k: _jsonable(v) for k, v in r.items()} for r in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(f"no indicator values for {period}" + (f" and region {args.region}" if args.region else ""))
        return 0
    for r in rows:
        r["target_text_short"] = (f"{r['target_comparator']} {r['target_value']:g}"
                                  if r["target_value"] is not None and r["target_kind"] != "task"
                                  else r["target_text"])
        r["coverage"] = (f"{r['coverage_valid']}/{r['coverage_expected']} {r['coverage_unit']}"
                         + (f" ({r['coverage_complete']} complete)" if r["coverage_complete"] is not None else "")
                         if r["coverage_unit"] else None)
        r["value_text"] = f"{r['value']:.1f}" if r["value"] is not None else None
        r["no"] = (f"{r['national_no']}" + (f".{r['sub_no']}" if (r["sub_no"] or 1) > 1 else "")
                   if r["national_no"] else None)
    print(_table(rows, [("region_code", "region"), ("region_name", "name"), ("no", "no"),
                        ("indicator_code", "indicator"), ("period_type", "period"), ("variant", "variant"),
                        ("value_text", "value"), ("unit", "unit"), ("numerator", "numerator"),
                        ("denominator", "denominator"), ("coverage", "coverage"), ("coverage_ok", "coverage ok"),
                        ("target_text_short", "target"), ("status", "status")]))
    for r in rows:
        if r["notes"]:
            print(f"note {r['region_code']} {r['indicator_code']} {r['period_type']}: {r['notes']}")
    return 0


def cmd_recompute(args: argparse.Namespace) -> int:
    from tasks.core import settings
    from tasks.core.periods import Period
    from tasks.core.warehouse import connect
    from tasks.flow import pipeline

    st = settings.load()
    since = datetime.now(UTC)
    # what indicators_recompute does with `recompute_values`: the values, then evaluate -> alert -> bulletin
    months = pipeline.evaluate(st, pipeline.recompute(st, Period.parse(args.period), args.source or None))
    with connect(st, read_only=True) as con:
        revised = _rows(con, "queries/revisions_since", {"since": since})
    print(f"recomputed {args.period} ({', '.join(args.source or ['every source'])}); "
          f"evaluated: {', '.join(map(str, months))}")
    print(f"values revised: {len(revised)}")
    if revised:
        print(_table(revised, [("period", "period"), ("period_type", "type"), ("region_code", "region"),
                               ("indicator_code", "indicator"), ("variant", "variant"), ("old_value", "was"),
                               ("new_value", "now"), ("reason", "why")]))
    try:
        sent = pipeline.alert(st, months, dispatch=not args.no_dispatch)  # DeliveryError: exit 2, alerts pending
    finally:  # a mail server that is down does not cost the months their bulletins
        written = pipeline.bulletin(st, months)
    print(f"alerts sent: {sent['sent']} in {sent['digests']} digest(s); pending: {sent['pending']}")
    for path in written:
        print(f"report written: {path}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from datetime import date
    from pathlib import Path

    from tasks.core import settings
    from tasks.core.periods import Period
    from tasks.report import bulletin
    from tasks.report import monthly as monthly_report

    period = Period.parse(args.period)
    if args.bulletin:
        print(bulletin.write(settings.load(), period, args.region, Path(args.out) if args.out else None))
        return 0
    masthead = monthly_report.Masthead.of(period, office=args.office, issue=args.issue,
                                          issued=date.fromisoformat(args.date) if args.date else None)
    html, pdf = monthly_report.write(settings.load(), period, args.region or monthly_report.DEFAULT_REGION,
                                     Path(args.out) if args.out else None, masthead, pdf=not args.no_pdf)
    print(html)
    if pdf:
        print(pdf)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from tasks.core import settings
    from tasks.core.warehouse import connect
    from tasks.sources import batch_keyed

    params = {"period": args.period, "batch_keyed": batch_keyed()}
    if args.period:
        from tasks.core.periods import Period

        Period.parse(args.period)
    with connect(settings.load(), read_only=True) as con:
        runs = _rows(con, "queries/status_batches", params)
        issues = _rows(con, "queries/status_issues", params)
        reports = _rows(con, "queries/status_reports", params) if args.reports else []
        decisions = _rows(con, "queries/review_decisions", {"period": args.period, "limit": 20})
        waiting = _rows(con, "queries/review_pending", {})
    if args.json:
        print(json.dumps({"runs": runs, "issues": issues, "reports": reports, "decisions": decisions,
                          "reviews_waiting": waiting}, ensure_ascii=False, indent=2, default=_jsonable))
        return 0
    if not runs:
        print("no runs recorded" + (f" for {args.period}" if args.period else ""))
        return 0
    print(_table(runs, [("source", "source"), ("period", "period"), ("run_status", "status"),
                        ("files", "files"), ("landed", "landed"), ("missing", "missing"), ("failed", "failed"),
                        ("rows_landed", "values landed"), ("rows_rejected", "values quarantined"),
                        ("rows_warned", "warnings"), ("runs", "runs")]))
    for r in runs:
        if r["missing_files"]:
            print(f"{r['source']} {r['period']} missing (not published): {', '.join(r['missing_files'])}")
        for failed in r["failed_files"] or []:
            print(f"{r['source']} {r['period']} failed: {failed}")
        if r["run_status"] == "failed" and r["message"] and not r["failed_files"]:
            print(f"{r['source']} {r['period']} run failed: {r['message']}")
    if issues:
        print()
        print(_table(issues, [("source", "source"), ("period", "period"), ("severity", "severity"),
                              ("rule", "rule"), ("rows", "findings"), ("first_example", "first example"),
                              ("reason", "reason")]))
    for r in reports:
        print(f"report {r['period']} {r['file_name']}: {r['report_path']}")
    for r in waiting:
        print(f"\nWAITING FOR REVIEW: {r['review_id']} {r['source']} {r['period']} ({r['rows_bad']} of {r['rows_in']} "
              f"rows failing) — `ecoflow review show {r['review_id']}`")
    if decisions:
        from tasks.cli.review import print_log

        print("\nsteward decisions (newest first):")
        print_log(decisions)
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    from tasks.core import settings
    from tasks.core.periods import Period
    from tasks.core.warehouse import connect
    from tasks.evaluate import evaluation
    from tasks.flow import pipeline
    from tasks.flow.warehouse import writer

    st = settings.load()
    periods = [Period.parse(args.period)] if args.period else []
    if periods:
        with writer(st) as con:
            evaluation.refresh(con, periods[0])  # even a month nothing arrived for (deadlines)
    if args.send or periods:
        result = pipeline.alert(st, periods, date.fromisoformat(args.as_of) if args.as_of else None)
        if periods:
            print(f"alert rules applied to {args.period}: {result['changed']} alert(s) new, changed or closed")
        print(f"alerts sent: {result['sent']} in {result['digests']} digest(s); still pending: {result['pending']}")
    with connect(st, read_only=True) as con:
        rows = _rows(con, "queries/alerts_list", {"open_only": args.open})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=_jsonable))
        return 0
    if not rows:
        print("no alerts" + (" open" if args.open else ""))
        return 0
    for r in rows:
        r["target"] = f"{r['comparator']} {r['target_value']:g}" if r["target_value"] is not None else ""
    print(_table(rows, [("period", "period"), ("region_code", "region"), ("region_name", "name"),
                        ("indicator_code", "indicator"), ("kind", "kind"), ("status", "status"),
                        ("escalation", "escalated"), ("value", "value"),
                        ("target", "target"), ("coverage_ok", "coverage ok"), ("delivery_status", "delivery"),
                        ("attempts", "tries"), ("recipients_to", "to"), ("last_error", "last error")]))
    return 0


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line, like every other ecoflow error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_ERROR, f"ecoflow: error: {message} (see `{self.prog} --help`)\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ecoflow", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="fetch, validate, land, compute and alert one source for one month")
    from tasks.sources.spec import BY_NAME, names

    run_sub = run.add_subparsers(dest="source", required=True, parser_class=_Parser)
    for name in sorted(names("fetch", "poll")):   # forms arrive through the inbox (`ecoflow inbox`)
        one = run_sub.add_parser(name, help=f"{BY_NAME[name].title_zh}: the month"
                                 + (" evaluated from the captured readings" if BY_NAME[name].mode == "poll" else ""))
        one.add_argument("--period", required=True, help="the month, YYYY-MM (Asia/Shanghai)")
        one.add_argument("--json", action="store_true")
        one.add_argument("--review", default="safe", choices=pipeline_policies(),
                         help="when validation finds failing rows, with no steward to ask: safe (default: what a "
                              "review's timeout does), accept-clean, accept-all, reject (both need --reason), or "
                              "hold (wait for `ecoflow review decide`)")
        one.add_argument("--reason", help="the reason logged with --review accept-all / reject")
        one.add_argument("--through", help="backfill: every month from --period through this one (YYYY-MM), in "
                                           "order, with a progress bar on stderr")
        one.set_defaults(func=cmd_run)
    cap = run_sub.add_parser("water-capture", help="one poll of the surface-water real-time feed (or a replay)")
    cap.add_argument("--as-of", help="fetch time, e.g. 2020-05-08T16:00 (Asia/Shanghai); required with --file")
    cap.add_argument("--file", action="append", help="replay a saved response (.json as published, or a .csv "
                                                     "capture); repeat it to replay several files in order")
    cap.add_argument("--json", action="store_true")
    cap.set_defaults(func=cmd_capture)

    wat = sub.add_parser("water", help="surface-water sections")
    wat_sub = wat.add_subparsers(dest="water_command", required=True, parser_class=_Parser)
    sec = wat_sub.add_parser("sections", help="each section's monthly means, readings and GB 3838 class")
    sec.add_argument("--period", required=True)
    sec.add_argument("--province", help="e.g. 内蒙古自治区 (default: every province captured)")
    sec.add_argument("--json", action="store_true")
    sec.set_defaults(func=cmd_water_sections)

    tpl = sub.add_parser("templates", help="write each department's .xlsx submission template for a month")
    tpl.add_argument("--period", required=True)
    tpl.add_argument("--department", help="one department code, e.g. 150100-lcj")
    tpl.add_argument("--out", help="folder (default ECOFLOW_HOME/templates/YYYY-MM)")
    tpl.set_defaults(func=cmd_templates)

    cat = sub.add_parser("catalogue", help="the indicator catalogue (warehouse/catalogue/*.csv)")
    cat_sub = cat.add_subparsers(dest="catalogue_command", required=True, parser_class=_Parser)
    chk = cat_sub.add_parser("check", help="validate the catalogue files: one line per problem (file:line: column)")
    chk.add_argument("--folder", help="a catalogue folder to check (default: the repository's)")
    chk.set_defaults(func=cmd_catalogue_check)
    md = cat_sub.add_parser("markdown", help="print docs/catalogue.md, generated from the catalogue files")
    md.add_argument("--folder", help="a catalogue folder (default: the repository's)")
    md.set_defaults(func=cmd_catalogue_markdown)

    asm = sub.add_parser("assess", help="the quarterly assessment (季考核) as HTML, and PDF when Chromium is there")
    asm.add_argument("--quarter", required=True, help="YYYY-QN, e.g. 2025-Q1")
    asm.add_argument("--as-of", help="judge missing sheets as of this date (default: the last month's deadline)")
    asm.set_defaults(func=cmd_assess)

    prj = sub.add_parser("projects", help="key projects' schedule status of a month and the leading group's list")
    prj.add_argument("--period", required=True, help="YYYY-MM")
    prj.add_argument("--as-of", help="judge missing sheets as of this date (default: today)")
    prj.add_argument("--json", action="store_true")
    prj.set_defaults(func=cmd_projects)

    inb = sub.add_parser("inbox", help="ingest the submissions waiting in the inbox now and send the replies")
    inb.add_argument("--settle", type=float, default=0.0,
                     help="skip files modified in the last N seconds (the DAG waits 5)")
    inb.add_argument("--json", action="store_true")
    inb.set_defaults(func=cmd_inbox)

    sbm = sub.add_parser("submissions", help="submitted values of a month (current, or --history)")
    sbm.add_argument("--period", required=True)
    sbm.add_argument("--history", action="store_true", help="every accepted file's values, not only current")
    sbm.add_argument("--json", action="store_true")
    sbm.set_defaults(func=cmd_submissions)

    rc = sub.add_parser("recompute", help="recompute a month's values from what is landed (after a catalogue or "
                                          "rules change) and list what changed")
    rc.add_argument("--period", required=True)
    rc.add_argument("--source", action="append", choices=sorted(BY_NAME), help="only this source (repeatable)")
    rc.add_argument("--no-dispatch", action="store_true",
                    help="send no digests, only a new 进度预警 (as after a delivery); the alert rules still run")
    rc.set_defaults(func=cmd_recompute)

    ind = sub.add_parser("indicators", help="indicator values of a month (month, year-to-date, rolling 12 months)")
    ind.add_argument("--period", required=True)
    ind.add_argument("--region", help="GB/T 2260 region code, e.g. 150100")
    ind.add_argument("--variant", default="raw", choices=["raw", "dust_deducted", "by_volume"])
    ind.add_argument("--all-variants", action="store_true")
    ind.add_argument("--indicator", action="append", help="only this indicator code (repeatable)")
    ind.add_argument("--json", action="store_true")
    ind.set_defaults(func=cmd_indicators)

    rep = sub.add_parser("report", help="the monthly report (月报) of a month: printable A4 HTML and PDF")
    rep.add_argument("--period", required=True, help="the month, YYYY-MM")
    rep.add_argument("--region", help="GB/T 2260 region code whose cities are ranked (default 150000); with "
                                      "--bulletin, the region of the bulletin (default: every region)")
    rep.add_argument("--out", help="HTML file to write, the PDF beside it (default ECOFLOW_HOME/reports/monthly/"
                                   "<period>[-<region>].html; with --bulletin reports/bulletin/…)")
    rep.add_argument("--office", help="issuing office on the masthead (default $ECOFLOW_REPORT_OFFICE or "
                                      "内蒙古自治区生态环境厅)")
    rep.add_argument("--issue", type=int, help="issue number, 第×期 (default: the month's number)")
    rep.add_argument("--date", help="date of issue, YYYY-MM-DD (default: today)")
    rep.add_argument("--no-pdf", action="store_true", help="write the HTML only")
    rep.add_argument("--bulletin", action="store_true",
                     help="write the full indicator bulletin (月度通报, one HTML file) instead")
    rep.set_defaults(func=cmd_report)

    st = sub.add_parser("status", help="runs, missing files and quarantined rows per period")
    st.add_argument("--period")
    st.add_argument("--reports", action="store_true", help="list each file's validation report")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)

    al = sub.add_parser("alerts", help="the alert ledger; --send delivers what is pending")
    al.add_argument("--open", action="store_true", help="only open alerts")
    al.add_argument("--send", action="store_true", help="deliver pending and failed alerts now")
    al.add_argument("--period", help="apply the alert rules to this month (YYYY-MM) first, then deliver")
    al.add_argument("--as-of", help="judge deadlines as of this day (YYYY-MM-DD; default today)")
    al.add_argument("--json", action="store_true")
    al.set_defaults(func=cmd_alerts)

    from tasks.cli import review as review_cli

    review_cli.add_parser(sub, _Parser)

    bak = sub.add_parser("backup", help="a consistent copy of the warehouse, raw archive, reports and catalogue")
    bak.add_argument("dest", help="a new or empty folder")
    bak.add_argument("--wait", type=float, default=600.0,
                     help="seconds to wait for a running task that holds the warehouse (default 600)")
    bak.add_argument("--json", action="store_true")
    bak.set_defaults(func=cmd_backup)
    rst = sub.add_parser("restore", help="restore a backup into ECOFLOW_HOME (verified, then migrated forward)")
    rst.add_argument("src", help="a folder written by `ecoflow backup`")
    rst.add_argument("--force", action="store_true", help="set an existing warehouse aside instead of refusing")
    rst.add_argument("--json", action="store_true")
    rst.set_defaults(func=cmd_restore)
    return p


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tasks.core import settings
    from tasks.flow import backup

    result = backup.backup(settings.load(), Path(args.dest), wait_seconds=args.wait)
    if args.json:
        print(json.dumps({"dest": str(result.dest), "files": result.files, "bytes": result.bytes,
                          "tables": result.tables, "migrations": result.migrations}, ensure_ascii=False, indent=2))
        return 0
    print(f"备份已完成：{result.dest}")
    print(f"  文件 {result.files} 个，共 {result.bytes / 1e6:.1f} MB；数据表 {len(result.tables)} 张，"
          f"记录 {sum(result.tables.values())} 条；"
          f"数据库结构版本 {result.migrations[-1] if result.migrations else '-'}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tasks.core import settings
    from tasks.flow import backup

    result = backup.restore(settings.load(), Path(args.src), force=args.force)
    if args.json:
        print(json.dumps({"home": str(result.home), "tables": result.tables, "migrated": result.migrated,
                          "catalogue_differs": result.catalogue_differs}, ensure_ascii=False, indent=2))
        return 0
    print(f"恢复已完成：{result.home}（校验通过，数据表 {len(result.tables)} 张，"
          f"记录 {sum(result.tables.values())} 条）")
    if result.migrated:
        print(f"  数据库结构已升级：{'、'.join(result.migrated)}")
    if result.catalogue_differs:
        print(f"  请注意：备份中的目录文件与当前安装不一致（{'、'.join(result.catalogue_differs)}），"
              "未予覆盖；如需沿用备份时的目录，请手工恢复。")
    return 0


def pipeline_policies() -> tuple[str, ...]:
    from tasks.flow.run import REVIEW_POLICIES

    return REVIEW_POLICIES


def main(argv: Sequence[str] | None = None) -> int:
    _quiet()
    p = parser()
    args = p.parse_args(argv)
    problem = args_problem(args)
    if problem:  # as argparse's own usage errors, but returned (main's callers read the code)
        print(f"ecoflow: error: {problem} (see `{p.prog} --help`)", file=sys.stderr)
        return EXIT_ERROR
    if getattr(args, "json", False):
        with cli_contract.json_only_stdout():
            return _run(args)
    return _run(args)


def _home() -> str:
    """Where ecoflow writes (named when the operating system does not say which file failed)."""
    try:
        from tasks.core import settings

        return str(settings.load().home)
    except Exception:  # noqa: BLE001 - only a hint in an error line that is printed anyway
        return os.environ.get("ECOFLOW_HOME", ".ecoflow")


def _run(args: argparse.Namespace) -> int:
    from tasks.core.errors import EcoflowError

    try:
        return args.func(args)
    except EcoflowError as exc:
        print(f"ecoflow: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # disk full, read-only home, permission: what and where, one line
        print(f"ecoflow: error: {cli_contract.os_error_line(exc, _home())}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # duckdb lock/IO errors and the like: one line, still non-zero
        import duckdb

        if isinstance(exc, duckdb.Error):
            print(f"ecoflow: warehouse error: {exc}".splitlines()[0], file=sys.stderr)
            return EXIT_ERROR
        raise


if __name__ == "__main__":
    sys.exit(main())
