"""A panel meeting (会议评审) of one category: its shortlist, members, recusals and secret ballot.

Ballot secrecy is a property of what is stored, not of who may read it (docs/ballot.md). A ballot is
one row of ciphertext (Paillier, ``judging.meetings.crypto``) keyed by its receipt, with no member, no
time and no sequence number; the member's row only says *that* they voted. Nothing is counted in the
clear while voting runs: the tally multiplies the ciphertexts and decrypts the aggregate alone, with the
private key rebuilt for that one request from the two share codes (the chair's and an auditor's),
which are never stored. The key's sealed form is erased at the tally. The per-nomination totals are
written once, by the tally. Ballot form fields and pages name nominations by a per-meeting random
handle, never by their id (which follows import order).
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from judging.db.base import Base, enum_column, utcnow


class MeetingStatus(enum.StrEnum):
    SETUP = "setup"          # shortlist, attendance, substitutes and recusals may change
    VOTING = "voting"        # the roster is frozen; members vote within the window
    CLOSED = "closed"        # voting is over; paper ballots are entered, then the tally
    TALLIED = "tallied"      # the result per nomination is stored and final
    CANCELLED = "cancelled"  # abandoned (e.g. no quorum); another meeting may be set up


class Choice(enum.StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    ABSTAIN = "abstain"


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    # The approved online-round run the shortlist was taken from (its ranks order the results).
    run_id: Mapped[int] = mapped_column(ForeignKey("result_runs.id"), index=True)
    status: Mapped[MeetingStatus] = mapped_column(enum_column(MeetingStatus), default=MeetingStatus.SETUP)
    opens_at: Mapped[dt.datetime]
    closes_at: Mapped[dt.datetime]
    # Exact fractions, compared inclusively: quorum present/members ≥ q; pass agree/present ≥ t.
    quorum_num: Mapped[int] = mapped_column(Integer)
    quorum_den: Mapped[int] = mapped_column(Integer)
    threshold_num: Mapped[int] = mapped_column(Integer)
    threshold_den: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    voting_opened_at: Mapped[dt.datetime | None]
    voting_closed_at: Mapped[dt.datetime | None]
    tallied_at: Mapped[dt.datetime | None]
    tallied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str] = mapped_column(Text, default="")

    members: Mapped[list[MeetingMember]] = relationship(back_populates="meeting", order_by="MeetingMember.id",
                                                        cascade="all, delete-orphan")
    shortlist: Mapped[list[MeetingNomination]] = relationship(back_populates="meeting",
                                                              order_by="MeetingNomination.rank",
                                                              cascade="all, delete-orphan")


class MeetingMember(Base):
    """One seat holder: a member, the chair, or a substitute for an absent member.

    ``present`` is None until the roll call. A member replaced by a substitute keeps the row (the
    record shows who was absent) but no longer counts; the substitute holds the seat.
    """

    __tablename__ = "meeting_members"
    __table_args__ = (UniqueConstraint("meeting_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    is_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    present: Mapped[bool | None] = mapped_column(Boolean)
    substitute_for_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_members.id"))
    # The chair (a member of this meeting) who approved the substitution.
    approved_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_members.id"))
    replaced: Mapped[bool] = mapped_column(Boolean, default=False)
    # That the member voted, never how; "online" or "paper". No timestamp (the audit log has it).
    ballot_cast: Mapped[bool] = mapped_column(Boolean, default=False)
    ballot_method: Mapped[str] = mapped_column(String(8), default="")

    meeting: Mapped[Meeting] = relationship(back_populates="members")


class MeetingNomination(Base):
    """A shortlisted nomination: its online rank, its ballot handle and, once tallied, the totals and result."""

    __tablename__ = "meeting_nominations"
    __table_args__ = (UniqueConstraint("meeting_id", "nomination_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(16))
    # Random per meeting: what ballot fields and URLs use instead of the nomination's id.
    handle: Mapped[str] = mapped_column(String(16), default=lambda: secrets.token_hex(8))
    # The totals, written once by the tally (they stay 0 while voting runs: nothing counts in the clear).
    agree: Mapped[int] = mapped_column(Integer, default=0)
    disagree: Mapped[int] = mapped_column(Integer, default=0)
    abstain: Mapped[int] = mapped_column(Integer, default=0)
    # Set by the tally: seats not recused, of them present, quorum met, passed.
    members: Mapped[int | None] = mapped_column(Integer)
    present: Mapped[int | None] = mapped_column(Integer)
    quorum_met: Mapped[bool | None] = mapped_column(Boolean)
    passed: Mapped[bool | None] = mapped_column(Boolean)

    meeting: Mapped[Meeting] = relationship(back_populates="shortlist")


class RecusalSource(enum.StrEnum):
    AUTOMATIC = "automatic"  # a conflict of interest known to the panels part when voting opened
    RECORDED = "recorded"    # recorded by the organizer at the meeting, with a reason


class MeetingRecusal(Base):
    """A seat holder who takes no part in one nomination's vote (excluded from its count)."""

    __tablename__ = "meeting_recusals"
    __table_args__ = (UniqueConstraint("member_id", "nomination_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("meeting_members.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    source: Mapped[RecusalSource] = mapped_column(enum_column(RecusalSource))
    reason: Mapped[str] = mapped_column(Text, default="")


class MeetingKey(Base):
    """The meeting's Paillier key, made when voting opens: the public ``n``, how ballots are packed, the
    private key sealed under a key only the two share codes rebuild (erased by the tally or a
    cancellation) and, once tallied, the aggregate and its opening (M, R) so that anyone can verify."""

    __tablename__ = "meeting_keys"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    public_n: Mapped[str] = mapped_column(Text)
    slots: Mapped[int] = mapped_column(Integer)
    slot_bits: Mapped[int] = mapped_column(Integer)
    sealed_key: Mapped[str | None] = mapped_column(Text)
    aggregate: Mapped[str | None] = mapped_column(Text)
    totals_plain: Mapped[str | None] = mapped_column(Text)
    totals_randomness: Mapped[str | None] = mapped_column(Text)


class MeetingKeyShare(Base):
    """One holder's share of the meeting key: the public key their code stands for (recognises the code,
    cannot rebuild it) and, while voting runs, their part of the sealing key wrapped to it."""

    __tablename__ = "meeting_key_shares"
    __table_args__ = (UniqueConstraint("meeting_id", "holder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    holder: Mapped[str] = mapped_column(String(8))  # "chair" or "auditor"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    public_key: Mapped[str] = mapped_column(String(64))
    wrapped: Mapped[str | None] = mapped_column(Text)


class MeetingBallot(Base):
    """One encrypted ballot. Keyed by its receipt (random-looking, no sequence); no member, no time."""

    __tablename__ = "meeting_ballots"

    receipt: Mapped[str] = mapped_column(String(64), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    ciphertext: Mapped[str] = mapped_column(Text)
