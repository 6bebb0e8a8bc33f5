"""The 月报: the monthly report a bureau circulates, as printable A4 HTML and a PDF printed from it.

Modelled on the reports its readers know (CNEMC's 全国城市空气质量月报, the provincial 环境质量月报): a masthead, a
generated 综述, the ranking of the cities with 同比 and 首要污染物, surface water by section class, two charts, the
month's alerts in one table — a main body of at most four A4 pages — then, in March, June, September and December,
the quarter's assessment (季考核: tasks/report/assessment.py's computation and content in short — the lists, the
scores, a line per region — on a few pages of its own), and an annex with the indicator detail per region, listing
only what is due or changed this month (annual indicators not yet due go in one line per region).

Everything is read from the warehouse as stored (the values and statuses `ecoflow indicators` shows); nothing is
recomputed here. The month's 首要污染物 of a city is the pollutant that was the primary pollutant (highest IAQI,
HJ 633) on the most valid non-good days of its daily facts; a city with no non-good day has none ([D], written in
docs/bulletin.md). The PDF is printed by WeasyPrint (pinned; no network: the HTML has no external asset).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from tasks.alert.rules import LABELS_ZH
from tasks.core import sql, templates
from tasks.core.errors import UsageError
from tasks.core.periods import TZ, Period
from tasks.core.settings import Settings
from tasks.evaluate.evaluation import AWAITING
from tasks.notify import messages
from tasks.notify.wording import number
from tasks.report import assessment, bulletin
from tasks.report import charts as report_charts
from tasks.standards.rounding import round_half_even

DEFAULT_REGION = "150000"
DEFAULT_OFFICE = "内蒙古自治区生态环境厅"
WATER_CLASSES = ("Ⅰ类", "Ⅱ类", "Ⅲ类", "Ⅳ类", "Ⅴ类", "劣Ⅴ类")
POLLUTANT_TEXT = {"SO2": "SO₂", "NO2": "NO₂", "CO": "CO", "PM10": "PM10", "PM2.5": "PM2.5", "O3": "O₃"}


@dataclass(frozen=True)
class Masthead:
    """What the masthead says: the issuing office, the issue number (第×期) and the date of issue."""
    office: str
    issue: int
    issued: date

    @classmethod
    def of(cls, period: Period, *, office: str | None = None, issue: int | None = None,
           issued: date | None = None) -> Masthead:
        """Defaults: ECOFLOW_REPORT_OFFICE (else the autonomous region's department), the month's number as the
        issue (one issue a month), today in Asia/Shanghai."""
        return cls(office=office or os.environ.get("ECOFLOW_REPORT_OFFICE") or DEFAULT_OFFICE,
                   issue=issue if issue is not None else period.month,
                   issued=issued or datetime.now(TZ).date())


# -- public --------------------------------------------------------------------------------------------------------

def default_path(settings: Settings, period: Period, region: str = DEFAULT_REGION) -> Path:
    """`ECOFLOW_HOME/reports/monthly/<period>[-<region>].html` (the PDF beside it, .pdf)."""
    name = str(period) if region == DEFAULT_REGION else f"{period}-{region}"
    return settings.reports_dir / "monthly" / f"{name}.html"


def write(settings: Settings, period: Period, region: str = DEFAULT_REGION, out: Path | None = None,
          masthead: Masthead | None = None, *, pdf: bool = True,
          detail: dict[str, Any] | None = None) -> tuple[Path, Path | None]:
    """Write the 月报 as HTML (and PDF beside it) and return both paths. Each file is written to a temporary name
    and renamed, so a reader never sees half a report. `detail`: the month's bulletin context (bulletin.read), when
    the caller has read it for the bulletin already."""
    html = render(settings, period, region, masthead or Masthead.of(period), detail)
    path = Path(out) if out is not None else default_path(settings, period, region)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic(path, html.encode("utf-8"))
    if not pdf:
        return path, None
    pdf_path = path.with_suffix(".pdf")
    _atomic(pdf_path, to_pdf(html))
    return path, pdf_path


def to_pdf(html: str) -> bytes:
    """The HTML printed to A4 PDF by WeasyPrint (imported here: it is heavy and only the report needs it)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=html).write_pdf()


def render(settings: Settings, period: Period, region: str, masthead: Masthead,
           detail: dict[str, Any] | None = None) -> str:
    from tasks.core.warehouse import connect

    with connect(settings, read_only=True) as con:
        ctx = context(con, period, region, masthead, detail)
    return templates.environment(trim=True).get_template("monthly_report.html.j2").render(**ctx, m=messages.REPORT)


