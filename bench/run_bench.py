"""National-scale month through fetch, land and compute, against DuckDB alone on the same files.

``python -m bench.run_bench [--days N] [--out docs/benchmarks.md]``

1. Generates (once; cached under ``bench/.work/data``) every station of the national StationList for one month
   in the real CNEMC file format with :mod:`demo.synth`.
2. Serves that folder over loopback HTTP with :class:`demo.feed_server.FeedServer`.
3. Runs each pipeline stage (fetch, land = parse + GX validation + landing, compute) in its own process against
   a fresh ``ECOFLOW_HOME`` under ``bench/.work/home``, and the floors (DuckDB alone; pandas' C parser as a
   second reference) on the same files, each in its own process too.
4. Writes the measurements (wall time, CPU time, peak RSS per process) and a short reading of them to
   ``docs/benchmarks.md``; the raw numbers go to ``bench/.work/<report name>.json`` (``benchmarks.json``).

Benchmarks report ratios to the floor, not pass/fail: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# the dataset cache, throw-away homes and raw numbers; BENCH_WORK_DIR moves them (a test's run keeps its own)
WORK = Path(os.environ.get("BENCH_WORK_DIR") or REPO / "bench" / ".work")
STATION_LIST = REPO / "warehouse" / "catalogue" / "stations" / "StationList-2020.01.01.csv"
PIPELINE_STAGES = ("fetch", "land", "compute")
STAGE_TITLES = {
    "fetch": "fetch (HTTP + archive + ledger)",
    "land": "land (parse + GX validation + landing)",
    "compute": "compute (daily facts + indicators)",
}


def log(message: str) -> None:
    sys.stderr.write(f"[bench {datetime.now():%H:%M:%S}] {message}\n")
    sys.stderr.flush()


# ------------------------------------------------------------------------------------------------------------
# dataset


def month_days(period: str) -> list[date]:
    year, month = (int(x) for x in period.split("-"))
    day, days = date(year, month, 1), []
    while day.month == month:
        days.append(day)
        day += timedelta(days=1)
    return days


def ensure_dataset(period: str, days: list[date], seed: int, regenerate: bool) -> dict[str, Any]:
    """The month's files for every national station, generated once and reused (same bytes every time)."""
    from demo import synth

    stations = synth.load_station_codes(STATION_LIST)
    data_dir = WORK / "data" / f"national_{period}_seed{seed}_{len(stations)}st"
    data_dir.mkdir(parents=True, exist_ok=True)
    files, generated, gen_seconds = [], 0, 0.0
    for day in days:
        path = data_dir / synth.file_name(day)
        if regenerate or not path.exists():
            started = time.perf_counter()
            tmp = path.with_suffix(".csv.part")
            tmp.write_bytes(synth.generate_day(day, stations, seed=seed))
            tmp.replace(path)
            gen_seconds += time.perf_counter() - started
            generated += 1
            log(f"generated {path.name} ({path.stat().st_size / 2**20:.1f} MiB)")
        files.append(path)
    return {
        "period": period, "seed": seed, "station_list": STATION_LIST.relative_to(REPO).as_posix(),
        "stations": stations, "data_dir": data_dir, "files": files,
        "bytes": sum(p.stat().st_size for p in files), "generated": generated, "generate_seconds": gen_seconds,
    }


# ------------------------------------------------------------------------------------------------------------
# child processes


def shown(path: Path) -> str:
    """A path as the report shows it: from the repository's root when inside it (BENCH_WORK_DIR may be elsewhere)."""
    return path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else path.as_posix()


def measured(cmd: list[str], env: dict[str, str], out_path: Path, err_path: Path) -> tuple[int, float, Any]:
    """A child process run to its end, its output in the two files: exit code, wall seconds from here, and its
    resource usage from wait4 (CPU, peak RSS) — how every benchmark process is measured."""
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        return os.waitstatus_to_exitcode(status), time.perf_counter() - started, usage


