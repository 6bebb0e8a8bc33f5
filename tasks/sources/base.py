"""The one interface every source adapter implements: which files make a period, and how to parse one.

Adapters fetch nothing themselves and validate nothing: the shared fetcher, validation runner and loader
do that, configured by the attributes below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from tasks.core.periods import Period


@dataclass(frozen=True)
class RemoteFile:
    name: str          # file name as published, e.g. china_sites_20190101.csv
    path: str          # path relative to the feed's base URL
    #: A form to POST instead of a GET, asking for page 1 of a paged answer (the water platform's getRealDatas):
    #: the fetcher follows the answer's `total` pages (tasks.ingest.fetch.fetch_pages).
    form: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class RowIssue:
    """A problem found while parsing, before validation (e.g. a row cut off mid-line)."""

    source_line: int | None   # None: the file as a whole
    rule: str
    reason: str
    record: str
    column_name: str | None = None
    value_text: str | None = None
    severity: str = "error"     # error: the line is not landed; warning: reported only
    values_lost: int = 1        # how many values the line held (a wide air line holds one per station)


@dataclass
class Parsed:
    """Tidy rows of one file plus the lines they came from (to quote a rejected row whole)."""

    rows: pd.DataFrame
    issues: list[RowIssue] = field(default_factory=list)
    lines: dict[int, str] = field(default_factory=dict)


class SourceAdapter(Protocol):
    name: str               # registry key and ledger source, e.g. "air"
    title: str              # for messages and emails
    suite: str              # expectations/<suite>.json
    raw_table: str          # where landed rows go; replaced per period
    row_key: str            # unique row id column of the tidy frame (GX unexpected_index_column_names)
    column_key: str         # tidy column naming the source file's column a value came from (for quarantine)
    replace_key: str        # file_name: a file's new delivery replaces its rows; batch_id: every batch is kept

    def files(self, period: Period) -> list[RemoteFile]:
        """Every file that makes up the period."""

    def parse(self, name: str, content: bytes) -> Parsed:
        """Bytes as received -> tidy rows; raises ParseError only when the whole file is unusable."""

    def expectation_parameters(self, con: duckdb.DuckDBPyConnection, name: str, *, rows: pd.DataFrame | None = None,
                               period: str | None = None) -> dict[str, Any]:
        """Values the suite refers to with $PARAMETER (known codes, the file's date, the run's period, ...)."""

    # Optional: `prepare(con, rows) -> rows` adds catalogue facts the suite checks (e.g. the expected unit), and
    # `max_bad_share: float` overrides ECOFLOW_MAX_BAD_SHARE (0 = any error-severity finding stops the file).
    # `natural_key: tuple[str, ...]` (raw table columns) lets a steward's correction replace the rows it names.

    def landing_frame(self, good: pd.DataFrame, *, batch_id: str, period: str, file_name: str) -> pd.DataFrame:
        """Rows that passed, shaped as the columns of raw_table."""


class InboxForm:
    """What every department form delivered through the inbox shares: never fetched, one row per cell, each
    delivery kept as its own batch (history), all or nothing (a form with a bad cell is sent back whole)."""
    row_key = "row_id"
    column_key = "cell"
    replace_key = "batch_id"
    max_bad_share = 0.0
    not_fetched, dropped = "forms are not fetched", "them"   # each form says what it is
    #: The sheet that makes an .xlsx this form; None: the inbox's catch-all, any file no other form claims
    marker_sheet: str | None = None

    def identify(self, name: str, content: bytes) -> tuple[str | None, str | None]:
        """(department code, period) as the file states them; ParseError when it cannot be read."""
        raise NotImplementedError

    def files(self, period: Period) -> list[RemoteFile]:
        from tasks.core.errors import UsageError

        raise UsageError(f"{self.not_fetched}: departments drop {self.dropped} in the inbox (`ecoflow inbox`)")


def landed_rows(good: pd.DataFrame, *, batch_id: str, period: str, file_name: str, **columns: Any) -> pd.DataFrame:
    """A raw table's rows: the ledger columns every raw table starts with (batch, period, file, source line),
    then the source's own columns in the table's order."""
    import numpy as np
    import pandas as pd

    def same(value: str) -> pd.Categorical:  # one text for every row: a code per row, not a string per row
        return pd.Categorical.from_codes(np.zeros(len(good), dtype="int8"), [value])

    return pd.DataFrame({"batch_id": same(batch_id), "period": same(period), "file_name": same(file_name),
                         "source_line": good["source_line"].astype("int32").to_numpy(), **columns})
