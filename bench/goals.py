"""Issue 14's goals beside the national month: Inner Mongolia's month as a whole `ecoflow run air` process against
the DuckDB floor on the same files, a backfill of Inner Mongolia through the CLI, recomputing one month, and the
water poll (from the last `bench.run_water_waste_bench` run, when there is one).

Called by :mod:`bench.run_bench` after the national month; each measurement is its own child process, measured
from outside like the stages (wall, CPU, peak RSS from ``wait4``).
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Any

from bench.run_bench import measured, shown

REPO = Path(__file__).resolve().parent.parent
IM_MONTH = REPO / "demo" / "data" / "cnemc_air" / "inner_mongolia_2019-01"
WATER_JSON = REPO / "bench" / ".work" / "water_waste.json"


def _process(name: str, cmd: list[str], env: dict[str, str], results: Path, log: Any) -> dict[str, Any]:
    """A child process: wall from here, CPU and peak RSS from wait4, its stderr kept in results/."""
    err_path = results / f"{name}.stderr.log"
    log(f"{name}: starting")
    code, wall, usage = measured(cmd, env, results / f"{name}.stdout.log", err_path)
    log(f"{name}: exit {code}, {wall:.1f} s, peak RSS {usage.ru_maxrss / 1024:.0f} MiB")
    return {"name": name, "exit_code": code, "process_seconds": wall, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_rss_mib": usage.ru_maxrss / 1024.0, "stderr_log": shown(err_path),
            "stderr_tail": err_path.read_text(encoding="utf-8", errors="replace")[-600:] if code else ""}


def measure(results: Path, work: Path, child_env: Any, run_child: Any, log: Any, *, floor_runs: int,
            backfill_months: int) -> dict[str, Any]:
    """Every goal's measurement; the backfill runs `backfill_months` months ending December 2024."""
    from demo.feed_server import FeedServer
    from demo.smtp_sink import SmtpSink

    files = sorted(IM_MONTH.glob("china_sites_*.csv"))
    listing = results / "im-files.json"
    listing.write_text(json.dumps([str(p) for p in files]), encoding="utf-8")
    stations = files[0].read_text(encoding="utf-8-sig").splitlines()[0].split(",")[3:]
    out: dict[str, Any] = {"im_files": len(files), "im_bytes": sum(p.stat().st_size for p in files),
                           "im_stations": len(stations), "backfill_months": backfill_months}
    cli = [sys.executable, "-m", "tasks.cli"]

    home = work / "im-home"
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(work / "smtp", ignore_errors=True)
    with FeedServer(IM_MONTH, port=0) as srv, SmtpSink(work / "smtp" / "im") as sink:
        out["im_run"] = _process("im-run", [*cli, "run", "air", "--period", "2019-01"],
                                 _mailing(child_env(home, srv.url), sink.port), results, log)
        out["im_run"]["emails"] = len(sink.messages)
    # the real files have station columns empty all month, which DuckDB's sniffer reads as text that UNPIVOT
    # cannot mix with numbers: the floor here declares every station DOUBLE (the typed floor of the national run)
    out["im_floor"] = [run_child(f"im-floor-{i + 1}", "floor-duckdb-typed", ["--files", str(listing)], child_env(),
                                 results) for i in range(floor_runs)]
    out["recompute"] = run_child("recompute", "recompute", ["--period", "2019-01"], child_env(home), results)

    first = date(2024, 12, 1)
    index = first.year * 12 + first.month - 1 - (backfill_months - 1)
    start = f"{index // 12:04d}-{index % 12 + 1:02d}"
    backfill_home = work / "backfill-home"
    shutil.rmtree(backfill_home, ignore_errors=True)
    with FeedServer(None, port=0, stations=stations, last_day=date(2024, 12, 31)) as srv, \
            SmtpSink(work / "smtp" / "backfill") as sink:
        out["backfill"] = _process("backfill", [*cli, "run", "air", "--period", start, "--through", "2024-12",
                                                "--json"], _mailing(child_env(backfill_home, srv.url), sink.port),
                                   results, log)
        out["backfill"]["from"], out["backfill"]["through"] = start, "2024-12"
        out["backfill"]["emails"] = len(sink.messages)
    report = results / "backfill.stdout.log"
    try:
        months = json.loads(report.read_text(encoding="utf-8"))
        out["backfill"]["months_run"] = len(months["months"])
        out["backfill"]["months_failed"] = len(months["failed"])
        out["backfill"]["rows_landed"] = sum(m["rows_landed"] for m in months["months"])
    except (OSError, ValueError, KeyError):
        out["backfill"]["months_run"] = None
    if WATER_JSON.exists():
        out["water"] = json.loads(WATER_JSON.read_text(encoding="utf-8"))
    return out


