"""The submissions inbox: each file dropped there is identified, validated, landed or rejected, moved, answered.

One file = one delivery through the same ledger, archive, validation runner and loader as the feeds. Department
and period come from the file's content. A file is never deleted: it moves to processed/<period>/ or rejected/
under a safe name (arrival time, digest, cleaned original name), and every step is recorded in meta.inbox_files.
A reply that cannot be sent stays pending and goes out on a later run.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tasks.core import limits, sql
from tasks.core.errors import EcoflowError, ParseError, ValidationFailed
from tasks.core.filenames import readable_name, safe_name
from tasks.core.periods import TZ, Period
from tasks.core.settings import Settings
from tasks.flow import pipeline
from tasks.flow.run import Run
from tasks.flow.warehouse import writer
from tasks.ingest import ledger
from tasks.review import receipts
from tasks.sources import get as source_adapter
from tasks.sources import spec
from tasks.sources.base import InboxForm

SOURCE = "submissions"
SUFFIXES = (".xlsx", ".csv")
#: Editors' lock and temp files and desktop clutter: not deliveries (Excel ~$x.xlsx, LibreOffice .~lock.x#,
#: partial copies, .DS_Store, Thumbs.db). Any other name, however odd, is processed.
_IGNORED = re.compile(r"^(~\$|\.~lock\.)|\.(part|tmp|crdownload)$|^(\.DS_Store|Thumbs\.db|desktop\.ini)$",
                      re.IGNORECASE)
SETTLE_SECONDS = float(os.environ.get("ECOFLOW_INBOX_SETTLE_SECONDS", "5"))


@dataclass
class InboxOutcome:
    received_name: str
    accepted: bool
    department_code: str | None
    period: str | None
    moved_to: Path
    reason: str | None = None
    run_id: str | None = None
    batch_id: str | None = None
    reply_status: str = "none"
    reply_to: list[str] = field(default_factory=list)
    source: str = SOURCE   # the inbox source the file was read as (tasks.sources.spec)


def pending_files(settings: Settings, settle: float = SETTLE_SECONDS) -> list[Path]:
    """Files waiting in the inbox, oldest first (a correction dropped after its original lands after it)."""
    folder = settings.inbox_dir
    if not folder.is_dir():
        return []
    now = time.time()
    found = [p for p in folder.iterdir()
             if p.is_file() and not p.is_symlink() and not _IGNORED.search(p.name)
             and now - p.stat().st_mtime >= settle]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def process(settings: Settings, trigger: str = "cli", settle: float = SETTLE_SECONDS) -> list[InboxOutcome]:
    """Ingest every settled file in the inbox, then send the replies still pending (from this run or earlier).

    One file failing in an unexpected way never stops the others or the replies: it is set aside in rejected/
    with the error recorded (the bureau is told), and the run raises at the end so the operator sees it.
    """
    settings.ensure_dirs()
    outcomes, broken = [], []
    for path in pending_files(settings, settle):
        try:
            outcomes.append(process_file(settings, path, trigger))
        except Exception as exc:  # noqa: BLE001 - any failure of one file: set it aside, go on with the next
            broken.append(f"{path.name}: {type(exc).__name__}: {exc}")
            outcomes.append(_set_aside(settings, path, exc))
    with writer(settings) as con:
        sent = receipts.deliver_pending(con, settings)
    for outcome in outcomes:
        outcome.reply_status, outcome.reply_to = sent.get(outcome.received_name, (outcome.reply_status, []))
    if broken:
        raise EcoflowError(f"{len(broken)} inbox file(s) could not be processed and were set aside in "
                           f"{settings.inbox_dir / 'rejected'}: " + "; ".join(broken[:3]))
    return outcomes


def changed_periods(outcomes: list[InboxOutcome]) -> list[Period]:
    """The months whose indicator values a pass changed: those of its accepted files of a source that feeds
    indicators (a file sent back changes nothing; a key projects' sheet feeds the digests and the quarterly
    assessment, not indicators). The inbox DAG names them in the submissions Asset's event; `ecoflow inbox`
    refreshes them itself."""
    return sorted({Period.parse(o.period) for o in outcomes
                   if o.accepted and o.period and spec.spec(o.source).feeds_indicators})


def evaluate_accepted(settings: Settings, outcomes: list[InboxOutcome]) -> list[Period]:
    """Evaluate, once, the months the accepted files changed (and the months after them), without alerts or
    bulletins (what tests need of a pass; `refresh_accepted` is the whole tail)."""
    return pipeline.evaluate(settings, changed_periods(outcomes))


def refresh_accepted(settings: Settings, outcomes: list[InboxOutcome]) -> dict | None:
    """What indicators_recompute does when the submissions Asset names a pass's months: evaluate them (and the
    months after), apply the alert rules sending only new 进度预警 (a delivery, not the monthly dispatch), write
    their bulletins. None when no month changed."""
    periods = changed_periods(outcomes)
    return pipeline.refresh(settings, periods, dispatch=False) if periods else None


def process_file(settings: Settings, path: Path, trigger: str = "cli") -> InboxOutcome:
    """One file: identify -> (run, archive, validate, land, compute) -> record -> move -> reply queued. The month's
    evaluation follows once for all the files of a pass (tasks.flow.pipeline.evaluate)."""
    name = readable_name(path.name)   # any bytes as a name: stored, printed and mailed as text
    source = SOURCE
    received = datetime.now(UTC)
    cap = limits.max_bytes(SOURCE)
    size = path.stat().st_size
    content = path.read_bytes() if size <= cap else None   # an oversized file is kept as it is, never read
    digest = hashlib.sha256(content).hexdigest() if content is not None else _file_digest(path)
    department = period = reason = run_id = batch_id = None
    accepted = False
    if content is None:
        reason = (f"文件过大：{size:,} 字节，超过上限 {cap:,} 字节（{limits.max_bytes_name(SOURCE)}）；未读取"
                  f"（file larger than the cap; not read）")
    elif path.suffix.lower() not in SUFFIXES:
        reason = f"unsupported file type {path.suffix or '(none)'!r}: send the .xlsx template or a .csv export"
    else:
        try:
            form = form_of(name, content)
            source = form.name
            department, period = form.identify(name, content)
            reason = _identification_problem(settings, department, period)
        except ParseError as exc:
            reason = str(exc)
    if reason is None:
        run = pipeline.start(settings, source, Period.parse(period), trigger)
        run_id, batch_id, reason = run.run_id, *_land(run, path, name, content)
        accepted = reason is None
    target = _destination(settings, path, received, digest, accepted, period)
    _record(settings, name, content, digest, received, target, department=department, period=period,
            run_id=run_id, batch_id=batch_id, accepted=accepted, reason=reason, size=size)
    os.replace(path, target)  # after the record: a crash in between leaves the file to be processed again
    return InboxOutcome(name, accepted, department, period, target, reason, run_id, batch_id, "pending",
                        source=source)


def form_of(name: str, content: bytes) -> InboxForm:
    """The inbox source a file belongs to: the first form whose marker sheet it has, else the catch-all (the
    indicator submission). Every inbox-mode source of the spec takes part; none is named here."""
    from tasks.sources.submissions.workbook import sheet_names

    forms = [f for f in (source_adapter(n) for n in spec.names("inbox")) if isinstance(f, InboxForm)]
    sheets = set(sheet_names(name, content))   # read once, whatever the number of forms
    return next((f for f in forms if f.marker_sheet in sheets),
                next(f for f in forms if f.marker_sheet is None))


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def _record(settings: Settings, name: str, content: bytes | None, digest: str, received: datetime, target: Path,
            *, department: str | None, period: str | None, run_id: str | None, batch_id: str | None,
            accepted: bool, reason: str | None, size: int | None = None) -> None:
    with writer(settings) as con:
        if batch_id is None and content is not None:  # never identified or never archived: keep the bytes anyway
            ledger.archive(settings, SOURCE, "unidentified", name, content)
        con.execute(sql.load("queries/inbox_record"), {
            "file_id": uuid.uuid4().hex, "received_name": name, "sha256": digest,
            "size": len(content) if content is not None else size,
            "received_at": received, "department_code": department, "period": period, "run_id": run_id,
            "batch_id": batch_id, "outcome": "accepted" if accepted else "rejected",
            "reason": reason.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace") if reason else None,
            "moved_to": str(target)})


def _set_aside(settings: Settings, path: Path, exc: Exception) -> InboxOutcome:
    """A file whose processing failed unexpectedly: out of the way into rejected/, recorded, the bureau told."""
    received = datetime.now(UTC)
    size = path.stat().st_size if path.exists() else 0
    content = path.read_bytes() if path.exists() and size <= limits.max_bytes(SOURCE) else None
    digest = hashlib.sha256(content).hexdigest() if content is not None else _file_digest(path) if size else ""
    target = _destination(settings, path, received, digest, False, None)
    reason = f"内部错误，已转数据管理员处理（internal error {type(exc).__name__}: {exc}）"
    name = readable_name(path.name)
    try:
        _record(settings, name, content, digest, received, target, department=None, period=None, run_id=None,
                batch_id=None, accepted=False, reason=reason, size=size)
    finally:
        if path.exists():
            os.replace(path, target)
    return InboxOutcome(name, False, None, None, target, reason)


def _identification_problem(settings: Settings, department: str | None, period: str | None) -> str | None:
    if not department:
        return "no 部门编码 (department code) found in the file"
    try:
        Period.parse(period or "")
    except EcoflowError:
        return f"期别 (period) {period!r} is not a month in the form YYYY-MM"
    with writer(settings) as con:
        known = con.execute(sql.load("queries/department_known"), {"department_code": department}).fetchall()
    if not known:
        return f"unknown department code {department!r} (not in warehouse/catalogue/departments.csv)"
    return None


def _land(run: Run, path: Path, name: str, content: bytes) -> tuple[str | None, str | None]:
    """Archive and land through the shared loader, then compute; returns (batch id, rejection reason or None)."""
    try:
        batch_id, _ = pipeline.ingest_file(run, name, path, content)
    except (ValidationFailed, ParseError) as exc:  # the run is marked failed with the reason by the pipeline
        return getattr(exc, "batch_id", None), _reject_reason(exc)
    pipeline.compute(run)   # evaluated by whoever takes the months on (indicators_recompute, `ecoflow inbox`)
    return batch_id, None


def _reject_reason(exc: EcoflowError) -> str:
    if isinstance(exc, ValidationFailed):
        return f"{exc.bad} 个单元格未通过校验，本文件数据均未入库（{exc.bad} cell(s) fail the checks; nothing taken）"
    return str(exc)


def _destination(settings: Settings, path: Path, received: datetime, digest: str, accepted: bool,
                 period: str | None) -> Path:
    """Where the file goes: processed/<period>/ or rejected/, with time and digest in a safe name; never an
    existing file."""
    folder = settings.inbox_dir / ("processed" if accepted else "rejected")
    if accepted and period:
        folder = folder / period
    folder.mkdir(parents=True, exist_ok=True)
    stamp = received.astimezone(TZ).strftime("%Y%m%dT%H%M%S")
    target = folder / f"{stamp}-{digest[:8]}-{safe_name(path.name)}"
    n = 1
    while target.exists():
        target = target.with_name(f"{stamp}-{digest[:8]}-{n}-{safe_name(path.name)}")
        n += 1
    return target
