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
from tasks import pipeline, settings
from tasks.errors import DeliveryError, NothingToLand, ParseError, ValidationFailed
from tasks.periods import Period

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


def test_a_month_lands_with_units_converted_exactly(feed) -> None:
    srv = feed()
    summary = run(JAN)
    rows = hand_rows(JAN)
    assert summary.rows_landed == len(rows) and summary.rows_rejected == 0
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
    assert srv.hits(f"waste/{JAN}.csv") == 1


def test_rates_match_a_hand_computation_for_hohhot(feed) -> None:
    feed()
    run(JAN)
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


def test_year_to_date_sums_quantities_not_monthly_rates(feed) -> None:
    feed()
    run(JAN)
    run(FEB)
    both = hand_rows(JAN) + hand_rows(FEB)
    ytd, ok, _ = value_of("urban_sewage_treatment_rate", HOHHOT, FEB, "ytd")
    assert ytd == hand_rate(both, HOHHOT[:4], {"sewage_treated"}, {"sewage_discharged"}) and ok


def test_hazardous_waste_above_100_is_capped_and_says_so(feed) -> None:
    feed()
    run(JAN)
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


def test_a_month_with_an_incomplete_denominator_is_left_out_of_the_year_to_date(feed) -> None:
    feed(faults={FEB: {"wrong_unit"}})   # 150100-MT-01's 清运量 reported in January, quarantined in February
    run(JAN)
    run(FEB)
    value, ok, notes = value_of("household_waste_safe_treatment_rate", HOHHOT, FEB)
    assert value is None and ok is False and notes == f"denominator incomplete in month(s) {FEB}"
    ytd, ok, notes = value_of("household_waste_safe_treatment_rate", HOHHOT, FEB, "ytd")
    assert ytd == value_of("household_waste_safe_treatment_rate", HOHHOT, JAN, "ytd")[0]  # January alone
    assert ok is False and notes == f"denominator incomplete in month(s) {FEB}"


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


def test_running_a_month_twice_leaves_the_warehouse_identical(feed) -> None:
    feed()
    run(JAN)
    state = [query(f"SELECT * FROM {t} ORDER BY ALL") for t in ("raw.waste_quantities", "marts.indicator_values")]
    run(JAN)
    assert [query(f"SELECT * FROM {t} ORDER BY ALL") for t in ("raw.waste_quantities", "marts.indicator_values")] \
        == state


def test_a_rate_below_target_alerts_the_lead_department(feed, smtp_sink) -> None:
    feed()
    run(JAN)  # Hohhot's 2025 target for 危险废物利用处置率 is 100 %; the generated month is below it
    value, _, _ = value_of("hazardous_waste_disposal_rate", HOHHOT, JAN, "ytd")
    assert value < 100
    subjects = {m["Subject"]: m for m in smtp_sink.messages}
    [subject] = [s for s in subjects if "呼和浩特市 危险废物利用处置率" in s]
    assert subjects[subject]["To"] == "sthjj@huhhot.example.gov.cn"
    assert "报送设施" in subjects[subject].get_body(("plain",)).get_content()


def test_a_value_that_can_no_longer_be_computed_leaves_its_open_alert_open(feed) -> None:
    feed()
    run(JAN)
    key_filter = "indicator_code = 'hazardous_waste_disposal_rate' AND region_code = ? AND period = ?"
    assert query(f"SELECT status FROM alerts.ledger WHERE {key_filter}", [HOHHOT, JAN]) == [("open",)]
    with duckdb.connect(str(settings.load().warehouse_path)) as con:  # e.g. a re-delivery left no denominator
        con.execute(f"UPDATE marts.indicator_values SET value = NULL WHERE {key_filter}", [HOHHOT, JAN])
    with contextlib.suppress(DeliveryError):  # the sink is up; nothing new should be sent anyway
        pipeline.alert(settings.load(), Period.parse(JAN))
    assert query(f"SELECT status FROM alerts.ledger WHERE {key_filter}", [HOHHOT, JAN]) == [("open",)]