def _mailing(env: dict[str, str], port: int) -> dict[str, str]:
    """The run's alerts and digests go to an SMTP sink on loopback, as a month's run sends them."""
    return {**env, "AIRFLOW_CONN_ECOFLOW_SMTP": f"smtp://127.0.0.1:{port}?disable_ssl=true&disable_tls=true"
                                                "&from_email=ecoflow%40example.gov.cn"}


def _median(values: list[float]) -> float | None:
    values = sorted(v for v in values if v is not None)
    return values[(len(values) - 1) // 2] if values else None


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("**met**" if ok else "**not met**")


def lines(run: dict[str, Any]) -> list[str]:
    """The goal lines at the top of the report: one per goal, with the measured ratio and whether it is met."""
    goals = run.get("goals") or {}
    stages = run["stages"]
    floor = run["floor_duckdb"].get("stage_seconds") if run["floor_duckdb"].get("status") == "ok" else None
    ok = [s for s in stages.values() if s.get("status") == "ok"]
    total = sum(s["stage_seconds"] for s in ok) if len(ok) == len(stages) else None
    peak = max((s["peak_rss_mib"] for s in ok), default=None)
    out = ["## Goals (issue 14)", ""]
    ratio = total / floor if total and floor else None
    out.append(f"- National air month end to end: **{ratio:.1f}×** the DuckDB floor ({total:.1f} s vs {floor:.1f} s; "
               f"goal ≤ 1.0×) — {_verdict(ratio <= 1.0)}; peak RSS of any stage **{peak:,.0f} MiB** (goal ≤ 1,536) — "
               f"{_verdict(peak <= 1536)}" if ratio is not None and peak is not None
               else "- National air month end to end: not measured (a stage failed)")
    im, floors = goals.get("im_run"), [f for f in goals.get("im_floor", []) if f.get("status") == "ok"]
    im_floor = _median([f["process_seconds"] for f in floors])
    if im and im.get("exit_code") == 0 and im_floor:
        r = im["process_seconds"] / im_floor
        out.append(f"- Inner Mongolia month (`ecoflow run air --period 2019-01`, the real 31 files, 48 stations, a "
                   f"whole process from a fresh home, its {im.get('emails', 0)} emails sent to an SMTP sink): "
                   f"**{r:.1f}×** the DuckDB floor process (column types declared) on the same files "
                   f"({im['process_seconds']:.1f} s vs {im_floor:.1f} s; goal ≤ 3×) — {_verdict(r <= 3)}")
    elif goals:
        out.append("- Inner Mongolia month: not measured (the run or its floor failed; see the logs in "
                   "bench/.work/results/)")
    bf = goals.get("backfill")
    if bf and bf.get("months_run"):
        n = bf["months_run"] + bf.get("months_failed", 0)
        per = bf["process_seconds"] / n
        ten_years = per * 120
        measured = "120 months" if n >= 120 else f"{n} months, {ten_years / 60:.1f} min for 120 at the same pace"
        out.append(f"- Backfill of Inner Mongolia through the CLI ({bf['from']} … {bf['through']}, "
                   f"`ecoflow run air --through`, progress bar on stderr): "
                   f"**{bf['process_seconds'] / 60:.1f} min** for {measured} ({per:.1f} s per month; goal: ten "
                   f"years ≤ 10 min) — {_verdict(ten_years <= 600 and not bf.get('months_failed'))}; "
                   f"{bf['months_run']} months landed, {bf.get('months_failed', 0)} failed, {bf.get('emails', 0)} "
                   "alert and digest emails sent to an SMTP sink")
    elif goals:
        out.append("- Backfill of Inner Mongolia: not measured (see bench/.work/results/backfill.stderr.log)")
    rc = goals.get("recompute")
    if rc and rc.get("status") == "ok":
        out.append(f"- Recomputing one month of air (every region, after a correction; `pipeline.recompute`, in "
                   f"process): **{rc['stage_seconds']:.2f} s** (goal ≤ 2 s) — {_verdict(rc['stage_seconds'] <= 2)}")
    water = goals.get("water")
    if water:
        out.append("- Water poll: see the Water and waste section below (measured by "
                   "`python -m bench.run_water_waste_bench`, not re-run by this command)")
    return [*out, ""]
