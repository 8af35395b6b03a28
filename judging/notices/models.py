"""Notices (versioned snapshots of the candidate list), their entries, objections and the committee's approval.

A notice is written once, at publication, with the candidates' public fields copied in: a later
change to a nomination or its identity does not alter what was on notice. A change to the list makes
a new version; the old one is kept, marked superseded.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from judging.db.base import Base, enum_column, utcnow
from judging.errors import N_


class Notice(Base):
    """One version of a category's candidate list on public notice, for a period of local calendar days."""

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("category_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # The period in the edition's time zone, both days included; objections close at the end of ends_on.
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer)
    category_name: Mapped[str] = mapped_column(String(100))
    # The version this one replaces after an upheld objection changed the list (None for the first).
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    superseded_at: Mapped[dt.datetime | None]
    # Its PDF is a stored document (judging.documents, kind "notice"), made once after publication.
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    entries: Mapped[list[NoticeEntry]] = relationship(back_populates="notice", order_by="NoticeEntry.place",
                                                      cascade="all, delete-orphan")

    @property
    def current(self) -> bool:
        return self.superseded_at is None


class NoticeEntry(Base):
    """A candidate as the public reads it on one notice version (copied at publication)."""

    __tablename__ = "notice_entries"
    __table_args__ = (UniqueConstraint("notice_id", "nomination_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    place: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    # The operating method's published name (e.g. 张三操作法), when it has one.
    named_as: Mapped[str | None] = mapped_column(String(100))
    completers: Mapped[list] = mapped_column(JSON, default=list)  # first completer first
    employer: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(50))
    # The first completer is recommended for the provincial May Day Labour Medal.
    may_day: Mapped[bool] = mapped_column(Boolean, default=False)

    notice: Mapped[Notice] = relationship(back_populates="entries")

    @property
    def first_completer(self) -> str:
        return self.completers[0] if self.completers else ""


class ObjectionStatus(enum.StrEnum):
    """In order: an objection only moves forward."""

    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    UPHELD = "upheld"
    REJECTED = "rejected"


OBJECTION_LABELS = {
    ObjectionStatus.RECEIVED: N_("Received"),
    ObjectionStatus.UNDER_REVIEW: N_("Under review"),
    ObjectionStatus.UPHELD: N_("Upheld"),
    ObjectionStatus.REJECTED: N_("Rejected"),
}
OPEN_OBJECTION = (ObjectionStatus.RECEIVED, ObjectionStatus.UNDER_REVIEW)


class Objection(Base):
    """A real-name objection to one candidate of a notice. Name and phone: organizers and auditors only."""

    __tablename__ = "notice_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    employer: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    grounds: Mapped[str] = mapped_column(Text)
    status: Mapped[ObjectionStatus] = mapped_column(enum_column(ObjectionStatus, length=16),
                                                    default=ObjectionStatus.RECEIVED, index=True)
    # Kept to limit how many objections one address may file (see service.MAX_OBJECTIONS_PER_ADDRESS).
    client_address: Mapped[str | None] = mapped_column(String(64), index=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    review_started_at: Mapped[dt.datetime | None]
    review_started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    finding: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The notice version published because this upheld objection changed the list.
    new_notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))

    @property
    def open(self) -> bool:
        return self.status in OPEN_OBJECTION


class CommitteeApproval(Base):
    """The award committee's approval (审定) of a category's list as last on notice; one per category."""

    __tablename__ = "committee_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), unique=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))  # None: the category skipped the notice
    approved_on: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(200))  # the meeting or the document (文号) that approved it
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
