"""Hostile servers on loopback for the fault suite: bodies that trickle, bodies that never end, bytes as given, an
SMTP server that refuses everyone. (demo/feed_server.py serves the well-behaved feed and its simple faults.)"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class BytesPublisher:
    """A demo.feed_server publisher serving exactly the given bytes per name (404 for any other name)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def respond(self, name: str) -> tuple[int, bytes, str]:
        body = self.files.get(name.lstrip("/"))
        return (HTTPStatus.OK, body, "text/csv") if body is not None else (HTTPStatus.NOT_FOUND, b"", "text/plain")

    def describe(self) -> str:
        return f"{len(self.files)} fixed file(s)"


Behaviour = Callable[[BaseHTTPRequestHandler], None]


class HostileServer:
    """HTTP on loopback: `behaviours[name]` answers a GET of that name itself; any other name is 404."""

    def __init__(self, behaviours: dict[str, Behaviour]) -> None:
        self.behaviours = behaviours
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                act = outer.behaviours.get(self.path.lstrip("/"))
                if act is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up, rightly
                    act(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True

    def __enter__(self) -> HostileServer:
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


def trickle(body: bytes, rate: float) -> Behaviour:
    """Send `body` at `rate` bytes per second (each write well inside any per-read timeout)."""
    def act(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        step = max(1, int(rate / 10))
        for i in range(0, len(body), step):
            h.wfile.write(body[i:i + step])
            h.wfile.flush()
            time.sleep(0.1)
    return act


def endless(line: bytes, total: int, *, declare: bool = False) -> Behaviour:
    """A body of `total` bytes of CSV-shaped junk, sent fast; `declare` gives its Content-Length up front."""
    def act(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        if declare:
            h.send_header("Content-Length", str(total))
        h.end_headers()
        block = line * max(1, 65536 // len(line))
        sent = 0
        while sent < total:
            h.wfile.write(block)
            sent += len(block)
    return act


class RefusingSmtp:
    """An SMTP server that answers every connection with 554 and hangs up."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()

    def __enter__(self) -> RefusingSmtp:
        def serve() -> None:
            self.sock.settimeout(0.1)
            while not self.stop.is_set():
                try:
                    conn, _ = self.sock.accept()
                except OSError:
                    continue
                with conn:
                    conn.sendall(b"554 5.7.1 no service for you\r\n")
        threading.Thread(target=serve, daemon=True).start()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop.set()
        self.sock.close()
