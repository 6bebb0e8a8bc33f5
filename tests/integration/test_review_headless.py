"""Steward review without a scheduler: `ecoflow run … --review POLICY`, a review held in the warehouse and decided
with `ecoflow review decide`, corrections with `ecoflow review fix`, and the decision log in `ecoflow status`.

Two real days of January 2019 (the rest of the month not published); the first day's PM2.5 of the first hours is
made negative (rows failing `air.value_non_negative`, under the stop threshold).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from demo.feed_server import FeedServer
from tasks.cli import commands as cli
from tasks.core import settings

JAN = "2019-01"
D1 = "china_sites_20190101.csv"
BAD_HOURS = 2


def query(sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.load().warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _negate_pm25(path: Path, hours: int) -> list[str]:
    """Make the first hours' PM2.5 negative; returns the original lines so a test can write a correction."""
    lines = path.read_bytes().decode().split("\r\n")
    originals = []
    for i, line in enumerate(lines):
        parts = line.split(",")
        if len(parts) > 3 and parts[2] == "PM2.5" and parts[1].isdigit() and int(parts[1]) < hours:
            originals.append(line)
            lines[i] = ",".join(parts[:3] + [f"-{v}" if v else v for v in parts[3:]])
    path.write_bytes("\r\n".join(lines).encode())
    return originals


