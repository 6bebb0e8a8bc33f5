"""File names we create from names others chose: safe in any folder and within the file system's byte limit."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

MAX_BYTES = 120  # well under the usual 255-byte limit, leaving room for a time stamp and a digest in front


def safe_name(name: str, limit: int = MAX_BYTES) -> str:
    """Letters (any script), digits, `.`, `_` and `-` only, at most `limit` UTF-8 bytes, suffix kept.

    A department's official file name can run to 80 Chinese characters (240 bytes): cut by bytes, not characters.
    """
    base = unicodedata.normalize("NFC", Path(name.replace("\\", "/")).name)
    cleaned = re.sub(r"[^\w.\-]+", "_", base, flags=re.UNICODE).strip("._") or "file"
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot or len(suffix) > 5:
        stem, suffix = cleaned, ""
    room = limit - (len(suffix.encode()) + 1 if suffix else 0)
    stem = stem.encode()[:room].decode("utf-8", errors="ignore").rstrip("._") or "file"
    return f"{stem}.{suffix}" if suffix else stem


def readable_name(name: str) -> str:
    """A received file name as text that can be stored, printed and mailed, whatever bytes it was.

    On Linux a name is any bytes but NUL and `/`; Python hands bytes that are not UTF-8 over as lone surrogates,
    which no database, terminal or mail accepts. Those bytes are shown as `\\xNN`, control characters as `\\uNNNN`,
    so the name still tells one file from another and can be matched back to the bytes.
    """
    raw = os.fsencode(name)
    text = raw.decode("utf-8", errors="backslashreplace")
    return "".join(ch if ch.isprintable() or ch == " " else f"\\u{ord(ch):04x}" for ch in text)
