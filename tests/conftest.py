"""Shared fixtures: a real feed server and SMTP sink on loopback, and an isolated ECOFLOW_HOME per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AIR_DATA = ROOT / "demo" / "data" / "cnemc_air"
REAL_MONTH = AIR_DATA / "inner_mongolia_2019-01"


@pytest.fixture
def air_files(tmp_path: Path) -> Path:
    """A writable copy of the real January 2019 files that a test may damage."""
    target = tmp_path / "feed"
    shutil.copytree(REAL_MONTH, target)
    return target


@pytest.fixture
def smtp_sink(tmp_path: Path) -> Iterator:
    from demo.smtp_sink import SmtpSink

    with SmtpSink(tmp_path / "smtp-outbox") as sink:
        yield sink


@pytest.fixture
def eco_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_sink) -> Path:
    """ECOFLOW_HOME under tmp_path and an SMTP connection to the sink; the feed URL is set by each test."""
    home = tmp_path / "home"
    monkeypatch.setenv("ECOFLOW_HOME", str(home))
    monkeypatch.setenv("ECOFLOW_HTTP_TIMEOUT", "5")
    monkeypatch.setenv("ECOFLOW_HTTP_RETRIES", "3")
    monkeypatch.setenv("AIRFLOW_CONN_ECOFLOW_SMTP",
                       f"smtp://127.0.0.1:{smtp_sink.port}?disable_ssl=true&disable_tls=true"
                       "&from_email=ecoflow%40example.gov.cn")
    monkeypatch.delenv("ECOFLOW_AIR_FEED_URL", raising=False)
    return home
