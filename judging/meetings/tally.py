"""Counting a panel meeting once voting is over, cancelling one that cannot count, and what the other
parts read of the outcome (the stage's blockers, the nominations passed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit
from judging.db.base import utcnow
from judging.editions.models import Category
from judging.errors import N_, Conflict
from judging.meetings.ballots import ensure_closed, paper_counts, pending_papers
from judging.meetings.models import Meeting, MeetingStatus, PaperStatus
from judging.meetings.rules import (
    PAPER, MeetingError, audit_meeting, current_meeting, present_by_nomination, quorum_of, seats, threshold_of,
)
from judging.stages.models import StageKind
from judging.stages.service import Blocker, require_open


@dataclass(frozen=True)
class Overall:
    seats: int
    present: int
    quorum_met: bool


def overall(meeting: Meeting) -> Overall:
    holders = seats(meeting)
    present = sum(1 for m in holders if m.present)
    return Overall(len(holders), present, bool(holders) and Fraction(present, len(holders)) >= quorum_of(meeting))


def decide(*, members: int, present: int, agree: int, quorum: Fraction, threshold: Fraction) -> tuple[bool, bool]:
    """(quorum met, passed) for one nomination; exact fractions, inclusive comparisons."""
    quorum_met = members > 0 and Fraction(present, members) >= quorum
    return quorum_met, quorum_met and present > 0 and Fraction(agree, present) >= threshold


def tally(session: Session, *, meeting: Meeting, by: audit.Actor, now: dt.datetime | None = None) -> Meeting:
    """Count once voting is over. Refused without quorum (the meeting is then cancelled and held again),
    while paper ballots wait for confirmation, or while papers handed in have not all been entered.
    A nomination whose recusals leave it without quorum is recorded as not valid (not passed)."""
    now = now or utcnow()
    require_open(session, category_id=meeting.category_id, kind=StageKind.PANEL_MEETING)
    if meeting.status is MeetingStatus.TALLIED:
        raise Conflict(N_("The votes of this meeting have already been tallied."))
    if meeting.status not in (MeetingStatus.VOTING, MeetingStatus.CLOSED) or (
            meeting.status is MeetingStatus.VOTING and now < meeting.closes_at):
        raise MeetingError(N_("Voting has not been closed yet."))
    whole = overall(meeting)
    if not whole.quorum_met:
        raise MeetingError(N_("No quorum: {present} of {seats} members present, {quorum} needed. The tally is not "
                              "valid; cancel this meeting and hold it again."),
                           present=whole.present, seats=whole.seats, quorum=str(quorum_of(meeting)))
    papers = paper_counts(session, meeting)
    if papers[PaperStatus.PENDING]:
        raise MeetingError(N_("{count} paper ballots wait for a second organizer's confirmation."),
                           count=papers[PaperStatus.PENDING])
    received = sum(1 for m in seats(meeting) if m.ballot_method == PAPER)
    if papers[PaperStatus.CONFIRMED] != received:
        raise MeetingError(N_("{received} paper ballots were handed in but {entered} have been entered and "
                              "confirmed."), received=received, entered=papers[PaperStatus.CONFIRMED])
    ensure_closed(session, meeting, by, now)
    eligible = present_by_nomination(session, meeting)
    results = []
    for row in meeting.shortlist:
        members, present = eligible[row.nomination_id]
        row.members, row.present = members, present
        row.quorum_met, row.passed = decide(members=members, present=present, agree=row.agree,
                                            quorum=quorum_of(meeting), threshold=threshold_of(meeting))
        results.append({"nomination": row.nomination_id, "members": members, "present": present,
                        "agree": row.agree, "disagree": row.disagree, "abstain": row.abstain,
                        "quorum_met": row.quorum_met, "passed": row.passed})
    meeting.status, meeting.tallied_at, meeting.tallied_by_id = MeetingStatus.TALLIED, now, by.id
    audit_meeting(session, by, "meeting.tallied", meeting, quorum=str(quorum_of(meeting)),
           threshold=str(threshold_of(meeting)), seats=whole.seats, present=whole.present, results=results)
    return meeting


def cancel_meeting(session: Session, *, meeting: Meeting, reason: str, by: audit.Actor) -> Meeting:
    """Abandon a meeting that has not been tallied (e.g. without quorum); its counters are cleared unread."""
    if meeting.status in (MeetingStatus.TALLIED, MeetingStatus.CANCELLED):
        raise MeetingError(N_("The meeting is over."))
    reason = (reason or "").strip()
    if not reason:
        raise MeetingError(N_("Give the reason for cancelling the meeting."))
    for row in meeting.shortlist:
        row.agree = row.disagree = row.abstain = 0
    for entry in pending_papers(session, meeting=meeting):
        entry.status, entry.choices, entry.decided_by_id = PaperStatus.DISCARDED, None, by.id
    meeting.status, meeting.cancel_reason = MeetingStatus.CANCELLED, reason
    audit_meeting(session, by, "meeting.cancelled", meeting, reason=reason)
    return meeting


def meeting_blockers(session: Session, category: Category) -> list[Blocker]:
    """What keeps the category's panel-meeting stage from closing (declared in judging.parts)."""
    meeting = current_meeting(session, category_id=category.id)
    if meeting is None:
        return [Blocker(N_("no panel meeting has been set up"))]
    if meeting.status in (MeetingStatus.SETUP, MeetingStatus.VOTING):
        return [Blocker(N_("the panel meeting's voting is not closed"))]
    if meeting.status is MeetingStatus.CLOSED:
        return [Blocker(N_("the panel meeting's votes have not been tallied"))]
    return []


def passed_nominations(session: Session, category_id: int) -> list[int] | None:
    """The nominations the category's tallied meeting passed, in the online run's rank order;
    None when the category has no tallied meeting."""
    meeting = session.scalar(select(Meeting).where(Meeting.category_id == category_id,
                                                   Meeting.status == MeetingStatus.TALLIED)
                             .order_by(Meeting.id.desc()).limit(1))
    if meeting is None:
        return None
    return [row.nomination_id for row in sorted(meeting.shortlist, key=lambda r: (r.rank, r.code)) if row.passed]
