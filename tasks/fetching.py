"""Fetch every file of a period for a source, in parallel, archiving bytes and recording each in the ledger."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb

from tasks import http, ledger
from tasks.errors import ConfigError, FetchError
from tasks.periods import Period
from tasks.settings import Settings
from tasks.sources.base import SourceAdapter


@dataclass(frozen=True)
class FeedEndpoint:
    base_url: str
    auth: tuple[str, str] | None = None


def endpoint(settings: Settings) -> FeedEndpoint:
    """ECOFLOW_AIR_FEED_URL, else the Airflow HTTP Connection named by ECOFLOW_AIR_FEED_CONN_ID.

    The connection follows HttpHook's convention: `schema` is the scheme (default https), `host` the host, or a
    whole base URL when it contains "://"; `port` and login/password (basic auth) are optional.
    """
    if settings.air_feed_url:
        return FeedEndpoint(settings.air_feed_url.rstrip("/"))
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(settings.air_feed_conn_id)
    except AirflowNotFoundException as exc:
        raise ConfigError(f"no air feed configured: set ECOFLOW_AIR_FEED_URL or the Airflow connection "
                          f"{settings.air_feed_conn_id!r}") from exc
    host = (conn.host or "").rstrip("/")
    if not host:
        raise ConfigError(f"Airflow connection {settings.air_feed_conn_id!r} has no host")
    base = host if "://" in host else f"{conn.schema or 'https'}://{host}"
    if conn.port and "://" not in host:
        base = f"{base}:{conn.port}"
    auth = (conn.login, conn.password or "") if conn.login else None
    return FeedEndpoint(base, auth)


def fetch_period(con: duckdb.DuckDBPyConnection, settings: Settings, adapter: SourceAdapter, period: Period,
                 run_id: str, feed: FeedEndpoint) -> dict[str, int]:
    """Download the period's files; 404 = not published (recorded as missing); exhausted retries = failure.

    Every file gets a ledger row. Raises FetchError when any file could not be fetched at all, after the
    ledger and archive hold whatever did arrive, so a re-run can pick up from there.
    """
    files = adapter.files(period)
    sess = http.session(settings.http_retries)

    def one(remote):  # noqa: ANN001, ANN202
        return remote, http.get(sess, f"{feed.base_url}/{remote.path}", timeout=settings.http_timeout,
                                auth=feed.auth)

    with ThreadPoolExecutor(max_workers=max(1, settings.fetch_workers)) as pool:
        results = list(pool.map(one, files))
    counts = {"fetched": 0, "missing": 0, "failed": 0}
    failures = []
    for remote, resp in results:
        archived, status, message = None, "failed", resp.error
        if resp.status == 200 and resp.content is not None:
            archived = ledger.archive(settings, adapter.name, str(period), remote.name, resp.content)
            status, message = "fetched", None
        elif resp.status == 404:
            status, message = "missing", "HTTP 404: not published"
        elif resp.error is None:
            message = f"unexpected HTTP {resp.status}"
        counts[status] += 1
        if status == "failed":
            failures.append(f"{remote.name}: {message}")
        ledger.record_attempt(
            con, run_id=run_id, source=adapter.name, period=str(period), file_name=remote.name, url=resp.url,
            status=status, http_status=resp.status, http_attempts=resp.attempts, archived=archived,
            size=len(resp.content) if resp.content is not None else None, message=message)
    if failures:
        raise FetchError(adapter.name, feed.base_url,
                         f"{len(failures)} of {len(files)} files failed for {period}: " + "; ".join(failures[:5]))
    return counts
