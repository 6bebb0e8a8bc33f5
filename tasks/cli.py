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
from datetime import date, datetime
from typing import Any

EXIT_ERROR = 2


def _quiet() -> None:
    """Keep library chatter (GX progress bars, Airflow/structlog info logs) out of CLI output."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TQDM_DISABLE", "1")
    logging.basicConfig(level=logging.WARNING)
    for name in ("great_expectations", "airflow", "tqdm"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _rows(con: Any, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    from tasks import sql

    cur = con.execute(sql.load(name), params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


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
            return f"{v:g}"
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
    print(f"{summary.source} {summary.period}: run {summary.run_id}")
    print(f"  files landed: {summary.fetched}; not published (404): {len(summary.missing)}"
          + (f" ({', '.join(summary.missing)})" if summary.missing else ""))
    print(f"  station values landed: {summary.rows_landed}; quarantined: {summary.rows_rejected}; "
          f"findings reported as warnings: {summary.rows_warned}")
    print(f"  indicator values written: {summary.indicator_values}")
    print(f"  alerts sent: {summary.alerts_sent}; pending: {summary.alerts_pending}")
    for path in summary.eml_files:
        print(f"  alert email: {path}")
    if summary.reports:
        from tasks import settings
        from tasks.validation import data_docs_index

        print(f"  validation reports: {data_docs_index(settings.load().reports_dir / 'gx')}")


def cmd_run(args: argparse.Namespace) -> int:
    from tasks import pipeline, settings
    from tasks.errors import DeliveryError
    from tasks.periods import Period

    try:
        summary = pipeline.run(settings.load(), args.source, Period.parse(args.period), trigger="cli")
    except DeliveryError as exc:
        if getattr(exc, "summary", None) is not None:
            _print_summary(exc.summary, args.json)
        raise
    _print_summary(summary, args.json)
    return 0


def _known_region(con: Any, code: str | None) -> None:
    from tasks.errors import UsageError

    if code and not con.execute("SELECT 1 FROM catalogue.regions WHERE region_code = ?", [code]).fetchall():
        raise UsageError(f"unknown region code {code!r} (see warehouse/catalogue/regions.csv)")


def cmd_indicators(args: argparse.Namespace) -> int:
    from tasks import settings
    from tasks.periods import Period
    from tasks.warehouse import connect

    period = Period.parse(args.period)
    with connect(settings.load(), read_only=True) as con:
        _known_region(con, args.region)
        rows = _rows(con, "queries/indicator_values",
                     {"period": str(period), "region": args.region, "variant": None if args.all_variants
                      else args.variant})
    if args.json:
        print(json.dumps([{k: _jsonable(v) for k, v in r.items()} for r in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(f"no indicator values for {period}" + (f" and region {args.region}" if args.region else ""))
        return 0
    for r in rows:
        r["target"] = (f"{r['target_comparator']} {r['target_value']:g}" if r["target_value"] is not None else None)
        r["days"] = f"{r['valid_days']}/{r['calendar_days']}"
        r["value_text"] = f"{r['value']:.1f}" if r["value"] is not None else None
    print(_table(rows, [("region_code", "region"), ("region_name", "name"), ("indicator_code", "indicator"),
                        ("period_type", "period"), ("variant", "variant"), ("value_text", "value"), ("unit", "unit"),
                        ("numerator", "numerator"), ("denominator", "denominator"), ("days", "valid days"),
                        ("coverage_ok", "coverage ok"), ("target", "target")]))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from tasks import settings
    from tasks.warehouse import connect

    params = {"period": args.period}
    if args.period:
        from tasks.periods import Period

        Period.parse(args.period)
    with connect(settings.load(), read_only=True) as con:
        runs = _rows(con, "queries/status_batches", params)
        issues = _rows(con, "queries/status_issues", params)
        reports = _rows(con, "queries/status_reports", params) if args.reports else []
    if args.json:
        print(json.dumps({"runs": runs, "issues": issues, "reports": reports}, ensure_ascii=False, indent=2,
                         default=_jsonable))
        return 0
    if not runs:
        print("no runs recorded" + (f" for {args.period}" if args.period else ""))
        return 0
    print(_table(runs, [("source", "source"), ("period", "period"), ("run_status", "status"),
                        ("files", "files"), ("landed", "landed"), ("missing", "missing"), ("failed", "failed"),
                        ("rows_landed", "values landed"), ("rows_rejected", "values quarantined"),
                        ("rows_warned", "warnings")]))
    for r in runs:
        if r["missing_files"]:
            print(f"{r['source']} {r['period']} missing (not published): {', '.join(r['missing_files'])}")
        for failed in r["failed_files"] or []:
            print(f"{r['source']} {r['period']} failed: {failed}")
        if r["run_status"] == "failed" and r["message"]:
            print(f"{r['source']} {r['period']} run failed: {r['message']}")
    if issues:
        print()
        print(_table(issues, [("source", "source"), ("period", "period"), ("severity", "severity"),
                              ("rule", "rule"), ("rows", "findings"), ("first_example", "first example"),
                              ("reason", "reason")]))
    for r in reports:
        print(f"report {r['period']} {r['file_name']}: {r['report_path']}")
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    from tasks import alerting, settings
    from tasks.warehouse import connect

    st = settings.load()
    if args.send:
        with connect(st) as con:
            result = alerting.deliver(con, st)
        print(f"alerts sent: {result['sent']}; still pending: {result['pending']}")
    with connect(st, read_only=True) as con:
        rows = _rows(con, "queries/alerts_list", {"open_only": args.open})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=_jsonable))
        return 0
    if not rows:
        print("no alerts" + (" open" if args.open else ""))
        return 0
    for r in rows:
        r["target"] = f"{r['comparator']} {r['target_value']:g}"
    print(_table(rows, [("period", "period"), ("region_code", "region"), ("region_name", "name"),
                        ("indicator_code", "indicator"), ("kind", "kind"), ("status", "status"), ("value", "value"),
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
    from tasks.sources import REGISTRY

    run.add_argument("source", choices=sorted(REGISTRY))
    run.add_argument("--period", required=True, help="the month, YYYY-MM (Asia/Shanghai)")
    run.add_argument("--json", action="store_true")
    run.set_defaults(func=cmd_run)

    ind = sub.add_parser("indicators", help="indicator values of a month (month and year-to-date)")
    ind.add_argument("--period", required=True)
    ind.add_argument("--region", help="GB/T 2260 region code, e.g. 150100")
    ind.add_argument("--variant", default="raw", choices=["raw", "dust_deducted"])
    ind.add_argument("--all-variants", action="store_true")
    ind.add_argument("--json", action="store_true")
    ind.set_defaults(func=cmd_indicators)

    st = sub.add_parser("status", help="runs, missing files and quarantined rows per period")
    st.add_argument("--period")
    st.add_argument("--reports", action="store_true", help="list each file's validation report")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)

    al = sub.add_parser("alerts", help="the alert ledger; --send delivers what is pending")
    al.add_argument("--open", action="store_true", help="only open alerts")
    al.add_argument("--send", action="store_true", help="deliver pending and failed alerts now")
    al.add_argument("--json", action="store_true")
    al.set_defaults(func=cmd_alerts)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    _quiet()
    args = parser().parse_args(argv)
    from tasks.errors import EcoflowError

    try:
        return args.func(args)
    except EcoflowError as exc:
        print(f"ecoflow: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # duckdb lock/IO errors and the like: one line, still non-zero
        import duckdb

        if isinstance(exc, duckdb.Error):
            print(f"ecoflow: warehouse error: {exc}".splitlines()[0], file=sys.stderr)
            return EXIT_ERROR
        raise


if __name__ == "__main__":
    sys.exit(main())
