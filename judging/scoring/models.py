"""Score sheets: one per assignment, with one row per rubric criterion."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from judging.db.base import Base, utcnow


class SheetStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class ScoreSheet(Base):
    __tablename__ = "score_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), unique=True)
    status: Mapped[SheetStatus] = mapped_column(
        Enum(SheetStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=SheetStatus.DRAFT)
    comment: Mapped[str] = mapped_column(Text, default="")
    familiarity: Mapped[str | None] = mapped_column(String(20))
    # Optimistic concurrency: a save names the version it started from (two tabs cannot overwrite).
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None]

    scores: Mapped[list[CriterionScore]] = relationship(back_populates="sheet", cascade="all, delete-orphan")


class CriterionScore(Base):
    __tablename__ = "criterion_scores"
    __table_args__ = (UniqueConstraint("sheet_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheets.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"), index=True)
    value: Mapped[Decimal]

    sheet: Mapped[ScoreSheet] = relationship(back_populates="scores")
