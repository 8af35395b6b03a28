"""A city's online nomination: its working copy, its sanitized files and the versions it submitted."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from judging.db.base import Base, enum_column, utcnow


class EntryStatus(enum.StrEnum):
    DRAFT = "draft"          # the city's working copy; nothing reaches the office
    SUBMITTED = "submitted"  # stored as a nomination (``nomination_id``) through the intake's storing path
    WITHDRAWN = "withdrawn"  # withdrawn by the city before the deadline


class CityEntry(Base):
    """One nomination form of a city: the fields as its 推荐表 has them (``fields``), edited as a draft.

    Once submitted, ``nomination_id`` is the nomination the office reviews; a correction after a return edits
    ``fields`` again and is resubmitted onto the same nomination, each submission kept as a version."""

    __tablename__ = "city_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    city: Mapped[str] = mapped_column(String(50), index=True)
    status: Mapped[EntryStatus] = mapped_column(enum_column(EntryStatus), default=EntryStatus.DRAFT)
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nominations.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None]

    files: Mapped[list[CityFile]] = relationship(back_populates="entry", order_by="CityFile.position",
                                                 cascade="all, delete-orphan")


class CityFile(Base):
    """An attachment of a city's form, already sanitized on upload (the stored bytes are the clean file)."""

    __tablename__ = "city_files"
    __table_args__ = (UniqueConstraint("entry_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("city_entries.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(10))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(100))
    # What the sanitizer extracted and removed, so submitting needs no second pass over the file.
    text: Mapped[str] = mapped_column(Text, default="")
    removed: Mapped[list] = mapped_column(JSON, default=list)

    entry: Mapped[CityEntry] = relationship(back_populates="files")


class CityVersion(Base):
    """One submission of an entry as it was sent (first submission, then each correction), for the office."""

    __tablename__ = "city_versions"
    __table_args__ = (UniqueConstraint("entry_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("city_entries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    files: Mapped[list] = mapped_column(JSON, default=list)  # [{"name", "kind", "size", "sha256"}]
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
