"""Every IAQI test vector in tests/fixtures/aqi_oracle_cases.csv (exact-rational, ceiling-rounded oracle)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tasks.standards.aqi import iaqi

ORACLE = Path(__file__).resolve().parents[1] / "fixtures" / "aqi_oracle_cases.csv"


def _read_rows() -> list[dict[str, str]]:
    """Data rows of the oracle file; the ``#`` header comments are skipped."""
    with ORACLE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


ROWS = _read_rows()


def _row_id(row: dict[str, str]) -> str:
    base = f"{row['standard']}-{row['pollutant']}-{row['averaging_period']}-{row['concentration']}"
    duplicates = sum(
        1
        for other in ROWS
        if (other["standard"], other["pollutant"], other["averaging_period"], other["concentration"])
        == (row["standard"], row["pollutant"], row["averaging_period"], row["concentration"])
    )
    return f"{base}-{row['case_type']}" if duplicates > 1 else base


def test_oracle_file_has_all_rows() -> None:
    assert len(ROWS) > 250


def test_oracle_ids_are_unique() -> None:
    ids = [_row_id(row) for row in ROWS]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("row", ROWS, ids=[_row_id(row) for row in ROWS])
def test_iaqi_matches_oracle(row: dict[str, str]) -> None:
    # pm_1h_uses_daily_bp rows describe a PM 1-hour value (HJ 633-2026 §4.2.4); their averaging_period column
    # names the table used, so they are scored as "1h" to test that the 1-hour value lands on the daily table.
    averaging = "1h" if row["case_type"] == "pm_1h_uses_daily_bp" else row["averaging_period"]
    expected = int(row["expected_iaqi"]) if row["expected_iaqi"] else None
    assert iaqi(row["pollutant"], float(row["concentration"]), averaging, row["standard"]) == expected
