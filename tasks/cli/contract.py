"""The CLI's contract with scripts: with `--json` stdout carries only JSON; a malformed argument is one line, exit 2.

Kept apart from tasks/cli/commands.py so that the subcommands (which other modules add) get it without doing anything:
the checks look at the parsed namespace, and the JSON filter at what a command printed.
"""

from __future__ import annotations

import argparse
import errno
import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from datetime import datetime

EXIT_ERROR = 2
#: Arguments that are times: a malformed one is refused before anything runs.
_TIMES = ("as_of",)


def args_problem(args: argparse.Namespace) -> str | None:
    """What is malformed in the parsed arguments (None: nothing): an empty or blank value, a control character,
    a period that is not YYYY-MM, a time that is not ISO 8601."""
    for dest, value in sorted(vars(args).items()):
        for text in value if isinstance(value, list) else [value]:
            if not isinstance(text, str):
                continue
            flag = "--" + dest.replace("_", "-")
            if not text.strip():
                return f"argument {flag}: an empty value is not allowed"
            if any(ord(ch) < 32 and ch not in "\t\n" for ch in text):
                return f"argument {flag}: {text!r} holds a control character"
    period = getattr(args, "period", None)
    if isinstance(period, str):
        from tasks.core.errors import UsageError
        from tasks.core.periods import Period

        try:
            Period.parse(period)
        except UsageError as exc:
            return f"argument --period: {exc}"
    for dest in _TIMES:
        value = getattr(args, dest, None)
        if isinstance(value, str):
            try:
                datetime.fromisoformat(value)
            except ValueError:
                return f"argument --{dest.replace('_', '-')}: {value!r} is not a date or time like 2020-05-08T16:00"
    return None


@contextmanager
def json_only_stdout() -> Iterator[None]:
    """Run a command whose stdout must be JSON only: what it prints is held, the JSON documents go to stdout and
    every other line (a library's log line, a human summary printed beside the JSON) goes to stderr."""
    real_out, held = sys.stdout, io.StringIO()
    try:
        with redirect_stdout(held):
            yield
    finally:
        documents, other = split_json(held.getvalue())
        if other:
            sys.stderr.write(other)
        for doc in documents:
            real_out.write(doc + "\n")
        real_out.flush()


def split_json(text: str) -> tuple[list[str], str]:
    """(the JSON documents, each starting at the start of a line, ending its line; everything else)."""
    decoder = json.JSONDecoder()
    documents: list[str] = []
    other: list[str] = []
    pos = 0
    while pos < len(text):
        end_of_line = text.find("\n", pos)
        end_of_line = len(text) if end_of_line < 0 else end_of_line + 1
        if text[pos] in "[{":
            try:
                _, end = decoder.raw_decode(text, pos)
            except ValueError:
                end = -1
            if end > 0 and not text[end:text.find("\n", end) if "\n" in text[end:] else len(text)].strip():
                documents.append(text[pos:end])
                pos = end
                pos = pos + 1 if text[pos:pos + 1] == "\n" else pos
                continue
        other.append(text[pos:end_of_line])
        pos = end_of_line
    return documents, "".join(other)


_OS_ERRORS = {errno.ENOSPC: "磁盘已满 (no space left on device)", errno.EDQUOT: "磁盘配额已满 (disk quota exceeded)",
              errno.EROFS: "只读文件系统 (read-only file system)", errno.EACCES: "无写入权限 (permission denied)",
              errno.EPERM: "不允许的操作 (operation not permitted)", errno.EFBIG: "文件超过大小限制 (file too large)"}


def os_error_line(exc: OSError, home: str | None = None) -> str:
    """An operating-system error as one line naming what happened and where (never a traceback). A write error
    carries no file name: then `home`, the folder everything is written under, is named."""
    what = _OS_ERRORS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f) or (
        f"a file under {home} (the operating system did not say which)" if home else "(path not reported)")
    code = errno.errorcode.get(exc.errno or 0, "OSError")
    return f"[{code}] {what}: {where}; nothing was half-written (an interrupted step leaves the previous state)"
