"""The Chinese message catalogue: every sentence a reader sees in the 月报, its charts, receipts, rejections and
the submission template (TEMPLATE) comes from here, in the register of official notices (公文).

Codes (indicator codes, batch ids, rule ids, file paths) never appear in these texts: operators find them in logs
and `--json`. Placeholders are str.format fields. tests/unit/test_messages.py renders every kind of output from
demo-like data and fails on a Latin word outside LATIN_ALLOWED.
"""

from __future__ import annotations

import re

# Latin tokens a Chinese official text legitimately carries: pollutant names, units, standard numbers, file types.
LATIN_ALLOWED = frozenset({
    "PM2.5", "PM10", "SO2", "NO2", "CO", "O3", "AQI", "IAQI", "GB", "HJ", "GB/T", "mg/m³", "μg/m³", "mg/L", "m³",
    "µg/m³", "pH", "CSV", "xlsx", "Excel", "A4", "PDF", "COD", "BOD5", "NH3-N", "TP", "TN", "DO", "kg", "t", "km²",
    "hm²", "UTF-8", "GBK",
    "EOD",   # 生态环境导向的开发（EOD）模式: the plan's own word in a project's name (附件2 序号72)
})
_LATIN_WORD = re.compile(r"(?<![0-9A-Za-z_.])[A-Za-zμµ][A-Za-z0-9_.\-/²³₂₃μµ]*")  # 1090A is a station code
_FILE_NAME = re.compile(r"[\w.\-]+\.(csv|xlsx|CSV|XLSX)")  # a delivered file's name is the evidence a reader needs


_CELL = re.compile(r"(?<![A-Za-z])[A-Z]{1,2}[1-9]\d{0,6}(?![A-Za-z0-9])")  # an Excel cell a clerk is pointed to: G8


def latin_words(text: str) -> list[str]:
    """The Latin words of `text` not in LATIN_ALLOWED (what the catalogue test fails on); the name of a delivered
    file (china_sites_20190102.csv) and a cell reference (G8) are evidence, not wording, and pass."""
    text = _CELL.sub(" ", _FILE_NAME.sub(" ", text))
    return [w.rstrip(".-/_") for w in _LATIN_WORD.findall(text) if w.rstrip(".-/_") not in LATIN_ALLOWED]


def quotable_file_name(name: str) -> bool:
    """A delivered file's name a reader may be shown: a .csv or .xlsx, no folder, nothing else in Latin letters."""
    return bool(re.search(r"\.(csv|xlsx)$", name, re.I)) and not re.search(r"[/\\]", name) \
        and not latin_words(name)


# -- the 月报 ---------------------------------------------------------------------------------------------------------
REPORT = {
    "title": "生态环境质量月报",
    "issue": "第{issue}期",
    "sections": ("一、综述", "二、各盟市环境空气质量排名", "三、地表水水质", "四、本月预警", "附件　各地区指标明细"),
    "assessment_heading": "五、{title}",   # the quarter's assessment, in March, June, September and December
    "overview_air": "{month}，{name}各盟市平均优良天数比例为{good}%，{good_yoy}",
    "overview_pm25": "；PM2.5平均浓度为{pm25}微克/立方米，{pm25_yoy}",
    "overview_cities": "{n}个盟市中，优良天数比例最高的是{best}（{best_good}%），最低的是{worst}（{worst_good}%）。",
    "overview_no_air": "{month}尚无各盟市环境空气质量数据。",
    "overview_water": "本月参与评价的地表水断面{n}个，水质优良（Ⅰ—Ⅲ类）断面比例为{good}%，劣Ⅴ类断面比例为{worst}%。",
    "overview_no_water": "本月暂无地表水断面评价结果。",
    "overview_alerts": "本月共产生预警{n}项（{kinds}），其中{open}项尚未关闭",
    "overview_projected": "；进度预警{n}项，请牵头部门加快推进。",
    "overview_no_projected": "；暂无进度预警。",
    "overview_no_alerts": "本月未产生预警。",
    "no_last_year": "上年同期无数据，不作同比",
    "ranking_note": ("排名按优良天数比例由高到低，比例相同时按PM2.5浓度由低到高。优良天数比例不扣除沙尘天气影响；"
                     "PM2.5浓度已扣除沙尘天气影响（未报送沙尘天气过程的月份为实测值）。首要污染物为本月非优良天中"
                     "作为首要污染物天数最多的污染物。标注“*”的数据有效天数不足，仅供参考。"),
    "chart_missing": "（本机未安装中文字体，图表从略，数据见上表。）",
    "chart_city_title": "各盟市优良天数比例（%）",
    "chart_trend_title": "近12个月优良天数比例与PM2.5浓度",
    "chart_good": "优良天数比例（%）",
    "chart_pm25": "PM2.5浓度（微克/立方米）",
    "no_alerts": "本月无预警。",
    "annex_waiting": "年度指标，尚未到报送期：",
    "annex_none": "本月无到期或变化的指标。",
    "assessment_intro": ("本月为季度末月，现将本季度考核情况摘要附后：领导小组督办事项、各部门得分及各地区指标评价"
                         "情况。各指标明细见附件，各项目推进和投资完成明细见单独印发的季度考核情况，数据与之一致。"),
}

