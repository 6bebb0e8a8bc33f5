"""Runtime settings, read from the environment once per call so tests and runs can point elsewhere.

All state lives under ECOFLOW_HOME; feed and SMTP endpoints come from the environment or from Airflow
Connections (secrets stay out of code).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    home: Path
    air_feed_url: str | None
    air_feed_conn_id: str
    smtp_conn_id: str
    bureau_email: str
    max_bad_share: float
    http_timeout: float
    http_retries: int
    fetch_workers: int

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def archive_dir(self) -> Path:
        return self.home / "raw"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    def ensure_dirs(self) -> None:
        for path in (self.home, self.archive_dir, self.reports_dir, self.outbox_dir, self.logs_dir):
            path.mkdir(parents=True, exist_ok=True)


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={raw!r} is not a number") from exc


def load() -> Settings:
    """Read settings from the environment (ECOFLOW_*)."""
    home = Path(os.environ.get("ECOFLOW_HOME") or Path.cwd() / ".ecoflow").resolve()
    return Settings(
        home=home,
        air_feed_url=os.environ.get("ECOFLOW_AIR_FEED_URL") or None,
        air_feed_conn_id=os.environ.get("ECOFLOW_AIR_FEED_CONN_ID", "ecoflow_air_feed"),
        smtp_conn_id=os.environ.get("ECOFLOW_SMTP_CONN_ID", "ecoflow_smtp"),
        bureau_email=os.environ.get("ECOFLOW_BUREAU_EMAIL", "cjb@sthjt.nmg.example.gov.cn"),
        max_bad_share=_float("ECOFLOW_MAX_BAD_SHARE", 0.05),
        http_timeout=_float("ECOFLOW_HTTP_TIMEOUT", 30.0),
        http_retries=int(_float("ECOFLOW_HTTP_RETRIES", 3)),
        fetch_workers=int(_float("ECOFLOW_FETCH_WORKERS", 4)),
    )
