"""What the department forms delivered as .xlsx share: which sheets a file has (to tell the forms apart without
loading it twice), opening it once, and a cell as the text a person typed."""

from __future__ import annotations

import io
import math
import warnings
from pathlib import PurePosixPath
from typing import Any

from tasks.core.errors import ParseError


def sheet_names(name: str, content: bytes) -> list[str]:
    """The sheet names of an .xlsx (from xl/workbook.xml, without loading the workbook); [] for anything else."""
    import zipfile
    from xml.etree import ElementTree

    if PurePosixPath(name.strip().replace("\\", "/")).suffix.lower() != ".xlsx" or not content.startswith(b"PK"):
        return []
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            root = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return []
    return [e.get("name") for e in root.iter() if e.tag.endswith("}sheet") and e.get("name")]


def open_workbook(name: str, content: bytes):  # noqa: ANN201 - openpyxl types are imported lazily
    """The workbook with cached values (a formula reads as its result), checked by the workbook guard before it
    is opened (a zip bomb or a sheet declaring a million rows is refused unopened); a ParseError names the file."""
    import zipfile

    from openpyxl import load_workbook

    from tasks.sources import workbook_guard

    if not content.startswith(b"PK"):
        raise ParseError(name, f"not an .xlsx (not a zip archive; starts with {content[:8]!r})")
    workbook_guard.check(name, content)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # "Data Validation extension is not supported" and friends
            return load_workbook(io.BytesIO(content), data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ParseError(name, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # openpyxl raises many kinds on damaged XML; all mean the same to the sender
        raise ParseError(name, f"damaged .xlsx workbook ({type(exc).__name__}: {exc})") from exc


def text_of(value: Any) -> str:
    """A cell as text: empty for None, 12 for 12.0."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)
