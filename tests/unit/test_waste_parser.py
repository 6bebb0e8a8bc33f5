"""WasteFeedAdapter on generated months of the waste/sewage feed, clean and damaged, through the GX suite."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from demo.waste_samples import FAULT_TARGETS, generate, main
from tasks.core.errors import ParseError
from tasks.core.periods import Period
from tasks.sources.waste import COLUMNS, ITEMS_BY_KIND, KINDS, MASS_ITEMS, UNITS, VOLUME_ITEMS, WasteFeedAdapter
from tasks.sources.waste import suite_parameters as build_parameters
from tasks.validate.runner import suite_definition, validate

PERIOD = "2025-01"
NAME = f"waste_{PERIOD}.csv"
KNOWN = ["150000", "150100", "150200", "150600", "152500", "150121", "152502"]  # as in catalogue/regions.csv
ADAPTER = WasteFeedAdapter()
HEADER = ",".join(COLUMNS)


def parse(content: bytes, name: str = NAME):
    return ADAPTER.parse(name, content)


def line_of(content: bytes, facility_id: str, item: str) -> int:
    """File line number (header = 1) of a facility's item, found in the bytes rather than by the parser."""
    lines = content.decode("utf-8-sig").split("\r\n")
    return next(n for n, line in enumerate(lines, start=1) if f",{facility_id}," in line and f",{item}," in line)


@pytest.fixture(scope="module")
def gx_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gx")


def run_suite(frame: pd.DataFrame, gx_root: Path, run: str) -> dict[str, list]:
    outcome = validate(frame, suite="waste_quantities", row_key="row_id",
                       parameters=build_parameters(KNOWN, PERIOD), gx_root=gx_root, run_name=run)
    found: dict[str, list] = {}
    for failure in outcome.failures:
        found.setdefault(failure.rule, []).append((failure.severity, sorted(failure.row_ids)))
    return found


def rows_at(parsed, lines: list[int]) -> list[int]:
    return sorted(parsed.rows.loc[parsed.rows["source_line"].isin(lines), "row_id"].tolist())


# --- a clean month --------------------------------------------------------------------------------------------


def test_generated_month_is_deterministic_utf8_with_bom_and_crlf() -> None:
    content = generate(PERIOD)
    assert content == generate(PERIOD) and content != generate("2025-02")
    assert content.startswith(b"\xef\xbb\xbf" + HEADER.encode() + b"\r\n")


def test_clean_month_parses_every_line_into_one_row() -> None:
    content = generate(PERIOD)
    parsed = parse(content)
    data_lines = content.decode("utf-8-sig").split("\r\n")[1:-1]
    assert parsed.issues == []
    assert len(parsed.rows) == len(data_lines) == 79
    assert parsed.rows["row_id"].is_unique
    assert parsed.rows["source_line"].tolist() == list(range(2, 2 + len(data_lines)))
    assert set(parsed.rows["kind"]) == set(KINDS)
    assert parsed.rows["dimension_ok"].all() and parsed.rows["item_allowed"].astype(bool).all()
    assert set(parsed.rows["unit"]) == {"吨", "m³"}
    assert parsed.lines[2] == data_lines[0]


def test_units_convert_exactly_to_tonnes_and_cubic_metres() -> None:
    rows = parse(generate(PERIOD)).rows
    factors = {"万吨": 10_000, "吨": 1, "t": 1, "万m³": 10_000, "万立方米": 10_000, "m³": 1, "立方米": 1}
    assert set(rows["unit_reported"]) == set(factors)
    for _, row in rows.iterrows():
        assert row["value"] == float(Decimal(row["value_text"]) * factors[row["unit_reported"]])
    hohhot_msw = rows[(rows["facility_id"] == "150100-MT-01")].iloc[0]
    assert hohhot_msw["unit_reported"] == "万吨" and hohhot_msw["unit"] == "吨"
    assert hohhot_msw["value"] == float(Decimal(hohhot_msw["value_text"]) * 10_000)
    assert 50_000 < hohhot_msw["value"] < 70_000
    sewage = rows[rows["facility_id"] == "150100-DR-01"].iloc[0]
    assert (sewage["unit_reported"], sewage["unit"]) == ("万m³", "m³")
    assert sewage["value"] == float(Decimal(sewage["value_text"]) * 10_000)


