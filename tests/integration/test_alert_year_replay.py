"""A simulated year of monthly dispatches, measured: who gets how many emails, and which alerts, month by month.

Hohhot (150100) only, on a catalogue trimmed to its two air targets for 2025 (PM2.5 ≤ 34 μg/m³, good days ≥ 84.9 %)
and 林草局's annual 林草覆盖率 (≥ 35). Monthly air values are written through the one writer of indicator values
(tasks.compute.store) as the air computation would: a seasonal PM2.5 with winter peaks (January ≈ 55, July ≈ 16)
in 2022–2024, slowly improving; 2025 starts like 2024 and gets 35 % worse from May. The rest is the product's own:
evaluation, alert rules, ledger, digests over the real SMTP sink, real DuckDB.

Each month: the air data lands on the 3rd of the next month (a run a delivery triggers: only a new 进度预警 goes out
at once) and the monthly dispatch runs on the 11th. The air feed is down for August: nothing lands by the deadline,
the operators re-fetch it on 20 September. 林草局 never submits its annual value: late at the December dispatch.

The table `docs/alerts.md` prints is this test's count (the test fails when the doc and the count differ).
"""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from tasks.catalogue import load
from tasks.compute import store as indicator_store
from tasks.core import settings, warehouse
from tasks.core.periods import Period
from tasks.evaluate import evaluation
from tasks.flow import pipeline
from tasks.flow.warehouse import writer
from tasks.standards.rounding import round_half_even

HOHHOT = "150100"
KEEP = {"air_pm25_mean", "air_good_day_ratio", "forest_grass_coverage"}
#: Monthly PM2.5 of a typical year (μg/m³): winter peaks; the annual mean ≈ 32.
SHAPE = [54.6, 44.0, 35.2, 31.7, 24.6, 17.6, 15.8, 17.6, 22.0, 29.9, 39.6, 51.0]
GOOD = [0.74, 0.82, 0.86, 0.88, 0.92, 0.95, 0.96, 0.96, 0.94, 0.90, 0.83, 0.76]  # share of good days
HISTORY = {2022: 1.04, 2023: 1.02, 2024: 1.00}
WORSE_FROM, WORSE_BY = 5, 1.35
OUTAGE = 8
OPERATORS = {"jcz@sthjt.nmg.example.gov.cn", "xxzx@sthjt.nmg.example.gov.cn"}
LEAD = "sthjj@huhhot.example.gov.cn"
FORESTRY = "lcj@huhhot.example.gov.cn"
BUREAU = "bureau@ecoflow-test.example.gov.cn"
DOC = Path(__file__).resolve().parents[2] / "docs" / "alerts.md"


def days(year: int, month: int) -> int:
    return Period(year, month).last_day.day


def pm25(year: int, month: int) -> float:
    factor = HISTORY.get(year, 1.0)
    if year == 2025 and month >= WORSE_FROM:
        factor = WORSE_BY
    return SHAPE[month - 1] * factor


def month_rows(year: int, month: int) -> list[dict]:
    """The month's and the year-to-date values of both air indicators, as the air computation stores them."""
    rows = []
    for code in ("air_pm25_mean", "air_good_day_ratio"):
        for kind, months in (("month", [month]), ("ytd", range(1, month + 1))):
            n = [days(year, m) for m in months]
            if code == "air_pm25_mean":
                num = [pm25(year, m) * d for m, d in zip(months, n, strict=True)]
            else:
                num = [round(GOOD[m - 1] * d) for m, d in zip(months, n, strict=True)]
            value = sum(num) / sum(n) * (100 if code == "air_good_day_ratio" else 1)
            rows.append({"indicator_code": code, "region_code": HOHHOT, "period": f"{year}-{month:02d}",
                         "period_type": kind, "variant": "raw", "value": round(value, 6), "numerator": sum(num),
                         "denominator": float(sum(n)), "valid_days": sum(n), "calendar_days": sum(n),
                         "coverage_ok": True, "rules_version": "replay", "batch_ids": [f"air:{year}-{month:02d}"],
                         "coverage_unit": "days", "coverage_valid": sum(n), "coverage_expected": sum(n)})
    return rows


