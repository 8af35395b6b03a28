"""Setting a panel meeting up: the shortlist, members and chair, attendance, substitutes and recusals,
until opening the vote freezes the roster."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit, notifications
from judging.accounts.models import Role, User
from judging.db.base import utcnow
from judging.editions.models import Category, Edition, Round, RoundKind
from judging.errors import N_, Conflict, NotFound
from judging.meetings.keys import fingerprint, make_key
from judging.meetings.models import Meeting, MeetingMember, MeetingNomination, MeetingRecusal, MeetingStatus, RecusalSource
from judging.meetings.rules import (
    DEFAULT_FRACTION, MeetingError, audit_meeting, check_fraction, current_meeting, member_of, recusals,
    require_status, seats,
)
from judging.nominations.models import NominationIdentity
from judging.panels.conflicts import SAME_CITY, conflict_set, same_city_rule
from judging.panels.models import Expert
from judging.results.models import ResultRun, RunApproval
from judging.stages.models import StageKind
from judging.stages.service import require_open


def automatic_recusals(session: Session, meeting: Meeting) -> dict[tuple[int, int], list[str]]:
    """(member id, nomination id) -> reasons, from the panels part's conflicts as they stand now."""
    holders = seats(meeting)
    if not holders or not meeting.shortlist:
        return {}
    ids = [row.nomination_id for row in meeting.shortlist]
    people = {i.nomination_id: i for i in session.scalars(
        select(NominationIdentity).where(NominationIdentity.nomination_id.in_(ids)))}
    experts = [session.get(Expert, m.expert_id) for m in holders]
    edition = session.get(Edition, meeting.edition_id)
    final = session.scalar(select(Round).where(Round.edition_id == edition.id, Round.kind == RoundKind.FINAL))
    same_city = same_city_rule(edition, final)
    nominations = [(nid, people[nid].employer if nid in people else "", people[nid].city if nid in people else "")
                   for nid in ids]
    found = conflict_set(session, nominations=nominations, experts=experts, same_city=same_city)
    out: dict[tuple[int, int], list[str]] = {}
    rows, cols = found.matrix.nonzero()
    for i, j in zip(rows.tolist(), cols.tolist()):
        out[(holders[j].id, ids[i])] = found.reasons.get((i, j)) or [SAME_CITY]
    return out


def _approved_run(session: Session, *, run_id: int, category_id: int) -> ResultRun:
    run = session.get(ResultRun, run_id)
    if run is None or run.category_id != category_id:
        raise NotFound("run")
    approved = session.scalar(select(RunApproval).where(RunApproval.run_id == run.id))
    if approved is None:
        raise MeetingError(N_("The shortlist must come from an approved result run."))
    return run


def _voting_member_expert(session: Session, expert_id: int) -> Expert:
    expert = session.get(Expert, expert_id)
    if expert is None:
        raise NotFound("expert")
    user = session.get(User, expert.user_id) if expert.user_id is not None else None
    if user is None or user.role is not Role.JUDGE or not user.active or not expert.active:
        raise MeetingError(N_("{name} has no active judge account to vote with."), name=expert.name)
    return expert


def _shortlist_rows(run: ResultRun, nomination_ids: list[int]) -> list[MeetingNomination]:
    entries = {e.nomination_id: e for e in run.entries}
    unknown = [nid for nid in nomination_ids if nid not in entries]
    if unknown:
        raise MeetingError(N_("Only nominations of the run can be shortlisted."))
    if not nomination_ids:
        raise MeetingError(N_("Shortlist at least one nomination."))
    chosen = sorted({entries[nid] for nid in nomination_ids}, key=lambda e: (e.rank, e.code))
    return [MeetingNomination(nomination_id=e.nomination_id, rank=e.rank, code=e.code) for e in chosen]


