"""Editions: finding the current edition and the figures the organizer's home shows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from judging.editions.models import Category, Edition, Round
from judging.errors import NotFound
from judging.nominations.models import Nomination
from judging.panels.models import Assignment
from judging.scoring.models import ScoreSheet, SheetStatus


def current_edition(session: Session) -> Edition:
    """The most recent edition (by year); NotFound when none has been set up."""
    edition = session.scalar(select(Edition).order_by(Edition.year.desc()).limit(1))
    if edition is None:
        raise NotFound("edition")
    return edition


def current_edition_or_none(session: Session) -> Edition | None:
    """The most recent edition, or None before any has been set up (pages then say so)."""
    try:
        return current_edition(session)
    except NotFound:
        return None


def has_edition(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(Edition)) > 0


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
        base = (select(Nomination.category_id).join(Assignment, Assignment.nomination_id == Nomination.id)
                .where(Assignment.round_id == round_.id))
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
