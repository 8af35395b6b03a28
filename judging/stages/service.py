"""Opening, closing, skipping and scheduling the stages of a category, and what blocks each one.

A stage with no row is pending. Stages go in `StageKind` order: one opens when every stage before
it is closed or skipped, and closes when nothing blocks it. What blocks a stage is worked out by the
part that owns the stage's work (intake, formal review, results, meetings, notices), which declares its
check in ``judging.parts``; the app, the worker and the CLI install them with ``install_checks``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit
from judging.db.base import utcnow
from judging.editions.models import Category, Edition
from judging.errors import JudgingError, N_, NotFound
from judging.stages.models import STAGE_LABELS, Stage, StageKind, StageStatus

ORDER = list(StageKind)
# A category may go without these (e.g. 首席员工 without a panel meeting); the others are the law.
SKIPPABLE = frozenset({StageKind.FORMAL_REVIEW, StageKind.PANEL_MEETING})
DONE = frozenset({StageStatus.CLOSED, StageStatus.SKIPPED})

@dataclass(frozen=True)
class Blocker:
    """Why a stage cannot close yet, as a translatable message with named parameters."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.message).format(**self.params)


class StageError(JudgingError):
    """A stage transition that the pipeline refuses; nothing was changed. Stage names are message ids too."""

    def render(self, gettext: Callable[[str], str]) -> str:
        labels = set(STAGE_LABELS.values())
        return gettext(self.message).format(**{name: gettext(value) if value in labels else value
                                               for name, value in self.params.items()})


class StageBlocked(StageError):
    def __init__(self, kind: StageKind, blockers: list[Blocker]) -> None:
        super().__init__(N_("{stage} cannot close yet: {reasons}"), stage=STAGE_LABELS[kind],
                         reasons="; ".join(b.message.format(**b.params) for b in blockers))
        self.kind, self.blockers = kind, blockers

    def render(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.message).format(stage=gettext(STAGE_LABELS[self.kind]),
                                            reasons="；".join(b.render(gettext) for b in self.blockers))


BlockerCheck = Callable[[Session, Category], list[Blocker]]
_CHECKS: dict[StageKind, tuple[BlockerCheck, ...]] = {}


def install_checks(checks: dict[StageKind, tuple[BlockerCheck, ...]]) -> None:
    """Each stage's blocker checks, declared by the parts that own its work (``judging.parts`` assembles them)."""
    _CHECKS.clear()
    _CHECKS.update(checks)


def blockers(session: Session, *, category: Category, kind: StageKind) -> list[Blocker]:
    """Everything that keeps ``kind`` from closing for ``category`` (empty: it may close)."""
    if kind not in _CHECKS:
        raise RuntimeError("the stage checks are not installed: the app, the worker and the CLI install them "
                           "from judging.parts")
    return [b for check in _CHECKS[kind] for b in check(session, category)]


