"""The organizer's assignment flow in headless Chromium against `judging serve`: settings -> preview
(a background job whose page polls itself) -> plan figures -> commit."""

from __future__ import annotations

from sqlalchemy import func, select

from browser import screenshot
from judging.demo import DEMO_PASSWORDS
from judging.results import service as results
from results.factories import ORGANIZER, demo_ids, score_demo_category


def _advance(session, key, top_m: int) -> None:
    """The final round takes only what advanced from an approved preliminary run."""
    score_demo_category(session, key)
    preliminary, category_id = demo_ids(session, key)
    run = results.create_run(session, round_id=preliminary, category_id=category_id, method="mean", reps=20,
                             confirm_incomplete=True, by=ORGANIZER)
    results.approve_run(session, run=run, by=ORGANIZER)
    results.advance(session, run=run, top_m=top_m, by=ORGANIZER)
    session.commit()


def test_organizer_previews_and_commits_a_final_round_plan(served, browser, db_url, demo, tmp_path, monkeypatch,
                                                           session_factory):
    from judging.editions.models import Category, CategoryKey, Round, RoundKind
    from judging.panels.models import Assignment

    # A real queue (SQLite file in var/) and the embedded worker, as `make run` has it.
    monkeypatch.setenv("JUDGING_JOBS_BACKEND", "sqlite")
    with session_factory() as s:
        final = s.scalar(select(Round).where(Round.kind == RoundKind.FINAL))
        category = s.scalar(select(Category).where(Category.key == CategoryKey.ACHIEVEMENT))
        final_id, category_id = final.id, category.id
        _advance(s, CategoryKey.ACHIEVEMENT, 30)
    with served(db_url, tmp_path) as base, browser.page(height=1000) as page:
        page.goto(base + "/")
        page.fill("input[name=username]", "organizer")
        page.fill("input[name=password]", DEMO_PASSWORDS["organizer"])
        page.click("button[type=submit]")
        page.wait_for_url("**/organizer")
        page.click("nav.sections >> text=专家与分配")
        page.wait_for_url("**/organizer/panels/")
        assert page.locator("#panels-overview tbody tr").count() == 8
        screenshot(page, "panels-overview")
        page.click(f"a[href='/organizer/panels/rounds/{final_id}/categories/{category_id}']")
        page.select_option("select[name=mode]", "k")
        page.fill("input[name=k]", "5")
        page.fill("input[name=max_load]", "10")
        page.fill("input[name=min_load]", "2")
        screenshot(page, "panels-settings")
        page.click("#preview-button")
        page.wait_for_url("**/jobs/*")
        link = page.locator("text=查看结果")
        link.wait_for(timeout=60_000)  # htmx polls the job fragment until it has finished
        link.click()
        page.wait_for_url("**/organizer/panels/plans/*")
        assert page.locator("#plan-status").inner_text() == "预览"
        assert page.locator("#plan-figures").is_visible()
        screenshot(page, "panels-preview")
        page.click("#commit-button")
        # Committing is irreversible: a confirmation page states the consequence before anything is written.
        page.wait_for_selector("#confirm-step")
        assert "150" in page.locator("#confirm-consequence").inner_text()  # 30 advanced x 5
        screenshot(page, "panels-commit-confirm")
        page.click("#confirm-yes")
        page.wait_for_selector("#committed-notice")
        assert page.locator("#assignments tbody tr").count() == 30  # the nominations that advanced
        screenshot(page, "panels-committed")
    with session_factory() as s:
        count = s.scalar(select(func.count()).select_from(Assignment).where(Assignment.round_id == final_id))
        assert count == 30 * 5


def test_infeasible_settings_show_what_falls_short(served, browser, db_url, demo, tmp_path, session_factory):
    from judging.editions.models import Category, CategoryKey, Round, RoundKind

    with session_factory() as s:
        final = s.scalar(select(Round).where(Round.kind == RoundKind.FINAL))
        category = s.scalar(select(Category).where(Category.key == CategoryKey.SUGGESTION))
        final_id, category_id = final.id, category.id
        _advance(s, CategoryKey.SUGGESTION, 50)
    with served(db_url, tmp_path) as base, browser.page() as page:
        page.goto(base + "/")
        page.fill("input[name=username]", "organizer")
        page.fill("input[name=password]", DEMO_PASSWORDS["organizer"])
        page.click("button[type=submit]")
        page.wait_for_url("**/organizer")
        page.goto(f"{base}/organizer/panels/rounds/{final_id}/categories/{category_id}")
        page.select_option("select[name=mode]", "k")
        page.fill("input[name=k]", "5")
        page.fill("input[name=max_load]", "3")
        page.fill("input[name=min_load]", "0")
        page.click("#preview-button")
        page.locator("text=查看结果").click()
        page.wait_for_url("**/organizer/panels/plans/*")
        text = page.locator("#infeasible").inner_text()
        assert "250" in text and "180" in text and "70" in text  # 50 x 5 needed, 60 x 3 allowed
        assert page.locator("#commit-button").count() == 0
        screenshot(page, "panels-infeasible")
