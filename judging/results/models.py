"""Result runs (immutable), their approval, recomputations, advancement and unblinding.

A run is written once, in the transaction that computed it, and never updated: approval, checks and
everything that happens to a run later are rows of their own that point at it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from judging.db.base import Base, utcnow
from judging.results.naming import rule_words


class ResultRun(Base):
    """One computation of results for a round and category: method, options, inputs and outputs."""

    __tablename__ = "result_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(32))
    # Every option that produced the result (method options with defaults, top_n, tie_rule, reps,
    # within_components, the familiarity->confidence mapping used), as the engine reported them.
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    seed: Mapped[int] = mapped_column(Integer)
    engine_version: Mapped[str] = mapped_column(String(32))
    # SHA-256 over the canonical JSON of ``inputs`` (the exact scores) and over ``outputs``.
    input_digest: Mapped[str] = mapped_column(String(64))
    calibration_digest: Mapped[str] = mapped_column(String(64))
    output_digest: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict] = mapped_column(JSON)
    outputs: Mapped[dict] = mapped_column(JSON)
    # Sheets of the round and category that were assigned but not submitted when the run was made
    # (the organizer confirmed running anyway when this is > 0).
    unsubmitted: Mapped[int] = mapped_column(default=0)
    n_items: Mapped[int] = mapped_column(default=0)
    n_judges: Mapped[int] = mapped_column(default=0)
    n_scores: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    entries: Mapped[list[ResultEntry]] = relationship(back_populates="run", order_by="ResultEntry.rank",
                                                      cascade="all, delete-orphan")
    judges: Mapped[list[JudgeDiagnostic]] = relationship(back_populates="run", order_by="JudgeDiagnostic.code",
                                                         cascade="all, delete-orphan")
    approval: Mapped[RunApproval | None] = relationship(back_populates="run", uselist=False)

    def rule(self, gettext) -> str:
        """The run's aggregation rule in words (e.g. 截尾平均（≥5 个评分时去掉一个最高分和一个最低分）)."""
        return rule_words(self.method, (self.options or {}).get("method_options"), gettext)


class ResultEntry(Base):
    """One nomination's outcome in a run (a copy of ``outputs`` in rows, for queries and exports)."""

    __tablename__ = "result_entries"
    __table_args__ = (UniqueConstraint("run_id", "nomination_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("result_runs.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    se: Mapped[float | None] = mapped_column(Float)
    raw_mean: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    raw_rank: Mapped[int] = mapped_column(Integer)
    rank_low: Mapped[int] = mapped_column(Integer)
    rank_high: Mapped[int] = mapped_column(Integer)
    p_top: Mapped[float] = mapped_column(Float)
    n_scores: Mapped[int] = mapped_column(Integer)
    component: Mapped[int] = mapped_column(Integer, default=0)
    in_top: Mapped[bool] = mapped_column(Boolean, default=False)

    run: Mapped[ResultRun] = relationship(back_populates="entries")


class JudgeDiagnostic(Base):
    """One judge's severity and consistency in a run; ``code`` is the anonymous J01… label of the run."""

    __tablename__ = "judge_diagnostics"
    __table_args__ = (UniqueConstraint("run_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("result_runs.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    n_scores: Mapped[int] = mapped_column(Integer)
    severity: Mapped[float] = mapped_column(Float)
    scale: Mapped[float | None] = mapped_column(Float)
    correlation: Mapped[float | None] = mapped_column(Float)
    rms_residual: Mapped[float] = mapped_column(Float)

    run: Mapped[ResultRun] = relationship(back_populates="judges")


class RunApproval(Base):
    """The organizer's approval of one run; at most one per round and category. Freezes its scores."""

    __tablename__ = "run_approvals"
    __table_args__ = (UniqueConstraint("round_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("result_runs.id", ondelete="CASCADE"), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    run: Mapped[ResultRun] = relationship(back_populates="approval")


class RunCheck(Base):
    """A recomputation of a run from the stored scores (usually by an auditor) and its verdict."""

    __tablename__ = "run_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("result_runs.id", ondelete="CASCADE"), index=True)
    input_digest: Mapped[str] = mapped_column(String(64))
    output_digest: Mapped[str] = mapped_column(String(64))
    inputs_match: Mapped[bool] = mapped_column(Boolean)
    outputs_match: Mapped[bool] = mapped_column(Boolean)
    # Scores that differ from the run's inputs: [{"code", "judge", "criterion", "stored", "now"}].
    changes: Mapped[list] = mapped_column(JSON, default=list)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Advancement(Base):
    """A nomination that advanced from a preliminary run to the final round."""

    __tablename__ = "advancements"
    __table_args__ = (UniqueConstraint("round_id", "nomination_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("result_runs.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Unblinding(Base):
    """The audited act that lets organizers see who made the nominations of an approved run."""

    __tablename__ = "unblindings"
    __table_args__ = (UniqueConstraint("round_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("result_runs.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    unblinded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    unblinded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