def _category(session: Session, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound("category")
    return category


def stage_rows(session: Session, *, category_id: int) -> dict[StageKind, Stage]:
    return {row.kind: row for row in session.scalars(select(Stage).where(Stage.category_id == category_id))}


def _stage(session: Session, category_id: int, kind: StageKind) -> Stage | None:
    return session.scalar(select(Stage).where(Stage.category_id == category_id, Stage.kind == kind))


def status_of(session: Session, *, category_id: int, kind: StageKind) -> StageStatus:
    row = _stage(session, category_id, kind)
    return row.status if row is not None else StageStatus.PENDING


def _row(session: Session, category: Category, kind: StageKind) -> Stage:
    """The stage's row, made (pending) when the category has none yet."""
    row = _stage(session, category.id, kind)
    if row is None:
        row = Stage(edition_id=category.edition_id, category_id=category.id, kind=kind, status=StageStatus.PENDING,
                    note="")
        session.add(row)
    return row


def _audit(session: Session, by: audit.Actor, action: str, row: Stage, **data: Any) -> None:
    session.flush()
    audit.append(session, actor=by, action=action, object_type="stage", object_id=row.id,
                 data={"category_id": row.category_id, "kind": row.kind.value, **data})


def require_open(session: Session, *, category_id: int, kind: StageKind) -> None:
    """Refuse work that belongs to a stage unless that stage is open for the category."""
    if status_of(session, category_id=category_id, kind=kind) is not StageStatus.OPEN:
        raise StageError(N_("{stage} is not open for this category."), stage=STAGE_LABELS[kind])


def open_stage(session: Session, *, category_id: int, kind: StageKind, by: audit.Actor,
               now: dt.datetime | None = None) -> Stage:
    category = _category(session, category_id)
    rows = stage_rows(session, category_id=category_id)
    row = rows.get(kind)
    if row is not None and row.status is not StageStatus.PENDING:
        raise StageError(N_("{stage} has already been opened or skipped."), stage=STAGE_LABELS[kind])
    for earlier in ORDER[:ORDER.index(kind)]:
        if earlier not in rows or rows[earlier].status not in DONE:
            raise StageError(N_("{stage} cannot open before {earlier} is closed or skipped."),
                             stage=STAGE_LABELS[kind], earlier=STAGE_LABELS[earlier])
    row = _row(session, category, kind)
    row.status, row.opened_at, row.opened_by_id = StageStatus.OPEN, now or utcnow(), by.id
    _audit(session, by, "stage.opened", row)
    return row


def close_stage(session: Session, *, category_id: int, kind: StageKind, by: audit.Actor,
                now: dt.datetime | None = None) -> Stage:
    category = _category(session, category_id)
    row = _stage(session, category_id, kind)
    if row is None or row.status is not StageStatus.OPEN:
        raise StageError(N_("{stage} is not open for this category."), stage=STAGE_LABELS[kind])
    found = blockers(session, category=category, kind=kind)
    if found:
        raise StageBlocked(kind, found)
    row.status, row.closed_at, row.closed_by_id = StageStatus.CLOSED, now or utcnow(), by.id
    _audit(session, by, "stage.closed", row)
    return row


def reopen_stage(session: Session, *, category_id: int, kind: StageKind, reason: str, by: audit.Actor,
                 now: dt.datetime | None = None) -> Stage:
    """Open a closed stage again (e.g. formal review for a nomination that arrived late), with the reason.

    Refused while a later stage has opened: its work already rests on this one's (close it first, or
    reopen that one); a skipped stage is not reopened (it has no work to redo)."""
    category = _category(session, category_id)
    reason = reason.strip()
    if not reason:
        raise StageError(N_("Give the reason for reopening {stage}."), stage=STAGE_LABELS[kind])
    rows = stage_rows(session, category_id=category.id)
    row = rows.get(kind)
    if row is None or row.status is not StageStatus.CLOSED:
        raise StageError(N_("{stage} is not closed, so it cannot be reopened."), stage=STAGE_LABELS[kind])
    for later in ORDER[ORDER.index(kind) + 1:]:
        if later in rows and rows[later].status in (StageStatus.OPEN, StageStatus.CLOSED):
            raise StageError(N_("{stage} cannot be reopened: {later} has already started."),
                             stage=STAGE_LABELS[kind], later=STAGE_LABELS[later])
    row.status, row.closed_at, row.closed_by_id = StageStatus.OPEN, None, None
    row.opened_at, row.opened_by_id = now or utcnow(), by.id
    _audit(session, by, "stage.reopened", row, reason=reason)
    return row


def skip_stage(session: Session, *, category_id: int, kind: StageKind, reason: str, by: audit.Actor) -> Stage:
    category = _category(session, category_id)
    if kind not in SKIPPABLE:
        raise StageError(N_("{stage} cannot be skipped."), stage=STAGE_LABELS[kind])
    reason = reason.strip()
    if not reason:
        raise StageError(N_("Give the reason for skipping {stage}."), stage=STAGE_LABELS[kind])
    row = _row(session, category, kind)
    if row.status is not StageStatus.PENDING:
        raise StageError(N_("{stage} has already been opened or skipped."), stage=STAGE_LABELS[kind])
    row.status, row.note = StageStatus.SKIPPED, reason
    _audit(session, by, "stage.skipped", row, reason=reason)
    return row


def schedule_stage(session: Session, *, category_id: int, kind: StageKind, start: dt.date | None,
                   end: dt.date | None, by: audit.Actor) -> Stage:
    category = _category(session, category_id)
    if start and end and end < start:
        raise StageError(N_("The planned end of {stage} is before its start."), stage=STAGE_LABELS[kind])
    row = _row(session, category, kind)
    if row.status in DONE:
        raise StageError(N_("{stage} is over; its schedule can no longer change."), stage=STAGE_LABELS[kind])
    row.planned_start, row.planned_end = start, end
    _audit(session, by, "stage.scheduled", row, start=start.isoformat() if start else None,
           end=end.isoformat() if end else None)
    return row


@dataclass(frozen=True)
class StageView:
    kind: StageKind
    status: StageStatus
    row: Stage | None

    @property
    def label(self) -> str:
        return STAGE_LABELS[self.kind]


@dataclass(frozen=True)
class CategoryPipeline:
    """Where one category stands: every stage's status, the current stage and what blocks it."""

    category: Category
    stages: list[StageView]
    current: StageKind | None  # the open stage, else the next pending one; None when all are done
    blockers: list[Blocker]    # what keeps the current (open) stage from closing

    @property
    def finished(self) -> bool:
        return self.current is None


def pipeline(session: Session, *, edition: Edition) -> list[CategoryPipeline]:
    result = []
    for category in edition.categories:
        rows = stage_rows(session, category_id=category.id)
        stages = [StageView(kind, rows[kind].status if kind in rows else StageStatus.PENDING, rows.get(kind))
                  for kind in ORDER]
        current = next((s for s in stages if s.status is StageStatus.OPEN), None) \
            or next((s for s in stages if s.status is StageStatus.PENDING), None)
        found = (blockers(session, category=category, kind=current.kind)
                 if current is not None and current.status is StageStatus.OPEN else [])
        result.append(CategoryPipeline(category, stages, current.kind if current else None, found))
    return result