def land(year: int, month: int) -> None:
    with writer(settings.load()) as con:
        with warehouse.transaction(con):
            indicator_store.replace(con, f"{year}-{month:02d}", ["air_pm25_mean", "air_good_day_ratio"],
                                    month_rows(year, month))
        if year == 2025:
            for p in [Period(year, month), *indicator_store.later_months(con, Period(year, month))]:
                evaluation.refresh(con, p)


def alert(periods: list[Period], as_of: date, *, monthly: bool) -> int:
    """The alert step (the monthly dispatch first re-evaluates its month: deadlines); returns the emails sent."""
    if monthly:
        with writer(settings.load()) as con:
            evaluation.refresh(con, periods[0])
    return pipeline.alert(settings.load(), periods, as_of, dispatch=monthly)["digests"]


def pm25_status(period: str) -> tuple[str, str]:
    import duckdb

    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        return con.execute("SELECT status, reason FROM marts.indicator_status WHERE period = ? AND "
                           "indicator_code = 'air_pm25_mean' AND region_code = ?", [period, HOHHOT]).fetchall()[0]


def expected_first_miss() -> int:
    """By hand (RULES §4): the first month whose projected year-end PM2.5 (YTD × the mean of the three earlier
    years' December ÷ same-month YTD, on sums of daily means and days) rounds above 34."""
    def ytd_sum(year: int, month: int) -> tuple[float, int]:
        return (sum(pm25(year, m) * days(year, m) for m in range(1, month + 1)),
                sum(days(year, m) for m in range(1, month + 1)))
    for month in range(1, 12):
        sums = [ytd_sum(y, month) for y in HISTORY]
        ends = [ytd_sum(y, 12) for y in HISTORY]
        g_num = sum(e[0] / s[0] for s, e in zip(sums, ends, strict=True)) / 3
        g_den = sum(e[1] / s[1] for s, e in zip(sums, ends, strict=True)) / 3
        total, n = ytd_sum(2025, month)
        if round_half_even(total / n * g_num / g_den, 0) > 34:
            return month
    raise AssertionError("the scenario never misses")


@pytest.fixture
def replay(eco_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_sink) -> dict:
    """The replay: the emails of each month, and PM2.5's status at the August dispatch (the feed down)."""
    folder = tmp_path / "catalogue"
    shutil.copytree(load.CATALOGUE_DIR, folder)
    for name, keep in (("targets.csv", lambda r: r["region_code"] == HOHHOT and r["indicator_code"] in KEEP),
                       ("assigned_targets.csv", lambda r: False)):
        with (folder / name).open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            fields, rows = reader.fieldnames, [r for r in reader if keep(r)]
        with (folder / name).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    monkeypatch.setattr(load, "CATALOGUE_DIR", folder)     # the runs' writer loads this trimmed catalogue
    monkeypatch.setenv("ECOFLOW_BUREAU_EMAIL", BUREAU)
    for y in HISTORY:
        for m in range(1, 13):
            land(y, m)
    per_month: dict[int, list] = {}
    outage: tuple[str, str] | None = None
    for month in range(1, 13):
        period = Period(2025, month)
        after = period.shift(1)
        before, sent = len(smtp_sink.received), 0
        if month == OUTAGE + 1:                                 # August re-fetched on 20 September
            land(2025, OUTAGE)
            sent += alert([Period(2025, OUTAGE)], date(2025, 9, 20), monthly=False)
        if month != OUTAGE:
            land(2025, month)                                   # the delivery of the 3rd
            sent += alert([period], date(after.year, after.month, 3), monthly=False)
        sent += alert([period], date(after.year, after.month, 11), monthly=True)
        if month == OUTAGE:
            outage = pm25_status(str(period))
        per_month[month] = smtp_sink.wait_for(before + sent)[before:]
    return {"months": per_month, "outage": outage}


def table(per_month: dict[int, list]) -> list[str]:
    """Markdown: emails per recipient per month (a month: its delivery run and its dispatch on the 11th)."""
    counts = {m: Counter(r.message["To"] for r in recs) for m, recs in per_month.items()}
    recipients = sorted({to for c in counts.values() for to in c})
    lines = ["| recipient | " + " | ".join(f"{m:02d}" for m in range(1, 13)) + " | total |",
             "|---|" + "---:|" * 13]
    for to in recipients:
        row = [counts[m].get(to, 0) for m in range(1, 13)]
        lines.append(f"| {to} | " + " | ".join(str(n) for n in row) + f" | {sum(row)} |")
    return lines


