"""The monthly bulletin (月度通报) leaders read: one self-contained HTML file per month, and region or all regions.

`write()` reads the warehouse read-only and writes `ECOFLOW_HOME/reports/bulletin/<period>[-<region>].html`: inline
CSS, inline SVG sparklines, no script, no external asset, Chinese. Every text from the warehouse (names, notes a
department typed into 备注, file names, validation reasons) goes through Jinja2 autoescaping. Numbers are shown at
each indicator's evaluation precision (`evaluation_digits`, RULES.md §1.12) — the precision they are judged at.

Sections and their queries (warehouse/queries/):
  1. header                       bulletin_meta (region name, data as of, whether the months were evaluated)
  2. counts per status            from the rows of bulletin_indicators
  3. every indicator by domain    bulletin_indicators (value, target, status, coverage; under the value the
                                  projected year-end value 预计年末, flagged 预计不达标 when it misses the target,
                                  and the rolling-12 value 滚动12个月 where stored) + bulletin_series (sparklines:
                                  12 months); a value computed from batches a steward accepted against error
                                  rules (overridden_batch_ids) is tagged 审核放行 with a footnote
  4. changes since last month     bulletin_changes (marts.indicator_status, this month against the previous) and
                                  bulletin_revisions (marts.indicator_value_history: the judged values of this month
                                  and the earlier months of its year revised since, 原值 → 现值 and why; capped)
  5. regions side by side         from the rows of bulletin_indicators (regions with a target; all-regions only)
  6. alerts of the month          bulletin_alerts (alerts.ledger: rule label from alert_rules.LABELS_ZH, 已升级,
                                  what the rule found, closed when and why, delivery)
  7. data coverage and problems   status_batches + status_issues (as `ecoflow status`), bulletin_files,
                                  bulletin_inbox (meta.inbox_files), bulletin_reviews (review.decisions: the
                                  month's steward decisions, 数据审核决定)
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from tasks.alert.rules import LABELS_ZH
from tasks.core import sql, templates
from tasks.core.errors import UsageError
from tasks.core.periods import TZ, Period
from tasks.core.settings import Settings
from tasks.evaluate.evaluation import AWAITING, IN_PROGRESS, MET, MISSED, NOT_MONITORED, STATUSES, THIN
from tasks.notify import messages
from tasks.notify.wording import COMPARATOR_ZH, number
from tasks.sources.spec import label as source_label
from tasks.standards.rounding import round_half_even

ALL_REGIONS_TITLE = "内蒙古自治区及各盟市"
DOMAINS = ("生态制度", "生态安全", "生态空间", "生态经济", "生态生活", "生态文化")
SPARK_MONTHS = 12
REVISIONS_SHOWN = 10  # section 4 lists this many revisions and says how many more there are
STATUS_CLASS = {MET: "met", MISSED: "missed", THIN: "thin", AWAITING: "awaiting", IN_PROGRESS: "progress",
                NOT_MONITORED: "unmonitored"}
_COVERAGE_UNIT = {"days": "天", "sections": "个断面", "facilities": "家设施", "submission": "份报送",
                  "cities": "个盟市"}
_RUN_STATUS = {"computed": "已计算", "landed": "已入库", "failed": "失败", "running": "运行中"}
_FILE_STATUS = {"landed": "已入库", "missing": "未发布（404）", "failed": "失败", "rejected": "退回",
                "fetched": "已获取", "validated": "已校验"}
_DELIVERY = {"sent": "已发送", "pending": "待发送", "failed": "发送失败", "none": "无需回复",
             "cancelled": "未发送即关闭"}
_DECISION_ZH = {"accept_clean": "接受（剔除不合格行）", "accept_all": "全部接受", "reject": "退回",
                "correction": "更正"}  # review_policy.LABELS without the hints the steward's buttons carry
_REASONS = (  # evaluation.judge's reasons, for readers of Chinese
    ("no target for this region and year", "本地区本年度未设目标"),
    ("the target assigned by the higher level is not configured", "上级下达的目标值尚未配置"),
    ("no value submitted yet", "尚未报送"),
    ("no data for the period yet", "本期尚无数据"),
    ("no value could be computed from the data", "现有数据无法计算"),
    ("data incomplete", "数据不完整，不作达标判定"),
    ("not monitored in this region", "本地区无监测点位，不作评价"),
)
_NOTES = (  # notes the computations write (waste S3/S5/S8, water W10)
    (re.compile(r"capped at 100 \(computed ([\d.]+)\)"), r"超过100按100计（计算值 \1）"),
    (re.compile(r"denominator incomplete in month\(s\) ([\d\-, ]+)"), r"分母不完整的月份未计入：\1"),
    (re.compile(r"no ([\w /]+) reported \(quarantined or not delivered\)"), r"未收到 \1（被隔离或未报送）"),
    (re.compile(r"not evaluated: "), "未参评断面："),
    (re.compile(r"quarantined: "), "被隔离的数据行："),
    # regions above the city (air rule 4b), indicator 22 (S10), drinking-water sources (D6)
    (re.compile(r"no value: "), "无数据的盟市："),
    (re.compile(r"incomplete: "), "数据不完整的盟市："),
    (re.compile(r" \(baselines\.csv\)"), "（规划基准值）"),
    (re.compile(r" \(computed, incomplete\)"), "（上年计算值，数据不完整）"),
    (re.compile(r" \(computed\)"), "（上年计算值）"),
    (re.compile(r"(\S+) against base year (\d{4}) (\S+)"), r"本期累计 \1，基准年 \2 为 \3"),
    (re.compile(r"no base: [^;]*"), "无基准年数值（目录无规划基准值，上年亦无计算值）"),
    (re.compile(r"drinking_water_sources_meeting_iii (\S+) exceeds drinking_water_sources_evaluated (\S+)"),
     r"达标水源地数 \1 多于评价水源地数 \2"),
    (re.compile(r"no source evaluated \([^)]*\)"), "无参评水源地"),
    (re.compile(r"source counts must be whole numbers \((\S+) of (\S+)\)"), r"水源地个数须为整数（\1／\2）"),
)
FILES_NAMED = 2  # a revision names up to this many files of one delivery; more are counted


# -- public --------------------------------------------------------------------------------------------------------

def default_path(settings: Settings, period: Period, region: str | None = None) -> Path:
    """`ECOFLOW_HOME/reports/bulletin/<period>[-<region>].html`."""
    return settings.reports_dir / "bulletin" / (f"{period}-{region}.html" if region else f"{period}.html")


def write(settings: Settings, period: Period, region: str | None = None, out: Path | None = None, *,
          detail: dict[str, Any] | None = None) -> Path:
    """Write the bulletin of `period` for `region` (None: every region) and return its path. Reads the warehouse
    read-only; an unknown region is a UsageError (one line). `detail`, the bulletin's context (`read`) when the
    caller has it already: the 月报 of the same month is made from it too."""
    region = region.strip() if region else None
    if detail is not None and (detail["region"], detail["period"]) != (region, str(period)):
        raise ValueError(f"the bulletin context given is {detail['region']} {detail['period']}, not {region} {period}")
    html = page(detail) if detail is not None else render(settings, period, region)
    path = Path(out) if out is not None else default_path(settings, period, region)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path


def render(settings: Settings, period: Period, region: str | None = None, *, now: datetime | None = None) -> str:
    """The bulletin as one HTML document (what `write` stores)."""
    return page(read(settings, period, region, now=now))


def read(settings: Settings, period: Period, region: str | None = None, *,
         now: datetime | None = None) -> dict[str, Any]:
    """The bulletin's context, read from the warehouse on a read-only connection of its own."""
    from tasks.core.warehouse import connect

    region = region.strip() if region else None
    with connect(settings, read_only=True) as con:
        return context(con, period, region, now=now)


