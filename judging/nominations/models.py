"""Nominations: judged content, identity kept in its own table, attachments and blind codes."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Date, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from judging.db.base import Base, enum_column, utcnow


class NominationStatus(enum.StrEnum):
    RECEIVED = "received"
    CONFIRMED = "confirmed"
    WITHDRAWN = "withdrawn"


class Nomination(Base):
    """What judges may see (once redacted): title, summary, body. Nothing here names a person."""

    __tablename__ = "nominations"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    status: Mapped[NominationStatus] = mapped_column(
        enum_column(NominationStatus),
        default=NominationStatus.RECEIVED)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    identity: Mapped[NominationIdentity] = relationship(back_populates="nomination", uselist=False,
                                                        cascade="all, delete-orphan", lazy="raise")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="nomination", order_by="Attachment.position",
                                                         cascade="all, delete-orphan")


class NominationIdentity(Base):
    """Who made it. Judge-facing queries never join this table (lazy='raise' on the relationship)."""

    __tablename__ = "nomination_identities"

    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), primary_key=True)
    inventors: Mapped[list] = mapped_column(JSON, default=list)
    employer: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(50), index=True)
    industry: Mapped[str] = mapped_column(String(100), default="")
    patents: Mapped[list] = mapped_column(JSON, default=list)
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    # Eligibility facts the formal review checks (None: the nominating city did not give them).
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    first_inventor_frontline: Mapped[bool | None]
    # Identity as the form gives it: what texts call the employer, the other completers and team
    # members with their roles ([name, role]), and where the employer is when not the nominating city.
    short_names: Mapped[list] = mapped_column(JSON, default=list)
    team: Mapped[list] = mapped_column(JSON, default=list)
    employer_city: Mapped[str] = mapped_column(String(50), default="")

    nomination: Mapped[Nomination] = relationship(back_populates="identity")

    @property
    def first_inventor(self) -> str | None:
        return self.inventors[0] if self.inventors else None


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("nomination_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    original_name: Mapped[str] = mapped_column(String(300))  # identifying: organizers and auditors only
    # What judges receive: sanitized (active content and metadata gone) and redacted. None when the
    # file was refused: nothing reaches a judge until the organizer replaces it.
    stored_name: Mapped[str | None] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # The sanitized file before redaction, for the organizer's review (never served to a judge).
    review_name: Mapped[str | None] = mapped_column(String(100), unique=True)
    # "ok" (judges get stored_name), "refused" (refusal says why; the nomination waits for a replacement)
    state: Mapped[str] = mapped_column(String(16), default="ok")
    refusal: Mapped[str] = mapped_column(Text, default="")
    # What sanitizing removed and redaction masked: [{"kind", "text"}], and notes for the organizer
    # (images that may show text: [{"kind": "images", "text": ...}]).
    findings: Mapped[list] = mapped_column(JSON, default=list)

    nomination: Mapped[Nomination] = relationship(back_populates="attachments")


class BlindCode(Base):
    """The unguessable code a nomination carries in one round; the only handle judges get."""

    __tablename__ = "blind_codes"
    __table_args__ = (UniqueConstraint("round_id", "nomination_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)


class NominationOriginal(Base):
    """The text as submitted (names and all) and the import bookkeeping: organizers and auditors only.

    ``Nomination.title/summary/body`` hold the redacted, organizer-reviewed text judges read; the
    judge path never reads this table.
    """

    __tablename__ = "nomination_originals"
    __table_args__ = (UniqueConstraint("edition_id", "fingerprint"),)

    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    content_digest: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    name_after_creator: Mapped[bool] = mapped_column(default=False)
    # Customary abbreviations of the employer (南钢) the organizer adds; masked like the full name.
    employer_forms: Mapped[list] = mapped_column(JSON, default=list)
    # What the automatic redaction masked: [{"field", "kind", "text"}].
    masked: Mapped[list] = mapped_column(JSON, default=list)
    # Places the category's text needs (a project named after a district), let stay by an audited
    # exception of the organizer: [{"text", "reason"}].
    place_exceptions: Mapped[list] = mapped_column(JSON, default=list)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("nomination_imports.id", ondelete="SET NULL"))
    source_row: Mapped[int | None]
    confirmed_at: Mapped[dt.datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class NominationImport(Base):
    """One upload of a nomination table (and its attachments archive), with its error report."""

    __tablename__ = "nomination_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    archive_name: Mapped[str] = mapped_column(String(300), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    keep_valid: Mapped[bool] = mapped_column(default=False)
    # "rejected" (nothing stored), "imported" (every row), "partial" (valid rows kept)
    status: Mapped[str] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list] = mapped_column(JSON, default=list)  # [{"row", "column", "problem"}]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NominationFlag(Base):
    """Something the organizer must look at before confirming: a likely duplicate, or identifying
    strings left in an attachment or in the judged text."""

    __tablename__ = "nomination_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    # "same_title_employer", "similar_text", "attachment_leftover", "text_leftover"
    kind: Mapped[str] = mapped_column(String(24))
    other_nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"))
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id", ondelete="CASCADE"))
    score: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class EmployerShortName(Base):
    """A short name texts use for an employer (南钢 for 南京钢铁股份有限公司), in an edition's dictionary.

    ``source``: "seed" (shipped list), "learned" (a past edition), "office" (entered or imported),
    "nomination" (a nomination's own column). ``employer_key`` is the normalized employer name.
    """

    __tablename__ = "employer_short_names"
    __table_args__ = (UniqueConstraint("edition_id", "employer_key", "short_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    employer: Mapped[str] = mapped_column(String(200))
    employer_key: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(String(16), default="office")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class QuotaUnit(Base):
    """A nominating unit (prefecture-level city or provincial industry union) and its employees."""

    __tablename__ = "quota_units"
    __table_args__ = (UniqueConstraint("edition_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(16), default="city")  # "city" or "industry"
    employees: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)


def _attachment_blinded_name(self: Attachment, code: str) -> str:
    """The only name a judge sees: ``<code>-<n>.<ext>``."""
    from judging.nominations.attachments import KINDS, blinded_name

    return blinded_name(code, self.position, KINDS.get(self.kind, self.kind))


Attachment.blinded_name = _attachment_blinded_name