def test_a_year_of_dispatches_keeps_the_contract(replay: dict, capsys: pytest.CaptureFixture[str]) -> None:
    import duckdb

    year = replay["months"]
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        ledger = con.execute("SELECT period, kind, indicator_code, recipients_to, recipients_cc, escalation "
                             "FROM alerts.ledger ORDER BY period, kind").fetchall()
        statuses = dict(con.execute("SELECT period, status FROM marts.indicator_status WHERE indicator_code = "
                                    "'air_pm25_mean' AND region_code = ?", [HOHHOT]).fetchall())
    first = expected_first_miss()
    kinds = Counter(k for _, k, *_ in ledger)
    # a winter peak far above the annual limit, with a projection that meets it: nothing at all
    assert statuses["2025-01"] == "进行中" and pm25(2025, 1) > 34
    assert not [a for a in ledger if a[0] < f"2025-{WORSE_FROM:02d}"]                # January–April: silence
    assert not [a for a in ledger if a[0] < f"2025-{first:02d}" and a[1] in ("projected_miss", "below_target")]
    # the 进度预警 comes in the month the projection first misses, at once to the lead department
    warnings = sorted(a[0] for a in ledger if a[1] == "projected_miss" and a[2] == "air_pm25_mean")
    assert warnings and warnings[0] == f"2025-{first:02d}"
    immediate = [r for r in year[first] if r.message["X-Ecoflow-Digest"] == "immediate"]
    assert [r.message["To"] for r in immediate] == [LEAD] and "【进度预警】" in immediate[0].message["Subject"]
    # the feed outage: 数据缺口 to the air operators only, and the indicator said 数据不足 meanwhile (re-fetched since)
    gaps = [a for a in ledger if a[1] == "data_gap"]
    assert {a[0] for a in gaps} == {f"2025-{OUTAGE:02d}"} and {a[3] for a in gaps} <= OPERATORS
    assert all(set(a[4].split(", ")) <= OPERATORS for a in gaps)
    for recs in year.values():
        for r in recs:
            if r.message["To"] not in OPERATORS:
                assert "|data_gap|" not in str(r.message["X-Ecoflow-Alerts"]), r.message["To"]
                assert "数据缺口" not in r.message["Subject"]
    outage_mail = [r for r in year[OUTAGE] if r.message["To"] in OPERATORS]
    assert len(outage_mail) == len(OPERATORS)
    text = outage_mail[0].message.get_body(("plain",)).get_content()
    assert "ecoflow run air --period 2025-08" in text
    assert replay["outage"] == ("数据不足", "no data for the period yet")      # at the August dispatch
    assert statuses["2025-08"] == "进行中"                                      # landed since
    # a department late once: chased for what it owes, with the deadline
    late = [a for a in ledger if a[1] == "missing"]
    assert [(a[0], a[2], a[3]) for a in late] == [("2025-12", "forest_grass_coverage", FORESTRY)]
    # at most 2 emails per department in any month; the bureau one roll-up a month
    departments = {to for recs in year.values() for r in recs for to in [r.message["To"]]} - OPERATORS - {BUREAU}
    for month, recs in year.items():
        per = Counter(r.message["To"] for r in recs)
        assert all(per[d] <= 2 for d in departments), (month, per)
        assert per[BUREAU] == 1, (month, per)
    # escalation only for a 进度预警 persisting escalate_after (3) months, or a year-end miss
    escalated = [a for a in ledger if a[5]]
    assert all(a[1] in ("projected_miss", "below_target") for a in escalated)
    assert "lxbgs@huhhot.example.gov.cn" in ledger[[i for i, a in enumerate(ledger) if a[5]][0]][4]

    lines = table(year)
    rules = ["| rule | alerts |", "|---|---:|", *(f"| {k} | {n} |" for k, n in sorted(kinds.items()))]
    with capsys.disabled():
        print("\n" + "\n".join(lines) + "\n\n" + "\n".join(rules))
    doc = DOC.read_text(encoding="utf-8")
    assert "\n".join(lines) in doc and "\n".join(rules) in doc, "docs/alerts.md: paste the table printed above"
    assert re.search(rf"first misses in month {first:02d}", doc)
