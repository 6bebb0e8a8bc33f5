"""GB 3095 grade II limits by the date of the data (RULES.md §1 rule 14).

GB 3095-2026 replaced GB 3095-2012 on 2026-03-01 with transition limits until 2030-12-31 and final limits from
2031-01-01; a period is judged against the limits in force on its days, never on the run date. City evaluation
uses grade II. Units: µg/m³, CO mg/m³. Values: reference/standards.md §3.1.
"""

from __future__ import annotations

import datetime
from types import MappingProxyType
from typing import Literal

LimitsVersion = Literal["GB3095-2012", "GB3095-2026-transition", "GB3095-2026-final"]

TRANSITION_FROM = datetime.date(2026, 3, 1)
FINAL_FROM = datetime.date(2031, 1, 1)

_GB3095_2012 = MappingProxyType(
    {
        "SO2_annual": 60,
        "SO2_24h": 150,
        "SO2_1h": 500,
        "NO2_annual": 40,
        "NO2_24h": 80,
        "NO2_1h": 200,
        "CO_24h": 4,
        "CO_1h": 10,
        "O3_8h": 160,
        "O3_1h": 200,
        "PM10_annual": 70,
        "PM10_24h": 150,
        "PM2.5_annual": 35,
        "PM2.5_24h": 75,
    }
)

GRADE2_LIMITS: MappingProxyType[str, MappingProxyType[str, int]] = MappingProxyType(
    {
        "GB3095-2012": _GB3095_2012,
        # Only the particulate limits change in the transition stage.
        "GB3095-2026-transition": MappingProxyType(
            {**_GB3095_2012, "PM10_annual": 60, "PM10_24h": 120, "PM2.5_annual": 30, "PM2.5_24h": 60}
        ),
        "GB3095-2026-final": MappingProxyType(
            {
                **_GB3095_2012,
                "SO2_annual": 20,
                "SO2_24h": 50,
                "SO2_1h": 150,
                "NO2_annual": 30,
                "NO2_24h": 50,
                "PM10_annual": 50,
                "PM10_24h": 100,
                "PM2.5_annual": 25,
                "PM2.5_24h": 50,
            }
        ),
    }
)


def limits_version(day: datetime.date) -> LimitsVersion:
    """Which GB 3095 limit set is in force on the date of the data."""
    if isinstance(day, datetime.datetime):
        day = day.date()
    if day < TRANSITION_FROM:
        return "GB3095-2012"
    if day < FINAL_FROM:
        return "GB3095-2026-transition"
    return "GB3095-2026-final"


def grade2_limits(day: datetime.date) -> dict[str, int]:
    """Grade II limits in force on ``day``, keyed like ``PM2.5_annual`` / ``O3_8h`` (a fresh copy)."""
    return dict(GRADE2_LIMITS[limits_version(day)])
