"""In headless Chromium against `judging serve`: the expert's record arrives on the expert's page by
htmx and takes a note; the organizer draws a panel at random and the auditor confirms it."""

from __future__ import annotations

from browser import screenshot
from integrity.factories import PASSWORD, give_a_history, make_site, read
from sqlalchemy import func, select

from judging.panels.models import Assignment
from judging.panels.pool_models import DrawStatus, ExpertDraw


def log_in(page, base: str, role: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", f"site-{role}")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/{role}")


def test_the_record_loads_on_the_experts_page_and_a_panel_is_drawn_then_confirmed(served, browser, db_url, db,
                                                                                 tmp_path):
    site = make_site(db)
    expert_id = give_a_history(db, site)
    with served(db_url, tmp_path) as base, browser.launched() as chromium:
        organizer = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
        log_in(organizer, base, "organizer")
        organizer.goto(f"{base}/organizer/panels/experts/{expert_id}")
        record = organizer.locator("#expert-record")
        record.wait_for()  # swapped in by htmx after the page loaded
        assert organizer.locator("#record-timeliness").inner_text() == "75%"
        assert organizer.locator("#record-conflicts").inner_text() == "1"
        assert organizer.locator("#record-runs tbody tr").count() == 1
        organizer.fill("#note-form textarea[name=text]", "终评会上发言简洁，意见中肯。")
        organizer.click("#note-form button[type=submit]")
        organizer.wait_for_url("**notice=saved")
        organizer.locator("#record-notes").wait_for()
        assert "终评会上发言简洁，意见中肯。" in organizer.locator("#record-notes").inner_text()
        screenshot(organizer, "integrity-expert-record")

        organizer.goto(f"{base}/organizer/panels/rounds/{site['round']}/categories/{site['category']}")
        organizer.click("#draw-link")
        organizer.wait_for_url(f"**{site['page']}")
        organizer.fill("#draw-form textarea[name=spec]", "机械:2\n电气:1")
        organizer.click("#draw-button")
        organizer.wait_for_selector("#draws [data-status=pending]")
        assert organizer.locator("#draws [data-status=pending] .drawn").count() == 2
        assert organizer.locator("button:has-text('确认')").count() == 0
        screenshot(organizer, "integrity-draw-organizer")

        auditor = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
        log_in(auditor, base, "auditor")
        auditor.goto(base + site["page"])
        assert auditor.locator("#draw-form").count() == 0
        auditor.locator("#draws [data-status=pending] button[type=submit]").click()
        auditor.wait_for_selector("#draws [data-status=confirmed]")
        assert "监督员李强" in auditor.locator("#draws [data-status=confirmed]").inner_text()
        screenshot(auditor, "integrity-draw-auditor")
    draw = read(db, lambda s: s.execute(select(ExpertDraw.status, ExpertDraw.drawn)).one())
    assert draw.status is DrawStatus.CONFIRMED
    drawn = {e for ids in draw.drawn.values() for e in ids}
    pairs = read(db, lambda s: s.execute(select(Assignment.expert_id, func.count()).where(
        Assignment.round_id == site["round"], Assignment.withdrawn_at.is_(None)).group_by(Assignment.expert_id)).all())
    assert dict(pairs) == dict.fromkeys(drawn, 4)
