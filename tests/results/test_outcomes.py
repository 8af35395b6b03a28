"""Outcomes of approved runs: advancing to the final, unblinding, award lists, the May Day medal list,
named operating methods, and the public page (no confidential field)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from helpers import csrf_token, login
from judging import audit
from judging.accounts.permissions import Refused
from judging.demo import DEMO_PASSWORDS
from judging.editions.models import Category, CategoryKey, Edition
from judging.errors import Conflict
from judging.nominations.models import BlindCode, Nomination, NominationIdentity
from judging.awards import service as award_service
from judging.awards.models import Publication
from judging.results import service
from judging.results.models import Advancement, ResultRun
from results.factories import ORGANIZER, demo_ids, score_demo_category

REPS = 30


def _approved_run(session, key, *, unblind=True) -> ResultRun:
    round_id, category_id = demo_ids(session, key)
    run = service.create_run(session, round_id=round_id, category_id=category_id, method="additive", reps=REPS,
                             confirm_incomplete=True, by=ORGANIZER)
    service.approve_run(session, run=run, by=ORGANIZER)
    if unblind:
        service.unblind(session, run=run, reason="评审结果已批准，进入公示程序", by=ORGANIZER)
    return run


def _committee_approves(session, category) -> list:
    """What the notices part hands over when it records the committee's approval: here the award list as is."""
    _run, awards = award_service.award_list(session, category=category, role="organizer")
    return award_service.approve_list(
        session, category=category, reference="苏工〔2026〕9号", approved_on=dt.date(2026, 12, 1), by=ORGANIZER,
        notice_version=None, winners=[award_service.Winner(a.place, a.nomination.id, a.named_as or a.nomination.title,
                                                           a.identity.first_inventor, a.identity.employer,
                                                           a.identity.city) for a in awards])


def test_may_day_list_is_exactly_the_first_inventors_of_the_approved_top_10s(session_factory, demo):
    with session_factory() as session:
        score_demo_category(session, CategoryKey.ACHIEVEMENT)
        achievement = _approved_run(session, CategoryKey.ACHIEVEMENT)
        method = _approved_run(session, CategoryKey.OPERATING_METHOD)
        session.commit()
        edition = session.scalar(select(Edition).order_by(Edition.year.desc()).limit(1))
        # Approved, unblinded runs recommend nobody yet: the list follows the committee's approval (审定).
        assert award_service.may_day_list(session, edition=edition) == []
        _committee_approves(session, session.get(Category, achievement.category_id))
        assert {m.category.key for m in award_service.may_day_list(session, edition=edition)} == {
            CategoryKey.ACHIEVEMENT}
        _committee_approves(session, session.get(Category, method.category_id))
        session.commit()
        expected = set()
        for run in (achievement, method):
            top = [e for e in run.entries if e.in_top and e.rank <= 10]
            assert len(top) == 10
            for entry in top:
                identity = session.get(NominationIdentity, entry.nomination_id)
                expected.add((run.category_id, entry.rank, identity.inventors[0]))
        medals = award_service.may_day_list(session, edition=edition)
        assert {(m.category.id, m.place, m.first_inventor) for m in medals} == expected
        assert len(medals) == 20


def test_identities_are_revealed_only_after_approval_and_the_act_is_audited(session_factory, demo):
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.SUGGESTION)
        run = service.create_run(session, round_id=round_id, category_id=category_id, method="mean", reps=REPS,
                                 by=ORGANIZER)
        with pytest.raises(Conflict):
            service.unblind(session, run=run, reason="提前查看", by=ORGANIZER)
        category = session.get(Category, category_id)
        _run, awards = award_service.award_list(session, category=category, role="organizer")
        assert awards == []
        service.approve_run(session, run=run, by=ORGANIZER)
        _run, awards = award_service.award_list(session, category=category, role="organizer")
        assert len(awards) == 10 and all(a.identity is None for a in awards)
        service.unblind(session, run=run, reason="批准后揭盲", by=ORGANIZER)
        session.commit()
        _run, awards = award_service.award_list(session, category=category, role="organizer")
        assert all(a.identity is not None for a in awards)
        event = session.scalars(select(audit.AuditEvent).where(audit.AuditEvent.action == "result_run.unblinded",
                                                               audit.AuditEvent.object_id == str(run.id))).one()
        assert "批准后揭盲" in event.body.decode()


def test_the_top_m_advance_to_the_final_round_with_new_codes_in_one_audited_action(session_factory, demo):
    with session_factory() as session:
        run = _approved_run(session, CategoryKey.OPERATING_METHOD, unblind=False)
        rows = service.advance(session, run=run, top_m=15, by=ORGANIZER)
        session.commit()
        assert len(rows) == 15
        top15 = {e.nomination_id for e in run.entries if e.rank <= 15}
        assert {r.nomination_id for r in rows} == top15
        final_id = rows[0].round_id
        codes = dict(session.execute(select(BlindCode.nomination_id, BlindCode.code)
                                     .where(BlindCode.round_id == final_id)).all())
        assert set(codes) == top15
        preliminary_codes = {e.nomination_id: e.code for e in run.entries}
        assert all(codes[n] != preliminary_codes[n] for n in top15)  # codes cannot be linked across rounds
        with pytest.raises(Conflict):
            service.advance(session, run=run, top_m=15, by=ORGANIZER)
        assert session.scalars(select(audit.AuditEvent).where(audit.AuditEvent.action == "result_run.finalists_advanced")).one()


def test_an_unapproved_run_cannot_advance(session_factory, demo):
    with session_factory() as session:
        round_id, category_id = demo_ids(session, CategoryKey.OPERATING_METHOD)
        run = service.create_run(session, round_id=round_id, category_id=category_id, method="mean", reps=REPS,
                                 by=ORGANIZER)
        with pytest.raises(Conflict):
            service.advance(session, run=run, top_m=5, by=ORGANIZER)
        assert session.scalar(select(Advancement)) is None


