"""The key-project catalogue (projects.csv, project_milestones.csv): complete against the seeds' two tables, its
budgets in 万元, checked by `ecoflow catalogue check`, loaded into the warehouse.

The two tables are copied verbatim from the seeds into tests/fixtures/seed_projects/ (003 附件2 项目清单, 002 附表
重大工程表), so the test runs where the seeds are not available; it parses them on its own, not with the catalogue.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tasks.catalogue import check as catalogue
from tasks.catalogue.check import CATALOGUE_DIR, check
from tasks.core import settings as settings_mod
from tasks.flow.warehouse import writer

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "fixtures" / "seed_projects"


def read(name: str, folder: Path = CATALOGUE_DIR) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def squeeze(text: str) -> str:
    """The seeds wrap cells with spaces inside words; compare names without any whitespace."""
    return re.sub(r"\s+", "", text)


def seed_rows(name: str) -> list[list[str]]:
    """The project rows of a seed table: the cells of each line whose first or second cell is a 序号."""
    rows = []
    for line in (SEEDS / name).read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) > 2 and re.fullmatch(r"\d{1,2}", cells[0]):
            rows.append(cells)
        elif len(cells) > 3 and re.fullmatch(r"\d{1,2}", cells[1]):
            rows.append(cells[1:])
    return rows


def projects(region: str) -> dict[int, dict[str, str]]:
    return {int(p["seq"]): p for p in read("projects.csv") if p["region_code"] == region}


def test_every_project_of_hohhots_annex_2_is_in_the_catalogue_by_number_and_name() -> None:
    seed = {int(r[0]): squeeze(r[1]) for r in seed_rows("003_annex2.txt")}
    assert sorted(seed) == list(range(1, 77))  # 76 rows: the summary's 75 misses 序号76 (RESOLUTIONS.md §8 P2)
    catalogued = projects("150100")
    assert {n: squeeze(p["name_zh"]) for n, p in catalogued.items()} == seed


def test_every_project_of_tumed_lefts_major_projects_table_is_in_the_catalogue_by_number_and_name() -> None:
    seed = {int(r[0]): squeeze(r[2]) for r in seed_rows("002_major_projects.txt")}
    assert sorted(seed) == list(range(1, 31))
    assert {n: squeeze(p["name_zh"]) for n, p in projects("150121").items()} == seed


def test_hohhot_budgets_are_converted_from_yi_yuan_except_the_four_that_are_wan_yuan() -> None:
    seed = {int(r[0]): r[5].strip() for r in seed_rows("003_annex2.txt")}
    catalogued = projects("150100")
    for number, printed in seed.items():
        got = catalogued[number]["budget_wan"]
        if printed in ("-", ""):
            assert got == "", number
        elif number in (41, 42, 43, 66):
            assert Decimal(got) == Decimal(printed), number
        else:
            assert Decimal(got) == Decimal(printed) * 10000, number
    assert catalogued[4]["budget_wan"] == "10520" and catalogued[41]["budget_wan"] == "4491.52"
    # 42 + 43 are the two halves of Tumed Left's project 2; 66 is its project 18 (the evidence for 万元).
    tumed = projects("150121")
    assert abs(Decimal(catalogued[42]["budget_wan"]) + Decimal(catalogued[43]["budget_wan"])
               - Decimal(tumed[2]["budget_wan"])) < Decimal("0.05")
    assert Decimal(catalogued[66]["budget_wan"]) == Decimal(tumed[18]["budget_wan"])


def test_tumed_left_budgets_sum_to_the_plans_total_and_its_category_subtotals_but_one_misprint() -> None:
    tumed = projects("150121")
    total = sum(Decimal(p["budget_wan"]) for p in tumed.values() if p["budget_wan"])
    assert total == Decimal("356387.32")  # the text's 35.64亿元
    by_domain: dict[str, Decimal] = {}
    for p in tumed.values():
        by_domain[p["domain"]] = by_domain.get(p["domain"], Decimal(0)) + Decimal(p["budget_wan"] or 0)
    assert by_domain == {"生态空间": Decimal("15583.13"), "生态经济": Decimal("237504.00"),  # printed 364504.00
                         "生态安全": Decimal("43181.72"), "生态生活": Decimal("52328.47"),
                         "生态文化": Decimal("7300.00"), "生态制度": Decimal("490.00")}


def test_attainment_projects_are_the_four_the_table_types_and_name_their_indicator() -> None:
    seed = {int(r[0]): squeeze(r[7]) for r in seed_rows("002_major_projects.txt")}
    tumed = projects("150121")
    attain = {n for n, kind in seed.items() if kind.endswith("达标工程")}
    assert attain == {7, 11, 14, 19, 21}
    assert {n for n, p in tumed.items() if p["project_type"] == "attainment"} == attain
    assert tumed[19]["attainment_indicator"] == "village_drinking_water_sanitary_rate"
    assert all(p["project_type"] == "consolidation" for n, p in tumed.items() if n not in attain)


def test_every_project_has_a_reporting_department_of_the_catalogue() -> None:
    departments = {d["department_code"] for d in read("departments.csv")}
    rows = read("projects.csv")
    assert len(rows) == 106
    assert all(p["department_code"] in departments for p in rows)
    hohhot = projects("150100")
    assert (hohhot[8]["department_code"], hohhot[8]["cooperating_departments"]) == ("150123-xqzf", "150124-xqzf")
    assert hohhot[76]["department_code"] == "150100-xcb"


def test_the_milestones_of_the_farmland_project_follow_its_yearly_quantities() -> None:
    rows = [m for m in read("project_milestones.csv") if m["project_code"] == "150121-P05"]
    assert [m["year"] for m in rows] == ["2021", "2022", "2023", "2024", "2025"]
    done = [20.6, 45.6, 70.4, 90.4, 105]
    assert [float(m["planned_share"]) for m in rows] == [round(d / 105 * 100, 1) if d < 105 else 100 for d in done]


# ---- the checker on broken copies ---------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "catalogue"
    target.mkdir()
    for name in catalogue.HEADERS:
        shutil.copy(CATALOGUE_DIR / name, target / name)
    return target


def edit(folder: Path, name: str, code: str, **changes: str) -> int:
    """Change cells of the row whose first cell is `code` (the first such row); its line number, header = 1."""
    path = folder / name
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    line = next(i for i, r in enumerate(rows) if r[0] == code)
    for column, value in changes.items():
        rows[line][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return line + 1


def errors(folder: Path) -> list[str]:
    return [str(e) for e in check(folder)]


def test_a_copy_passes(folder: Path) -> None:
    assert errors(folder) == []


def test_unknown_department_and_indicator(folder: Path) -> None:
    line = edit(folder, "projects.csv", "150100-P04", department_code="150104-zjj", indicator_codes="air_pm10")
    assert errors(folder) == [f"projects.csv:{line}: department_code: unknown department '150104-zjj' "
                              "(departments.csv)",
                              f"projects.csv:{line}: indicator_codes: unknown indicator 'air_pm10'"]


def test_project_code_region_and_number(folder: Path) -> None:
    line = edit(folder, "projects.csv", "150100-P05", project_code="150121-P05")
    line2 = edit(folder, "projects.csv", "150100-P06", project_code="150100-P60")
    assert errors(folder) == [f"projects.csv:{line}: project_code: should start with its region code 150100-",
                              f"projects.csv:{line2}: project_code: its number does not match 序号 6"]


def test_attainment_needs_its_indicator_and_only_attainment_has_one(folder: Path) -> None:
    line = edit(folder, "projects.csv", "150121-P07", attainment_indicator="")
    line2 = edit(folder, "projects.csv", "150121-P08", attainment_indicator="energy_per_gdp")
    assert errors(folder) == [
        f"projects.csv:{line}: attainment_indicator: an attainment project (指标N达标工程) names the indicator it "
        "makes meet its target, one of its indicator_codes",
        f"projects.csv:{line2}: attainment_indicator: only an attainment project (指标N达标工程) has one"]


def test_years_and_budget(folder: Path) -> None:
    line = edit(folder, "projects.csv", "150100-P05", start_year="2024")
    line2 = edit(folder, "projects.csv", "150100-P06", end_year="")
    line3 = edit(folder, "projects.csv", "150100-P07", budget_wan="0")
    assert errors(folder) == [f"projects.csv:{line}: end_year: 2023 is before start_year 2024",
                              f"projects.csv:{line2}: end_year: start_year and end_year go together (both empty "
                              "when the plan gives none)",
                              f"projects.csv:{line3}: budget_wan: 0 万元 is not a budget (leave it empty when the "
                              "plan has none)"]


def test_milestones_rise_to_100_within_the_years(folder: Path) -> None:
    path = folder / "project_milestones.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",67.0,", ",40,")       # 2023 below 2022's 43.4
    lines.append("150121-P05,2026,100,x,y")              # after the project's end
    lines.append("150121-P99,2022,50,x,y")               # no such project
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert errors(folder) == [
        "project_milestones.csv:4: planned_share: 40 does not rise over the year before (43.4)",
        "project_milestones.csv:7: year: 2026 is outside the project's years 2021-2025",
        "project_milestones.csv:8: project_code: unknown project '150121-P99'"]


def test_the_last_year_of_the_project_plans_100(folder: Path) -> None:
    path = folder / "project_milestones.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",100,", ",99,"), encoding="utf-8")
    assert errors(folder) == ["project_milestones.csv:6: planned_share: the last year of the project plans 100"]


def test_duplicate_seq_in_a_region(folder: Path) -> None:
    line = edit(folder, "projects.csv", "150121-P02", seq="1", project_code="150121-P01")
    assert errors(folder) == [f"projects.csv:{line}: project_code: duplicate project_code 150121-P01 (first on line "
                              f"{line - 1})",
                              f"projects.csv:{line}: seq: duplicate 序号 of the region's list (150121, 1) (first on "
                              f"line {line - 1})"]


# ---- the warehouse -------------------------------------------------------------------------------------------------


@pytest.fixture
def con(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[duckdb.DuckDBPyConnection]:
    monkeypatch.setenv("ECOFLOW_HOME", str(tmp_path / "home"))
    with writer(settings_mod.load()) as connection:
        yield connection


def test_the_catalogue_load_brings_every_project_and_milestone_into_the_warehouse(con) -> None:
    assert con.execute("SELECT count(*), count(budget_wan), sum(budget_wan) FILTER (region_code = '150121') "
                       "FROM catalogue.projects").fetchone() == (106, 100, pytest.approx(356387.32))
    row = con.execute("SELECT indicator_codes, start_year, end_year, cooperating_departments FROM catalogue.projects "
                      "WHERE project_code = '150100-P08'").fetchone()
    assert row == (["air_good_day_ratio", "air_pm25_mean"], 2021, 2023, ["150124-xqzf"])
    assert con.execute("SELECT count(*), max(planned_share) FROM catalogue.project_milestones").fetchone() == (5, 100)