# why a published value was revised (the bulletin's 数值修订): {what} is 固废与污水2025年1月数据 or a department's
# 呼和浩特市林业和草原局2025年1月报送, {files} the delivered files' names (or how many there were)
REVISION = {
    "added": "新增{what}（{files}）",
    "redelivered": "{what}重新交付（{files}，替换此前的{before}）",
    "redelivered_same": "{what}重新交付（{files}，替换此前交付的同名文件）",
    "corrected": "{what}更正（{files}替换此前的{before}）",
    "dropped": "{what}不再计入（{files}）",
    "inputs_changed": "所用数据变更",
    "rules": "计算规则调整",
    "recomputed": "输入未变，因规则或目录调整重新计算",
    "gone": "输入数据已不存在，不再计算",
}

# the quarterly assessment (季考核), on its own page and in the 月报 of a quarter's last month
ASSESSMENT = {
    "basis": "指标按{month}评估结果；项目按各单位{month}项目月调度表（截至{as_of}）判定。",
    "section": "{quarter}考核情况",
    # the not-reported projects of one unit on the leading group's list, in one row of the 月报's section
    "missed_intro": "以下{units}个单位共{n}个项目连续未按时报送项目月调度表。{ask}",
    "missed_projects": "{lists}，共{n}个",
    "project_list": "{region}清单第{seqs}项",
    # what a region's indicators come to, in one line (the 月报's section; the details are in its annex)
    "region_counts": "{region}：{counts}。",
    # a unit's projects already on the leading group's list (its own table leaves them out)
    "listed": "另有{n}个项目已列入督办事项，见上文。",
    "all_listed": "以下单位的项目均已列入督办事项，见上文：{names}。",
    # a region's indicators not yet due, in one line instead of rows (its own page)
    "not_due_line": "尚未到考核期的指标{n}项（年度指标，按全年数据评价，年内不扣分）：{names}。",
}
#: How an indicator counts in the assessment (tasks/report/assessment.py::indicator_verdict; docs/projects.md).
VERDICTS = {"on_track": "正常", "off_track": "需关注", "not_due": "未到考核期", "not_counted": "不计分"}
# the leading group's list of key projects (tasks/compute/project_status.py::watch_list): why a project is on it and
# what its unit is asked to do; every reader (the assessment, the department's digest, `ecoflow projects`) gets these
PROJECT_WATCH = {
    "run_behind": "连续 {n} 个月滞后",
    "run_missed": "连续 {n} 个月未按时报送",
    "attainment_warning": "所保障的指标（{indicator}）出现进度预警",
    "ask_missed": "请于收到本通知后3个工作日内补报项目月调度表，并说明未按时报送原因。",
    "ask_behind": "请于下次月调度前书面报送滞后原因、赶进度措施及完成时限；需协调事项请一并提出。",
}

