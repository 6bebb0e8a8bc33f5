"""The waste and sewage monthly feed end to end against a real loopback server: units converted, bad rows
quarantined, bad files stopped without touching what was landed, rates checked against a hand computation.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import duckdb
import pytest

from demo import waste_samples
from demo.feed_server import FeedServer
from demo.waste_publisher import WastePublisher
from tasks.compute import waste as waste_compute
from tasks.core import settings
from tasks.core.errors import DeliveryError, NothingToLand, ParseError, ValidationFailed
from tasks.core.periods import Period
from tasks.evaluate import evaluation
from tasks.flow import pipeline
from tests.helpers import land_waste_months

JAN, FEB = "2025-01", "2025-02"
HOHHOT, XILINHOT, XILINGOL = "150100", "152502", "152500"
FACTOR = {"吨": 1, "t": 1, "万吨": 10_000, "m³": 1, "m3": 1, "立方米": 1, "万m³": 10_000, "万m3": 10_000,
          "万立方米": 10_000}


def query(sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def feed(eco_env, monkeypatch):
    def start(**kwargs) -> FeedServer:
        srv = FeedServer(publisher=WastePublisher(kwargs.pop("faults", None),
                                                  unpublished=kwargs.pop("unpublished", ())), **kwargs).start()
        servers.append(srv)
        monkeypatch.setenv("ECOFLOW_WASTE_FEED_URL", srv.url)
        return srv

    servers: list[FeedServer] = []
    yield start
    for srv in servers:
        srv.stop()


def run(period: str) -> pipeline.RunSummary:
    try:
        return pipeline.run(settings.load(), "waste", Period.parse(period))
    except DeliveryError as exc:  # alerts were raised; the data part is what these tests look at
        return exc.summary


def _january(home: Path, mp: pytest.MonkeyPatch) -> dict[str, int]:
    with FeedServer(publisher=WastePublisher(None)) as srv:
        mp.setenv("ECOFLOW_WASTE_FEED_URL", srv.url)
        summary = run(JAN)
        return {"rows_landed": summary.rows_landed, "rows_rejected": summary.rows_rejected,
                "hits": srv.hits(f"waste/{JAN}.csv")}


@pytest.fixture
def january(eco_env: Path, built_home) -> dict[str, int]:
    """January 2025 as published, fetched and landed (built once, copied per test): the run's counts and how
    often the feed was asked for the file."""
    return built_home("waste-january", _january, eco_env)


def hand_rows(period: str) -> list[dict]:
    """The month's rows read with the csv module, units converted by the table above (not the adapter's)."""
    text = waste_samples.generate(period).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    for r in rows:
        r["base"] = Decimal(r["value"]) * FACTOR[r["unit"]]
    return rows


def hand_rate(rows: list[dict], region_prefix: str, num: set[str], den: set[str], kinds: set[str] | None = None,
              cap: bool = False) -> float:
    mine = [r for r in rows if r["region_code"].startswith(region_prefix) and (kinds is None or r["kind"] in kinds)]
    n = sum((r["base"] for r in mine if r["item"] in num), Decimal(0))
    d = sum((r["base"] for r in mine if r["item"] in den), Decimal(0))
    value = (n * 100 / d).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
    return float(min(value, Decimal(100)) if cap else value)


def value_of(indicator: str, region: str, period: str, period_type: str = "month") -> tuple:
    return query("SELECT value, coverage_ok, notes FROM marts.indicator_values WHERE indicator_code = ? AND "
                 "region_code = ? AND period = ? AND period_type = ?", [indicator, region, period, period_type])[0]


def test_a_month_lands_with_units_converted_exactly(january) -> None:
    rows = hand_rows(JAN)
    assert january["rows_landed"] == len(rows) and january["rows_rejected"] == 0
    landed = {(f, i): (v, u, vr, ur) for f, i, v, u, vr, ur in query(
        "SELECT facility_id, item, value, unit, value_reported, unit_reported FROM raw.waste_quantities")}
    for r in rows:
        value, unit, reported, unit_reported = landed[(r["facility_id"], r["item"])]
        assert Decimal(repr(value)) == r["base"], (r["facility_id"], r["item"])
        assert unit == ("m³" if r["item"].startswith("sewage") else "吨")
        assert unit_reported == r["unit"] and reported == float(r["value"])
    [(sha, path)] = query("SELECT sha256, archive_path FROM meta.batches WHERE status = 'landed'")
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha == \
        hashlib.sha256(waste_samples.generate(JAN)).hexdigest()
    assert january["hits"] == 1


def test_rates_match_a_hand_computation_for_hohhot(january) -> None:
    rows = hand_rows(JAN)
    hohhot = HOHHOT[:4]
    assert value_of("urban_sewage_treatment_rate", HOHHOT, JAN)[0] == \
        hand_rate(rows, hohhot, {"sewage_treated"}, {"sewage_discharged"})
    assert value_of("household_waste_safe_treatment_rate", HOHHOT, JAN)[0] == \
        hand_rate(rows, hohhot, {"msw_safely_treated"}, {"msw_collected"})
    assert value_of("hazardous_waste_disposal_rate", HOHHOT, JAN)[0] == \
        hand_rate(rows, hohhot, {"hw_utilized", "hw_disposed"}, {"hw_generated"}, {"hazardous_waste_producer"})
    assert value_of("industrial_solid_waste_utilization_rate", HOHHOT, JAN)[0] == hand_rate(
        rows, hohhot, {"isw_utilized"}, {"isw_generated", "isw_utilized_from_storage"})
    # the province aggregates every facility of Inner Mongolia
    assert value_of("urban_sewage_treatment_rate", "150000", JAN)[0] == \
        hand_rate(rows, "15", {"sewage_treated"}, {"sewage_discharged"})


def test_year_to_date_sums_quantities_not_monthly_rates(january, feed) -> None:
    feed()
    run(FEB)
    both = hand_rows(JAN) + hand_rows(FEB)
    ytd, ok, _ = value_of("urban_sewage_treatment_rate", HOHHOT, FEB, "ytd")
    assert ytd == hand_rate(both, HOHHOT[:4], {"sewage_treated"}, {"sewage_discharged"}) and ok


def test_hazardous_waste_above_100_is_capped_and_says_so(january) -> None:
    rows = hand_rows(JAN)
    mine = [r for r in rows if r["region_code"] == XILINHOT and r["kind"] == "hazardous_waste_producer"]
    computed = sum(r["base"] for r in mine if r["item"] in ("hw_utilized", "hw_disposed")) * 100 / \
        sum(r["base"] for r in mine if r["item"] == "hw_generated")
    assert computed > 100  # the sample is built to exercise the cap
    for region in (XILINHOT, XILINGOL):
        value, _, notes = value_of("hazardous_waste_disposal_rate", region, JAN)
        assert value == 100.0
        assert notes == f"capped at 100 (computed {computed.quantize(Decimal('0.1'), ROUND_HALF_EVEN)})"


def test_a_wrong_unit_row_is_quarantined_and_the_rest_lands(feed) -> None:
    feed(faults={JAN: {"wrong_unit"}})
    summary = run(JAN)
    facility, item = waste_samples.FAULT_TARGETS["wrong_unit"]
    assert summary.rows_rejected == 1 and summary.rows_landed == len(hand_rows(JAN)) - 1
    [(rule, column, line, record)] = query(
        "SELECT q.rule, q.column_name, q.source_line, l.record FROM quarantine.row_issues AS q "
        "JOIN quarantine.source_lines AS l USING (batch_id, source_line) WHERE q.severity = 'error'")
    assert rule == "unit.wrong_dimension" and column == item
    assert facility in record and "万m³" in record
    assert query("SELECT count(*) FROM raw.waste_quantities WHERE facility_id = ? AND item = ?",
                 [facility, item]) == [(0,)]
    # without that facility's 清运量 Hohhot has no household-waste denominator: no rate, and it says so
    value, ok, notes = value_of("household_waste_safe_treatment_rate", HOHHOT, JAN)
    assert value is None and ok is False and "no msw_collected reported" in notes


SEWAGE = ({"sewage_treated"}, {"sewage_discharged"})
HOUSEHOLD = ({"msw_safely_treated"}, {"msw_collected"})


def r12_of(indicator: str, region: str, period: str) -> dict:
    names = ("value", "numerator", "denominator", "coverage_valid", "coverage_expected", "coverage_ok", "notes",
             "batch_ids")
    [row] = query(f"SELECT {', '.join(names)} FROM marts.indicator_values WHERE indicator_code = ? AND "
                  "region_code = ? AND period = ? AND period_type = 'r12'", [indicator, region, period])
    return dict(zip(names, row, strict=True))


def hand_facilities(rows: list[dict], region_prefix: str, items: set[str]) -> set[str]:
    return {r["facility_id"] for r in rows if r["region_code"].startswith(region_prefix) and r["item"] in items}


def test_rolling_12_months_sum_the_quantities_of_the_months_across_the_year(eco_env, monkeypatch) -> None:
    # 2025-01's rolling 12 months are 2024-02 … 2025-01: three of them delivered, nine not.
    landed = ["2024-11", "2024-12", JAN]
    land_waste_months(monkeypatch, landed, backfill=True)
    by_month = {p: hand_rows(p) for p in landed}
    rows = [r for p in landed for r in by_month[p]]
    got = r12_of("urban_sewage_treatment_rate", HOHHOT, JAN)
    assert got["value"] == hand_rate(rows, HOHHOT[:4], *SEWAGE)
    mine = [r for r in rows if r["region_code"].startswith(HOHHOT[:4])]
    assert Decimal(repr(got["numerator"])) == sum(r["base"] for r in mine if r["item"] in SEWAGE[0])
    assert Decimal(repr(got["denominator"])) == sum(r["base"] for r in mine if r["item"] in SEWAGE[1])
    facilities = [hand_facilities(by_month[p], HOHHOT[:4], SEWAGE[0] | SEWAGE[1]) for p in landed]
    assert got["coverage_valid"] == sum(len(f) for f in facilities)
    assert got["coverage_expected"] == len(set().union(*facilities)) * 12
    assert got["coverage_ok"] is False
    assert got["notes"] == "denominator incomplete in month(s) " + ", ".join(f"2024-{m:02d}" for m in range(2, 11))
    assert [b.split(":")[1] for b in got["batch_ids"]] == [f"waste_{p}.csv" for p in landed]
    # January's year to date is January alone
    ytd, ok, _ = value_of("urban_sewage_treatment_rate", HOHHOT, JAN, "ytd")
    assert ytd == hand_rate(by_month[JAN], HOHHOT[:4], *SEWAGE) and ok


def test_rolling_12_months_need_every_month_complete_and_a_corrected_month_reaches_them(eco_env,
                                                                                         monkeypatch) -> None:
    window = [str(p) for p in Period.parse(JAN).months_of_rolling_12()]
    assert window[0] == "2024-02" and window[-1] == JAN
    # a 清运量 row quarantined in December
    land_waste_months(monkeypatch, window, faults={"2024-12": {"wrong_unit"}}, backfill=True)
    rows = [r for p in window for r in hand_rows(p)]
    sewage = r12_of("urban_sewage_treatment_rate", HOHHOT, JAN)
    assert sewage["value"] == hand_rate(rows, HOHHOT[:4], *SEWAGE)
    assert sewage["coverage_ok"] is True and sewage["notes"] is None
    assert sewage["coverage_valid"] == sewage["coverage_expected"] == \
        len(hand_facilities(rows, HOHHOT[:4], SEWAGE[0] | SEWAGE[1])) * 12
    household = r12_of("household_waste_safe_treatment_rate", HOHHOT, JAN)
    without_december = [r for p in window if p != "2024-12" for r in hand_rows(p)]
    assert household["value"] == hand_rate(without_december, HOHHOT[:4], *HOUSEHOLD)
    assert household["coverage_ok"] is False and household["notes"] == \
        "denominator incomplete in month(s) 2024-12; quarantined: 150100-MT-01 msw_collected (2024-12)"
    # the corrected December recomputes the later months that hold it, into the next year
    land_waste_months(monkeypatch, ["2024-12"])
    household = r12_of("household_waste_safe_treatment_rate", HOHHOT, JAN)
    assert household["value"] == hand_rate(rows, HOHHOT[:4], *HOUSEHOLD)
    assert household["coverage_ok"] is True and household["notes"] is None


def test_a_month_with_an_incomplete_denominator_is_left_out_of_the_year_to_date(feed) -> None:
    feed(faults={FEB: {"wrong_unit"}})   # 150100-MT-01's 清运量 reported in January, quarantined in February
    run(JAN)
    run(FEB)
    left_out = f"denominator incomplete in month(s) {FEB}; quarantined: 150100-MT-01 msw_collected ({FEB})"
    value, ok, notes = value_of("household_waste_safe_treatment_rate", HOHHOT, FEB)
    assert value is None and ok is False and notes == left_out
    ytd, ok, notes = value_of("household_waste_safe_treatment_rate", HOHHOT, FEB, "ytd")
    assert ytd == value_of("household_waste_safe_treatment_rate", HOHHOT, JAN, "ytd")[0]  # January alone
    assert ok is False and notes == left_out


def test_a_quarantined_denominator_row_keeps_its_month_out_of_every_ancestor(eco_env, monkeypatch) -> None:
    # Hohhot's only 清运量 row is quarantined in January: the province still has the tonnage Hohhot's plants treated
    # (numerator) but not what Hohhot collected (denominator), so January must not enter its rate at all — before
    # the fix it read 275.3 % with complete coverage. The transfer station reported nothing else this year, so only
    # the quarantine tells that its row is missing.
    household = "household_waste_safe_treatment_rate"
    facility, item = waste_samples.FAULT_TARGETS["wrong_unit"]
    assert (facility, item) == ("150100-MT-01", "msw_collected")
    land_waste_months(monkeypatch, [JAN, FEB], faults={JAN: {"wrong_unit"}}, backfill=True)
    quarantined = f"quarantined: {facility} {item} ({JAN})"
    for period_type in ("month", "ytd", "r12"):
        value, ok, notes = value_of(household, "150000", JAN, period_type)
        assert value is None and ok is False, period_type
        assert notes.startswith("denominator incomplete in month(s) ") and JAN in notes, period_type
        assert notes.endswith(quarantined), period_type
    value, ok, notes = value_of(household, HOHHOT, JAN)
    assert value is None and ok is False and notes == \
        f"no msw_collected reported (quarantined or not delivered); {quarantined}"
    # the other rates of the province are untouched by that row
    jan, feb = hand_rows(JAN), hand_rows(FEB)
    assert value_of("urban_sewage_treatment_rate", "150000", JAN)[:2] == (hand_rate(jan, "15", *SEWAGE), True)
    # February is clean and stands on its own; its year to date is February alone and names January's quarantine
    assert value_of(household, "150000", FEB) == (hand_rate(feb, "15", *HOUSEHOLD), True, None)
    assert value_of(household, "150000", FEB, "ytd") == (
        hand_rate(feb, "15", *HOUSEHOLD), False, f"denominator incomplete in month(s) {JAN}; {quarantined}")
    # January delivered again, clean: its earlier quarantine no longer counts, and February's YTD holds both months
    land_waste_months(monkeypatch, [JAN])
    assert value_of(household, "150000", JAN) == (hand_rate(jan, "15", *HOUSEHOLD), True, None)
    assert value_of(household, HOHHOT, JAN) == (hand_rate(jan, HOHHOT[:4], *HOUSEHOLD), True, None)
    assert value_of(household, "150000", FEB, "ytd") == (hand_rate(jan + feb, "15", *HOUSEHOLD), True, None)


def test_no_rate_exceeds_100_but_the_capped_hazardous_waste(eco_env, monkeypatch) -> None:
    # Generated rates sit below 100 (sewage 96–98 %, household waste ≤ 100 %, industrial 40–60 %) except one
    # hazardous-waste producer clearing storage (S3: published as 100, the computed value in notes). A quarantined
    # row must not push a rate past 100 either, in any region, month, YTD or rolling 12 months.
    months = ["2024-12", JAN, FEB]
    land_waste_months(monkeypatch, months, faults={JAN: {"wrong_unit"}, FEB: {"missing_unit", "negative"}},
                      backfill=True)
    rows = query("SELECT indicator_code, region_code, period, period_type, value, numerator, denominator, notes "
                 "FROM marts.indicator_values WHERE list_contains(?, indicator_code) AND value IS NOT NULL",
                 [list(waste_compute.RATES)])
    assert {r[2] for r in rows} == set(months) and {r[0] for r in rows} == set(waste_compute.RATES)
    capped = 0
    for code, region, period, period_type, value, numerator, denominator, notes in rows:
        where = (code, region, period, period_type)
        assert value <= 100, where
        if numerator * 100 / denominator > 100.05:
            assert code == "hazardous_waste_disposal_rate" and value == 100, where
            assert notes.startswith("capped at 100 (computed "), where
            capped += 1
    assert capped  # the cap case is exercised, not just absent


@pytest.mark.parametrize("fault", ["missing_unit", "negative"])
def test_other_bad_rows_are_quarantined_with_their_rule(feed, fault: str) -> None:
    feed(faults={JAN: {fault}})
    summary = run(JAN)
    facility, item = waste_samples.FAULT_TARGETS[fault]
    assert summary.rows_rejected == 1
    [(rule, column)] = query("SELECT rule, column_name FROM quarantine.row_issues WHERE severity = 'error'")
    assert rule == {"missing_unit": "unit.missing", "negative": "waste.value_non_negative"}[fault]
    assert column == item


def test_a_duplicated_facility_item_holds_back_both_rows(feed) -> None:
    feed(faults={JAN: {"duplicate"}})
    summary = run(JAN)
    facility, item = waste_samples.FAULT_TARGETS["duplicate"]
    assert summary.rows_rejected == 2
    assert query("SELECT count(*) FROM raw.waste_quantities WHERE facility_id = ? AND item = ?",
                 [facility, item]) == [(0,)]


def test_a_gbk_redelivery_is_stopped_and_the_landed_month_stays(feed, eco_env) -> None:
    srv = feed()
    run(JAN)
    before = query("SELECT * FROM raw.waste_quantities ORDER BY ALL")
    values_before = query("SELECT * FROM marts.indicator_values ORDER BY ALL")
    srv.stop()
    feed(faults={JAN: {"gbk"}})
    with pytest.raises(ParseError) as caught:
        pipeline.run(settings.load(), "waste", Period.parse(JAN))
    message = str(caught.value)
    assert f"waste_{JAN}.csv" in message and "UTF-8" in message and "byte" in message
    assert query("SELECT * FROM raw.waste_quantities ORDER BY ALL") == before
    assert query("SELECT * FROM marts.indicator_values ORDER BY ALL") == values_before
    assert ("failed",) in query("SELECT status FROM meta.batches")


def test_a_truncated_file_loses_only_its_cut_line(feed) -> None:
    feed(faults={JAN: {"truncated"}})
    summary = run(JAN)
    assert summary.rows_landed == len(hand_rows(JAN)) - 1
    rules = {r for (r,) in query("SELECT rule FROM quarantine.row_issues WHERE severity = 'error'")}
    assert rules & {"parse.field_count", "parse.truncated"}


def test_too_many_bad_rows_stop_the_month(feed, monkeypatch) -> None:
    monkeypatch.setenv("ECOFLOW_MAX_BAD_SHARE", "0.01")
    feed(faults={JAN: {"wrong_unit", "missing_unit"}})  # 2 of 79 rows > 1 %
    with pytest.raises(ValidationFailed):
        pipeline.run(settings.load(), "waste", Period.parse(JAN))
    assert query("SELECT count(*) FROM raw.waste_quantities") == [(0,)]


def test_server_errors_are_retried_and_an_unpublished_month_is_not_an_error_of_the_data(feed) -> None:
    srv = feed(fail_first={f"waste/{JAN}.csv": 2}, unpublished=[FEB])
    assert run(JAN).rows_landed > 0
    assert srv.hits(f"waste/{JAN}.csv") == 3
    with pytest.raises(NothingToLand, match="not published"):
        pipeline.run(settings.load(), "waste", Period.parse(FEB))
    assert query("SELECT status, http_status FROM meta.batches WHERE period = ?", [FEB]) == [("missing", 404)]


def test_running_a_month_twice_leaves_the_warehouse_identical(january, feed) -> None:
    feed()
    state = [query(f"SELECT * FROM {t} ORDER BY ALL") for t in ("raw.waste_quantities", "marts.indicator_values")]
    run(JAN)
    assert [query(f"SELECT * FROM {t} ORDER BY ALL") for t in ("raw.waste_quantities", "marts.indicator_values")] \
        == state


def test_a_january_below_the_annual_target_is_in_progress_and_alerts_no_one(feed, smtp_sink) -> None:
    feed()
    run(JAN)  # Hohhot's 2025 target for 危险废物利用处置率 is 100 %; the generated month is below it
    value, _, _ = value_of("hazardous_waste_disposal_rate", HOHHOT, JAN, "ytd")
    assert value < 100
    # RULES §4: an annual target is judged on the complete year; January alone, with no earlier year to project
    # from, raises nothing (the year-end miss is in test_alert_digests)
    assert query("SELECT status FROM marts.indicator_status WHERE indicator_code = 'hazardous_waste_disposal_rate' "
                 "AND region_code = ? AND period = ?", [HOHHOT, JAN]) == [("进行中",)]
    assert not query("SELECT kind FROM alerts.ledger WHERE indicator_code = 'hazardous_waste_disposal_rate' "
                     "AND region_code = ? AND period = ?", [HOHHOT, JAN])
    for digest in (m for m in smtp_sink.messages if m["To"] == "sthjj@huhhot.example.gov.cn"):
        text = digest.get_body(("plain",)).get_content()    # the monthly summary lists it as 进行中, no alert item
        assert "】呼和浩特市「危险废物利用处置率」" not in text
        assert "呼和浩特市「危险废物利用处置率」：进行中" in text


def test_a_value_that_can_no_longer_be_computed_leaves_its_open_alert_open(january) -> None:
    key_filter = "indicator_code = 'hazardous_waste_disposal_rate' AND region_code = ? AND period = ?"
    below = f"{key_filter} AND kind = 'below_target'"
    with duckdb.connect(str(settings.load().warehouse_path)) as con:  # as if the period were a complete year
        con.execute(f"UPDATE marts.indicator_status SET status = '未达标' WHERE {key_filter}", [HOHHOT, JAN])
    with contextlib.suppress(DeliveryError):
        pipeline.alert(settings.load(), [Period.parse(JAN)])
    assert query(f"SELECT status FROM alerts.ledger WHERE {below}", [HOHHOT, JAN]) == [("open",)]
    with duckdb.connect(str(settings.load().warehouse_path)) as con:  # e.g. a re-delivery left no denominator
        con.execute(f"UPDATE marts.indicator_values SET value = NULL WHERE {key_filter}", [HOHHOT, JAN])
        evaluation.refresh(con, Period.parse(JAN))
    with contextlib.suppress(DeliveryError):  # the sink is up
        pipeline.alert(settings.load(), [Period.parse(JAN)])
    assert query(f"SELECT status FROM alerts.ledger WHERE {below}", [HOHHOT, JAN]) == [("open",)]
    # what it says now is that the data are too thin to judge
    assert query(f"SELECT status FROM alerts.ledger WHERE {key_filter} AND kind = 'thin_data'", [HOHHOT, JAN]) \
        == [("open",)]


def test_indicator_22_rises_against_the_previous_year_computed_when_no_plan_baseline(january, feed) -> None:
    """Hohhot has no catalogue baseline of the rate: its base is the rate computed for December 2024's year to
    date; landing December after January recomputes January's rise (the base came late)."""
    feed()
    assert value_of("industrial_solid_waste_utilization_rise", HOHHOT, JAN, "ytd")[:2] == (None, False)
    run("2024-12")
    rise, ok, note = value_of("industrial_solid_waste_utilization_rise", HOHHOT, JAN, "ytd")
    jan = value_of("industrial_solid_waste_utilization_rate", HOHHOT, JAN, "ytd")[0]
    dec = value_of("industrial_solid_waste_utilization_rate", HOHHOT, "2024-12", "ytd")[0]
    assert rise == float((Decimal(repr(jan)) - Decimal(repr(dec))).quantize(Decimal("0.1")))
    assert ok is False                  # 2024's year to date holds December only: an incomplete base
    assert note.startswith(f"{jan:g} against base year 2024 {dec:g} (computed, incomplete)")
