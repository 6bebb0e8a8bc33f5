"""One benchmark stage per process: ``python -m bench.stages STAGE --result out.json [options]``.

Started by :mod:`bench.run_bench`, which measures each process from outside (wall, CPU, peak RSS from
``wait4``). This side times the stage call itself and splits it into steps by wrapping, in this process
only, the functions the pipeline calls (nothing outside ``bench/`` is changed). Stages:

``fetch`` / ``land`` / ``compute``
    the pipeline steps of ``tasks.flow.pipeline`` for source ``air``; settings from the environment
    (``ECOFLOW_HOME``, ``ECOFLOW_AIR_FEED_URL``) as in production.
``floor-duckdb``
    DuckDB alone on the same files: ``read_csv`` into a table, ``UNPIVOT`` to long rows, ``GROUP BY`` a daily
    mean per station and type.
``floor-duckdb-typed``
    the same with the column types declared (``auto_detect = false``), i.e. without CSV sniffing.
``floor-pandas``
    the same three steps with pandas' C parser, ``melt`` and ``groupby``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_T0 = time.perf_counter()  # module start: setup_seconds (imports, wrapping) runs from here to the stage call


class Steps:
    """Wall time and call counts per labelled step, in first-seen order.

    A step without a parent is one part of the stage's time: while it runs, the part it was called from stops
    counting (a step's seconds are its own, not its callees'), so the parts never overlap and sum, with "other",
    to the stage's wall time wherever the steps are called from. A step with a parent is a detail of that part,
    counted inclusively beside it (it does not pause anything).
    """

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self._running: list[list[Any]] = []   # [label, started] of the parts entered and not yet left, innermost last

    def _item(self, label: str, parent: str | None) -> dict[str, Any]:
        """The step's record, created on first entry so a step is listed before the steps nested in it."""
        return self.items.setdefault(label, {"label": label, "seconds": 0.0, "calls": 0, "parent": parent})

    def add(self, label: str, seconds: float, parent: str | None = None) -> None:
        item = self._item(label, parent)
        item["seconds"] += seconds
        item["calls"] += 1

    def _timed(self, label: str, parent: str | None, fn: Callable[[], Any]) -> Any:
        self._item(label, parent)
        if parent is not None:   # a detail: inclusive
            started = time.perf_counter()
            try:
                return fn()
            finally:
                self.add(label, time.perf_counter() - started, parent)
        now = time.perf_counter()
        if self._running:   # the caller's part stops counting while this one runs
            outer = self._running[-1]
            self.items[outer[0]]["seconds"] += now - outer[1]
        frame = [label, now]
        self._running.append(frame)
        try:
            return fn()
        finally:
            now = time.perf_counter()
            self._running.pop()
            self.add(label, now - frame[1])
            if self._running:
                self._running[-1][1] = now

    def wrap(self, owner: Any, attr: str, label: str, parent: str | None = None,
             after: Callable[[], None] | None = None) -> bool:
        """Replace ``owner.attr`` with a timed wrapper; False (and nothing changed) if it does not exist."""
        original = getattr(owner, attr, None)
        if original is None:
            return False

        def timed(*args: Any, **kwargs: Any) -> Any:
            try:
                return self._timed(label, parent, lambda: original(*args, **kwargs))
            finally:
                if after is not None:
                    after()

        try:
            setattr(owner, attr, timed)
        except (AttributeError, TypeError):
            return False
        return True

    def run(self, label: str, fn: Callable[[], Any], parent: str | None = None) -> Any:
        return self._timed(label, parent, fn)

    def as_list(self) -> list[dict[str, Any]]:
        return list(self.items.values())