CHART_LEGEND = ("月值", "累计值", "目标")
# the waste and sewage system's quantity items (docs/feeds/waste.md), as the bulletin names them
WASTE_ITEMS_ZH = {
    "hw_generated": "危险废物产生量", "hw_utilized": "危险废物利用量", "hw_disposed": "危险废物处置量",
    "sewage_treated": "城镇污水处理量", "sewage_discharged": "城镇污水排放量", "msw_collected": "生活垃圾清运量",
    "msw_safely_treated": "生活垃圾无害化处理量", "isw_generated": "一般工业固体废物产生量",
    "isw_utilized": "一般工业固体废物综合利用量", "isw_utilized_from_storage": "综合利用往年贮存量",
}  # the digest's trend charts (tasks/notify/charts.py)

# -- the alert digests (tasks/alert/digest.py; templates digest.*.j2) -----------------------------------------------
DIGEST = {
    "finding_data_gap": "截至{deadline}，{period}监测数据仍未入库",
    "finding_missing": "截至{deadline}，仍未收到{period}的报送",
    "finding_projected": "按进度推算，年末预计为{projected}，达不到目标",
    "finding_regression": "比上年同期差{worse}（容差{tolerance}）",
    "finding_thin": "数据覆盖不足（{coverage}），尚不能据此判断是否达标",
    "target_task": "完成",
    "target_assigned": "上级下达（本年度数值尚未配置）",
    "sources_submitted": "{department}报送的“{file}”{where}",
    "sources_files": "{source}：{files}{more}",
    "sources_more": " 等{n}个文件",
    "gap_ask": ("以下监测数据截至规定时限仍未入库或不完整，相关指标暂时无法计算或评价。请于{reply}前恢复数据，"
                "并执行所列命令补采："),
    "gap_recovered": "以下数据已恢复，提醒解除：",
    "gap_note": "说明：数据补采入库后，系统将自动重新计算相关指标，本提醒随之解除；数据缺失不向各牵头部门催报。",
}


def water_class_label(water_class: int | None) -> str:
    """1..5 → Ⅰ类..Ⅴ类, 6 → 劣Ⅴ类, None → 未评价."""
    if water_class is None:
        return "未评价"
    return ("Ⅰ类", "Ⅱ类", "Ⅲ类", "Ⅳ类", "Ⅴ类", "劣Ⅴ类")[water_class - 1]


