"""Explicit monthly periods: every run names its month; nothing reads the clock to decide what data to use."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tasks.core.errors import UsageError

TZ = ZoneInfo("Asia/Shanghai")
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match(text.strip()) if isinstance(text, str) else None
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise UsageError(f"period {text!r} is not a month in the form YYYY-MM")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def previous_to(cls, moment: datetime) -> Period:
        """The month before `moment` in Asia/Shanghai (scheduled runs: derived from the data interval)."""
        local = moment.astimezone(TZ)
        first = local.date().replace(day=1) - timedelta(days=1)
        return cls(first.year, first.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.last_day.day)]

    @property
    def min_valid_days(self) -> int:
        """RULES.md §1.13: a month is complete with >= 27 valid days (February >= 25)."""
        return 25 if self.month == 2 else 27

    def months_of_year_to_date(self) -> list[Period]:
        return [Period(self.year, m) for m in range(1, self.month + 1)]

    def shift(self, months: int) -> Period:
        """The month `months` later (earlier when negative)."""
        index = self.year * 12 + self.month - 1 + months
        return Period(index // 12, index % 12 + 1)

    def months_of_rolling_12(self) -> list[Period]:
        """The twelve months ending with this one (RULES.md §4: the rolling 12 months)."""
        return [self.shift(-i) for i in range(11, -1, -1)]


def deadline(period: Period, frequency: str, day: int) -> date:
    """When the data of `period` is due: `day` of the next month; an annual value by `day` of the next January."""
    after = Period(period.year + 1, 1) if frequency == "annual" else period.shift(1)
    return date(after.year, after.month, day)
