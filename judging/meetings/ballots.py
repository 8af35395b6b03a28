"""Voting in a panel meeting: a member's secret online ballot, paper ballots received, entered and
confirmed by two organizers, and closing the vote.

What is written for a ballot is chosen so that nobody can tell how a member voted (see
``judging.meetings.models``): the audit event of a ballot names the member and never the choices;
refusals never repeat them either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from judging import audit
from judging.accounts import actor_of
from judging.accounts.models import User
from judging.db.base import utcnow
from judging.errors import N_, Conflict, NotFound
from judging.meetings.models import (
    Choice, Meeting, MeetingMember, MeetingNomination, MeetingStatus, PaperBallot, PaperStatus,
)
from judging.meetings.rules import (
    ONLINE, PAPER, MeetingError, audit_meeting, member_of, present_by_nomination, recusals, require_status, seats,
)
from judging.panels.models import Expert


def member_for_user(session: Session, *, meeting_id: int, user: User) -> MeetingMember:
    """The seat ``user`` holds in the meeting; NotFound for anyone else (judges' object-level check)."""
    member = session.scalar(select(MeetingMember).join(Expert, Expert.id == MeetingMember.expert_id)
                            .where(MeetingMember.meeting_id == meeting_id, Expert.user_id == user.id))
    if member is None:
        raise NotFound("meeting")
    return member


def meetings_of_user(session: Session, *, user: User) -> list[tuple[Meeting, MeetingMember]]:
    rows = session.execute(select(Meeting, MeetingMember).join(MeetingMember, MeetingMember.meeting_id == Meeting.id)
                           .join(Expert, Expert.id == MeetingMember.expert_id)
                           .where(Expert.user_id == user.id, Meeting.status != MeetingStatus.CANCELLED)
                           .order_by(Meeting.id.desc()))
    return list(rows)


def ballot_items(session: Session, *, meeting: Meeting, member: MeetingMember) -> list[MeetingNomination]:
    """The shortlisted nominations on this member's ballot (those the member is not recused from)."""
    recused = {nid for mid, nid in recusals(session, meeting) if mid == member.id}
    return [row for row in meeting.shortlist if row.nomination_id not in recused]


def window_open(meeting: Meeting, now: dt.datetime) -> bool:
    return meeting.status is MeetingStatus.VOTING and meeting.opens_at <= now < meeting.closes_at


def _check_may_vote(session: Session, meeting: Meeting, member: MeetingMember,
                    now: dt.datetime) -> list[MeetingNomination]:
    if meeting.status is not MeetingStatus.VOTING:
        raise MeetingError(N_("Voting is not open."))
    if now < meeting.opens_at:
        raise MeetingError(N_("Voting has not started yet."))
    if now >= meeting.closes_at:
        raise MeetingError(N_("Voting has closed."))
    if member.replaced:
        raise MeetingError(N_("This member has been replaced by a substitute."))
    if member.present is not True:
        raise MeetingError(N_("Only members present can vote."))
    if member.ballot_cast:
        raise Conflict(N_("This member has already voted; a ballot cannot be cast twice."))
    items = ballot_items(session, meeting=meeting, member=member)
    if not items:
        raise MeetingError(N_("This member is recused from every shortlisted nomination."))
    return items


def _mark_cast(session: Session, meeting: Meeting, member: MeetingMember, method: str) -> None:
    # The guarded UPDATE makes two simultaneous ballots of one member impossible: only one sees the row unflagged.
    done = session.execute(update(MeetingMember).where(MeetingMember.id == member.id,
                                                       MeetingMember.ballot_cast.is_(False))
                           .values(ballot_cast=True, ballot_method=method).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(N_("This member has already voted; a ballot cannot be cast twice."))
    session.expire(member, ["ballot_cast", "ballot_method"])


def _add_counts(session: Session, meeting: Meeting, choices: Mapping[int, Choice]) -> None:
    # Increments in the database (not read-modify-write), so concurrent ballots all count.
    for nomination_id, choice in sorted(choices.items()):
        column = {Choice.AGREE: MeetingNomination.agree, Choice.DISAGREE: MeetingNomination.disagree,
                  Choice.ABSTAIN: MeetingNomination.abstain}[choice]
        session.execute(update(MeetingNomination).where(MeetingNomination.meeting_id == meeting.id,
                                                        MeetingNomination.nomination_id == nomination_id)
                        .values({column.key: column + 1}).execution_options(synchronize_session=False))
    for row in meeting.shortlist:
        session.expire(row, ["agree", "disagree", "abstain"])


def _parse_choices(raw: Mapping[int, str | Choice], allowed: set[int], *, complete: bool) -> dict[int, Choice]:
    try:
        choices = {int(nid): Choice(value) for nid, value in raw.items() if value not in ("", None)}
    except ValueError:
        raise MeetingError(N_("Each choice must be agree, disagree or abstain.")) from None
    if set(choices) - allowed:
        raise MeetingError(N_("The ballot names a nomination that is not on it."))
    if complete and set(choices) != allowed:
        raise MeetingError(N_("Choose agree, disagree or abstain for every nomination on the ballot."))
    return choices


def check_ballot(session: Session, *, meeting: Meeting, member: MeetingMember, choices: Mapping[int, str | Choice],
                 now: dt.datetime | None = None) -> dict[int, Choice]:
    """Whether the member may cast these choices now (the member's review step); stores nothing."""
    items = _check_may_vote(session, meeting, member, now or utcnow())
    return _parse_choices(choices, {row.nomination_id for row in items}, complete=True)


def cast_ballot(session: Session, *, meeting: Meeting, user: User, choices: Mapping[int, str | Choice],
                now: dt.datetime | None = None) -> MeetingMember:
    """A member's own ballot: one choice for every nomination on it, counted at once, only once."""
    member = member_for_user(session, meeting_id=meeting.id, user=user)
    parsed = check_ballot(session, meeting=meeting, member=member, choices=choices, now=now)
    _mark_cast(session, meeting, member, ONLINE)
    _add_counts(session, meeting, parsed)
    audit_meeting(session, actor_of(user), "meeting.ballot_cast", meeting, member=member.id,
           expert=member.expert_id, method=ONLINE)
    return member


def receive_paper_ballot(session: Session, *, meeting: Meeting, member_id: int, by: audit.Actor,
                         now: dt.datetime | None = None) -> MeetingMember:
    """The secretary records that a member put a (sealed, anonymous) paper ballot in the box."""
    now = now or utcnow()
    member = member_of(meeting, member_id)
    _check_may_vote(session, meeting, member, now)
    _mark_cast(session, meeting, member, PAPER)
    audit_meeting(session, by, "meeting.ballot_cast", meeting, member=member.id, expert=member.expert_id, method=PAPER)
    return member


def close_voting(session: Session, *, meeting: Meeting, by: audit.Actor, now: dt.datetime | None = None) -> Meeting:
    require_status(meeting, MeetingStatus.VOTING)
    meeting.status, meeting.voting_closed_at = MeetingStatus.CLOSED, now or utcnow()
    audit_meeting(session, by, "meeting.voting_closed", meeting,
           ballots=sum(1 for m in seats(meeting) if m.ballot_cast))
    return meeting


def ensure_closed(session: Session, meeting: Meeting, by: audit.Actor, now: dt.datetime) -> None:
    """Voting is over when the organizer closed it or its window has ended (then it is closed now)."""
    if meeting.status is MeetingStatus.VOTING and now >= meeting.closes_at:
        close_voting(session, meeting=meeting, by=by, now=now)
    require_status(meeting, MeetingStatus.CLOSED)


def _paper(session: Session, meeting: Meeting, entry_id: int) -> PaperBallot:
    entry = session.get(PaperBallot, entry_id)
    if entry is None or entry.meeting_id != meeting.id:
        raise NotFound("paper ballot")
    return entry


def paper_counts(session: Session, meeting: Meeting) -> dict[PaperStatus, int]:
    counts = {status: 0 for status in PaperStatus}
    for status in session.scalars(select(PaperBallot.status).where(PaperBallot.meeting_id == meeting.id)):
        counts[status] += 1
    return counts


def enter_paper_ballot(session: Session, *, meeting: Meeting, choices: Mapping[int, str | Choice],
                       by: audit.Actor, now: dt.datetime | None = None) -> PaperBallot:
    """After voting closes, the secretary enters one paper from the box (a blank item is left out).
    It counts only once a different organizer confirms it."""
    now = now or utcnow()
    ensure_closed(session, meeting, by, now)
    parsed = _parse_choices(choices, {row.nomination_id for row in meeting.shortlist}, complete=False)
    if not parsed:
        raise MeetingError(N_("The paper ballot is blank; enter at least one choice."))
    received = sum(1 for m in seats(meeting) if m.ballot_method == PAPER)
    counts = paper_counts(session, meeting)
    if counts[PaperStatus.PENDING] + counts[PaperStatus.CONFIRMED] >= received:
        raise MeetingError(N_("Every paper ballot handed in ({count}) has been entered already."), count=received)
    entry = PaperBallot(meeting_id=meeting.id, status=PaperStatus.PENDING,
                        choices={str(nid): choice.value for nid, choice in sorted(parsed.items())},
                        entered_by_id=by.id)
    session.add(entry)
    session.flush()
    audit_meeting(session, by, "meeting.paper_ballot_entered", meeting, entry=entry.id)
    return entry


def _pending_paper(session: Session, meeting: Meeting, entry_id: int) -> PaperBallot:
    """A paper entry of a closed meeting that is neither confirmed nor discarded yet."""
    require_status(meeting, MeetingStatus.CLOSED)
    entry = _paper(session, meeting, entry_id)
    if entry.status is not PaperStatus.PENDING:
        raise Conflict(N_("This paper ballot has already been confirmed or discarded."))
    return entry


def confirm_paper_ballot(session: Session, *, meeting: Meeting, entry_id: int, by: audit.Actor) -> PaperBallot:
    """A second organizer checks the entry against the paper; it is then counted and its choices erased."""
    entry = _pending_paper(session, meeting, entry_id)
    if by.id is None or by.id == entry.entered_by_id:
        raise MeetingError(N_("A paper ballot must be confirmed by an organizer other than the one who entered it."))
    choices = {int(nid): Choice(value) for nid, value in entry.choices.items()}
    eligible = present_by_nomination(session, meeting)
    by_id = {row.nomination_id: row for row in meeting.shortlist}
    for nid in choices:
        row = by_id[nid]
        if row.agree + row.disagree + row.abstain + 1 > eligible[nid][1]:
            raise MeetingError(N_("This paper would give a nomination more votes than members present; discard it."))
    _add_counts(session, meeting, choices)
    entry.status, entry.choices, entry.decided_by_id = PaperStatus.CONFIRMED, None, by.id
    audit_meeting(session, by, "meeting.paper_ballot_confirmed", meeting, entry=entry.id)
    return entry


def discard_paper_ballot(session: Session, *, meeting: Meeting, entry_id: int, by: audit.Actor) -> PaperBallot:
    entry = _pending_paper(session, meeting, entry_id)
    entry.status, entry.choices, entry.decided_by_id = PaperStatus.DISCARDED, None, by.id
    audit_meeting(session, by, "meeting.paper_ballot_discarded", meeting, entry=entry.id)
    return entry


def pending_papers(session: Session, *, meeting: Meeting) -> list[PaperBallot]:
    return list(session.scalars(select(PaperBallot).where(PaperBallot.meeting_id == meeting.id,
                                                          PaperBallot.status == PaperStatus.PENDING)
                                .order_by(PaperBallot.id)))