def test_rates_of_the_demo_month_are_realistic() -> None:
    rows = parse(generate(PERIOD)).rows.assign(pref=lambda r: r["region_prefecture"])

    def total(item: str, kind: str | None = None) -> pd.Series:
        pick = rows[(rows["item"] == item) & ((rows["kind"] == kind) if kind else True)]
        return pick.groupby("pref")["value"].sum()

    producer = "hazardous_waste_producer"
    sewage = (total("sewage_treated") / total("sewage_discharged") * 100).dropna()
    msw = (total("msw_safely_treated") / total("msw_collected") * 100).dropna()
    hw = ((total("hw_utilized", producer) + total("hw_disposed", producer)) / total("hw_generated") * 100).dropna()
    isw = total("isw_utilized") / (total("isw_generated") + total("isw_utilized_from_storage")) * 100
    assert sewage.between(96, 98).all() and msw.between(99.5, 100).all() and isw.between(40, 60).all()
    assert hw.drop("152500").between(95, 100).all() and hw["152500"] > 100  # the case that exercises the cap
    assert 800e4 < total("sewage_discharged")["150100"] < 1200e4


def test_clean_month_passes_the_suite(gx_root: Path) -> None:
    assert run_suite(parse(generate(PERIOD)).rows, gx_root, "clean") == {}


# --- row faults, through the suite ----------------------------------------------------------------------------


def test_each_row_fault_is_quarantined_by_its_rule_with_its_line(gx_root: Path) -> None:
    content = generate(PERIOD, faults={"wrong_unit", "missing_unit", "negative", "duplicate"})
    parsed = parse(content)
    assert parsed.issues == []
    found = run_suite(parsed.rows, gx_root, "faults")
    wrong, missing, negative = (line_of(content, *FAULT_TARGETS[f]) for f in ("wrong_unit", "missing_unit", "negative"))
    last = max(parsed.lines)
    assert found == {
        "unit.wrong_dimension": [("error", rows_at(parsed, [wrong]))],
        "unit.missing": [("error", rows_at(parsed, [missing]))],
        "waste.value_non_negative": [("error", rows_at(parsed, [negative]))],
        "waste.one_value_per_facility_item": [
            ("error", rows_at(parsed, [line_of(content, *FAULT_TARGETS["duplicate"]), last]))],
    }
    row = parsed.rows.set_index("source_line").loc[wrong]
    assert (row["item"], row["unit_reported"], row["unit"], row["dimension_ok"]) == ("msw_collected", "万m³", "", False)
    assert math.isnan(row["value"]) and not math.isnan(row["value_reported"])
    assert "万m³" in parsed.lines[wrong] and "msw_collected" in parsed.lines[wrong]  # quoted whole in quarantine


def frame_of(*lines: str) -> pd.DataFrame:
    return parse(("\ufeff" + HEADER + "\n" + "\n".join(lines) + "\n").encode()).rows


