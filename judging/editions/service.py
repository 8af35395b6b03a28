"""Editions: setting one up (categories, rubrics, rounds), opening and closing its rounds, finding the
current edition."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from judging import audit
from judging.editions.models import Category, Criterion, Edition, EditionStatus, Round, RoundStatus, Rubric
from judging.editions.rubrics import RubricSpec, check_rubric, spec_of, write_rubric
from judging.editions.specs import EditionSpec, check_edition
from judging.errors import N_, Conflict, NotFound


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


def create_edition(session: Session, *, spec: EditionSpec, by: audit.Actor) -> Edition:
    """Create the edition with its categories (each with its rubric) and rounds, in setup; audited once
    with the whole spec. Refused, with nothing stored, when the spec is invalid (see
    :func:`judging.editions.specs.check_edition`) or the year already has an edition."""
    check_edition(spec)
    if session.scalar(select(Edition.id).where(Edition.year == spec.year)) is not None:
        raise Conflict(N_("The {year} edition exists already."), year=spec.year)
    edition = Edition(year=spec.year, name=spec.name.strip(), status=EditionStatus.SETUP, settings=dict(spec.settings))
    session.add(edition)
    for position, category_spec in enumerate(spec.categories):
        category = Category(edition=edition, key=category_spec.key, name=category_spec.name.strip(),
                            top_n=category_spec.top_n, position=position)
        rubric = Rubric(category=category, name=category_spec.rubric.name)
        write_rubric(rubric, category_spec.rubric)
        session.add_all([category, rubric])
    for round_spec in spec.rounds:
        session.add(Round(edition=edition, kind=round_spec.kind, name=round_spec.name.strip(),
                          status=RoundStatus.DRAFT, opens_at=round_spec.opens_at, deadline_at=round_spec.deadline_at))
    session.flush()
    audit.append(session, actor=by, action="edition.created", object_type="edition", object_id=edition.id,
                 data=spec.as_json())
    return edition


def category_rubric(session: Session, *, category_id: int) -> tuple[Category, Rubric | None]:
    """The category and its rubric with criteria, bands and grades loaded; NotFound for no category."""
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound("category")
    rubric = session.scalar(select(Rubric).where(Rubric.category_id == category.id).options(
        selectinload(Rubric.criteria).selectinload(Criterion.levels),
        selectinload(Rubric.criteria).selectinload(Criterion.grades)))
    return category, rubric


def set_rubric(session: Session, *, category_id: int, spec: RubricSpec, by: audit.Actor) -> Rubric:
    """Replace the category's rubric with ``spec`` (checked first), audited with the rubric before and
    after; an unchanged rubric writes nothing. This is the write only: scoring locks a rubric once its
    category has scores, and its rubric page checks that before calling here."""
    check_rubric(spec)
    category, rubric = category_rubric(session, category_id=category_id)
    before = spec_of(rubric)
    if before == spec:
        return rubric
    if rubric is None:
        rubric = Rubric(category_id=category.id, name=spec.name)
        session.add(rubric)
    else:
        rubric.version += 1  # saves cache rubrics by version
    rubric.criteria.clear()
    session.flush()  # the old criteria go before the new ones take their positions
    write_rubric(rubric, spec)
    session.flush()
    audit.append(session, actor=by, action="category.rubric_updated", object_type="category", object_id=category.id,
                 data={"rubric": rubric.id, "before": before.as_json() if before else None, "after": spec.as_json()})
    return rubric


# ----------------------------------------------------------------------------------------- rounds

def get_round(session: Session, *, round_id: int) -> Round:
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound("round")
    return round_


def open_round(session: Session, *, round_: Round, by: audit.Actor) -> Round:
    """Open a draft round, or reopen a closed one; audited. The first round opened starts the edition
    (setup → running)."""
    if round_.status is RoundStatus.OPEN:
        raise Conflict(N_("The round is already open."))
    previous = round_.status
    round_.status = RoundStatus.OPEN
    data = {"from": previous.value}
    edition = round_.edition
    if edition.status is EditionStatus.SETUP:
        edition.status = EditionStatus.RUNNING
        data["edition_status"] = EditionStatus.RUNNING.value
    session.flush()
    audit.append(session, actor=by, action="round.opened", object_type="round", object_id=round_.id, data=data)
    return round_


def close_round(session: Session, *, round_: Round, by: audit.Actor) -> Round:
    """Close an open round (judges can no longer save or submit in it); audited."""
    if round_.status is not RoundStatus.OPEN:
        raise Conflict(N_("Only an open round can be closed."))
    round_.status = RoundStatus.CLOSED
    session.flush()
    audit.append(session, actor=by, action="round.closed", object_type="round", object_id=round_.id)
    return round_
