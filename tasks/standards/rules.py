"""Which rules produced a value: the standards selected by the date of the data, plus our own rule set."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from tasks.standards.aqi import standard_for
from tasks.standards.limits import limits_version

#: Bumped whenever a [D] decision in docs/rules.md changes how a value is computed.
# 2: rolling 12 months; waste months with quarantined denominator rows left out
# 3: regions above the city as the mean of their cities; stations serving several regions; indicator 22
# 4: drinking-water sources judged item by item from the bureaus' source sheets, the year so far, by volume
ECOFLOW_RULES = "ecoflow-rules-4"


def rules_for_day(day: date) -> str:
    hj663 = "HJ663-2013" if standard_for(day) == "HJ633-2012" else "HJ663-2026"
    return f"{standard_for(day)}|{hj663}|{limits_version(day)}"


def rules_version(aqi_standards: Iterable[str], days: Iterable[date]) -> str:
    """One string for a value whose days may straddle a change of standard (e.g. 2026-01..03)."""
    per_day = sorted({rules_for_day(d) for d in days}) or sorted(set(aqi_standards))
    return " + ".join(per_day) + f" ; {ECOFLOW_RULES}"