def page(ctx: dict[str, Any]) -> str:
    """The bulletin's HTML from its context."""
    return templates.environment(trim=True).get_template("bulletin.html.j2").render(**ctx)


def context(con: duckdb.DuckDBPyConnection, period: Period, region: str | None,
            *, now: datetime | None = None) -> dict[str, Any]:
    """Everything the template shows, computed from the warehouse (no formatting left to the template)."""
    previous = previous_period(period)
    meta = _rows(con, "queries/bulletin_meta", {"period": str(period), "previous": str(previous),
                                                  "region": region})[0]
    if region and meta["region_name"] is None:
        raise UsageError(f"unknown region code {region!r} (see warehouse/catalogue/regions.csv)")
    months = window(period)
    rows = _rows(con, "queries/bulletin_indicators", {"period": str(period), "region": region})
    series: dict[tuple[str, str, str], list[tuple[str, float]]] = {}
    for s in _rows(con, "queries/bulletin_series", {"period": str(period), "first": months[0], "region": region}):
        series.setdefault((s["region_code"], s["indicator_code"], s["variant"]), []).append((s["period"], s["value"]))
    facilities = {f["facility_id"]: f["facility_name"] for f in _rows(con, "queries/facility_names", {})}
    items = [_item(r, period, months, series.get((r["region_code"], r["indicator_code"], r["variant"]), []),
                   facilities) for r in rows]
    generated = (now or datetime.now(TZ)).astimezone(TZ)
    return {
        "title": f"{meta['region_name'] or ALL_REGIONS_TITLE} 生态文明建设示范区指标月度通报 {month_zh(period)}",
        "scope_name": meta["region_name"] or ALL_REGIONS_TITLE,
        "period": str(period), "period_zh": month_zh(period), "previous": str(previous),
        "previous_zh": month_zh(previous), "span_zh": span_zh(period), "region": region,
        "generated_at": _time(generated), "data_as_of": _time(meta["data_as_of"]) if meta["data_as_of"] else None,
        "evaluated": bool(meta["evaluated"]),
        "summary": _counts(items), "statuses": [(s, STATUS_CLASS[s]) for s in STATUSES],
        "regions": _by_region(items),
        "changes": _changes(con, period, previous, region, bool(meta["previous_evaluated"])),
        "board": None if region else _board(items),
        "alerts": _alerts(con, period, region),
        "sources": _sources(con, period, region, facilities),
        "reviews": _reviews(con, period),
    }


