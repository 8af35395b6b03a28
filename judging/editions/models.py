"""Editions, their categories, rubrics with criteria, and judging rounds."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from judging.db.base import Base, enum_column


class EditionStatus(enum.StrEnum):
    SETUP = "setup"
    RUNNING = "running"
    CLOSED = "closed"


class CategoryKey(enum.StrEnum):
    ACHIEVEMENT = "achievement"
    OPERATING_METHOD = "operating_method"
    SUGGESTION = "suggestion"
    CHIEF_EMPLOYEE = "chief_employee"


class RoundKind(enum.StrEnum):
    PRELIMINARY = "preliminary"
    FINAL = "final"


class RoundStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class ScaleKind(enum.StrEnum):
    """How a criterion is scored: a number on its range, or one grade of a table mapped to numbers."""

    NUMERIC = "numeric"
    GRADE = "grade"


class Edition(Base):
    __tablename__ = "editions"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[EditionStatus] = mapped_column(enum_column(EditionStatus, length=24), default=EditionStatus.SETUP)
    # Edition-wide rules (tie rule, conflict rules, ...) kept as one JSON document of named keys.
    settings: Mapped[dict] = mapped_column(JSON, default=dict)

    categories: Mapped[list[Category]] = relationship(back_populates="edition", order_by="Category.position")
    rounds: Mapped[list[Round]] = relationship(back_populates="edition", order_by="Round.id")


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("edition_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    key: Mapped[CategoryKey] = mapped_column(enum_column(CategoryKey, length=24))
    name: Mapped[str] = mapped_column(String(100))
    top_n: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)

    edition: Mapped[Edition] = relationship(back_populates="categories")
    rubric: Mapped[Rubric | None] = relationship(back_populates="category", uselist=False)


class Rubric(Base):
    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The review opinion (评审意见) must have at least this many characters to submit; 0: optional.
    opinion_min_length: Mapped[int] = mapped_column(default=0)
    # Raised at every replacement: processes cache a rubric by (id, version) for saves.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    category: Mapped[Category] = relationship(back_populates="rubric")
    criteria: Mapped[list[Criterion]] = relationship(back_populates="rubric", order_by="Criterion.position",
                                                     cascade="all, delete-orphan")


class Criterion(Base):
    __tablename__ = "criteria"
    __table_args__ = (UniqueConstraint("rubric_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[Decimal]
    scale_min: Mapped[Decimal]
    scale_max: Mapped[Decimal]
    scale_step: Mapped[Decimal]  # numeric scales; 0 for grade scales (only the grades' values count)
    scale_kind: Mapped[ScaleKind] = mapped_column(enum_column(ScaleKind), default=ScaleKind.NUMERIC)

    rubric: Mapped[Rubric] = relationship(back_populates="criteria")
    levels: Mapped[list[CriterionLevel]] = relationship(back_populates="criterion", order_by="CriterionLevel.low",
                                                        cascade="all, delete-orphan")
    grades: Mapped[list[CriterionGrade]] = relationship(back_populates="criterion",
                                                        order_by="CriterionGrade.position",
                                                        cascade="all, delete-orphan")


class CriterionLevel(Base):
    """A band descriptor: scores from ``low`` to ``high`` mean ``label`` (e.g. 8–10 优秀)."""

    __tablename__ = "criterion_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id", ondelete="CASCADE"), index=True)
    low: Mapped[Decimal]
    high: Mapped[Decimal]
    label: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")

    criterion: Mapped[Criterion] = relationship(back_populates="levels")


class CriterionGrade(Base):
    """One grade of a grade scale and the number it stands for (e.g. 国际领先 = 30), best first."""

    __tablename__ = "criterion_grades"
    __table_args__ = (UniqueConstraint("criterion_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(100))
    value: Mapped[Decimal]

    criterion: Mapped[Criterion] = relationship(back_populates="grades")


class Round(Base):
    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("edition_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RoundKind] = mapped_column(enum_column(RoundKind, length=24))
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[RoundStatus] = mapped_column(enum_column(RoundStatus, length=24), default=RoundStatus.DRAFT)
    opens_at: Mapped[dt.datetime | None]
    deadline_at: Mapped[dt.datetime | None]

    edition: Mapped[Edition] = relationship(back_populates="rounds")
