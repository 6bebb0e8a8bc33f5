"""The monthly 固体废物和污水管理信息系统 feed (``waste/YYYY-MM.csv``) for :class:`demo.feed_server.FeedServer`.

Months come from :func:`demo.waste_samples.generate`, so the same period always gives the same bytes; ``faults``
damages chosen months the way real deliveries go wrong (``{"2025-02": {"wrong_unit"}}``, the fault names of
:data:`demo.waste_samples.FAULTS`); ``unpublished`` months answer 404, as a month not yet delivered does. HTTP
faults (500s, delays, truncation) are the server's, keyed by ``waste/YYYY-MM.csv``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus

from demo import waste_samples

__all__ = ["NAME_PATTERN", "WastePublisher", "file_name"]

NAME_PATTERN = re.compile(r"waste/(\d{4}-(?:0[1-9]|1[0-2]))\.csv")


def file_name(period: str) -> str:
    """``2025-02`` -> ``waste/2025-02.csv``, the name the feed publishes a month under."""
    return f"waste/{period}.csv"


class WastePublisher:
    """``waste/YYYY-MM.csv`` for every month but the ``unpublished`` ones; 404 for any other name."""

    def __init__(self, faults: Mapping[str, Iterable[str]] | None = None, *, unpublished: Iterable[str] = ()) -> None:
        self.faults: dict[str, set[str]] = {period: set(kinds) for period, kinds in (faults or {}).items()}
        self.unpublished: set[str] = set(unpublished)
        for period, kinds in self.faults.items():
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
                raise ValueError(f"fault period {period!r} is not YYYY-MM")
            unknown = kinds - waste_samples.FAULTS
            if unknown:
                raise ValueError(f"unknown waste faults {sorted(unknown)} for {period}; known: "
                                 f"{', '.join(sorted(waste_samples.FAULTS))}")

    def respond(self, name: str) -> tuple[int, bytes, str]:
        match = NAME_PATTERN.fullmatch(name.lstrip("/"))
        if match is None:
            return HTTPStatus.NOT_FOUND, b"not a waste/YYYY-MM.csv name\n", "text/plain"
        period = match.group(1)
        if period in self.unpublished:
            return HTTPStatus.NOT_FOUND, b"not published\n", "text/plain"
        body = waste_samples.generate(period, faults=frozenset(self.faults.get(period, ())))
        return HTTPStatus.OK, body, "text/csv"  # no charset: the system does not say, even when it sends GBK

    def describe(self) -> str:
        faults = "; ".join(f"{p} {','.join(sorted(k))}" for p, k in sorted(self.faults.items()) if k) or "none"
        unpublished = ", ".join(sorted(self.unpublished)) or "none"
        return f"waste/YYYY-MM.csv: generated months (demo.waste_samples); faults: {faults}; unpublished: {unpublished}"
