"""The pool's random draws of experts (专家随机抽取) and the organizer's notes on experts."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from judging.db.base import Base, enum_column, utcnow


class DrawStatus(enum.StrEnum):
    PENDING = "pending"        # drawn, waiting for the supervisor (auditor)
    CONFIRMED = "confirmed"    # confirmed by the supervisor: the drawn experts are the category's panel
    REDRAWN = "redrawn"        # replaced by a new draw (its reason is kept on the new one)


class ExpertDraw(Base):
    """One random draw for one category in one round, with everything needed to replay it.

    ``spec`` maps each specialty to the number of experts wanted; ``candidates`` the eligible
    expert ids per specialty at the time of the draw (sorted); ``drawn`` the drawn ids per
    specialty in draw order; ``excluded`` the experts left out by the record filter and why.
    """

    __tablename__ = "expert_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    status: Mapped[DrawStatus] = mapped_column(enum_column(DrawStatus), default=DrawStatus.PENDING)
    spec: Mapped[dict] = mapped_column(JSON, default=dict)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    seed: Mapped[str] = mapped_column(String(64))
    candidates: Mapped[dict] = mapped_column(JSON, default=dict)
    excluded: Mapped[dict] = mapped_column(JSON, default=dict)
    drawn: Mapped[dict] = mapped_column(JSON, default=dict)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("expert_draws.id"))
    redraw_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[dt.datetime | None]


class ExpertNote(Base):
    """An organizer's note on an expert, kept across editions for the expert's record."""

    __tablename__ = "expert_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"), index=True)
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("editions.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
