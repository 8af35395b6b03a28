"""Experts of the pool and their assignments to nominations in a round."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from judging.db.base import Base, utcnow


class Expert(Base):
    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    employer: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    fields: Mapped[list] = mapped_column(JSON, default=list)
    max_load: Mapped[int] = mapped_column(default=30)
    active: Mapped[bool] = mapped_column(default=True)


class Assignment(Base):
    """One expert judging one nomination in one round."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("round_id", "nomination_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # A withdrawn assignment (conflict declared, expert dropped out) is kept for the record and
    # leaves the judge's queue; its sheet, if any, is never counted.
    withdrawn_at: Mapped[dt.datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    expert: Mapped[Expert] = relationship()


class ConflictSource(enum.StrEnum):
    AUTOMATIC = "automatic"   # same employer, same group, same city (when the round's rule says so)
    ORGANIZER = "organizer"   # entered by an organizer, with a reason
    DECLARED = "declared"     # declared by the judge from the judging page


class Conflict(Base):
    """An expert who must not judge a nomination, with where that knowledge came from."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("expert_id", "nomination_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    source: Mapped[ConflictSource] = mapped_column(
        Enum(ConflictSource, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
