"""`make demo`: the monthly updates through Airflow, on the embedded default, in one command.

Starts three feed simulators on loopback (CNEMC air daily files, the CNEMC surface-water real-time release,
the waste and sewage system) and an SMTP sink, prepares an Airflow home with SQLite metadata and the one-slot
`warehouse` pool, and runs the DAGs under `airflow dags test`:

* air for January 2019 (real), December 2024 and January 2025 (generated, one file cut off on purpose);
* one live water poll, the real April 2021 captures replayed, and the water month evaluated;
* waste for December 2024 and January 2025 (one row with a wrong unit on purpose);
* two departmental submissions dropped in the inbox: one accepted, one with wrong cells; and 锡林浩特市's drinking-water
  source sheet (水源地水质月报), each source judged item by item against GB/T 14848 class Ⅲ;
* two departments' key-project sheets for a quarter (one project falling behind, the other units not reporting),
  the month's list for the leading group and the 2025-Q1 assessment (demo/projects_demo.py);
* the recomputation for January 2025, as the ingestion DAGs' Asset events trigger it under a scheduler: every
  indicator evaluated, the alert rules applied, one alert digest per department, the monthly bulletin and the 月报.

Then it prints the indicators, the alerts, the status and every email the sink received, and ends with the 月报
(the monthly report, A4 HTML and PDF).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

from demo.airflow_stack import USERS, AirflowStack
from demo.feed_server import FeedServer
from demo.smtp_sink import SmtpSink
from demo.waste_publisher import WastePublisher
from demo.water_publisher import WaterPublisher
from tasks.cli.airflow_api import AirflowApi, AirflowApiError

ROOT = Path(__file__).resolve().parent.parent
HOME = Path(os.environ.get("ECOFLOW_DEMO_HOME", ROOT / ".ecoflow" / "demo"))
BIN = Path(sys.executable).parent
MONTHS = [
    ("2019-01", "real CNEMC data, January 2019 (48 Inner Mongolia stations)"),
    ("2024-12", "generated data in the real format (the month before: trend charts and rolling values)"),
    ("2025-01", "generated data in the real format; one file cut off mid-line on purpose; Hohhot has 2025 targets"),
]
TRUNCATED = "china_sites_20250117.csv"
REVIEWED_AIR_MONTH = "2025-01"  # the cut-off line fails validation: the run waits for a steward
WATER_CAPTURES = ROOT / "demo" / "data" / "cnemc_water" / "water_quality_by_name"
WATER_MONTH = "2021-04"
WASTE_MONTH = "2025-01"
SUBMISSION_MONTH = "2025-01"
PREVIOUS_MONTH = "2024-12"  # evaluated before January arrives (as the scheduler does): what January is compared with
SOURCES_BUREAU = "152502-sthjj"   # 锡林浩特市: its two groundwater sources are in the catalogue (一棵树, 柴达木)
#: A month of groundwater monitoring as a laboratory reports it (demo values, not measurements): below the detection
#: limit written as the lab writes it; 一棵树's iron and manganese above class Ⅲ are its natural background.
GROUNDWATER_MONTH = {
    "color": "<5", "turbidity": 0.6, "ph": 7.6, "hardness": 286, "tds": 512, "sulfate": 64, "chloride": 38,
    "fe": 0.08, "mn": "0.01L", "cu": "0.005L", "zn": "0.05L", "al": "0.008L", "phenol": "0.0003L", "las": "0.05L",
    "codmn": 1.1, "nh3n": 0.08, "sulfide": "0.005L", "na": 42, "total_coliform": "未检出", "bacteria": 12,
    "nitrite": "0.003L", "nitrate": 3.2, "cn": "0.002L", "fluoride": 0.56, "iodide": "0.002L", "hg": "0.00004L",
    "as": "0.0003L", "se": "0.0004L", "cd": "0.0005L", "cr6": "0.004L", "pb": "0.0025L", "chloroform": "1.4L",
    "ccl4": "1.5L", "benzene": "1.4L", "toluene": "1.4L", "gross_alpha": 0.06, "gross_beta": 0.12,
}
SOURCES_MONTH = {"152502-DW01": {**GROUNDWATER_MONTH, "fe": 0.52, "mn": 0.21, "supply": 96.5},
                 "152502-DW02": {**GROUNDWATER_MONTH, "supply": 52.1}}


def banner(text: str) -> None:
    print(f"\n=== {text} " + "=" * max(0, 100 - len(text)), flush=True)


def run(cmd: list[str], env: dict[str, str], log: Path | None = None) -> None:
    if log is None:
        subprocess.run(cmd, env=env, check=True)
        return
    with log.open("ab") as out:
        proc = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode:
        raise SystemExit(f"`{' '.join(cmd[:4])} …` failed (exit {proc.returncode}); see {log}")


def dag_test(dag_id: str, env: dict[str, str], log: Path, period: str | None = None) -> None:
    started = time.monotonic()
    conf = ["-c", f'{{"period": "{period}"}}'] if period else []
    run([str(BIN / "airflow"), "dags", "test", dag_id, *conf], env, log)
    print(f"DAG run succeeded in {time.monotonic() - started:.0f} s (Airflow log: {log})")


def ecoflow(*args: str, env: dict[str, str]) -> None:
    run([str(BIN / "ecoflow"), *args], env)


def dag_test_with_review(dag_id: str, env: dict[str, str], log: Path, period: str, source: str, steward: str) -> None:
    """A DAG run whose batch fails validation: it waits at its review; the steward looks at it and decides through
    Airflow's REST API (`ecoflow review …`), and the run goes on."""
    started = time.monotonic()
    with log.open("ab") as out:
        proc = subprocess.Popen([str(BIN / "airflow"), "dags", "test", dag_id, "-c", f'{{"period": "{period}"}}'],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    steward_env = {**env, "ECOFLOW_AIRFLOW_USER": steward, "ECOFLOW_AIRFLOW_PASSWORD": USERS[steward][1]}
    # Airflow's API says when the run's review task waits (asked from here every 2 s: a CLI process a poll cost
    # ~1.4 s of CPU); then `ecoflow review list --json` names the review, as a steward would find it.
    airflow = AirflowApi(env["ECOFLOW_AIRFLOW_API_URL"], steward, USERS[steward][1])
    review_id = None
    while review_id is None:
        if proc.poll() is not None:
            raise SystemExit(f"`airflow dags test {dag_id}` ended (exit {proc.returncode}) without waiting for a "
                             f"review; see {log}")
        try:
            asked = any((item.get("task_instance") or {}).get("dag_id") == dag_id for item in airflow.pending_reviews())
        except AirflowApiError:   # the API server busy (SQLite, written by the run beside it): ask again
            asked = False
        if asked:
            listed = subprocess.run([str(BIN / "ecoflow"), "review", "list", "--json"], env=steward_env,
                                    capture_output=True, text=True)
            waiting = [r for r in json.loads(listed.stdout or "[]") if r["source"] == source
                       and r["period"] == period and r.get("airflow") == "waiting"] if listed.returncode == 0 else []
            review_id = waiting[0]["review_id"] if waiting else None
        if review_id is None:
            time.sleep(2)
    print(f"the run waits for a data steward ({time.monotonic() - started:.0f} s); the stewards were emailed.")
    print(f"$ ecoflow review list     (as {steward}, through Airflow's REST API)")
    run([str(BIN / "ecoflow"), "review", "list"], steward_env)
    print(f"$ ecoflow review show {review_id}")
    run([str(BIN / "ecoflow"), "review", "show", review_id], steward_env)
    print(f"$ ecoflow review decide {review_id} --accept-clean     (as {steward}; in the UI: the same button)")
    run([str(BIN / "ecoflow"), "review", "decide", review_id, "--accept-clean"], steward_env)
    if proc.wait(timeout=900):
        raise SystemExit(f"`airflow dags test {dag_id}` failed (exit {proc.returncode}); see {log}")
    print(f"DAG run succeeded in {time.monotonic() - started:.0f} s (Airflow log: {log})")


def drop_submissions(env: dict[str, str]) -> None:
    """What two departments send: 林草局 fills its template (林草覆盖率 is annual: its row is on the 年度指标 sheet,
    filled early as the sheet allows); 住建局 exports a CSV from Excel (GBK) with mistakes."""
    import openpyxl

    inbox = HOME / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    templates = HOME / "templates" / SUBMISSION_MONTH
    wb = openpyxl.load_workbook(templates / f"150100-lcj_{SUBMISSION_MONTH}.xlsx")
    sheet = wb["年度指标"]
    row = next(r for r in range(7, sheet.max_row + 1) if sheet[f"B{r}"].value == "forest_grass_coverage")
    sheet[f"G{row}"] = 36.4
    wb.save(inbox / "林草局 1月 月调度.xlsx")
    csv_text = ("部门编码,期别,指标代码,指标名称,单位,本期值,备注\r\n"
                f"150100-zjj,{SUBMISSION_MONTH},green_building_share,城镇新建绿色建筑比例,%,152.3,\r\n"
                f"150100-zjj,{SUBMISSION_MONTH},green_building_share,城镇新建绿色建筑比例,%,52.3,重复一行\r\n")
    (inbox / "住建局-1月.csv").write_bytes(csv_text.encode("gbk"))
    wb = openpyxl.load_workbook(templates / f"{SOURCES_BUREAU}_{SUBMISSION_MONTH}_水源地.xlsx")
    sheet = wb["水源地水质月报"]
    for r in range(7, sheet.max_row + 1):
        sheet[f"I{r}"] = SOURCES_MONTH[sheet[f"B{r}"].value][sheet[f"E{r}"].value]
    wb.save(inbox / "锡林浩特 1月 水源地水质.xlsx")
    print(f"dropped into {inbox}: 林草局 1月 月调度.xlsx (filled template), 住建局-1月.csv (GBK, wrong cells), "
          "锡林浩特 1月 水源地水质.xlsx (two groundwater sources, 37 items each)")


def show_mail(outbox: Path, seen: set[Path]) -> None:
    for path in sorted(outbox.glob("*.eml")):
        if path in seen:
            continue
        seen.add(path)
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        print(f"{path.name}\n  To: {msg['To']}  Cc: {msg['Cc']}\n  Subject: {msg['Subject']}")


def previous_month(env: dict[str, str], log: Path, outbox: Path, seen: set[Path]) -> None:
    """December's waste month, then December evaluated as the Asset events of its deliveries had
    indicators_recompute evaluate it (alert rules applied, only a new 进度预警 sent; December's digests went out on
    11 January and are not part of this demo): what January's digests and bulletin compare with."""
    banner(f"WASTE: airflow dags test waste_monthly, period {PREVIOUS_MONTH}")
    dag_test("waste_monthly", env, log, PREVIOUS_MONTH)
    banner(f"RECOMPUTE {PREVIOUS_MONTH} as its deliveries triggered it: ecoflow recompute --period {PREVIOUS_MONTH} "
           "--no-dispatch (evaluation, alert rules, bulletin; no digest)")
    ecoflow("recompute", "--period", PREVIOUS_MONTH, "--no-dispatch", env=env)
    show_mail(outbox, seen)


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)
    if HOME.exists():
        shutil.rmtree(HOME)
    (HOME / "logs").mkdir(parents=True)
    outbox = HOME / "smtp-sink"
    with FeedServer(ROOT / "demo" / "data" / "cnemc_air", truncate={TRUNCATED: 30_000}) as air, \
            FeedServer(publisher=WaterPublisher()) as water, \
            FeedServer(publisher=WastePublisher({WASTE_MONTH: {"wrong_unit"}})) as waste, \
            SmtpSink(outbox) as sink:
        env = {
            **os.environ,
            "ECOFLOW_HOME": str(HOME),
            "ECOFLOW_AIR_FEED_URL": air.url,
            "ECOFLOW_WATER_FEED_URL": water.url,
            "ECOFLOW_WASTE_FEED_URL": waste.url,
            "ECOFLOW_INBOX_SETTLE_SECONDS": "0",
            "AIRFLOW_HOME": str(HOME / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW_CONN_ECOFLOW_SMTP": f"smtp://127.0.0.1:{sink.port}?disable_ssl=true&disable_tls=true"
                                         "&from_email=ecoflow%40sthjt.nmg.example.gov.cn",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        log = HOME / "logs" / "airflow.log"
        api = AirflowStack(HOME / "airflow", env, components=("api-server",)).__enter__()
        atexit.register(api.__exit__, None, None, None)  # the API server stops with the demo, however it ends
        env = {**api.env, "ECOFLOW_AIRFLOW_API_URL": api.url}
        banner(f"Airflow home {env['AIRFLOW_HOME']} (SQLite metadata), API server and UI {api.url} (steward li.na, "
               f"password {USERS['li.na'][1]}); feeds: air {air.url}, water {water.url}, waste {waste.url}; "
               f"SMTP sink :{sink.port}")
        seen: set[Path] = set()

        for period, what in MONTHS:
            if period == REVIEWED_AIR_MONTH:
                previous_month(env, log, outbox, seen)
            banner(f"AIR: airflow dags test air_quality_monthly, period {period}: {what}")
            if period == REVIEWED_AIR_MONTH:
                dag_test_with_review("air_quality_monthly", env, log, period, "air", "li.na")
            else:
                dag_test("air_quality_monthly", env, log, period)
            if period == MONTHS[0][0]:  # the real month; January 2025 is shown with everything else at the end
                ecoflow("indicators", "--period", period, "--region", "150100", env=env)
                for region in ("150000", "152502"):  # the mean of the 12 cities; 锡林浩特市 from its two stations
                    ecoflow("indicators", "--period", period, "--region", region, "--indicator", "air_good_day_ratio",
                            "--indicator", "air_pm25_mean", env=env)

        banner("WATER: airflow dags test water_realtime_capture (one live poll, generated readings for now)")
        dag_test("water_realtime_capture", env, log)
        banner(f"WATER: the real {WATER_MONTH} captures of 13 Inner Mongolia sections, replayed from their files")
        files = [a for path in sorted(WATER_CAPTURES.rglob("*.csv")) for a in ("--file", str(path))]
        out = subprocess.run([str(BIN / "ecoflow"), "run", "water-capture", *files, "--as-of", "2021-04-06T08:00"],
                             env=env, check=True, capture_output=True, text=True).stdout
        lines = [line.strip() for line in out.splitlines()]
        for i, line in enumerate(lines):   # each replay's first two lines: its file and run, what it landed
            if line.startswith("water capture "):
                print(f"{line} {lines[i + 1]}")
        banner(f"WATER: airflow dags test water_quality_monthly, period {WATER_MONTH} (GB 3838-2002)")
        dag_test("water_quality_monthly", env, log, WATER_MONTH)
        ecoflow("water", "sections", "--period", WATER_MONTH, env=env)
        ecoflow("indicators", "--period", WATER_MONTH, "--region", "150000", env=env)

        banner(f"WASTE: airflow dags test waste_monthly, period {WASTE_MONTH} (one row with a wrong unit)")
        dag_test_with_review("waste_monthly", env, log, WASTE_MONTH, "waste", "wang.qiang")

        banner(f"SUBMISSIONS: templates for {SUBMISSION_MONTH}, three files in the inbox, "
               "airflow dags test submissions_inbox")
        ecoflow("templates", "--period", SUBMISSION_MONTH, "--department", "150100-lcj", env=env)
        ecoflow("templates", "--period", SUBMISSION_MONTH, "--department", "150100-zjj", env=env)
        ecoflow("templates", "--period", SUBMISSION_MONTH, "--department", SOURCES_BUREAU, env=env)
        drop_submissions(env)
        dag_test("submissions_inbox", env, log)
        ecoflow("submissions", "--period", SUBMISSION_MONTH, env=env)
        ecoflow("indicators", "--period", SUBMISSION_MONTH, "--region", "152502", "--indicator",
                "drinking_water_source_good_ratio", "--all-variants", env=env)

        banner("KEY PROJECTS: 项目月调度 sheets of 乡村振兴局 and 水务局 (Tumed Left) for 2025-01 to 2025-03 "
               "through the inbox; the month's list and the 2025-Q1 assessment")
        from demo import projects_demo

        print(projects_demo.run(HOME, env))

        banner(f"RECOMPUTE: airflow dags test indicators_recompute, period {SUBMISSION_MONTH}: evaluation, alert "
               "rules, one digest per department, the monthly bulletin")
        dag_test("indicators_recompute", env, log, SUBMISSION_MONTH)
        banner(f"Hohhot {SUBMISSION_MONTH}: air, waste and submitted indicators side by side")
        ecoflow("indicators", "--period", SUBMISSION_MONTH, "--region", "150100", env=env)
        banner("ecoflow alerts --open: the alert ledger")
        ecoflow("alerts", "--open", env=env)
        bulletin = HOME / "reports" / "bulletin" / f"{SUBMISSION_MONTH}.html"
        assert bulletin.exists(), f"the recomputation wrote no bulletin at {bulletin}"
        banner(f"the monthly bulletin (月度通报) for {SUBMISSION_MONTH}, written by indicators_recompute")
        print(bulletin)
        banner("ecoflow status: what ran, what is missing, what was quarantined")
        ecoflow("status", env=env)
        sink.wait_for(1, timeout=5)
        banner(f"emails received by the SMTP sink ({len(sink.messages)}), written to {outbox}")
        show_mail(outbox, seen)
        reports = HOME / "reports" / "gx" / "air" / "2025-01" / "gx" / "uncommitted" / "data_docs" / "local_site" / \
            "index.html"
        assert reports.exists(), f"no validation report at {reports}"
        banner("where to look")
        print(f"validation reports (Great Expectations Data Docs, one site per source and month): {reports}")
        print(f"warehouse: {HOME / 'warehouse.duckdb'}   raw archive: {HOME / 'raw'}   inbox: {HOME / 'inbox'}")
        print(f"try: ECOFLOW_HOME={HOME} {BIN / 'ecoflow'} indicators --period 2025-01 --region 150100 --json")
        monthly = HOME / "reports" / "monthly" / f"{SUBMISSION_MONTH}.html"
        assert monthly.exists() and monthly.with_suffix(".pdf").exists(), f"no 月报 at {monthly}"
        banner(f"the monthly report (月报) for {SUBMISSION_MONTH}, written by indicators_recompute: A4 HTML and PDF")
        print(monthly)
        print(monthly.with_suffix(".pdf"))
        api.__exit__(None, None, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
