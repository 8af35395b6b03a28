"""A city account in headless Chromium against `judging serve`: it submits within its quota, is refused beyond
it with the figures, receives a return from formal review and resubmits the correction. Screenshots in
test-artifacts/."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from browser import screenshot
from judging.accounts import add_user
from judging.accounts.models import Role
from judging.cities.models import CityEntry
from judging.editions.models import Edition
from judging.formal_review import service as formal_review
from judging.formal_review.models import Outcome
from judging.nominations import service as intake
from judging.stages.models import StageKind
from judging.stages.service import close_stage, open_stage
from tests.cities.factories import PASSWORD, make_world, pdf_bytes, steel_form
from tests.nominations.test_import_service import ORGANIZER


def _fill(page, form: dict[str, str]) -> None:
    for name, value in form.items():
        if name in ("frontline", "name_after_creator"):
            page.check(f"input[name={name}][value={value}]")
        elif name in ("summary", "body"):
            page.fill(f"textarea[name={name}]", value)
        else:
            page.fill(f"input[name={name}]", value)


def test_a_city_submits_within_its_quota_is_refused_beyond_it_and_corrects_a_return(
        served, browser, db_url, session_factory, tmp_path):
    with session_factory() as session:
        made = make_world(session, quota_total=2)  # 南京's quota in 成果: 1
        add_user(session, username="office", password=PASSWORD, role=Role.ORGANIZER, by=ORGANIZER)
        session.commit()
        edition_id, category_id = made["edition"].id, made["category"].id
    pdf = tmp_path / "申报书.pdf"
    pdf.write_bytes(pdf_bytes())
    with served(db_url, tmp_path / "var") as base, browser.page(height=1100) as page:
        page.goto(base + "/login")
        page.fill("input[name=username]", "city_0")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/city")
        screenshot(page, "city-home")
        for n in range(2):
            page.goto(base + "/city/")
            page.click(f"tr[data-category='{category_id}'] >> text=新建推荐")
            _fill(page, steel_form(n))
            page.set_input_files("input[name=files]", str(pdf))
            page.click("#entry-form button[type=submit]")
            page.wait_for_selector("text=草稿已保存")
            if n == 0:
                screenshot(page, "city-draft")
            page.click("#entry-actions button.primary")
            page.wait_for_load_state("load")
        assert "名额1项，已报送1项" in page.locator("#entry-error").inner_text()
        screenshot(page, "city-over-quota")
        page.goto(base + "/city/")
        assert "1" in page.locator(f"#city-quota tr[data-category='{category_id}']").inner_text()

        with session_factory() as session:
            edition = session.get(Edition, edition_id)
            first = session.scalar(select(CityEntry).where(CityEntry.nomination_id.is_not(None)))
            intake.confirm(session, edition=edition, nomination_id=first.nomination_id, by=ORGANIZER,
                           acknowledge=True)
            close_stage(session, category_id=category_id, kind=StageKind.NOMINATION, by=ORGANIZER)
            open_stage(session, category_id=category_id, kind=StageKind.FORMAL_REVIEW, by=ORGANIZER)
            formal_review.decide(session, edition=edition, nomination_id=first.nomination_id,
                                 outcome=Outcome.RETURNED, by=ORGANIZER, reasons="请补充第一完成人岗位证明",
                                 deadline=formal_review.local_today() + dt.timedelta(days=5))
            session.commit()
            entry_id = first.id
        page.goto(base + "/city/")
        assert "请补充第一完成人岗位证明" in page.locator("#city-returns").inner_text()
        screenshot(page, "city-returned")
        page.click(f"#city-returns a[href='/city/entries/{entry_id}']")
        page.fill("textarea[name=body]", steel_form()["body"] + "三、岗位证明：王建国为高炉班组长。")
        page.click("#entry-form button[type=submit]")
        page.wait_for_selector("text=草稿已保存")
        page.click("#entry-actions >> text=报送补正材料")
        page.wait_for_selector("text=补正材料已报送协调办公室")
        assert page.locator("#entry-state").inner_text() == "已补正，待重新审查"
        assert "第2版" in page.locator("#entry-versions").inner_text()
        screenshot(page, "city-resubmitted")

        # The office follows the city: its fulfilment, the versions it sent, the assessment.
        page.click("button:has-text('退出')")
        page.goto(base + "/login")
        page.fill("input[name=username]", "office")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/organizer")
        page.goto(base + "/organizer/cities/")
        assert "1 / 1" in page.locator("#cities-fulfilment tr[data-city='南京']").inner_text()
        screenshot(page, "cities-office")
        page.click(f"a[href='/organizer/cities/entries/{entry_id}']")
        assert page.locator("#version-2").is_visible() and "班组长" in page.locator("#version-2").inner_text()
        assert "班组长" not in page.locator("#version-1").inner_text()
        screenshot(page, "cities-office-versions")
        page.goto(base + "/organizer/cities/assessment")
        screenshot(page, "cities-assessment")