def create_meeting(session: Session, *, category_id: int, run_id: int, top_m: int, member_expert_ids: list[int],
                   chair_expert_id: int, opens_at: dt.datetime, closes_at: dt.datetime,
                   quorum: Fraction = DEFAULT_FRACTION, threshold: Fraction = DEFAULT_FRACTION,
                   by: audit.Actor) -> Meeting:
    """A meeting for the category: the top ``top_m`` of an approved run, its members and chair, the
    voting window and the two fractions. Needs the category's panel-meeting stage open."""
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound("category")
    require_open(session, category_id=category_id, kind=StageKind.PANEL_MEETING)
    if current_meeting(session, category_id=category_id) is not None:
        raise Conflict(N_("This category already has a panel meeting; cancel it first."))
    run = _approved_run(session, run_id=run_id, category_id=category_id)
    if top_m < 1:
        raise MeetingError(N_("Shortlist at least one nomination."))
    if closes_at <= opens_at:
        raise MeetingError(N_("Voting must close after it opens."))
    check_fraction(quorum, field=N_("Quorum"))
    check_fraction(threshold, field=N_("Pass threshold"))
    member_ids = list(dict.fromkeys(member_expert_ids))
    if not member_ids:
        raise MeetingError(N_("Choose the members of the panel."))
    if chair_expert_id not in member_ids:
        raise MeetingError(N_("The chair must be one of the members."))
    experts = [_voting_member_expert(session, expert_id) for expert_id in member_ids]
    meeting = Meeting(edition_id=category.edition_id, category_id=category.id, run_id=run.id,
                      status=MeetingStatus.SETUP, opens_at=opens_at, closes_at=closes_at,
                      quorum_num=quorum.numerator, quorum_den=quorum.denominator,
                      threshold_num=threshold.numerator, threshold_den=threshold.denominator,
                      created_by_id=by.id, cancel_reason="")
    top = [e.nomination_id for e in run.entries if e.rank <= top_m]
    meeting.shortlist = _shortlist_rows(run, top)
    meeting.members = [MeetingMember(expert_id=e.id, is_chair=e.id == chair_expert_id, replaced=False,
                                     ballot_cast=False, ballot_method="") for e in experts]
    session.add(meeting)
    audit_meeting(session, by, "meeting.created", meeting, run_id=run.id, top_m=top_m,
           shortlist=[row.nomination_id for row in meeting.shortlist], members=member_ids, chair=chair_expert_id,
           opens_at=opens_at, closes_at=closes_at, quorum=str(quorum), threshold=str(threshold))
    return meeting


def set_shortlist(session: Session, *, meeting: Meeting, nomination_ids: list[int], by: audit.Actor) -> Meeting:
    """Adjust the shortlist (any nominations of the meeting's run) before voting opens."""
    require_status(meeting, MeetingStatus.SETUP)
    run = _approved_run(session, run_id=meeting.run_id, category_id=meeting.category_id)
    rows = _shortlist_rows(run, list(dict.fromkeys(nomination_ids)))
    wanted = {row.nomination_id: row for row in rows}
    session.execute(MeetingRecusal.__table__.delete().where(
        MeetingRecusal.meeting_id == meeting.id, MeetingRecusal.nomination_id.not_in(list(wanted))))
    meeting.shortlist = [row for row in meeting.shortlist if row.nomination_id in wanted] + [
        row for nid, row in wanted.items() if nid not in {r.nomination_id for r in meeting.shortlist}]
    session.flush()
    session.expire(meeting, ["shortlist"])
    audit_meeting(session, by, "meeting.shortlist_set", meeting, shortlist=list(wanted))
    return meeting


def record_attendance(session: Session, *, meeting: Meeting, member_id: int, present: bool,
                      by: audit.Actor) -> MeetingMember:
    require_status(meeting, MeetingStatus.SETUP)
    member = member_of(meeting, member_id)
    if member.replaced or member.substitute_for_id is not None:
        raise MeetingError(N_("A substitution is recorded for this seat; its attendance is settled."))
    member.present = present
    audit_meeting(session, by, "meeting.attendance_recorded", meeting, member=member.id, expert=member.expert_id, present=present)
    return member


