"""The judge's scoring page and the organizer's round in headless Chromium against `judging serve`."""

from __future__ import annotations

import contextlib
import re
import shutil
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from browser import screenshot
from conftest import BACKENDS, POSTGRES_URL, _worker, admin_engine
from scoring.sheets_helpers import open_items, stored
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from judging.accounts.models import User
from judging.db import create_db_engine, make_session_factory
from judging.demo import DEMO_PASSWORDS
from judging.editions.models import Round, RoundKind
from judging.panels.models import Expert
from judging.scoring import service
from judging.scoring.models import ScoreSheet
from judging.scoring.rules import SheetInput

# One worker serves the whole module (one `judging serve` per backend) under `--dist loadgroup`.
pytestmark = pytest.mark.xdist_group("browser-scoring")
SAVED = re.compile(r"已于 \d\d:\d\d:\d\d 保存")
OPINION = "创新点突出，经济效益数据完整，具备推广价值，同意推荐。"  # the demo's achievements ask for 20 characters


@dataclass
class Site:
    base: str
    session_factory: sessionmaker


@pytest.fixture(scope="module", params=BACKENDS)
def site(request, tmp_path_factory, served):
    """One served app over one demo database per backend for the whole module: starting `judging
    serve` takes seconds. Each test works on items no earlier test touched. The database is a copy of
    the session's demo template (loading the demo again would take as long as the tests)."""
    folder = tmp_path_factory.mktemp("scoring-site")
    admin = name = None
    if request.param == "sqlite":
        path = folder / "judging.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_demo_template")[0], path)
        url = f"sqlite:///{path}"
    else:
        template = request.getfixturevalue("postgres_demo_template")[0]
        base = make_url(POSTGRES_URL)
        name = f"{base.database}_browser_scoring_{_worker()}_{uuid.uuid4().hex[:6]}"
        admin = admin_engine(base)
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    engine = create_db_engine(url)
    factory = make_session_factory(engine)
    try:
        with served(url, folder) as base:
            yield Site(base, factory)
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@pytest.fixture(scope="module")
def chromium(browser):
    with browser.launched() as launched:
        yield launched


@contextlib.contextmanager
def window(chromium, *, phone: bool = False):
    """A fresh browser window (own cookies) at desktop or phone size."""
    options = ({"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
                "device_scale_factor": 2} if phone else {"viewport": {"width": 1280, "height": 900}})
    context = chromium.new_context(locale="zh-CN", **options)
    try:
        yield context.new_page()
    finally:
        context.close()


def _log_in(page, base: str, username: str, password: str = DEMO_PASSWORDS["judge"]) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _wait_saved(page) -> str:
    page.locator("#save-status.ok").wait_for()
    text = page.locator("#save-status").inner_text()
    assert SAVED.fullmatch(text), text
    return text


