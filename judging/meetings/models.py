"""A panel meeting (会议评审) of one category: its shortlist, members, recusals and secret ballot.

Ballot secrecy is a property of what is stored, not of who may read it. There is no row per vote:
a cast ballot only adds to three counters on each shortlisted nomination's row, in the same
transaction that sets the member's ``ballot_cast`` flag. Neither row has a timestamp, and the
counter rows exist (at zero) from the moment the shortlist is set, so no insert order lines up with
the audit events that record *that* a member voted. Paper ballots are anonymous papers: the
secretary records who handed one in, and after voting closes enters the papers' contents, which
count once a second organizer confirms them; the entry's choices are erased when they are counted.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
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
    """A shortlisted nomination: its online rank, the ballot counters and, once tallied, the result."""

    __tablename__ = "meeting_nominations"
    __table_args__ = (UniqueConstraint("meeting_id", "nomination_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(16))
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


class PaperStatus(enum.StrEnum):
    PENDING = "pending"      # entered, waiting for a second organizer; does not count
    CONFIRMED = "confirmed"  # counted; its choices were erased
    DISCARDED = "discarded"  # entered wrongly; never counted


class PaperBallot(Base):
    """One anonymous paper ballot as entered by the secretary; ``choices`` only while pending."""

    __tablename__ = "meeting_paper_ballots"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    status: Mapped[PaperStatus] = mapped_column(enum_column(PaperStatus), default=PaperStatus.PENDING)
    choices: Mapped[dict | None] = mapped_column(JSON)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