@pytest.fixture
def bad_feed(eco_env: Path, air_files: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    originals = _negate_pm25(air_files / D1, BAD_HOURS)
    server = FeedServer(air_files, last_day=date(2019, 1, 2)).start()
    monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", server.url)
    yield [air_files.joinpath(D1).read_bytes().decode().split("\r\n")[0], *originals]
    server.stop()


def ecoflow(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _failing() -> int:
    return query("SELECT count(*) FROM quarantine.row_issues WHERE period = ? AND rule = 'air.value_non_negative'",
                 [JAN])[0][0]


def test_a_held_review_waits_in_the_warehouse_until_a_steward_decides(bad_feed, capsys, smtp_sink) -> None:
    code, out, _ = ecoflow(capsys, "run", "air", "--period", JAN, "--review", "hold")
    assert code == 0 and "WAITING FOR REVIEW" in out
    assert query("SELECT count(*) FROM raw.cnemc_air_hourly") == [(0,)]   # nothing landed yet
    assert query("SELECT count(*) FROM marts.indicator_values WHERE period = ?", [JAN]) == [(0,)]
    [(review_id,)] = query("SELECT review_id FROM review.reviews WHERE state = 'pending'")

    code, out, _ = ecoflow(capsys, "review", "list")
    assert code == 0 and review_id in out and "held in the warehouse" in out and f"{_failing()} of" in out
    code, out, _ = ecoflow(capsys, "review", "show", review_id)
    # the rule in words (messages.RULES_ZH), not its id: the id stays in `--json` and the logs
    assert code == 0 and "浓度不应为负值" in out and D1 in out and "接受（剔除不合格行）" in out
    assert "air.value_non_negative" not in out.split("batches with failing rows")[0]
    code, _, err = ecoflow(capsys, "review", "decide", review_id, "--accept-all")
    assert code != 0 and "reason" in err
    assert query("SELECT count(*) FROM review.decisions") == [(0,)]

    code, out, _ = ecoflow(capsys, "review", "decide", review_id, "--accept-clean", "--steward", "li.na")
    assert code == 0, out
    rows_in = query("SELECT rows_in FROM review.reviews WHERE review_id = ?", [review_id])[0][0]
    landed = query("SELECT count(*) FROM raw.cnemc_air_hourly")[0][0]
    assert landed == rows_in - _failing() and _failing() > 0
    assert query("SELECT min(value) >= 0 FROM raw.cnemc_air_hourly") == [(True,)]
    assert query("SELECT count(*) > 0 FROM marts.indicator_values WHERE period = ?", [JAN]) == [(True,)]
    assert query("SELECT option, decided_by, via, rows_landed, rows_quarantined FROM review.decisions") == \
        [("accept_clean", "li.na", "cli", landed, _failing())]
    code, out, _ = ecoflow(capsys, "status", "--period", JAN)
    assert "accept_clean  by li.na (cli)" in out and f"已入库 {landed} 行" in out
    code, _, err = ecoflow(capsys, "review", "decide", review_id, "--reject", "--reason", "again")
    assert code != 0 and "already decided" in err


def test_a_policy_of_accept_all_lands_everything_and_marks_the_values(bad_feed, capsys) -> None:
    code, out, err = ecoflow(capsys, "run", "air", "--period", JAN, "--review", "accept-all", "--reason", "已核实")
    assert code == 0, err
    assert query("SELECT count(*) FROM raw.cnemc_air_hourly WHERE value < 0")[0][0] == _failing() > 0
    [(batch,)] = query("SELECT DISTINCT batch_id FROM raw.cnemc_air_hourly WHERE file_name = ?", [D1])
    marked = query("SELECT DISTINCT indicator_code, overridden_batch_ids FROM marts.indicator_values "
                   "WHERE period = ? AND overridden_batch_ids IS NOT NULL ORDER BY ALL", [JAN])
    assert {m[0] for m in marked} >= {"air_pm25_mean"} and all(m[1] == [batch] for m in marked)
    assert query("SELECT option, decided_by, via, reason FROM review.decisions") == \
        [("accept_all", "policy:accept-all", "policy", "已核实")]


def test_a_rejection_by_policy_tells_the_provider_and_lands_nothing(bad_feed, capsys, smtp_sink) -> None:
    code, out, err = ecoflow(capsys, "run", "air", "--period", JAN, "--review", "reject", "--reason", "请核实负值")
    assert code == 0, err
    assert query("SELECT count(*) FROM raw.cnemc_air_hourly") == [(0,)]
    [mail] = smtp_sink.wait_for(1)
    assert mail.rcpt_tos == ["feed-air@cnemc.example.cn"] and "2019-01" in mail.subject
    assert "请核实负值" in mail.message.get_body(("plain",)).get_content()


def test_corrected_rows_land_over_the_quarantined_ones_and_the_month_is_recomputed(bad_feed, capsys,
                                                                                     tmp_path) -> None:
    header, *originals = bad_feed
    assert ecoflow(capsys, "run", "air", "--period", JAN)[0] == 0   # safe policy: the rows that pass land
    [(batch,)] = query("SELECT DISTINCT batch_id FROM quarantine.row_issues WHERE rule = 'air.value_non_negative'")
    pm25_before = query("SELECT value FROM marts.indicator_values WHERE period = ? AND region_code = '150100' AND "
                        "indicator_code = 'air_pm25_mean' AND period_type = 'month'", [JAN])
    landed_before = query("SELECT count(*) FROM raw.cnemc_air_hourly")[0][0]

    still_bad = tmp_path / "still_bad.csv"
    still_bad.write_text("\r\n".join([header, originals[0].replace(",PM2.5,", ",PM2.5,-")]) + "\r\n")
    code, _, err = ecoflow(capsys, "review", "fix", batch, "--file", str(still_bad), "--steward", "zhou.jie")
    assert code != 0 and "fails validation itself" in err and "air.value_non_negative" in err
    code, _, err = ecoflow(capsys, "review", "fix", batch, "--file", str(still_bad), "--steward", "wang.qiang")
    assert code != 0 and "wang.qiang is not a steward of air" in err
    assert query("SELECT count(*) FROM raw.cnemc_air_hourly")[0][0] == landed_before

    corrected = tmp_path / "corrected.csv"
    corrected.write_text("\r\n".join([header, *originals]) + "\r\n")
    code, out, err = ecoflow(capsys, "review", "fix", batch, "--file", str(corrected), "--steward", "li.na",
                             "--reason", "总站重发")
    assert code == 0, err
    fixed = query("SELECT count(*) FROM quarantine.row_issues WHERE batch_id = ? AND rule = "
                  "'air.value_non_negative'", [batch])[0][0]
    assert query("SELECT count(*) FROM raw.cnemc_air_hourly")[0][0] == landed_before + fixed
    assert query("SELECT count(*) FROM raw.cnemc_air_hourly WHERE value < 0") == [(0,)]
    [log] = query("SELECT option, decided_by, correction_of, reason, rows_landed FROM review.decisions "
                  "WHERE option = 'correction'")
    assert log == ("correction", "li.na", batch, "总站重发", fixed)
    assert query("SELECT count(*) FROM quarantine.row_issues WHERE batch_id = ?", [batch])[0][0] >= fixed  # kept
    pm25_after = query("SELECT value FROM marts.indicator_values WHERE period = ? AND region_code = '150100' AND "
                       "indicator_code = 'air_pm25_mean' AND period_type = 'month'", [JAN])
    assert pm25_after != pm25_before   # recomputed with the corrected hours
    assert query("SELECT count(*) > 0 FROM marts.indicator_value_history WHERE period = ?", [JAN]) == [(True,)]


def test_only_a_steward_of_the_source_decides_a_held_review(bad_feed, capsys) -> None:
    assert ecoflow(capsys, "run", "air", "--period", JAN, "--review", "hold")[0] == 0
    [(review_id,)] = query("SELECT review_id FROM review.reviews WHERE state = 'pending'")
    code, _, err = ecoflow(capsys, "review", "decide", review_id, "--accept-clean", "--steward", "wang.qiang")
    assert code != 0 and "wang.qiang is not a steward of air" in err   # a waste steward
    assert query("SELECT count(*) FROM raw.cnemc_air_hourly") == [(0,)]
    assert query("SELECT state FROM review.reviews") == [("pending",)]


def test_a_newer_delivery_supersedes_a_waiting_review(bad_feed, capsys, air_files: Path) -> None:
    assert ecoflow(capsys, "run", "air", "--period", JAN, "--review", "hold")[0] == 0
    [(old,)] = query("SELECT review_id FROM review.reviews WHERE state = 'pending'")
    # the provider publishes the day again, fixed; the new run lands it without waiting
    text = air_files.joinpath(D1).read_bytes().decode()
    header, *originals = bad_feed
    for line in originals:
        parts = line.split(",")
        text = text.replace(",".join(parts[:3] + [f"-{v}" if v else v for v in parts[3:]]), line)
    air_files.joinpath(D1).write_bytes(text.encode())
    code, out, err = ecoflow(capsys, "run", "air", "--period", JAN)
    assert code == 0 and "WAITING" not in out, err
    landed = query("SELECT * FROM raw.cnemc_air_hourly ORDER BY ALL")
    assert query("SELECT state FROM review.reviews WHERE review_id = ?", [old]) == [("superseded",)]
    assert query("SELECT status FROM meta.runs WHERE run_id = ?", [old]) == [("superseded",)]
    code, _, err = ecoflow(capsys, "review", "decide", old, "--accept-all", "--reason", "late", "--steward", "li.na")
    assert code != 0 and "replaced by a newer delivery" in err
    assert query("SELECT * FROM raw.cnemc_air_hourly ORDER BY ALL") == landed   # the newer delivery stays


def test_accept_all_lands_the_failing_rows_it_can_and_counts_the_rest(eco_env, air_files, monkeypatch,
                                                                      capsys) -> None:
    _negate_pm25(air_files / D1, BAD_HOURS)
    lines = air_files.joinpath(D1).read_bytes().decode().split("\r\n")
    k = next(i for i, line in enumerate(lines) if line.split(",")[2:3] == ["SO2"])
    parts = lines[k].split(",")
    parts[3] = "n/a"   # a value that is no number: it cannot be landed by any decision
    lines[k] = ",".join(parts)
    air_files.joinpath(D1).write_bytes("\r\n".join(lines).encode())
    server = FeedServer(air_files, last_day=date(2019, 1, 2)).start()
    monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", server.url)
    try:
        code, _, err = ecoflow(capsys, "run", "air", "--period", JAN, "--review", "accept-all", "--reason", "核实")
    finally:
        server.stop()
    assert code == 0, err
    negatives = query("SELECT count(*) FROM raw.cnemc_air_hourly WHERE value < 0")[0][0]
    assert negatives == _failing() > 0
    assert query("SELECT count(*) FROM quarantine.row_issues WHERE rule = 'air.value_numeric'") == [(1,)]
    assert query("SELECT rows_overridden, rows_quarantined FROM review.decisions") == [(negatives, 1)]


def test_the_review_links_the_failing_files_report_first(eco_env, air_files, monkeypatch, capsys) -> None:
    import json

    _negate_pm25(air_files / "china_sites_20190102.csv", BAD_HOURS)   # the second of the two files
    server = FeedServer(air_files, last_day=date(2019, 1, 2)).start()
    monkeypatch.setenv("ECOFLOW_AIR_FEED_URL", server.url)
    try:
        assert ecoflow(capsys, "run", "air", "--period", JAN, "--review", "hold")[0] == 0
    finally:
        server.stop()
    [(review_id,)] = query("SELECT review_id FROM review.reviews")
    code, out, _ = ecoflow(capsys, "review", "show", review_id, "--json")
    shown = json.loads(out)
    assert [b["batch_id"] for b in shown["failing_batches"]] == \
        [b for b in shown["batch_ids"] if "20190102" in b]
    # the two days were validated together (ECOFLOW_VALIDATION_ROWS): one report holds both, its name says so
    [link] = shown["report_links"]
    assert "china_sites_20190101.csv" in link and "china_sites_20190102.csv" in link


def test_the_check_report_lists_every_failing_row_in_chinese_and_needs_no_network(bad_feed, capsys,
                                                                                   smtp_sink) -> None:
    """The steward's check report (tasks/validate/check_report.py): every failing row with file and the line number the
    email gives, the rule in words, inline styles and script only; the stewards' email is HTML + plain text."""
    import json
    import re

    from tasks.review import decisions as review
    from tasks.review import policy as review_policy
    from tests.unit.test_messages import assert_reads_chinese, visible

    assert ecoflow(capsys, "run", "air", "--period", JAN, "--review", "hold")[0] == 0
    [(review_id,)] = query("SELECT review_id FROM review.reviews")
    code, out, _ = ecoflow(capsys, "review", "show", review_id, "--json")
    shown = json.loads(out)
    assert shown["check_link"].endswith(".html") and "/check/" in shown["check_link"]
    page_path = settings.load().reports_dir / "gx" / "air" / JAN / "check" / shown["check_link"].rsplit("/", 1)[1]
    page = page_path.read_text(encoding="utf-8")
    lines = sorted(r[0] for r in query("SELECT source_line FROM quarantine.row_issues WHERE rule = "
                                       "'air.value_non_negative'"))
    rows = re.findall(r'<tr data-rule="浓度不应为负值"><td>([^<]+)</td><td class="num">(\d+)</td>', page)
    assert sorted(int(line) for _, line in rows) == lines and {f for f, _ in rows} == {D1}
    assert f"| {D1} | {lines[0]} |" in shown["body_markdown"]            # the same line the email gives
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", page)    # nothing to fetch
    assert "<link" not in page and "@import" not in page
    quoted = re.sub(r'<code class="line">.*?</code>', " ", page, flags=re.S)  # the lines as delivered are data
    assert_reads_chinese(visible(quoted), "check report")

    review.notify_stewards(settings.load(), review_policy.for_source("air"), review_id, shown["subject"],
                           shown["body_markdown"])
    [mail] = smtp_sink.wait_for(1)
    assert mail.message.get_content_type() == "multipart/alternative"
    html = mail.message.get_body(("html",)).get_content()
    assert "<table>" in html and "<th>规则</th>" in html and "浓度不应为负值" in html
    assert f'href="{shown["check_link"]}"' in html
    assert "| 规则 |" in mail.message.get_body(("plain",)).get_content()
