"""Deterministic demo months of the 固体废物和污水管理信息系统 feed (`waste/YYYY-MM.csv`, see docs/feeds/waste.md).

No public sample of the bureau's system exists, so the demo needs made-up months that still look like Inner
Mongolia: Hohhot's urban sewage near 1,000 万m³ a month, its household waste near 60,000 吨, hazardous waste in
the tens of thousands of 吨 a year, industrial solid waste in 万吨 (coal power, steel, coal chemicals in 包头 and
鄂尔多斯). Facility names are fictional. Units are mixed on purpose (万吨 / 吨 / t, 万m³ / m³ / 立方米 / 万立方米)
so the adapter's conversions are exercised, and the rates come out where the real ones are: sewage treatment
96–98 %, household waste safe treatment ~100 %, hazardous waste 95–100 % (one producer in 锡林浩特 above 100 %:
it clears last year's storage, which exercises the cap), industrial solid waste utilization 40–60 %.

The same period gives the same bytes on every call (the RNG is seeded by the period). `faults` damages the
month the way real deliveries go wrong; FAULT_TARGETS says which facility and item each fault hits.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import random
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

HEADER = ("period", "facility_id", "facility_name", "region_code", "kind", "item", "value", "unit", "note")
FAULTS = frozenset({"wrong_unit", "missing_unit", "gbk", "truncated", "duplicate", "negative"})
#: (facility_id, item) each row fault hits; "duplicate" repeats that row at the end of the file.
FAULT_TARGETS: dict[str, tuple[str, str]] = {
    "wrong_unit": ("150100-MT-01", "msw_collected"),     # 万吨 -> 万m³
    "missing_unit": ("150203-HP-01", "hw_disposed"),
    "negative": ("150622-HD-01", "hw_disposed"),
    "duplicate": ("150105-WS-01", "sewage_treated"),
}
_DECIMALS = {"万吨": 4, "吨": 2, "t": 2, "万m³": 2, "万立方米": 2, "m³": 0, "立方米": 0}
_FACTOR = {"万吨": 10_000, "吨": 1, "t": 1, "万m³": 10_000, "万立方米": 10_000, "m³": 1, "立方米": 1}


@dataclass(frozen=True)
class Facility:
    facility_id: str
    name: str
    region_code: str
    kind: str
    unit: str


def _f(facility_id: str, name: str, kind: str, unit: str) -> Facility:
    return Facility(facility_id, name, facility_id[:6], kind, unit)


# Urban drainage units and the sewage plants whose treated volume they are compared with (share of the area).
SEWAGE_AREAS: tuple[tuple[Facility, float, tuple[tuple[Facility, float], ...]], ...] = (
    (_f("150100-DR-01", "呼和浩特市中心城区城镇排水统计单元", "urban_drainage", "万m³"), 9_300_000, (
        (_f("150102-WS-01", "新城区城北污水处理厂", "sewage_plant", "万m³"), 0.22),
        (_f("150103-WS-01", "回民区城西污水处理厂", "sewage_plant", "m³"), 0.20),
        (_f("150104-WS-01", "玉泉区城南污水处理厂", "sewage_plant", "万立方米"), 0.23),
        (_f("150105-WS-01", "赛罕区金河污水处理厂", "sewage_plant", "万m³"), 0.35))),
    (_f("150121-DR-01", "土默特左旗城镇排水统计单元", "urban_drainage", "万m³"), 420_000, (
        (_f("150121-WS-01", "土默特左旗察素齐污水处理厂", "sewage_plant", "m³"), 1.0),)),
    (_f("150122-DR-01", "托克托县城镇排水统计单元", "urban_drainage", "立方米"), 350_000, (
        (_f("150122-WS-01", "托克托县城镇污水处理厂", "sewage_plant", "立方米"), 1.0),)),
    (_f("152502-DR-01", "锡林浩特市城镇排水统计单元", "urban_drainage", "万m³"), 680_000, (
        (_f("152502-WS-01", "锡林浩特市污水处理厂", "sewage_plant", "m³"), 1.0),)),
    (_f("150200-DR-01", "包头市中心城区城镇排水统计单元", "urban_drainage", "万立方米"), 8_500_000, (
        (_f("150203-WS-01", "昆都仑区北郊污水处理厂", "sewage_plant", "万m³"), 0.55),
        (_f("150202-WS-01", "东河区东河污水处理厂", "sewage_plant", "万m³"), 0.45))),
    (_f("150600-DR-01", "鄂尔多斯市中心城区城镇排水统计单元", "urban_drainage", "万m³"), 3_200_000, (
        (_f("150602-WS-01", "东胜区污水处理厂", "sewage_plant", "m³"), 0.70),
        (_f("150603-WS-01", "康巴什区污水处理厂", "sewage_plant", "m³"), 0.30))),
)

# Household waste: the collection statistic of an area and the plants that treat it (share).
MSW_AREAS: tuple[tuple[Facility, float, tuple[tuple[Facility, float], ...]], ...] = (
    (_f("150100-MT-01", "呼和浩特市生活垃圾清运统计", "household_waste_transfer", "万吨"), 60_000, (
        (_f("150105-MI-01", "赛罕区生活垃圾焚烧发电厂", "household_waste_incineration", "吨"), 0.52),
        (_f("150103-MI-01", "回民区生活垃圾焚烧发电厂", "household_waste_incineration", "吨"), 0.30),
        (_f("150123-ML-01", "和林格尔县生活垃圾卫生填埋场", "household_waste_landfill", "万吨"), 0.12),
        (_f("150125-ML-01", "武川县生活垃圾卫生填埋场", "household_waste_landfill", "t"), 0.04),
        (_f("150124-ML-01", "清水河县生活垃圾卫生填埋场", "household_waste_landfill", "吨"), 0.02))),
    (_f("152502-MT-01", "锡林浩特市生活垃圾清运统计", "household_waste_transfer", "吨"), 9_000, (
        (_f("152502-ML-01", "锡林浩特市生活垃圾卫生填埋场", "household_waste_landfill", "吨"), 1.0),)),
    (_f("150600-MT-01", "鄂尔多斯市生活垃圾清运统计", "household_waste_transfer", "万吨"), 25_000, (
        (_f("150602-MI-01", "东胜区生活垃圾焚烧发电厂", "household_waste_incineration", "吨"), 1.0),)),
)

# Hazardous-waste producers: monthly generation in 吨.
HW_PRODUCERS: tuple[tuple[Facility, float], ...] = (
    (_f("150122-HP-01", "托克托工业园区生物制药企业", "hazardous_waste_producer", "吨"), 1_500),
    (_f("150105-HP-01", "金桥开发区电子材料企业", "hazardous_waste_producer", "吨"), 120),
    (_f("150121-HP-01", "金山开发区精细化工企业", "hazardous_waste_producer", "万吨"), 800),
    (_f("150102-HP-01", "新城区医疗机构医疗废物统计", "hazardous_waste_producer", "吨"), 300),
    (_f("152502-HP-01", "锡林浩特市煤化工企业", "hazardous_waste_producer", "吨"), 260),
    (_f("150203-HP-01", "昆都仑区钢铁联合企业（危废）", "hazardous_waste_producer", "t"), 2_500),
    (_f("150627-HP-01", "伊金霍洛旗煤制油企业（危废）", "hazardous_waste_producer", "万吨"), 3_000),
)
OVER_100 = "152502-HP-01"  # clears last year's storage: utilized + disposed > generated
HW_DISPOSERS: tuple[tuple[Facility, float], ...] = (
    (_f("150123-HD-01", "呼和浩特市危险废物处置中心", "hazardous_waste_disposal", "吨"), 2_100),
    (_f("150622-HD-01", "准格尔旗危险废物综合处置中心", "hazardous_waste_disposal", "吨"), 3_400),
)

# General industrial solid waste producers: monthly generation in 吨.
ISW_PRODUCERS: tuple[tuple[Facility, float], ...] = (
    (_f("150122-IS-01", "托克托县燃煤电厂", "industrial_solid_waste_producer", "万吨"), 550_000),
    (_f("150124-IS-01", "清水河县煤矿（煤矸石）", "industrial_solid_waste_producer", "万吨"), 80_000),
    (_f("152502-IS-01", "锡林浩特市燃煤电厂", "industrial_solid_waste_producer", "万吨"), 180_000),
    (_f("150203-IS-01", "昆都仑区钢铁联合企业", "industrial_solid_waste_producer", "万吨"), 900_000),
    (_f("150207-IS-01", "九原区电解铝企业", "industrial_solid_waste_producer", "吨"), 120_000),
    (_f("150204-IS-01", "青山区热电厂", "industrial_solid_waste_producer", "t"), 250_000),
    (_f("150622-IS-01", "准格尔旗煤矿（煤矸石）", "industrial_solid_waste_producer", "万吨"), 1_400_000),
    (_f("150627-IS-01", "伊金霍洛旗煤制油企业", "industrial_solid_waste_producer", "万吨"), 600_000),
    (_f("150621-IS-01", "达拉特旗燃煤电厂", "industrial_solid_waste_producer", "万吨"), 450_000),
)


def generate(period: str, *, faults: set[str] | frozenset[str] = frozenset()) -> bytes:
    """One month as the system would deliver it: UTF-8 with BOM, CRLF, `faults` applied."""
    unknown = set(faults) - FAULTS
    if unknown:
        raise ValueError(f"unknown faults {sorted(unknown)}; known: {sorted(FAULTS)}")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise ValueError(f"period {period!r} is not YYYY-MM")
    rng = random.Random(f"ecoflow-waste:{period}")
    month = int(period[5:7])
    rows = [*_sewage(rng, period, month), *_msw(rng, period, month), *_hazardous(rng, period),
            *_industrial(rng, period)]
    rows = _row_faults(rows, faults)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    text = out.getvalue()
    if "truncated" in faults:
        last_start = text.rstrip("\r\n").rfind("\r\n") + 2
        text = text[: last_start + (len(text) - last_start) // 3]  # the last line keeps about a third: few fields
    if "gbk" in faults:
        return text.encode("gbk", errors="replace")  # what Excel's plain "CSV" does on Chinese Windows (m³ -> m?)
    return "\ufeff".encode() + text.encode("utf-8")


def _row(period: str, fac: Facility, item: str, tonnes_or_m3: float, note: str = "",
         unit: str | None = None) -> list[str]:
    unit = unit or fac.unit
    value = tonnes_or_m3 / _FACTOR[unit]
    return [period, fac.facility_id, fac.name, fac.region_code, fac.kind, item, f"{value:.{_DECIMALS[unit]}f}",
            unit, note]


def _season(month: int, amplitude: float) -> float:
    """> 1 in summer for sewage (rain, use), < 1 in winter; a negative amplitude reverses it (waste: heating ash)."""
    return 1 + amplitude * math.sin((month - 4) / 12 * 2 * math.pi)


def _sewage(rng: random.Random, period: str, month: int) -> list[list[str]]:
    rows = []
    for drainage, base, plants in SEWAGE_AREAS:
        discharged = base * _season(month, 0.08) * rng.uniform(0.97, 1.03)
        rows.append(_row(period, drainage, "sewage_discharged", discharged))
        treated = discharged * rng.uniform(0.962, 0.978)
        rows += [_row(period, plant, "sewage_treated", treated * share) for plant, share in plants]
    return rows


def _msw(rng: random.Random, period: str, month: int) -> list[list[str]]:
    rows = []
    for transfer, base, plants in MSW_AREAS:
        collected = base * _season(month, -0.06) * rng.uniform(0.97, 1.03)
        rows.append(_row(period, transfer, "msw_collected", collected))
        safe = collected * rng.uniform(0.997, 1.0)
        rows += [_row(period, plant, "msw_safely_treated", safe * share) for plant, share in plants]
    return rows


def _hazardous(rng: random.Random, period: str) -> list[list[str]]:
    rows = []
    for fac, base in HW_PRODUCERS:
        generated = base * rng.uniform(0.85, 1.15)
        over = fac.facility_id == OVER_100
        handled = generated * (rng.uniform(1.08, 1.15) if over else rng.uniform(0.95, 1.0))
        utilized = handled * rng.uniform(0.3, 0.6)
        rows += [_row(period, fac, "hw_generated", generated),
                 _row(period, fac, "hw_utilized", utilized),
                 _row(period, fac, "hw_disposed", handled - utilized,
                      note="含往年贮存, 本月集中委托处置" if over else "")]
    for fac, base in HW_DISPOSERS:
        received = base * rng.uniform(0.9, 1.1)
        utilized = received * rng.uniform(0.15, 0.3)
        rows += [_row(period, fac, "hw_utilized", utilized), _row(period, fac, "hw_disposed", received - utilized)]
    return rows


def _industrial(rng: random.Random, period: str) -> list[list[str]]:
    rows = []
    for fac, base in ISW_PRODUCERS:
        generated = base * rng.uniform(0.9, 1.1)
        from_storage = 0.0 if rng.random() < 0.4 else generated * rng.uniform(0.01, 0.06)
        utilized = (generated + from_storage) * rng.uniform(0.42, 0.58)
        rows += [_row(period, fac, "isw_generated", generated), _row(period, fac, "isw_utilized", utilized),
                 _row(period, fac, "isw_utilized_from_storage", from_storage)]
    return rows


def _row_faults(rows: list[list[str]], faults: set[str] | frozenset[str]) -> list[list[str]]:
    def target(fault: str) -> list[str]:
        fid, item = FAULT_TARGETS[fault]
        return next(r for r in rows if r[1] == fid and r[5] == item)

    if "wrong_unit" in faults:
        target("wrong_unit")[7] = "万m³"
    if "missing_unit" in faults:
        target("missing_unit")[7] = ""
    if "negative" in faults:
        target("negative")[6] = "-" + target("negative")[6]
    if "duplicate" in faults:
        copy = list(target("duplicate"))
        copy[6] = f"{float(copy[6]) * 1.01:.2f}"  # a corrected value sent again without removing the first
        rows = [*rows, copy]
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m demo.waste_samples",
                                description="Print one generated month of the waste/sewage feed (CSV bytes).")
    p.add_argument("period", help="YYYY-MM")
    p.add_argument("--faults", default="", help=f"comma-separated, any of: {', '.join(sorted(FAULTS))}")
    args = p.parse_args(argv)
    faults = {f.strip() for f in args.faults.split(",") if f.strip()}
    try:
        content = generate(args.period, faults=faults)
    except ValueError as exc:
        p.error(str(exc))
    sys.stdout.buffer.write(content)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
