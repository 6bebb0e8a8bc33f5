"""The key-project dispatch in the demo: two departments' 项目月调度 sheets for the months of a quarter, the other
units not reporting, then the month's list and the quarter's assessment (docs/projects.md).

Tumed Left, January to March 2025: 乡村振兴局 reports its two projects — 户厕改造 (2022-2025) stays at 68-69 %
while the plan line passes 79 % in February and 81 % in March, so it falls behind and, the second month, reaches
the leading group's list; 水务局 reports its six (five of its own, one of Hohhot's list); 林草局 and the other
units send nothing, so their projects are not reported three months running.
Called by demo/run_demo.py with the demo's environment, or alone: `python -m demo.projects_demo` (its own home
and SMTP sink).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MONTHS = ("2025-01", "2025-02", "2025-03")
AS_OF = "2025-04-11"   # the day after March's sheets were due: the quarter is complete
SHEETS = {
    "150121-xczxj": ("乡村振兴局", {
        "2025-01": {"150121-P21": (100, 0, 5811.91), "150121-P22": (68, 120, 3900)},
        "2025-02": {"150121-P21": (100, 0, 5811.91), "150121-P22": (68, 50, 3950)},
        "2025-03": {"150121-P21": (100, 0, 5811.91), "150121-P22": (69, 30, 3980)},
    }),
    "150121-slj": ("水务局", {
        "2025-01": {"150100-P41": (80, 100, 3600), "150121-P11": (100, 0, 2026.21), "150121-P13": (100, 0, 1076),
                    "150121-P16": (100, 0, 1000), "150121-P17": (52, 80, 3500), "150121-P19": (100, 0, 5950)},
        "2025-02": {"150100-P41": (85, 100, 3700), "150121-P11": (100, 0, 2026.21), "150121-P13": (100, 0, 1076),
                    "150121-P16": (100, 0, 1000), "150121-P17": (53, 50, 3550), "150121-P19": (100, 0, 5950)},
        "2025-03": {"150100-P41": (90, 100, 3800), "150121-P11": (100, 0, 2026.21), "150121-P13": (100, 0, 1076),
                    "150121-P16": (100, 0, 1000), "150121-P17": (54, 50, 3600), "150121-P19": (100, 0, 5950)},
    }),
}


def ecoflow(*args: str, env: dict[str, str]) -> None:
    """The command in this process (one start-up for all of them), under the demo's environment."""
    from tasks.cli.commands import main as cli

    print(f"$ ecoflow {' '.join(args)}", flush=True)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        code = cli(list(args))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if code:
        raise SystemExit(f"`ecoflow {' '.join(args)}` failed (exit {code})")


def fill(template: Path, target: Path, figures: dict[str, tuple[float, float, float]]) -> None:
    """Fill 形象进度, 本月 and 累计 investment of each project row the way a clerk does."""
    import openpyxl

    wb = openpyxl.load_workbook(template)
    ws = wb["项目月调度"]
    for r in range(7, ws.max_row + 1):
        code = ws[f"B{r}"].value
        if code in figures:
            ws[f"G{r}"], ws[f"I{r}"], ws[f"J{r}"] = figures[code]
    ws["N8"] = "户厕改造冬季停工，开春后复工" if "150121-P22" in figures else None
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)


def run(home: Path, env: dict[str, str]) -> Path:
    """Both months through the inbox, the month's list, the quarter's assessment; returns the assessment page."""
    for month in MONTHS:
        out = home / "templates" / month
        for department, (name, months) in SHEETS.items():
            ecoflow("templates", "--period", month, "--department", department, "--out", str(out), env=env)
            fill(out / f"{department}_{month}_项目.xlsx", home / "inbox" / f"{name}{month}项目调度.xlsx",
                 months[month])
        ecoflow("inbox", env=env)
    ecoflow("projects", "--period", MONTHS[-1], "--as-of", AS_OF, env=env)
    ecoflow("assess", "--quarter", "2025-Q1", "--as-of", AS_OF, env=env)
    page = home / "reports" / "assessment" / "2025-Q1" / "assessment.html"
    assert page.exists(), f"the assessment wrote no page at {page}"
    return page


def main() -> int:
    from demo.smtp_sink import SmtpSink

    home = Path(os.environ.get("ECOFLOW_HOME", ROOT / ".ecoflow" / "projects-demo"))
    with SmtpSink(home / "smtp-sink") as sink:
        env = {**os.environ, "ECOFLOW_HOME": str(home), "ECOFLOW_INBOX_SETTLE_SECONDS": "0",
               "AIRFLOW_CONN_ECOFLOW_SMTP": f"smtp://127.0.0.1:{sink.port}?disable_ssl=true&disable_tls=true"
                                            "&from_email=ecoflow%40sthjt.nmg.example.gov.cn",
               "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        print(run(home, env))
    return 0


if __name__ == "__main__":
    sys.exit(main())
