"""HTTP fetching for feeds: timeouts, retries with backoff on connection errors and 5xx, 404 = not published.

POST is retried like GET: the only POST a feed needs (the water platform's `getRealDatas` query) reads and
changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RETRY_STATUSES = (500, 502, 503, 504)


@dataclass(frozen=True)
class Response:
    url: str
    status: int | None          # None when no answer came at all
    content: bytes | None
    attempts: int
    error: str | None = None


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


def get(sess: requests.Session, url: str, *, timeout: float, auth: tuple[str, str] | None = None) -> Response:
    """GET one URL; transport failures become a Response with an error instead of an exception."""
    return _request(sess, "GET", url, None, timeout=timeout, auth=auth)


def post(sess: requests.Session, url: str, form: dict[str, str], *, timeout: float,
         auth: tuple[str, str] | None = None) -> Response:
    """POST a form (application/x-www-form-urlencoded), as `get` does a GET."""
    return _request(sess, "POST", url, form, timeout=timeout, auth=auth)


def _request(sess: requests.Session, method: str, url: str, form: dict[str, str] | None, *, timeout: float,
             auth: tuple[str, str] | None) -> Response:
    try:
        resp = sess.request(method, url, data=form, timeout=timeout, auth=auth)
    except requests.RequestException as exc:
        return Response(url, None, None, _attempts(None, sess, url), f"{type(exc).__name__}: {exc}")
    attempts = _attempts(resp, sess, url)
    if resp.status_code in RETRY_STATUSES:
        return Response(url, resp.status_code, None, attempts, f"HTTP {resp.status_code} after {attempts} tries")
    return Response(url, resp.status_code, resp.content if resp.status_code == 200 else None, attempts)


def _attempts(resp: requests.Response | None, sess: requests.Session, url: str) -> int:
    """How many requests were made: urllib3 keeps the retry history on the raw response."""
    if resp is not None and getattr(resp.raw, "retries", None) is not None:
        return len(resp.raw.retries.history) + 1
    adapter = sess.get_adapter(url)
    return adapter.max_retries.total + 1 if isinstance(adapter, HTTPAdapter) else 1
