"""Loopback SMTP server that keeps every message, for the demo and tests of the alert e-mails.

Alerts are sent by the production SMTP code; this sink (aiosmtpd) accepts them on 127.0.0.1, writes each one
verbatim as an ``.eml`` file into an outbox folder (so a person can open the demo's mails) and keeps the
parsed :class:`email.message.EmailMessage` plus the envelope in memory (so tests can assert on subject, body
and recipients). Parsing uses ``email.policy.default`` so RFC 2047 / UTF-8 Chinese text decodes correctly.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import socket
import sys
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from aiosmtpd.controller import Controller

from demo.signals import wait_for_signal

# aiosmtpd logs every SMTP command at INFO on `mail.log`: once a library has set up logging (the demo imports
# tasks, which import Airflow's), that is hundreds of lines among what the demo prints
logging.getLogger("mail.log").setLevel(logging.WARNING)

__all__ = ["Received", "SmtpSink", "free_port", "main"]


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS considers free right now (bind to 0, read, close); aiosmtpd needs a concrete port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Received:
    """One accepted message: envelope, parsed message, and where its .eml was written."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    path: Path
    raw: bytes = field(repr=False)

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))


class _Handler:
    """aiosmtpd handler; runs on the controller's event-loop thread."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        self.sink._store(envelope.mail_from or "", list(envelope.rcpt_tos), raw)
        return "250 Message accepted for delivery"


class SmtpSink:
    """SMTP server on loopback in a background thread; use as a context manager.

    ``with SmtpSink(tmp_path / "outbox", port=0) as sink:`` send to ``("127.0.0.1", sink.port)``, then read
    ``sink.messages`` / ``sink.received`` or ``sink.wait_for(1)``.
    """

    def __init__(
        self, outbox_dir: str | Path, *, host: str = "127.0.0.1", port: int = 0, log_messages: bool = False
    ) -> None:
        self.outbox = Path(outbox_dir)
        self.host = host
        self._requested_port = port
        self.log_messages = log_messages
        self._cond = threading.Condition()
        self._received: list[Received] = []
        self._counter = itertools.count(1)
        self._tag = uuid.uuid4().hex[:8]  # keeps names unique when several sinks share one outbox
        self._controller: Controller | None = None
        self.port = port

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> SmtpSink:
        """Create the outbox, pick a port if 0 was asked, and start aiosmtpd's controller thread."""
        if self._controller is not None:
            return self
        self.outbox.mkdir(parents=True, exist_ok=True)
        # a restarted sink listens where it did before (a test can stop the server and bring it back)
        self.port = self._requested_port or self.port or free_port(self.host)
        # SMTPUTF8 lets clients send non-ASCII addresses/headers unencoded (smtplib send_message does so)
        self._controller = Controller(
            _Handler(self), hostname=self.host, port=self.port, enable_SMTPUTF8=True
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- results ---------------------------------------------------------------------------------------------
    @property
    def received(self) -> list[Received]:
        """Copy of everything accepted so far, in arrival order."""
        with self._cond:
            return list(self._received)

    @property
    def messages(self) -> list[EmailMessage]:
        """The parsed messages only (``policy.default``: ``msg["Subject"]`` is already decoded text)."""
        return [r.message for r in self.received]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Block until at least ``count`` messages arrived; raise TimeoutError otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._received) >= count, timeout=timeout):
                raise TimeoutError(f"expected {count} message(s), got {len(self._received)} in {timeout}s")
            return list(self._received)

    def _store(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> Received:
        message = cast(EmailMessage, message_from_bytes(raw, policy=policy.default))
        name = f"{datetime.now():%Y%m%dT%H%M%S_%f}-{self._tag}-{next(self._counter):04d}.eml"
        path = self.outbox / name
        tmp = path.with_suffix(".eml.part")
        tmp.write_bytes(raw)
        tmp.replace(path)  # readers of the outbox never see half a message
        rec = Received(mail_from, rcpt_tos, message, path, raw)
        with self._cond:
            self._received.append(rec)
            self._cond.notify_all()
        if self.log_messages:
            sys.stderr.write(f"{mail_from} -> {', '.join(rcpt_tos)}: {rec.subject!r} -> {path}\n")
        return rec


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m demo.smtp_sink --outbox DIR --port 8025``; Ctrl-C stops."""
    p = argparse.ArgumentParser(prog="python -m demo.smtp_sink", description="Loopback SMTP sink.")
    p.add_argument("--outbox", default="demo/outbox", help="folder receiving one .eml per message")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8025, help="0 = any free port")
    args = p.parse_args(argv)
    with SmtpSink(args.outbox, host=args.host, port=args.port, log_messages=True) as sink:
        sys.stderr.write(f"SMTP sink on {sink.host}:{sink.port}, writing to {sink.outbox}\n")
        try:
            wait_for_signal()
        except KeyboardInterrupt:
            sys.stderr.write("stopping\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