def test_rules_on_handmade_rows(gx_root: Path) -> None:
    ok = "2025-01,F{n},某厂,150102,hazardous_waste_producer,hw_generated,12.5,吨,"
    rows = frame_of(
        ok.format(n=0),                                                              # 0: a county of a known 盟市
        "2025-01,F1,某厂,150102,hazardous_waste_producer,hw_generated,12.5,kg,",     # 1: unknown unit
        "2025-01,F2,某厂,159902,hazardous_waste_producer,hw_generated,12.5,吨,",     # 2: unknown region
        "2025-01,F3,某厂,1501,hazardous_waste_producer,hw_generated,12.5,吨,",       # 3: malformed region
        "2025-01,F4,某厂,150102,sewage_plant,hw_generated,12.5,吨,",                 # 4: item not for this kind
        "2025-02,F5,某厂,150102,hazardous_waste_producer,hw_generated,12.5,吨,",     # 5: other month
        "2025-01,F6,某厂,150102,hazardous_waste_producer,hw_generated,1.2万,吨,",    # 6: not a number
        "2025-01,F7,某厂,150102,sewage_plant,sewage_treated,12.5,万吨,",             # 7: mass unit, volume item
        "2025-01,F8,某厂,150102,landfill,msw_collected,12.5,吨,",                    # 8: unknown kind
        "2025-01,F9,某厂,150102,hazardous_waste_producer,hw_made,12.5,吨,",          # 9: unknown item
        "2025-01,,某厂,150102,hazardous_waste_producer,hw_generated,12.5,吨,",       # 10: no facility id
        "2025-01,F11,某厂,150100,hazardous_waste_producer,hw_generated,150000,吨,",  # 11: large (warning)
        "2025-01,F12,某厂,152502,urban_drainage,sewage_discharged,12.5, 万立方米 ,",  # 12: fine, spaces trimmed
        "2025-01,F13,某厂,150600,industrial_solid_waste_producer,isw_generated,1500,万吨,",  # 13: large (warning)
        "2025-01,F14,某厂,150100,urban_drainage,sewage_discharged,20000,万m³,",  # 14: large (warning)
    )
    found = run_suite(rows, gx_root, "handmade")
    assert found == {
        "unit.unknown": [("error", [1])],
        "region.known": [("error", [2])],
        "region.code_format": [("error", [3])],
        "waste.item_allowed_for_kind": [("error", [4])],
        "waste.period_matches_file": [("error", [5])],
        "waste.value_numeric": [("error", [6])],
        "unit.wrong_dimension": [("error", [7])],
        "waste.known_kind": [("error", [8])],
        "waste.known_item": [("error", [9])],
        "waste.facility_id_present": [("error", [10])],
        "waste.plausible_hazardous_mass": [("warning", [11])],
        "waste.plausible_mass": [("warning", [13])],
        "waste.plausible_volume": [("warning", [14])],
    }
    assert rows.loc[12, "value"] == 125_000.0 and rows.loc[12, "unit"] == "m³"


def test_unit_reasons_name_the_accepted_spellings() -> None:
    reasons = {e["meta"]["rule"]: e["meta"]["reason"] for e in suite_definition("waste_quantities")["expectations"]}
    assert all(spelling in reasons["unit.unknown"] for spelling in UNITS)
    assert "吨" in reasons["unit.missing"] and "万m³" in reasons["unit.missing"]


def test_suite_conditions_use_the_adapter_item_lists() -> None:
    conditions = [e["kwargs"]["row_condition"] for e in suite_definition("waste_quantities")["expectations"]
                  if e["meta"]["rule"] == "unit.wrong_dimension"]
    assert [re.findall(r"'(\w+)'", c) for c in conditions] == [list(MASS_ITEMS), list(VOLUME_ITEMS)]
    columns = json.loads((Path(__file__).parents[2] / "expectations" / "waste_quantities.json").read_text())
    assert columns["expectations"][0]["kwargs"]["column_set"] == list(parse(generate(PERIOD)).rows.columns)
    assert {i for items in ITEMS_BY_KIND.values() for i in items} == set(MASS_ITEMS + VOLUME_ITEMS)


# --- file faults ----------------------------------------------------------------------------------------------


def test_gbk_file_is_a_parse_error_with_the_byte_offset() -> None:
    content = generate(PERIOD, faults={"gbk"})
    with pytest.raises(ParseError) as caught:
        parse(content)
    offset = next(i for i, b in enumerate(content) if b >= 0x80)
    assert caught.value.file == NAME and caught.value.line == 2
    assert f"byte offset {offset}" in caught.value.reason and "UTF-8" in caught.value.reason
    assert "GBK" in caught.value.reason


def test_truncated_file_quarantines_the_cut_line_and_loads_the_rest() -> None:
    content = generate(PERIOD, faults={"truncated"})
    assert not content.endswith(b"\n")
    parsed = parse(content)
    cut = content.decode("utf-8-sig").split("\r\n")[-1]
    assert [(i.source_line, i.rule, i.severity, i.record) for i in parsed.issues] == [
        (80, "parse.field_count", "error", cut)]
    assert len(parsed.rows) == 78 and 80 not in set(parsed.rows["source_line"])
    assert parsed.lines[80] == cut


