"""Building blocks the integration tests share: real months of the waste feed, a department's real submission."""

from __future__ import annotations

import contextlib
from pathlib import Path

import openpyxl
import pytest

from demo.feed_server import FeedServer
from demo.waste_publisher import WastePublisher
from tasks.cli.commands import main as ecoflow
from tasks.core import settings
from tasks.core.errors import DeliveryError
from tasks.core.periods import Period
from tasks.flow import inbox, pipeline
from tasks.sources.submissions.template import ANNUAL_SHEET, FIRST_DATA_ROW, NOTE_COLUMN, VALUE_COLUMN


def land_waste_months(monkeypatch: pytest.MonkeyPatch, periods: list[str],
                      faults: dict[str, set[str]] | None = None, *, backfill: bool = False) -> None:
    """Run the waste months through a real loopback feed (alerts raised on the way are not what callers test).
    `backfill` runs the months before the last as `ecoflow run --through` does (values computed and evaluated the
    same; their digests not sent, their bulletins not written), for callers that look at values only."""
    with FeedServer(publisher=WastePublisher(faults)) as srv:
        monkeypatch.setenv("ECOFLOW_WASTE_FEED_URL", srv.url)
        for i, period in enumerate(periods):
            with contextlib.suppress(DeliveryError):
                pipeline.run(settings.load(), "waste", Period.parse(period),
                             history=backfill and i < len(periods) - 1)


def submit_forest_coverage(home: Path, period: str, value: float, note: str | None = None) -> inbox.InboxOutcome:
    """林草局 fills its template's 林草覆盖率 row (and 备注: an annual indicator, on the 年度指标 sheet) and drops it in
    the inbox, which ingests it."""
    assert ecoflow(["templates", "--period", period, "--department", "150100-lcj", "--out", str(home / "t")]) == 0
    wb = openpyxl.load_workbook(home / "t" / f"150100-lcj_{period}.xlsx")
    sheet = wb[ANNUAL_SHEET]
    row = next(r for r in range(FIRST_DATA_ROW, sheet.max_row + 1) if sheet[f"B{r}"].value == "forest_grass_coverage")
    sheet[f"{VALUE_COLUMN}{row}"] = value
    if note is not None:
        sheet[f"{NOTE_COLUMN}{row}"] = note
    settings.load().inbox_dir.mkdir(parents=True, exist_ok=True)
    wb.save(settings.load().inbox_dir / "lcj.xlsx")
    outcome, = inbox.process(settings.load(), settle=0)
    assert outcome.accepted, outcome.reason
    inbox.evaluate_accepted(settings.load(), [outcome])   # as `ecoflow inbox` and indicators_recompute do
    return outcome
