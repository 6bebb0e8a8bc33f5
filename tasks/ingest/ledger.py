"""The batch ledger and the raw archive: bytes are archived with their sha256 before anything parses them."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from tasks.core import sql
from tasks.core.filenames import safe_name
from tasks.core.settings import Settings


@dataclass(frozen=True)
class Archived:
    batch_id: str
    sha256: str
    path: Path


def now() -> datetime:
    return datetime.now(UTC)


def new_run(con: duckdb.DuckDBPyConnection, source: str, period: str, trigger: str) -> str:
    run_id = f"{source}-{period}-{uuid.uuid4().hex[:10]}"
    con.execute(sql.load("queries/ledger_new_run"),
                {"run_id": run_id, "source": source, "period": period, "trigger": trigger, "now": now()})
    return run_id


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, message: str | None = None) -> None:
    con.execute(sql.load("queries/ledger_finish_run"),
                {"status": status, "now": now(), "message": message, "run_id": run_id})


def archive(settings: Settings, source: str, period: str, name: str, content: bytes) -> Archived:
    """Write the bytes as received; the file name carries the digest so nothing is ever overwritten."""
    digest = hashlib.sha256(content).hexdigest()
    folder = settings.archive_dir / source / period
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest[:16]}-{safe_name(name)}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        try:
            tmp.write_bytes(content)
            tmp.replace(path)
        except OSError:
            tmp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind, only the error
            raise
    # the batch id names the file too; it becomes a folder name in the validation reports, so it is bounded
    return Archived(f"{source}:{safe_name(name, 80)}:{digest[:12]}", digest, path)


def archive_received(settings: Settings, source: str, period: str, name: str, part: Path, digest: str) -> Archived:
    """Give a body streamed to a temporary file (tasks.ingest.http) its archive name by renaming it: the archive only
    ever holds whole files. The same bytes received again keep the first copy."""
    path = settings.archive_dir / source / period / f"{digest[:16]}-{safe_name(name)}"
    if path.exists():
        part.unlink(missing_ok=True)
    else:
        part.replace(path)
    return Archived(f"{source}:{safe_name(name, 80)}:{digest[:12]}", digest, path)


def record_attempt(con: duckdb.DuckDBPyConnection, *, run_id: str, source: str, period: str, file_name: str,
                   url: str, status: str, http_status: int | None, http_attempts: int,
                   archived: Archived | None, size: int | None, message: str | None) -> str:
    attempt_id = uuid.uuid4().hex
    con.execute(sql.load("queries/ledger_record_attempt"), {
        "attempt_id": attempt_id, "run_id": run_id, "batch_id": archived.batch_id if archived else None,
        "source": source, "period": period, "file_name": file_name, "url": url, "status": status,
        "http_status": http_status, "http_attempts": http_attempts, "sha256": archived.sha256 if archived else None,
        "size_bytes": size, "archive_path": str(archived.path) if archived else None, "now": now(),
        "message": message})
    return attempt_id


def record_local_file(con: duckdb.DuckDBPyConnection, settings: Settings, *, run_id: str, source: str, period: str,
                      name: str, path: Path, content: bytes) -> Archived:
    """A delivery that arrived as a file (a replayed response, an inbox file): archived and recorded like a fetch.
    `content` is the bytes the caller already read (and hashed), so what is archived is what was looked at."""
    archived = archive(settings, source, period, name, content)
    record_attempt(con, run_id=run_id, source=source, period=period, file_name=name,
                   url=path.resolve().as_uri(), status="fetched", http_status=None, http_attempts=0,
                   archived=archived, size=len(content), message=None)
    return archived


_ATTEMPT_FIELDS = ("status", "rows_in", "rows_landed", "rows_rejected", "rows_warned", "report_path", "message")


def update_attempt(con: duckdb.DuckDBPyConnection, attempt_id: str, **fields: object) -> None:
    """Set some of a file attempt's fields; the others keep their stored values."""
    unknown = set(fields) - set(_ATTEMPT_FIELDS)
    if unknown:
        raise ValueError(f"not ledger columns: {sorted(unknown)}")
    con.execute(sql.load("queries/ledger_update_attempt"),
                {"attempt_id": attempt_id, **{name: fields.get(name) for name in _ATTEMPT_FIELDS}})


def attempts_of_run(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict]:
    cur = con.execute(sql.load("queries/ledger_attempts_of_run"), {"run_id": run_id})
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
