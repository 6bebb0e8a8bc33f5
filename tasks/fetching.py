"""Fetch every file of a period for a source, in parallel, archiving bytes and recording each in the ledger."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb

from tasks import http, ledger, limits
from tasks.errors import ConfigError, FetchError
from tasks.periods import Period
from tasks.settings import Settings
from tasks.sources.base import RemoteFile, SourceAdapter


@dataclass(frozen=True)
class FeedEndpoint:
    base_url: str
    auth: tuple[str, str] | None = None


def endpoint(settings: Settings, source: str) -> FeedEndpoint:
    """ECOFLOW_<SOURCE>_FEED_URL, else the Airflow HTTP Connection named by ECOFLOW_<SOURCE>_FEED_CONN_ID
    (default `ecoflow_<source>_feed`).

    The connection follows HttpHook's convention: `schema` is the scheme (default https), `host` the host, or a
    whole base URL when it contains "://"; `port` and login/password (basic auth) are optional.
    """
    if settings.feed_urls.get(source):
        return FeedEndpoint(settings.feed_urls[source].rstrip("/"))
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    conn_id = settings.feed_conn_ids.get(source, f"ecoflow_{source}_feed")
    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException as exc:
        raise ConfigError(f"no {source} feed configured: set ECOFLOW_{source.upper()}_FEED_URL or the Airflow "
                          f"connection {conn_id!r}") from exc
    host = (conn.host or "").rstrip("/")
    if not host:
        raise ConfigError(f"Airflow connection {conn_id!r} has no host")
    base = host if "://" in host else f"{conn.schema or 'https'}://{host}"
    if conn.port and "://" not in host:
        base = f"{base}:{conn.port}"
    auth = (conn.login, conn.password or "") if conn.login else None
    return FeedEndpoint(base, auth)


def fetch_period(con: duckdb.DuckDBPyConnection, settings: Settings, adapter: SourceAdapter, period: Period,
                 run_id: str, feed: FeedEndpoint) -> dict[str, int]:
    """Download the period's files (see fetch_files)."""
    return fetch_files(con, settings, adapter, str(period), run_id, feed, adapter.files(period))


def fetch_files(con: duckdb.DuckDBPyConnection, settings: Settings, adapter: SourceAdapter, period: str,
                run_id: str, feed: FeedEndpoint, files: list[RemoteFile]) -> dict[str, int]:
    """Download files in parallel; 404 = not published (recorded as missing); exhausted retries = failure.

    Every file gets a ledger row. Raises FetchError when any file could not be fetched at all, after the
    ledger and archive hold whatever did arrive, so a re-run can pick up from there.
    """
    sess = http.session(settings.http_retries)
    bounds = http.Limits(limits.fetch_deadline(), limits.max_bytes(adapter.name), limits.max_bytes_name(adapter.name))
    into = settings.archive_dir / adapter.name / period

    def one(remote):  # noqa: ANN001, ANN202
        return remote, http.get(sess, f"{feed.base_url}/{remote.path}", timeout=settings.http_timeout,
                                limits=bounds, into=into, auth=feed.auth)

    try:
        with ThreadPoolExecutor(max_workers=max(1, settings.fetch_workers)) as pool:
            results = list(pool.map(one, files))
    except OSError:
        for part in into.glob(".incoming-*.part"):  # the archive's disk failed: no body is left half-archived
            part.unlink(missing_ok=True)
        raise
    counts = {"fetched": 0, "missing": 0, "failed": 0}
    failures = []
    for remote, resp in results:
        archived, status, message = None, "failed", resp.error
        if resp.status == 200 and resp.path is not None:
            archived = ledger.archive_received(settings, adapter.name, period, remote.name, resp.path, resp.sha256)
            status, message = "fetched", None
        elif resp.status == 404:
            status, message = "missing", "HTTP 404: not published"
        elif resp.error is None:
            message = f"unexpected HTTP {resp.status}"
        counts[status] += 1
        if status == "failed":
            failures.append(f"{remote.name}: {message}")
        ledger.record_attempt(
            con, run_id=run_id, source=adapter.name, period=period, file_name=remote.name, url=resp.url,
            status=status, http_status=resp.status, http_attempts=resp.attempts, archived=archived,
            size=resp.size, message=message)
    if failures:
        raise FetchError(adapter.name, feed.base_url,
                         f"{len(failures)} of {len(files)} files failed for {period}: " + "; ".join(failures[:5]))
    return counts
