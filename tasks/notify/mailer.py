"""SMTP delivery configured like Airflow's SMTP connection (host, port, login, password and the extras
`from_email`, `disable_ssl`, `disable_tls`, `timeout`), read from the connection ECOFLOW_SMTP_CONN_ID
(default `ecoflow_smtp`; e.g. AIRFLOW_CONN_ECOFLOW_SMTP='smtp://user:pw@host:465?from_email=...' for SSL,
or '...@host:587?disable_ssl=true&from_email=...' for STARTTLS).

The provider's SmtpHook.send_email_smtp builds HTML-only messages; alerts need text + HTML alternatives,
so we read the same connection and send the message with smtplib ourselves.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from tasks.core import connections
from tasks.core.errors import DeliveryError
from tasks.core.settings import Settings


def _flag(extra: dict, name: str) -> bool:
    return str(extra.get(name, "false")).lower() in ("1", "true", "yes")


@dataclass
class Transport:
    client: smtplib.SMTP
    sender: str

    def send(self, msg: EmailMessage) -> dict[str, tuple[int, bytes]]:
        """Send; returns the recipients the server refused while accepting others (the mail went out, so it is
        not sent again — resending would repeat it to everyone who got it). All refused raises DeliveryError."""
        try:
            return self.client.send_message(msg)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP send failed: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        try:
            self.client.quit()
        except (smtplib.SMTPException, OSError):
            self.client.close()


def connect(settings: Settings) -> Transport:
    try:
        conn = connections.get_connection(settings.smtp_conn_id)
    except Exception as exc:  # noqa: BLE001 - any lookup failure means "not configured"
        raise DeliveryError(f"SMTP connection {settings.smtp_conn_id!r} is not configured "
                            f"({type(exc).__name__}); set AIRFLOW_CONN_{settings.smtp_conn_id.upper()}") from exc
    extra = conn.extra_dejson or {}
    sender = extra.get("from_email") or conn.login
    if not sender:
        raise DeliveryError(f"SMTP connection {settings.smtp_conn_id!r} has no from_email (or login)")
    timeout = float(extra.get("timeout", 30))
    host, port = conn.host or "localhost", conn.port
    try:
        if _flag(extra, "disable_ssl"):
            client = smtplib.SMTP(host, port or 587, timeout=timeout)
            if not _flag(extra, "disable_tls"):
                client.starttls(context=ssl.create_default_context())
        else:
            client = smtplib.SMTP_SSL(host, port or 465, timeout=timeout, context=ssl.create_default_context())
        if conn.login and conn.password:
            client.login(conn.login, conn.password)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"cannot reach SMTP server {host}:{port}: {type(exc).__name__}: {exc}") from exc
    return Transport(client, sender)