# -- periods and text ----------------------------------------------------------------------------------------------

def previous_period(period: Period) -> Period:
    return Period(period.year - 1, 12) if period.month == 1 else Period(period.year, period.month - 1)


def window(period: Period, months: int = SPARK_MONTHS) -> list[str]:
    """The `months` months ending with `period`, oldest first, as YYYY-MM."""
    index = period.year * 12 + period.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def month_zh(period: Period | str) -> str:
    p = Period.parse(period) if isinstance(period, str) else period
    return f"{p.year}年{p.month}月"


def span_zh(period: Period) -> str:
    return "1月" if period.month == 1 else f"1—{period.month}月"


def _time(moment: datetime) -> str:
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def _reason_zh(reason: str | None) -> str | None:
    if not reason:
        return None
    for prefix, zh in _REASONS:
        if reason.startswith(prefix):
            return zh
    return None  # the met / missed reasons repeat value and target, which the row already shows


def notes_zh(notes: str | None, facilities: dict[str, str] | None = None) -> str | None:
    """The computations' notes in Chinese, the waste items by their names (生活垃圾清运量, not msw_collected) and the
    facilities by theirs (呼和浩特市生活垃圾清运统计, not its id in the waste system)."""
    if not notes:
        return None
    for pattern, zh in _NOTES:
        notes = pattern.sub(zh, notes)
    for code, name in messages.WASTE_ITEMS_ZH.items():
        notes = re.sub(rf"\b{code}\b", name, notes)
    for facility, name in (facilities or {}).items():
        notes = re.sub(rf"(?<![\w-]){re.escape(facility)}(?![\w-])", name, notes)
    return notes.replace("; ", "；")


# -- section 3: indicator rows --------------------------------------------------------------------------------------

def _no(r: dict[str, Any]) -> str:
    """7.2 for a sub-indicator, 12 for an indicator without sub-indicators, '' for a plan's own indicator."""
    if r["national_no"] is None:
        return ""
    return f"{r['national_no']}.{r['sub_no']}" if r["sub_count"] > 1 else str(r["national_no"])


