"""The organizer reviews nominations in headless Chromium against `judging serve`: a pass refused until
the checklist is ticked and the unmet item explained, a return for correction, the pipeline page.
Screenshots in test-artifacts/."""

from __future__ import annotations

from browser import screenshot
from judging.demo import DEMO_PASSWORDS
from judging.editions.models import Edition
from judging.formal_review import service
from tests.formal_review.test_pages import review  # noqa: F401  (the fixture)
from tests.nominations.test_import_service import ORGANIZER


def test_organizer_reviews_a_nomination(served, browser, db_url, review, session_factory, tmp_path):  # noqa: F811
    with session_factory() as session:
        service.set_checklist(session, edition=session.get(Edition, review["edition_id"]),
                              category_id=review["category_id"], by=ORGANIZER,
                              items=[{"kind": "quota"}, {"kind": "frontline"},
                                     {"kind": "manual", "label": "推荐表加盖市总工会公章"}])
        session.commit()
    first, second = review["ids"][:2]
    with served(db_url, tmp_path / "var") as base, browser.page(height=1000) as page:
        page.goto(base + "/login")
        page.fill("input[name=username]", "organizer")
        page.fill("input[name=password]", DEMO_PASSWORDS["organizer"])
        page.click("button[type=submit]")
        page.wait_for_url("**/organizer")
        screenshot(page, "organizer-home-stages")
        page.click("nav.sections >> text=形式审查")
        page.wait_for_url("**/organizer/formal-review/")
        screenshot(page, "formal-review-list")
        page.click(f"a[href='/organizer/formal-review/nominations/{first}']")
        page.wait_for_url(f"**/nominations/{first}")
        page.click("button[value=passed]")
        page.wait_for_selector("#formal-error")
        assert "有2个清单条目不符合" in page.locator("#formal-error").inner_text()
        screenshot(page, "formal-review-refused")
        page.check("input[name=tick]")
        page.fill("textarea[name=override_reason]", "推荐单位来函证明第一完成人为班组长")
        page.click("button[value=passed]")
        page.wait_for_selector("#formal-state >> text=通过")
        assert "推荐单位来函证明第一完成人为班组长" in page.locator("#decision-history").inner_text()
        screenshot(page, "formal-review-passed")

        page.goto(f"{base}/organizer/formal-review/nominations/{second}")
        page.fill("textarea[name=reasons]", "请补充第一完成人岗位证明和经济效益证明")
        page.click("button[value=returned]")
        page.wait_for_selector("#formal-state >> text=退回补正")
        screenshot(page, "formal-review-returned")

        page.goto(f"{base}/organizer/editions/{review['edition_id']}/stages")
        assert "1项退回的申报仍在补正期限内" in page.locator(".blockers").first.inner_text()
        # The stage cannot close while its work is pending: its button is disabled and says why.
        blocked = page.locator("tr[data-stage=formal_review] .refused-action")
        assert blocked.locator("button").is_disabled()
        assert "1项退回的申报仍在补正期限内" in blocked.inner_text()
        screenshot(page, "stages-blocked")
