"""Surface water and waste: one national water poll, a month of Inner Mongolia polls, a waste month.

``python -m bench.run_water_waste_bench [--polls N] [--out docs/benchmarks.md]``

1. **One national water poll**: the real 2020-05-08 snapshot (1,901 sections, 20,911 tidy rows), served over
   loopback HTTP by :class:`demo.feed_server.FeedServer` with :class:`demo.water_publisher.WaterPublisher`, through
   ``pipeline.capture``. Each run is a new process with a fresh ``ECOFLOW_HOME``: a *cold* poll (first in the
   process: ``import great_expectations``, a new warehouse, the GX context) and a *warm* one (the same bytes again,
   as a later poll of that day). The floor is the same bytes through ``json.loads``, a pandas DataFrame of
   ``tbody`` and a DuckDB insert; a second reference also melts them into the tidy rows. Interleaved, 3 runs each
   (``--repeats``), median reported, and extrapolated to 6 polls a day for 31 days.
2. **A month of Inner Mongolia polls**: ``--polls`` (default 180: a 30-day month every 4 hours) generated polls of
   the 28 sections, the publisher's clock stepped 4 h, captured one after another in one process, then
   ``pipeline.run(settings, "water", period)`` (the monthly evaluation and its alerts).
3. **The waste month**: ``pipeline.run(settings, "waste", period)`` on a ``demo.waste_publisher`` month (~80 rows),
   then the next month in the same process, to separate the fixed costs from the work on the rows.

Alerts go to a loopback :class:`demo.smtp_sink.SmtpSink`. The section "## Water and waste" of ``--out`` (between
``<!-- water-waste:begin -->`` and ``<!-- water-waste:end -->``) is replaced or appended; the rest of the file is
left alone. Raw numbers: ``bench/.work/water_waste.json``; ``--render-only`` rewrites the section from it.

The children are ``python -m bench.run_water_waste_bench --child STAGE``: they register this module's stages in
:data:`bench.stages.STAGES` and run :func:`bench.stages.main`, so timing, step wrapping and the result file are
bench/stages.py's. The parent launches them with :func:`run_child` below, the counterpart of
:func:`bench.run_bench.run_child` (which can only start ``bench.stages``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import run_bench as rb
from bench import stages as st

REPO, WORK = rb.REPO, rb.WORK
HOMES = WORK / "water_waste_homes"
SNAPSHOT = REPO / "demo" / "data" / "cnemc_water" / "2020-05-08.json"
#: Two polls of 2020-05-08 (the DAG polls at 5 past every 4th hour); both get the real snapshot.
SNAPSHOT_POLLS = ("2020-05-08T16:05:00", "2020-05-08T20:05:00")
POLLS_PER_DAY, DAYS_PER_MONTH = 6, 31
BEGIN, END = "<!-- water-waste:begin -->", "<!-- water-waste:end -->"
TITLE = "## Water and waste"
PARAMS_ENV = "BENCH_PARAMS"  # JSON parameters of a child stage (bench.stages' options are the air ones)
MAIL_FROM = "ecoflow%40example.gov.cn"

GX_IMPORT = "import great_expectations"
VALIDATE = "validate (Great Expectations)"
DATA_DOCS = "Data Docs (rendered once per run)"
PARSE = "parse (bytes -> tidy rows)"
FETCH = "fetch (HTTP GET + archive + ledger)"
SMTP = "SMTP connection (imports airflow.sdk on first use)"
#: How the steps of a capture add up to the parse / GX / landing split (anything else is "other").
GROUPS = {
    "fetch": (FETCH,),
    "parse": (PARSE,),
    "GX validation": (VALIDATE, "expectation parameters"),
    "landing": ("issues frame", "store quarantine issues", "landing frame (typed columns)",
                "SQL: append the batch to the temp landing table", "SQL: replace this file's rows in raw",
                "SQL: COMMIT", "SQL: ledger updates"),
}


def log(message: str) -> None:
    rb.log(f"water/waste: {message}")


# ------------------------------------------------------------------------------------------------------------
# child side: stages registered in bench.stages.STAGES


def _params() -> dict[str, Any]:
    return json.loads(os.environ.get(PARAMS_ENV) or "{}")


def _capture_sql(query: str) -> str | None:
    label = st._land_sql(query)
    if label and label.startswith("SQL: replace"):
        return "SQL: replace this file's rows in raw"  # water replaces by file_name, not the period's slice
    if label and label.startswith("SQL: COMMIT"):
        return "SQL: COMMIT"
    return label


def _wrap_pipeline(steps: st.Steps, adapter: Any) -> None:
    """Time the steps of fetch/capture + land (+ compute and alerts) for ``adapter``; GX is imported here."""
    from tasks.alert import digest
    from tasks.alert import engine as alerting
    from tasks.flow import pipeline
    from tasks.ingest import fetch as fetching
    from tasks.ingest import ledger
    from tasks.notify import mailer
    from tasks.validate import runner as validation
    from tasks.validate import staging

    st._wrap_common(steps)
    st._time_sql(pipeline, steps, _capture_sql)
    steps.wrap(fetching, "fetch_files", FETCH)
    steps.wrap(ledger, "archive", "archive bytes (sha256 + write)", parent=FETCH)
    steps.wrap(adapter, "parse", PARSE)
    steps.wrap(adapter, "prepare", "prepare (catalogue facts)")
    steps.wrap(adapter, "expectation_parameters", "expectation parameters")
    steps.wrap(validation, "validate", VALIDATE)
    steps.wrap(validation, "_context", "GX file context (get_context)", parent=VALIDATE)
    steps.wrap(staging, "_issues_frame", "issues frame")
    steps.wrap(staging, "_store_issues", "store quarantine issues")
    steps.wrap(adapter, "landing_frame", "landing frame (typed columns)")
    steps.wrap(pipeline, "compute", "compute (marts + indicator values)")
    steps.wrap(pipeline, "alert", "alerts (evaluate + deliver)")
    steps.wrap(alerting, "evaluate_months", "alert rules and ledger", parent="alerts (evaluate + deliver)")
    steps.wrap(digest, "deliver", "deliver digests (charts, SMTP)", parent="alerts (evaluate + deliver)")
    steps.wrap(mailer, "connect", SMTP, parent="alerts (evaluate + deliver)")


def _import_gx(steps: st.Steps) -> None:
    """As bench.stages' land stage: the import as a step of its own, then the Data Docs share of validation."""
    from tasks.validate import runner as validation

    def import_gx() -> None:
        validation._quiet_gx()
        import great_expectations  # noqa: F401 - imported lazily by the pipeline; timed on its own

    steps.run(GX_IMPORT, import_gx)
    steps.wrap(validation, "publish", DATA_DOCS)