def test_judge_scores_sees_autosave_reloads_submits_and_cannot_edit(site, chromium):
    base, session_factory = site.base, site.session_factory
    item = open_items(session_factory, "judge01")[0]
    # 创新性 0–30, 技术水平 a grade (国际先进 = 26 is the second choice), 经济效益 and 推广价值 0–20.
    first, third, fourth = (f"#score-{cid}" for cid in item.criterion_ids[0:1] + item.criterion_ids[2:])
    second = f"#score-{item.criterion_ids[1]}-2"
    with window(chromium) as page:
        _log_in(page, base, "judge01")
        page.goto(f"{base}/judge/sheets/{item.handle}")
        assert page.locator("#save-status").inner_text() == ""
        page.fill(first, "24")
        page.check(second)
        page.locator("#total").wait_for()
        assert page.locator("#total").inner_text() == "50.00"  # the live total, before any save
        _wait_saved(page)
        assert stored(session_factory, item.assignment_id)[2] == {item.criterion_ids[0]: Decimal(24),
                                                                  item.criterion_ids[1]: Decimal(26)}
        page.check("input[name=familiarity][value=familiar]")
        page.fill("#comment", OPINION)
        _wait_saved(page)

        page.reload()
        assert page.locator(first).input_value() == "24" and page.locator(second).is_checked()
        assert page.locator("#comment").input_value() == OPINION
        assert SAVED.fullmatch(page.locator("#save-status").inner_text())

        # A value off the scale: the error appears beside the field and nothing is stored.
        page.fill(third, "21")
        error = page.locator(f"#score-{item.criterion_ids[2]}-error")
        error.wait_for(state="visible")
        assert error.inner_text() == "请输入 0 至 20 之间的分数。"
        assert item.criterion_ids[2] not in stored(session_factory, item.assignment_id)[2]
        screenshot(page, "judge-sheet-error-desktop")
        page.fill(third, "16")
        page.fill(fourth, "13")
        _wait_saved(page)
        assert error.is_hidden()
        assert page.locator("#total").inner_text() == "79.00"
        assert page.locator(f"fieldset:has(#score-{item.criterion_ids[2]}) .field-error").count() == 1
        screenshot(page, "judge-sheet-desktop")

        with window(chromium, phone=True) as phone:
            _log_in(phone, base, "judge01")
            phone.goto(f"{base}/judge/sheets/{item.handle}")
            assert phone.locator(third).input_value() == "16"
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the phone page scrolls sideways ({width}px)"
            screenshot(phone, "judge-sheet-phone")
            phone.goto(f"{base}/judge")
            screenshot(phone, "judge-queue-phone")

        page.click("#submit-sheet")
        page.wait_for_url("**/submit")
        assert "确认提交此评分表" in page.locator("h1").inner_text()
        screenshot(page, "judge-sheet-confirm-desktop")
        page.click("#confirm-submit")
        page.locator("#submitted-notice").wait_for()
        assert stored(session_factory, item.assignment_id)[1] == "submitted"
        assert page.locator(first).is_disabled() and page.locator("#comment").is_disabled()
        assert page.locator("#submit-sheet").count() == 0
        screenshot(page, "judge-sheet-submitted-desktop")
        page.goto(base + "/judge")
        row = page.locator(f"#queue tr:has(a[href='/judge/sheets/{item.handle}'])")
        assert "已提交" in row.inner_text()
        screenshot(page, "judge-queue-desktop")


def test_a_second_tab_is_told_its_version_is_stale(site, chromium):
    base, session_factory = site.base, site.session_factory
    item = open_items(session_factory, "judge01")[0]
    first = f"#score-{item.criterion_ids[0]}"
    with window(chromium) as tab_a:
        _log_in(tab_a, base, "judge01")
        tab_b = tab_a.context.new_page()
        tab_a.goto(f"{base}/judge/sheets/{item.handle}")
        tab_b.goto(f"{base}/judge/sheets/{item.handle}")
        tab_a.fill(first, "8")
        _wait_saved(tab_a)
        tab_b.fill(first, "3")
        banner = tab_b.locator("#form-error")
        banner.wait_for()
        assert "另一个标签页" in banner.inner_text() and "请刷新页面" in banner.inner_text()
        assert stored(session_factory, item.assignment_id)[2] == {item.criterion_ids[0]: Decimal(8)}
        screenshot(tab_b, "judge-sheet-stale-tab")


def test_lost_connection_shows_a_warning_and_retries(site, chromium):
    base, session_factory = site.base, site.session_factory
    item = open_items(session_factory, "judge01")[0]
    with window(chromium) as page:
        _log_in(page, base, "judge01")
        page.goto(f"{base}/judge/sheets/{item.handle}")
        page.route("**/draft", lambda route: route.abort("internetdisconnected"))
        page.fill(f"#score-{item.criterion_ids[0]}", "6")
        page.locator("#save-status.warn").wait_for()
        assert "网络连接中断" in page.locator("#save-status").inner_text()
        page.unroute("**/draft")
        _wait_saved(page)  # the retry goes through once the connection is back
        assert stored(session_factory, item.assignment_id)[2] == {item.criterion_ids[0]: Decimal(6)}


