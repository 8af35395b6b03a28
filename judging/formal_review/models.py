"""The checklist a category's nominations are reviewed against, and the decisions taken on them."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Date, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from judging.db.base import Base, enum_column, utcnow


class Outcome(enum.StrEnum):
    PASSED = "passed"        # 通过: goes on to blinding and assignment
    RETURNED = "returned"    # 退回补正: the city corrects it by the deadline
    REJECTED = "rejected"    # 不予受理


class Checklist(Base):
    """One category's eligibility checklist: a list of items (see ``service.ITEM_KINDS``) as JSON."""

    __tablename__ = "formal_checklists"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), unique=True)
    items: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Decision(Base):
    """One formal-review decision on a nomination. Every decision is kept; the nomination's state is
    its decision that no later one has superseded (a returned nomination is decided again)."""

    __tablename__ = "formal_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome))
    # Why it was returned or rejected (shown to the nominating city), or empty for a plain pass.
    reasons: Mapped[str] = mapped_column(Text, default="")
    # Correct by this local calendar date (returned only).
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    # Why a nomination was passed although items of its checklist were not met.
    override_reason: Mapped[str] = mapped_column(Text, default="")
    # The checklist and each item's result at decision time: [{"item", "result", "detail"}].
    checks: Mapped[list] = mapped_column(JSON, default=list)
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When the corrected nomination came back (returned only): it then waits for a new decision.
    resubmitted_at: Mapped[dt.datetime | None]
    superseded: Mapped[bool] = mapped_column(default=False)
