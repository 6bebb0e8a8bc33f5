"""The versioned indicator catalogue (warehouse/catalogue/*.csv): the checker.

The catalogue holds the 36 indicators of 国家生态文明建设示范区建设指标 (composites split into sub-indicators) and
the plan indicators the bureau tracks, the targets of each region per year (a number, a task, or the value the
higher level assigns, configured per year in assigned_targets.csv), the baselines the plans report, the regions
and the departments that lead or cooperate, by role. Decisions taken where the sources disagree:
warehouse/catalogue/RESOLUTIONS.md.

    ecoflow catalogue check [--folder F]                 # errors one per line, exit 2 if any
    ecoflow catalogue markdown [--folder F] > docs/catalogue.md   # the generated doc (tasks.catalogue.docs)
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from tasks.catalogue import drinking_water as catalogue_sources
from tasks.catalogue import stations as catalogue_stations
from tasks.catalogue.projects import PROJECT_HEADERS, PROJECT_REQUIRED, check_projects
from tasks.core.settings import REPO_ROOT
from tasks.sources.spec import names

CATALOGUE_DIR = REPO_ROOT / "warehouse" / "catalogue"

HEADERS: dict[str, list[str]] = {
    "regions.csv": ["region_code", "name_zh", "level", "parent_code", "station_city"],
    "departments.csv": ["department_code", "region_code", "role", "name_zh", "email"],
    "indicators.csv": ["indicator_code", "national_no", "sub_no", "name_zh", "name_en", "domain", "task_group", "unit",
                       "direction", "attribute", "national_threshold", "obtained_by", "frequency", "lead_department",
                       "cooperating_departments", "evaluation_digits", "min_value", "max_value", "note"],
    "targets.csv": ["region_code", "indicator_code", "year", "target_kind", "comparator", "target_value",
                    "target_text", "variant", "source", "note"],
    "assigned_targets.csv": ["region_code", "indicator_code", "year", "target_value", "source", "note"],
    "baselines.csv": ["region_code", "indicator_code", "year", "value", "value_text", "source", "note"],
    "alert_rules.csv": ["rule", "indicator_code", "enabled", "tolerance", "tolerance_relative", "months",
                        "deadline_day", "escalate_after", "note"],
    "indicator_sources.csv": ["region_code", "indicator_code", "obtained_as", "valid_from", "note"],
    "feed_operators.csv": ["source", "email", "name_zh", "note"],
    catalogue_stations.FILE: catalogue_stations.HEADER,
    catalogue_sources.FILE: catalogue_sources.HEADER,
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "regions.csv": ("region_code", "name_zh", "level"),
    "departments.csv": ("department_code", "region_code", "role", "name_zh", "email"),
    "indicators.csv": ("indicator_code", "name_zh", "name_en", "domain", "task_group", "unit", "direction",
                       "attribute", "obtained_by", "frequency", "lead_department", "min_value", "max_value"),
    "targets.csv": ("region_code", "indicator_code", "year", "target_kind", "comparator", "variant", "source"),
    "assigned_targets.csv": ("region_code", "indicator_code", "year", "target_value", "source"),
    "baselines.csv": ("region_code", "indicator_code", "year", "source"),
    "alert_rules.csv": ("rule", "indicator_code", "enabled"),
    "indicator_sources.csv": ("region_code", "indicator_code", "obtained_as", "valid_from", "note"),
    "feed_operators.csv": ("source", "email", "name_zh"),
    catalogue_stations.FILE: catalogue_stations.REQUIRED,
    catalogue_sources.FILE: catalogue_sources.REQUIRED,
}
HEADERS.update(PROJECT_HEADERS)
REQUIRED.update(PROJECT_REQUIRED)
# Alert rules (catalogue/alert_rules.csv) and the parameter each one needs.
ALERT_RULES: dict[str, str | None] = {
    "below_target": None, "projected_miss": None, "regression_yoy": None, "sustained_decline": "months",
    "missing": "deadline_day", "data_gap": "deadline_day", "thin_data": None,
}
# How a region obtains an indicator where it differs from indicators.csv (indicator_sources.csv), and the feeds.
OBTAINED_AS = ("feed", "submitted", "not_monitored")
FEEDS = tuple(names("fetch", "poll"))

# The ten task groups (任务) of the national system and the domain (领域) each belongs to.
TASK_GROUPS: dict[str, str] = {
    "（一）目标责任体系与制度建设": "生态制度",
    "（二）生态环境质量改善": "生态安全",
    "（三）生态系统保护": "生态安全",
    "（四）生态环境风险防范": "生态安全",
    "（五）空间格局优化": "生态空间",
    "（六）资源节约与利用": "生态经济",
    "（七）产业循环发展": "生态经济",
    "（八）人居环境改善": "生态生活",
    "（九）生活方式绿色化": "生态生活",
    "（十）观念意识普及": "生态文化",
}
DOMAINS = ("生态制度", "生态安全", "生态空间", "生态经济", "生态生活", "生态文化")
DIRECTIONS = ("higher_is_better", "lower_is_better", "task")
ATTRIBUTES = ("binding", "reference", "unknown")
OBTAINED_BY = ("computed", "submitted", "survey", "task")
FREQUENCIES = ("monthly", "annual")
TARGET_KINDS = ("value", "task", "assigned")
COMPARATORS = (">=", "<=", ">", "<", "=")
VARIANTS = ("raw", "dust_deducted", "by_volume")
LEVELS = ("province", "prefecture", "county")
NATIONAL_COUNT = 36
# Comparators that fit a direction (a value or assigned target); a task indicator only takes task targets.
FITS = {"higher_is_better": (">=", ">", "="), "lower_is_better": ("<=", "<", "=")}

# Department roles: what a department is, whatever its region (an indicator names roles, resolved per region).
ROLES: dict[str, str] = {
    "sthjj": "生态环境局（厅、分局）",
    "lcj": "林业和草原局",
    "slj": "水务局（水利局、水利厅）",
    "zjj": "住房和城乡建设局（厅）",
    "cgj": "城市管理综合执法局（市容管理局）",
    "gxj": "工业和信息化局（厅）",
    "ylzx": "园林建设（绿化）服务中心",
    "jtj": "交通运输局（厅）",
    "swbgs": "党委办公室",
    "zfbgs": "政府办公室",
    "zzb": "党委组织部",
    "jwjw": "纪委监委",
    "hzb": "河长制办公室",
    "zrzyj": "自然资源局（厅）",
    "fgw": "发展和改革委员会",
    "nmj": "农牧局（厅）",
    "sjj": "市场监督管理局",
    "czj": "财政局",
    "tjj": "统计局",
    "yjj": "应急管理局",
    "wjw": "卫生健康委员会",
    "gaj": "公安局",
    "wxb": "网信办",
    "shwj": "商务局",
    "jgsw": "机关事务管理局（服务中心）",
    "dsjj": "大数据管理局（中心）",
    "dqsfj": "内蒙古自治区大青山管理局分局",
    "xczxj": "乡村振兴局",
    "nyj": "能源局",
    "qxj": "气象局",
    "lxbgs": "生态文明建设示范创建领导小组办公室",
    "sthbwb": "生态环境保护委员会办公室",
    "hshzx": "哈素海管护中心",
    "wtlgj": "文体旅游广电局",
    "xqzf": "旗县区人民政府",
    "xcb": "党委宣传部",
}

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_REGION_CODE = re.compile(r"^\d{6}$")
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, order=True)
class CatalogueError:
    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"


@dataclass
class Row:
    line: int
    data: dict[str, str]
    bad: set[str] = field(default_factory=set)  # columns already reported: later checks leave them alone

    def __getitem__(self, column: str) -> str:
        return self.data[column]


class _Checker:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.errors: list[CatalogueError] = []
        self.tables: dict[str, list[Row] | None] = {}

    def error(self, file: str, line: int, column: str, message: str) -> None:
        self.errors.append(CatalogueError(file, line, column, message))

    def flag(self, file: str, row: Row, column: str, message: str) -> None:
        row.bad.add(column)
        self.error(file, row.line, column, message)

    # -- reading ---------------------------------------------------------------------------------------------------
    def read(self, name: str) -> list[Row] | None:
        path = self.folder / name
        if not path.exists():
            self.error(name, 0, "file", "missing")
            return None
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header != HEADERS[name]:
                self.error(name, 1, "header", f"expected {','.join(HEADERS[name])} but found {','.join(header or [])}")
                return None
            rows, start = [], reader.line_num + 1
            for record in reader:
                if not any(cell.strip() for cell in record):
                    start = reader.line_num + 1
                    continue
                if len(record) != len(header):
                    self.error(name, start, "row", f"{len(record)} fields, expected {len(header)}")
                else:
                    rows.append(Row(start, {k: v.strip() for k, v in zip(header, record, strict=True)}))
                start = reader.line_num + 1
        for row in rows:
            for column in REQUIRED[name]:
                if not row[column]:
                    self.flag(name, row, column, "is required")
        return rows

    # -- field helpers ---------------------------------------------------------------------------------------------
    def enum(self, file: str, row: Row, column: str, allowed: Iterable[str]) -> bool:
        value = row[column]
        if column in row.bad or not value:
            return False
        allowed = tuple(allowed)
        if value not in allowed:
            self.flag(file, row, column, f"{value!r} is not one of: {', '.join(allowed)}")
            return False
        return True

    def integer(self, file: str, row: Row, column: str, low: int | None = None, high: int | None = None) -> int | None:
        value = row[column]
        if column in row.bad or not value:
            return None
        try:
            number = int(value)
        except ValueError:
            self.flag(file, row, column, f"{value!r} is not an integer")
            return None
        if (low is not None and number < low) or (high is not None and number > high):
            self.flag(file, row, column, f"{number} is outside {low}–{high}")
            return None
        return number

    def number(self, file: str, row: Row, column: str) -> float | None:
        value = row[column]
        if column in row.bad or not value:
            return None
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if number != number or number in (float("inf"), float("-inf")):
            self.flag(file, row, column, f"{value!r} is not a number")
            return None
        return number

    def unique(self, file: str, rows: list[Row], columns: tuple[str, ...], label: str) -> None:
        seen: dict[tuple[str, ...], int] = {}
        for row in rows:
            key = tuple(row[c] for c in columns)
            if any(c in row.bad for c in columns) or not all(key):
                continue
            if key in seen:
                shown = key[0] if len(key) == 1 else "(" + ", ".join(key) + ")"
                self.flag(file, row, columns[-1], f"duplicate {label} {shown} (first on line {seen[key]})")
            else:
                seen[key] = row.line

    # -- per file --------------------------------------------------------------------------------------------------
    def check_regions(self, rows: list[Row]) -> None:
        f = "regions.csv"
        for row in rows:
            if row["region_code"] and not _REGION_CODE.match(row["region_code"]):
                self.flag(f, row, "region_code", f"{row['region_code']!r} is not a 6-digit GB/T 2260 code")
            self.enum(f, row, "level", LEVELS)
        self.unique(f, rows, ("region_code",), "region_code")
        codes = {r["region_code"] for r in rows}
        for row in rows:
            parent = row["parent_code"]
            if parent and parent not in codes:
                self.flag(f, row, "parent_code", f"unknown region {parent!r}")
            elif parent and parent == row["region_code"]:
                self.flag(f, row, "parent_code", "a region cannot be its own parent")

    def check_departments(self, rows: list[Row], regions: dict[str, Row] | None) -> None:
        f = "departments.csv"
        emails: dict[str, Row] = {}
        for row in rows:
            self.enum(f, row, "role", ROLES)
            if regions is not None and row["region_code"] and row["region_code"] not in regions:
                self.flag(f, row, "region_code", f"unknown region {row['region_code']!r}")
            elif row["department_code"] and not row["department_code"].startswith(row["region_code"] + "-"):
                self.flag(f, row, "department_code", f"should start with its region code {row['region_code']}-")
            email = row["email"]
            if "email" in row.bad:
                continue
            if not _EMAIL.match(email):
                self.flag(f, row, "email", f"{email!r} does not look like an email address")
            elif email.lower() in emails:
                other = emails[email.lower()]
                self.flag(f, row, "email", f"{email} is already the address of {other['department_code']} "
                                           f"(line {other.line})")
            else:
                emails[email.lower()] = row
        self.unique(f, rows, ("department_code",), "department_code")

    def check_indicators(self, rows: list[Row]) -> None:
        f = "indicators.csv"
        national: dict[int, list[tuple[int, Row]]] = {}
        for row in rows:
            if row["indicator_code"] and not _CODE.match(row["indicator_code"]):
                self.flag(f, row, "indicator_code", f"{row['indicator_code']!r} is not lowercase snake_case")
            nno = self.integer(f, row, "national_no", 1, NATIONAL_COUNT)
            sno = self.integer(f, row, "sub_no", 1, 9)
            if nno is not None and sno is None and "sub_no" not in row.bad:
                self.flag(f, row, "sub_no", "a national indicator needs sub_no (1 when it has no sub-indicators)")
            elif nno is None and sno is not None and "national_no" not in row.bad:
                self.flag(f, row, "sub_no", "sub_no without national_no")
            elif nno is not None and sno is not None:
                national.setdefault(nno, []).append((sno, row))
            if self.enum(f, row, "task_group", TASK_GROUPS) and self.enum(f, row, "domain", DOMAINS):
                expected = TASK_GROUPS[row["task_group"]]
                if row["domain"] != expected:
                    self.flag(f, row, "domain", f"task group {row['task_group']} belongs to {expected}, "
                                                f"not {row['domain']}")
            direction_ok = self.enum(f, row, "direction", DIRECTIONS)
            obtained_ok = self.enum(f, row, "obtained_by", OBTAINED_BY)
            if direction_ok and obtained_ok and (row["direction"] == "task") != (row["obtained_by"] == "task"):
                self.flag(f, row, "obtained_by", "direction task goes with obtained_by task, and only with it")
            self.enum(f, row, "attribute", ATTRIBUTES)
            self.enum(f, row, "frequency", FREQUENCIES)
            self.enum(f, row, "lead_department", ROLES)
            cooperating = row["cooperating_departments"].split(";") if row["cooperating_departments"] else []
            for role in cooperating:
                if role not in ROLES:
                    self.flag(f, row, "cooperating_departments", f"{role!r} is not a known role")
                elif role == row["lead_department"]:
                    self.flag(f, row, "cooperating_departments", f"{role} is already the lead")
            self.integer(f, row, "evaluation_digits", 0, 6)
            low, high = self.number(f, row, "min_value"), self.number(f, row, "max_value")
            if low is not None and high is not None:
                if low >= high:
                    self.flag(f, row, "min_value", f"min_value {low:g} is not below max_value {high:g}")
                elif row["direction"] == "task" and (low, high) != (0, 1):
                    self.flag(f, row, "min_value", "a task indicator ranges 0–1 (not done / done)")
        self.unique(f, rows, ("indicator_code",), "indicator_code")
        self.unique(f, rows, ("national_no", "sub_no"), "(national_no, sub_no)")
        missing = [n for n in range(1, NATIONAL_COUNT + 1) if n not in national]
        if missing:
            self.error(f, 1, "national_no", f"national numbers missing: {', '.join(map(str, missing))}")
        for nno, subs in sorted(national.items()):
            numbers = sorted({s for s, _ in subs})
            if numbers != list(range(1, len(numbers) + 1)):
                first = min(r.line for _, r in subs)
                self.error(f, first, "sub_no", f"sub-indicators of {nno} are numbered "
                                               f"{', '.join(map(str, numbers))} (expected 1…{len(numbers)})")

    def check_targets(self, rows: list[Row], indicators: dict[str, Row] | None,
                      regions: dict[str, Row] | None) -> None:
        f = "targets.csv"
        for row in rows:
            self.references(f, row, indicators, regions)
            self.integer(f, row, "year", 2000, 2100)
            kind_ok = self.enum(f, row, "target_kind", TARGET_KINDS)
            comparator_ok = self.enum(f, row, "comparator", COMPARATORS)
            self.enum(f, row, "variant", VARIANTS)
            value = self.number(f, row, "target_value")
            indicator = indicators.get(row["indicator_code"]) if indicators else None
            if row["variant"] == "dust_deducted" and not row["indicator_code"].startswith("air_"):
                self.flag(f, row, "variant", "dust_deducted applies to air indicators only")
            if row["variant"] == "by_volume" and row["indicator_code"] != catalogue_sources.INDICATOR:
                self.flag(f, row, "variant", f"by_volume applies to {catalogue_sources.INDICATOR} only")
            if not kind_ok:
                continue
            kind = row["target_kind"]
            if kind == "value" and "target_value" not in row.bad and value is None:
                self.flag(f, row, "target_value", "a value target needs a numeric target_value")
            elif kind == "task":
                if comparator_ok and row["comparator"] != "=":
                    self.flag(f, row, "comparator", "a task target uses '=' (target_value 1 = done)")
                if "target_value" not in row.bad and value != 1:
                    self.flag(f, row, "target_value", "a task target has target_value 1 (done)")
                if not row["target_text"]:
                    self.flag(f, row, "target_text", "a task target needs target_text (the wording, e.g. 制定实施)")
            elif kind == "assigned" and row["target_value"]:
                self.flag(f, row, "target_value", "an assigned target leaves target_value empty "
                                                  "(the year's value is in assigned_targets.csv)")
            if indicator is None or indicator.bad & {"direction", "min_value", "max_value"}:
                continue
            direction = indicator["direction"]
            if kind == "task" and indicator["obtained_by"] == "computed":
                self.flag(f, row, "target_kind", f"{row['indicator_code']} is computed: a task target would judge "
                                                 "its value as done / not done (compare with the baseline instead)")
            elif direction == "task" and kind != "task":
                self.flag(f, row, "target_kind", f"{row['indicator_code']} is a task indicator: its targets are "
                                                 "task targets")
            elif kind != "task" and comparator_ok and direction in FITS and row["comparator"] not in FITS[direction]:
                self.flag(f, row, "comparator", f"{row['comparator']!r} does not fit {direction}")
            if kind == "value" and value is not None:
                self.in_range(f, row, "target_value", value, indicator)
        self.unique(f, rows, ("region_code", "indicator_code", "year"), "target")

    def check_assigned(self, rows: list[Row], indicators: dict[str, Row] | None, regions: dict[str, Row] | None,
                       targets: list[Row] | None) -> None:
        f = "assigned_targets.csv"
        kinds = {(t["region_code"], t["indicator_code"], t["year"]): t["target_kind"] for t in targets or []}
        for row in rows:
            self.references(f, row, indicators, regions)
            self.integer(f, row, "year", 2000, 2100)
            value = self.number(f, row, "target_value")
            indicator = indicators.get(row["indicator_code"]) if indicators else None
            if value is not None and indicator is not None and not indicator.bad & {"min_value", "max_value"}:
                self.in_range(f, row, "target_value", value, indicator)
            key = (row["region_code"], row["indicator_code"], row["year"])
            if targets is not None and not row.bad and kinds.get(key) != "assigned":
                self.flag(f, row, "year", f"targets.csv has no assigned target for ({', '.join(key)})")
        self.unique(f, rows, ("region_code", "indicator_code", "year"), "assigned value")

    def check_baselines(self, rows: list[Row], indicators: dict[str, Row] | None,
                        regions: dict[str, Row] | None) -> None:
        f = "baselines.csv"
        for row in rows:
            self.references(f, row, indicators, regions)
            self.integer(f, row, "year", 2000, 2100)
            value = self.number(f, row, "value")
            if not row["value"] and not row["value_text"]:
                self.flag(f, row, "value", "a baseline needs a value or a value_text")
            indicator = indicators.get(row["indicator_code"]) if indicators else None
            if value is not None and indicator is not None and not indicator.bad & {"min_value", "max_value"}:
                self.in_range(f, row, "value", value, indicator)
        self.unique(f, rows, ("region_code", "indicator_code", "year"), "baseline")

    def check_alert_rules(self, rows: list[Row], indicators: dict[str, Row] | None) -> None:
        f = "alert_rules.csv"
        for row in rows:
            known = self.enum(f, row, "rule", ALERT_RULES)
            code = row["indicator_code"]
            if code != "*" and indicators is not None and code not in indicators:
                self.flag(f, row, "indicator_code", f"unknown indicator {code!r} (use * for every indicator)")
            self.enum(f, row, "enabled", ("true", "false"))
            self.integer(f, row, "escalate_after", 1, 120)
            self.number(f, row, "tolerance")
            if row["tolerance_relative"]:
                self.enum(f, row, "tolerance_relative", ("true", "false"))
            self.integer(f, row, "months", 2, 24)
            self.integer(f, row, "deadline_day", 1, 28)
            needed = ALERT_RULES.get(row["rule"]) if known else None
            if needed and not row[needed] and code == "*":
                self.flag(f, row, needed, f"rule {row['rule']} needs {needed}")
        self.unique(f, rows, ("rule", "indicator_code"), "rule")
        defaults = {row["rule"] for row in rows if row["indicator_code"] == "*"}
        for rule in ALERT_RULES:
            if rule not in defaults:
                self.error(f, 0, "rule", f"no default row (indicator_code *) for rule {rule}")

    def check_indicator_sources(self, rows: list[Row], indicators: dict[str, Row] | None,
                                regions: dict[str, Row] | None) -> None:
        """A region's own way of obtaining an indicator: only a computed indicator can be not monitored or
        submitted instead; a row that says what indicators.csv says already is noise."""
        f = "indicator_sources.csv"
        for row in rows:
            self.references(f, row, indicators, regions)
            self.enum(f, row, "obtained_as", OBTAINED_AS)
            if row["valid_from"] and "valid_from" not in row.bad:
                try:
                    date.fromisoformat(row["valid_from"])
                except ValueError:
                    self.flag(f, row, "valid_from", f"{row['valid_from']!r} is not a date (YYYY-MM-DD)")
            indicator = (indicators or {}).get(row["indicator_code"])
            if indicator is not None and "obtained_as" not in row.bad:
                if indicator["obtained_by"] != "computed":
                    self.flag(f, row, "indicator_code", f"{row['indicator_code']} is {indicator['obtained_by']} "
                                                        "everywhere (indicators.csv): only a computed indicator "
                                                        "has a way of its own per region")
                elif row["obtained_as"] == "feed":
                    self.flag(f, row, "obtained_as", "feed is the default of a computed indicator: leave the row out")
        self.unique(f, rows, ("region_code", "indicator_code", "valid_from"), "way of obtaining")

    def check_feed_operators(self, rows: list[Row]) -> None:
        f = "feed_operators.csv"
        for row in rows:
            self.enum(f, row, "source", FEEDS)
            if row["email"] and not _EMAIL.match(row["email"]):
                self.flag(f, row, "email", f"{row['email']!r} is not an email address")
        self.unique(f, rows, ("source", "email"), "operator")
        for source in FEEDS:
            if not any(r["source"] == source for r in rows):
                self.error(f, 0, "source", f"no operator for the {source} feed (data gaps would reach no one)")

    def references(self, file: str, row: Row, indicators: dict[str, Row] | None,
                   regions: dict[str, Row] | None) -> None:
        if regions is not None and row["region_code"] and row["region_code"] not in regions:
            self.flag(file, row, "region_code", f"unknown region {row['region_code']!r}")
        if indicators is not None and row["indicator_code"] and row["indicator_code"] not in indicators:
            self.flag(file, row, "indicator_code", f"unknown indicator {row['indicator_code']!r}")

    def in_range(self, file: str, row: Row, column: str, value: float, indicator: Row) -> None:
        low, high = float(indicator["min_value"]), float(indicator["max_value"])
        if not low <= value <= high:
            self.flag(file, row, column, f"{value:g} is outside the range of {indicator['indicator_code']} "
                                         f"({low:g}–{high:g})")

    def check_responsibility(self, indicators: list[Row], targets: list[Row], departments: list[Row],
                             regions: dict[str, Row]) -> None:
        """Each role of an indicator with a target in a region has a department there or in the parent region."""
        f = "indicators.csv"
        roles_in = {(d["region_code"], d["role"]) for d in departments}
        target_regions: dict[str, set[str]] = {}
        for t in targets:
            if t["region_code"] in regions:
                target_regions.setdefault(t["indicator_code"], set()).add(t["region_code"])
        for row in indicators:
            for column in ("lead_department", "cooperating_departments"):
                if column in row.bad or not row[column]:
                    continue
                for role in row[column].split(";"):
                    for region in sorted(target_regions.get(row["indicator_code"], ())):
                        parent = regions[region]["parent_code"]
                        if (region, role) in roles_in or (parent and (parent, role) in roles_in):
                            continue
                        where = f"{region} {regions[region]['name_zh']}"
                        if parent:
                            where += f" or its parent {parent}"
                        self.error(f, row.line, column, f"no department with role {role} in {where} "
                                                        "(the indicator has targets there)")

    # -- all ---------------------------------------------------------------------------------------------------------
    def run(self) -> list[CatalogueError]:
        tables = {name: self.read(name) for name in HEADERS}
        regions_rows, departments, indicator_rows = (tables["regions.csv"], tables["departments.csv"],
                                                     tables["indicators.csv"])
        targets = tables["targets.csv"]
        regions = None
        if regions_rows is not None:
            self.check_regions(regions_rows)
            regions = {r["region_code"]: r for r in regions_rows if r["region_code"]}
        if departments is not None:
            self.check_departments(departments, regions)
        indicators = None
        if indicator_rows is not None:
            self.check_indicators(indicator_rows)
            indicators = {r["indicator_code"]: r for r in indicator_rows if r["indicator_code"]}
        if targets is not None:
            self.check_targets(targets, indicators, regions)
        if tables["assigned_targets.csv"] is not None:
            self.check_assigned(tables["assigned_targets.csv"], indicators, regions, targets)
        if tables["baselines.csv"] is not None:
            self.check_baselines(tables["baselines.csv"], indicators, regions)
        if tables["alert_rules.csv"] is not None:
            self.check_alert_rules(tables["alert_rules.csv"], indicators)
        if tables["indicator_sources.csv"] is not None:
            self.check_indicator_sources(tables["indicator_sources.csv"], indicators, regions)
        if tables["feed_operators.csv"] is not None:
            self.check_feed_operators(tables["feed_operators.csv"])
        if tables[catalogue_stations.FILE] is not None:
            catalogue_stations.check(tables[catalogue_stations.FILE], regions,
                                     catalogue_stations.station_cities(self.folder), self.flag)
        if tables[catalogue_sources.FILE] is not None:
            catalogue_sources.check_sources(self, tables[catalogue_sources.FILE], regions)
        if None not in (indicator_rows, targets, departments, regions):
            self.check_responsibility(indicator_rows, targets, departments, regions)
        check_projects(self, tables, {d["department_code"]: d for d in departments or []} if departments is not None
                       else None, indicators, regions)
        order = {name: i for i, name in enumerate(HEADERS)}
        return sorted(self.errors, key=lambda e: (order.get(e.file, 99), e.line, e.column, e.message))


def check(folder: Path = CATALOGUE_DIR) -> list[CatalogueError]:
    """Every problem of the catalogue in `folder`, in file and line order (empty when it is consistent)."""
    return _Checker(Path(folder)).run()


# ---- the generated doc ---------------------------------------------------------------------------------------------


def read_rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in r.items()} for r in csv.DictReader(handle)]
