"""A member votes on a phone-sized screen in headless Chromium and keeps the receipt; the organizer closes
and tallies with the two share codes typed in; the member then finds the receipt on the published list."""

from __future__ import annotations

import re

import pytest
from browser import screenshot
from playwright.sync_api import expect

from judging.accounts.models import User
from judging.demo import DEMO_PASSWORDS
from judging.meetings import service
from judging.meetings.models import Meeting, MeetingStatus
from tests.meetings.factories import demo_meeting, make_shares, roll_call
from tests.results.factories import ORGANIZER


def _login(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


@pytest.mark.backend_sensitive  # the encrypted ballot's path, end to end, on each backend
def test_a_member_votes_on_a_phone_keeps_the_receipt_and_finds_it_after_the_tally(served, browser, db_url, demo,
                                                                                 session_factory, tmp_path):
    with session_factory() as db:
        made = demo_meeting(db, top_m=4)
        roll_call(db, made["meeting"], 8)
        codes = make_shares(db, made["meeting"], auditor_username="auditor")
        service.open_voting(db, meeting=made["meeting"], by=ORGANIZER)
        db.commit()
        meeting_id = made["meeting"].id
        handles = [row.handle for row in service.slot_rows(made["meeting"])]
        others = [e.user_id for e in made["experts"][2:8]] + [made["experts"][0].user_id]
    backend = "pg" if db_url.startswith("postgresql") else "sqlite"
    with served(db_url, tmp_path) as base:
        with browser.page(width=390, height=844) as page:
            _login(page, base, "judge02", DEMO_PASSWORDS["judge"])
            page.click("nav.sections >> text=会议评审")
            page.click(f"a[href='/judge/meetings/{meeting_id}']")
            assert page.locator("fieldset.ballot-item").count() == 4
            expect(page.locator("#ballot-limits")).to_contain_text("全体委员对某项目作出相同选择")
            for handle, choice in zip(handles, ["agree", "agree", "disagree", "abstain"]):
                page.check(f"input[name=c_{handle}][value={choice}]")
            # Every choice is reachable without scrolling sideways on a phone.
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            screenshot(page, f"meetings-ballot-phone-{backend}")
            page.click("button:has-text('核对表决票')")
            expect(page.locator("text=请核对您的选择")).to_be_visible()
            assert page.locator(".ballot-review").all_inner_texts() == ["同意", "同意", "不同意", "弃权"]
            page.click("button:has-text('投出表决票')")
            expect(page.locator("#receipt")).to_be_visible()  # waits for the page after the POST
            receipt = page.inner_text(".receipt-code").strip()
            assert re.fullmatch(r"[0-9a-f]{64}", receipt)
            assert page.locator("input[type=radio]").count() == 0
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            screenshot(page, f"meetings-ballot-receipt-phone-{backend}")
        with session_factory() as db:  # the other members present vote on their own devices
            meeting = db.get(Meeting, meeting_id)
            for index, user_id in enumerate(others):
                service.cast_ballot(db, meeting=meeting, user=db.get(User, user_id),
                                    choices={h: "agree" if index % 2 else "disagree" for h in handles})
            db.commit()
        with browser.page() as page:
            _login(page, base, "organizer", DEMO_PASSWORDS["organizer"])
            page.goto(f"{base}/meetings/{meeting_id}")
            assert "9 个席位中已投票 8 人" in page.inner_text("#members")
            page.click("button:has-text('结束表决')")
            expect(page.locator("#confirm-consequence")).to_be_visible()  # irreversible: confirm first
            page.click("#confirm-yes")
            page.fill("input[name=chair_share]", codes["chair_share"])
            page.fill("input[name=auditor_share]", codes["auditor_share"])
            page.click("#tally-form button:has-text('计票')")
            expect(page.locator("#tally")).to_be_visible()
            expect(page.locator("#ballot-key")).to_contain_text("已验证")
            screenshot(page, f"meetings-organizer-tallied-{backend}")
        with browser.page(width=390, height=844) as page:
            _login(page, base, "judge02", DEMO_PASSWORDS["judge"])
            page.goto(f"{base}/judge/meetings/{meeting_id}")
            page.fill("input[name=receipt]", receipt)
            page.click("#receipt-check button:has-text('核对')")
            expect(page.locator("#receipt-check")).to_contain_text("您的回执在名单中")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            screenshot(page, f"meetings-receipt-checked-phone-{backend}")
    with session_factory() as db:
        meeting = db.get(Meeting, meeting_id)
        assert meeting.status is MeetingStatus.TALLIED
        # judge02's ballot and the seven others: every member present counted on every nomination.
        assert [r.agree + r.disagree + r.abstain for r in service.slot_rows(meeting)] == [8, 8, 8, 8]
        assert receipt in service.published_receipts(db, meeting)
