"""Changing who judges what once scoring has begun: an expert drops out of a round, or one assignment
goes to another expert. Here, because the rule that decides it is scoring's: a submitted sheet stands.

The assignment side of each change (conflicts, load caps, the committed plan) is the panels part's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit, notifications
from judging.db.base import utcnow
from judging.editions.models import Edition, Round, RoundStatus
from judging.errors import N_, Conflict, JudgingError, NotFound
from judging.nominations.models import Nomination
from judging.panels import conflicts, service as panels
from judging.panels.models import Assignment, Expert
from judging.scoring.models import ScoreSheet, SheetStatus


def _submitted_assignment_ids(session: Session, assignment_ids: Sequence[int]) -> set[int]:
    if not assignment_ids:
        return set()
    return set(session.scalars(select(ScoreSheet.assignment_id).where(
        ScoreSheet.assignment_id.in_(list(assignment_ids)), ScoreSheet.status == SheetStatus.SUBMITTED)))


def withdraw_expert(session: Session, *, round_id: int, expert_id: int, reason: str, by: audit.Actor,
                    now: dt.datetime | None = None) -> list[int]:
    """An expert drops out of a round: their assignments without a submitted sheet are withdrawn
    (submitted ones stand). Returns the withdrawn assignment ids; audited. Refill afterwards."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise JudgingError(N_("Give the reason why the expert drops out."))
    round_ = session.get(Round, round_id)
    expert = session.get(Expert, expert_id)
    if round_ is None or expert is None:
        raise NotFound("expert")
    if round_.status is RoundStatus.CLOSED:
        raise Conflict(N_("The round is closed."))
    assignments = list(session.scalars(select(Assignment).where(
        Assignment.round_id == round_id, Assignment.expert_id == expert_id, Assignment.withdrawn_at.is_(None))))
    submitted = _submitted_assignment_ids(session, [a.id for a in assignments])
    withdrawn = []
    for assignment in assignments:
        if assignment.id in submitted:
            continue
        assignment.withdrawn_at = now
        assignment.withdrawn_reason = reason
        withdrawn.append(assignment.id)
    session.flush()
    audit.append(session, actor=by, action="expert.dropped_out", object_type="expert", object_id=expert_id,
                 data={"round_id": round_id, "reason": reason, "withdrawn": withdrawn}, at=now)
    notifications.queue(session, event="items_withdrawn", by=by,
                        to=notifications.users(session, [expert.user_id][:len(withdrawn)]),
                        count=len(withdrawn), round=round_.name, link="/judge")
    return withdrawn


def swap_expert(session: Session, *, assignment_id: int, expert_id: int, reason: str, by: audit.Actor,
                now: dt.datetime | None = None) -> Assignment:
    """Replace the expert of one assignment by another, checked for conflicts and caps. Audited.

    The old assignment is withdrawn (kept on record), a new one is added; a submitted sheet
    cannot be swapped away.
    """
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise JudgingError(N_("Give the reason for the change."))
    old = session.get(Assignment, assignment_id)
    if old is None or old.withdrawn_at is not None:
        raise NotFound("assignment")
    round_ = session.get(Round, old.round_id)
    if round_.status is RoundStatus.CLOSED:
        raise Conflict(N_("The round is closed."))
    if _submitted_assignment_ids(session, [old.id]):
        raise Conflict(N_("This judge has submitted the sheet; it cannot be swapped."))
    expert = session.get(Expert, expert_id)
    if expert is None:
        raise NotFound("expert")
    if not expert.active:
        raise Conflict(N_("{name} is deactivated."), name=expert.name)
    if expert.id == old.expert_id or session.scalar(select(Assignment.id).where(
            Assignment.round_id == old.round_id, Assignment.nomination_id == old.nomination_id,
            Assignment.expert_id == expert.id)) is not None:
        raise Conflict(N_("{name} already has (or had) this nomination in this round."), name=expert.name)
    nomination = session.get(Nomination, old.nomination_id)
    plan = panels.committed_plan(session, round_id=round_.id, category_id=nomination.category_id)
    edition = session.get(Edition, round_.edition_id)
    same_city = bool(plan.settings.get("same_city")) if plan else conflicts.same_city_rule(edition, round_)
    reasons = conflicts.pair_reasons(session, nomination_id=old.nomination_id, expert=expert,
                                         same_city=same_city)
    if reasons:
        raise Conflict(N_("{name} has a conflict of interest with this nomination ({reasons})."),
                       name=expert.name, reasons=", ".join(reasons))
    load = panels.round_loads(session, round_id=round_.id).get(expert.id, 0)
    if load + 1 > expert.max_load:
        raise Conflict(N_("{name} is at their load cap ({cap})."), name=expert.name, cap=expert.max_load)
    old.withdrawn_at = now
    old.withdrawn_reason = reason
    new = Assignment(round_id=old.round_id, nomination_id=old.nomination_id, expert_id=expert.id, created_at=now)
    session.add(new)
    session.flush()
    audit.append(session, actor=by, action="assignment.swapped", object_type="assignment", object_id=new.id,
                 data={"round_id": old.round_id, "nomination_id": old.nomination_id, "from_expert": old.expert_id,
                       "to_expert": expert.id, "withdrawn_assignment": old.id, "reason": reason}, at=now)
    for event, judge in (("items_withdrawn", old.expert_id), ("items_assigned", expert.id)):  # notify both judges
        notifications.queue(session, event=event, to=select(Expert.user_id).where(Expert.id == judge), by=by, count=1,
                            round=round_.name, deadline=round_.deadline_at, link="/judge")
    return new
