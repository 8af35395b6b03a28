"""Incremental reassignment: a declared conflict or a drop-out is refilled without touching other pairs."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from helpers import csrf_token, login
from judging import audit
from judging.accounts.models import User
from judging.audit.models import AuditEvent
from judging.demo import DEMO_PASSWORDS
from judging.editions.models import Round, RoundKind
from judging.errors import Conflict as ConflictError, JudgingError
from judging.panels import conflicts, service
from judging.panels.models import Assignment, Conflict, ConflictSource, Expert
from judging.scoring import roster
from judging.scoring.models import ScoreSheet

ORGANIZER = audit.Actor(None, "organizer")


def _active(s, round_id):
    return set(s.execute(select(Assignment.nomination_id, Assignment.expert_id).where(
        Assignment.round_id == round_id, Assignment.withdrawn_at.is_(None))).all())


def _open_assignment(s, username):
    user = s.scalar(select(User).where(User.username == username))
    expert = s.scalar(select(Expert).where(Expert.user_id == user.id))
    a = s.scalar(select(Assignment).outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
                 .where(Assignment.expert_id == expert.id, ScoreSheet.id.is_(None),
                        Assignment.withdrawn_at.is_(None)).order_by(Assignment.id).limit(1))
    return user, expert, a


def _check_round(s, round_id, k=5):
    """Every nomination exactly k active judges, loads within caps, no active pair conflicted."""
    from judging.nominations.models import NominationIdentity

    active = _active(s, round_id)
    per_nom = Counter(n for n, _ in active)
    assert set(per_nom.values()) == {k}
    loads = Counter(e for _, e in active)
    experts = s.scalars(select(Expert).order_by(Expert.id)).all()
    assert all(loads.get(e.id, 0) <= e.max_load for e in experts)
    ids = sorted(per_nom)
    idents = {i.nomination_id: i for i in s.scalars(select(NominationIdentity).where(
        NominationIdentity.nomination_id.in_(ids)))}
    found = conflicts.conflict_set(s, nominations=[(n, idents[n].employer, idents[n].city) for n in ids],
                                   experts=experts, same_city=False)
    row = {n: i for i, n in enumerate(ids)}
    col = {e.id: j for j, e in enumerate(experts)}
    assert not any(found.has(row[n], col[e]) for n, e in active)


def test_declared_conflict_is_replaced_without_touching_other_pairs(session_factory, demo):
    from judging.scoring.service import declare_conflict

    with session_factory() as s:
        preliminary = s.scalar(select(Round).where(Round.kind == RoundKind.PRELIMINARY))
        user, expert, a = _open_assignment(s, "judge01")
        nid = a.nomination_id
        before = _active(s, preliminary.id)
        declare_conflict(s, judge=user, assignment_id=a.id, reason="本人曾参与该项目的前期咨询")
        s.commit()
        assert (nid, expert.id) not in _active(s, preliminary.id)
        new = service.refill_round(s, round_id=preliminary.id, by=ORGANIZER)
        s.commit()
        assert len(new) == 1 and new[0][0] == nid and new[0][1] != expert.id
        after = _active(s, preliminary.id)
        assert after == (before - {(nid, expert.id)}) | set(new)
        _check_round(s, preliminary.id)
        stored = s.scalar(select(Conflict).where(Conflict.expert_id == expert.id, Conflict.nomination_id == nid))
        assert stored.source is ConflictSource.DECLARED
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "round.assignments_refilled"))
        assert event is not None
        # A second refill finds nothing to do.
        assert service.refill_round(s, round_id=preliminary.id, by=ORGANIZER) == []


def test_drop_out_withdraws_unsubmitted_items_and_refills_them(session_factory, demo):
    with session_factory() as s:
        preliminary = s.scalar(select(Round).where(Round.kind == RoundKind.PRELIMINARY))
        _user, expert, _a = _open_assignment(s, "judge05")
        before = _active(s, preliminary.id)
        withdrawn = roster.withdraw_expert(s, round_id=preliminary.id, expert_id=expert.id,
                                            reason="因病无法参加评审", by=ORGANIZER)
        assert withdrawn
        new = service.refill_round(s, round_id=preliminary.id, by=ORGANIZER)
        s.commit()
        assert len(new) == len(withdrawn)
        after = _active(s, preliminary.id)
        assert {p for p in before if p[1] != expert.id} <= after
        assert all(e != expert.id for _, e in new)
        _check_round(s, preliminary.id)


def test_refill_that_cannot_be_done_says_so_and_changes_nothing(session_factory, demo):
    with session_factory() as s:
        preliminary = s.scalar(select(Round).where(Round.kind == RoundKind.PRELIMINARY))
        loads = service.round_loads(s, round_id=preliminary.id)
        for expert in s.scalars(select(Expert)):
            expert.max_load = loads.get(expert.id, 0)  # nobody has room left
        _user, expert, a = _open_assignment(s, "judge03")
        a.withdrawn_at = a.created_at
        a.withdrawn_reason = "测试"
        s.flush()
        with pytest.raises(JudgingError) as info:
            service.refill_round(s, round_id=preliminary.id, by=ORGANIZER)
        assert "places free" in str(info.value)
        s.rollback()


def test_swap_is_checked_for_conflicts_and_audited(session_factory, demo):
    with session_factory() as s:
        preliminary = s.scalar(select(Round).where(Round.kind == RoundKind.PRELIMINARY))
        _user, expert, a = _open_assignment(s, "judge07")
        taken = {e for n, e in _active(s, preliminary.id) if n == a.nomination_id}
        loads = service.round_loads(s, round_id=preliminary.id)
        others = [e for e in s.scalars(select(Expert).order_by(Expert.id))
                  if e.id not in taken and loads.get(e.id, 0) < e.max_load]
        blocked, free = others[0], others[1]
        conflicts.add_conflict(s, expert_id=blocked.id, nomination_id=a.nomination_id, reason="同一课题组",
                               by=ORGANIZER)
        with pytest.raises(ConflictError):
            roster.swap_expert(s, assignment_id=a.id, expert_id=blocked.id, reason="调整", by=ORGANIZER)
        new = roster.swap_expert(s, assignment_id=a.id, expert_id=free.id, reason="专业更对口", by=ORGANIZER)
        s.commit()
        assert new.expert_id == free.id and s.get(Assignment, a.id).withdrawn_at is not None
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "assignment.swapped")) is not None
        _check_round(s, preliminary.id)


def test_refill_button_runs_the_job_and_fills_the_gap(client, session_factory, demo):
    with session_factory() as s:
        preliminary = s.scalar(select(Round).where(Round.kind == RoundKind.PRELIMINARY))
        _user, expert, a = _open_assignment(s, "judge06")
        a.withdrawn_at = a.created_at
        a.withdrawn_reason = "退出"
        s.commit()
        round_id = preliminary.id
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    token = csrf_token(client, "/organizer/panels/")
    response = client.post(f"/organizer/panels/rounds/{round_id}/refill", data={"_csrf_token": token},
                           follow_redirects=True)
    assert response.status_code == 200 and "succeeded" in response.text
    with session_factory() as s:
        _check_round(s, round_id)


def test_start_refill_is_what_a_declaration_calls(session_factory, demo, settings):
    """The hook for the judge's declare-conflict action: commit the declaration, then queue this."""
    from judging.jobs.models import Job, JobStatus
    from judging.panels.jobs import start_refill
    from judging.scoring.service import declare_conflict

    with session_factory() as s:
        preliminary = s.scalar(select(Round).where(Round.kind == RoundKind.PRELIMINARY))
        user, expert, a = _open_assignment(s, "judge04")
        if a is None:
            user, expert, a = _open_assignment(s, "judge08")
        declare_conflict(s, judge=user, assignment_id=a.id, reason="申报单位是本人兼职单位")
        s.commit()
        round_id, nid = preliminary.id, a.nomination_id
    job_id = start_refill(session_factory, round_id=round_id, by=audit.Actor(user.id, user.username),
                          database_url=settings.database_url)
    with session_factory() as s:
        job = s.get(Job, job_id)
        assert job.status is JobStatus.SUCCEEDED, job.error
        assert [p[0] for p in job.result["pairs"]] == [nid]
        _check_round(s, round_id)