def _value_text(r: dict[str, Any]) -> str:
    if r["value"] is None:
        return "—"
    if r["obtained_by"] == "task":
        return "已完成" if r["value"] >= 1 else "未完成"
    return number(r["value"], r["evaluation_digits"])


def _basis_text(r: dict[str, Any], period: Period) -> str | None:
    if r["value"] is None or r["basis_period"] is None:
        return None
    if r["basis_period_type"] == "ytd":
        return f"{span_zh(Period.parse(r['basis_period']))}累计"
    if r["basis_period"] != str(period):
        return f"沿用 {r['basis_period']} 报送值"
    return "本月报送"


def _target(r: dict[str, Any]) -> tuple[str, str | None]:
    """The target as a short rule (≥ 95%) and the plan's own wording when it says more."""
    kind, text = r["target_kind"], r["target_text"]
    if kind is None:
        return "未设目标", None
    if kind == "task":
        return text or "完成", None
    if r["target_value"] is None:
        return "上级下达（未配置）", text
    value = f"{r['target_value']:g}"
    short = f"{COMPARATOR_ZH.get(r['comparator'], r['comparator'])}{value}{'%' if r['unit'] == '%' else ''}"
    plain = (text or "").replace(" ", "").rstrip("%")
    wording = None if plain in ("", value, short.rstrip("%"), short) else text
    return short, wording


def _coverage(r: dict[str, Any]) -> str | None:
    if r["coverage_unit"] is None or r["coverage_expected"] is None:
        return None
    unit = _COVERAGE_UNIT.get(r["coverage_unit"], r["coverage_unit"])
    if r["coverage_unit"] == "facilities" and r["basis_period_type"] == "ytd":
        unit += "·月"
    return f"{r['coverage_valid']}/{r['coverage_expected']} {unit}"


def sparkline(points: list[tuple[str, float]], months: list[str], *, target: float | None = None,
              width: int = 132, height: int = 30, pad: float = 4.0, digits: int | None = None) -> dict[str, Any]:
    """Geometry of an inline SVG sparkline: one point per month with a value, placed at its month in `months`
    (gaps stay gaps), and the target as a dashed line within the same scale. A flat series sits mid-height; with
    no point there is nothing to draw (`points` empty) and with one point no line."""
    slot = {m: i for i, m in enumerate(months)}
    kept = [(m, v) for m, v in points if m in slot and v is not None]
    step = (width - 2 * pad) / max(len(months) - 1, 1)
    scale = [v for _, v in kept] + ([target] if target is not None and kept else [])
    low, high = (min(scale), max(scale)) if scale else (0.0, 0.0)

    def y(v: float) -> float:
        if high == low:
            return height / 2
        return round(pad + (high - v) / (high - low) * (height - 2 * pad), 1)

    drawn = [{"x": round(pad + slot[m] * step, 1), "y": y(v), "label": f"{m}：{number(v, digits)}"}
             for m, v in kept]
    values = [v for _, v in kept]
    return {"width": width, "height": height, "pad": pad, "points": drawn,
            "polyline": " ".join(f"{p['x']},{p['y']}" for p in drawn) if len(drawn) > 1 else "",
            "target_y": y(target) if target is not None and kept else None,
            "title": "；".join(p["label"] for p in drawn),
            "low": number(min(values), digits) if kept else None,
            "high": number(max(values), digits) if kept else None}


def _lineage(lineage: str | None) -> str | None:
    """Where a submitted value came from: department, file as received, cell."""
    if not lineage:
        return None
    found = json.loads(lineage)
    where = found.get("cell") if not found.get("sheet") else f"{found['sheet']}!{found.get('cell')}"
    return " ".join(str(x) for x in (found.get("department_name"), found.get("file_name"), where) if x)


def _projection(r: dict[str, Any]) -> dict[str, Any]:
    """The projected year-end value of a year-to-date value (none in December, where it is the YTD itself, nor
    without an earlier year to project from), and whether it misses the numeric target (projected_meets false)."""
    if r["projected_value"] is None or not r["projected_from"] or r["obtained_by"] == "task":
        return {"projected_text": None, "projected_miss": False, "projected_from_text": None}
    return {"projected_text": number(r["projected_value"], r["evaluation_digits"]),
            "projected_miss": r["projected_meets"] is False,
            "projected_from_text": "、".join(f"{y.strip()}年" for y in str(r["projected_from"]).split(","))}