# -- validation rules in words (stewards' check report, rejections) -----------------------------------------------
RULES_ZH = {
    "air.columns": "文件列不符合国控站点日数据格式",
    "air.value_type": "数值列未能按数字读取",
    "air.date_matches_file": "数据行日期与文件名所示日期不一致",
    "air.hour_0_23": "小时应为0—23的整数",
    "air.hour_numeric": "小时不是数字",
    "air.known_type": "监测项目不属于国控站点发布的15类",
    "air.known_station": "站点编码不在站点名录中",
    "air.value_numeric": "监测值不是数字",
    "air.value_non_negative": "浓度不应为负值",
    "air.plausible_pm25": "PM2.5超过1000微克/立方米，仅沙尘天气可能出现，请核实",
    "air.plausible_pm10": "PM10超过3000微克/立方米，请核查仪器",
    "air.plausible_gas": "SO2或NO2超过2000微克/立方米，请核查仪器",
    "air.plausible_o3": "O3超过1000微克/立方米，请核查仪器",
    "air.o3_24h_ge_o3": "O3日最大值小于O3小时值，O3两列可能标反",
    "air.one_value_per_station_hour_type": "同一站点、同一小时、同一项目有多个数值（各份均暂不入库）",
    "air.plausible_co": "CO超过50毫克/立方米，请核实单位（CO以毫克/立方米计）",
    "water.columns": "文件列不符合地表水实时数据格式",
    "water.value_type": "数值列未能按数字读取",
    "water.known_parameter": "监测项目不在发布的11项之内",
    "water.known_flag": "数据标识无法识别",
    "water.section_named": "监测数据缺少断面名称",
    "water.known_class": "发布的水质类别不是Ⅰ—Ⅴ类或劣Ⅴ类",
    "water.range_ph": "pH应在0—14之间",
    "water.range_nh3n": "氨氮应在0—100毫克/升之间，疑为单位或仪器错误",
    "water.range_tp": "总磷应在0—50毫克/升之间，疑为单位或仪器错误",
    "water.range_tn": "总氮应在0—200毫克/升之间，疑为单位或仪器错误",
    "water.range_codmn": "高锰酸盐指数应在0—200毫克/升之间，疑为单位或仪器错误",
    "water.range_water_temp": "地表水水温应在-5—45℃之间",
    "water.non_negative": "电导率、浊度、叶绿素或藻密度不应为负值",
    "water.known_status": "站点情况出现新的状态（只计“正常”状态的数据），请核实其含义",
    "water.plausible_do": "溶解氧超过20毫克/升（饱和度200%以上），藻类暴发时可能出现，请核实",
    "water.range_do": "溶解氧应在0—50毫克/升之间，疑为单位错误",
    "water.time_not_after_fetch": "监测时间晚于获取时间一天以上（年份推断错误或时钟故障）",
    "water.value_unparsable": "单元格既不是数值也不是规定的缺测标识，数据格式可能已变化",
    "water.stale_reading": "监测时间早于本次获取时间过久，按旧数据处理",
    "waste.columns": "文件列不符合固废与污水月报格式",
    "waste.value_type": "数值列未能按数字读取",
    "waste.period_matches_file": "数据所属月份与文件名所示月份不一致",
    "waste.facility_id_present": "设施编号为空，无法归属到设施",
    "waste.known_kind": "设施类型不在规定的8类之内",
    "waste.known_item": "填报项目不在规定的10项之内",
    "waste.item_allowed_for_kind": "该类设施不填报此项目",
    "waste.value_numeric": "数量为空或不是规范的十进制数（不用千分位，不用科学计数法）",
    "waste.value_non_negative": "数量不应为负值",
    "waste.plausible_mass": "单个设施月产生或处理量超过1000万吨，请核实吨与万吨",
    "waste.one_value_per_facility_item": "同一设施、同一项目本月有多个数值（各份均暂不入库）",
    "waste.plausible_hazardous_mass": "单个设施月危险废物量超过10万吨，请核实吨与万吨",
    "waste.plausible_volume": "单个设施月水量超过1亿立方米，请核实立方米与万立方米",
    "unit.missing": "计量单位为空（单位必填，不作推测）",
    "unit.unknown": "计量单位写法不在认可范围内（吨、万吨、立方米、万立方米）",
    "unit.wrong_dimension": "计量单位与项目不符（质量项目用吨，水量项目用立方米）",
    "region.code_format": "行政区划代码应为6位数字",
    "region.known": "行政区划代码不在地区名录中",
    "submission.value_type": "本期值未能按数字读取",
    "submission.period": "期别不是本次征集的月份（是否误发上月文件？）",
    "submission.blank": "本期值为空",
    "submission.columns": "文件列不符合报送模板",
    "submission.department": "报送单位与模板所属单位不一致",
    "submission.duplicate": "同一指标填报了两行",
    "submission.meta_mismatch": "模板信息与文件内容不一致",
    "submission.no_meta": "文件缺少模板信息",
    "submission.no_period": "文件未注明期别",
    "submission.no_values": "文件中没有填报任何数值",
    "submission.not_numeric": "本期值不是数字",
    "submission.range": "取值超出允许范围",
    "submission.template_version": "模板版本已过期，请使用本月下发的模板",
    "submission.unit": "计量单位与模板不一致",
    "submission.unknown_indicator": "指标不在本单位的报送清单中",
    "parse.bad_time": "监测时间无法识别",
    "parse.field_count": "该行字段数与表头不一致（文件可能被截断）",
    "parse.file": "文件无法读取",
    "parse.incomplete_day": "当日数据不完整",
    "parse.no_rows": "文件中没有数据行",
    "parse.no_time": "缺少监测时间",
    "parse.repeated_reading": "同一监测时间的数据重复出现",
    "parse.truncated": "文件在行中间被截断",
    "project.department": "部门编码与文件不一致",
    "project.period": "期别与文件不一致",
    "project.unknown": "不是本单位负责报送的项目",
    "project.duplicate": "同一项目填报了多次",
    "project.not_numeric": "不是数值",
    "project.incomplete": "形象进度、本月投资、累计投资未同时填写",
    "project.range": "超出合理范围",
    "project.month_exceeds_total": "本月投资大于累计投资",
    "project.cumulative_decrease": "累计值下降且未说明原因",
    "project.scale": "累计投资超过概算2倍，请核对单位",
    "project.month_mismatch": "累计投资增加额与本月投资不一致",
    "project.blank": "本月未填报",
    "project.meta_mismatch": "表内部门编码或期别与模板隐藏信息不一致",
    "project.no_rows": "未填写任何项目",
    "dws.department": "部门编码与文件不一致",
    "dws.period": "期别与文件不一致",
    "dws.unknown_source": "不是本地区名录中的集中式饮用水水源地",
    "dws.unknown_item": "该类水源地不评价此项目",
    "dws.duplicate": "同一水源地的同一项目填报了多次",
    "dws.not_numeric": "不是数值，也不是低于检出限的写法（如0.004L、<0.004或未检出）",
    "dws.range": "超出合理范围（监测值不得为负数，pH应在0—14之间）",
    "dws.detection_limit": "检出限高于Ⅲ类标准限值，无法判定是否达标，请按更低检出限的方法复测或核实",
    "dws.plausible": "超过Ⅲ类标准限值100倍以上，请核实计量单位",
    "dws.meta_mismatch": "表内部门编码、期别或行次与模板隐藏信息不一致",
    "dws.no_values": "未填写任何监测值",
}


