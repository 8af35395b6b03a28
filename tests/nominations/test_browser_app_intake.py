"""The intake in headless Chromium against `judging serve`: upload (a background job) -> report ->
review -> confirm; the quotas page; the judge's sheet with a renamed attachment. Screenshots in
test-artifacts/."""

from __future__ import annotations

from sqlalchemy import select

from browser import screenshot
from judging.demo import DEMO_PASSWORDS
from nominations.test_app_intake import attach, edition_in_formal_review
from nominations.test_import_service import ROW_METHOD, ROW_STEEL, csv_bytes, pdf_bytes, steel_archive


def _login(page, base, username, password):
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_organizer_imports_reviews_and_confirms(served, browser, db_url, demo, tmp_path, monkeypatch, session_factory):
    monkeypatch.setenv("JUDGING_JOBS_BACKEND", "sqlite")
    edition_in_formal_review(session_factory)
    table, archive = tmp_path / "南京推荐汇总表.csv", tmp_path / "附件.zip"
    table.write_bytes(csv_bytes([ROW_STEEL, ROW_METHOD]))
    archive.write_bytes(steel_archive())
    with served(db_url, tmp_path / "var") as base, browser.page(height=1000) as page:
        _login(page, base, "organizer", DEMO_PASSWORDS["organizer"])
        page.wait_for_url("**/organizer")
        page.click("nav.sections >> text=推荐项目")
        page.wait_for_url("**/organizer/nominations/")
        screenshot(page, "nominations-list")
        page.click("nav.subnav >> text=导入")
        page.set_input_files("input[name=table]", str(table))
        page.set_input_files("input[name=archive]", str(archive))
        screenshot(page, "nominations-import")
        page.click("#import-form button[type=submit]")
        page.wait_for_url("**/jobs/*")
        link = page.locator("text=查看结果")
        link.wait_for(timeout=60_000)
        link.click()
        page.wait_for_url("**/organizer/nominations/imports/*")
        assert page.locator("#count-created").inner_text() == "2"
        screenshot(page, "nominations-import-report")
        page.click("#import-flags a >> nth=0")
        page.wait_for_url("**/organizer/nominations/*")
        screenshot(page, "nominations-review")
        page.check("input[name=acknowledge]")
        page.click("#confirm-form button[type=submit]")
        page.wait_for_selector("text=已确认")
        # Formal review of 成果 is under way: a confirmed nomination is blinded only once it passes.
        assert "（编码生成后命名）" in page.locator("#attachment-list").inner_text()
        screenshot(page, "nominations-confirmed")
        page.goto(base + "/organizer/quotas/")
        assert page.locator("#quotas tbody tr").count() == 13
        screenshot(page, "quotas")


def test_judge_sees_the_renamed_attachment(served, browser, db_url, demo, tmp_path, session_factory):
    from judging.nominations.models import BlindCode
    from judging.panels.models import Assignment, Expert

    with session_factory() as s:
        me = s.scalar(select(Expert).where(Expert.email == "judge01@example.cn"))
        mine = s.scalar(select(Assignment).where(Assignment.expert_id == me.id).order_by(Assignment.id).limit(1))
        code = s.scalar(select(BlindCode.code).where(BlindCode.nomination_id == mine.nomination_id))
        assignment_id, nomination_id = mine.handle, mine.nomination_id
    attach(session_factory, tmp_path / "var", nomination_id, {"王建国申报书.pdf": pdf_bytes()})
    with served(db_url, tmp_path / "var") as base, browser.page(height=1000) as page:
        _login(page, base, "judge01", DEMO_PASSWORDS["judge"])
        page.goto(f"{base}/judge/sheets/{assignment_id}")
        assert page.locator(".attachments a").inner_text() == f"{code}-01.pdf"
        screenshot(page, "judge-sheet-attachment")
