"""`make demo`: the monthly air update through Airflow, on the embedded default, in one command.

Starts the feed simulator (real January 2019 Inner Mongolia files, generated days for other months) and an
SMTP sink on loopback, prepares an Airflow home with SQLite metadata and the one-slot `warehouse` pool,
runs the DAG `air_quality_monthly` under `airflow dags test` for two months, and prints what happened.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

from demo.feed_server import FeedServer
from demo.smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parent.parent
HOME = Path(os.environ.get("ECOFLOW_DEMO_HOME", ROOT / ".ecoflow" / "demo"))
BIN = Path(sys.executable).parent
MONTHS = [
    ("2019-01", "real CNEMC data, January 2019 (48 Inner Mongolia stations)"),
    ("2025-01", "generated data in the real format; one file cut off mid-line on purpose; Hohhot has 2025 targets"),
]
TRUNCATED = "china_sites_20250117.csv"


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


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)
    if HOME.exists():
        shutil.rmtree(HOME)
    (HOME / "logs").mkdir(parents=True)
    outbox = HOME / "smtp-sink"
    with FeedServer(ROOT / "demo" / "data" / "cnemc_air", truncate={TRUNCATED: 30_000}) as feed, \
            SmtpSink(outbox) as sink:
        env = {
            **os.environ,
            "ECOFLOW_HOME": str(HOME),
            "ECOFLOW_AIR_FEED_URL": feed.url,
            "AIRFLOW_HOME": str(HOME / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW_CONN_ECOFLOW_SMTP": f"smtp://127.0.0.1:{sink.port}?disable_ssl=true&disable_tls=true"
                                         "&from_email=ecoflow%40sthjt.nmg.example.gov.cn",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        banner(f"Airflow home {env['AIRFLOW_HOME']} (SQLite metadata); feed {feed.url}; SMTP sink :{sink.port}")
        log = HOME / "logs" / "airflow.log"
        run([str(BIN / "airflow"), "db", "migrate"], env, log)
        run([str(BIN / "airflow"), "pools", "set", "warehouse", "1", "DuckDB has one writer"], env, log)
        for period, what in MONTHS:
            banner(f"airflow dags test air_quality_monthly, period {period}: {what}")
            started = time.monotonic()
            run([str(BIN / "airflow"), "dags", "test", "air_quality_monthly", "-c", f'{{"period": "{period}"}}'],
                env, log)
            print(f"DAG run succeeded in {time.monotonic() - started:.0f} s (Airflow log: {log})")
            run([str(BIN / "ecoflow"), "indicators", "--period", period], env)
        banner("ecoflow status: what ran, what is missing, what was quarantined")
        run([str(BIN / "ecoflow"), "status"], env)
        sink.wait_for(1, timeout=5)
        banner(f"alert emails received by the SMTP sink ({len(sink.messages)}), written to {outbox}")
        for path in sorted(outbox.glob("*.eml")):
            msg = message_from_bytes(path.read_bytes(), policy=policy.default)
            print(f"{path.name}\n  To: {msg['To']}  Cc: {msg['Cc']}\n  Subject: {msg['Subject']}")
        reports = HOME / "reports" / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
        assert reports.exists(), f"no validation report at {reports}"
        banner("where to look")
        print(f"validation reports (Great Expectations Data Docs): {reports}")
        print(f"warehouse: {HOME / 'warehouse.duckdb'}   raw archive: {HOME / 'raw'}")
        print(f"try: ECOFLOW_HOME={HOME} {BIN / 'ecoflow'} indicators --period 2025-01 --region 150100 --json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
