"""Runtime settings, read from the environment once per call so tests and runs can point elsewhere.

All state lives under ECOFLOW_HOME; feed and SMTP endpoints come from the environment or from Airflow
Connections (secrets stay out of code).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    home: Path
    feed_urls: dict[str, str]      # source -> base URL (ECOFLOW_<SOURCE>_FEED_URL)
    feed_conn_ids: dict[str, str]  # source -> Airflow HTTP connection id (ECOFLOW_<SOURCE>_FEED_CONN_ID); default
    #                                ecoflow_<source>_feed, used when no URL is set
    smtp_conn_id: str
    bureau_email: str
    max_bad_share: float
    http_timeout: float
    http_retries: int
    fetch_workers: int
    inbox: Path | None = None      # ECOFLOW_INBOX; default ECOFLOW_HOME/inbox
    signature: str = "内蒙古自治区生态环境厅"      # ECOFLOW_BUREAU_SIGNATURE: the 落款 of the monthly digests
    contact: str = "联系人：生态文明建设示范创建工作专班，电话 0471-0000000"  # ECOFLOW_BUREAU_CONTACT
    reply_day: int = 20            # ECOFLOW_REPLY_DAY: day of the dispatch month by which a lead department replies
    monthly_pdf: bool = True       # ECOFLOW_MONTHLY_PDF: print the 月报 to PDF each time a month is evaluated

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def archive_dir(self) -> Path:
        return self.home / "raw"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    def gx_root(self, source: str, period: str) -> Path:
        """The Great Expectations file context of one source and month. One site per month keeps each Data Docs
        build small: GX rewrites a site's index from every stored validation on each build, so a single site fed
        by six water polls a day grew ~4 ms per poll for every validation ever stored (docs/benchmarks.md)."""
        return self.reports_dir / "gx" / source / period

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def inbox_dir(self) -> Path:
        return self.inbox or self.home / "inbox"

    def ensure_dirs(self) -> None:
        for path in (self.home, self.archive_dir, self.reports_dir, self.outbox_dir, self.logs_dir, self.inbox_dir,
                     self.inbox_dir / "processed", self.inbox_dir / "rejected"):
            path.mkdir(parents=True, exist_ok=True)


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={raw!r} is not a number") from exc


def _per_source(suffix: str) -> dict[str, str]:
    """ECOFLOW_<SOURCE><suffix> for every source that sets one (the sources themselves are declared in
    tasks/sources/spec.py, above this floor)."""
    return {name[len("ECOFLOW_"):-len(suffix)].lower(): value for name, value in os.environ.items()
            if name.startswith("ECOFLOW_") and name.endswith(suffix) and value and len(name) > len("ECOFLOW_" + suffix)}


def load() -> Settings:
    """Read settings from the environment (ECOFLOW_*)."""
    home = Path(os.environ.get("ECOFLOW_HOME") or Path.cwd() / ".ecoflow").resolve()
    return Settings(
        home=home,
        feed_urls=_per_source("_FEED_URL"),
        feed_conn_ids=_per_source("_FEED_CONN_ID"),
        smtp_conn_id=os.environ.get("ECOFLOW_SMTP_CONN_ID", "ecoflow_smtp"),
        bureau_email=os.environ.get("ECOFLOW_BUREAU_EMAIL", "cjb@sthjt.nmg.example.gov.cn"),
        max_bad_share=_float("ECOFLOW_MAX_BAD_SHARE", 0.05),
        http_timeout=_float("ECOFLOW_HTTP_TIMEOUT", 30.0),
        http_retries=int(_float("ECOFLOW_HTTP_RETRIES", 3)),
        fetch_workers=int(_float("ECOFLOW_FETCH_WORKERS", 4)),
        inbox=Path(os.environ["ECOFLOW_INBOX"]).resolve() if os.environ.get("ECOFLOW_INBOX") else None,
        signature=os.environ.get("ECOFLOW_BUREAU_SIGNATURE") or Settings.signature,
        contact=os.environ.get("ECOFLOW_BUREAU_CONTACT") or Settings.contact,
        reply_day=int(_float("ECOFLOW_REPLY_DAY", Settings.reply_day)),
        monthly_pdf=os.environ.get("ECOFLOW_MONTHLY_PDF", "1").strip().lower() not in ("0", "false", "no", "off"),
    )
