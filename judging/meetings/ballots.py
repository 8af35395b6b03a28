"""Voting in a panel meeting: a member's secret ballot on their own device, a paper ballot entered by the
secretary and confirmed by the member (or by the chair, with a reason), closing the vote, and receipts.

Both kinds of ballot take one path: the plain choices are checked (each nomination on the member's
ballot gets exactly one choice, nothing else), encrypted at once under the meeting's public key, and
stored as one row of ciphertext keyed by its receipt, in the transaction that flags the member as
having voted. The plain choices are never written anywhere; the audit event names the member, never
the choices, and refusals never repeat them either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from judging import audit
from judging.accounts import actor_of
from judging.accounts.models import User
from judging.accounts.passwords import check_password
from judging.db.base import utcnow
from judging.errors import N_, Conflict, NotFound
from judging.meetings import crypto
from judging.meetings.keys import CHOICES, key_of, layout_of, slot_rows
from judging.meetings.models import Meeting, MeetingBallot, MeetingMember, MeetingNomination, MeetingStatus
from judging.meetings.rules import (
    ONLINE, PAPER, MeetingError, audit_meeting, chair_of, member_of, recusals, require_status, seats,
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
    return [row for row in slot_rows(meeting) if row.nomination_id not in recused]


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


def parse_choices(raw: Mapping[str, object], items: list[MeetingNomination]) -> dict[str, str]:
    """handle -> choice for every nomination on the ballot, or the refusal saying what is wrong."""
    allowed = {row.handle for row in items}
    if any(isinstance(value, (list, tuple)) for value in raw.values()):
        raise MeetingError(N_("The ballot gives a nomination more than one choice."))
    choices = {str(handle): value for handle, value in raw.items() if value not in ("", None)}
    if set(choices) - allowed:
        raise MeetingError(N_("The ballot names a nomination that is not on it."))
    if any(value not in CHOICES for value in choices.values()):
        raise MeetingError(N_("Each choice must be agree, disagree or abstain."))
    if set(choices) != allowed:
        raise MeetingError(N_("Choose agree, disagree or abstain for every nomination on the ballot."))
    return choices


def _vector(meeting: Meeting, choices: Mapping[str, str]) -> list[int]:
    """The 0/1 slots: one 1 per nomination on the ballot, zeros for those the member is recused from."""
    return [int(choices.get(row.handle) == choice) for row in slot_rows(meeting) for choice in CHOICES]


def _mark_cast(session: Session, member: MeetingMember, method: str) -> None:
    # The guarded UPDATE makes two simultaneous ballots of one member impossible: only one sees the row unflagged.
    done = session.execute(update(MeetingMember).where(MeetingMember.id == member.id,
                                                       MeetingMember.ballot_cast.is_(False))
                           .values(ballot_cast=True, ballot_method=method).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(N_("This member has already voted; a ballot cannot be cast twice."))
    session.expire(member, ["ballot_cast", "ballot_method"])


def store_encrypted_ballot(session: Session, *, meeting: Meeting, member: MeetingMember, ciphertext: str,
                           method: str, by: audit.Actor, **details: object) -> str:
    """The one way a ballot is stored: its ciphertext checked against the meeting key (shape, range, a
    unit mod n²), the member flagged, the row keyed by its receipt, the event naming the member only."""
    key = key_of(session, meeting)
    if key is None or key.sealed_key is None:
        raise MeetingError(N_("This meeting has no ballot key; it was opened before ballots were encrypted and "
                              "must be held again."))
    try:
        crypto.parse_ballot(ciphertext, layout_of(key))
    except crypto.CryptoError:
        raise MeetingError(N_("The ballot's encryption is not valid for this meeting.")) from None
    receipt = crypto.receipt_of(meeting.id, ciphertext)
    if session.get(MeetingBallot, receipt) is not None:
        raise Conflict(N_("This encrypted ballot has been cast already."))
    _mark_cast(session, member, method)
    session.add(MeetingBallot(receipt=receipt, meeting_id=meeting.id, ciphertext=ciphertext))
    audit_meeting(session, by, "meeting.ballot_cast", meeting, member=member.id, expert=member.expert_id,
                  method=method, **details)
    return receipt


def _encrypt(session: Session, meeting: Meeting, choices: Mapping[str, str]) -> str:
    key = key_of(session, meeting)
    if key is None or key.sealed_key is None:
        raise MeetingError(N_("This meeting has no ballot key; it was opened before ballots were encrypted and "
                              "must be held again."))
    layout = layout_of(key)
    return crypto.encrypt_ballot(crypto.public_key(layout.n), _vector(meeting, choices), layout)


def check_ballot(session: Session, *, meeting: Meeting, member: MeetingMember, choices: Mapping[str, object],
                 now: dt.datetime | None = None) -> dict[str, str]:
    """Whether the member may cast these choices now (the member's review step); stores nothing."""
    items = _check_may_vote(session, meeting, member, now or utcnow())
    return parse_choices(choices, items)


def cast_ballot(session: Session, *, meeting: Meeting, user: User, choices: Mapping[str, object],
                now: dt.datetime | None = None) -> str:
    """A member's own ballot (choices keyed by the nominations' handles): one choice for every nomination
    on it, encrypted and stored once. Returns the receipt, to be shown to the member and not stored with them."""
    member = member_for_user(session, meeting_id=meeting.id, user=user)
    parsed = check_ballot(session, meeting=meeting, member=member, choices=choices, now=now)
    return store_encrypted_ballot(session, meeting=meeting, member=member, ciphertext=_encrypt(session, meeting, parsed),
                                  method=ONLINE, by=actor_of(user))


def _confirmer(session: Session, meeting: Meeting, member: MeetingMember, confirmed_by: str) -> User:
    if confirmed_by == "member":
        seat = member
    elif confirmed_by == "chair":
        seat = chair_of(meeting)
    else:
        raise MeetingError(N_("A paper ballot is confirmed by the member who cast it or by the chair."))
    return session.get(User, session.get(Expert, seat.expert_id).user_id)


def cast_paper_ballot(session: Session, *, meeting: Meeting, member_id: int, choices: Mapping[str, object],
                      confirmed_by: str, password: str, reason: str = "", by: audit.Actor,
                      now: dt.datetime | None = None) -> str:
    """The secretary enters a member's paper ballot while voting is open; the member confirms it with
    their password at the secretary's desk, or the chair does with a reason (audited). It then takes the
    encrypted path of an online ballot; the paper goes to the archive. Returns the receipt."""
    member = member_of(meeting, member_id)
    parsed = parse_choices(choices, _check_may_vote(session, meeting, member, now or utcnow()))
    reason = (reason or "").strip()
    if confirmed_by == "chair" and not reason:
        raise MeetingError(N_("Give the reason why the chair confirms this paper ballot instead of the member."))
    confirmer = _confirmer(session, meeting, member, confirmed_by)
    if not check_password(confirmer.password_hash if confirmer else None, password or ""):
        raise MeetingError(N_("The confirming password is not right; the paper ballot was not entered."))
    details: dict[str, object] = {"confirmed_by": confirmed_by}
    if confirmed_by == "chair":
        details["reason"] = reason
    return store_encrypted_ballot(session, meeting=meeting, member=member, ciphertext=_encrypt(session, meeting, parsed),
                                  method=PAPER, by=by, **details)


def waiting_members(session: Session, meeting: Meeting) -> list[MeetingMember]:
    """Members present who may still vote (not recused from everything) and have not."""
    return [m for m in seats(meeting) if m.present and not m.ballot_cast
            and ballot_items(session, meeting=meeting, member=m)]


def close_voting(session: Session, *, meeting: Meeting, by: audit.Actor, now: dt.datetime | None = None) -> Meeting:
    """Close the vote: before its window ends only once every member present has voted (closing early on
    a few ballots would let the totals show how those few voted)."""
    now = now or utcnow()
    require_status(meeting, MeetingStatus.VOTING)
    if now < meeting.closes_at:
        waiting = waiting_members(session, meeting)
        if waiting:
            raise MeetingError(N_("Voting can close before its window ends only when every member present has voted "
                                  "({count} have not)."), count=len(waiting))
    meeting.status, meeting.voting_closed_at = MeetingStatus.CLOSED, now
    audit_meeting(session, by, "meeting.voting_closed", meeting,
                  ballots=sum(1 for m in seats(meeting) if m.ballot_cast))
    return meeting


def ensure_closed(session: Session, meeting: Meeting, by: audit.Actor, now: dt.datetime) -> None:
    """Voting is over when the organizer closed it or its window has ended (then it is closed now)."""
    if meeting.status is MeetingStatus.VOTING and now >= meeting.closes_at:
        close_voting(session, meeting=meeting, by=by, now=now)
    require_status(meeting, MeetingStatus.CLOSED)


def stored_ballots(session: Session, meeting: Meeting) -> list[MeetingBallot]:
    return list(session.scalars(select(MeetingBallot).where(MeetingBallot.meeting_id == meeting.id)
                                .order_by(MeetingBallot.receipt)))


def published_receipts(session: Session, meeting: Meeting) -> list[str]:
    """The receipts of the ballots the totals were computed from: published once the meeting is tallied."""
    if meeting.status is not MeetingStatus.TALLIED:
        return []
    return [ballot.receipt for ballot in stored_ballots(session, meeting)]


def check_receipt(session: Session, *, meeting: Meeting, receipt: str) -> bool:
    """Whether a receipt is among the ballots counted (what a member checks after the tally)."""
    if meeting.status is not MeetingStatus.TALLIED:
        raise MeetingError(N_("Receipts can be checked once the votes have been tallied."))
    text = "".join((receipt or "").split()).lower()
    if len(text) != 64 or any(ch not in "0123456789abcdef" for ch in text):
        raise MeetingError(N_("A receipt is 64 characters, digits and the letters a to f."))
    return text in set(published_receipts(session, meeting))