def context(con: duckdb.DuckDBPyConnection, period: Period, region: str, masthead: Masthead,
            detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the template shows, computed from the warehouse; the alerts and the annex from the month's bulletin
    context (`detail`, read here when not given)."""
    name = next(iter(con.execute(sql.load("queries/region_name"), {"region_code": region}).fetchall()), None)
    if name is None:
        raise UsageError(f"unknown region code {region!r} (see warehouse/catalogue/regions.csv)")
    last_year = f"{period.year - 1:04d}-{period.month:02d}"
    rows = sql.rows(con, "queries/report_city_air", {"period": str(period), "last_year": last_year,
                                                      "parent": region})
    cities = ranking([r for r in rows if r["region_code"] != region])
    whole = next((_city(r) for r in rows if r["region_code"] == region), None)
    months = bulletin.window(period)
    trend = sql.rows(con, "queries/report_region_trend", {"region": region, "first": months[0],
                                                          "period": str(period)})
    water = _water(sql.rows(con, "queries/report_water_classes", {"period": str(period)}))
    detail = detail if detail is not None else bulletin.context(con, period, None)
    alerts = detail["alerts"]
    return {
        "masthead": {"office": masthead.office, "issue": masthead.issue,
                     "issued": f"{masthead.issued.year}年{masthead.issued.month}月{masthead.issued.day}日"},
        "period": str(period), "period_zh": bulletin.month_zh(period), "region": region, "region_name": name[0],
        "whole": whole, "cities": cities, "water": water, "alerts": alerts,
        "overview": overview(period, name[0], whole, cities, water, alerts),
        "charts": report_charts.charts(cities, trend, months),
        "annex": annex(detail["regions"], detail["changes"], period),
        "assessment": quarter_assessment(con, period, region, masthead.issued),
    }


def quarter_assessment(con: duckdb.DuckDBPyConnection, period: Period, region: str,
                       issued: date) -> dict[str, Any] | None:
    """In a quarter's last month, the quarter's assessment as `ecoflow assess` computes it, cut to the report's region
    and those below it; None in the other months. Projects are judged as of the day `ecoflow assess` judges them
    (the day after the sheets were due), or as of the date of issue when the report comes out before that: a sheet
    not yet due is then 待报送, not missed (`ecoflow assess --as-of` that date gives the same numbers)."""
    quarter = assessment.Quarter.ending(period)
    if quarter is None:
        return None
    data = assessment.assess(con, quarter, as_of=min(assessment.default_as_of(quarter), issued))
    below = {r["region_code"] for r in sql.rows(con, "queries/region_descendants", {"region": region})}
    return {**assessment.within(data, below), "title": messages.ASSESSMENT["section"].format(quarter=quarter.zh)}


# -- ranking ---------------------------------------------------------------------------------------------------------

def ranking(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cities by 优良天数比例 (high first), ties by PM2.5 (low first), cities without a value last, unranked.
    Each gets its rank, texts at reporting precision and its 首要污染物."""
    cities = [_city(r) for r in rows]
    cities.sort(key=lambda c: (c["good_ratio"] is None, -(c["good_ratio"] or 0),
                               c["pm25"] if c["pm25"] is not None else float("inf"), c["region_code"]))
    rank = 0
    for i, c in enumerate(cities):
        if c["good_ratio"] is None:
            c["rank"] = None
            continue
        previous = cities[i - 1] if i else None
        tie = previous is not None and previous["good_text"] == c["good_text"] and previous["pm25_text"] == c[
            "pm25_text"]
        rank = rank if tie else i + 1
        c["rank"] = rank
    return cities


def _city(r: dict[str, Any]) -> dict[str, Any]:
    good, good_ly = r["good_ratio"], r["good_ratio_last_year"]
    pm, pm_ly = r["pm25"], r["pm25_last_year"]
    return {**r, "good_text": number(good, 1), "pm25_text": number(pm, 1),
            "good_yoy": points_change(good, good_ly), "pm25_yoy": percent_change(pm, pm_ly),
            "primary": primary_pollutants(r["primary_days"]),
            "incomplete": r["good_coverage_ok"] is False or r["pm25_coverage_ok"] is False}


def primary_pollutants(days: list[dict[str, Any]] | None) -> str:
    """The month's 首要污染物: the pollutant(s) primary on the most non-good days; '—' when there was none."""
    if not days:
        return "—"
    top = max(d["days"] for d in days)
    return "、".join(POLLUTANT_TEXT.get(d["pollutant"], d["pollutant"]) for d in days if d["days"] == top)


def points_change(value: float | None, last_year: float | None) -> dict[str, Any] | None:
    """同比 of a ratio, in percentage points at reporting precision (1 decimal); None without last year's value."""
    if value is None or last_year is None:
        return None
    change = round_half_even(value, 1) - round_half_even(last_year, 1)
    return {"value": float(change), "text": f"{change:+.1f}", "better": change > 0, "worse": change < 0}


def percent_change(value: float | None, last_year: float | None) -> dict[str, Any] | None:
    """同比 of a concentration, as a percentage of last year's value (lower is better)."""
    if value is None or last_year is None or not last_year:
        return None
    change = round_half_even((value - last_year) / last_year * 100, 1)
    return {"value": float(change), "text": f"{change:+.1f}%", "better": change < 0, "worse": change > 0}


# -- water, overview -------------------------------------------------------------------------------------------------

def _water(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_class = {r["water_class"]: r for r in rows}
    evaluated = sum(r["sections"] for r in rows if r["water_class"] is not None)
    classes = [{"label": label, "sections": by_class.get(i, {}).get("sections", 0),
                "share": _share(by_class.get(i, {}).get("sections", 0), evaluated),
                "names": "、".join(by_class.get(i, {}).get("names", []) or [])}
               for i, label in enumerate(WATER_CLASSES, start=1)]
    good = sum(c["sections"] for c in classes[:3])
    return {"evaluated": evaluated, "not_evaluated": by_class.get(None, {}).get("sections", 0),
            "classes": classes, "good_share": _share(good, evaluated), "worst_share": _share(classes[5]["sections"],
                                                                                              evaluated)}


def _share(part: int, whole: int) -> str:
    return number(part / whole * 100, 1) if whole else "—"


def overview(period: Period, name: str, whole: dict[str, Any] | None, cities: list[dict[str, Any]],
             water: dict[str, Any], alerts: dict[str, Any]) -> list[str]:
    """The 综述: a few generated sentences, each from stored values only."""
    say = messages.REPORT
    out = []
    if whole and whole["good_ratio"] is not None:
        sentence = say["overview_air"].format(month=bulletin.month_zh(period), name=name, good=whole["good_text"],
                                              good_yoy=_yoy_points(whole["good_yoy"]))
        if whole["pm25"] is not None:
            sentence += say["overview_pm25"].format(pm25=whole["pm25_text"], pm25_yoy=_yoy_percent(whole["pm25_yoy"]))
        out.append(sentence + "。")
    ranked = [c for c in cities if c["rank"] is not None]
    if len(ranked) > 1:
        best, worst = ranked[0], ranked[-1]
        out.append(say["overview_cities"].format(n=len(ranked), best=best["region_name"], best_good=best["good_text"],
                                                 worst=worst["region_name"], worst_good=worst["good_text"]))
    elif not ranked:
        out.append(say["overview_no_air"].format(month=bulletin.month_zh(period)))
    if water["evaluated"]:
        out.append(say["overview_water"].format(n=water["evaluated"], good=water["good_share"],
                                                worst=water["worst_share"]))
    else:
        out.append(say["overview_no_water"])
    kinds = "、".join(f"{label}{n}项" for label, n in alerts["kinds"])
    projected = sum(n for label, n in alerts["kinds"] if label == LABELS_ZH["projected_miss"])
    if alerts["raised"]:
        out.append(say["overview_alerts"].format(n=alerts["raised"], kinds=kinds, open=alerts["open"])
                   + (say["overview_projected"].format(n=projected) if projected else say["overview_no_projected"]))
    else:
        out.append(say["overview_no_alerts"])
    return out


def _yoy_points(change: dict[str, Any] | None) -> str:
    if change is None:
        return messages.REPORT["no_last_year"]
    if not change["value"]:
        return "与上年同期持平"
    return f"同比{'上升' if change['value'] > 0 else '下降'}{abs(change['value']):.1f}个百分点"


def _yoy_percent(change: dict[str, Any] | None) -> str:
    if change is None:
        return messages.REPORT["no_last_year"]
    if not change["value"]:
        return "与上年同期持平"
    return f"同比{'上升' if change['value'] > 0 else '下降'}{abs(change['value']):.1f}%"


# -- annex -----------------------------------------------------------------------------------------------------------

def annex(regions: list[dict[str, Any]], changes: dict[str, Any], period: Period) -> list[dict[str, Any]]:
    """Per region: the indicators due or changed this month (a value of this month, or a status that changed),
    and, in one line, the annual indicators not yet due."""
    changed = {(c["region_code"], c["indicator_code"]) for c in changes["status_changed"] + changes["moved"]}
    out = []
    for reg in regions:
        due, waiting = [], []
        for i in reg["items"]:
            this_month = i["value"] is not None and i["basis_period"] is not None and not i["carried"]
            if this_month or (reg["code"], i["indicator_code"]) in changed:
                due.append(i)
            elif i["frequency"] == "annual" and (i["status"] in (AWAITING, None)) and i["value"] is None:
                waiting.append(i["no"] or i["name_zh"])
            elif i["status"] is not None and i["value"] is None:
                due.append(i)  # owed this month and not in: the reader must see the gap
        if due or waiting:
            out.append({"code": reg["code"], "name": reg["name"], "rows": due, "waiting": waiting,
                        "counts": reg["counts"]})
    return out


def _atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
