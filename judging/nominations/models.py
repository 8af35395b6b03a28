"""Nominations: judged content, identity kept in its own table, attachments and blind codes."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from judging.db.base import Base, utcnow


class NominationStatus(enum.StrEnum):
    RECEIVED = "received"
    CONFIRMED = "confirmed"
    WITHDRAWN = "withdrawn"


class Nomination(Base):
    """What judges may see (once redacted): title, summary, body. Nothing here names a person."""

    __tablename__ = "nominations"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    status: Mapped[NominationStatus] = mapped_column(
        Enum(NominationStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=NominationStatus.RECEIVED)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    identity: Mapped[NominationIdentity] = relationship(back_populates="nomination", uselist=False,
                                                        cascade="all, delete-orphan", lazy="raise")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="nomination", order_by="Attachment.position",
                                                         cascade="all, delete-orphan")


class NominationIdentity(Base):
    """Who made it. Judge-facing queries never join this table (lazy='raise' on the relationship)."""

    __tablename__ = "nomination_identities"

    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), primary_key=True)
    inventors: Mapped[list] = mapped_column(JSON, default=list)
    employer: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(50), index=True)
    industry: Mapped[str] = mapped_column(String(100), default="")
    patents: Mapped[list] = mapped_column(JSON, default=list)
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")

    nomination: Mapped[Nomination] = relationship(back_populates="identity")

    @property
    def first_inventor(self) -> str | None:
        return self.inventors[0] if self.inventors else None


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("nomination_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    original_name: Mapped[str] = mapped_column(String(300))  # identifying: organizers and auditors only
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))

    nomination: Mapped[Nomination] = relationship(back_populates="attachments")


class BlindCode(Base):
    """The unguessable code a nomination carries in one round; the only handle judges get."""

    __tablename__ = "blind_codes"
    __table_args__ = (UniqueConstraint("round_id", "nomination_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