def test_organizer_reopens_with_a_reason_and_the_judge_sees_it(site, chromium):
    base, session_factory = site.base, site.session_factory
    item = open_items(session_factory, "judge01")[0]
    with session_factory() as session:
        judge = session.scalar(select(User).where(User.username == "judge01"))
        values = dict(zip(item.criterion_ids, [Decimal(24), Decimal(26), Decimal(16), Decimal(13)]))
        service.save_draft(session, judge=judge, assignment_id=item.assignment_id, version=0,
                           data=SheetInput(values, OPINION, "familiar"))
        service.submit_sheet(session, judge=judge, assignment_id=item.assignment_id, version=1)
        session.commit()
        sheet_id = session.scalar(select(ScoreSheet.id).where(ScoreSheet.assignment_id == item.assignment_id))
        round_id = session.scalar(select(Round.id).where(Round.kind == RoundKind.PRELIMINARY))
        expert_id = session.scalar(select(Expert.id).where(Expert.user_id == judge.id))
    with window(chromium) as page:
        _log_in(page, base, "organizer", DEMO_PASSWORDS["organizer"])
        page.goto(f"{base}/organizer/rounds/{round_id}")
        assert page.locator("#progress-categories tbody tr").count() == 4
        screenshot(page, "organizer-round-desktop")
        page.goto(f"{base}/organizer/rounds/{round_id}/judges/{expert_id}")
        form = page.locator(f"form[action='/organizer/sheets/{sheet_id}/reopen']")
        form.locator("button").click()  # without a reason: refused, nothing changes
        page.locator("#organizer-error").wait_for()
        assert "请填写退回原因" in page.locator("#organizer-error").inner_text()
        assert stored(session_factory, item.assignment_id)[1] == "submitted"
        form = page.locator(f"form[action='/organizer/sheets/{sheet_id}/reopen']")
        form.locator("textarea").fill("第四项评分偏低，与评语不一致，请复核。")
        form.locator("button").click()
        page.wait_for_url(f"**/judges/{expert_id}")
        assert stored(session_factory, item.assignment_id)[1] == "draft"
        screenshot(page, "organizer-round-judge-desktop")

        page.click("text=退出")
        page.wait_for_url("**/login")
        _log_in(page, base, "judge01")
        page.goto(f"{base}/judge/sheets/{item.handle}")
        notice = page.locator("#reopen-notice")
        assert "第四项评分偏低，与评语不一致，请复核。" in notice.inner_text()
        assert page.locator(f"#score-{item.criterion_ids[0]}").is_enabled()
        screenshot(page, "judge-sheet-reopened-desktop")

        with window(chromium, phone=True) as phone:
            _log_in(phone, base, "organizer", DEMO_PASSWORDS["organizer"])
            phone.goto(f"{base}/organizer/rounds/{round_id}")
            screenshot(phone, "organizer-round-phone")


def test_judge_chooses_a_grade_sees_the_band_and_counts_the_opinion(site, chromium):
    base, session_factory = site.base, site.session_factory
    item = open_items(session_factory, "judge01")[0]
    innovation, tech_level = item.criterion_ids[0], item.criterion_ids[1]  # 创新性 0–30 with bands; 技术水平 grades
    with window(chromium) as page:
        _log_in(page, base, "judge01")
        page.goto(f"{base}/judge/sheets/{item.handle}")
        band = page.locator(f"#score-{innovation}-band")
        assert band.inner_text() == "—"
        page.fill(f"#score-{innovation}", "24")
        assert band.inner_text() == "良好"  # named beside the input …
        assert page.locator(f"#score-{innovation} ~ * li.current, fieldset:has(#score-{innovation}) li.current"
                            ).first.inner_text().startswith("21–25")  # … and highlighted among the bands
        page.get_by_label("国际先进").check()
        assert page.locator("#total").inner_text() == "50.00"  # 24 + 26 points of 100
        count = page.locator("#comment-count")
        assert count.inner_text() == "已写 0 字，至少 20 字" and "short" in count.get_attribute("class")
        page.fill("#comment", "创新点突出，经济效益数据完整。")
        assert count.inner_text() == "已写 15 字，至少 20 字"
        _wait_saved(page)
        assert stored(session_factory, item.assignment_id)[2] == {innovation: Decimal(24), tech_level: Decimal(26)}
        page.fill(f"#score-{item.criterion_ids[2]}", "16")
        page.fill(f"#score-{item.criterion_ids[3]}", "13")
        page.check("input[name=familiarity][value=familiar]")
        _wait_saved(page)
        page.click("#submit-sheet")  # a short opinion: refused, naming the minimum and the length
        page.locator("#comment-error").wait_for(state="visible")
        assert page.locator("#comment-error").inner_text() == "评审意见至少需要 20 字，目前只有 15 字。"
        page.fill("#comment", "创新点突出，经济效益数据完整，具备推广价值，同意推荐。")
        assert count.inner_text() == "已写 27 字，至少 20 字" and "short" not in count.get_attribute("class")
        assert page.locator(f"#score-{tech_level}-2").is_checked()
        screenshot(page, "judge-sheet-grades-bands-desktop")
        count.scroll_into_view_if_needed()
        screenshot(page, "judge-sheet-opinion-count-desktop")
        page.click("#submit-sheet")
        page.wait_for_url("**/submit")
        assert "国际先进 · 26" in page.locator("#confirm-summary").inner_text()


