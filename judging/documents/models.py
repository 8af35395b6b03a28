"""A stored document: a PDF kept with its SHA-256, the thing it is about, and who made it when."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from judging.db.base import Base, utcnow


class Document(Base):
    """One generated PDF; the bytes live in the database like all state and never change once stored.

    The subject is named by type and id (a result run, a notice, a meeting) rather than by a foreign key,
    so this low layer knows nothing of the parts whose documents it keeps.
    """

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # e.g. ranking_report, notice, tally_sheet
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # loaded only when served
    sha256: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    # What the kind needs beside the subject (a report's audience and draft mark, the nomination it shows).
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