def _snapshot(steps: st.Steps) -> dict[str, tuple[float, int]]:
    return {i["label"]: (i["seconds"], i["calls"]) for i in steps.as_list()}


def _delta(steps: st.Steps, before: dict[str, tuple[float, int]]) -> list[dict[str, Any]]:
    """The steps taken since ``before`` (same shape as Steps.as_list)."""
    out = []
    for item in steps.as_list():
        seconds, calls = before.get(item["label"], (0.0, 0))
        if item["calls"] > calls:
            out.append({**item, "seconds": item["seconds"] - seconds, "calls": item["calls"] - calls})
    return out


def _sizes(settings: Any) -> dict[str, int]:
    return {"warehouse_bytes": settings.warehouse_path.stat().st_size if settings.warehouse_path.exists() else 0,
            "archive_bytes": st._dir_bytes(settings.archive_dir),
            "reports_bytes": st._dir_bytes(settings.reports_dir)}


def _landing(result: Any) -> dict[str, Any]:
    rules: dict[str, int] = {}
    for batch in result.batches:
        for rule, n in batch.rule_counts.items():
            rules[rule] = rules.get(rule, 0) + int(n)
    return {"rows_in": int(sum(b.rows_in for b in result.batches)), "rows_landed": int(result.rows_landed),
            "rows_rejected": int(result.rows_rejected), "rows_warned": int(result.rows_warned), "rule_counts": rules}


def _query(settings: Any, sql: str, params: list | None = None) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def stage_water_poll(args: argparse.Namespace, steps: st.Steps, out: dict[str, Any]) -> None:
    """Cold poll (first of the process, fresh home) and warm poll of the national snapshot; feed URL from env."""
    from tasks import sources
    from tasks.core import settings as settings_mod
    from tasks.flow import pipeline

    _wrap_pipeline(steps, sources.get("water"))
    settings = settings_mod.load()
    polls = [datetime.fromisoformat(t) for t in _params()["as_of"]]
    started = st._mark_start(out)
    _import_gx(steps)
    out["polls"] = []
    for i, when in enumerate(polls):
        before, t0 = _snapshot(steps), time.perf_counter()
        _, result = pipeline.capture(settings, "water", as_of=when, trigger="bench")
        took = time.perf_counter() - t0
        if i == 0:
            out["stage_seconds"] = time.perf_counter() - started  # the cold poll, GX import included
            out["cold_steps"] = [dict(i) for i in steps.as_list()]  # the live records change
        out["polls"].append({"as_of": when.isoformat(), "seconds": took, "steps": _delta(steps, before),
                             "rss_mib": st._current_rss_mib(), "maxrss_mib": st._maxrss_mib(),
                             **_landing(result), **_sizes(settings)})
    out["warm_seconds"] = out["polls"][-1]["seconds"]
    out["warm_steps"] = out["polls"][-1]["steps"]
    out["raw_rows_in_warehouse"] = int(_query(settings, "SELECT count(*) FROM raw.water_readings")[0][0])
    out["sections"] = int(_query(settings, "SELECT count(DISTINCT (province, basin, section_name)) "
                                           "FROM raw.water_readings")[0][0])


