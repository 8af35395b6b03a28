"""Counting a panel meeting once voting is over, cancelling one that cannot count, and what the other
parts read of the outcome (the stage's blockers, the nominations passed)."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit
from judging.db.base import utcnow
from judging.editions.models import Category
from judging.errors import N_, Conflict
from judging.meetings import crypto
from judging.meetings.ballots import ensure_closed, stored_ballots
from judging.meetings.keys import AUDITOR, CHAIR, CHOICES, erase_key, fingerprint, key_of, layout_of, slot_rows, unlock
from judging.meetings.models import Meeting, MeetingKey, MeetingStatus
from judging.meetings.rules import (
    MeetingError, audit_meeting, current_meeting, present_by_nomination, quorum_of, seats, threshold_of,
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


def minimum_ballots(meeting: Meeting) -> int:
    """max(3, the quorum's count of seats): fewer ballots would let the totals show how someone voted."""
    return max(3, math.ceil(quorum_of(meeting) * len(seats(meeting))))


def _checked_ciphertexts(session: Session, meeting: Meeting, layout) -> list[list[int]]:
    """Every stored ballot, checked: a valid encryption whose receipt is its hash. A ballot altered in
    storage stops the tally (nothing changes, the ballots are kept) naming its receipt."""
    out = []
    for ballot in stored_ballots(session, meeting):
        try:
            values = crypto.parse_ballot(ballot.ciphertext, layout)
        except crypto.CryptoError:
            values = None
        if values is None or crypto.receipt_of(meeting.id, ballot.ciphertext) != ballot.receipt:
            raise MeetingError(N_("The stored ballot with receipt {receipt} is not a valid encryption for this "
                                  "meeting; the tally is refused and the ballots are kept."),
                               receipt=ballot.receipt[:16])
        out.append(values)
    return out


def _check_countable(session: Session, meeting: Meeting, now: dt.datetime) -> MeetingKey:
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
    cast = sum(1 for m in meeting.members if m.ballot_cast)
    if cast < minimum_ballots(meeting):
        raise MeetingError(N_("{count} ballots were cast; a tally needs at least {needed} (three, and no fewer than "
                              "the quorum) so that the totals cannot show how a member voted. Cancel this meeting "
                              "and hold it again."), count=cast, needed=minimum_ballots(meeting))
    key = key_of(session, meeting)
    if key is None:
        raise MeetingError(N_("This meeting has no ballot key; it was opened before ballots were encrypted and "
                              "must be held again."))
    stored = len(stored_ballots(session, meeting))
    if stored != cast:
        raise MeetingError(N_("{stored} encrypted ballots are stored but {cast} members are recorded as having "
                              "voted; the tally is refused and the ballots are kept."), stored=stored, cast=cast)
    return key


def _totals(meeting: Meeting, digits: list[int]) -> dict[int, dict[str, int]]:
    out = {}
    for index, row in enumerate(slot_rows(meeting)):
        out[row.nomination_id] = dict(zip(CHOICES, digits[index * len(CHOICES):(index + 1) * len(CHOICES)]))
    return out


def tally(session: Session, *, meeting: Meeting, by: audit.Actor, chair_share: str, auditor_share: str,
          now: dt.datetime | None = None) -> Meeting:
    """Count once voting is over, with both share codes typed in for this request. Refused without quorum
    (the meeting is then cancelled and held again), with fewer ballots than :func:`minimum_ballots`, with a
    wrong share or a ballot that does not verify; a refusal keeps every ciphertext. Only the aggregate
    is decrypted; its opening (M, R) is stored for anyone to check, and the sealed key is erased.
    A nomination whose recusals leave it without quorum is recorded as not valid (not passed)."""
    now = now or utcnow()
    key = _check_countable(session, meeting, now)
    layout = layout_of(key)
    ballots = _checked_ciphertexts(session, meeting, layout)
    private = unlock(session, meeting, key, {CHAIR: chair_share, AUDITOR: auditor_share})
    aggregate = crypto.aggregate(ballots, layout)
    plains, randomness = crypto.decrypt_totals(private, aggregate)
    del private
    totals = _totals(meeting, crypto.unpack(plains, layout))
    eligible = present_by_nomination(session, meeting)
    if any(sum(counts.values()) > eligible[nid][1] for nid, counts in totals.items()):
        raise MeetingError(N_("The decrypted totals exceed the members present; the tally is refused and the "
                              "ballots are kept."))
    ensure_closed(session, meeting, by, now)
    results = []
    for row in slot_rows(meeting):
        members, present = eligible[row.nomination_id]
        counts = totals[row.nomination_id]
        row.agree, row.disagree, row.abstain = counts["agree"], counts["disagree"], counts["abstain"]
        row.members, row.present = members, present
        row.quorum_met, row.passed = decide(members=members, present=present, agree=row.agree,
                                            quorum=quorum_of(meeting), threshold=threshold_of(meeting))
        results.append({"nomination": row.nomination_id, "members": members, "present": present,
                        "agree": row.agree, "disagree": row.disagree, "abstain": row.abstain,
                        "quorum_met": row.quorum_met, "passed": row.passed})
    key.aggregate = ".".join(format(c, f"0{layout.hex_width}x") for c in aggregate)
    key.totals_plain = ".".join(str(m) for m in plains)
    key.totals_randomness = ".".join(format(r, "x") for r in randomness)
    erase_key(session, meeting)
    receipts = [b.receipt for b in stored_ballots(session, meeting)]
    meeting.status, meeting.tallied_at, meeting.tallied_by_id = MeetingStatus.TALLIED, now, by.id
    whole = overall(meeting)
    audit_meeting(session, by, "meeting.tallied", meeting, quorum=str(quorum_of(meeting)),
                  threshold=str(threshold_of(meeting)), seats=whole.seats, present=whole.present, results=results,
                  ballots=len(receipts), key=fingerprint(key),
                  receipts_sha256=hashlib.sha256("\n".join(receipts).encode()).hexdigest())
    return meeting


def verify_tally(session: Session, meeting: Meeting) -> bool:
    """Recompute, from public values only, that the listed ballots multiply to the aggregate, that the
    published (M, R) opens it, and that M unpacks to the stored totals."""
    key = key_of(session, meeting)
    if meeting.status is not MeetingStatus.TALLIED or key is None or key.aggregate is None:
        return False
    layout = layout_of(key)
    try:
        ballots = [crypto.parse_ballot(b.ciphertext, layout) for b in stored_ballots(session, meeting)]
    except crypto.CryptoError:
        return False
    aggregate = crypto.aggregate(ballots, layout)
    plains = [int(m) for m in key.totals_plain.split(".")]
    randomness = [int(r, 16) for r in key.totals_randomness.split(".")]
    if ".".join(format(c, f"0{layout.hex_width}x") for c in aggregate) != key.aggregate:
        return False
    if not crypto.check_totals(layout.n, aggregate, plains, randomness):
        return False
    totals = _totals(meeting, crypto.unpack(plains, layout))
    return all((row.agree, row.disagree, row.abstain) == tuple(totals[row.nomination_id][c] for c in CHOICES)
               for row in meeting.shortlist)


def cancel_meeting(session: Session, *, meeting: Meeting, reason: str, by: audit.Actor) -> Meeting:
    """Abandon a meeting that has not been tallied (no quorum, too few ballots, a share lost): the sealed
    key is erased, so its ballots can never be decrypted; another meeting may then be set up."""
    if meeting.status in (MeetingStatus.TALLIED, MeetingStatus.CANCELLED):
        raise MeetingError(N_("The meeting is over."))
    reason = (reason or "").strip()
    if not reason:
        raise MeetingError(N_("Give the reason for cancelling the meeting."))
    erase_key(session, meeting)
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
