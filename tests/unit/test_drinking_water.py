"""集中式饮用水水源地水质优良比例 (RULES §3): each source judged item by item against class Ⅲ, the year so far by
count and by volume; and, where a region has no source listed, the ratio from the two submitted counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tasks.compute.drinking_water import BY_VOLUME, EVALUATED, MEETING, RATIO, derive, ratio_value, year_so_far
from tasks.core.periods import Period
from tasks.standards import drinking_water as standard


@pytest.mark.parametrize(("meeting", "evaluated", "value"), [(5, 6, 83.3), (6, 6, 100.0), (0, 3, 0.0), (1, 8, 12.5)])
def test_sources_meeting_class_iii_over_sources_evaluated(meeting: int, evaluated: int, value: float) -> None:
    assert ratio_value(meeting, evaluated) == (value, None)


@pytest.mark.parametrize(("meeting", "evaluated", "why"), [
    (0, 0, f"no source evaluated ({EVALUATED} = 0)"),
    (7, 6, f"{MEETING} 7 exceeds {EVALUATED} 6"),
    (2.5, 6, "source counts must be whole numbers (2.5 of 6)"),
])
def test_counts_that_cannot_be_true_give_no_value(meeting: float, evaluated: float, why: str) -> None:
    assert ratio_value(meeting, evaluated) == (None, why)


def _row(code: str, value: float, region: str = "150100") -> dict:
    return {"indicator_code": code, "region_code": region, "period": "2025-03", "period_type": "submitted",
            "variant": "raw", "value": value, "coverage_ok": True, "rules_version": "R", "batch_ids": [f"b-{code}"],
            "coverage_unit": "submission", "coverage_valid": 1, "coverage_expected": 1}


def test_the_computed_ratio_replaces_a_ratio_submitted_directly_and_one_count_alone_gives_none() -> None:
    lineage = {("150100", c): {"cell": c, "file_name": "f.xlsx"} for c in (EVALUATED, MEETING)}
    rows = [_row(RATIO, 100.0), _row(EVALUATED, 4), _row(MEETING, 3), _row(EVALUATED, 2, region="150200")]
    out = derive(rows, lineage)
    [ratio] = [r for r in out if r["indicator_code"] == RATIO]
    assert (ratio["region_code"], ratio["value"], ratio["batch_ids"]) == (
        "150100", 75.0, [f"b-{EVALUATED}", f"b-{MEETING}"])
    assert len(out) == 4   # the three counts kept as submitted, the direct ratio replaced


# ---- source by source (RULES §3: every item assessed meets class Ⅲ) --------------------------------------------

@pytest.mark.parametrize(("text", "reading"), [
    ("0.3", standard.Reading(0.3)), (0.3, standard.Reading(0.3)), ("０.３", standard.Reading(0.3)),
    ("0.004L", standard.Reading(None, True, 0.004)), ("<0.004", standard.Reading(None, True, 0.004)),
    ("＜0.004", standard.Reading(None, True, 0.004)), ("未检出", standard.Reading(None, True, None)),
    ("ND", standard.Reading(None, True, None)), ("约0.3", standard.Reading(None)), ("0.3mg/L", standard.Reading(None)),
    ("", None), (None, None),
])
def test_a_cell_reads_as_a_laboratory_writes_it(text: object, reading: standard.Reading | None) -> None:
    assert standard.read_cell(text) == reading


def _judge(kind: str, code: str, text: object, water_body: str | None = None) -> bool | None:
    return standard.meets(standard.item(kind, water_body, code), standard.read_cell(text))


@pytest.mark.parametrize(("kind", "body", "code", "text", "meets"), [
    ("groundwater", None, "fe", "0.3", True),          # closed bound: at the limit meets it
    ("groundwater", None, "fe", "0.31", False),
    ("groundwater", None, "nh3n", "0.50", True),
    ("groundwater", None, "nh3n", "0.51", False),
    ("groundwater", None, "ph", "6.5", True),          # GB/T 14848 class Ⅲ: 6.5–8.5
    ("groundwater", None, "ph", "6.4", False),
    ("groundwater", None, "ph", "8.6", False),
    ("surface", "river", "ph", "6.2", True),            # GB 3838: 6–9
    ("surface", "river", "do", "5", True),              # a minimum: at least 5 mg/L
    ("surface", "river", "do", "4.9", False),
    ("surface", "river", "tp", "0.2", True),            # river TP ≤ 0.2
    ("surface", "lake", "tp", "0.2", False),            # lake or reservoir TP ≤ 0.05
    ("surface", "lake", "tp", "0.05", True),
    ("surface", "river", "nitrate", "10", True),        # Table 2 for drinking-water sources
    ("surface", "river", "mn", "0.11", False),
    ("groundwater", None, "cd", "0.001L", True),        # below a detection limit under the limit
    ("groundwater", None, "cd", "未检出", True),
    ("groundwater", None, "hg", "0.002L", None),        # a detection limit above 0.001 cannot show it is met
    ("surface", "river", "do", "1L", False),            # below detection can never meet a minimum
    ("surface", "river", "ph", "未检出", None),
])
def test_each_item_is_judged_against_its_class_iii_limit(kind: str, body: str | None, code: str, text: str,
                                                        meets: bool | None) -> None:
    assert _judge(kind, code, text, body) is meets


def test_the_items_a_source_is_assessed_on() -> None:
    surface = {i.code for i in standard.items_for("surface", "river")}
    assert {"sulfate", "chloride", "nitrate", "fe", "mn", "codmn", "nh3n", "tp"} <= surface
    assert not surface & {"water_temp", "tn", "fecal_coliform"}    # not evaluated, as for a section
    ground = {i.code for i in standard.items_for("groundwater")}
    assert len(ground) == 37 and {"hardness", "tds", "total_coliform", "gross_beta"} <= ground
    assert standard.item("groundwater", None, "mn").limit_text() == "≤0.10"
    with pytest.raises(ValueError, match="source kind"):
        standard.items_for("spring")


def _cells(**values: object) -> dict:
    return {code: (standard.read_cell(text), str(text)) for code, text in values.items()}


def test_a_source_meets_the_standard_only_if_every_item_assessed_does() -> None:
    ok = standard.judge_month("S", "2025-03", "groundwater", None, [], _cells(ph=7.2, fe=0.1, nh3n="0.02L",
                                                                                supply=12.5))
    assert (ok.evaluated, ok.met, ok.assessed, ok.supply) == (True, True, 3, 12.5)
    one_over = standard.judge_month("S", "2025-03", "groundwater", None, [], _cells(ph=7.2, fe=0.1, nh3n=0.62))
    assert not one_over.met and one_over.failing == ["氨氮（以N计） 0.62 mg/L（Ⅲ类限值≤0.50）"]
    blank = standard.judge_month("S", "2025-03", "groundwater", None, [], _cells(supply=3))
    assert (blank.evaluated, blank.met) == (False, False)      # only the water taken: not monitored


def test_natural_background_items_are_recorded_but_not_judged() -> None:
    month = standard.judge_month("S", "2025-03", "groundwater", None, ["fe", "mn"], _cells(fe=0.52, mn=0.2, ph=7.1))
    assert month.met and month.assessed == 1
    assert month.background == ["铁 0.52（本底，不参评）", "锰 0.2（本底，不参评）"]


LISTED = [{"source_code": "152502-DW01", "name_zh": "一棵树水源地", "source_kind": "groundwater", "water_body": None,
           "background_items": ["fe", "mn"]},
          {"source_code": "152502-DW02", "name_zh": "柴达木水源地", "source_kind": "groundwater", "water_body": None,
           "background_items": []}]


def _results(period: str, **sources: dict[str, object]) -> list[dict]:
    rows = []
    for code, values in sources.items():
        for item_code, text in values.items():
            reading = standard.read_cell(text)
            rows.append({"period": period, "source_code": code.replace("_", "-"), "item": item_code,
                         "value": reading.value, "value_text": str(text), "below_detection": reading.below_detection,
                         "detection_limit": reading.detection_limit, "batch_id": f"b{period}",
                         "file_name": f"{period}.xlsx", "department_code": "152502-sthjj",
                         "department_name": "锡林浩特市分局", "received_at": datetime(2025, 1, 1, tzinfo=UTC)})
    return rows


def _year(months: int, fail_in: dict[str, int] | None = None, supply: dict[str, float] | None = None,
          skip: tuple[int, ...] = ()) -> list[dict]:
    rows = []
    for m in range(1, months + 1):
        if m in skip:
            continue
        period = f"2025-{m:02d}"
        for code in ("152502_DW01", "152502_DW02"):
            nh3n = 0.8 if (fail_in or {}).get(code) == m else 0.1
            fe = 0.6 if code == "152502_DW01" else 0.1     # 一棵树's iron is natural background
            values = {"ph": 7.4, "nh3n": nh3n, "fe": fe, "supply": (supply or {}).get(code, 10.0)}
            rows += _results(period, **{code: values})
    return rows


def test_the_year_so_far_counts_a_source_only_if_it_met_the_standard_in_every_month() -> None:
    """柴达木 missed in March and met since: by December it has not met the standard all year (全年均达标)."""
    count, volume = year_so_far("152502", Period(2025, 12), LISTED, _year(12, {"152502_DW02": 3}))
    assert (count["variant"], count["value"], count["numerator"], count["denominator"]) == ("raw", 50.0, 1.0, 2.0)
    assert count["coverage_ok"] and (count["coverage_valid"], count["coverage_expected"]) == (12, 12)
    assert "未达标：柴达木水源地（3月：氨氮（以N计） 0.8 mg/L（Ⅲ类限值≤0.50））" in count["notes"]
    assert "一棵树水源地的铁、锰" in count["notes"]            # 0.6 mg/L of iron is background there, not a miss
    # by volume: the water of the one month that missed is the only water that did not meet the standard
    assert (volume["variant"], volume["numerator"], volume["denominator"]) == (BY_VOLUME, 230.0, 240.0)
    assert volume["value"] == 95.8


def test_every_source_meeting_every_month_is_100() -> None:
    count, volume = year_so_far("152502", Period(2025, 2), LISTED, _year(2))
    assert (count["value"], volume["value"], count["coverage_ok"]) == (100.0, 100.0, True)
    assert count["notes"].startswith("2025年1—2月参评水源地2个，各次监测均达标2个；本月参评2个、达标2个")


def test_a_month_without_a_sheet_leaves_the_year_incomplete_and_says_which() -> None:
    count, _ = year_so_far("152502", Period(2025, 4), LISTED, _year(4, skip=(2,)))
    assert (count["value"], count["coverage_ok"], count["coverage_valid"]) == (100.0, False, 3)
    assert "未报送月份：2月" in count["notes"]


def test_a_listed_source_never_monitored_leaves_the_year_incomplete() -> None:
    only_one = [r for r in _year(1) if r["source_code"] == "152502-DW01"]
    count, _ = year_so_far("152502", Period(2025, 1), LISTED, only_one)
    assert (count["value"], count["denominator"], count["coverage_ok"]) == (100.0, 1.0, False)
    assert "尚未参评的水源地：柴达木水源地" in count["notes"]


def test_by_volume_needs_the_water_taken_of_every_source_month() -> None:
    rows = [r for r in _year(1) if not (r["source_code"] == "152502-DW02" and r["item"] == "supply")]
    count, volume = year_so_far("152502", Period(2025, 1), LISTED, rows)
    assert count["value"] == 100.0 and count["coverage_ok"]
    assert (volume["value"], volume["coverage_ok"]) == (None, False)
    assert "缺少取水量：柴达木水源地（1月）" in volume["notes"]
