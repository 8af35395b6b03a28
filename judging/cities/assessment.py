"""Each city's fulfilment of its quota (live) and its assessment: target, submitted, passed formal review,
shortlisted, awarded and May Day medals, for one edition and across editions, as a page, a PDF and a workbook."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from judging.awards.models import ApprovedWinner
from judging.awards.service import recommends_may_day
from judging.editions.models import Category, Edition
from judging.errors import N_
from judging.formal_review.models import Decision, Outcome
from judging.meetings.models import Meeting, MeetingNomination, MeetingStatus
from judging.nominations import service as intake
from judging.nominations.models import Nomination, NominationIdentity, NominationStatus
from judging.tabular import xlsx_bytes

# The columns of the assessment, in the order the page, the PDF and the workbook show them (message ids).
COLUMNS = (("target", N_("Target")), ("submitted", N_("Submitted")), ("passed", N_("Passed formal review")),
           ("shortlisted", N_("Shortlisted")), ("awarded", N_("Awarded")), ("medals", N_("May Day medals")))


@dataclass(frozen=True)
class Fulfilment:
    """Per unit and category: (quota, counted) — counted as the quota counts (not withdrawn nor rejected)."""

    edition: Edition
    units: list[str]
    categories: list[Category]
    cells: dict[str, dict[int, tuple[int | None, int]]]

    def total(self, city: str) -> tuple[int | None, int]:
        cells = self.cells.get(city, {}).values()
        quotas = [q for q, _ in cells if q is not None]
        return (sum(quotas) if quotas else None), sum(n for _, n in cells)


def _not_rejected():
    return ~exists().where(Decision.nomination_id == Nomination.id, Decision.superseded.is_(False),
                           Decision.outcome == Outcome.REJECTED)


def fulfilment(session: Session, *, edition: Edition) -> Fulfilment:
    targets = intake.city_category_targets(session, edition=edition)
    units = intake.known_units(session, edition=edition)
    counted: dict[tuple[str, int], int] = {(city, category_id): n for city, category_id, n in session.execute(
        select(NominationIdentity.city, Nomination.category_id, func.count())
        .join(Nomination, Nomination.id == NominationIdentity.nomination_id)
        .where(Nomination.edition_id == edition.id, Nomination.status != NominationStatus.WITHDRAWN, _not_rejected())
        .group_by(NominationIdentity.city, Nomination.category_id))}
    categories = list(edition.categories)
    cells = {city: {c.id: (targets.get(c.id, {}).get(city), counted.get((city, c.id), 0)) for c in categories}
             for city in units}
    return Fulfilment(edition, units, categories, cells)


@dataclass(frozen=True)
class CityFigures:
    city: str
    target: int | None
    submitted: int
    passed: int
    shortlisted: int
    awarded: int
    medals: int | None  # None: no award list approved yet in the edition, so nothing to count

    @property
    def fulfilment(self) -> float | None:
        return self.submitted / self.target if self.target else None


@dataclass(frozen=True)
class Assessment:
    edition: Edition
    rows: list[CityFigures]

    def total(self, name: str) -> int | None:
        values = [getattr(r, name) for r in self.rows if getattr(r, name) is not None]
        return sum(values) if values else None


def _by_city(session: Session, query) -> dict[str, int]:
    return {city: int(n) for city, n in session.execute(query)}


def assessment(session: Session, *, edition: Edition) -> Assessment:
    """One row per nominating unit of the edition (and per other city its nominations name)."""
    base = (select(NominationIdentity.city, func.count(func.distinct(Nomination.id)))
            .join(Nomination, Nomination.id == NominationIdentity.nomination_id)
            .where(Nomination.edition_id == edition.id).group_by(NominationIdentity.city))
    submitted = _by_city(session, base.where(Nomination.status != NominationStatus.WITHDRAWN))
    passed = _by_city(session, base.join(Decision, Decision.nomination_id == Nomination.id).where(
        Decision.superseded.is_(False), Decision.outcome == Outcome.PASSED))
    shortlisted = _by_city(session, base.join(MeetingNomination, MeetingNomination.nomination_id == Nomination.id)
                           .join(Meeting, Meeting.id == MeetingNomination.meeting_id)
                           .where(Meeting.status != MeetingStatus.CANCELLED))
    winners = session.execute(select(NominationIdentity.city, ApprovedWinner.place, Category)
                              .join(ApprovedWinner, ApprovedWinner.nomination_id == NominationIdentity.nomination_id)
                              .join(Category, Category.id == ApprovedWinner.category_id)
                              .where(Category.edition_id == edition.id)).all()
    awarded: dict[str, int] = {}
    medals: dict[str, int] = {}
    for city, place, category in winners:
        awarded[city] = awarded.get(city, 0) + 1
        if recommends_may_day(category, place):
            medals[city] = medals.get(city, 0) + 1
    live = fulfilment(session, edition=edition)
    cities = [*live.units, *sorted(set(submitted) - set(live.units))]
    rows = [CityFigures(city, live.total(city)[0] if city in live.cells else None, submitted.get(city, 0),
                        passed.get(city, 0), shortlisted.get(city, 0), awarded.get(city, 0),
                        medals.get(city, 0) if winners else None) for city in cities]
    return Assessment(edition, rows)


def across_editions(session: Session) -> list[Assessment]:
    """The assessment of every edition, newest first."""
    return [assessment(session, edition=e) for e in session.scalars(select(Edition).order_by(Edition.year.desc()))]


def _cell(value):
    return "—" if value is None else value


def workbook(assessments: list[Assessment], *, gettext) -> bytes:
    """One sheet per edition (its year), then one with every edition's rows: city, year and the figures."""
    header = [gettext("City"), *(gettext(label) for _, label in COLUMNS), gettext("Fulfilment")]
    sheets, every = [], [[gettext("Year"), *header]]
    for item in assessments:
        rows = [header]
        for row in item.rows:
            figures = [row.city, *(_cell(getattr(row, name)) for name, _ in COLUMNS),
                       round(row.fulfilment, 3) if row.fulfilment is not None else "—"]
            rows.append(figures)
            every.append([item.edition.year, *figures])
        rows.append([gettext("All units"), *(_cell(item.total(name)) for name, _ in COLUMNS), ""])
        sheets.append((str(item.edition.year), rows))
    return xlsx_bytes([*sheets, (gettext("All editions"), every)])


def plain(assessments: list[Assessment]) -> list[dict]:
    """The assessments as plain values, for a document rendered once the transaction has ended."""
    return [{"year": a.edition.year, "name": a.edition.name,
             "rows": [{"city": r.city, "fulfilment": r.fulfilment, **{n: getattr(r, n) for n, _ in COLUMNS}}
                      for r in a.rows],
             "totals": {n: a.total(n) for n, _ in COLUMNS}} for a in assessments]
