"""The batch ledger and the raw archive: bytes are archived with their sha256 before anything parses them."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from tasks.settings import Settings


@dataclass(frozen=True)
class Archived:
    batch_id: str
    sha256: str
    path: Path


def now() -> datetime:
    return datetime.now(UTC)


def new_run(con: duckdb.DuckDBPyConnection, source: str, period: str, trigger: str) -> str:
    run_id = f"{source}-{period}-{uuid.uuid4().hex[:10]}"
    con.execute("INSERT INTO meta.runs VALUES (?, ?, ?, ?, ?, NULL, 'running', NULL)",
                [run_id, source, period, trigger, now()])
    return run_id


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, message: str | None = None) -> None:
    con.execute("UPDATE meta.runs SET status = ?, finished_at = ?, message = ? WHERE run_id = ?",
                [status, now(), message, run_id])


def archive(settings: Settings, source: str, period: str, name: str, content: bytes) -> Archived:
    """Write the bytes as received; the file name carries the digest so nothing is ever overwritten."""
    digest = hashlib.sha256(content).hexdigest()
    folder = settings.archive_dir / source / period
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest[:16]}-{Path(name).name}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(content)
        tmp.replace(path)
    return Archived(f"{source}:{name}:{digest[:12]}", digest, path)


def record_attempt(con: duckdb.DuckDBPyConnection, *, run_id: str, source: str, period: str, file_name: str,
                   url: str, status: str, http_status: int | None, http_attempts: int,
                   archived: Archived | None, size: int | None, message: str | None) -> str:
    attempt_id = uuid.uuid4().hex
    con.execute(
        """INSERT INTO meta.batches (attempt_id, run_id, batch_id, source, period, file_name, url, status,
               http_status, http_attempts, sha256, size_bytes, archive_path, fetched_at, message)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [attempt_id, run_id, archived.batch_id if archived else None, source, period, file_name, url, status,
         http_status, http_attempts, archived.sha256 if archived else None, size,
         str(archived.path) if archived else None, now(), message],
    )
    return attempt_id


def update_attempt(con: duckdb.DuckDBPyConnection, attempt_id: str, **fields: object) -> None:
    allowed = {"status", "rows_in", "rows_landed", "rows_rejected", "rows_warned", "report_path", "message"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not ledger columns: {sorted(unknown)}")
    assignments = ", ".join(f"{name} = ?" for name in fields)  # names from the allowlist above
    con.execute(f"UPDATE meta.batches SET {assignments} WHERE attempt_id = ?", [*fields.values(), attempt_id])


def attempts_of_run(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict]:
    cur = con.execute(
        """SELECT attempt_id, batch_id, file_name, status, archive_path, url, http_status
           FROM meta.batches WHERE run_id = ? ORDER BY file_name""", [run_id])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