def add_substitute(session: Session, *, meeting: Meeting, absent_member_id: int, expert_id: int,
                   approved_by_member_id: int, by: audit.Actor) -> MeetingMember:
    """An absent member's seat goes to ``expert_id``, with the approval of the chair (recorded)."""
    require_status(meeting, MeetingStatus.SETUP)
    absent = member_of(meeting, absent_member_id)
    approver = member_of(meeting, approved_by_member_id)
    if not approver.is_chair or approver.replaced:
        raise MeetingError(N_("Only the chair can approve a substitute."))
    if approver.present is not True:
        raise MeetingError(N_("The chair must be present to approve a substitute."))
    if absent.present is not False or absent.replaced:
        raise MeetingError(N_("Only a member recorded as absent can be replaced."))
    if absent.is_chair:
        raise MeetingError(N_("The chair cannot be replaced by a substitute."))
    if any(m.expert_id == expert_id for m in meeting.members):
        raise MeetingError(N_("This expert is already on the panel."))
    expert = _voting_member_expert(session, expert_id)
    substitute = MeetingMember(expert_id=expert.id, is_chair=False, present=True, substitute_for_id=absent.id,
                               approved_by_member_id=approver.id, replaced=False, ballot_cast=False,
                               ballot_method="")
    absent.replaced = True
    meeting.members.append(substitute)
    audit_meeting(session, by, "meeting.substitute_seated", meeting, absent_member=absent.id, absent_expert=absent.expert_id,
           substitute_expert=expert.id, approved_by_member=approver.id, approved_by_expert=approver.expert_id)
    return substitute


def record_recusal(session: Session, *, meeting: Meeting, member_id: int, nomination_id: int, reason: str,
                   by: audit.Actor) -> MeetingRecusal:
    """A member declares at the meeting that they take no part in one nomination's vote."""
    require_status(meeting, MeetingStatus.SETUP)
    member = member_of(meeting, member_id)
    if member.replaced:
        raise MeetingError(N_("This member has been replaced by a substitute."))
    if nomination_id not in {row.nomination_id for row in meeting.shortlist}:
        raise NotFound("nomination")
    reason = (reason or "").strip()
    if not reason:
        raise MeetingError(N_("Give the reason for the recusal."))
    if (member.id, nomination_id) in recusals(session, meeting):
        raise Conflict(N_("This recusal is already recorded."))
    row = MeetingRecusal(meeting_id=meeting.id, member_id=member.id, nomination_id=nomination_id,
                         source=RecusalSource.RECORDED, reason=reason)
    session.add(row)
    audit_meeting(session, by, "meeting.recusal_recorded", meeting, member=member.id, expert=member.expert_id,
           nomination=nomination_id, reason=reason)
    return row


def open_voting(session: Session, *, meeting: Meeting, by: audit.Actor, now: dt.datetime | None = None) -> Meeting:
    """Freeze the roster and open the ballot: everyone's attendance must be recorded and both key shares
    made. The conflicts known now become recusals, so that a conflict entered later cannot change a count
    already cast; the meeting's key pair is made now (``keys.make_key``)."""
    now = now or utcnow()
    require_status(meeting, MeetingStatus.SETUP)
    require_open(session, category_id=meeting.category_id, kind=StageKind.PANEL_MEETING)
    if now >= meeting.closes_at:
        raise MeetingError(N_("The voting window has already ended."))
    if not meeting.shortlist:
        raise MeetingError(N_("Shortlist at least one nomination."))
    missing = [m for m in seats(meeting) if m.present is None]
    if missing:
        raise MeetingError(N_("Record the attendance of every member first ({count} missing)."), count=len(missing))
    stored = recusals(session, meeting)
    added = 0
    for (member_id, nomination_id), reasons in sorted(automatic_recusals(session, meeting).items()):
        if (member_id, nomination_id) not in stored:
            session.add(MeetingRecusal(meeting_id=meeting.id, member_id=member_id, nomination_id=nomination_id,
                                       source=RecusalSource.AUTOMATIC, reason=",".join(reasons)))
            added += 1
    session.flush()
    key = make_key(session, meeting)
    meeting.status, meeting.voting_opened_at = MeetingStatus.VOTING, now
    audit_meeting(session, by, "meeting.voting_opened", meeting, automatic_recusals=added, key=fingerprint(key))
    notifications.queue(session, event="ballot_opened", by=by, to=select(Expert.user_id).where(Expert.id.in_(
        [m.expert_id for m in seats(meeting) if m.present])), category=session.get(Category, meeting.category_id).name,
        closes=meeting.closes_at, link="/judge/meetings")
    return meeting
