"""In Chromium: a button the stage refuses is shown disabled with its reason, and an irreversible action's
confirmation page states the consequence, cancels back, and after confirming lands on a page a refresh
does not repeat."""

from __future__ import annotations

from sqlalchemy import func, select, update

from browser import screenshot
from judging.demo import DEMO_PASSWORDS
from judging.editions.models import CategoryKey
from judging.results import service
from judging.results.models import RunApproval
from judging.stages.models import Stage, StageKind, StageStatus
from results.factories import ORGANIZER, demo_ids


def _log_in(page, base: str, username: str = "organizer") -> None:
    page.goto(base + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORDS[username])
    page.click("button[type=submit]")
    page.wait_for_url(f"**/{username}")


def _runs(session_factory) -> tuple[int, int]:
    """A run of 先进操作法 (still in 网络评审) and one of 十佳合理化建议, moved on to 公示."""
    with session_factory() as session:
        made = []
        for key in (CategoryKey.OPERATING_METHOD, CategoryKey.SUGGESTION):
            round_id, category_id = demo_ids(session, key)
            made.append(service.create_run(session, round_id=round_id, category_id=category_id, method="mean",
                                           reps=30, by=ORGANIZER).id)
        for kind, status in ((StageKind.ONLINE_REVIEW, StageStatus.CLOSED),
                             (StageKind.PANEL_MEETING, StageStatus.SKIPPED),
                             (StageKind.PUBLIC_NOTICE, StageStatus.OPEN)):
            session.execute(update(Stage).where(Stage.category_id == category_id, Stage.kind == kind)
                            .values(status=status))
        session.commit()
    return made[0], made[1]


def test_a_refused_button_is_disabled_with_its_reason_and_a_confirmation_states_the_consequence(
        served, browser, db_url, demo, tmp_path, session_factory):
    open_run, moved_on_run = _runs(session_factory)
    with served(db_url, tmp_path) as base:
        for width in (1280, 390):
            with browser.page(width=width) as page:
                _log_in(page, base)
                page.goto(f"{base}/results/runs/{moved_on_run}")
                refused = page.locator('[data-permission="results.approve"]')
                assert refused.locator("button").is_disabled()
                assert "评审结果计算只能在网络评审 / 会议评审开启期间进行。" in refused.inner_text()
                screenshot(page, f"permissions-disabled-approve-{width}")

                page.goto(f"{base}/results/runs/{open_run}")
                page.click("text=批准本次计算")
                page.wait_for_selector("#confirm-step")
                assert "评分随即冻结" in page.locator("#confirm-consequence").inner_text()
                screenshot(page, f"permissions-confirm-approve-{width}")
                if width == 1280:  # cancel first: nothing happens
                    page.click("#confirm-cancel")
                    page.wait_for_url(f"**/results/runs/{open_run}")
                    continue
                page.click("#confirm-yes")
                page.wait_for_url(f"**/results/runs/{open_run}")
                page.reload()  # the page after the POST is a GET: a refresh repeats nothing
                assert page.locator("text=已批准").first.is_visible()
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(RunApproval).where(RunApproval.run_id == open_run)) == 1
        assert session.scalar(select(func.count()).select_from(RunApproval)
                              .where(RunApproval.run_id == moved_on_run)) == 0


def test_the_auditor_reads_a_judges_sheets_with_their_history_and_no_forms(served, browser, db_url, demo, tmp_path,
                                                                          session_factory):
    from judging.editions.models import Round, RoundKind
    from judging.panels.models import Expert

    with session_factory() as session:
        round_id = session.scalar(select(Round.id).where(Round.kind == RoundKind.PRELIMINARY).order_by(Round.id))
        expert_id = session.scalar(select(Expert.id).where(Expert.email == "judge01@example.cn"))
    with served(db_url, tmp_path) as base:
        for width in (1280, 390):
            with browser.page(width=width) as page:
                _log_in(page, base, "auditor")
                page.click("nav.sections >> text=专家与分配")
                page.wait_for_url("**/organizer/panels/")
                page.goto(f"{base}/organizer/rounds/{round_id}/judges/{expert_id}")
                history = page.locator("details.sheet-history").first
                history.locator("summary").click()
                assert "score_sheet.submitted" in history.inner_text()
                assert page.locator("form[action*='/reopen']").count() == 0
                assert page.locator("#extension-form").count() == 0
                screenshot(page, f"auditor-judge-sheets-{width}")