class TimedConnection:
    """Stands in for a DuckDB connection, timing the ``execute`` calls ``classify`` names; the rest delegates.

    A label is a part of the stage's time (:class:`Steps`): the statement's time is taken out of the step that
    issued it, so nothing is counted twice.
    """

    latest: TimedConnection | None = None  # the stage's open connection, for memory probes between steps

    def __init__(self, con: Any, steps: Steps, classify: Callable[[str], str | None]) -> None:
        self._con, self._steps, self._classify = con, steps, classify
        TimedConnection.latest = self

    def duckdb_memory_mib(self) -> float | None:
        """Memory DuckDB itself holds (buffer manager: tables, temp tables, query state), or None."""
        try:
            total = self._con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]
        except Exception:  # noqa: BLE001 - a probe must never break the stage
            return None
        return None if total is None else float(total) / 2**20

    def execute(self, query: str, *args: Any, **kwargs: Any) -> Any:
        label = self._classify(_statement(query))
        if label is None:
            return self._con.execute(query, *args, **kwargs)
        return self._steps.run(label, lambda: self._con.execute(query, *args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _statement(query: Any) -> str:
    """The statement on one line, without the leading ``--`` comments the warehouse/*.sql files start with."""
    lines = [ln for ln in str(query).splitlines() if ln.strip() and not ln.strip().startswith("--")]
    return " ".join(" ".join(lines).split())


def _time_sql(pipeline: Any, steps: Steps, classify: Callable[[str], str | None]) -> None:
    """Make the connections the pipeline's steps open (``writer(settings)``, ``connect(settings)``) yield a
    :class:`TimedConnection`, so the statements they issue, however deep in tasks/, can be labelled."""
    for attr in ("writer", "connect"):
        real = getattr(pipeline, attr, None)
        if real is None:
            continue

        def timed(settings: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Iterator[Any]:
            with _real(settings, *args, **kwargs) as con:
                yield TimedConnection(con, steps, classify)

        setattr(pipeline, attr, contextmanager(timed))


SQL_RAW_DELETE = "SQL: landing: delete the delivered files' rows of the period (raw)"
SQL_RAW_INSERT = "SQL: landing: insert the run's staged rows into raw"
SQL_STAGED_DROP = "SQL: drop the run's staged rows (review.staged_*)"
SQL_COMMIT = "SQL: COMMIT"


def _land_sql(query: str) -> str | None:
    """The land stage's statements worth a line of their own (the rest count in the step that issues them)."""
    head = query.upper()
    if head.startswith(('DELETE FROM "RAW"', "DELETE FROM RAW")):
        return SQL_RAW_DELETE
    if head.startswith(('INSERT INTO "RAW"', "INSERT INTO RAW")):
        return SQL_RAW_INSERT
    if head.startswith(('DELETE FROM "REVIEW"."STAGED_', "DELETE FROM REVIEW.STAGED_")):
        return SQL_STAGED_DROP
    if head.startswith("COMMIT"):
        return SQL_COMMIT
    return None


def _current_rss_mib() -> float | None:
    """Resident set size now (not the high-water mark), from /proc; None where there is no /proc."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * resource.getpagesize() / 2**20


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _mark_start(out: dict[str, Any]) -> float:
    """Record setup time and RSS high-water mark so far (imports, data), then return the stage start."""
    out["rss_before_stage_mib"] = _maxrss_mib()
    now = time.perf_counter()
    out["setup_seconds"] = now - _T0
    return now


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


# ------------------------------------------------------------------------------------------------------------
# pipeline stages


def _pipeline_imports() -> tuple[Any, Any, Any]:
    from tasks.core import settings
    from tasks.core.periods import Period
    from tasks.flow import pipeline

    return pipeline, settings, Period


def _wrap_common(steps: Steps) -> None:
    from tasks.core import warehouse

    steps.wrap(warehouse, "migrate", "open warehouse: migrate + models + catalogue")


def stage_fetch(args: argparse.Namespace, steps: Steps, out: dict[str, Any]) -> None:
    pipeline, settings_mod, period_cls = _pipeline_imports()
    from tasks.ingest import ledger

    _wrap_common(steps)
    steps.wrap(ledger, "archive", "archive bytes (sha256 + write)")
    steps.wrap(ledger, "record_attempt", "ledger row per file")
    settings, period = settings_mod.load(), period_cls.parse(args.period)
    started = _mark_start(out)
    run_id = pipeline.fetch(settings, "air", period, trigger="bench").run_id
    out["stage_seconds"] = time.perf_counter() - started
    out["run_id"] = run_id
    import duckdb

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        rows = con.execute("SELECT status, count(*), coalesce(sum(size_bytes), 0) FROM meta.batches "
                           "WHERE run_id = ? GROUP BY status", [run_id]).fetchall()
    finally:
        con.close()
    out["files_by_status"] = {status: int(n) for status, n, _ in rows}
    out["bytes_fetched"] = int(sum(b for _, _, b in rows))


DATA_DOCS = "Data Docs (rendered once per run)"
PARSE = "parse (wide CSV -> tidy rows)"
VALIDATE = "validate (Great Expectations)"
STAGE_WRITE = "staging write (rows -> review.staged_*)"
REDELIVERY = "re-delivery check (stored vs delivered extent)"
LEDGER = "ledger (meta.runs / meta.batches)"
LANDING = "landing: apply the decision (rest of it)"


def _wrap_land(steps: Steps) -> None:
    """The land stage's parts: each function below is timed without its callees that are parts themselves."""
    from tasks import sources
    from tasks.flow import warehouse as flow_warehouse
    from tasks.ingest import ledger
    from tasks.land import landing
    from tasks.sources import redelivery
    from tasks.validate import runner as validation
    from tasks.validate import staging

    adapter = sources.get("air")
    steps.wrap(flow_warehouse.catalogue_load, "refresh", "open warehouse: migrate + models + catalogue")
    for owner in (staging, landing):   # landing imported these by name
        steps.wrap(owner, "validate_run", "validate_run (rest of it: file list, supersede)")
        steps.wrap(owner, "staged_table", "staged table in step with raw (column check)")
    steps.wrap(adapter, "parse", PARSE)
    steps.wrap(adapter, "expectation_parameters", "expectation parameters (catalogue query)")
    steps.wrap(staging, "_stack", "stack a group's files for one validation")
    steps.wrap(staging, "_issues_frame", "issues frame")
    steps.wrap(staging, "_store_issues", "store quarantine issues")
    steps.wrap(staging, "_settle_batch", "settle each file (rest of it: good/failing split)")
    steps.wrap(staging, "_stage", STAGE_WRITE)
    steps.wrap(adapter, "landing_frame", "landing frame (typed columns)")
    steps.wrap(redelivery, "check_files", REDELIVERY)
    steps.wrap(redelivery, "stored_files", REDELIVERY)   # the extents landed before, read once per run
    steps.wrap(validation, "publish", DATA_DOCS)
    steps.wrap(landing, "apply_decision", LANDING)
    for name in ("attempts_of_run", "update_attempt", "finish_run", "new_run"):
        steps.wrap(ledger, name, LEDGER)


def stage_land(args: argparse.Namespace, steps: Steps, out: dict[str, Any]) -> None:
    pipeline, settings_mod, period_cls = _pipeline_imports()
    from tasks.validate import runner as validation

    _wrap_common(steps)
    rss_by_batch: list[float | None] = []
    duckdb_by_batch: list[float | None] = []
    out["rss_after_each_validation_mib"] = rss_by_batch
    out["duckdb_memory_after_each_validation_mib"] = duckdb_by_batch

    def probe() -> None:
        rss_by_batch.append(_current_rss_mib())
        con = TimedConnection.latest
        duckdb_by_batch.append(con.duckdb_memory_mib() if con is not None else None)

    _time_sql(pipeline, steps, _land_sql)
    _wrap_land(steps)
    steps.wrap(validation, "validate", VALIDATE, after=probe)
    steps.wrap(validation, "_context", "GX file context (get_context)", parent=VALIDATE)
    settings, period = settings_mod.load(), period_cls.parse(args.period)
    started = _mark_start(out)

    def import_gx() -> None:
        validation._quiet_gx()
        import great_expectations  # noqa: F401 - the land task imports it lazily; timed as its own step

    steps.run("import great_expectations", import_gx)
    from tasks.flow.run import Run

    run = Run("air", period, args.run_id, settings)
    result = steps.run("land_unattended (rest of it)", lambda: pipeline.land_unattended(run))
    out["stage_seconds"] = time.perf_counter() - started
    out["rss_at_end_mib"] = _current_rss_mib()
    out["batches"] = len(result.batches)
    out["rows_landed"] = int(result.rows_landed)
    out["rows_rejected"] = int(result.rows_rejected)
    out["rows_warned"] = int(result.rows_warned)
    out["rows_in"] = int(sum(b.rows_in for b in result.batches))
    out["missing_files"] = list(result.missing_files)
    rules: dict[str, int] = {}
    for batch in result.batches:
        for rule, n in batch.rule_counts.items():
            rules[rule] = rules.get(rule, 0) + int(n)
    out["rule_counts"] = rules
    out["reports_bytes"] = _dir_bytes(settings.reports_dir)
    import duckdb

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        out["raw_rows_in_warehouse"] = int(con.execute(
            "SELECT count(*) FROM raw.cnemc_air_hourly WHERE period = ?", [str(period)]).fetchone()[0])
    finally:
        con.close()
    out["warehouse_bytes"] = settings.warehouse_path.stat().st_size


def stage_compute(args: argparse.Namespace, steps: Steps, out: dict[str, Any]) -> None:
    pipeline, settings_mod, period_cls = _pipeline_imports()
    from tasks.compute import air as air_compute

    _wrap_common(steps)
    steps.wrap(air_compute, "compute_daily", "daily facts (marts.air_daily)")
    steps.wrap(air_compute, "_score", "AQI scoring (column-wise)", parent="daily facts (marts.air_daily)")
    steps.wrap(air_compute, "_dust_deducted", "dust-deducted variant", parent="daily facts (marts.air_daily)")
    steps.wrap(air_compute, "compute_indicators", "indicator values")
    settings, period = settings_mod.load(), period_cls.parse(args.period)
    started = _mark_start(out)
    from tasks.flow.run import Run

    counts = pipeline.compute(Run("air", period, args.run_id, settings))
    evaluated = pipeline.evaluate(settings, [period])   # the evaluation is a step of its own; timed with compute
    out["stage_seconds"] = time.perf_counter() - started
    out["counts"] = {k: int(v) for k, v in counts.items() if isinstance(v, int)}
    out["evaluated_months"] = [str(m) for m in evaluated]
    out["warehouse_bytes"] = settings.warehouse_path.stat().st_size


def stage_recompute(args: argparse.Namespace, steps: Steps, out: dict[str, Any]) -> None:
    """One month of air recomputed from what is landed (what a correction triggers): daily facts, indicators of
    every region, the later months whose year to date includes it, evaluation."""
    pipeline, settings_mod, period_cls = _pipeline_imports()
    from tasks.compute import air as air_compute

    _wrap_common(steps)
    steps.wrap(air_compute, "compute_daily", "daily facts (marts.air_daily)")
    steps.wrap(air_compute, "compute_indicators", "indicator values")
    settings, period = settings_mod.load(), period_cls.parse(args.period)
    started = _mark_start(out)
    # the values, then their evaluation (a step of its own since the one flow)
    out["evaluated"] = [str(m) for m in pipeline.evaluate(settings, pipeline.recompute(settings, period, ["air"]))]
    out["stage_seconds"] = time.perf_counter() - started


# ------------------------------------------------------------------------------------------------------------
# floors


def _duckdb_floor(args: argparse.Namespace, steps: Steps, out: dict[str, Any], typed: bool) -> None:
    import duckdb

    files = json.loads(Path(args.files).read_text(encoding="utf-8"))
    con = duckdb.connect()  # in memory: the floor does no durable writes
    out["threads"] = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    if typed:  # the header names the stations; every station column is a number
        with open(files[0], encoding="utf-8-sig") as fh:
            header = fh.readline().strip().split(",")
        columns = {c: "BIGINT" if c in ("date", "hour") else "VARCHAR" if c == "type" else "DOUBLE" for c in header}
        query = "CREATE TABLE wide AS SELECT * FROM read_csv($files, header = true, auto_detect = false, " \
                "columns = $columns)"
        params: dict[str, Any] = {"files": files, "columns": columns}
    else:
        query, params = "CREATE TABLE wide AS SELECT * FROM read_csv($files)", {"files": files}
    started = _mark_start(out)
    steps.run("read_csv (glob of the files) -> table", lambda: con.execute(query, params))
    steps.run("UNPIVOT -> long rows", lambda: con.execute(
        "CREATE TABLE long AS UNPIVOT wide ON COLUMNS(* EXCLUDE (date, hour, type)) "
        "INTO NAME station_code VALUE value"))
    steps.run("GROUP BY daily mean per station and type", lambda: con.execute(
        "CREATE TABLE daily AS SELECT date, station_code, type, avg(value) AS mean_value, count(*) AS n_hours "
        "FROM long GROUP BY ALL"))
    out["stage_seconds"] = time.perf_counter() - started
    out["wide_rows"] = int(con.execute("SELECT count(*) FROM wide").fetchone()[0])
    out["long_rows"] = int(con.execute("SELECT count(*) FROM long").fetchone()[0])
    out["daily_rows"] = int(con.execute("SELECT count(*) FROM daily").fetchone()[0])
    types = con.execute("SELECT column_type, count(*) FROM (DESCRIBE wide) GROUP BY ALL ORDER BY 2 DESC").fetchall()
    out["column_types"] = {t: int(n) for t, n in types}
    con.close()


def stage_floor_duckdb(args: argparse.Namespace, steps: Steps, out: dict[str, Any]) -> None:
    _duckdb_floor(args, steps, out, typed=False)


def stage_floor_duckdb_typed(args: argparse.Namespace, steps: Steps, out: dict[str, Any]) -> None:
    _duckdb_floor(args, steps, out, typed=True)


def stage_floor_pandas(args: argparse.Namespace, steps: Steps, out: dict[str, Any]) -> None:
    import pandas as pd

    files = json.loads(Path(args.files).read_text(encoding="utf-8"))
    started = _mark_start(out)
    frames = [steps.run("read_csv (C parser), per file", lambda f=f: pd.read_csv(f, engine="c")) for f in files]
    wide = steps.run("concat", lambda: pd.concat(frames, ignore_index=True))
    frames.clear()
    ids = ["date", "hour", "type"]
    long = steps.run("melt -> long rows (drop empty)", lambda: wide.melt(
        id_vars=ids, var_name="station_code", value_name="value").dropna(subset=["value"]))
    daily = steps.run("groupby daily mean per station and type", lambda: long.groupby(
        ["date", "station_code", "type"], sort=False)["value"].agg(["mean", "count"]))
    out["stage_seconds"] = time.perf_counter() - started
    out["wide_rows"] = len(wide)
    out["long_rows"] = len(long)
    out["daily_rows"] = len(daily)


STAGES: dict[str, Callable[[argparse.Namespace, Steps, dict[str, Any]], None]] = {
    "fetch": stage_fetch,
    "land": stage_land,
    "compute": stage_compute,
    "recompute": stage_recompute,
    "floor-duckdb": stage_floor_duckdb,
    "floor-duckdb-typed": stage_floor_duckdb_typed,
    "floor-pandas": stage_floor_pandas,
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.stages", description=__doc__.splitlines()[0])
    p.add_argument("stage", choices=sorted(STAGES))
    p.add_argument("--result", type=Path, required=True, help="JSON file to write the measurements to")
    p.add_argument("--period", default="2019-03")
    p.add_argument("--run-id", default=None, help="run id from the fetch stage (land, compute)")
    p.add_argument("--files", default=None, help="JSON list of CSV paths (floors)")
    args = p.parse_args(argv)
    steps = Steps()
    out: dict[str, Any] = {"stage": args.stage, "status": "ok"}
    code = 0
    try:
        STAGES[args.stage](args, steps, out)
    except BaseException as exc:  # noqa: BLE001 - report any failure (MemoryError too) to the parent
        out["status"] = "failed"
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc()
        traceback.print_exc()
        code = 1
    out["steps"] = steps.as_list()
    out["self_maxrss_mib"] = _maxrss_mib()
    args.result.parent.mkdir(parents=True, exist_ok=True)
    args.result.write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main())
