"""In headless Chromium against `judging serve` with the demo: a citizen files an objection on the public
notice page (on a phone-sized screen) of a list on notice now, and the organizer finds it on the notices page.
(The demo's 2025 notices are over: that edition is approved and published.)"""

from __future__ import annotations

from sqlalchemy import select

from browser import screenshot
from judging.demo import DEMO_PASSWORDS
from judging.notices import service
from judging.notices.models import Objection, ObjectionStatus
from notices.factories import at_notice_stage
from results.factories import ORGANIZER


def test_an_objection_is_filed_on_the_public_page_and_reaches_the_organizer(served, browser, db_url, demo, tmp_path,
                                                                            session_factory):
    with session_factory() as session:
        world = at_notice_stage(session, year=2030)
        notice = service.publish_notice(session, category=world["category"], by=ORGANIZER)
        session.commit()
        notice_id, third = notice.id, notice.entries[2]
    with served(db_url, tmp_path) as base:
        with browser.page(width=390, height=844) as page:
            page.goto(base + "/public/notices/")
            page.click(f"a[href='/public/notices/{notice_id}']")
            page.wait_for_url(f"**/public/notices/{notice_id}")
            assert third.title in page.content()
            # An anonymous attempt first: refused with the reason, nothing kept.
            page.select_option("select[name=nomination_id]", str(third.nomination_id))
            page.fill("input[name=employer]", "无锡市热电有限公司")
            page.fill("input[name=phone]", "0510-85123456")
            page.fill("textarea[name=grounds]", "该项目的经济效益数据与企业年报不符，请核查。")
            page.evaluate("document.querySelector('input[name=name]').removeAttribute('required')")
            page.click("button[type=submit].primary")
            assert "异议须实名提出" in page.locator("[role=alert]").inner_text()
            screenshot(page, "notice-objection-refused-phone")
            page.fill("input[name=name]", "冯卫东")
            page.click("button[type=submit].primary")
            page.wait_for_url("**received=*")
            assert "您的异议已收到" in page.locator("[role=status]").inner_text()
            screenshot(page, "notice-objection-received-phone")
        with browser.page() as page:
            page.goto(base + "/login")
            page.fill("input[name=username]", "organizer")
            page.fill("input[name=password]", DEMO_PASSWORDS["organizer"])
            page.click("button[type=submit]")
            page.wait_for_url("**/organizer")
            page.click("text=公示与审定")
            page.wait_for_url("**/organizer/notices/")
            objections = page.locator("table.objections").first.inner_text()
            assert "冯卫东" in objections and "0510-85123456" in objections
            screenshot(page, "notice-organizer")
            page.goto(f"{base}/public/notices/{notice_id}")
            screenshot(page, "notice-public-desktop")
    with session_factory() as session:
        rows = session.scalars(select(Objection).where(Objection.notice_id == notice_id).order_by(Objection.id)).all()
        assert [(o.name, o.status) for o in rows] == [("冯卫东", ObjectionStatus.RECEIVED)]
