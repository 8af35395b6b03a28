"""The meeting key: the two holders' share codes (made before voting opens), the Paillier key made and
sealed when voting opens, rebuilt from both codes for the one request that tallies, and then erased."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging.accounts import actor_of
from judging.accounts.models import Role, User
from judging.errors import N_, Conflict
from judging.meetings import crypto
from judging.meetings.models import Meeting, MeetingKey, MeetingKeyShare, MeetingNomination, MeetingStatus
from judging.meetings.rules import MeetingError, audit_meeting, chair_of, require_status, seats
from judging.panels.models import Expert

CHAIR, AUDITOR = "chair", "auditor"
HOLDERS = (CHAIR, AUDITOR)
CHOICES = ("agree", "disagree", "abstain")  # the order of a nomination's three slots
HOLDER_LABELS = {CHAIR: N_("the chair's share"), AUDITOR: N_("the auditor's share")}


def slot_rows(meeting: Meeting) -> list[MeetingNomination]:
    """The shortlist in the order of the ballot's slots (fixed once voting opens)."""
    return sorted(meeting.shortlist, key=lambda row: (row.rank, row.id))


def shares_of(session: Session, meeting: Meeting) -> dict[str, MeetingKeyShare]:
    return {s.holder: s for s in session.scalars(select(MeetingKeyShare).where(MeetingKeyShare.meeting_id == meeting.id))}


def key_of(session: Session, meeting: Meeting) -> MeetingKey | None:
    return session.get(MeetingKey, meeting.id)


def layout_of(key: MeetingKey) -> crypto.Layout:
    return crypto.Layout(n=int(key.public_n, 16), slots=key.slots, bits=key.slot_bits)


def fingerprint(key: MeetingKey) -> str:
    """A short name of the public key, printed on pages and the tally sheet."""
    return hashlib.sha256(key.public_n.encode()).hexdigest()[:16]


def _holder_for(session: Session, meeting: Meeting, user: User) -> str:
    chair = chair_of(meeting)
    if chair is not None and session.get(Expert, chair.expert_id).user_id == user.id:
        return CHAIR
    if user.role is Role.AUDITOR:
        return AUDITOR
    raise MeetingError(N_("Only the chair and an auditor hold shares of the meeting key."))


def make_key_share(session: Session, *, meeting: Meeting, user: User) -> str:
    """A new share code for the chair or an auditor, returned once to show its holder; only the public
    key it stands for is stored. Before voting opens a holder may make it again (the old one is void)."""
    require_status(meeting, MeetingStatus.SETUP)
    holder = _holder_for(session, meeting, user)
    existing = shares_of(session, meeting).get(holder)
    if holder == AUDITOR and existing is not None and existing.user_id != user.id:
        raise Conflict(N_("Another auditor holds this meeting's auditor share."))
    code = crypto.new_share_code()
    public = crypto.share_public(code, meeting.id, holder)
    if existing is None:
        session.add(MeetingKeyShare(meeting_id=meeting.id, holder=holder, user_id=user.id, public_key=public))
    else:
        existing.public_key = public
    audit_meeting(session, actor_of(user), "meeting.key_share_made", meeting, holder=holder, user=user.id,
                  replaced=existing is not None)
    return code


def make_key(session: Session, meeting: Meeting) -> MeetingKey:
    """The Paillier key pair, made as voting opens: the public key stored, the private one sealed to
    the two holders (both shares must have been made)."""
    shares = shares_of(session, meeting)
    missing = [HOLDER_LABELS[h] for h in HOLDERS if h not in shares]
    if missing:
        raise MeetingError(N_("The chair and an auditor must each make their share of the meeting key before voting "
                              "opens ({missing} missing)."), missing=", ".join(missing))
    public, private = crypto.new_keypair()
    context = crypto.key_context(meeting.id, public.n)
    sealed = crypto.seal_private_key(private, (shares[CHAIR].public_key, shares[AUDITOR].public_key), context)
    key = MeetingKey(meeting_id=meeting.id, public_n=format(public.n, f"0{crypto.KEY_BITS // 4}x"),
                     slots=len(meeting.shortlist) * len(CHOICES), slot_bits=crypto.layout_for(
                         public.n, slots=1, seats=len(seats(meeting))).bits, sealed_key=sealed.sealed)
    shares[CHAIR].wrapped, shares[AUDITOR].wrapped = sealed.wrapped
    session.add(key)
    return key


def unlock(session: Session, meeting: Meeting, key: MeetingKey, codes: dict[str, str]):
    """The private key from both codes, in memory only; a missing, malformed or wrong code is refused
    naming whose it is, and nothing is changed."""
    if key.sealed_key is None:
        raise MeetingError(N_("The meeting key has been erased; the ballots can no longer be counted."))
    shares = shares_of(session, meeting)
    context = crypto.key_context(meeting.id, int(key.public_n, 16))
    parts = []
    for holder in HOLDERS:
        code, share = codes.get(holder) or "", shares[holder]
        try:
            right = crypto.share_public(code, meeting.id, holder) == share.public_key
        except crypto.CryptoError:
            right = False
        if not right:
            raise MeetingError(N_("{share} is not right: check the code on the printed slip. The ballots are kept."),
                               share=HOLDER_LABELS[holder])
        try:
            parts.append(crypto.unwrap_share(share.wrapped, code, meeting.id, holder, context))
        except crypto.CryptoError:
            raise MeetingError(N_("{share} does not open the meeting key. The ballots are kept."),
                               share=HOLDER_LABELS[holder]) from None
    try:
        return crypto.open_private_key(key.sealed_key, (parts[0], parts[1]), int(key.public_n, 16), context)
    except crypto.CryptoError:
        raise MeetingError(N_("The two shares do not open the meeting key. The ballots are kept.")) from None


def erase_key(session: Session, meeting: Meeting) -> None:
    """Drop the sealed private key and the wrapped shares: nobody can decrypt a ballot after this."""
    key = key_of(session, meeting)
    if key is not None:
        key.sealed_key = None
    for share in shares_of(session, meeting).values():
        share.wrapped = None

