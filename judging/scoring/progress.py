"""The organizer's view of a round's progress: sheets per category and judge, and the edition's figures.

One home for these counts, so the organizer's home and the round page agree (withdrawn assignments
count nowhere).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from judging.accounts.models import User
from judging.audit.models import AuditEvent
from judging.db.base import utcnow
from judging.errors import NotFound
from judging.editions.models import Category, Edition, Round
from judging.nominations.models import BlindCode, Nomination
from judging.panels.models import Assignment, Expert
from judging.scoring.models import DeadlineExtension, ScoreSheet, SheetStatus
from judging.scoring.service import later_deadline


@dataclass
class Progress:
    assigned: int = 0
    draft: int = 0
    submitted: int = 0
    overdue: int = 0

    @property
    def not_started(self) -> int:
        return self.assigned - self.draft - self.submitted

    @property
    def percent(self) -> int:
        return round(100 * self.submitted / self.assigned) if self.assigned else 0


@dataclass
class CategoryProgress(Progress):
    category: Category | None = None


@dataclass
class JudgeProgress(Progress):
    expert: Expert | None = None
    username: str = ""
    deadline: dt.datetime | None = None
    extended: bool = False
    expected: int = 0

    @property
    def behind(self) -> bool:
        return self.submitted < self.assigned and (self.overdue > 0 or self.submitted < self.expected)


@dataclass
class RoundProgress:
    round: Round
    categories: list[CategoryProgress]
    judges: list[JudgeProgress]
    total: Progress = field(default_factory=Progress)
    elapsed: float = 0.0

    @property
    def behind(self) -> list[JudgeProgress]:
        return [judge for judge in self.judges if judge.behind]


def _elapsed(round_: Round, deadline: dt.datetime | None, now: dt.datetime) -> float:
    if round_.opens_at is None or deadline is None or deadline <= round_.opens_at:
        return 1.0 if deadline is not None and now > deadline else 0.0
    share = (now - round_.opens_at) / (deadline - round_.opens_at)
    return min(1.0, max(0.0, share))


def round_progress(session: Session, *, round_: Round, now: dt.datetime | None = None) -> RoundProgress:
    """Assigned, draft, submitted and overdue sheets per category and per judge, in one grouped query.

    A judge is behind schedule when an item is overdue, or when fewer sheets are submitted than
    the share of the judge's time already gone (from the round's opening to the judge's deadline).
    """
    now = now or utcnow()
    rows = session.execute(
        select(Nomination.category_id, Assignment.expert_id, ScoreSheet.status, func.count())
        .join(Nomination, Nomination.id == Assignment.nomination_id)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.round_id == round_.id, Assignment.withdrawn_at.is_(None))
        .group_by(Nomination.category_id, Assignment.expert_id, ScoreSheet.status)).all()
    extensions = dict(session.execute(select(DeadlineExtension.expert_id, DeadlineExtension.deadline_at)
                                      .where(DeadlineExtension.round_id == round_.id)).all())
    experts = {expert.id: (expert, username) for expert, username in session.execute(
        select(Expert, User.username).outerjoin(User, User.id == Expert.user_id)
        .where(Expert.id.in_({row[1] for row in rows})))} if rows else {}
    categories = {c.id: CategoryProgress(category=c) for c in round_.edition.categories}
    judges: dict[int, JudgeProgress] = {}
    total = Progress()
    for category_id, expert_id, status, count in rows:
        if expert_id not in judges:
            expert, username = experts[expert_id]
            deadline = later_deadline(round_.deadline_at, extensions.get(expert_id))
            judges[expert_id] = JudgeProgress(expert=expert, username=username or "", deadline=deadline,
                                              extended=expert_id in extensions and deadline != round_.deadline_at)
        judge = judges[expert_id]
        overdue = judge.deadline is not None and now > judge.deadline and status is not SheetStatus.SUBMITTED
        category = categories.setdefault(category_id, CategoryProgress(category=session.get(Category, category_id)))
        for progress in (category, judge, total):
            progress.assigned += count
            if status is SheetStatus.SUBMITTED:
                progress.submitted += count
            elif status is SheetStatus.DRAFT:
                progress.draft += count
            if overdue:
                progress.overdue += count
    for judge in judges.values():
        judge.expected = int(judge.assigned * _elapsed(round_, judge.deadline, now))
    ordered = sorted(judges.values(), key=lambda j: (-(j.assigned - j.submitted), j.username))
    return RoundProgress(round_, [c for c in categories.values() if c.assigned or c.category], ordered, total,
                         _elapsed(round_, round_.deadline_at, now))


@dataclass(frozen=True)
class JudgeSheetRow:
    """One assignment of a judge in a round, as the organizer sees it (no scores: nobody edits them here)."""

    assignment_id: int
    code: str
    title: str
    category_name: str
    sheet: ScoreSheet | None
    withdrawn_at: dt.datetime | None
    withdrawn_reason: str | None


def judge_round_sheets(session: Session, *, round_: Round, expert_id: int) -> list[JudgeSheetRow]:
    if session.get(Expert, expert_id) is None:
        raise NotFound("expert")
    rows = session.execute(
        select(Assignment, BlindCode.code, Nomination.title, Category.name, ScoreSheet)
        .join(Nomination, Nomination.id == Assignment.nomination_id)
        .join(Category, Category.id == Nomination.category_id)
        .outerjoin(BlindCode, (BlindCode.nomination_id == Nomination.id) & (BlindCode.round_id == round_.id))
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.round_id == round_.id, Assignment.expert_id == expert_id)
        .order_by(Category.position, BlindCode.code)).all()
    return [JudgeSheetRow(a.id, code or "", title, category_name, sheet, a.withdrawn_at, a.withdrawn_reason)
            for a, code, title, category_name, sheet in rows]


def round_extension(session: Session, *, round_: Round, expert_id: int) -> DeadlineExtension | None:
    return session.scalar(select(DeadlineExtension).where(DeadlineExtension.round_id == round_.id,
                                                          DeadlineExtension.expert_id == expert_id))


@dataclass(frozen=True)
class CategoryFigures:
    category: Category
    nominations: int
    assigned: int
    assignments: int
    drafts: int
    submitted: int


def category_figures(session: Session, *, edition: Edition, round_: Round | None) -> list[CategoryFigures]:
    """Per category: nominations, nominations with judges, assignments and sheets in ``round_``."""
    nominations = dict(session.execute(
        select(Nomination.category_id, func.count()).where(Nomination.edition_id == edition.id)
        .group_by(Nomination.category_id)).all())
    assigned, assignments, drafts, submitted = {}, {}, {}, {}
    if round_ is not None:
        # Withdrawn assignments count nowhere, as in round_progress.
        base = (select(Nomination.category_id).join(Assignment, Assignment.nomination_id == Nomination.id)
                .where(Assignment.round_id == round_.id, Assignment.withdrawn_at.is_(None)))
        for category_id, n_nominations, n_assignments in session.execute(
                base.with_only_columns(Nomination.category_id, func.count(distinct(Nomination.id)), func.count())
                .group_by(Nomination.category_id)):
            assigned[category_id], assignments[category_id] = n_nominations, n_assignments
        for category_id, status, count in session.execute(
                base.join(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
                .with_only_columns(Nomination.category_id, ScoreSheet.status, func.count())
                .group_by(Nomination.category_id, ScoreSheet.status)):
            (submitted if status is SheetStatus.SUBMITTED else drafts)[category_id] = count
    return [CategoryFigures(category, nominations.get(category.id, 0), assigned.get(category.id, 0),
                            assignments.get(category.id, 0), drafts.get(category.id, 0), submitted.get(category.id, 0))
            for category in edition.categories]


def sheet_histories(session: Session, sheet_ids: list[int]) -> dict[int, list[AuditEvent]]:
    """Each sheet's audit events, oldest first (drafts, submission, reopening): the auditor reads them."""
    found: dict[int, list[AuditEvent]] = {sheet_id: [] for sheet_id in sheet_ids}
    if not sheet_ids:
        return found
    for event in session.scalars(select(AuditEvent).where(AuditEvent.object_type == "score_sheet",
                                                          AuditEvent.object_id.in_([str(i) for i in sheet_ids]))
                                 .order_by(AuditEvent.seq)):
        found[int(event.object_id)].append(event)
    return found
