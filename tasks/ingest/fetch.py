"""Fetch every file of a period for a source, in parallel, archiving bytes and recording each in the ledger."""

from __future__ import annotations

import hashlib
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import requests

from tasks.core import connections, limits
from tasks.core.errors import ConfigError, FetchError
from tasks.core.periods import Period
from tasks.core.settings import Settings
from tasks.ingest import http, ledger
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
    conn_id = settings.feed_conn_ids.get(source, f"ecoflow_{source}_feed")
    try:
        conn = connections.get_connection(conn_id)
    except connections.ConnectionNotFound as exc:
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
        url = f"{feed.base_url}/{remote.path}"
        if remote.form is not None:
            return remote, fetch_pages(sess, url, dict(remote.form), timeout=settings.http_timeout, limits=bounds,
                                       into=into, auth=feed.auth)
        return remote, http.get(sess, url, timeout=settings.http_timeout, limits=bounds, into=into, auth=feed.auth)

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


#: More pages than this is not an answer to a province's query but a runaway loop.
MAX_PAGES = 500


def fetch_pages(sess: requests.Session, url: str, form: dict[str, str], *, timeout: float,
                limits: http.Limits, into: Path, auth: tuple[str, str] | None = None) -> http.Response:
    """POST `form` for page 1 (`PageIndex`), then every further page the first answer's `total` announces.

    One Response: a single page's body as received, or for several pages a JSON array of the pages' bodies, each
    byte for byte (a leading BOM dropped), so the archive keeps what the platform sent. A page that fails or is
    not a JSON page fails the whole capture with nothing to archive: a poll is never half-captured. Each page is
    bounded like any fetch (size cap, total deadline), and so is the whole capture's size.
    """
    first = http.post(sess, url, {**form, "PageIndex": "1"}, timeout=timeout, limits=limits, into=into, auth=auth)
    body = _body(first)
    total = _page_count(body) if body is not None else None
    if total is None or total <= 1:
        return first  # one page, an error, or a body the parser will report on as it stands
    _discard(first)
    if total > MAX_PAGES:
        return http.Response(url, None, None, first.attempts,
                             f"page 1 announces total={total} pages (more than {MAX_PAGES}): not fetched")
    bodies, attempts = [body.removeprefix(b"\xef\xbb\xbf")], first.attempts
    for index in range(2, total + 1):
        resp = http.post(sess, url, {**form, "PageIndex": str(index)}, timeout=timeout, limits=limits, into=into,
                         auth=auth)
        attempts += resp.attempts
        page = _body(resp)
        _discard(resp)
        if resp.status != 200 or page is None or _page_count(page) is None:
            why = resp.error or (f"HTTP {resp.status}" if resp.status != 200 else "the body is not a JSON page")
            return http.Response(url, None, None, attempts,
                                 f"page {index} of {total} (PageIndex={index}): {why}; the {index - 1} page(s) "
                                 "already received are not kept")
        bodies.append(page.removeprefix(b"\xef\xbb\xbf"))
    return _received(url, b"[" + b",\n".join(bodies) + b"]", attempts, limits, into)


def _body(resp: http.Response) -> bytes | None:
    return resp.path.read_bytes() if resp.status == 200 and resp.path is not None else None


def _discard(resp: http.Response) -> None:
    if resp.path is not None:
        resp.path.unlink(missing_ok=True)


def _received(url: str, content: bytes, attempts: int, limits: http.Limits, into: Path) -> http.Response:
    """The joined pages as one received body: a temporary file beside the archive, as a single fetch leaves."""
    if len(content) > limits.max_bytes:
        return http.Response(url, 200, None, attempts, f"the pages together are larger than the size cap of "
                             f"{limits.max_bytes:,} bytes; not archived (raise {limits.max_bytes_name})")
    into.mkdir(parents=True, exist_ok=True)
    part = into / f".incoming-{uuid.uuid4().hex}.part"
    part.write_bytes(content)
    return http.Response(url, 200, part, attempts, None, hashlib.sha256(content).hexdigest(), len(content))


def _page_count(content: bytes) -> int | None:
    """The `total` (page count) of a JSON page, None when the body is not one."""
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    total = data.get("total") if isinstance(data, dict) else None
    try:
        return int(total) if total is not None and "tbody" in data else None
    except (TypeError, ValueError):
        return None
