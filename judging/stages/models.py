"""One row per category and stage once the stage has been scheduled, opened or skipped."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from judging.db.base import Base, enum_column
from judging.errors import N_


class StageKind(enum.StrEnum):
    """In the order a category goes through them (SPEC §3)."""

    NOMINATION = "nomination"        # 推荐
    FORMAL_REVIEW = "formal_review"  # 形式审查
    ONLINE_REVIEW = "online_review"  # 网络评审/初评
    PANEL_MEETING = "panel_meeting"  # 会议评审/终评
    PUBLIC_NOTICE = "public_notice"  # 公示
    APPROVAL = "approval"            # 审定


STAGE_LABELS = {
    StageKind.NOMINATION: N_("Recommendation"),
    StageKind.FORMAL_REVIEW: N_("Formal review"),
    StageKind.ONLINE_REVIEW: N_("Online review"),
    StageKind.PANEL_MEETING: N_("Panel meeting"),
    StageKind.PUBLIC_NOTICE: N_("Public notice"),
    StageKind.APPROVAL: N_("Final approval"),
}


class StageStatus(enum.StrEnum):
    PENDING = "pending"
    OPEN = "open"
    CLOSED = "closed"
    SKIPPED = "skipped"

    @property
    def label(self) -> str:
        """The message id naming the status on pages (translate it with ``_()``)."""
        return STATUS_LABELS[self]


STATUS_LABELS = {
    StageStatus.PENDING: N_("Not started"),
    StageStatus.OPEN: N_("In progress"),
    StageStatus.CLOSED: N_("Closed"),
    StageStatus.SKIPPED: N_("Skipped"),
}


class Stage(Base):
    __tablename__ = "stages"
    __table_args__ = (UniqueConstraint("category_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    kind: Mapped[StageKind] = mapped_column(enum_column(StageKind, length=24))
    status: Mapped[StageStatus] = mapped_column(enum_column(StageStatus), default=StageStatus.PENDING)
    # The organizer's schedule (local calendar dates); the actual times are opened_at / closed_at.
    planned_start: Mapped[dt.date | None] = mapped_column(Date)
    planned_end: Mapped[dt.date | None] = mapped_column(Date)
    opened_at: Mapped[dt.datetime | None]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[dt.datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Why a stage was skipped (e.g. no panel meeting for 首席员工).
    note: Mapped[str] = mapped_column(Text, default="")