def _floor(steps: st.Steps, out: dict[str, Any], tidy: bool) -> None:
    import re

    import duckdb
    import pandas as pd

    path, home = Path(_params()["file"]), Path(os.environ["ECOFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    tag = re.compile(r"<[^>]*>")
    started = st._mark_start(out)
    content = steps.run("read the bytes (file)", path.read_bytes)
    data = steps.run("json.loads", lambda: json.loads(content))
    columns = [tag.sub("", h) for h in data["thead"]]
    frame = steps.run("pandas DataFrame of tbody", lambda: pd.DataFrame(data["tbody"], columns=columns))
    if tidy:
        meta, cells = columns[:5] + columns[16:], columns[5:16]

        def melt() -> pd.DataFrame:
            long = frame.melt(id_vars=meta, value_vars=cells, var_name="parameter", value_name="cell")
            long["value"] = pd.to_numeric(long["cell"].str.extract(r"原始值：([^']*)'", expand=False),
                                          errors="coerce")
            long["display"] = long["cell"].str.replace(r"<[^>]*>", "", regex=True)
            return long

        frame = steps.run("melt to tidy rows + vectorised 原始值 / display extraction", melt)

    con = steps.run("DuckDB: connect (new database file)", lambda: duckdb.connect(str(home / "floor.duckdb")))
    con.register("frame", frame)
    steps.run("DuckDB: CREATE TABLE AS SELECT * FROM the frame", lambda: con.execute(
        "CREATE TABLE readings AS SELECT * FROM frame"))
    steps.run("DuckDB: close (checkpoint to disk)", con.close)
    out["stage_seconds"] = time.perf_counter() - started
    out["bytes"], out["rows"] = len(content), len(frame)


def stage_water_floor(args: argparse.Namespace, steps: st.Steps, out: dict[str, Any]) -> None:
    _floor(steps, out, tidy=False)


def stage_water_floor_tidy(args: argparse.Namespace, steps: st.Steps, out: dict[str, Any]) -> None:
    _floor(steps, out, tidy=True)


def stage_water_month(args: argparse.Namespace, steps: st.Steps, out: dict[str, Any]) -> None:
    """Generated Inner Mongolia polls every ``every_hours`` (server in this process), then the month's run."""
    from demo.feed_server import FeedServer
    from demo.water_publisher import WaterPublisher
    from tasks import sources
    from tasks.compute import water as water_compute
    from tasks.core import settings as settings_mod
    from tasks.core.errors import DeliveryError
    from tasks.core.periods import Period
    from tasks.flow import pipeline

    p = _params()
    first, step, count = datetime.fromisoformat(p["first"]), timedelta(hours=p["every_hours"]), p["polls"]
    period = Period.parse(p["period"])
    _wrap_pipeline(steps, sources.get("water"))
    steps.wrap(water_compute, "section_months", "section months (means + classes)",
               parent="compute (marts + indicator values)")
    steps.wrap(water_compute, "compute_indicators", "indicator values",
               parent="compute (marts + indicator values)")
    with FeedServer(publisher=WaterPublisher(clock=first)) as srv:
        os.environ["ECOFLOW_WATER_FEED_URL"] = srv.url
        os.environ["ECOFLOW_WATER_FEED_MODE"] = "relay"  # as measured before the platform's POST (benchmarks.md)
        settings = settings_mod.load()
        started = st._mark_start(out)
        _import_gx(steps)
        polls: list[dict[str, Any]] = []
        out["polls"] = polls
        for i in range(count):
            when = first + i * step
            srv.publisher.clock = when
            before, t0 = _snapshot(steps), time.perf_counter()
            _, result = pipeline.capture(settings, "water", as_of=when, trigger="bench")
            took = time.perf_counter() - t0
            record = {"as_of": when.isoformat(), "seconds": took,
                      "steps": {s["label"]: s["seconds"] for s in _delta(steps, before)},
                      "rows_in": int(sum(b.rows_in for b in result.batches)), "rows_landed": int(result.rows_landed),
                      "rows_rejected": int(result.rows_rejected), "rss_mib": st._current_rss_mib()}
            if i in (0, count - 1) or (i + 1) % 30 == 0:
                record.update(_sizes(settings))
            polls.append(record)
            if (i + 1) % 30 == 0:
                sys.stderr.write(f"{i + 1}/{count} polls, last {took:.2f} s\n")
        out["polls_seconds"] = time.perf_counter() - started
        out["after_polls"] = _sizes(settings)
        before, t0 = _snapshot(steps), time.perf_counter()
        try:
            summary = pipeline.run(settings, "water", period, trigger="bench").as_dict()
        except DeliveryError as exc:
            summary = {**exc.summary.as_dict(), "delivery_error": str(exc)}
        out["run_seconds"] = time.perf_counter() - t0
        out["run_steps"] = _delta(steps, before)
        out["stage_seconds"] = time.perf_counter() - started
        out["summary"] = {k: v for k, v in summary.items() if k != "eml_files"}
        out["hits"] = srv.hits("realtime.json")
    out["after_run"] = _sizes(settings)
    out["raw_rows_in_warehouse"] = int(_query(settings, "SELECT count(*) FROM raw.water_readings")[0][0])
    out["section_months"] = int(_query(settings, "SELECT count(*) FROM marts.water_section_month WHERE period = ?",
                                       [str(period)])[0][0])


def stage_waste_month(args: argparse.Namespace, steps: st.Steps, out: dict[str, Any]) -> None:
    """``pipeline.run`` of the waste feed for a month (cold), then the next month in the same process (warm)."""
    from tasks import sources
    from tasks.core import settings as settings_mod
    from tasks.core.errors import DeliveryError
    from tasks.core.periods import Period
    from tasks.flow import pipeline

    _wrap_pipeline(steps, sources.get("waste"))
    settings = settings_mod.load()
    runs: list[dict[str, Any]] = []
    out["runs"] = runs
    started = st._mark_start(out)
    _import_gx(steps)
    for i, text in enumerate(_params()["periods"]):
        before, t0 = _snapshot(steps), time.perf_counter()
        try:
            summary = pipeline.run(settings, "waste", Period.parse(text), trigger="bench").as_dict()
        except DeliveryError as exc:
            summary = {**exc.summary.as_dict(), "delivery_error": str(exc)}
        took = time.perf_counter() - t0
        if i == 0:
            out["stage_seconds"] = time.perf_counter() - started  # the cold run, GX import included
            out["cold_steps"] = [dict(i) for i in steps.as_list()]  # the live records change
        runs.append({"period": text, "seconds": took, "steps": _delta(steps, before),
                     "summary": {k: v for k, v in summary.items() if k not in ("eml_files", "reports")},
                     **_sizes(settings)})


CHILD_STAGES = {
    "water-poll": stage_water_poll,
    "water-floor": stage_water_floor,
    "water-floor-tidy": stage_water_floor_tidy,
    "water-month": stage_water_month,
    "waste-month": stage_waste_month,
}


def child_main(argv: list[str]) -> int:
    st.STAGES.update(CHILD_STAGES)
    return st.main(argv)


# ------------------------------------------------------------------------------------------------------------
# parent side


def run_child(name: str, stage: str, env: dict[str, str], results: Path,
              params: dict[str, Any] | None = None) -> dict[str, Any]:
    """One child stage; wall from here, CPU and peak RSS from ``wait4`` (as :func:`bench.run_bench.run_child`)."""
    result_path = results / f"{name}.json"
    err_path = results / f"{name}.stderr.log"
    cmd = [sys.executable, "-m", "bench.run_water_waste_bench", "--child", stage, "--result", str(result_path)]
    env = {**env, PARAMS_ENV: json.dumps(params or {})}
    log(f"{name}: starting")
    from bench.run_bench import measured, shown

    code, wall, usage = measured(cmd, env, results / f"{name}.stdout.log", err_path)
    if result_path.exists():
        data = json.loads(result_path.read_text(encoding="utf-8"))
    else:
        data = {"stage": stage, "status": "failed", "steps": [],
                "error": f"killed by signal {-code}" if code < 0 else f"exit code {code} without a result"}
    data.update({"name": name, "exit_code": code, "process_seconds": wall,
                 "peak_rss_mib": usage.ru_maxrss / 1024.0, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                 "stderr_log": shown(err_path)})
    if data["status"] != "ok" and "traceback" not in data:
        data["traceback"] = err_path.read_text(encoding="utf-8", errors="replace")[-4000:]
    took = data.get("stage_seconds")
    log(f"{name}: {data['status']}" + (f", stage {took:.2f} s" if took is not None else "")
        + f", process {wall:.1f} s, peak RSS {data['peak_rss_mib']:.0f} MiB")
    return data


def fresh_home(name: str) -> Path:
    home = HOMES / name
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    return home


def env_for(name: str, smtp_port: int, **feeds: str) -> dict[str, str]:
    home = fresh_home(name)
    env = rb.child_env(home)
    for source, url in feeds.items():
        env[f"ECOFLOW_{source.upper()}_FEED_URL"] = url
    if "water" in feeds:  # the national snapshot in one document, as a relay serves it (the platform: by region)
        env["ECOFLOW_WATER_FEED_MODE"] = "relay"
    env["AIRFLOW_HOME"] = str(home / "airflow")  # the SMTP lookup imports Airflow: keep its files in the home
    env["AIRFLOW_CONN_ECOFLOW_SMTP"] = (f"smtp://127.0.0.1:{smtp_port}?disable_ssl=true&disable_tls=true"
                                        f"&from_email={MAIL_FROM}")
    return env


def median_run(runs: list[dict[str, Any]], key: str = "stage_seconds") -> dict[str, Any]:
    """The median run by ``key`` (of the successful ones), with every run's value and the max peak RSS."""
    ok = sorted((r for r in runs if r.get("status") == "ok" and r.get(key) is not None), key=lambda r: r[key])
    if not ok:
        return {"status": "failed", "error": runs[0].get("error") if runs else "not run", "runs": len(runs)}
    pick = dict(ok[(len(ok) - 1) // 2])
    pick["all"] = [r[key] for r in runs if r.get("status") == "ok"]
    pick["peak_rss_max_mib"] = max(r["peak_rss_mib"] for r in ok)
    pick["failed_runs"] = len(runs) - len(ok)
    return pick


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from demo.feed_server import FeedServer
    from demo.smtp_sink import SmtpSink
    from demo.waste_publisher import WastePublisher
    from demo.water_publisher import WaterPublisher

    results = WORK / "water_waste_results"
    if results.exists():
        shutil.rmtree(results)
    results.mkdir(parents=True)
    run: dict[str, Any] = {"loadavg_start": rb.loadavg(), "code": rb.code_version()}
    year, month = (int(x) for x in args.water_month.split("-"))
    first_poll = datetime(year, month, 1, 0, 5)
    with SmtpSink(WORK / "water_waste_smtp") as sink:
        clock = datetime.fromisoformat(SNAPSHOT_POLLS[0])
        with FeedServer(publisher=WaterPublisher(clock=clock)) as srv:
            poll, floor, tidy = [], [], []
            for i in range(args.repeats):  # interleaved, so a slow spell of the machine does not hit one line only
                poll.append(run_child(f"water-poll-{i + 1}", "water-poll",
                                      env_for(f"water-poll-{i + 1}", sink.port, water=srv.url), results,
                                      {"as_of": list(SNAPSHOT_POLLS)}))
                for name, runs in (("water-floor", floor), ("water-floor-tidy", tidy)):
                    runs.append(run_child(f"{name}-{i + 1}", name, env_for(f"{name}-{i + 1}", sink.port), results,
                                          {"file": str(SNAPSHOT)}))
        run["poll"] = {"runs": poll, "cold": median_run(poll), "warm": median_run(poll, "warm_seconds")}
        run["floor"] = {"runs": floor, "median": median_run(floor)}
        run["floor_tidy"] = {"runs": tidy, "median": median_run(tidy)}
        run["month"] = run_child("water-month", "water-month", env_for("water-month", sink.port), results,
                                 {"first": first_poll.isoformat(), "every_hours": 4, "polls": args.polls,
                                  "period": args.water_month})
        with FeedServer(publisher=WastePublisher()) as srv:
            run["waste"] = run_child("waste-month", "waste-month",
                                     env_for("waste-month", sink.port, waste=srv.url), results,
                                     {"periods": args.waste_months})
        run["mails_received"] = len(sink.received)
    snapshot = json.loads(SNAPSHOT.read_bytes())
    run.update({"snapshot_rows": len(snapshot["tbody"]), "argv": args.argv,
                "finished_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
                "machine": {**rb.machine(), "loadavg_start": run["loadavg_start"], "loadavg_end": rb.loadavg()},
                "snapshot_bytes": SNAPSHOT.stat().st_size, "water_month": args.water_month,
                "waste_months": args.waste_months, "polls": args.polls, "repeats": args.repeats})
    return run


# ------------------------------------------------------------------------------------------------------------
# report

_s, _n, _ratio, _pct = rb._s, rb._n, rb._ratio, rb._pct


def _mib(b: float | None) -> str:
    if b is None:
        return "—"
    return f"{b / 2**10:,.0f} KiB" if abs(b) < 2**20 else f"{b / 2**20:,.1f} MiB"


def _step(steps: list[dict[str, Any]], label: str) -> float:
    return sum(s["seconds"] for s in steps if s["label"] == label)


def _groups(steps: list[dict[str, Any]], total: float) -> dict[str, float]:
    out = {g: sum(_step(steps, label) for label in labels) for g, labels in GROUPS.items()}
    out["import great_expectations"] = _step(steps, GX_IMPORT)
    out["other (ledger, warehouse open/migrate, run bookkeeping)"] = max(0.0, total - sum(out.values()))
    return out


def _docs_trend(month: dict[str, Any]) -> tuple[float, float] | None:
    """Data Docs seconds of a warm poll against the number of validations already stored: (intercept, slope)."""
    points = [(i, p["steps"].get(DATA_DOCS, 0.0)) for i, p in enumerate(month.get("polls", [])) if i > 0]
    if len(points) < 3:
        return None
    fit = statistics.linear_regression([float(i) for i, _ in points], [v for _, v in points])
    return fit.intercept, fit.slope


def _bytes_per_row(month: dict[str, Any]) -> float | None:
    """Warehouse file growth per landed row over the month of polls (the first poll's file is the base)."""
    if _failed(month) or len(month["polls"]) < 2 or "warehouse_bytes" not in month["polls"][0]:
        return None
    rows = sum(p["rows_landed"] for p in month["polls"][1:])
    grown = month["after_polls"]["warehouse_bytes"] - month["polls"][0]["warehouse_bytes"]
    return grown / rows if rows else None


def _runs_text(values: list[float], digits: int = 2) -> str:
    return ", ".join(_s(v, digits) for v in values)


def _failed(r: dict[str, Any]) -> bool:
    return r.get("status") != "ok"


def render_section(run: dict[str, Any]) -> str:
    m = run["machine"]
    cold, warm = run["poll"]["cold"], run["poll"]["warm"]
    floor, tidy = run["floor"]["median"], run["floor_tidy"]["median"]
    month, waste = run["month"], run["waste"]
    floor_s = None if _failed(floor) else floor["stage_seconds"]
    lines = [BEGIN, TITLE, "",
             f"Written by `python -m bench.run_water_waste_bench{run['argv']}` on {run['finished_utc']} (UTC); only "
             f"this section (between the `water-waste` markers) is generated by it; `python -m bench.run_bench` keeps "
             f"it when it rewrites the air report. Raw numbers: `bench/.work/water_waste.json` (not "
             f"committed); `--render-only bench/.work/water_waste.json` rewrites the section without measuring. "
             f"Same machine description as above: {m['cpu']}, {m['nproc']} usable cores, {_s(m['ram_gib'])} GiB.",
             "", rb._load_line(m), rb._code_line(run.get("code")), ""]

    # 1 ------------------------------------------------------------------------------------------------------
    lines += ["### 1. One national water poll (the real 2020-05-08 snapshot)", ""]
    if _failed(cold):
        lines += [f"**Failed**: {cold.get('error')}", ""]
    else:
        first, second = cold["polls"][0], cold["polls"][-1]
        lines += [
            f"`realtime.json` as published on 2020-05-08 ({run['snapshot_bytes']:,} bytes, "
            f"{run['snapshot_rows']:,} rows of `tbody`, {cold['sections']:,} distinct sections) served over loopback "
            f"HTTP by `FeedServer(publisher=WaterPublisher(clock=...))` and polled by "
            f"`pipeline.capture(settings, \"water\", as_of=...)`: fetch, archive, parse into "
            f"{_n(first['rows_in'])} tidy rows, GX suite `water_readings`, landing in `raw.water_readings` "
            f"(landed {_n(first['rows_landed'])}, rejected {_n(first['rows_rejected'])}, warned "
            f"{_n(first['rows_warned'])}: {', '.join(f'{k} {v}' for k, v in first['rule_counts'].items()) or 'none'}"
            f"). Each run is a new process with a fresh `ECOFLOW_HOME`: the **cold** poll is its first (it imports "
            f"great_expectations, creates the warehouse and the GX context), the **warm** poll the same bytes again "
            f"at {second['as_of'][11:16]} in the same process. Median of {run['repeats']} runs; process, CPU and "
            f"peak RSS are the whole child process (both polls for the pipeline).",
            "",
            "| measurement | wall s (median) | runs, s | process s | CPU s | peak RSS MiB | ÷ floor |",
            "|---|---:|---|---:|---:|---:|---:|",
            f"| cold poll (GX import + new warehouse + capture) | {_s(cold['stage_seconds'], 2)} | "
            f"{_runs_text(cold['all'])} | {_s(cold['process_seconds'])} | {_s(cold['cpu_seconds'])} | "
            f"{_s(cold['peak_rss_max_mib'], 0)} | {_ratio(cold['stage_seconds'], floor_s)} |",
            f"| warm poll (same process, same bytes) | {_s(warm['warm_seconds'], 2)} | {_runs_text(warm['all'])} | "
            f"— | — | {_s(warm['polls'][-1]['maxrss_mib'], 0)} (after it) | {_ratio(warm['warm_seconds'], floor_s)} |",
        ]
        for title, r in (("floor: json.loads → DataFrame of tbody → DuckDB insert", floor),
                         ("reference: floor + melt to tidy rows + vectorised 原始值", tidy)):
            if _failed(r):
                lines.append(f"| {title} | **failed** | | | | | |")
            else:
                lines.append(f"| {title} | {_s(r['stage_seconds'], 3)} | {_runs_text(r['all'], 3)} | "
                             f"{_s(r['process_seconds'])} | {_s(r['cpu_seconds'])} | {_s(r['peak_rss_max_mib'], 0)} | "
                             f"{_ratio(r['stage_seconds'], floor_s)} |")
        cold_g = _groups(cold["cold_steps"], cold["stage_seconds"])
        warm_g = _groups(warm["warm_steps"], warm["warm_seconds"])
        lines += ["", "Split of the median runs (steps timed by wrapping, in the child only, the functions "
                      "`capture` calls, as bench/stages.py does for air):", "",
                  "| part | cold s | cold share | warm s | warm share |", "|---|---:|---:|---:|---:|"]
        for g in cold_g:
            lines.append(f"| {g} | {_s(cold_g[g], 3)} | {_pct(cold_g[g], cold['stage_seconds'])} | "
                         f"{_s(warm_g[g], 3)} | {_pct(warm_g[g], warm['warm_seconds'])} |")
        lines += ["", "<details><summary>Every timed step (median runs)</summary>", "",
                  "| poll | step | wall s | calls | share |", "|---|---|---:|---:|---:|"]
        lines += rb._steps_rows("cold", {"stage_seconds": cold["stage_seconds"], "steps": cold["cold_steps"]})
        lines += rb._steps_rows("warm", {"stage_seconds": warm["warm_seconds"], "steps": warm["warm_steps"]})
        if not _failed(floor):
            lines += ["", "| floor step | wall s |", "|---|---:|"]
            lines += [f"| {s['label']} | {_s(s['seconds'], 4)} |" for s in floor["steps"]]
        if not _failed(tidy):
            lines += ["", "| tidy reference step | wall s |", "|---|---:|"]
            lines += [f"| {s['label']} | {_s(s['seconds'], 4)} |" for s in tidy["steps"]]
        lines += ["", "</details>", ""]
        n = POLLS_PER_DAY * DAYS_PER_MONTH
        wh_growth = second["warehouse_bytes"] - first["warehouse_bytes"]
        docs_growth = second["reports_bytes"] - first["reports_bytes"]
        per_row = _bytes_per_row(month)
        wh_month = (f"{_mib(n * first['rows_landed'] * per_row)} (at the {_s(per_row, 0)} bytes per landed row of "
                    f"the Inner Mongolia month below) to {_mib(n * wh_growth)} (at the second poll's growth)"
                    if per_row else _mib(n * wh_growth))
        lines += [
            f"**A national month** (the capture DAG polls every 4 h: {POLLS_PER_DAY} polls a day × {DAYS_PER_MONTH} "
            f"days = {n} polls), extrapolated linearly from one poll: {n} × {_s(warm['warm_seconds'], 2)} s = "
            f"**{_s(n * warm['warm_seconds'] / 60)} min** of capture a month if polls ran warm; each scheduled poll "
            f"is a task of its own, so a new process pays the cold poll's fixed part again: {n} × "
            f"{_s(cold['stage_seconds'], 2)} s = **{_s(n * cold['stage_seconds'] / 60)} min** (the cold figure also "
            f"creates the warehouse and the GX project, which a real home has already, so it is an upper bound; "
            f"whole child process {_s(cold['process_seconds'])} s with interpreter start and imports). "
            f"Per poll it archives {_mib(first['archive_bytes'])}, lands {_n(first['rows_landed'])} rows (about "
            f"{_n(n * first['rows_landed'])} a month), grows the warehouse file by {_mib(wh_growth)} (second poll; "
            f"DuckDB files grow in steps, so this is coarse) and the GX Data Docs by {_mib(docs_growth)}: about "
            f"{_mib(n * first['archive_bytes'])} of archive, {wh_month} of warehouse and "
            f"{_mib(n * docs_growth)} of Data Docs a month.",
            "",
        ]

    # 2 ------------------------------------------------------------------------------------------------------
    lines += ["### 2. A month of Inner Mongolia polls", ""]
    if _failed(month):
        lines += [f"**Failed**: {month.get('error')}", ""]
        if month.get("traceback"):
            lines += ["```", month["traceback"].rstrip()[-2000:], "```", ""]
    else:
        polls = month["polls"]
        secs = [p["seconds"] for p in polls]
        med = statistics.median(secs)
        warm_secs = secs[1:] or secs
        k = min(10, len(warm_secs))
        head, tail = warm_secs[:k], warm_secs[-k:]
        grown = month["after_polls"]["warehouse_bytes"] - polls[0].get("warehouse_bytes", 0)
        later_rows = sum(p["rows_landed"] for p in polls[1:])
        summary = month["summary"]
        run_steps = month["run_steps"]
        lines += [
            f"{len(polls)} polls of `WaterPublisher` (generated readings of the 28 Inner Mongolia sections, "
            f"{_n(polls[0]['rows_in'])} tidy rows each), the clock stepped 4 h from {polls[0]['as_of'][:16]} to "
            f"{polls[-1]['as_of'][:16]}, each captured by `pipeline.capture` in one process (the feed server runs "
            f"in that process too), then `pipeline.run(settings, \"water\", {run['water_month']})`.",
            "",
            "| measurement | value |", "|---|---:|",
            f"| all {len(polls)} polls, wall (GX import included) | {_s(month['polls_seconds'])} s |",
            f"| per poll, median (min – max) | {_s(med, 3)} s ({_s(min(secs), 3)} – {_s(max(secs), 3)}) |",
            f"| first poll (cold) | {_s(secs[0], 3)} s |",
            f"| per warm poll, median of the first {k} / of the last {k} | "
            f"{_s(statistics.median(head), 3)} s / {_s(statistics.median(tail), 3)} s |",
            f"| monthly evaluation `pipeline.run` | {_s(month['run_seconds'], 2)} s |",
            f"| ↳ compute (section months + indicator values) | "
            f"{_s(_step(run_steps, 'compute (marts + indicator values)'), 2)} s |",
            f"| ↳ alerts (evaluate + deliver over SMTP) | {_s(_step(run_steps, 'alerts (evaluate + deliver)'), 2)} s |",
            "| ↳ of which SMTP connection (imports airflow.sdk) | "
            + (f"{_s(_step(run_steps, SMTP), 2)} s |" if any(x["label"] == SMTP for x in run_steps)
               else "not opened (no alert to send) |"),
            f"| whole child process: wall / CPU / peak RSS | {_s(month['process_seconds'])} s / "
            f"{_s(month['cpu_seconds'])} s / {_s(month['peak_rss_mib'], 0)} MiB |",
            f"| raw rows in the warehouse | {_n(month['raw_rows_in_warehouse'])} |",
            f"| section months / indicator values / alerts sent | {_n(month['section_months'])} / "
            f"{_n(summary.get('indicator_values'))} / {_n(summary.get('alerts_sent'))} |",
            f"| warehouse file after the polls / after the run | {_mib(month['after_polls']['warehouse_bytes'])} / "
            f"{_mib(month['after_run']['warehouse_bytes'])} |",
            f"| archive / GX reports (Data Docs) after the month | {_mib(month['after_run']['archive_bytes'])} / "
            f"{_mib(month['after_run']['reports_bytes'])} |",
            f"| warehouse growth from the first poll to the last | {_mib(grown)}"
            + (f" ({_mib(grown / (len(polls) - 1))} a poll, {_s(grown / later_rows, 0)} bytes per landed row) |"
               if later_rows else " |"),
            "",
        ]
        trend = _docs_trend(month)
        if trend:
            docs = [p["steps"].get(DATA_DOCS, 0.0) for p in polls[1:]]
            lines += [f"Data Docs per warm poll: median {_s(statistics.median(docs[:k]), 3)} s over the first {k}, "
                      f"{_s(statistics.median(docs[-k:]), 3)} s over the last {k}; a least-squares line gives "
                      f"{_s(trend[0], 3)} s + {_s(1000 * trend[1], 2)} ms per validation already in the GX store. "
                      f"Resident memory after the first / last poll: {_s(polls[0]['rss_mib'], 0)} / "
                      f"{_s(polls[-1]['rss_mib'], 0)} MiB.", ""]
        labels = [VALIDATE, DATA_DOCS, PARSE, FETCH]
        per = {label: [p["steps"].get(label, 0.0) for p in polls[1:]] for label in labels}
        lines.append("Median per warm poll: " + ", ".join(
            f"{label.split(' (')[0]} {_s(statistics.median(v), 3)} s" for label, v in per.items() if v)
            + f" (of {_s(statistics.median(secs[1:] or secs), 3)} s).")
        if summary.get("delivery_error"):
            lines.append(f"Alert delivery failed: {summary['delivery_error']}")
        lines.append("")

    # 3 ------------------------------------------------------------------------------------------------------
    lines += ["### 3. The waste month", ""]
    if _failed(waste):
        lines += [f"**Failed**: {waste.get('error')}", ""]
        if waste.get("traceback"):
            lines += ["```", waste["traceback"].rstrip()[-2000:], "```", ""]
    else:
        c, w = waste["runs"][0], waste["runs"][-1]
        cs = c["summary"]
        lines += [
            f"`pipeline.run(settings, \"waste\", {c['period']})` on the `demo.waste_publisher` month "
            f"({_n(cs.get('rows_landed'))} rows landed, {_n(cs.get('rows_rejected'))} rejected, "
            f"{_n(cs.get('indicator_values'))} indicator values, {_n(cs.get('alerts_sent'))} alert(s) sent) in a "
            f"new process with a fresh home (cold), then `{w['period']}` in the same process (warm).",
            "",
            "| step | cold s | warm s |", "|---|---:|---:|",
            f"| import great_expectations | {_s(_step(waste['cold_steps'], GX_IMPORT), 2)} | — |",
        ]
        for label in ("open warehouse: migrate + models + catalogue", FETCH, PARSE, VALIDATE, DATA_DOCS,
                      "compute (marts + indicator values)", "alerts (evaluate + deliver)",
                      SMTP):
            lines.append(f"| {label} | {_s(_step(c['steps'], label), 2)} | {_s(_step(w['steps'], label), 2)} |")
        cold_total = waste["stage_seconds"]
        lines += [f"| **run total** | **{_s(cold_total, 2)}** | **{_s(w['seconds'], 2)}** |", "",
                  f"Whole child process (both months): {_s(waste['process_seconds'])} s wall, "
                  f"{_s(waste['cpu_seconds'])} s CPU, peak RSS {_s(waste['peak_rss_mib'], 0)} MiB.", ""]

    # reading ------------------------------------------------------------------------------------------------
    lines += ["### What this says", ""]
    lines += [p + "\n" for p in reading(run)]
    lines += [
        "### How it is measured", "",
        "- Each measurement is a `python -m bench.run_water_waste_bench --child ...` process (stages registered in "
        "`bench.stages` and run by its `main`) with a fresh `ECOFLOW_HOME` under `bench/.work/water_waste_homes`; "
        "wall is the stage inside the process (interpreter start and `tasks`/pandas/duckdb imports excluded, "
        "`import great_expectations` included), process, CPU and peak RSS come from `wait4` in the parent.",
        "- The snapshot poll's feed server runs in the parent; the month's runs in the child (it steps the "
        "publisher's clock), so its CPU includes rendering the generated JSON. Alerts go to a loopback "
        "`SmtpSink`; `AIRFLOW_HOME` points into the run's home.",
        "- The floor reads the bytes from disk (no HTTP) and writes one wide table to a DuckDB file; it does no "
        "tidying, validation or bookkeeping: it is what merely reading the response costs.",
        "- Single machine, ratios rather than seconds; the month extrapolation is linear in the number of polls.",
        "",
        END,
    ]
    return "\n".join(lines)


def reading(run: dict[str, Any]) -> list[str]:
    """The paragraphs of "What this says", written from this run's numbers."""
    out: list[str] = []
    cold, warm = run["poll"]["cold"], run["poll"]["warm"]
    floor, tidy = run["floor"]["median"], run["floor_tidy"]["median"]
    month, waste = run["month"], run["waste"]
    floor_s = None if _failed(floor) else floor["stage_seconds"]
    national_gx = None
    if not _failed(cold):
        wg = _groups(warm["warm_steps"], warm["warm_seconds"])
        cg = _groups(cold["cold_steps"], cold["stage_seconds"])
        national_gx = wg["GX validation"]
        big = max(wg, key=lambda k: wg[k])
        docs = _step(warm["warm_steps"], DATA_DOCS)
        fixed = cold["stage_seconds"] - warm["warm_seconds"]
        opened = _step(warm["warm_steps"], "open warehouse: migrate + models + catalogue")
        text = (f"A national poll costs {_s(warm['warm_seconds'], 2)} s warm and {_s(cold['stage_seconds'], 2)} s "
                f"cold, against {_s(floor_s, 3)} s to read the same bytes into DuckDB "
                f"({_ratio(warm['warm_seconds'], floor_s)} and {_ratio(cold['stage_seconds'], floor_s)} the floor). "
                f"Warm, {big} is the largest part ({_pct(wg[big], warm['warm_seconds'])}): GX validation "
                f"{_s(wg['GX validation'], 2)} s (Data Docs {_s(docs, 2)} s of it), parsing {_s(wg['parse'], 2)} s, "
                f"landing {_s(wg['landing'], 2)} s, opening the warehouse (migrations, models, catalogue, on every "
                f"connect) {_s(opened, 2)} s. What the cold poll adds is fixed cost, mostly importing "
                f"great_expectations ({_s(cg['import great_expectations'], 2)} s; cold minus warm is "
                f"{_s(fixed, 2)} s, the polls' own run-to-run noise included).")
        if not _failed(tidy):
            vector = sum(s["seconds"] for s in tidy["steps"]
                         if not s["label"].startswith(("DuckDB", "read the bytes")))
            text += (f" The pipeline's parse ({_s(wg['parse'], 2)} s, cell by cell in Python) is "
                     f"{_ratio(wg['parse'], vector)} the {_s(vector, 3)} s that json.loads, a DataFrame and a "
                     f"vectorised melt + regex need for the same tidy rows.")
        out.append(text)
        n = POLLS_PER_DAY * DAYS_PER_MONTH
        first, second = cold["polls"][0], cold["polls"][-1]
        per_row = _bytes_per_row(month)
        estimates = sorted(x for x in (n * (second["warehouse_bytes"] - first["warehouse_bytes"]),
                                       n * first["rows_landed"] * per_row if per_row else None) if x)
        warehouse = ("–".join(_mib(x) for x in estimates) if len(estimates) > 1
                     else _mib(estimates[0]) if estimates else "an unmeasured amount")
        text = (f"Nationally that is {_s(n * warm['warm_seconds'] / 60)}–{_s(n * cold['stage_seconds'] / 60)} min "
                f"of one core a month for {n} polls; a cold poll is "
                f"{100 * cold['stage_seconds'] / (4 * 3600):.2f} % of the 4-hour interval, so the schedule has "
                f"ample room. What would need attention nationally is what accumulates: "
                f"~{_n(n * first['rows_landed'])} raw rows a month (every poll stores every section's "
                f"latest reading again, {_n(first['rows_landed'])} rows, whether or not it changed), "
                f"{_mib(n * first['archive_bytes'])} of archive and, by the estimates above, {warehouse} of "
                f"warehouse a month; the monthly evaluation over those rows, which is measured here for "
                f"Inner Mongolia only (no national month of polls exists to replay); and the Data Docs trend below, "
                f"which is the same for any number of sections.")
        gx_import = cg["import great_expectations"]
        if gx_import > warm["warm_seconds"]:
            text += (f" Per poll, importing great_expectations in a new task process ({_s(gx_import, 2)} s) costs "
                     f"more than the work on the rows ({_s(warm['warm_seconds'], 2)} s).")
        out.append(text)
    if not _failed(month):
        polls = month["polls"]
        secs = [p["seconds"] for p in polls]
        warm_secs = secs[1:] or secs
        med = statistics.median(warm_secs)
        k = min(10, len(warm_secs))
        head, tail = statistics.median(warm_secs[:k]), statistics.median(warm_secs[-k:])
        val = statistics.median([p["steps"].get(VALIDATE, 0.0) for p in polls[1:]] or [0.0])
        parse = statistics.median([p["steps"].get(PARSE, 0.0) for p in polls[1:]] or [0.0])
        rows = polls[0]["rows_in"]
        text = (f"An Inner Mongolia poll ({_n(rows)} rows) takes {_s(med, 3)} s warm; GX validation is "
                f"{_s(val, 3)} s of it ({_pct(val, med)}) and parsing {_s(parse, 3)} s.")
        if national_gx and val >= 0.5 * national_gx:
            text += (f" GX costs nearly as much here as for the national poll's {_n(cold['polls'][0]['rows_in'])} "
                     f"rows ({_s(national_gx, 2)} s): its cost is per checkpoint run (suite, COMPLETE result "
                     f"format, Data Docs), not per row, so a small province pays it in full on every poll.")
        trend = "rises" if tail > 1.1 * head else "falls" if tail < 0.9 * head else "stays flat"
        text += (f" Over {len(polls)} polls the per-poll time {trend} (median {_s(head, 3)} s for the first {k} "
                 f"warm polls, {_s(tail, 3)} s for the last {k}). ")
        fit = _docs_trend(month)
        if fit and fit[1] > 0:
            year = POLLS_PER_DAY * 365
            text += (f"What grows is Data Docs: on every build GX's site builder lists every validation stored so "
                     f"far and rewrites the site index, so each poll's Data Docs step costs about "
                     f"{_s(1000 * fit[1], 1)} ms more per validation already stored ({_s(fit[0], 2)} s at the start). "
                     f"Linearly, after a year of 4-hourly polls ({_n(year)} validations, the air and waste batches in "
                     f"the same GX store not counted) that step alone would take ~{_s(fit[0] + fit[1] * year, 0)} s "
                     f"a poll, for every batch of every source validated in that home. This needs attention, "
                     f"nationally and here alike: bound it (e.g. `validation_results_limit` on the Data Docs site, "
                     f"pruning old validation results) or build Data Docs on a schedule rather than per batch. ")
        text += (f"The month's evaluation takes {_s(month['run_seconds'], 2)} s over "
                 f"{_n(month['raw_rows_in_warehouse'])} raw rows; the warehouse ends at "
                 f"{_mib(month['after_run']['warehouse_bytes'])} and the GX reports at "
                 f"{_mib(month['after_run']['reports_bytes'])}.")
        out.append(text)
    if not _failed(waste):
        c, w = waste["runs"][0], waste["runs"][-1]
        gx = _step(waste["cold_steps"], GX_IMPORT)
        smtp = _step(c["steps"], SMTP)
        opened = [s for s in w["steps"] if s["label"] == "open warehouse: migrate + models + catalogue"]
        text = (f"The waste month is dominated by fixed costs: {_s(waste['stage_seconds'], 2)} s cold for "
                f"{_n(c['summary'].get('rows_landed'))} rows, of which importing great_expectations is {_s(gx, 2)} s "
                f"and the SMTP connection's first `airflow.sdk` import {_s(smtp, 2)} s (an Airflow task has that "
                f"loaded already: the DAG file imports it); the next month in the same process takes "
                f"{_s(w['seconds'], 2)} s, still mostly one GX checkpoint run ({_s(_step(w['steps'], VALIDATE), 2)} s)")
        if opened:
            text += (f" and opening the warehouse {opened[0]['calls']} times (once per step, "
                     f"{_s(opened[0]['seconds'], 2)} s)")
        text += ". The rows themselves cost next to nothing at this size."
        out.append(text)
    return out


def write_section(out: Path, section: str) -> None:
    """Replace the marked section of ``out`` (or append it); everything else in the file is kept as it is."""
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    start, end = text.find(BEGIN), text.find(END)
    if start != -1 and end > start:
        text = text[:start] + section + text[end + len(END):]
    else:
        text = text.rstrip("\n") + ("\n\n" if text.strip() else "") + section + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        return child_main(argv[1:])
    p = argparse.ArgumentParser(prog="python -m bench.run_water_waste_bench", description=__doc__.splitlines()[0])
    p.add_argument("--polls", type=int, default=180, help="generated Inner Mongolia polls, 4 h apart (default 180)")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md", help="report whose section to write")
    p.add_argument("--repeats", type=int, default=3, help="runs of the national poll and its floors (median)")
    p.add_argument("--water-month", default="2025-06", help="month the generated polls start in (YYYY-MM)")
    p.add_argument("--waste-months", nargs=2, default=["2025-01", "2025-02"], metavar=("COLD", "WARM"),
                   help="waste months: the first run in a new process, the second in the same one")
    p.add_argument("--render-only", type=Path, default=None, metavar="JSON",
                   help="only rewrite the section from a saved run (bench/.work/water_waste.json)")
    args = p.parse_args(argv)
    out = args.out if args.out.is_absolute() else Path.cwd() / args.out
    if args.render_only is not None:
        write_section(out, render_section(json.loads(args.render_only.read_text(encoding="utf-8"))))
        log(f"wrote the section of {out} from {args.render_only}")
        return 0
    if args.polls < 1 or args.repeats < 1:
        p.error("--polls and --repeats must be at least 1")
    args.argv = "".join(f" {a}" for a in argv)
    WORK.mkdir(parents=True, exist_ok=True)
    run = measure(args)
    raw = WORK / "water_waste.json"
    raw.write_text(json.dumps(run, indent=2, default=str), encoding="utf-8")
    write_section(out, render_section(run))
    log(f"wrote the section of {out}; raw numbers in {raw}")
    failed = [r for r in (*run["poll"]["runs"], run["month"], run["waste"]) if _failed(r)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
