"""A steward in the real Airflow UI, in Debian's Chromium driven by Playwright: log in, open the waiting review,
open its check report (数据校验结果, served by the ecoflow plugin inside Airflow), approve. The browser may reach
nothing but loopback, as on a bureau's intranet: the report must still be styled, show each row's status and filter.
The screenshots it takes are the ones in docs/steward-guide.md (`make screenshots` writes them there; otherwise they
go to the test's folder)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from demo.airflow_stack import USERS
from tasks.review.policy import LABELS
from tests.review.conftest import AIR_DAG, Stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def intranet_only(route, request) -> None:  # noqa: ANN001 - Playwright's Route and Request
    """Abort every request that leaves the machine (CDNs included), as a bureau's intranet would."""
    if urlparse(request.url).hostname in LOOPBACK or request.url.startswith(("data:", "about:")):
        route.continue_()
    else:
        blocked.append(request.url)
        route.abort()


blocked: list[str] = []


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ECOFLOW_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_steward_logs_in_opens_the_report_and_approves(stack: Stack, shots: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is not installed (.ci/run installs it)"
    names = stack.air.publish("2019-01", negative_pm25_hours=2)
    run_id = stack.airflow.trigger(AIR_DAG, {"period": "2019-01"}, "review-in-the-browser")
    waiting = stack.pending_review(AIR_DAG, run_id)
    [report] = re.findall(r"\((https?://[^)]+/ecoflow/reports/air/2019-01/check/[^)]+\.html)\)", waiting["body"])
    assert report.startswith(stack.airflow.url)   # served by the Airflow API server itself
    # the plugin checks the user itself: without a login the report is not served
    assert requests.get(report, timeout=30).status_code == 401

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        context.route("**/*", intranet_only)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{stack.airflow.url}/")
        page.locator("input").first.fill("li.na")
        page.locator("input[type=password]").fill(USERS["li.na"][1])
        page.screenshot(path=str(shots / "01-login.png"))
        page.locator("input[type=password]").press("Enter")
        page.wait_for_url(re.compile(r"^(?!.*/auth/login).*$"))

        page.goto(f"{stack.airflow.url}/dags/{AIR_DAG}/runs/{run_id}/tasks/review/required_actions")
        expect(page.get_by_text(names[0]).first).to_be_visible()
        expect(page.get_by_role("button", name=LABELS["accept_clean"])).to_be_visible()
        page.screenshot(path=str(shots / "02-review.png"), full_page=True)

        link = page.locator("a[href*='/ecoflow/reports/air/2019-01/check/']").first
        with page.context.expect_page() as opened:
            link.click(modifiers=["ControlOrMeta"])
        report_page = opened.value
        report_page.wait_for_load_state()
        assert "/ecoflow/reports/air/2019-01/check/" in report_page.url
        # styled with no network: the status badge has its colour, the table its borders
        badge = report_page.locator("#findings tbody tr .status.error").first
        expect(badge).to_have_text("错误")
        assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(179, 38, 30)"
        assert report_page.locator("#findings th").first.evaluate("e => getComputedStyle(e).borderTopStyle") == \
            "solid"
        listed = report_page.locator('#findings tbody tr[data-rule="浓度不应为负值"]').count()
        assert listed > 0
        expect(report_page.get_by_text("浓度不应为负值").first).to_be_visible()
        # the filter works: text that matches nothing hides every row, the rule shows its rows again
        report_page.locator("#text-filter").fill("没有这一行")
        expect(report_page.locator("#shown")).to_have_text("显示 0 条")
        assert report_page.locator("#findings tbody tr:visible").count() == 0
        report_page.locator("#text-filter").fill("")
        report_page.locator("#rule-filter").select_option(value="浓度不应为负值")
        expect(report_page.locator("#shown")).to_have_text(f"显示 {listed} 条")
        assert report_page.locator("#findings tbody tr:visible").count() == listed
        report_page.screenshot(path=str(shots / "03-report.png"))
        report_page.close()

        page.get_by_role("button", name=LABELS["accept_clean"]).click()
        page.wait_for_timeout(2000)
        page.screenshot(path=str(shots / "04-decided.png"), full_page=True)
        browser.close()

    assert stack.airflow.wait_for_run(AIR_DAG, run_id) == "success"
    assert all(urlparse(u).hostname not in LOOPBACK for u in blocked)   # only the outside world was refused
    [decision] = stack.query("SELECT option, decided_by, via, rows_overridden FROM review.decisions "
                             "WHERE period = '2019-01'")
    assert decision == ("accept_clean", "li.na", "airflow", 0)
    assert failing_rows(stack) == listed    # every failing row is in the report, once
    assert stack.query("SELECT count(*) FROM raw.cnemc_air_hourly WHERE period = '2019-01' AND value < 0") == [(0,)]


def failing_rows(stack: Stack) -> int:
    """The error findings of the review's month (the check report lists each of them once)."""
    return stack.query("SELECT count(*) FROM quarantine.row_issues WHERE period = '2019-01' AND "
                       "rule = 'air.value_non_negative'")[0][0]