def test_the_public_page_lists_winners_and_no_confidential_field(client, demo, session_factory):
    with session_factory() as session:
        run = _approved_run(session, CategoryKey.OPERATING_METHOD)
        category = session.get(Category, run.category_id)
        first = min(run.entries, key=lambda e: e.rank)
        named = award_service.name_method(session, nomination_id=first.nomination_id, by=ORGANIZER)
        with pytest.raises(Refused, match="needs the committee's approval"):
            award_service.publish(session, category=category, by=ORGANIZER)
        _committee_approves(session, category)
        published = award_service.publish(session, category=category, by=ORGANIZER)
        session.commit()
        assert len(published) == 10
        winners = {p.nomination_id for p in published}
        identities = session.scalars(select(NominationIdentity).where(
            NominationIdentity.nomination_id.in_(winners))).all()
        nominations = session.scalars(select(Nomination).where(Nomination.id.in_(winners))).all()
        secrets = [s for i in identities for s in (i.contact_phone, i.contact_email, *i.patents, *i.inventors[1:])]
        secrets += [n.body for n in nominations]
        firsts = [i.inventors[0] for i in identities]
        with pytest.raises(Refused, match="already published"):
            award_service.publish(session, category=category, by=ORGANIZER)
    page = client.get("/public/winners")  # anonymous visitors may read it
    assert page.status_code == 200
    assert named.name in page.text and named.name.endswith(("操作法", "作业法", "工作法", "检修法"))
    for name in firsts:
        assert name in page.text
    leaked = [s for s in secrets if s and s in page.text]
    assert leaked == []
    # Judges' codes and scores are not published either.
    assert first.code not in page.text
    found = client.get("/public/winners", params={"q": named.name}).text
    assert named.name in found and found.count('class="card winner"') == 1
    assert client.get("/public/winners", params={"q": "不存在的成果"}).text.count('class="card winner"') == 0


def _publications(session_factory) -> int:
    """Winners published from the 2026 edition (the demo's 2025 edition is published already)."""
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(Publication).where(Publication.year == 2026))


def _refusals(session_factory) -> list[tuple[str, dict]]:
    """Refused publications on the record: by the route's guard, or by the service once past it."""
    with session_factory() as session:
        return [(e.action, json.loads(e.body)["data"]) for e in session.scalars(select(audit.AuditEvent).where(
            audit.AuditEvent.action.in_(["permission.refused", "category.publication_refused"]))
            .order_by(audit.AuditEvent.seq))]


def test_publishing_an_online_run_is_refused_until_the_committee_approves_then_confirmed_with_what_goes_public(
        client, demo, session_factory):
    with session_factory() as session:
        run = _approved_run(session, CategoryKey.OPERATING_METHOD)
        category_id = run.category_id
        session.commit()
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    page = client.get("/results/awards")
    assert page.status_code == 200
    assert 'id="award-operating_method"' in page.text and "五一劳动奖章推荐名单" in page.text
    assert "以创造者姓名命名" in page.text
    # The button is shown disabled with its reason, and the route refuses with the same reason (audited).
    section = page.text[page.text.index('id="publication-operating_method"'):]
    assert "disabled" in section[:600] and "需经评审委员会审定" in section[:600] and "网络评审" in section[:600]
    assert f'href="/results/awards/{category_id}/publish"' not in page.text
    assert client.get(f"/results/awards/{category_id}/publish").status_code == 403
    token = csrf_token(client, "/results/awards")
    refused = client.post(f"/results/awards/{category_id}/publish", data={"_csrf_token": token})
    assert refused.status_code == 403 and "需经评审委员会审定" in refused.text and "网络评审" in refused.text
    assert _publications(session_factory) == 0
    refusals = _refusals(session_factory)
    assert [action for action, _data in refusals] == ["permission.refused"] * 2  # the confirmation page, the POST
    assert refusals[-1][1]["reason"] == ("Publishing needs the committee's approval (Final approval); this "
                                         "category is in {stage}.")
    assert refusals[-1][1]["params"] == {"stage": "Online review"}

    with session_factory() as session:
        approved = _committee_approves(session, session.get(Category, category_id))
        session.commit()
    confirm = client.get(f"/results/awards/{category_id}/publish")
    assert confirm.status_code == 200
    for winner in approved:  # exactly what goes public: names, employers, and the run it comes from
        assert winner.first_inventor in confirm.text and winner.employer in confirm.text
    assert f"/results/runs/{run.id}" in confirm.text and "苏工〔2026〕9号" in confirm.text
    assert _publications(session_factory) == 0  # the confirmation page publishes nothing
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', confirm.text).group(1)
    token = csrf_token(client, f"/results/awards/{category_id}/publish")
    stale = client.post(f"/results/awards/{category_id}/publish", data={"_csrf_token": token, "digest": "0" * 64})
    assert stale.status_code == 409 and _publications(session_factory) == 0
    done = client.post(f"/results/awards/{category_id}/publish", data={"_csrf_token": token, "digest": digest},
                       follow_redirects=False)
    assert done.status_code in (302, 303) and _publications(session_factory) == len(approved)
    again = client.post(f"/results/awards/{category_id}/publish", data={"_csrf_token": token, "digest": digest})
    assert again.status_code == 403 and "已经发布" in again.text
    assert _publications(session_factory) == len(approved)
    assert [action for action, _data in _refusals(session_factory)] == [
        "permission.refused", "permission.refused", "category.publication_refused", "permission.refused"]
    public = client.get("/public/winners").text
    assert all(w.first_inventor in public for w in approved)