def run_child(name: str, stage: str, extra: list[str], env: dict[str, str], results: Path) -> dict[str, Any]:
    """Run ``bench.stages STAGE`` in a new process; wall from here, CPU and peak RSS of that child (wait4)."""
    result_path = results / f"{name}.json"
    out_path, err_path = results / f"{name}.stdout.log", results / f"{name}.stderr.log"
    cmd = [sys.executable, "-m", "bench.stages", stage, "--result", str(result_path), *extra]
    log(f"{name}: starting")
    code, wall, usage = measured(cmd, env, out_path, err_path)
    if result_path.exists():
        data = json.loads(result_path.read_text(encoding="utf-8"))
    else:
        why = (f"killed by signal {-code} (SIGKILL usually means the kernel's out-of-memory killer)"
               if code < 0 else f"exited with code {code} without writing a result")
        data = {"stage": stage, "status": "failed", "error": why, "steps": []}
    data.update({
        "name": name, "exit_code": code, "process_seconds": wall,
        "peak_rss_mib": usage.ru_maxrss / 1024.0, "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "stderr_log": shown(err_path),
    })
    if data["status"] != "ok" and "traceback" not in data:
        data["traceback"] = err_path.read_text(encoding="utf-8", errors="replace")[-4000:]
    took = data.get("stage_seconds")
    log(f"{name}: {data['status']}" + (f", stage {took:.1f} s" if took is not None else "")
        + f", process {wall:.1f} s, peak RSS {data['peak_rss_mib']:.0f} MiB")
    return data