def test_file_cut_inside_a_character_is_a_truncation_not_an_encoding_error() -> None:
    content = generate(PERIOD)
    cut = content[: content.rindex("达拉特旗".encode()) + 1]  # the first byte of a 3-byte character
    parsed = parse(cut)
    assert [(i.source_line, i.rule) for i in parsed.issues] == [(80, "parse.truncated")]
    assert len(parsed.rows) == 78


def test_line_with_an_unquoted_comma_is_a_field_count_issue() -> None:
    rows = "2025-01,F1,某厂,一期,150102,hazardous_waste_producer,hw_generated,12.5,吨,"
    parsed = parse(f"{HEADER}\n{rows}\n".encode())
    assert [(i.source_line, i.rule, i.column_name) for i in parsed.issues] == [(2, "parse.field_count", "hw_generated")]
    assert parsed.rows.empty and list(parsed.rows.columns)


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n"])
def test_empty_file_is_a_parse_error_naming_the_header(content: bytes) -> None:
    with pytest.raises(ParseError, match=f"empty file: expected the header line {HEADER}"):
        parse(content)


def test_wrong_header_is_a_parse_error_naming_what_was_expected() -> None:
    swapped = HEADER.replace("value,unit", "unit,value")
    with pytest.raises(ParseError, match=r"header must be period,facility_id.*another order") as caught:
        parse(f"{swapped}\n".encode())
    assert caught.value.line == 1
    with pytest.raises(ParseError, match="missing note"):
        parse(HEADER.removesuffix(",note").encode() + b"\n")


def test_header_only_file_is_a_warning() -> None:
    parsed = parse(f"\ufeff{HEADER}\r\n".encode())
    assert parsed.rows.empty and [(i.rule, i.severity) for i in parsed.issues] == [("parse.no_rows", "warning")]


# --- adapter interface ----------------------------------------------------------------------------------------


def test_files_and_parameters() -> None:
    assert [(f.name, f.path) for f in ADAPTER.files(Period.parse(PERIOD))] == [(NAME, "waste/2025-01.csv")]
    con = duckdb.connect()
    con.execute("CREATE SCHEMA catalogue; CREATE TABLE catalogue.regions (region_code VARCHAR)")
    con.execute("INSERT INTO catalogue.regions VALUES ('150100'), ('152500')")
    params = ADAPTER.expectation_parameters(con, NAME)
    assert params == build_parameters(["150100", "152500"], PERIOD)
    assert params["period"] == [PERIOD] and set(params["accepted_units"]) == set(UNITS)
    with pytest.raises(ParseError, match="waste_YYYY-MM.csv"):
        ADAPTER.expectation_parameters(con, "waste.csv")


def test_landing_frame_matches_the_raw_table() -> None:
    parsed = parse(generate(PERIOD))
    frame = ADAPTER.landing_frame(parsed.rows, batch_id="b1", period=PERIOD, file_name=NAME)
    assert list(frame.columns) == ["batch_id", "period", "file_name", "source_line", "facility_id", "facility_name",
                                   "region_code", "kind", "item", "value", "unit", "value_reported", "unit_reported",
                                   "note"]
    assert str(frame["source_line"].dtype) == "int32" and str(frame["value"].dtype) == "float64"
    con = duckdb.connect()
    con.execute("""CREATE TABLE waste_quantities (batch_id VARCHAR, period VARCHAR, file_name VARCHAR,
        source_line INTEGER, facility_id VARCHAR, facility_name VARCHAR, region_code VARCHAR, kind VARCHAR,
        item VARCHAR, value DOUBLE, unit VARCHAR, value_reported DOUBLE, unit_reported VARCHAR, note VARCHAR)""")
    con.register("frame", frame)
    con.execute("INSERT INTO waste_quantities SELECT * FROM frame")
    total = con.execute("SELECT sum(value) FROM waste_quantities WHERE item = 'msw_collected' AND unit = '吨'")
    assert total.fetchone()[0] == pytest.approx(parsed.rows.query("item == 'msw_collected'")["value"].sum())


def test_main_prints_one_month(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main([PERIOD]) == 0
    assert capsysbinary.readouterr().out == generate(PERIOD)
    assert main([PERIOD, "--faults", "gbk,truncated"]) == 0
    assert capsysbinary.readouterr().out == generate(PERIOD, faults={"gbk", "truncated"})
