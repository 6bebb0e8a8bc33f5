"""HTTP fetching for feeds: timeouts, retries with backoff on connection errors and 5xx, 404 = not published.

Every fetch is bounded: the body is streamed to a temporary file beside the archive (hashed as it arrives), and
stopped when it passes the source's size cap or the fetch's total deadline — a server that trickles a body at
200 B/s never gets past a per-read timeout, so the deadline is checked after every read. POST is retried like
GET: the only POST a feed needs (the water platform's `getRealDatas` query) reads and changes nothing.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RETRY_STATUSES = (500, 502, 503, 504)
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """How long one fetch may take in all, and how many bytes its body may have."""
    deadline: float
    max_bytes: int
    max_bytes_name: str = "max_bytes"   # the setting an operator raises (named in the error)


@dataclass(frozen=True)
class Response:
    url: str
    status: int | None          # None when no answer came at all
    path: Path | None           # the body (status 200 only), in a temporary file the caller archives
    attempts: int
    error: str | None = None
    sha256: str | None = None
    size: int | None = None


def session(retries: int, backoff: float = 0.5) -> requests.Session:
    """A session that retries GETs and POSTs on connect/read errors and 5xx with exponential backoff."""
    retry = Retry(
        total=retries, connect=retries, read=retries, status=retries,
        status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET", "POST"}),
        backoff_factor=backoff, raise_on_status=False, respect_retry_after_header=False,
    )
    sess = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
    sess.mount("http://", adapter)
    sess.mount("https://", adapter)
    return sess


def get(sess: requests.Session, url: str, *, timeout: float, limits: Limits, into: Path,
        auth: tuple[str, str] | None = None) -> Response:
    """GET one URL, its body streamed into a temporary file in the folder `into`; transport failures, the cap and
    the deadline become a Response with an error instead of an exception (and no file)."""
    return _request(sess, "GET", url, None, timeout=timeout, limits=limits, into=into, auth=auth)


def post(sess: requests.Session, url: str, form: dict[str, str], *, timeout: float, limits: Limits, into: Path,
         auth: tuple[str, str] | None = None) -> Response:
    """POST a form (application/x-www-form-urlencoded), bounded and streamed as `get` does a GET."""
    return _request(sess, "POST", url, form, timeout=timeout, limits=limits, into=into, auth=auth)


def _request(sess: requests.Session, method: str, url: str, form: dict[str, str] | None, *, timeout: float,
             limits: Limits, into: Path, auth: tuple[str, str] | None) -> Response:
    start = time.monotonic()
    try:
        resp = sess.request(method, url, data=form, timeout=(timeout, min(timeout, limits.deadline)), auth=auth,
                            stream=True)
    except requests.RequestException as exc:
        return Response(url, None, None, _attempts(None, sess, url), f"{type(exc).__name__}: {exc}")
    with resp:
        attempts = _attempts(resp, sess, url)
        if resp.status_code in RETRY_STATUSES:
            return Response(url, resp.status_code, None, attempts, f"HTTP {resp.status_code} after {attempts} tries")
        if resp.status_code != 200:
            return Response(url, resp.status_code, None, attempts)
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limits.max_bytes:
            return Response(url, 200, None, attempts, _too_large(limits, f"Content-Length {int(declared):,}"))
        return _stream(resp, url, attempts, start, limits, into)


def _stream(resp: requests.Response, url: str, attempts: int, start: float, limits: Limits,
            into: Path) -> Response:
    into.mkdir(parents=True, exist_ok=True)
    part = into / f".incoming-{uuid.uuid4().hex}.part"
    digest, size, error = hashlib.sha256(), 0, None
    try:
        with part.open("wb") as out:
            while True:
                chunk = resp.raw.read1(CHUNK, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > limits.max_bytes:
                    error = _too_large(limits, f"more than {limits.max_bytes:,} bytes received")
                    break
                elapsed = time.monotonic() - start
                if elapsed > limits.deadline:
                    error = (f"total deadline of {limits.deadline:g} s passed with {size:,} bytes received "
                             f"(a body this slow is not waited for; ECOFLOW_HTTP_DEADLINE)")
                    break
                digest.update(chunk)
                out.write(chunk)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        part.unlink(missing_ok=True)
        if isinstance(exc, OSError) and not _is_transport(exc):
            # the archive's disk, not the network: reported by the caller as one line naming the file (exit 2)
            raise OSError(exc.errno, exc.strerror, str(part)) from exc
        return Response(url, 200, None, attempts, f"body cut off after {size:,} bytes: {type(exc).__name__}: {exc}")
    if error:
        part.unlink(missing_ok=True)
        return Response(url, 200, None, attempts, error)
    return Response(url, 200, part, attempts, None, digest.hexdigest(), size)


def _is_transport(exc: OSError) -> bool:
    """A socket's error (timeout, reset) rather than the local disk's."""
    import socket

    return isinstance(exc, socket.timeout | ConnectionError) or exc.filename is None and exc.errno is None


def _too_large(limits: Limits, seen: str) -> str:
    return (f"body larger than the size cap of {limits.max_bytes:,} bytes ({seen}); not archived, not parsed "
            f"(raise {limits.max_bytes_name} if the feed really grew)")


def _attempts(resp: requests.Response | None, sess: requests.Session, url: str) -> int:
    """How many requests were made: urllib3 keeps the retry history on the raw response."""
    if resp is not None and getattr(resp.raw, "retries", None) is not None:
        return len(resp.raw.retries.history) + 1
    adapter = sess.get_adapter(url)
    return adapter.max_retries.total + 1 if isinstance(adapter, HTTPAdapter) else 1