def _item(r: dict[str, Any], period: Period, months: list[str], points: list[tuple[str, float]],
          facilities: dict[str, str]) -> dict[str, Any]:
    """One indicator row of section 3, with its texts and sparkline."""
    target, wording = _target(r)
    numeric_target = r["target_value"] if r["target_kind"] in ("value", "assigned") else None
    return {
        **r, "no": _no(r), "value_text": _value_text(r), "basis_text": _basis_text(r, period),
        **_projection(r),
        "r12_text": number(r["r12_value"], r["evaluation_digits"]) if r["r12_value"] is not None else None,
        "r12_incomplete": r["r12_coverage_ok"] is False,
        "carried": r["value"] is not None and r["basis_period"] not in (None, str(period)),
        "target_short": target, "target_wording": wording,
        "coverage_text": _coverage(r), "coverage_incomplete": r["coverage_ok"] is False,
        "status_class": STATUS_CLASS.get(r["status"], "none"),
        "reason_zh": _reason_zh(r["reason"]) if r["status"] in (THIN, AWAITING, NOT_MONITORED) else None,
        "notes_zh": notes_zh(r["notes"], facilities), "lineage_text": _lineage(r["lineage"]),
        "spark": sparkline(points, months, target=numeric_target, digits=r["evaluation_digits"]),
        "spark_kind": "月值" if r["obtained_by"] == "computed" else "报送值",
        "overridden": bool(r["overridden_batch_ids"]),
    }


def _domain_key(domain: str | None) -> tuple[int, str]:
    return (DOMAINS.index(domain), "") if domain in DOMAINS else (len(DOMAINS), domain or "")


def _counts(items: list[dict[str, Any]]) -> dict[str, int]:
    counted = Counter(i["status"] for i in items if i["status"])
    return {s: counted.get(s, 0) for s in STATUSES}