def child_env(home: Path | None = None, feed_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    env["GX_ANALYTICS_ENABLED"] = "False"
    for key in [k for k in env if k.startswith("ECOFLOW_")]:
        del env[key]  # nothing from the caller's environment may point the benchmark at real state
    if home is not None:
        env["ECOFLOW_HOME"] = str(home)
    if feed_url is not None:
        env["ECOFLOW_AIR_FEED_URL"] = feed_url
    return env


def run_pipeline(data: dict[str, Any], days: list[date], results: Path) -> dict[str, dict[str, Any]]:
    from demo.feed_server import FeedServer

    home = WORK / "home"
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    stages: dict[str, dict[str, Any]] = {}
    with FeedServer(data["data_dir"], port=0, stations=data["stations"], last_day=days[-1]) as srv:
        env = child_env(home, srv.url)
        period = ["--period", data["period"]]
        stages["fetch"] = run_child("fetch", "fetch", period, env, results)
        run_id = stages["fetch"].get("run_id")
        for stage in ("land", "compute"):
            previous = stages[PIPELINE_STAGES[PIPELINE_STAGES.index(stage) - 1]]
            if previous["status"] != "ok" or not run_id:
                stages[stage] = {"stage": stage, "status": "not run",
                                 "error": f"previous stage {previous['stage']} did not succeed", "steps": []}
                continue
            stages[stage] = run_child(stage, stage, [*period, "--run-id", run_id], env, results)
    return stages


def run_floors(files: list[Path], runs: int, results: Path) -> dict[str, list[dict[str, Any]]]:
    listing = results / "files.json"
    listing.write_text(json.dumps([str(p) for p in files]), encoding="utf-8")
    env = child_env()
    floors: dict[str, list[dict[str, Any]]] = {}
    names = ("floor-duckdb", "floor-duckdb-typed", "floor-pandas")
    for name in names:
        floors[name] = []
    for i in range(runs):  # interleaved, so a slow spell of the machine does not land on one floor only
        for name in names:
            floors[name].append(run_child(f"{name}-{i + 1}", name, ["--files", str(listing)], env, results))
    return floors


def summarize_floor(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median run (by stage wall) of the successful ones; peak RSS is the maximum over runs."""
    ok = [r for r in runs if r["status"] == "ok"]
    if not ok:
        return {"status": "failed", "runs": runs, "error": runs[0].get("error") if runs else "not run"}
    ok.sort(key=lambda r: r["stage_seconds"])
    median = dict(ok[(len(ok) - 1) // 2])
    median["all_stage_seconds"] = [r["stage_seconds"] for r in runs if r["status"] == "ok"]
    median["peak_rss_mib"] = max(r["peak_rss_mib"] for r in ok)
    median["failed_runs"] = len(runs) - len(ok)
    return median


# ------------------------------------------------------------------------------------------------------------
# machine


def machine() -> dict[str, Any]:
    def first(path: str, key: str) -> str | None:
        try:
            for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            return None
        return None

    mem_kib = first("/proc/meminfo", "MemTotal")
    versions = {}
    for dist in ("duckdb", "pandas", "great_expectations", "numpy", "pyarrow", "requests"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return {
        "cpu": first("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_count": os.cpu_count(),
        "ram_gib": int(mem_kib.split()[0]) / 2**20 if mem_kib else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def code_version() -> dict[str, Any]:
    """Commit measured and whether the code the pipeline runs differed from it (the tree moves under us)."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30, check=True)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout

    dirty = git("status", "--porcelain", "--", "tasks", "warehouse", "expectations", "demo")
    commit = git("rev-parse", "--short", "HEAD")
    return {"commit": commit.strip() if commit else None,
            "modified": [line[3:] for line in (dirty or "").splitlines() if line.strip()]}


def loadavg() -> list[float] | None:
    """1-, 5- and 15-minute load averages: other work on the machine skews every number of the run."""
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------------------------------------------------
# report


def _s(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:,.{digits}f}"


def _n(x: int | None) -> str:
    return "—" if x is None else f"{x:,}"


def _ratio(x: float | None, floor: float | None) -> str:
    return "—" if x is None or not floor else f"{x / floor:,.1f}×"


def _pct(part: float | None, whole: float | None) -> str:
    return "—" if part is None or not whole else f"{100 * part / whole:.0f} %"


def _step(result: dict[str, Any], label: str) -> float | None:
    for item in result.get("steps", []):
        if item["label"] == label:
            return item["seconds"]
    return None


def reading(run: dict[str, Any]) -> list[str]:
    """The "what this says" paragraphs, written from the numbers of this run."""
    stages, duck, pandas_ = run["stages"], run["floor_duckdb"], run["floor_pandas"]
    typed = run.get("floor_duckdb_typed", {})
    floor = duck.get("stage_seconds") if duck.get("status") == "ok" else None
    ok = {k: v for k, v in stages.items() if v.get("status") == "ok"}
    out = []
    if len(ok) == len(PIPELINE_STAGES):
        total = sum(v["stage_seconds"] for v in ok.values())
        big = max(ok, key=lambda k: ok[k]["stage_seconds"])
        files = run["dataset"]["files"]
        text = (f"The pipeline took {_s(total)} s for {files} daily file{'s' if files != 1 else ''} of "
                f"{run['dataset']['stations']:,} stations ({_n(run['dataset']['rows_landed'])} tidy rows landed)")
        text += (f", {total / floor:.0f}× the {_s(floor)} s DuckDB needs to read the same files, unpivot them and "
                 f"average them per station-day" if floor else "; the DuckDB floor could not be measured")
        text += (f". {STAGE_TITLES[big].split(' (')[0].capitalize()} is {_pct(ok[big]['stage_seconds'], total)} "
                 f"of it.")
        out.append(text)
    else:
        failed = ", ".join(f"{k}: {v.get('status')}" for k, v in stages.items() if v.get("status") != "ok")
        out.append(f"Not every stage completed ({failed}); "
                   "the numbers below cover what could be measured.")
    land = stages.get("land", {})
    if land.get("status") == "ok":
        lw = land["stage_seconds"]
        gx = _step(land, "validate (Great Expectations)") or 0.0
        gx_import = _step(land, "import great_expectations") or 0.0
        docs = _step(land, "Data Docs (rendered once per run)")
        parse = _step(land, "parse (wide CSV -> tidy rows)") or 0.0
        per_file = gx / max(1, land.get("batches", 1))
        if gx + gx_import >= 0.5 * lw:
            verdict = "GX validation dominates the land stage"
        elif gx >= parse:
            verdict = "GX validation is the largest single step of the land stage but not the majority"
        else:
            verdict = "GX validation does not dominate the land stage: parsing costs more"
        text = (f"{verdict}: the checkpoint runs take {_s(gx)} s ({_pct(gx, lw)} of land, about {per_file:.1f} s "
                f"per daily file of ~{_n(land.get('rows_in', 0) // max(1, land.get('batches', 1)))} tidy rows)"
                f", plus {_s(gx_import)} s to import great_expectations")
        if docs is not None:
            text += f"; rendering the run's Data Docs once takes {_s(docs)} s ({_pct(docs, lw)} of land)"
        text += (f". Parsing the wide files into tidy rows (pandas C parser, arrays, categoricals) takes {_s(parse)} s "
                 f"({_pct(parse, lw)})")
        ref_read = _step(pandas_, "read_csv (C parser), per file") if pandas_.get("status") == "ok" else None
        ref_melt = _step(pandas_, "melt -> long rows (drop empty)") if pandas_.get("status") == "ok" else None
        if ref_read is not None and ref_melt is not None and parse:
            text += (f", {parse / (ref_read + ref_melt):.0f}× the {_s(ref_read + ref_melt)} s the pandas reference "
                     f"spends reading and melting the same files")
        sql = sum(x["seconds"] for x in land.get("steps", []) if x["label"].startswith("SQL:"))
        if sql:
            text += f"; writing to DuckDB (batch appends, the slice replace, commits, ledger) takes {_s(sql)} s"
        out.append(text + ".")
        rss = land.get("rss_after_each_validation_mib") or []
        ddb = land.get("duckdb_memory_after_each_validation_mib") or []
        if len(rss) >= 2 and rss[0] is not None and rss[-1] is not None:
            grow = (rss[-1] - rss[0]) / (len(rss) - 1)
            text = (f"Land's resident memory goes from {_s(rss[0], 0)} MiB after the first file's validation to "
                    f"{_s(rss[-1], 0)} MiB after the last ({grow:+,.0f} MiB per file)")
            if grow <= 20:
                text += ": memory does not grow with the number of files."
            else:
                text += ": memory grows with the number of files landed in one run"
                if len(ddb) == len(rss) and ddb[0] is not None and ddb[-1] is not None:
                    d_grow = (ddb[-1] - ddb[0]) / (len(ddb) - 1)
                    text += (f". DuckDB's own buffers go from {_s(ddb[0], 0)} to {_s(ddb[-1], 0)} MiB "
                             f"({d_grow:+,.0f} MiB per file, {_pct(d_grow, grow)} of the growth)")
                    if d_grow >= 0.5 * grow:
                        text += (": `land_run` keeps every validated batch in a temporary table until the "
                                 "period's slice is replaced in one transaction, so the peak scales with the "
                                 "rows landed per run")
                    else:
                        text += ", so most of the growth is Python/pandas memory not returned between batches"
                text += "."
            out.append(text)
    comp = stages.get("compute", {})
    if comp.get("status") == "ok":
        score = _step(comp, "AQI scoring (column-wise)")
        daily = _step(comp, "daily facts (marts.air_daily)")
        text = (f"Compute takes {_s(comp['stage_seconds'])} s for "
                f"{_n(comp.get('counts', {}).get('daily_rows'))} daily rows")
        if score is not None and daily:
            text += (f"; of the {_s(daily)} s of daily facts, {_s(score)} s ({_pct(score, daily)}) is the AQI "
                     "scoring (each distinct concentration once, then column-wise) and the rest is the SQL over the "
                     "landed hourly table")
        out.append(text + ".")
    fetch = stages.get("fetch", {})
    if fetch.get("status") == "ok":
        mib = fetch.get("bytes_fetched", 0) / 2**20
        out.append(f"Fetch moves {mib:,.0f} MiB over loopback HTTP in {_s(fetch['stage_seconds'])} s "
                   f"({mib / max(fetch['stage_seconds'], 1e-9):,.0f} MiB/s, default 4 workers); against a real mirror "
                   "the network, not this code, sets its time.")
    peaks = {k: v["peak_rss_mib"] for k, v in stages.items() if "peak_rss_mib" in v}
    if peaks:
        top = max(peaks, key=peaks.get)
        base = stages[top].get("rss_before_stage_mib")
        text = f"Peak memory is highest in {top} ({_s(peaks[top], 0)} MiB"
        text += f", of which ~{_s(base, 0)} MiB is already held after imports, before the stage starts)" \
            if base else ")"
        if duck.get("status") == "ok":
            text += f"; the DuckDB floor peaks at {_s(duck['peak_rss_mib'], 0)} MiB"
        text += (f" on a machine with {_s(run['machine']['ram_gib'], 0)} GiB RAM" if run["machine"]["ram_gib"]
                 else "")
        out.append(text + ".")
    if duck.get("status") == "ok" and pandas_.get("status") == "ok":
        d_read = _step(duck, "read_csv (glob of the files) -> table")
        p_read = _step(pandas_, "read_csv (C parser), per file")
        if d_read and p_read:
            faster = "pandas' C parser" if p_read < d_read else "DuckDB's read_csv"
            text = (f"Reading the {run['dataset']['files']} wide file(s): DuckDB read_csv {_s(d_read)} s vs pandas' "
                    f"C parser {_s(p_read)} s ({faster} is {max(d_read, p_read) / min(d_read, p_read):.1f}× "
                    f"faster on {run['machine']['nproc']} cores)")
            text += ("; this agrees with the PITFALLS note that pandas reads these ~1,600-column files faster"
                     if p_read < d_read else
                     "; the PITFALLS note (DuckDB 8–12 s vs pandas 2.4 s) does not reproduce here")
            t_read = _step(typed, "read_csv (glob of the files) -> table") if typed.get("status") == "ok" else None
            if t_read:
                text += (f". Declaring the column types instead of letting DuckDB sniff them brings its read to "
                         f"{_s(t_read)} s and the whole floor to {_s(typed['stage_seconds'])} s "
                         f"({_ratio(typed['stage_seconds'], floor)} of the sniffed floor)")
            out.append(text + ".")
        if run["dataset"].get("rows_landed") is not None:
            same = duck.get("long_rows") == run["dataset"]["rows_landed"]
            out.append(f"Cross-check: the floor's UNPIVOT yields {_n(duck.get('long_rows'))} long rows, "
                       + ("the same count the pipeline landed." if same else
                          f"while the pipeline landed {_n(run['dataset']['rows_landed'])}."))
    return out


def _steps_rows(title: str, result: dict[str, Any]) -> list[str]:
    total = result.get("stage_seconds")
    rows = []
    top = 0.0
    for item in result.get("steps", []):
        nested = item.get("parent") is not None
        if not nested:
            top += item["seconds"]
        label = f"↳ {item['label']}" if nested else item["label"]
        share = _pct(item["seconds"], total)
        rows.append(f"| {title} | {label} | {_s(item['seconds'], 2)} | {item['calls']} | {share} |")
    if total is not None and result.get("steps"):
        rows.append(f"| {title} | other (not separately timed) | {_s(max(0.0, total - top), 2)} | | "
                    f"{_pct(max(0.0, total - top), total)} |")
    return rows


def _code_line(code: dict[str, Any] | None) -> str:
    if not code or not code.get("commit"):
        return "- Code: commit unknown"
    changed = code.get("modified") or []
    state = ("no local changes under tasks/, warehouse/, expectations/, demo/" if not changed else
             f"with local changes to {', '.join(f'`{p}`' for p in changed[:6])}"
             + (f" and {len(changed) - 6} more" if len(changed) > 6 else ""))
    return f"- Code: commit `{code['commit']}`, {state}"


def _load_line(m: dict[str, Any]) -> str:
    start, end = m.get("loadavg_start"), m.get("loadavg_end")
    if not start or not end:
        return "- Load average: not available"
    text = (f"- Load average (1/5/15 min) at start {start[0]:.2f} / {start[1]:.2f} / {start[2]:.2f}, at end "
            f"{end[0]:.2f} / {end[1]:.2f} / {end[2]:.2f}")
    if start[0] > 0.5 * (m.get("nproc") or 1):
        text += " — **the machine was busy with other work when the run started; the seconds are inflated**"
    return text


def render(run: dict[str, Any]) -> str:
    m, d, stages = run["machine"], run["dataset"], run["stages"]
    duck, pandas_ = run["floor_duckdb"], run["floor_pandas"]
    typed = run.get("floor_duckdb_typed", {})
    floor = duck.get("stage_seconds") if duck.get("status") == "ok" else None
    v = m["versions"]
    lines = [
        "# Benchmarks: a national month through the air pipeline",
        "",
        f"Written by `python -m bench.run_bench{run['argv']}` on {run['finished_utc']} (UTC); the whole file is "
        f"generated, re-run the command to refresh it. Raw numbers of this run: "
        f"`bench/.work/{run.get('raw_json', 'benchmarks.json')}` "
        "(not committed). Benchmarks report ratios to the DuckDB floor, not pass/fail thresholds.",
        "",
    ]
    if run.get("goals") is not None:
        from bench import goals

        lines += goals.lines(run)
    if d["days"] < d["days_in_month"]:
        lines += [f"> **Smoke run:** only the first {d['days']} of {d['days_in_month']} days; "
                  "not representative of a national month.", ""]
    lines += [
        "## Machine",
        "",
        f"- CPU: {m['cpu']}; {m['nproc']} usable cores (`nproc`), {m['cpu_count']} online",
        f"- RAM: {_s(m['ram_gib'])} GiB",
        f"- OS: {m['platform']}",
        _load_line(m),
        f"- Python {m['python']}; duckdb {v['duckdb']}, pandas {v['pandas']}, great_expectations "
        f"{v['great_expectations']}, numpy {v['numpy']}, pyarrow {v['pyarrow']}",
        _code_line(run.get("code")),
        "",
        "## Dataset",
        "",
        f"- Period {d['period']}, {d['days']} day(s) (no real file exists for it; every day generated by "
        f"`demo.synth`, seed {d['seed']}, in the real CNEMC `china_sites_YYYYMMDD.csv` format)",
        f"- Stations: {_n(d['stations'])} — every code of `{d['station_list']}`",
        f"- Files: {d['files']}, {d['bytes'] / 2**20:,.1f} MiB in total ({d['bytes'] / max(1, d['files']) / 2**20:,.2f}"
        f" MiB and {d['columns']:,} columns each, 360 lines = 24 hours × 15 types)",
        "- Served over loopback HTTP by `demo.feed_server.FeedServer`; fetched, archived, parsed, validated and "
        "landed by the production code in `tasks/`",
        f"- Tidy rows landed: {_n(d.get('rows_landed'))} (rejected {_n(d.get('rows_rejected'))}, "
        f"warned {_n(d.get('rows_warned'))}); daily rows computed: {_n(d.get('daily_rows'))}",
        "- Dataset generation (not part of the pipeline): "
        + (f"{d['generated']} file(s) generated in {_s(d['generate_seconds'])} s, the rest reused from "
           f"`bench/.work/data`" if d["generated"] else "all files reused from the cache in `bench/.work/data`"),
        "",
        "## Results",
        "",
        "Wall = the stage call inside its own process (setup and imports excluded; `import great_expectations` is "
        "inside land, as in a real run). Process = the whole child process from start to exit, as seen by the "
        "runner. CPU = user + system time of the process. Peak RSS = `ru_maxrss` of that process from `wait4` "
        "(high-water mark, includes the imported libraries).",
        "",
        "| stage | wall s | process s | CPU s | peak RSS MiB | wall ÷ DuckDB floor |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    total_wall, total_proc, total_cpu, peak = 0.0, 0.0, 0.0, 0.0
    complete = True
    for name in PIPELINE_STAGES:
        r = stages.get(name, {})
        if r.get("status") == "ok":
            total_wall += r["stage_seconds"]
            total_proc += r["process_seconds"]
            total_cpu += r["cpu_seconds"]
            peak = max(peak, r["peak_rss_mib"])
            lines.append(f"| {STAGE_TITLES[name]} | {_s(r['stage_seconds'])} | {_s(r['process_seconds'])} | "
                         f"{_s(r['cpu_seconds'])} | {_s(r['peak_rss_mib'], 0)} | {_ratio(r['stage_seconds'], floor)} |")
        else:
            complete = False
            rss = _s(r.get("peak_rss_mib"), 0) if "peak_rss_mib" in r else "—"
            proc = _s(r.get("process_seconds")) if "process_seconds" in r else "—"
            lines.append(f"| {STAGE_TITLES[name]} | **{r.get('status', 'not run')}** | {proc} | — | {rss} | — |")
    if complete:
        lines.append(f"| **pipeline total** | **{_s(total_wall)}** | {_s(total_proc)} | {_s(total_cpu)} | "
                     f"{_s(peak, 0)} (max) | **{_ratio(total_wall, floor)}** |")
    for title, r in (("floor: DuckDB read_csv → UNPIVOT → GROUP BY", duck),
                     ("reference: the same, column types declared (no sniffing)", typed),
                     ("reference: pandas C parser → melt → groupby", pandas_)):
        if r.get("status") == "ok":
            lines.append(f"| {title} | {_s(r['stage_seconds'])} | {_s(r['process_seconds'])} | "
                         f"{_s(r['cpu_seconds'])} | {_s(r['peak_rss_mib'], 0)} | {_ratio(r['stage_seconds'], floor)} |")
        else:
            lines.append(f"| {title} | **failed** | — | — | — | — |")
    lines += ["", "## What this says", ""]
    for paragraph in reading(run):
        lines += [paragraph, ""]
    lines += ["## Where the time goes inside each stage", "",
              "Steps are timed by wrapping, in the benchmark's child process only, the functions the stage calls; "
              "↳ marks a step nested in the one above it. Shares are of the stage's wall time.", "",
              "| stage | step | wall s | calls | share |", "|---|---|---:|---:|---:|"]
    for name in PIPELINE_STAGES:
        r = stages.get(name, {})
        if r.get("status") == "ok":
            lines += _steps_rows(name, r)
    rss = stages.get("land", {}).get("rss_after_each_validation_mib") or []
    if rss:
        picks = sorted({0, len(rss) // 4, len(rss) // 2, 3 * len(rss) // 4, len(rss) - 1})
        ddb = stages["land"].get("duckdb_memory_after_each_validation_mib") or [None] * len(rss)
        lines += ["", "Land's memory after validating file n (resident set / DuckDB buffers): " + ", ".join(
            f"{i + 1}: {_s(rss[i], 0)} / {_s(ddb[i] if i < len(ddb) else None, 0)} MiB" for i in picks) + "."]
    lines += ["", "## Floor lines", ""]
    for title, r, query in (
        ("DuckDB alone", duck, "`CREATE TABLE wide AS SELECT * FROM read_csv([files])` (types sniffed), then "
         "`UNPIVOT wide ON COLUMNS(* EXCLUDE (date, hour, type)) INTO NAME station_code VALUE value` (drops "
         "empty cells), then `GROUP BY date, station_code, type` with `avg(value)`; in-memory database"),
        ("DuckDB, column types declared", typed, "the same statements, but `read_csv([files], header = true, "
         "auto_detect = false, columns = {...})` with `date`, `hour` BIGINT, `type` VARCHAR and every station "
         "DOUBLE (the types the sniffer finds), so no sniffing"),
        ("pandas' C parser", pandas_, "`pd.read_csv(file, engine=\"c\")` per file, `concat`, "
         "`melt(...).dropna()`, `groupby([date, station_code, type]).value.agg([mean, count])`"),
    ):
        lines.append(f"**{title}**: {query}.")
        lines.append("")
        if r.get("status") != "ok":
            lines += [f"Failed: {r.get('error')}", ""]
            continue
        runs = ", ".join(_s(x, 2) for x in r.get("all_stage_seconds", []))
        extra = f", {r['threads']} DuckDB threads" if "threads" in r else ""
        lines.append(f"- median of {len(r.get('all_stage_seconds', []))} runs ({runs} s, in run order){extra}; "
                     f"{_n(r.get('wide_rows'))} wide lines → {_n(r.get('long_rows'))} long rows → "
                     f"{_n(r.get('daily_rows'))} station-day-type means")
        for item in r.get("steps", []):
            lines.append(f"- {item['label']}: {_s(item['seconds'], 2)} s ({_pct(item['seconds'], r['stage_seconds'])})")
        if r.get("column_types"):
            kinds = ", ".join(f"{n:,} {t}" for t, n in r["column_types"].items())
            lines.append(f"- column types of `wide`: {kinds}")
        lines.append("")
    failures = [r for r in [*stages.values(), duck, typed, pandas_] if r.get("status") not in ("ok", None)]
    if failures:
        lines += ["## Failures", ""]
        for r in failures:
            lines += [f"**{r.get('name', r.get('stage'))}**: {r.get('status')} — {r.get('error')}", ""]
            if r.get("traceback"):
                lines += ["```", r["traceback"].rstrip(), "```", ""]
    lines += [
        "## How it is measured",
        "",
        "- One month for every station of the national list is generated once and cached in `bench/.work/data`; "
        "a `FeedServer` in the runner process serves that folder, so fetch goes through the real HTTP client "
        "(default settings: 4 workers, 3 retries).",
        "- Every run starts from an empty `ECOFLOW_HOME` (`bench/.work/home`): fetch creates the warehouse, "
        "land validates every file with the `air_hourly` suite (one GX checkpoint per file, Data Docs included) "
        "and replaces the period's slice, compute builds `marts.air_daily` and the indicator values.",
        "- Each stage and each floor run is its own `python -m bench.stages ...` process, so peak RSS is per stage. "
        "Floors run after the pipeline (files in the page cache for both), interleaved, and are the median of "
        f"{run['floor_runs']} run(s); pipeline stages run once.",
        "- Single machine (a shared VM can be noisy: see the spread of the floor runs); compare ratios across "
        "machines, not seconds.",
        "",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------------------


KEPT_SECTIONS = ("water-waste",)  # sections other benchmark scripts own, between <!-- name:begin/end --> markers


def write_report(out: Path, text: str) -> None:
    """Write the air report, keeping the sections other benchmarks wrote into the same file."""
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    for name in KEPT_SECTIONS:
        begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
        if begin in old and end in old and begin not in text:
            text = text.rstrip("\n") + "\n\n" + old[old.index(begin): old.index(end) + len(end)] + "\n"
    out.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run_bench", description=__doc__.splitlines()[0])
    p.add_argument("--days", type=int, default=None, help="only the first N days of the month (smoke run)")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md", help="report to write")
    p.add_argument("--period", default="2019-03", help="month to generate (default 2019-03: no real file)")
    p.add_argument("--seed", type=int, default=0, help="synthetic-data seed")
    p.add_argument("--floor-runs", type=int, default=5, help="runs of each floor; the median is reported")
    p.add_argument("--regenerate", action="store_true", help="regenerate the cached dataset")
    p.add_argument("--backfill-months", type=int, default=120,
                   help="months of the Inner Mongolia backfill goal (default 120: ten years)")
    p.add_argument("--no-goals", action="store_true",
                   help="only the national month (skip Inner Mongolia, the backfill and the recompute)")
    p.add_argument("--render-only", type=Path, default=None, metavar="JSON",
                   help="only rewrite --out from a saved run (bench/.work/benchmarks.json); measures nothing")
    args = p.parse_args(argv)
    out = args.out if args.out.is_absolute() else Path.cwd() / args.out
    if args.render_only is not None:
        write_report(out, render(json.loads(args.render_only.read_text(encoding="utf-8"))))
        log(f"wrote {out} from {args.render_only}")
        return 0
    raw_argv = list(sys.argv[1:] if argv is None else argv)

    all_days = month_days(args.period)
    days = all_days[: args.days] if args.days else all_days
    if not days:
        p.error("--days must be at least 1")
    WORK.mkdir(parents=True, exist_ok=True)
    results = WORK / "results"
    if results.exists():
        shutil.rmtree(results)
    results.mkdir(parents=True)

    load_start, code_at_start = loadavg(), code_version()
    log(f"dataset: {args.period}, {len(days)} day(s), national station list; load average {load_start}")
    data = ensure_dataset(args.period, days, args.seed, args.regenerate)
    with open(data["files"][0], "rb") as fh:
        columns = fh.readline().count(b",") + 1
    log(f"dataset ready: {len(data['stations'])} stations, {len(data['files'])} files, "
        f"{data['bytes'] / 2**20:.1f} MiB")

    stages = run_pipeline(data, days, results)
    floor_runs = run_floors(data["files"], max(1, args.floor_runs), results)
    goals_run = None
    if not args.no_goals:
        from bench import goals

        goals_run = goals.measure(results, WORK, child_env, run_child, log, floor_runs=max(1, args.floor_runs),
                                  backfill_months=max(1, args.backfill_months))
    land = stages.get("land", {})
    run = {
        "argv": "".join(f" {a}" for a in raw_argv),
        "finished_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "raw_json": f"{out.stem}.json",  # one per report, so a smoke run does not overwrite the full run's
        "machine": {**machine(), "loadavg_start": load_start, "loadavg_end": loadavg()},
        "code": code_at_start,
        "floor_runs": max(1, args.floor_runs),
        "dataset": {
            "period": args.period, "days": len(days), "days_in_month": len(all_days), "seed": args.seed,
            "station_list": data["station_list"], "stations": len(data["stations"]), "files": len(data["files"]),
            "bytes": data["bytes"], "columns": columns, "generated": data["generated"],
            "generate_seconds": data["generate_seconds"], "data_dir": str(data["data_dir"]),
            "rows_landed": land.get("rows_landed"), "rows_rejected": land.get("rows_rejected"),
            "rows_warned": land.get("rows_warned"),
            "daily_rows": stages.get("compute", {}).get("counts", {}).get("daily_rows"),
        },
        "stages": stages,
        "floor_duckdb": summarize_floor(floor_runs["floor-duckdb"]),
        "floor_duckdb_typed": summarize_floor(floor_runs["floor-duckdb-typed"]),
        "floor_pandas": summarize_floor(floor_runs["floor-pandas"]),
        "floor_runs_all": floor_runs,
        "goals": goals_run,
    }
    (WORK / run["raw_json"]).write_text(json.dumps(run, indent=2, default=str), encoding="utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_report(out, render(run))
    log(f"wrote {out}")
    ok = all(stages[s].get("status") == "ok" for s in PIPELINE_STAGES)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
