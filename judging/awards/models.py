"""What an edition awards: the list the committee approved, the winners on the public page and operating methods
named after their creators."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from judging.db.base import Base, utcnow


class Publication(Base):
    """A winner on the public results page (成果网): only the fields the public may read, copied once."""

    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("run_id", "nomination_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("result_runs.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    category_key: Mapped[str] = mapped_column(String(24))
    category_name: Mapped[str] = mapped_column(String(100))
    place: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    first_inventor: Mapped[str] = mapped_column(String(100))
    employer: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(50))
    summary: Mapped[str] = mapped_column(Text, default="")
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NamedMethod(Base):
    """An operating method published under its creator's name (e.g. 张三操作法), as its nomination asks."""

    __tablename__ = "named_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApprovedWinner(Base):
    """One line of the list the award committee approved (审定), as it will go public: the only list a
    category may publish, and the one the May Day recommendations are read from. Written once, when the
    notices part records the committee's approval; publication copies it into ``publications``."""

    __tablename__ = "approved_winners"
    __table_args__ = (UniqueConstraint("category_id", "nomination_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    place: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    first_inventor: Mapped[str] = mapped_column(String(100))
    employer: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(50))
    # Where the list was approved from: the notice version on public notice (None: the category skipped it).
    notice_version: Mapped[int | None] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(200))  # the committee's meeting or document (文号)
    approved_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
