"""Score sheets (one per assignment, one row per rubric criterion), deadline extensions and the
judges' confidentiality undertakings."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from judging.db.base import Base, enum_column, utcnow


class SheetStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class ScoreSheet(Base):
    __tablename__ = "score_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), unique=True)
    status: Mapped[SheetStatus] = mapped_column(
        enum_column(SheetStatus),
        default=SheetStatus.DRAFT)
    comment: Mapped[str] = mapped_column(Text, default="")
    familiarity: Mapped[str | None] = mapped_column(String(20))
    # Optimistic concurrency: a save names the version it started from (two tabs cannot overwrite).
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None]
    # The last reopening by an organizer, shown to the judge (every reopening is in the audit log).
    reopened_at: Mapped[dt.datetime | None]
    reopen_reason: Mapped[str | None] = mapped_column(Text)

    scores: Mapped[list[CriterionScore]] = relationship(back_populates="sheet", cascade="all, delete-orphan")


class CriterionScore(Base):
    __tablename__ = "criterion_scores"
    __table_args__ = (UniqueConstraint("sheet_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheets.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"), index=True)
    value: Mapped[Decimal]
    # On a grade scale, the grade the judge chose (``value`` is its number in the rubric's table).
    grade: Mapped[str | None] = mapped_column(String(100))

    sheet: Mapped[ScoreSheet] = relationship(back_populates="scores")


class DeadlineExtension(Base):
    """A later deadline for one expert in one round, granted by an organizer (the latest one counts)."""

    __tablename__ = "deadline_extensions"
    __table_args__ = (UniqueConstraint("round_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"), index=True)
    deadline_at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UndertakingAcceptance(Base):
    """A judge accepted the edition's confidentiality and conflict-of-interest statement.

    ``text_sha256`` names the exact text accepted, so a later change of the statement is visible.
    """

    __tablename__ = "undertaking_acceptances"
    __table_args__ = (UniqueConstraint("edition_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text_sha256: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ScoreFreeze(Base):
    """The scores of one round and category may no longer change (an approved result run rests on them).

    Scoring owns the rule; whoever freezes (the results part, at approval) calls scoring's service."""

    __tablename__ = "score_freezes"
    __table_args__ = (UniqueConstraint("round_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(200))
    frozen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