def rule_zh(rule: str, fallback: str | None = None) -> str:
    """A validation rule in words; an unknown rule reads as a generic check (its id stays in logs and --json)."""
    return RULES_ZH.get(rule) or (fallback if fallback and not latin_words(fallback) else "未通过数据校验")


# -- receipts and rejections of departments' submissions -----------------------------------------------------------
RECEIPT = {
    "subject_accepted": "【月调度回执】{department} {period_zh}报送已接收（{n}项）",
    "subject_rejected": "【月调度退回】{department} {period_zh}报送未通过校验，请于{deadline}前修改后重新报送",
    "greeting": "{department}：",
    "accepted": "贵单位于{received}报送的文件“{file}”（{period_zh}）已通过校验并入库，共{n}项：",
    "blank": "未填报（本月未报送，留空不计为0）",
    "blanks": "以下{n}项本次未填报（留空不计为0）：{names}。",
    "changed": "本次报送更正了此前报送的{n}项数值，原值已留存备查。",
    "owed": "截至本回执，贵单位{period_zh}尚需报送以下{n}项，请于{deadline}前报送：",
    "owed_annual": "（年度指标，填报全年数）",
    "owed_none": "贵单位{period_zh}到期应报送的指标已全部报送（年度指标于12月份报送全年数，次年1月10日前报送）。",
    "rejected": "贵单位于{received}报送的文件“{file}”未通过校验，本文件中的数据均未入库。",
    "rejected_cells": "共{n}处不符合要求，请逐项修改：",
    "rejected_file": "文件无法按报送模板读取，请使用本月下发的模板重新填报。",
    "duplicate": "{name}：同一指标填报了{n}行（{rows}），只能保留一行。",
    "task_answer": "应从下拉列表选择“是”（已完成）或“否”（未完成）",
    "keep": "建议保留{cell}（{value}），删除其余各行。",
    "keep_unknown": "请核实后保留正确的一行，删除其余各行。",
    "resubmit_xlsx": ("请在原模板（Excel）中修改上述单元格，于{deadline}前将整份文件重新放入报送收件箱；"
                      "新文件将整体替换本次报送。"),
    "resubmit_csv": ("请修改上述单元格，保持原列名和编码，于{deadline}前将整份CSV文件重新放入报送收件箱；"
                     "新文件将整体替换本次报送。"),
    "technical": "技术信息（供信息管理员核查）：{reason}",
    "archived": "文件已归档，收件编号{file_id}。",
    "footer": "此邮件由生态文明建设示范区指标监测系统自动发送，请勿直接回复。",
    "warnings": "请注意：",
}


