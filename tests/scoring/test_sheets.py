"""The judge's sheet over HTTP, on SQLite and PostgreSQL: drafts, bad input, versions, submission.

The demo's achievements are scored in points: 创新性 0–30, 技术水平 a grade (国际领先 30, 国际先进 26,
国内领先 22, 国内先进 18, 国内一般 12), 经济效益 and 推广价值 0–20, in steps of 1; the review opinion
needs at least 20 characters to submit.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from scoring.sheets_helpers import JSON, open_items, page_token, post_sheet, stored
from helpers import login
from judging.audit.models import AuditEvent
from judging.audit import verify
from judging.demo import DEMO_PASSWORDS
from judging.editions.models import Round, Rubric
from judging.panels.models import Assignment
from judging.scoring.models import ScoreSheet

OPINION = "创新点突出，经济效益数据完整，具备推广价值，同意推荐。"


def _events(session_factory, action: str) -> list[dict]:
    with session_factory() as session:
        bodies = session.scalars(select(AuditEvent.body).where(AuditEvent.action == action)
                                 .order_by(AuditEvent.seq)).all()
    return [json.loads(body) for body in bodies]


def test_judge_saves_a_draft_and_finds_it_after_reload(client, judge, session_factory):
    response = post_sheet(client, judge, values=judge.values(24, 26), comment="思路清晰")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == 1
    assert re.fullmatch(r"已于 \d\d:\d\d:\d\d 保存", body["message"])
    assert body["total"] == "50.00"  # 24 of 30 points and 国际先进 (26 of 30), each weighing 30%
    assert stored(session_factory, judge.assignment_id) == (1, "draft", {judge.criterion_ids[0]: Decimal("24"),
                                                                         judge.criterion_ids[1]: Decimal("26")})
    page = client.get(f"/judge/sheets/{judge.handle}").text
    assert 'value="24"' in page and "思路清晰" in page and 'name="version" value="1"' in page
    assert re.search(r'value="26" checked', page)  # the grade chosen, 国际先进
    event = _events(session_factory, "score_sheet.draft_saved")[-1]
    assert event["data"]["values"][str(judge.criterion_ids[0])] == "24.000"
    assert event["data"]["grades"] == {str(judge.criterion_ids[1]): "国际先进"}
    assert event["data"]["comment"] == "思路清晰" and event["actor"] == "judge01"


def test_every_save_is_one_audit_event_and_an_unchanged_save_writes_nothing(client, judge, session_factory):
    before = len(_events(session_factory, "score_sheet.draft_saved"))
    post_sheet(client, judge, values=judge.values(5))
    post_sheet(client, judge, values=judge.values(6))
    unchanged = post_sheet(client, judge, values=judge.values(6))
    assert unchanged.status_code == 200 and unchanged.json()["version"] == 2
    events = _events(session_factory, "score_sheet.draft_saved")[before:]
    assert [e["data"]["values"][str(judge.criterion_ids[0])] for e in events] == ["5.000", "6.000"]
    with session_factory() as session:
        assert verify(session).valid


def test_queue_shows_status_and_deadline_in_local_time(client, judge):
    post_sheet(client, judge, values=judge.values(5))
    page = client.get("/judge").text
    row = re.search(rf'<a href="/judge/sheets/{judge.handle}">.*?</tr>', page, re.S).group(0)
    assert "草稿" in row and "2026-12-20 18:00" in row  # the demo deadline, 18:00 Beijing time


def test_out_of_scale_value_is_refused_and_the_sheet_is_unchanged(client, judge, session_factory):
    post_sheet(client, judge, values=judge.values(7))
    before = stored(session_factory, judge.assignment_id)
    response = post_sheet(client, judge, values=judge.values(31, 22))
    assert response.status_code == 422
    assert response.json()["fields"] == {f"score-{judge.criterion_ids[0]}": "请输入 0 至 30 之间的分数。"}
    assert post_sheet(client, judge, values=judge.values(-1)).status_code == 422
    assert stored(session_factory, judge.assignment_id) == before


def test_non_numbers_and_off_step_values_are_refused(client, judge, session_factory):
    for raw, message in [("abc", "请输入数字。"), ("NaN", "请输入数字。"), ("Infinity", "请输入数字。"),
                         ("7.5", "请输入整数。")]:
        response = post_sheet(client, judge, values=judge.values(raw))
        assert response.status_code == 422
        assert response.json()["fields"][f"score-{judge.criterion_ids[0]}"] == message
    assert stored(session_factory, judge.assignment_id) is None


def test_a_plain_form_post_shows_the_error_next_to_the_field(client, judge):
    response = post_sheet(client, judge, values=judge.values("abc", 4), as_json=False)
    assert response.status_code == 422
    field = f"score-{judge.criterion_ids[0]}"
    assert re.search(rf'id="{field}-error" data-for="{field}">请输入数字。</p>', response.text)
    assert 'value="abc"' in response.text  # what the judge typed is kept on the page


def test_unknown_familiarity_is_refused(client, judge, session_factory):
    response = post_sheet(client, judge, values=judge.values(5), familiarity="expert")
    assert response.status_code == 422 and "familiarity" in response.json()["fields"]
    assert stored(session_factory, judge.assignment_id) is None


def test_a_sheet_of_another_judge_answers_404_like_a_missing_one(client, judge, session_factory):
    other = open_items(session_factory, "judge07")[0]
    token, _ = page_token(client, f"/judge/sheets/{judge.handle}")
    # Another judge's handle, an id (ids are never handles) and a handle that does not exist.
    for assignment_id in (other.handle, str(other.assignment_id), "AAAAAAAAAAAAAAAA"):
        assert client.get(f"/judge/sheets/{assignment_id}").status_code == 404
        response = post_sheet(client, judge, values=judge.values(5), version=0, token=token,
                              assignment_id=assignment_id)
        assert response.status_code == 404
        assert client.post(f"/judge/sheets/{assignment_id}/draft", data={"_csrf_token": token, "version": "0"}
                           ).status_code == 404
    assert stored(session_factory, other.assignment_id) is None


@pytest.mark.backend_sensitive
def test_a_stale_version_is_refused_and_the_older_tab_is_told(client, judge, session_factory):
    token, version = page_token(client, f"/judge/sheets/{judge.handle}")
    first = post_sheet(client, judge, values=judge.values(8), version=version, token=token)  # tab A
    assert first.status_code == 200
    stale = post_sheet(client, judge, values=judge.values(2), version=version, token=token)  # tab B, older
    assert stale.status_code == 409
    assert stale.json()["kind"] == "stale" and "另一个标签页" in stale.json()["error"]
    assert stored(session_factory, judge.assignment_id)[2] == {judge.criterion_ids[0]: Decimal("8")}
    html = post_sheet(client, judge, values=judge.values(2), version=version, token=token, as_json=False)
    assert html.status_code == 409 and "请刷新页面" in html.text


def test_a_replayed_form_without_a_valid_csrf_token_is_refused(client, judge, session_factory):
    post_sheet(client, judge, values=judge.values(5))
    before = stored(session_factory, judge.assignment_id)
    form = {"version": "1", **judge.values(9)}
    assert client.post(f"/judge/sheets/{judge.handle}/draft", data=form, headers=JSON).status_code == 403
    forged = {**form, "_csrf_token": "forged-token"}
    assert client.post(f"/judge/sheets/{judge.handle}/draft", data=forged, headers=JSON).status_code == 403
    client.cookies.clear()  # a replay from elsewhere: no session, no CSRF cookie
    assert client.post(f"/judge/sheets/{judge.handle}/draft", data=form, headers=JSON).status_code == 403
    assert stored(session_factory, judge.assignment_id) == before


def _move_deadline(session_factory, assignment_id: int, when: dt.datetime) -> None:
    with session_factory() as session:
        round_id = session.get(Assignment, assignment_id).round_id
        session.execute(update(Round).where(Round.id == round_id).values(deadline_at=when))
        session.commit()


def test_after_the_deadline_the_draft_is_kept_but_not_saved_or_submitted(client, judge, session_factory):
    post_sheet(client, judge, values=judge.values(20, 22, 15, 15))
    before = stored(session_factory, judge.assignment_id)
    _move_deadline(session_factory, judge.assignment_id, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    late = post_sheet(client, judge, values=judge.values(25, 30, 18, 18))
    assert late.status_code == 409 and late.json()["kind"] == "locked"
    assert "草稿予以保留" in late.json()["error"]
    token, version = page_token(client, f"/judge/sheets/{judge.handle}")
    confirm = client.post(f"/judge/sheets/{judge.handle}/confirm",
                          data={"_csrf_token": token, "version": str(version)})
    assert confirm.status_code == 409 and "草稿予以保留" in confirm.text
    assert stored(session_factory, judge.assignment_id) == before
    page = client.get(f"/judge/sheets/{judge.handle}").text
    assert 'id="locked-notice"' in page and 'value="20"' in page and "disabled" in page


def test_submission_checks_completeness_then_asks_for_confirmation(client, judge, session_factory):
    incomplete = post_sheet(client, judge, "submit", values=judge.values(24, 26), familiarity=None, as_json=False)
    assert incomplete.status_code == 422
    for cid in judge.criterion_ids[2:]:
        assert re.search(rf'id="score-{cid}-error" data-for="score-{cid}">请为此指标评分。</p>', incomplete.text)
    assert 'id="familiarity-error" data-for="familiarity">请选择您对该领域的熟悉程度。</p>' in incomplete.text
    assert stored(session_factory, judge.assignment_id)[1] == "draft"  # the valid part is kept as the draft

    review = post_sheet(client, judge, "submit", values=judge.values(24, 26, 16, 13), comment=OPINION, as_json=False)
    assert review.status_code == 200 and "确认提交此评分表？" in review.text
    version = stored(session_factory, judge.assignment_id)[0]
    assert stored(session_factory, judge.assignment_id)[1] == "draft"  # nothing submitted before confirmation
    token, _ = page_token(client, f"/judge/sheets/{judge.handle}")
    done = client.post(f"/judge/sheets/{judge.handle}/confirm",
                       data={"_csrf_token": token, "version": str(version)}, follow_redirects=False)
    assert done.status_code in (302, 303)
    assert stored(session_factory, judge.assignment_id)[:2] == (version + 1, "submitted")
    event = _events(session_factory, "score_sheet.submitted")[-1]
    assert event["data"]["total"] == "79.00" and event["data"]["familiarity"] == "familiar"  # 24 + 26 + 16 + 13
    assert event["data"]["grades"] == {str(judge.criterion_ids[1]): "国际先进"}

    page = client.get(f"/judge/sheets/{judge.handle}").text
    assert 'id="submitted-notice"' in page and 'id="save-draft"' not in page
    assert page.count("disabled") >= len(judge.criterion_ids) + 5
    again = post_sheet(client, judge, values=judge.values(1, 12, 1, 1), version=version + 1, token=token)
    assert again.status_code == 409 and again.json()["error"] == "此评分表已提交，不能再修改。"
    assert stored(session_factory, judge.assignment_id)[2][judge.criterion_ids[0]] == Decimal("24")


def test_submitting_needs_an_opinion_of_the_rubrics_minimum_length_but_a_draft_may_be_shorter(
        client, judge, session_factory):
    short = post_sheet(client, judge, values=judge.values(20, 22, 15, 15), comment="同意推荐")
    assert short.status_code == 200  # a draft
    response = post_sheet(client, judge, "submit", values=judge.values(20, 22, 15, 15), comment="同意推荐",
                          as_json=False)
    assert response.status_code == 422
    assert 'id="comment-error" data-for="comment">评审意见至少需要 20 字，目前只有 4 字。</p>' in response.text
    with session_factory() as session:
        rubric_id = session.scalar(select(Rubric.id).where(Rubric.criteria.any(id=judge.criterion_ids[0])))
        session.execute(update(Rubric).where(Rubric.id == rubric_id).values(opinion_min_length=0))
        session.commit()
    ok = post_sheet(client, judge, "submit", values=judge.values(20, 22, 15, 15), comment="", as_json=False)
    assert ok.status_code == 200 and "确认提交此评分表？" in ok.text


def test_a_grade_that_is_not_in_the_table_is_refused(client, judge, session_factory):
    response = post_sheet(client, judge, values=judge.values(20, 25))
    assert response.status_code == 422
    assert response.json()["fields"] == {f"score-{judge.criterion_ids[1]}": "请从所列等级中选择一项。"}
    assert stored(session_factory, judge.assignment_id) is None


@pytest.mark.backend_sensitive
def test_confirming_a_stale_version_is_refused(client, judge, session_factory):
    post_sheet(client, judge, "submit", values=judge.values(20, 22, 15, 15), comment=OPINION, as_json=False)
    token, version = page_token(client, f"/judge/sheets/{judge.handle}")
    post_sheet(client, judge, values=judge.values(21, 22, 15, 15), comment=OPINION, version=version,
               token=token)  # another tab
    response = client.post(f"/judge/sheets/{judge.handle}/confirm",
                           data={"_csrf_token": token, "version": str(version)})
    assert response.status_code == 409
    assert stored(session_factory, judge.assignment_id)[1] == "draft"


def test_organizers_cannot_write_a_sheet(client, judge, session_factory):
    token, _ = page_token(client, "/judge")
    client.post("/logout", data={"_csrf_token": token})
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    token, _ = page_token(client, "/organizer/rounds")
    response = client.post(f"/judge/sheets/{judge.handle}/draft",
                           data={"_csrf_token": token, "version": "0", **judge.values(9)}, headers=JSON)
    assert response.status_code == 404
    assert stored(session_factory, judge.assignment_id) is None


def test_the_sheet_page_shows_the_anonymized_nomination_beside_the_rubric(client, judge, session_factory):
    from judging.nominations.models import NominationIdentity

    page = client.get(f"/judge/sheets/{judge.handle}").text
    assert "权重 30%" in page and "26–30" in page and "优秀" in page and "很熟悉" in page and "不太熟悉" in page
    assert "国际领先" in page and "国内一般" in page and 'id="comment-count"' in page
    with session_factory() as session:
        identity = session.get(NominationIdentity, judge.nomination_id)
        for secret in [identity.employer, identity.contact_phone, identity.contact_email, *identity.inventors,
                       *identity.patents]:
            assert secret not in page
    assert "<script>" not in page and "onclick" not in page  # no inline script (CSP)


@pytest.mark.backend_sensitive
def test_two_simultaneous_saves_from_one_version_store_exactly_one(client, judge, session_factory):
    import concurrent.futures

    from judging.scoring import service
    from judging.scoring.rules import SheetInput

    post_sheet(client, judge, values=judge.values(5))
    with session_factory() as session:
        from judging.accounts.models import User
        user = session.scalar(select(User).where(User.username == "judge01"))

    def save(value: int):
        with session_factory() as session:
            try:
                service.save_draft(session, judge=user, assignment_id=judge.assignment_id, version=1,
                                   data=SheetInput({judge.criterion_ids[0]: Decimal(value)}, "", "familiar"))
                session.commit()
                return "saved"
            except service.Conflict:
                session.rollback()
                return "stale"

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(save, [8, 9]))
    assert outcomes == ["saved", "stale"]
    version, _, values = stored(session_factory, judge.assignment_id)
    assert version == 2 and values[judge.criterion_ids[0]] in (Decimal(8), Decimal(9))
    with session_factory() as session:
        assert session.scalar(select(ScoreSheet.version).where(ScoreSheet.assignment_id == judge.assignment_id)) == 2


def test_without_javascript_the_save_button_stores_the_draft_and_returns_to_the_sheet(client, judge, session_factory):
    response = post_sheet(client, judge, values=judge.values(14), as_json=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"] == f"/judge/sheets/{judge.handle}"
    assert stored(session_factory, judge.assignment_id)[2] == {judge.criterion_ids[0]: Decimal("14")}
    assert re.search(r"已于 \d\d:\d\d:\d\d 保存", client.get(response.headers["location"]).text)


def test_the_sheet_speaks_english_on_request(client, judge):
    client.get("/lang/en", follow_redirects=False)
    page = client.get(f"/judge/sheets/{judge.handle}").text
    assert "Weighted total" in page and "Very familiar" in page and "Save draft" in page
    response = post_sheet(client, judge, values=judge.values(31))
    assert response.json()["fields"][f"score-{judge.criterion_ids[0]}"] == "Enter a score from 0 to 30."
