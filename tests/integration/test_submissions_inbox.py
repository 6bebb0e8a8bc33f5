"""The submissions inbox end to end: templates filled the way departments fill them, GBK CSV exports, wrong
cells, duplicates, a corrected resubmission, an unknown department, odd file names, and replies through a
real SMTP server on loopback (including one that is down, then back).
"""

from __future__ import annotations

import hashlib
import json
import os
from email import message_from_bytes, policy
from pathlib import Path

import duckdb
import openpyxl
import pytest

from demo.smtp_sink import SmtpSink, free_port
from tasks.cli.commands import main as ecoflow
from tasks.core import settings
from tasks.flow import inbox
from tests.unit.test_messages import assert_reads_chinese, visible

PERIOD = "2025-03"
LCJ, ZJJ, STHJJ = "150100-lcj", "150100-zjj", "150100-sthjj"
BUREAU = "bureau-inbox@ecoflow-test.example.gov.cn"
CSV_HEADER = "部门编码,期别,指标代码,指标名称,单位,本期值,备注\n"


@pytest.fixture
def home(eco_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ECOFLOW_BUREAU_EMAIL", BUREAU)
    assert ecoflow(["templates", "--period", PERIOD, "--out", str(eco_env / "templates")]) == 0
    return eco_env


def template(home: Path, department: str = LCJ) -> Path:
    return home / "templates" / f"{department}_{PERIOD}.xlsx"


ANNUAL = "年度指标"   # 林草局 leads annual indicators only: its workbook is the one 年度指标 sheet


def forest_cell() -> str:
    """The 本期值 cell of 林草覆盖率 in 林草局's template (its row follows the catalogue's order)."""
    wb = openpyxl.load_workbook(settings.load().home / "templates" / f"{LCJ}_{PERIOD}.xlsx")
    sheet = wb[ANNUAL]
    row = next(r for r in range(7, sheet.max_row + 1) if sheet[f"B{r}"].value == "forest_grass_coverage")
    return f"G{row}"


def fill(home: Path, name: str, value: object, department: str = LCJ, cell: str | None = None) -> Path:
    wb = openpyxl.load_workbook(template(home, department))
    wb[ANNUAL][cell or forest_cell()] = value
    target = settings.load().inbox_dir / name
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def drop_csv(name: str, rows: list[str], encoding: str = "utf-8") -> Path:
    target = settings.load().inbox_dir / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes((CSV_HEADER + "".join(r + "\n" for r in rows)).encode(encoding))
    return target


def process() -> list[inbox.InboxOutcome]:
    """What `ecoflow inbox` does: the files, then the months they changed evaluated."""
    outcomes = inbox.process(settings.load(), trigger="test", settle=0)
    inbox.evaluate_accepted(settings.load(), outcomes)
    return outcomes


def query(sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def current(indicator: str) -> list[tuple]:
    return query("SELECT value, cell, file_name FROM staging.stg_submissions__current WHERE indicator_code = ? "
                 "AND period = ?", [indicator, PERIOD])


def mails(sink: SmtpSink) -> list:
    return [message_from_bytes(m, policy=policy.default) if isinstance(m, bytes) else m for m in sink.messages]


def body(msg) -> str:  # noqa: ANN001
    return msg.get_body(("plain",)).get_content()


def test_a_filled_template_is_accepted_landed_with_its_cell_and_receipted(home: Path, smtp_sink) -> None:
    fill(home, "林草局 3月 报送.xlsx", 36.4)
    [outcome] = process()
    assert outcome.accepted and outcome.department_code == LCJ and outcome.period == PERIOD
    assert outcome.moved_to.parent == settings.load().inbox_dir / "processed" / PERIOD
    assert current("forest_grass_coverage") == [(36.4, forest_cell(), "林草局 3月 报送.xlsx")]
    rows = query("SELECT sheet, cell, department_code FROM raw.submission_values WHERE value IS NOT NULL")
    assert rows == [(ANNUAL, forest_cell(), LCJ)]
    [msg] = mails(smtp_sink)
    assert msg["To"] == "lcj@huhhot.example.gov.cn" and msg["Cc"] == BUREAU
    assert "已接收" in msg["Subject"]
    # the indicator by its name, never its code (codes stay in logs and --json)
    assert "林草覆盖率" in body(msg) and "forest_grass_coverage" not in body(msg)
    assert "36.4" in body(msg) and forest_cell() in body(msg)


def test_submitted_values_appear_in_indicators_with_their_lineage(home: Path, capsys) -> None:
    fill(home, "lcj.xlsx", 36.4)
    process()
    capsys.readouterr()
    assert ecoflow(["indicators", "--period", PERIOD, "--region", "150100", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    [row] = [r for r in rows if r["indicator_code"] == "forest_grass_coverage"]
    assert row["value"] == 36.4 and row["period_type"] == "submitted" and row["target_value"] == 35
    assert row["national_no"] == 10 and row["coverage_ok"] is True
    assert row["lineage"]["department_code"] == LCJ and row["lineage"]["cell"] == forest_cell()
    assert row["lineage"]["file_name"] == "lcj.xlsx" and row["lineage"]["sheet"] == ANNUAL
    assert row["batch_ids"] and row["batch_ids"][0].startswith("submissions:lcj.xlsx:")


def test_a_gbk_csv_export_is_read_and_accepted(home: Path) -> None:
    drop_csv("住建局 3月.csv", [f"{ZJJ},{PERIOD},green_building_share,城镇新建绿色建筑比例,%,52.3,"], "gbk")
    [outcome] = process()
    assert outcome.accepted, outcome.reason
    assert current("green_building_share") == [(52.3, "F2", "住建局 3月.csv")]


def test_wrong_cells_reject_the_whole_file_and_the_reply_names_each_cell(home: Path, smtp_sink) -> None:
    drop_csv("zjj.csv", [f"{ZJJ},{PERIOD},green_building_share,城镇新建绿色建筑比例,%,135,",
                         f"{ZJJ},{PERIOD},public_transport_share,公共交通出行分担率,%,60,"])
    fill(home, "lcj.xlsx", "约35")
    outcomes = process()
    assert [o.accepted for o in outcomes] == [False, False]
    assert all(o.moved_to.parent == settings.load().inbox_dir / "rejected" for o in outcomes)
    assert query("SELECT count(*) FROM raw.submission_values") == [(0,)]
    findings = query("SELECT file_name, column_name, value_text, rule FROM quarantine.row_issues "
                     "WHERE severity = 'error' ORDER BY file_name, column_name")
    assert ("zjj.csv", "F2", "135", "submission.range") in findings
    # public_transport_share is led by 交通运输局, not 住建局: not this department's indicator
    assert ("zjj.csv", "F3", "60", "submission.unknown_indicator") in findings
    assert ("lcj.xlsx", forest_cell(), "约35", "submission.not_numeric") in findings
    by_to = {m["To"]: m for m in mails(smtp_sink)}
    text = body(by_to["zjj@huhhot.example.gov.cn"])
    assert "退回" in by_to["zjj@huhhot.example.gov.cn"]["Subject"]
    # each cell named with its indicator and the rule in words, and how and by when to send the file again
    assert "城镇新建绿色建筑比例：F2单元格" in text and "取值应在0—100之间" in text and "F3单元格" in text
    assert "CSV" in text and "2025年4月10日前" in text
    assert f"{forest_cell()}单元格" in body(by_to["lcj@huhhot.example.gov.cn"])
    assert "Excel" in body(by_to["lcj@huhhot.example.gov.cn"])


def test_duplicates_of_one_indicator_hold_back_every_copy(home: Path) -> None:
    drop_csv("zjj.csv", [f"{ZJJ},{PERIOD},green_building_share,城镇新建绿色建筑比例,%,52.3,",
                         f"{ZJJ},{PERIOD},green_building_share,城镇新建绿色建筑比例,%,53,"], "gbk")
    [outcome] = process()
    assert not outcome.accepted
    cells = query("SELECT column_name FROM quarantine.row_issues WHERE rule = 'submission.duplicate' ORDER BY 1")
    assert cells == [("F2",), ("F3",)]


def test_a_rejection_says_which_of_two_duplicated_rows_to_keep(home: Path, smtp_sink) -> None:
    drop_csv("zjj.csv", [f"{ZJJ},{PERIOD},green_building_share,城镇新建绿色建筑比例,%,152.3,",
                         f"{ZJJ},{PERIOD},green_building_share,城镇新建绿色建筑比例,%,52.3,"], "gbk")
    [outcome] = process()
    assert not outcome.accepted
    [msg] = mails(smtp_sink)
    text = body(msg)
    assert "同一指标填报了2行（F2单元格填152.3、F3单元格填52.3）" in text
    assert "建议保留F3单元格（52.3）" in text            # F2 also fails the range: the other row is the one to keep
    assert "取值应在0—100之间" in text and "2025年4月10日前" in text
    assert_reads_chinese(text, "rejection")
    assert_reads_chinese(visible(msg.get_body(("html",)).get_content()), "rejection (HTML)")
    assert_reads_chinese(msg["Subject"], "rejection subject")


def test_a_receipt_lists_what_is_still_owed_and_by_when(home: Path, smtp_sink) -> None:
    """March: 林草局 leads annual indicators only, due with December, so nothing more is owed; December: the
    other annual indicators it leads are listed, due on 10 January."""
    fill(home, "lcj.xlsx", 36.4)
    process()
    assert "2025年3月到期应报送的指标已全部报送" in body(mails(smtp_sink)[-1])
    december = "2025-12"
    assert ecoflow(["templates", "--period", december, "--department", LCJ, "--out", str(home / "dec")]) == 0
    wb = openpyxl.load_workbook(home / "dec" / f"{LCJ}_{december}.xlsx")
    sheet = wb[ANNUAL]
    row = next(r for r in range(7, sheet.max_row + 1) if sheet[f"B{r}"].value == "forest_grass_coverage")
    sheet[f"G{row}"] = 36.9
    wb.save(settings.load().inbox_dir / "lcj-12.xlsx")
    [outcome] = process()
    assert outcome.accepted, outcome.reason
    text = body(mails(smtp_sink)[-1])
    owed = text[text.index("尚需报送"):text.index("收件编号")]
    assert "请于2026年1月10日前报送" in owed and "湿地保护率" in owed and "林草覆盖率" not in owed
    assert_reads_chinese(text.replace("lcj-12.xlsx", ""), "receipt")


def test_a_corrected_resubmission_replaces_the_value_and_keeps_the_history(home: Path, smtp_sink) -> None:
    fill(home, "first.xlsx", 36.4)
    process()
    fill(home, "corrected.xlsx", 37.1)
    process()
    assert current("forest_grass_coverage") == [(37.1, forest_cell(), "corrected.xlsx")]
    history = query("SELECT file_name, value FROM raw.submission_values WHERE indicator_code = ? "
                    "ORDER BY received_at", ["forest_grass_coverage"])
    assert history == [("first.xlsx", 36.4), ("corrected.xlsx", 37.1)]
    assert query("SELECT value FROM marts.indicator_values WHERE indicator_code = 'forest_grass_coverage'") \
        == [(37.1,)]
    receipt = body(mails(smtp_sink)[-1])
    assert "更正前为36.4%（原文件“first.xlsx”）" in receipt


def test_a_rejected_correction_leaves_the_accepted_value_in_place(home: Path) -> None:
    fill(home, "first.xlsx", 36.4)
    process()
    fill(home, "bad.xlsx", 136.4)
    [outcome] = process()
    assert not outcome.accepted
    assert current("forest_grass_coverage") == [(36.4, forest_cell(), "first.xlsx")]


def test_a_file_for_an_unknown_department_goes_back_to_the_bureau(home: Path, smtp_sink) -> None:
    drop_csv("unknown.csv", [f"150100-xyz,{PERIOD},forest_grass_coverage,林草覆盖率,%,36,"])
    [outcome] = process()
    assert not outcome.accepted and "150100-xyz" in outcome.reason
    [msg] = mails(smtp_sink)
    assert msg["To"] == BUREAU and msg["Cc"] is None
    assert "未识别部门" in msg["Subject"] and "150100-xyz" in body(msg)
    archived = list((settings.load().archive_dir / "submissions" / "unidentified").iterdir())
    assert len(archived) == 1  # nothing lost: the bytes are archived even though nothing was landed


@pytest.mark.parametrize("name", ["..报送 (最终版).xlsx", "呼和浩特 林草局 ＃3.xlsx", "a;rm -rf x.xlsx"])
def test_odd_file_names_are_safe_and_the_file_is_moved_never_deleted(home: Path, name: str) -> None:
    dropped = fill(home, name, 36.4)
    digest = hashlib.sha256(dropped.read_bytes()).hexdigest()
    [outcome] = process()
    assert outcome.accepted, outcome.reason
    moved = outcome.moved_to
    assert moved.is_file() and moved.parent == settings.load().inbox_dir / "processed" / PERIOD
    assert hashlib.sha256(moved.read_bytes()).hexdigest() == digest
    assert not moved.name.startswith(".") and ";" not in moved.name and " " not in moved.name
    assert not dropped.exists()


def test_a_very_long_chinese_name_is_processed_and_does_not_block_the_files_after_it(home: Path) -> None:
    long_name = "呼和浩特市林业和草原局关于报送" * 4 + "2025年3月生态文明指标月调度数据的函.xlsx"
    assert 255 - 30 < len(long_name.encode()) <= 255  # fits the file system, not beside a stamp and a digest
    fill(home, long_name, 36.4)
    os.utime(settings.load().inbox_dir / long_name, (1, 1))  # the oldest file: processed first
    drop_csv("zjj.csv", [f"{ZJJ},{PERIOD},green_building_share,城镇新建绿色建筑比例,%,52.3,"])
    outcomes = process()
    assert [(o.received_name, o.accepted) for o in outcomes] == [(long_name, True), ("zjj.csv", True)]
    assert all(len(o.moved_to.name.encode()) <= 255 for o in outcomes)
    assert query("SELECT received_name FROM meta.inbox_files ORDER BY received_at") == [(long_name,), ("zjj.csv",)]


def test_an_untouched_template_is_sent_back_and_the_values_stay(home: Path) -> None:
    fill(home, "first.xlsx", 36.4)
    process()
    blank = settings.load().inbox_dir / "blank.xlsx"
    blank.write_bytes(template(home).read_bytes())
    [outcome] = process()
    assert not outcome.accepted
    assert query("SELECT rule FROM quarantine.row_issues WHERE severity = 'error'") == [("submission.no_values",)]
    assert current("forest_grass_coverage") == [(36.4, forest_cell(), "first.xlsx")]


def test_status_shows_each_delivery_even_when_two_departments_use_the_same_file_name(home: Path, capsys) -> None:
    drop_csv("月调度.csv", [f"{ZJJ},{PERIOD},green_building_share,城镇新建绿色建筑比例,%,135,"])
    process()
    drop_csv("月调度.csv", [f"{LCJ},{PERIOD},forest_grass_coverage,林草覆盖率（干旱半干旱地区）,%,36.4,"])
    process()
    capsys.readouterr()
    assert ecoflow(["status", "--period", PERIOD, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    [run] = [r for r in status["runs"] if r["source"] == "submissions"]
    assert (run["files"], run["landed"], run["failed"]) == (2, 1, 1)
    assert ("submission.range", "error") in {(i["rule"], i["severity"]) for i in status["issues"]}


def test_unsupported_files_and_editor_lock_files(home: Path) -> None:
    inbox_dir = settings.load().inbox_dir
    inbox_dir.mkdir(parents=True, exist_ok=True)
    (inbox_dir / "old format.xls").write_bytes(b"\xd0\xcf\x11\xe0 not really")
    (inbox_dir / "~$lcj.xlsx").write_bytes(b"lock")
    outcomes = process()
    assert [(o.received_name, o.accepted) for o in outcomes] == [("old format.xls", False)]
    assert "unsupported file type" in outcomes[0].reason
    assert (inbox_dir / "~$lcj.xlsx").exists()  # an Excel lock file is not a delivery: left alone


def test_the_same_file_twice_changes_nothing(home: Path) -> None:
    fill(home, "lcj.xlsx", 36.4)
    process()
    before = query("SELECT indicator_code, region_code, value, coverage_ok FROM marts.indicator_values")
    fill(home, "lcj.xlsx", 36.4)
    [outcome] = process()
    assert outcome.accepted
    assert query("SELECT indicator_code, region_code, value, coverage_ok FROM marts.indicator_values") == before
    assert query("SELECT count(DISTINCT batch_id) FROM staging.stg_submissions__current") == [(1,)]


def test_smtp_down_keeps_the_reply_pending_then_sends_it_once(home: Path, monkeypatch, tmp_path: Path) -> None:
    port = free_port()
    monkeypatch.setenv("AIRFLOW_CONN_ECOFLOW_SMTP", f"smtp://127.0.0.1:{port}?disable_ssl=true&disable_tls=true"
                       "&from_email=ecoflow%40example.gov.cn&timeout=2")
    fill(home, "lcj.xlsx", 36.4)
    [outcome] = process()
    assert outcome.accepted and outcome.reply_status == "failed"
    assert query("SELECT reply_status FROM meta.inbox_files") == [("failed",)]
    with SmtpSink(tmp_path / "later", port=port) as sink:
        assert process() == []            # nothing new in the inbox; the queued reply goes out
        assert process() == []
        assert len(sink.messages) == 1
    assert query("SELECT reply_status FROM meta.inbox_files") == [("sent",)]


def rows_of(sheet) -> dict[str, int]:  # noqa: ANN001 - an openpyxl worksheet
    return {sheet[f"B{r}"].value: r for r in range(7, sheet.max_row + 1) if sheet[f"B{r}"].value}


def test_monthly_and_annual_sheets_are_read_landed_by_sheet_and_receipted(home: Path, smtp_sink) -> None:
    """生态环境局 reports monthly counts (月调度) and annual indicators (年度指标): both sheets are read, each value
    lands with its own sheet and cell, and the receipt says where each came from — in March the annual rows left
    blank are neither listed as blanks nor owed (they are due with December)."""
    wb = openpyxl.load_workbook(template(home, STHJJ))
    assert [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"] == ["月调度", ANNUAL]
    monthly, annual = rows_of(wb["月调度"]), rows_of(wb[ANNUAL])
    assert set(monthly) == {"drinking_water_sources_evaluated", "drinking_water_sources_meeting_iii"}
    assert "rural_sewage_treatment_rate" in annual and not set(annual) & set(monthly)
    wb["月调度"][f"G{monthly['drinking_water_sources_evaluated']}"] = 4
    wb["月调度"][f"G{monthly['drinking_water_sources_meeting_iii']}"] = 4
    sewage = annual["rural_sewage_treatment_rate"]
    wb[ANNUAL][f"G{sewage}"] = 38.5
    target = settings.load().inbox_dir / "生态环境局3月.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    [outcome] = process()
    assert outcome.accepted, outcome.reason
    landed = query("SELECT indicator_code, sheet, cell, value FROM raw.submission_values WHERE value IS NOT NULL "
                   "ORDER BY indicator_code")
    assert landed == [
        ("drinking_water_sources_evaluated", "月调度", f"G{monthly['drinking_water_sources_evaluated']}", 4.0),
        ("drinking_water_sources_meeting_iii", "月调度", f"G{monthly['drinking_water_sources_meeting_iii']}", 4.0),
        ("rural_sewage_treatment_rate", ANNUAL, f"G{sewage}", 38.5)]
    text = body(mails(smtp_sink)[-1])
    assert f"农村生活污水治理率：38.5%（年度指标表G{sewage}单元格）" in text
    assert f"（月调度表G{monthly['drinking_water_sources_evaluated']}单元格）" in text
    assert "本次未填报" not in text                       # the annual rows left blank in March are not gaps
    assert "2025年3月到期应报送的指标已全部报送" in text
    assert_reads_chinese(text.replace("生态环境局3月.xlsx", ""), "receipt, two sheets")


def test_a_wrong_cell_on_the_annual_sheet_is_named_with_its_sheet(home: Path, smtp_sink) -> None:
    wb = openpyxl.load_workbook(template(home, STHJJ))
    sewage = rows_of(wb[ANNUAL])["rural_sewage_treatment_rate"]
    wb[ANNUAL][f"G{sewage}"] = 138.5
    wb["月调度"][f"G{rows_of(wb['月调度'])['drinking_water_sources_evaluated']}"] = 4
    wb.save(settings.load().inbox_dir / "sthjj.xlsx")
    [outcome] = process()
    assert not outcome.accepted
    assert query("SELECT column_name, rule FROM quarantine.row_issues WHERE severity = 'error'") == [
        (f"{ANNUAL}!G{sewage}", "submission.range")]
    text = body(mails(smtp_sink)[-1])
    assert f"农村生活污水治理率：年度指标表G{sewage}单元格（第{sewage}行）填报“138.5”，取值应在0—100之间" in text
    assert_reads_chinese(text.replace("sthjj.xlsx", ""), "rejection, annual sheet")


def test_december_asks_the_annual_indicators_and_marks_them_annual(home: Path, smtp_sink) -> None:
    december = "2025-12"
    assert ecoflow(["templates", "--period", december, "--department", STHJJ, "--out", str(home / "dec")]) == 0
    wb = openpyxl.load_workbook(home / "dec" / f"{STHJJ}_{december}.xlsx")
    assert "本月须填报2025年全年数" in wb[ANNUAL]["B5"].value
    monthly = rows_of(wb["月调度"])
    for code in monthly:
        wb["月调度"][f"G{monthly[code]}"] = 4
    wb.save(settings.load().inbox_dir / "sthjj-12.xlsx")
    [outcome] = process()
    assert outcome.accepted, outcome.reason
    text = body(mails(smtp_sink)[-1])
    owed = text[text.index("尚需报送"):text.index("收件编号")]
    assert "请于2026年1月10日前报送" in owed and "农村生活污水治理率（年度指标，填报全年数）" in owed
    assert "以下" in text and "本次未填报" in text       # December: the annual blanks are gaps, and said so


def test_a_file_made_from_the_old_template_is_read_and_receipted_with_a_warning(home: Path, smtp_sink) -> None:
    """Decided: a workbook of template version 1 (every indicator in 月调度, annual ones marked 年度 in its rows)
    sent before the new template reached the department is read exactly as before — the same checks — and
    accepted; its receipt asks for this month's template next time."""
    wb = openpyxl.load_workbook(template(home))
    wb[ANNUAL].title = "月调度"
    meta = wb["_meta"]
    for r in range(1, meta.max_row + 1):
        key = meta[f"A{r}"].value
        if key == "template_version":
            meta[f"B{r}"] = "ecoflow-submission/1"
        elif key == "data_sheet":
            meta[f"B{r}"] = "月调度"
        elif key == "annual_row":
            meta[f"A{r}"] = "row"
    wb["月调度"][forest_cell()] = 36.4
    wb.save(settings.load().inbox_dir / "旧模板.xlsx")
    [outcome] = process()
    assert outcome.accepted, outcome.reason
    assert query("SELECT sheet, cell, value FROM raw.submission_values WHERE value IS NOT NULL") == [
        ("月调度", forest_cell(), 36.4)]
    text = body(mails(smtp_sink)[-1])
    assert "已接收" in mails(smtp_sink)[-1]["Subject"] and "林草覆盖率" in text
    assert "请注意：" in text and "模板版本已过期，请使用本月下发的模板" in text
    assert_reads_chinese(text.replace("旧模板.xlsx", ""), "receipt, old template")


def test_ecoflow_inbox_evaluates_alerts_and_writes_the_bulletin_as_the_recomputation_does(
        home: Path, smtp_sink: SmtpSink, capsys: pytest.CaptureFixture[str]) -> None:
    """`ecoflow inbox` takes the tail indicators_recompute takes when the submissions Asset names a month: the
    month evaluated, the alert rules applied (a delivery: only new 进度预警, no monthly digest), its bulletin and
    月报 written. A pass whose only file was sent back changed nothing and refreshes nothing."""
    bulletin = settings.load().home / "reports" / "bulletin" / f"{PERIOD}.html"
    drop_csv("退回.csv", [f"{ZJJ},{PERIOD},urban_sewage_treatment_rate,城市生活污水集中收集率,%,abc,"])
    assert ecoflow(["inbox", "--settle", "0"]) == 0
    out = capsys.readouterr().out
    assert "REJECTED" in out and "evaluated:" not in out and not bulletin.exists()
    assert query("SELECT count(*) FROM marts.indicator_status WHERE period = ?", [PERIOD]) == [(0,)]

    fill(home, "林草局.xlsx", 36.4)
    assert ecoflow(["inbox", "--settle", "0"]) == 0
    out = capsys.readouterr().out
    assert "accepted  林草局.xlsx" in out and f"evaluated: {PERIOD}" in out
    assert f"report written: {bulletin}" in out and bulletin.exists()
    assert "林草覆盖率" in bulletin.read_text(encoding="utf-8")
    assert query("SELECT status FROM marts.indicator_status WHERE period = ? AND region_code = '150100' "
                 "AND indicator_code = 'forest_grass_coverage' AND variant = 'raw'", [PERIOD]) == [("达标",)]
    # the alert rules ran for the month (the ledger holds its submissions owed), but nothing was dispatched
    assert query("SELECT count(*) FROM alerts.ledger WHERE period = ?", [PERIOD])[0][0] > 0
    subjects = [m["Subject"] for m in mails(smtp_sink)]
    assert len(subjects) == 2 and all(s.startswith(("【月调度回执】", "【月调度退回】")) for s in subjects), subjects