# -- the submission template (tasks/sources/submissions/template.py) ------------------------------------------------
TEMPLATE = {
    "title": "{name} {period} 生态文明建设示范区指标月调度表",
    "title_annual": "{name} {period} 生态文明建设示范区年度指标报送表（年度）",
    "instructions": ("只填写黄色的“本期值”（按“单位”列的单位和“填报口径”列的口径填数字；“是/否”类指标从下拉列表选择）"
                     "和“备注”，并在表末填写填报人和联系电话；本月未报送的指标请留空（留空≠0），请勿改动其他内容、"
                     "插入或删除行。请于{deadline}前将本表保存为 Excel 文件放入报送收件箱（或发送至 {email}）。"),
    "annual_due": ("本表为年度指标，每年报送一次全年数。本月须填报{year}年全年数，请于{deadline}前随本月报表报送。"
                   "只填写黄色的“本期值”（按“单位”列的单位填全年数；“是/否”类指标从下拉列表选择）和“备注”，"
                   "并在表末填写填报人和联系电话；“最近报送值”为此前已报送的数值，全年数与之相同的也请填写。请勿改动"
                   "其他内容、插入或删除行。请将本文件保存为 Excel 文件放入报送收件箱（或发送至 {email}）。"),
    "annual_not_due": ("本表为年度指标，每年报送一次全年数，应于{year}年12月月调度时报送（{deadline}前）；"
                       "本月不作要求。全年数已经确定的，可填写黄色的“本期值”（按“单位”列的单位填全年数；“是/否”类"
                       "指标从下拉列表选择）和“备注”，于{month_deadline}前提前报送；“最近报送值”为此前已报送的数值，"
                       "继续有效，没有新数据的请留空（留空≠0，不必每月重复填报）。请勿改动其他内容、插入或删除行。"
                       "报送时将本文件保存为 Excel 文件放入报送收件箱（或发送至 {email}）。"),
    "see_annual": "年度指标见本文件“年度指标”表。",
    "see_monthly": "按月报送的指标见本文件“月调度”表。",
    "no_monthly": "本单位本月无按月报送的指标。",
}


def range_words(low: float | None, high: float | None, unit: str | None) -> str:
    """The allowed range in words: 取值应在0—100之间 (with the unit when it is not %)."""
    def text(v: float) -> str:
        return f"{v:g}"

    suffix = "" if unit in (None, "", "%", "—") else f"（单位：{unit}）"
    if low is not None and high is not None:
        return f"取值应在{text(low)}—{text(high)}之间{suffix}"
    if low is not None:
        return f"取值应不小于{text(low)}{suffix}"
    if high is not None:
        return f"取值应不大于{text(high)}{suffix}"
    return "取值超出允许范围"


def date_zh(day) -> str:  # noqa: ANN001 - a datetime.date
    return f"{day.year}年{day.month}月{day.day}日"


def period_zh(period: str | None) -> str:
    """2025-01 → 2025年1月; anything else as it is (an unidentified file has no period)."""
    if period and len(period) == 7 and period[4] == "-":
        return f"{int(period[:4])}年{int(period[5:])}月"
    return period or ""
