"""Check a workbook before it is opened: an .xlsx is a zip, and a 3 MB one can inflate to gigabytes.

Read from the zip's directory and the first bytes of each sheet only (nothing is inflated whole): the total
inflated size, each member's inflation ratio and each sheet's declared dimension are held to the limits of
tasks.core.limits. A workbook over a limit is refused as a whole-file problem (ParseError) naming the member and the
limit, so the sender is told what to fix and the operator what to raise.
"""

from __future__ import annotations

import io
import re
import zipfile

from tasks.core import limits
from tasks.core.errors import ParseError

_DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?"')
_HEAD = 4096


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def check(name: str, content: bytes) -> None:
    """Raise ParseError when the workbook would take more memory to open than any real form needs."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        return  # not a zip at all: the reader says so in its own words
    with archive:
        members = archive.infolist()
        inflated = sum(m.file_size for m in members)
        if inflated > limits.workbook_max_inflated():
            raise ParseError(name, f"workbook inflates to {inflated:,} bytes, over the limit of "
                                   f"{limits.workbook_max_inflated():,} (ECOFLOW_XLSX_MAX_INFLATED); not opened")
        for member in members:
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > 2**20 and ratio > limits.workbook_max_ratio():
                raise ParseError(name, f"workbook member {member.filename} inflates {ratio:,.0f} times "
                                       f"({member.compress_size:,} -> {member.file_size:,} bytes), over the limit of "
                                       f"{limits.workbook_max_ratio():g} (ECOFLOW_XLSX_MAX_RATIO); not opened")
            if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
                _check_dimension(name, archive, member)


def _check_dimension(name: str, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    with archive.open(member) as sheet:
        head = sheet.read(_HEAD)
    found = _DIMENSION.search(head)
    if not found or not found.group(3):
        return
    rows = int(found.group(4)) - int(found.group(2)) + 1
    cols = _column_number(found.group(3)) - _column_number(found.group(1)) + 1
    if rows * cols > limits.workbook_max_cells():
        ref = found.group(0).split(b'"')[1].decode()
        raise ParseError(name, f"sheet {member.filename} declares {ref} ({rows:,} rows x {cols:,} columns), over "
                               f"the limit of {limits.workbook_max_cells():,} cells (ECOFLOW_XLSX_MAX_CELLS); "
                               "not opened")
