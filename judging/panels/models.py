"""Experts of the pool and their assignments to nominations in a round."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
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

    expert: Mapped[Expert] = relationship()
