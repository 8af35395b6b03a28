"""Real pages in headless Chromium against `judging serve`: the judge's and auditor's first steps."""

from __future__ import annotations

from browser import screenshot
from judging.demo import DEMO_PASSWORDS


def _log_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_judge_logs_in_sees_the_queue_and_logs_out(served, browser, db_url, demo, tmp_path):
    with served(db_url, tmp_path) as base, browser.page() as page:
        page.goto(base + "/")
        assert page.url.endswith("/login")
        screenshot(page, "login")
        _log_in(page, base, "judge01", DEMO_PASSWORDS["judge"])
        page.wait_for_url("**/judge")
        assert page.locator("h1").inner_text() == "我的评审任务"
        assert page.locator("#queue tbody tr").count() > 5
        screenshot(page, "judge-home")
        page.click("text=退出")
        page.wait_for_url("**/login")
        page.goto(base + "/judge")
        assert page.url.split("?")[0].endswith("/login")


def test_auditor_verify_button_reports_a_valid_chain(served, browser, db_url, demo, tmp_path):
    with served(db_url, tmp_path) as base, browser.page() as page:
        _log_in(page, base, "auditor", DEMO_PASSWORDS["auditor"])
        page.wait_for_url("**/auditor")
        page.click("#verify-button")
        result = page.locator("#verification-result")
        result.wait_for()
        assert "审计链完整" in result.inner_text()
        assert page.url.endswith("/auditor")  # htmx swapped the fragment in place
        screenshot(page, "auditor-home")
