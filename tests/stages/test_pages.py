"""The pipeline page and the organizer's home through the app: stage actions, refusals shown with what
blocks them, the auditor's read-only view, and the demo edition's stages."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from helpers import csrf_token, login
from judging.demo import DEMO_PASSWORDS
from judging.editions.models import Edition
from judging.formal_review.models import Decision, Outcome
from judging.nominations.models import Nomination, NominationStatus
from judging.stages.models import Stage, StageKind, StageStatus
from judging.stages.service import pipeline
from tests.formal_review.test_service import _achievement, _nominations
from tests.nominations.test_import_service import make_edition


@pytest.fixture
def fresh(demo, session_factory) -> dict:
    """A newer edition than the demo's, with two confirmed 成果 nominations and no stage yet."""
    with session_factory() as session:
        edition = make_edition(session, year=2031)
        category = _achievement(session, edition)
        _nominations(session, edition, category, 2)
        session.commit()
        return {"edition_id": edition.id, "category_id": category.id}


def _post(client, path: str, data: dict | None = None):
    return client.post(path, data={"confirmed": "1", **(data or {}), "_csrf_token": csrf_token(client, "/organizer/stages")},
                       follow_redirects=False)


def _stages(session_factory, category_id: int) -> dict[str, tuple]:
    with session_factory() as session:
        return {row.kind.value: (row.status.value, row.planned_start, row.planned_end, row.note)
                for row in session.scalars(select(Stage).where(Stage.category_id == category_id))}


def test_the_demo_edition_is_in_online_review_with_every_nomination_passed(demo, session_factory):
    with session_factory() as session:
        edition = session.scalar(select(Edition).where(Edition.year == 2026))
        views = pipeline(session, edition=edition)
        assert [v.current for v in views] == [StageKind.ONLINE_REVIEW] * 4
        assert all([s.status for s in v.stages] == [StageStatus.CLOSED, StageStatus.CLOSED, StageStatus.OPEN,
                                                   StageStatus.PENDING, StageStatus.PENDING, StageStatus.PENDING]
                   for v in views)
        confirmed = session.scalars(select(Nomination.id).where(Nomination.edition_id == edition.id,
                                                                Nomination.status == NominationStatus.CONFIRMED)).all()
        passed = session.scalars(select(Decision.nomination_id).join(Nomination, Nomination.id == Decision.nomination_id)
                                 .where(Decision.outcome == Outcome.PASSED, Nomination.edition_id == edition.id)).all()
        rejected = session.scalars(select(Decision.nomination_id).where(Decision.outcome == Outcome.REJECTED)).all()
        # The 200 and the late table's two originals passed; its near-duplicate was not accepted (不予受理).
        assert sorted(confirmed) == sorted([*passed, *rejected]) and (len(passed), len(rejected)) == (202, 1)


def test_the_organizer_home_shows_each_categorys_stage_and_blockers(client, demo, session_factory):
    with session_factory() as session:
        edition_id = session.scalar(select(Edition.id).where(Edition.year == 2026))
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    page = client.get("/organizer").text
    assert 'id="category-stages"' in page, page[-2000:]
    assert page.count("网络评审（初评）尚无经批准的结果计算") == 4, page[page.find("category-stages"):][:3000]
    assert f'href="/organizer/editions/{edition_id}/stages"' in page


def test_the_organizer_schedules_opens_skips_and_closes_stages(client, fresh, session_factory):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    base = f"/organizer/stages/{fresh['category_id']}"
    assert _post(client, f"{base}/nomination/schedule", {"start": "2031-03-01", "end": "2031-04-30"}
                 ).status_code in (302, 303)
    assert _post(client, f"{base}/nomination/open").status_code in (302, 303)
    page = client.get(f"/organizer/editions/{fresh['edition_id']}/stages").text
    assert "2031-04-30" in page and "无：" not in page
    assert _post(client, f"{base}/nomination/close").status_code in (302, 303)
    assert _post(client, f"{base}/formal_review/skip", {"reason": "各市已完成资格审查"}).status_code in (302, 303)
    assert _stages(session_factory, fresh["category_id"]) == {
        "nomination": ("closed", dt.date(2031, 3, 1), dt.date(2031, 4, 30), ""),
        "formal_review": ("skipped", None, None, "各市已完成资格审查")}
    page = client.get(f"/organizer/editions/{fresh['edition_id']}/stages").text
    assert "各市已完成资格审查" in page


def test_refusals_are_shown_and_change_nothing(client, fresh, session_factory):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    base = f"/organizer/stages/{fresh['category_id']}"
    refused = _post(client, f"{base}/formal_review/open")
    assert refused.status_code == 400 and "须先结束或跳过推荐，才能开始形式审查。" in refused.text, \
        refused.text[refused.text.find("stage-error"):][:300]
    _post(client, f"{base}/nomination/open")
    _post(client, f"{base}/nomination/close")
    _post(client, f"{base}/formal_review/open")
    blocked = _post(client, f"{base}/formal_review/close")
    assert blocked.status_code == 400 and "2项申报待形式审查" in blocked.text
    assert _stages(session_factory, fresh["category_id"])["formal_review"][0] == "open"
    for path, data, message in [(f"{base}/panel_meeting/skip", {"reason": " "}, "请填写跳过会议评审的理由"),
                                (f"{base}/public_notice/schedule", {"start": "2031-06-08", "end": "2031-06-01"},
                                 "公示的计划结束日期早于开始日期"),
                                (f"{base}/public_notice/schedule", {"start": "六月"}, "计划开始须为日期")]:
        response = _post(client, path, data)
        assert response.status_code == 400 and message in response.text, path
    assert set(_stages(session_factory, fresh["category_id"])) == {"nomination", "formal_review"}
    assert _post(client, f"{base}/lottery/open").status_code == 404
    assert _post(client, "/organizer/stages/999999/nomination/open").status_code == 404


def test_the_auditor_reads_the_pipeline_without_buttons(client, fresh):
    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    page = client.get("/organizer/stages")
    assert page.status_code == 200 and "十大科技成果" in page.text
    assert "/open" not in page.text and "/schedule" not in page.text
    assert _post(client, f"/organizer/stages/{fresh['category_id']}/nomination/open").status_code == 404
