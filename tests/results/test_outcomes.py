"""Outcomes of approved runs: advancing to the final, unblinding, award lists, the May Day medal list,
named operating methods, and the public page (no confidential field)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from helpers import login
from judging import audit
from judging.demo import DEMO_PASSWORDS
from judging.editions.models import Category, CategoryKey, Edition
from judging.errors import Conflict
from judging.nominations.models import BlindCode, Nomination, NominationIdentity
from judging.awards import service as award_service
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


def test_may_day_list_is_exactly_the_first_inventors_of_the_approved_top_10s(session_factory, demo):
    with session_factory() as session:
        score_demo_category(session, CategoryKey.ACHIEVEMENT)
        achievement = _approved_run(session, CategoryKey.ACHIEVEMENT)
        method = _approved_run(session, CategoryKey.OPERATING_METHOD, unblind=False)
        session.commit()
        edition = session.scalar(select(Edition).order_by(Edition.year.desc()).limit(1))
        # Before the operating methods are unblinded, organizers get only the achievements' inventors.
        early = award_service.may_day_list(session, edition=edition, role="organizer")
        assert {m.category.key for m in early} == {CategoryKey.ACHIEVEMENT}
        service.unblind(session, run=method, reason="公示前揭盲", by=ORGANIZER)
        session.commit()
        expected = set()
        for run in (achievement, method):
            top = [e for e in run.entries if e.in_top and e.rank <= 10]
            assert len(top) == 10
            for entry in top:
                identity = session.get(NominationIdentity, entry.nomination_id)
                expected.add((run.category_id, entry.rank, identity.inventors[0]))
        medals = award_service.may_day_list(session, edition=edition, role="organizer")
        assert {(m.category.id, m.place, m.first_inventor) for m in medals} == expected
        assert len(medals) == 20
        assert {(m.category.id, m.place, m.first_inventor)
                for m in award_service.may_day_list(session, edition=edition, role="auditor")} == expected


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
        with pytest.raises(Conflict):
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


def test_award_page_shows_lists_and_the_may_day_section(client, demo, session_factory):
    with session_factory() as session:
        _approved_run(session, CategoryKey.OPERATING_METHOD)
        session.commit()
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    page = client.get("/results/awards")
    assert page.status_code == 200
    assert 'id="award-operating_method"' in page.text and "五一劳动奖章推荐名单" in page.text
    assert "在成果网公开发布" in page.text and "以创造者姓名命名" in page.text
