"""Experts of the pool and their assignments to nominations in a round."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
import zlib

import numpy as np
from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from judging.db.base import Base, enum_column, utcnow


def new_handle() -> str:
    """A random handle for a judge's URL (96 bits, URL-safe)."""
    return secrets.token_urlsafe(12)


class Expert(Base):
    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    employer: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    fields: Mapped[list] = mapped_column(JSON, default=list)
    # The industry the expert works in, compared with a nomination's in the integrity report.
    industry: Mapped[str] = mapped_column(String(100), default="")
    max_load: Mapped[int] = mapped_column(default=30)
    active: Mapped[bool] = mapped_column(default=True)


class Assignment(Base):
    """One expert judging one nomination in one round."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("round_id", "nomination_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The judge's handle on it in URLs and forms: random, so it says nothing about import order
    # or how many assignments exist (ids are sequential).
    handle: Mapped[str] = mapped_column(String(32), unique=True, default=new_handle)
    # A withdrawn assignment (conflict declared, expert dropped out) is kept for the record and
    # leaves the judge's queue; its sheet, if any, is never counted.
    withdrawn_at: Mapped[dt.datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    expert: Mapped[Expert] = relationship()


class ConflictSource(enum.StrEnum):
    AUTOMATIC = "automatic"   # same employer, same group, same city (when the round's rule says so)
    ORGANIZER = "organizer"   # entered by an organizer, with a reason
    DECLARED = "declared"     # declared by the judge from the judging page


class Conflict(Base):
    """An expert who must not judge a nomination, with where that knowledge came from."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("expert_id", "nomination_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    source: Mapped[ConflictSource] = mapped_column(
        enum_column(ConflictSource))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EmployerGroup(Base):
    """A parent group (集团) whose member employers conflict with each other, as entered by an organizer."""

    __tablename__ = "employer_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    members: Mapped[list[EmployerGroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="EmployerGroupMember.employer")


class EmployerGroupMember(Base):
    """One employer of a group; ``employer_key`` is its normalized name (one group per employer)."""

    __tablename__ = "employer_group_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("employer_groups.id", ondelete="CASCADE"), index=True)
    employer: Mapped[str] = mapped_column(String(200))
    employer_key: Mapped[str] = mapped_column(String(200), unique=True)

    group: Mapped[EmployerGroup] = relationship(back_populates="members")


class PlanStatus(enum.StrEnum):
    PREVIEW = "preview"        # computed, shown to the organizer, not yet in force
    COMMITTED = "committed"    # its pairs are the round's assignments
    INFEASIBLE = "infeasible"  # no plan exists; ``figures`` say what falls short
    DISCARDED = "discarded"    # superseded by a newer preview or committed plan


class PairList(TypeDecorator):
    """[nomination id, expert id] pairs stored packed: the first ids as differences (a plan lists each
    nomination's experts together, so mostly 0 and 1) then the second ids, little-endian int64, deflated.
    A plan of 100,000 pairs takes a few hundred KB instead of 1.3 MB of JSON. Read back as a list of pairs."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect) -> bytes | None:
        if value is None:
            return None
        pairs = np.asarray(value, dtype=np.int64).reshape(-1, 2)
        packed = np.concatenate([np.diff(pairs[:, 0], prepend=0), pairs[:, 1]]).astype("<i8")
        return zlib.compress(packed.tobytes(), 6)

    def process_result_value(self, value: bytes | None, dialect) -> list[list[int]] | None:
        if value is None:
            return None
        packed = np.frombuffer(zlib.decompress(value), dtype="<i8")
        half = len(packed) // 2
        return np.stack([np.cumsum(packed[:half]), packed[half:]], axis=1).tolist()


class AssignmentPlan(Base):
    """A previewed assignment of one category's nominations in one round, kept until committed.

    ``pairs`` holds [nomination_id, expert_id] rows; ``figures`` the quality figures, the
    conflicts avoided and the experts at their cap (or, when infeasible, what falls short).
    """

    __tablename__ = "assignment_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    status: Mapped[PlanStatus] = mapped_column(
        enum_column(PlanStatus),
        default=PlanStatus.PREVIEW)
    mode: Mapped[str] = mapped_column(String(16), default="k")  # "k" (k judges each) or "blocks" (panels)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    pairs: Mapped[list] = mapped_column(PairList, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    committed_at: Mapped[dt.datetime | None]
