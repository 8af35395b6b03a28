"""A member votes on a phone-sized screen in headless Chromium; the organizer then closes and tallies."""

from __future__ import annotations

from playwright.sync_api import expect

from browser import screenshot
from judging.demo import DEMO_PASSWORDS
from judging.meetings import service
from judging.meetings.models import Meeting, MeetingStatus
from tests.meetings.factories import demo_meeting, roll_call
from tests.results.factories import ORGANIZER


def _login(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_a_member_votes_on_a_phone_and_the_organizer_tallies(served, browser, db_url, demo, session_factory, tmp_path):
    with session_factory() as db:
        made = demo_meeting(db, top_m=4)
        roll_call(db, made["meeting"], 8)
        service.open_voting(db, meeting=made["meeting"], by=ORGANIZER)
        db.commit()
        meeting_id = made["meeting"].id
        nominations = [row.nomination_id for row in made["meeting"].shortlist]
    backend = "pg" if db_url.startswith("postgresql") else "sqlite"
    with served(db_url, tmp_path) as base:
        with browser.page(width=390, height=844) as page:
            _login(page, base, "judge02", DEMO_PASSWORDS["judge"])
            page.click("nav.sections >> text=会议评审")
            page.click(f"a[href='/judge/meetings/{meeting_id}']")
            assert page.locator("fieldset.ballot-item").count() == 4
            choices = ["agree", "agree", "disagree", "abstain"]
            for nomination_id, choice in zip(nominations, choices):
                page.check(f"input[name=n{nomination_id}][value={choice}]")
            # Every choice is reachable without scrolling sideways on a phone.
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            screenshot(page, f"meetings-ballot-phone-{backend}")
            page.click("button:has-text('核对表决票')")
            expect(page.locator("text=请核对您的选择")).to_be_visible()  # waits for the review page
            assert page.locator(".ballot-review").all_inner_texts() == ["同意", "同意", "不同意", "弃权"]
            screenshot(page, f"meetings-ballot-review-phone-{backend}")
            page.click("button:has-text('投出表决票')")
            expect(page.locator("text=您的表决票已投出")).to_be_visible()  # waits for the page after the POST
            assert page.locator("input[type=radio]").count() == 0
            screenshot(page, f"meetings-ballot-cast-phone-{backend}")
        with browser.page() as page:
            _login(page, base, "organizer", DEMO_PASSWORDS["organizer"])
            page.goto(f"{base}/meetings/{meeting_id}")
            assert "9 个席位中已投票 1 人" in page.inner_text("#members")
            screenshot(page, f"meetings-organizer-voting-{backend}")
            page.click("button:has-text('结束表决')")
            page.click("button:has-text('计票')")
            expect(page.locator("#tally")).to_be_visible()
            screenshot(page, f"meetings-organizer-tallied-{backend}")
    with session_factory() as db:
        meeting = db.get(Meeting, meeting_id)
        assert meeting.status is MeetingStatus.TALLIED
        assert [(r.agree, r.disagree, r.abstain) for r in meeting.shortlist] == [(1, 0, 0), (1, 0, 0), (0, 1, 0),
                                                                                  (0, 0, 1)]
        assert not any(r.passed for r in meeting.shortlist)
