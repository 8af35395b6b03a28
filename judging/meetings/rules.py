"""What every step of a panel meeting shares: its refusal, the lookups, the two fractions, the seats and
recusals that count, the status guard and the audit helper.

Counting rules (SPEC §3): for each shortlisted nomination, the seats that are not recused from it
are its members and those of them present its present count. The quorum holds when
present / members ≥ quorum and the nomination passes when agree / present ≥ threshold; both are
exact fractions (default 2/3), compared inclusively.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit
from judging.errors import N_, JudgingError, NotFound
from judging.meetings.models import Meeting, MeetingMember, MeetingRecusal, MeetingStatus, RecusalSource
from judging.nominations.models import Nomination
from judging.panels.conflicts import REASON_LABELS
from judging.results.models import ResultRun

DEFAULT_FRACTION = Fraction(2, 3)
ONLINE, PAPER = "online", "paper"


class MeetingError(JudgingError):
    """A meeting action refused; nothing was changed. Text parameters that are message ids (a field's
    label) are translated too; names and numbers pass through as they are."""

    def render(self, gettext) -> str:
        return gettext(self.message).format(**{k: gettext(v) if isinstance(v, str) else v
                                                for k, v in self.params.items()})


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("meeting")
    return meeting


def current_meeting(session: Session, *, category_id: int) -> Meeting | None:
    """The category's meeting that is not cancelled (there is at most one)."""
    return session.scalar(select(Meeting).where(Meeting.category_id == category_id,
                                                Meeting.status != MeetingStatus.CANCELLED)
                          .order_by(Meeting.id.desc()).limit(1))


def quorum_of(meeting: Meeting) -> Fraction:
    return Fraction(meeting.quorum_num, meeting.quorum_den)


def threshold_of(meeting: Meeting) -> Fraction:
    return Fraction(meeting.threshold_num, meeting.threshold_den)


def parse_fraction(text: str, *, field: str) -> Fraction:
    """"2/3", "0.75" or "1" as an exact fraction in (0, 1]; anything else is refused."""
    try:
        value = Fraction(str(text).strip().replace("／", "/"))
    except (ValueError, ZeroDivisionError):
        raise MeetingError(N_("{field} must be a fraction such as 2/3."), field=field) from None
    check_fraction(value, field=field)
    return value


def check_fraction(value: Fraction, *, field: str) -> None:
    if not 0 < value <= 1:
        raise MeetingError(N_("{field} must be more than 0 and at most 1."), field=field)


def seats(meeting: Meeting) -> list[MeetingMember]:
    """The members who count: everyone but those replaced by a substitute."""
    return [m for m in meeting.members if not m.replaced]


def chair_of(meeting: Meeting) -> MeetingMember | None:
    return next((m for m in meeting.members if m.is_chair), None)


def recusals(session: Session, meeting: Meeting) -> set[tuple[int, int]]:
    """(member id, nomination id) pairs stored for the meeting."""
    return {(member_id, nomination_id) for member_id, nomination_id in session.execute(
        select(MeetingRecusal.member_id, MeetingRecusal.nomination_id).where(MeetingRecusal.meeting_id == meeting.id))}


def audit_meeting(session: Session, by: audit.Actor, action: str, meeting: Meeting, **data: Any) -> None:
    """One audit event per change, on the meeting, naming its category (flushed first so new rows have ids)."""
    session.flush()
    audit.append(session, actor=by, action=action, object_type="meeting", object_id=meeting.id,
                 data={"category_id": meeting.category_id, **data})


def require_status(meeting: Meeting, *allowed: MeetingStatus) -> None:
    """Refuse a step outside the statuses it belongs to, saying what the first of them means."""
    if meeting.status not in allowed:
        messages = {
            MeetingStatus.SETUP: N_("This can only be done before voting opens."),
            MeetingStatus.VOTING: N_("Voting is not open."),
            MeetingStatus.CLOSED: N_("Voting has not been closed yet."),
        }
        raise MeetingError(messages.get(allowed[0], N_("The meeting is over.")))


def member_of(meeting: Meeting, member_id: int) -> MeetingMember:
    """The meeting's member with this id; NotFound for a member of another meeting (ids come from forms)."""
    member = next((m for m in meeting.members if m.id == member_id), None)
    if member is None:
        raise NotFound("member")
    return member


def present_by_nomination(session: Session, meeting: Meeting) -> dict[int, tuple[int, int]]:
    """nomination id -> (seats not recused, of them present)."""
    recused = recusals(session, meeting)
    holders = seats(meeting)
    out = {}
    for row in meeting.shortlist:
        eligible = [m for m in holders if (m.id, row.nomination_id) not in recused]
        out[row.nomination_id] = (len(eligible), sum(1 for m in eligible if m.present))
    return out


def recusal_reasons(recusal: MeetingRecusal) -> list[str]:
    """Message ids (automatic: the panels part's reason labels) or the organizer's own words."""
    if recusal.source is RecusalSource.AUTOMATIC:
        return [REASON_LABELS.get(code, code) for code in recusal.reason.split(",") if code]
    return [recusal.reason]


def titles(session: Session, meeting: Meeting, *, whole_run: bool = False) -> dict[int, str]:
    """Titles of the shortlisted nominations (``whole_run``: of every nomination of the meeting's run)."""
    if whole_run:
        ids = [e.nomination_id for e in session.get(ResultRun, meeting.run_id).entries]
    else:
        ids = [row.nomination_id for row in meeting.shortlist]
    return dict(session.execute(select(Nomination.id, Nomination.title).where(Nomination.id.in_(ids))).all())
