"""The column-wise daily AQI (what compute scores a month with) agrees with the scalar `daily_aqi` day by day: on
random days across every band, with missing inputs, footnote values (above 800) and values above the top
breakpoint, under both standards."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tasks.standards.aqi import DAILY_INPUTS, daily_aqi, daily_aqi_arrays

# Upper ends chosen to pass every band and the top breakpoint of each input (mg/m³ for CO).
HIGH = {"SO2": 3000, "NO2": 1100, "CO": 70, "PM10": 700, "PM2.5": 600, "O3_8h": 900, "O3_1h": 1300}


def _days(seed: int, n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    days = {}
    for key, high in HIGH.items():
        # most days clean, a tail into the high bands; CO to one decimal, the rest whole and fractional
        values = np.where(rng.random(n) < 0.8, rng.random(n) * high / 6, rng.random(n) * high)
        values = np.round(values, 1 if key == "CO" else int(rng.integers(0, 3)))
        values[rng.random(n) < 0.08] = np.nan              # missing input
        values[rng.random(n) < 0.01] = {"CO": 2.0}.get(key, 50.0)  # exact breakpoints
        days[key] = values
    return days


@pytest.mark.parametrize("standard", ["HJ633-2012", "HJ633-2026"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_column_wise_scoring_equals_the_scalar_rule(standard: str, seed: int) -> None:
    days = _days(seed, 4000)
    got = daily_aqi_arrays(days, standard)
    keys = [k for k in DAILY_INPUTS if standard == "HJ633-2012" or k != "O3_1h"]
    mismatches = []
    for i in range(4000):
        want = daily_aqi({k: None if math.isnan(days[k][i]) else float(days[k][i]) for k in keys}, standard)
        have = (None if math.isnan(got["aqi"][i]) else int(got["aqi"][i]), bool(got["valid"][i]),
                None if math.isnan(got["good"][i]) else bool(got["good"][i]), got["primary"][i],
                bool(got["capped"][i]), bool(got["complete"][i]))
        expected = (want.aqi, want.valid, want.good, ",".join(want.primary) or None, want.capped, want.complete)
        if have != expected:
            mismatches.append((i, expected, have))
    assert not mismatches, mismatches[:5]
    assert 0 < np.count_nonzero(got["valid"]) < 4000 and got["capped"].any()   # the cases were reached


def test_no_days() -> None:
    got = daily_aqi_arrays({k: np.array([]) for k in DAILY_INPUTS}, "HJ633-2012")
    assert len(got["aqi"]) == 0 and got["primary"] == []