def _by_region(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    regions: dict[str, dict[str, Any]] = {}
    for i in items:
        reg = regions.setdefault(i["region_code"], {"code": i["region_code"], "name": i["region_name"] or
                                                    i["region_code"], "items": []})
        reg["items"].append(i)
    for reg in regions.values():
        domains: dict[str, list[dict[str, Any]]] = {}
        for i in reg["items"]:
            domains.setdefault(i["domain"] or "其他", []).append(i)
        reg["domains"] = [{"name": d, "rows": domains[d]} for d in sorted(domains, key=_domain_key)]
        reg["counts"] = _counts(reg["items"])
        reg["judged"] = sum(reg["counts"].values())
        reg["overridden"] = any(i["overridden"] for i in reg["items"])
    return list(regions.values())


# -- section 4: changes --------------------------------------------------------------------------------------------

def _changes(con: duckdb.DuckDBPyConnection, period: Period, previous: Period, region: str | None,
             previous_evaluated: bool) -> dict[str, Any]:
    rows = _rows(con, "queries/bulletin_changes", {"period": str(period), "previous": str(previous),
                                                     "region": region})
    status_changed, moved = [], []
    for r in rows:
        r["no"] = _no(r)
        before, after = number(r["previous_value"], r["evaluation_digits"]), number(r["value"],
                                                                                   r["evaluation_digits"])
        entry = {**r, "before": before, "after": after, **_delta(r),
                 "previous_status_class": STATUS_CLASS.get(r["previous_status"], "none"),
                 "status_class": STATUS_CLASS.get(r["status"], "none"),
                 "carried": r["basis_period"] is not None and r["basis_period"] != str(period)}
        if r["status"] != r["previous_status"]:
            status_changed.append(entry)
        elif before != after:
            moved.append(entry)
    return {"previous_evaluated": previous_evaluated, "status_changed": status_changed, "moved": moved,
            "year_start": period.month == 1, **_revisions(con, period, region)}


def revision_reason_zh(r: dict[str, Any], batches: dict[str, dict[str, Any]]) -> str:
    """Why a stored value changed, in words a reader knows: which source's month came in, was delivered again or no
    longer counts (with the file's name, or the number of files), or that the rules changed. Batch ids and rules
    versions stay in marts.indicator_value_history for operators."""
    if r["new_value"] is None and r["new_batch_ids"] is None:
        return messages.REVISION["gone"]
    old, new = set(r["old_batch_ids"] or []), set(r["new_batch_ids"] or [])
    added, removed = _deliveries(new - old, batches), _deliveries(old - new, batches)
    parts = []
    for key in sorted(set(added) | set(removed)):
        what = _delivery_zh(*key)
        if key in added and key in removed:
            kind = "redelivered_same" if set(added[key]) == set(removed[key]) else \
                "corrected" if key[0] == "submissions" else "redelivered"
            parts.append(messages.REVISION[kind].format(what=what, files=_files_zh(added[key]),
                                                        before=_files_zh(removed[key])))
        elif key in added:
            parts.append(messages.REVISION["added"].format(what=what, files=_files_zh(added[key])))
        else:
            parts.append(messages.REVISION["dropped"].format(what=what, files=_files_zh(removed[key])))
    if (old or new) and not (added or removed) and old != new:
        parts.append(messages.REVISION["inputs_changed"])       # batches the ledger no longer knows
    if r["old_rules_version"] != r["new_rules_version"] and r["new_rules_version"] is not None:
        parts.append(messages.REVISION["rules"])
    return "；".join(parts) or messages.REVISION["recomputed"]


def _deliveries(batch_ids: set[str], batches: dict[str, dict[str, Any]]) -> dict[tuple, list[str]]:
    """(source, month, department) -> the files of those batches, known batches only."""
    out: dict[tuple, list[str]] = {}
    for batch_id in sorted(batch_ids):
        b = batches.get(batch_id)
        if b is not None:
            out.setdefault((b["source"], b["period"], b["department_name"] or ""), []).append(b["file_name"])
    return out


def _delivery_zh(source: str, period: str, department: str) -> str:
    """固废与污水2025年1月数据; a department's file: 呼和浩特市林业和草原局2025年1月报送."""
    month = messages.period_zh(period)
    if source == "submissions":
        return f"{department or '部门'}{month}报送"
    return f"{source_label(source, '其他来源')}{month}数据"


def _files_zh(files: list[str]) -> str:
    """“a.csv”、“b.csv” for a few files whose names a reader can quote; 31个文件 otherwise."""
    names = sorted(set(files))
    if len(names) <= FILES_NAMED and all(messages.quotable_file_name(n) for n in names):
        return "、".join(f"“{n}”" for n in names)
    return f"{len(names)}个文件"


def _revisions(con: duckdb.DuckDBPyConnection, period: Period, region: str | None) -> dict[str, Any]:
    """Revisions of the judged values of this month and the earlier months of its year (newest first) whose value
    moved at evaluation precision: the first REVISIONS_SHOWN, and how many more."""
    found = []
    rows = _rows(con, "queries/bulletin_revisions", {"period": str(period), "region": region,
                                                      "year_start": f"{period.year:04d}-01"})
    named = sorted({b for r in rows for b in (r["old_batch_ids"] or []) + (r["new_batch_ids"] or [])})
    batches = {b["batch_id"]: b for b in _rows(con, "queries/revision_batches", {"batch_ids": named})} \
        if named else {}
    for r in rows:
        before = _value_text({**r, "value": r["old_value"]})
        after = _value_text({**r, "value": r["new_value"]})
        if before == after:
            continue
        basis = Period.parse(r["period"])
        found.append({**r, "no": _no(r), "before": before, "after": after,
                      "basis_text": f"{span_zh(basis)}累计" if r["period_type"] == "ytd" else f"{r['period']} 报送值",
                      "reason_zh": revision_reason_zh(r, batches), "revised_text": _time(r["revised_at"]),
                      "incomplete": r["new_coverage_ok"] is False and r["new_value"] is not None})
    return {"revisions": found[:REVISIONS_SHOWN], "more_revisions": max(len(found) - REVISIONS_SHOWN, 0)}


def _delta(r: dict[str, Any]) -> dict[str, Any]:
    """The move at evaluation precision (+0.5), and whether it is for the better given the indicator's direction."""
    if r["value"] is None or r["previous_value"] is None or r["obtained_by"] == "task":
        return {"delta": None, "delta_class": ""}
    digits = r["evaluation_digits"] if r["evaluation_digits"] is not None else 6
    change = round_half_even(r["value"], digits) - round_half_even(r["previous_value"], digits)
    if not change:
        return {"delta": None, "delta_class": ""}
    better = (change > 0) == (r["direction"] != "lower_is_better")
    return {"delta": f"{change:+f}", "delta_class": "better" if better else "worse"}


# -- section 5: regions side by side -------------------------------------------------------------------------------

def _board(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Regions with a target × key indicators (the computed national ones, and any judged 达标/未达标 somewhere),
    regions with the most 未达标 first."""
    with_target = {i["region_code"] for i in items if i["status"]}
    mine = [i for i in items if i["region_code"] in with_target]
    keys: dict[str, dict[str, Any]] = {}
    for i in mine:
        if (i["obtained_by"] == "computed" and i["national_no"] is not None) or i["status"] in (MET, MISSED):
            keys.setdefault(i["indicator_code"], i)
    columns = sorted(keys.values(), key=lambda i: (i["national_no"] is None, i["national_no"] or 0,
                                                   i["sub_no"] or 0, i["indicator_code"]))
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    names: dict[str, str] = {}
    for i in mine:
        cells.setdefault(i["region_code"], {})[i["indicator_code"]] = i
        names[i["region_code"]] = i["region_name"] or i["region_code"]
    rows = []
    for code, by_indicator in cells.items():
        counts = _counts(list(by_indicator.values()))
        rows.append({"code": code, "name": names[code], "counts": counts,
                     "cells": [by_indicator.get(c["indicator_code"]) for c in columns]})
    rows.sort(key=lambda r: (-r["counts"][MISSED], -r["counts"][THIN] - r["counts"][AWAITING], r["code"]))
    return {"columns": columns, "rows": rows}


# -- section 6: alerts ---------------------------------------------------------------------------------------------

def _alerts(con: duckdb.DuckDBPyConnection, period: Period, region: str | None) -> dict[str, Any]:
    rows = _rows(con, "queries/bulletin_alerts", {"period": str(period), "region": region})
    for r in rows:
        r["no"] = _no(r)
        r["value_text"] = number(r["value"], r["evaluation_digits"])
        r["target_text"] = (f"{COMPARATOR_ZH.get(r['comparator'], r['comparator'] or '')}{r['target_value']:g}"
                            if r["target_value"] is not None else "—")
        r["kind_zh"] = LABELS_ZH.get(r["kind"], r["kind"])
        r["escalated"] = bool(r["escalation"])
        r["finding"] = _finding(r["detail"])
        r["raised_at"] = _time(r["first_raised_at"])
        r["closed_text"] = _time(r["closed_at"]) if r["closed_at"] else None
        r["delivery_zh"] = _DELIVERY.get(r["delivery_status"], r["delivery_status"])
    kinds = Counter(r["kind"] for r in rows)
    return {"rows": rows, "raised": len(rows), "open": sum(r["status"] == "open" for r in rows),
            "closed": sum(r["status"] == "closed" for r in rows), "escalated": sum(r["escalated"] for r in rows),
            "kinds": [(LABELS_ZH.get(k, k), kinds[k]) for k in (*LABELS_ZH, *sorted(set(kinds) - set(LABELS_ZH)))
                      if kinds[k]]}


def _finding(detail: str | None) -> str | None:
    """What the rule found (detail's "finding", in Chinese); None when the ledger holds no readable detail."""
    if not detail:
        return None
    try:
        found = json.loads(detail)
    except ValueError:
        return None
    if not isinstance(found, dict):
        return None
    return found.get("finding") or None


# -- section 7: data coverage and validation problems --------------------------------------------------------------

def _sources(con: duckdb.DuckDBPyConnection, period: Period, region: str | None,
             facilities: dict[str, str]) -> list[dict[str, Any]]:
    from tasks.sources import adapters, batch_keyed

    params = {"period": str(period), "batch_keyed": batch_keyed()}
    runs = {r["source"]: r for r in _rows(con, "queries/status_batches", params)}
    files: dict[str, list[dict[str, Any]]] = {}
    for f in _rows(con, "queries/bulletin_files", params):
        f["status_zh"] = _FILE_STATUS.get(f["status"], f["status"])
        files.setdefault(f["source"], []).append(f)
    issues: dict[str, list[dict[str, Any]]] = {}
    for i in _rows(con, "queries/status_issues", params):
        i["severity_zh"] = "已隔离" if i["severity"] == "error" else "警示（已入库）"
        i["rule_zh"] = messages.rule_zh(i["rule"], i["reason"])  # the rule id and its English reason stay in logs
        i["first_example"] = notes_zh(i["first_example"], facilities)
        issues.setdefault(i["source"], []).append(i)
    inbox = _rows(con, "queries/bulletin_inbox", {"period": str(period), "region": region})
    for f in inbox:
        f["received_text"] = _time(f["received_at"])
        f["outcome_zh"] = "接收" if f["outcome"] == "accepted" else "退回"
        f["reason_zh"] = None if f["outcome"] == "accepted" else "未通过校验，已回复报送单位修改后重新报送"
        f["reply_zh"] = _DELIVERY.get(f["reply_status"], f["reply_status"])
    out = []
    for name, adapter in adapters().items():
        run = runs.get(name)
        mine = files.get(name, [])
        rules = sorted(issues.get(name, []), key=lambda i: (i["severity"] != "error", -i["rows"]))
        title = _title_zh(getattr(adapter, "title", name))
        source = {"name": name, "label": source_label(name), "title": title,
                  "ran": run is not None, "run_status": _RUN_STATUS.get(run["run_status"], run["run_status"])
                  if run else None, "run_failed": bool(run and run["run_status"] == "failed"),
                  "message": run["message"] if run and run["run_status"] == "failed" else None,
                  "files": mine, "landed": sum(f["status"] == "landed" for f in mine),
                  "missing": [f for f in mine if f["status"] == "missing"],
                  "failed": [f for f in mine if f["status"] in ("failed", "rejected")],
                  "rows_landed": sum(f["rows_landed"] or 0 for f in mine),
                  "quarantined": sum(f["rows_rejected"] or 0 for f in mine),
                  "warned": sum(f["rows_warned"] or 0 for f in mine), "rules": rules[:5],
                  "more_rules": max(len(rules) - 5, 0), "inbox": None}
        if name == "submissions":
            source["inbox"] = inbox
            source["accepted"] = sum(f["outcome"] == "accepted" for f in inbox)
            source["rejected"] = sum(f["outcome"] != "accepted" for f in inbox)
        out.append(source)
    return out


def _reviews(con: duckdb.DuckDBPyConnection, period: Period) -> list[dict[str, Any]]:
    """The month's steward decisions, oldest first: readers see which data was let in or turned away, and by whom."""
    rows = _rows(con, "queries/bulletin_reviews", {"period": str(period)})
    for r in rows:
        r["decided_text"] = _time(r["decided_at"])
        r["source_zh"] = source_label(r["source"])
        r["option_zh"] = _DECISION_ZH.get(r["option"], r["option"])
        r["by_zh"] = _decided_by_zh(r["decided_by"], r["via"])
    return rows


def _decided_by_zh(decided_by: str, via: str) -> str:
    """Who decided: the steward's user id; a timeout or a run's policy is not a person and says so."""
    if via == "timeout":
        return "超时自动"
    if via == "policy":
        return "按审核策略自动执行"   # the policy's name stays in the decision log (ecoflow review log)
    return decided_by


def _title_zh(title: str) -> str:
    """A source's title as a reader knows its publisher (CNEMC is 中国环境监测总站)."""
    return title.replace("CNEMC ", "中国环境监测总站").replace("CNEMC", "中国环境监测总站")


# -- helpers -------------------------------------------------------------------------------------------------------

def _rows(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    return sql.rows(con, name, params)