def test_organizer_views_a_locked_rubric_and_edits_an_open_one(site, chromium):
    from judging.editions.models import Category, CategoryKey, Edition
    from judging.nominations.models import Nomination
    from judging.panels.models import Assignment

    base, session_factory = site.base, site.session_factory
    with session_factory() as session:
        ids = {c.key: c.id for c in session.scalars(select(Category).join(Edition).where(Edition.year == 2026))}
        for sheet in session.scalars(select(ScoreSheet).join(Assignment, Assignment.id == ScoreSheet.assignment_id)
                                     .join(Nomination, Nomination.id == Assignment.nomination_id)
                                     .where(Nomination.category_id == ids[CategoryKey.CHIEF_EMPLOYEE])):
            session.delete(sheet)  # nobody has scored the chief employees yet: their rubric may change
        session.commit()
    with window(chromium) as page:
        _log_in(page, base, "organizer", DEMO_PASSWORDS["organizer"])
        page.goto(f"{base}/organizer")
        page.click(f"a[href='/organizer/rubrics/{ids[CategoryKey.ACHIEVEMENT]}']")
        page.locator("#rubric-locked").wait_for()
        assert page.locator("#save-rubric").count() == 0
        assert page.locator("input[name='c1-grade0-label']").input_value() == "国际领先"
        screenshot(page, "organizer-rubric-locked-desktop")

        page.goto(f"{base}/organizer/rubrics/{ids[CategoryKey.CHIEF_EMPLOYEE]}")
        page.select_option("select[name='c0-kind']", "grade")
        for row in range(4):  # a grade scale has no bands: clear them
            for part in ("low", "high", "label", "description"):
                page.fill(f"input[name='c0-band{row}-{part}']", "")
        page.fill("input[name='c0-grade0-label']", "A")
        page.fill("input[name='c0-grade0-value']", "8")
        page.fill("input[name='c0-grade1-label']", "B")
        page.fill("input[name='c0-grade1-value']", "9")  # not below A: refused
        page.fill("input[name='opinion_min_length']", "30")
        page.click("#save-rubric")
        page.locator("#rubric-error").wait_for()
        assert "请按从高到低的顺序列出等级" in page.locator("#rubric-error").inner_text()
        screenshot(page, "organizer-rubric-error-desktop")
        page.fill("input[name='c0-grade1-value']", "5")
        page.click("#save-rubric")
        page.locator("#rubric-saved").wait_for()
        screenshot(page, "organizer-rubric-desktop")
    with session_factory() as session:
        rubric = session.get(Category, ids[CategoryKey.CHIEF_EMPLOYEE]).rubric
        assert rubric.opinion_min_length == 30 and rubric.criteria[0].scale_kind.value == "grade"
        assert [(g.label, g.value) for g in rubric.criteria[0].grades] == [("A", Decimal(8)), ("B", Decimal(5))]
