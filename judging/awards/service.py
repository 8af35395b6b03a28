"""The awards of an edition: the candidate list, the winners, the May Day list, named methods, publication.

One owner of "the final list". The candidates come from the category's tallied panel meeting when it
held one, else from the approved award run (``results.award_run``). A category that goes through
public notice publishes the list its committee approved (the notices part hands it over when the
approval is recorded); others publish their award list from the awards page. Once published, a
category's lists are read-only (``ensure_lists_open``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from judging import audit
from judging.awards.models import NamedMethod, Publication
from judging.editions.models import Category, CategoryKey, Edition
from judging.errors import Conflict, N_, NotFound
from judging.meetings.service import passed_nominations
from judging.nominations.models import Nomination, NominationIdentity
from judging.results import service as results
from judging.results.models import ResultEntry, ResultRun
from judging.stages.models import StageKind, StageStatus
from judging.stages.service import status_of

MAY_DAY_CATEGORIES = (CategoryKey.ACHIEVEMENT, CategoryKey.OPERATING_METHOD)
MAY_DAY_TOP = 10
METHOD_SUFFIXES = ("操作法", "作业法", "工作法", "检修法")


def recommends_may_day(category: Category, place: int) -> bool:
    """The first inventor of each top-10 achievement and operating method is recommended for the
    provincial May Day Labour Medal (SPEC §1)."""
    return category.key in MAY_DAY_CATEGORIES and place <= MAY_DAY_TOP


def candidate_ids(session: Session, category: Category) -> list[int]:
    """The nominations a category puts forward, in their order: those its panel meeting passed (the
    first N by online rank) when it held one, else the top N of its approved award run."""
    passed = passed_nominations(session, category.id)
    if passed is not None:
        return passed[:category.top_n] if category.top_n else passed
    run = results.award_run(session, category=category)
    if run is None:
        return []
    return [e.nomination_id for e in sorted(run.entries, key=lambda e: (e.rank, e.code)) if e.in_top]


def method_names(session: Session, nomination_ids: Sequence[int]) -> dict[int, str]:
    """The names given to operating methods among ``nomination_ids``."""
    return dict(session.execute(select(NamedMethod.nomination_id, NamedMethod.name)
                                .where(NamedMethod.nomination_id.in_(list(nomination_ids)))).all())


def is_published(session: Session, *, category_id: int) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Publication).join(
        Nomination, Nomination.id == Publication.nomination_id).where(Nomination.category_id == category_id)))


def ensure_lists_open(session: Session, *, category_id: int) -> None:
    """Refuse a change to a category's award, medal or named-method lists once they are published."""
    if is_published(session, category_id=category_id):
        raise Conflict(N_("This category's lists are published; they can no longer change."))


@dataclass(frozen=True)
class Award:
    place: int
    entry: ResultEntry
    nomination: Nomination
    identity: NominationIdentity | None
    named_as: str | None


def award_list(session: Session, *, category: Category, role: str) -> tuple[ResultRun | None, list[Award]]:
    """The category's winners (top N of the approved award run); identities only where the role may see them."""
    run = results.award_run(session, category=category)
    if run is None:
        return None, []
    top = sorted((e for e in run.entries if e.in_top), key=lambda e: e.rank)
    ids = [e.nomination_id for e in top]
    nominations = {n.id: n for n in session.scalars(select(Nomination).where(Nomination.id.in_(ids)))}
    people = results.identities(session, ids) if results.may_see_identities(session, run=run, role=role) else {}
    named = method_names(session, ids)
    return run, [Award(e.rank, e, nominations[e.nomination_id], people.get(e.nomination_id),
                       named.get(e.nomination_id)) for e in top]


@dataclass(frozen=True)
class MedalCandidate:
    category: Category
    place: int
    title: str
    first_inventor: str
    employer: str
    city: str
    nomination_id: int


def may_day_list(session: Session, *, edition: Edition, role: str) -> list[MedalCandidate]:
    """First inventor of each of the top 10 achievements and top 10 operating methods (approved runs only)."""
    out = []
    for category in edition.categories:
        if category.key not in MAY_DAY_CATEGORIES:
            continue
        _run, awards = award_list(session, category=category, role=role)
        for award in awards:
            if not recommends_may_day(category, award.place) or award.identity is None:
                continue
            out.append(MedalCandidate(category, award.place, award.named_as or award.nomination.title,
                                      award.identity.first_inventor or "", award.identity.employer,
                                      award.identity.city, award.nomination.id))
    return out


def name_method(session: Session, *, nomination_id: int, by: audit.Actor) -> NamedMethod:
    """Publish an operating method under its first inventor's name (e.g. 张三操作法), as the nomination asks."""
    nomination = session.get(Nomination, nomination_id)
    if nomination is None:
        raise NotFound("nomination")
    category = session.get(Category, nomination.category_id)
    if category.key is not CategoryKey.OPERATING_METHOD:
        raise Conflict(N_("Only operating methods are named after their creator."))
    ensure_lists_open(session, category_id=category.id)
    run = results.award_run(session, category=category)
    if run is None or results.unblinding_for(session, round_id=run.round_id, category_id=run.category_id) is None:
        raise Conflict(N_("Identities can be revealed only after the run is approved."))
    identity = results.identities(session, [nomination_id]).get(nomination_id)
    if identity is None or not identity.first_inventor:
        raise NotFound("identity")
    if session.scalar(select(NamedMethod).where(NamedMethod.nomination_id == nomination_id)) is not None:
        raise Conflict(N_("This method is already named."))
    suffix = next((form for form in METHOD_SUFFIXES if nomination.title.endswith(form)), METHOD_SUFFIXES[0])
    row = NamedMethod(nomination_id=nomination_id, name=f"{identity.first_inventor}{suffix}", created_by_id=by.id)
    session.add(row)
    session.flush()
    audit.append(session, actor=by, action="nomination.method_named", object_type="nomination", object_id=nomination_id,
                 data={"name": row.name})
    return row


@dataclass(frozen=True)
class Winner:
    """One line of a published list: what the public may read of a winner."""

    place: int
    nomination_id: int
    title: str
    first_inventor: str
    employer: str
    city: str


def _award_winners(session: Session, *, category: Category) -> list[Winner]:
    _run, awards = award_list(session, category=category, role="organizer")
    return [Winner(a.place, a.nomination.id, a.named_as or a.nomination.title, a.identity.first_inventor or "",
                   a.identity.employer, a.identity.city) for a in awards]


def publish(session: Session, *, category: Category, by: audit.Actor,
            approved: Sequence[Winner] | None = None) -> list[Publication]:
    """Put the category's winners on the public page: only title, first inventor, employer, city, summary.

    ``approved`` is the list the committee approved after public notice (the notices part passes it when
    it records the approval); a category that uses the notice stage cannot publish without it. Others
    publish their award list.
    """
    run = results.award_run(session, category=category)
    if run is None:
        raise Conflict(N_("Approve a run of this category before publishing."))
    if results.unblinding_for(session, round_id=run.round_id, category_id=run.category_id) is None:
        raise Conflict(N_("Reveal identities (unblind) before publishing."))
    if session.scalar(select(func.count()).select_from(Publication).where(Publication.run_id == run.id)):
        raise Conflict(N_("These results are already published."))
    if approved is None:
        if status_of(session, category_id=category.id, kind=StageKind.PUBLIC_NOTICE) is not StageStatus.PENDING:
            raise Conflict(N_("Publishing needs the committee's approval of the list on notice."))
        approved = _award_winners(session, category=category)
    edition = session.get(Edition, run.edition_id)
    summaries = dict(session.execute(select(Nomination.id, Nomination.summary).where(
        Nomination.id.in_([w.nomination_id for w in approved]))).all())
    rows = [Publication(run_id=run.id, nomination_id=w.nomination_id, year=edition.year,
                        category_key=category.key.value, category_name=category.name, place=w.place, title=w.title,
                        first_inventor=w.first_inventor, employer=w.employer, city=w.city,
                        summary=summaries[w.nomination_id], published_by_id=by.id) for w in approved]
    session.add_all(rows)
    session.flush()
    audit.append(session, actor=by, action="result_run.published", object_type="result_run", object_id=run.id,
                 data={"category": category.id, "count": len(rows)})
    return rows


def published_for(session: Session, *, run: ResultRun) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Publication).where(Publication.run_id == run.id)))


def public_winners(session: Session, *, year: int | None = None, category_key: str | None = None,
                   query: str = "") -> list[Publication]:
    stmt = select(Publication)
    if year:
        stmt = stmt.where(Publication.year == year)
    if category_key:
        stmt = stmt.where(Publication.category_key == category_key)
    if query.strip():
        like = f"%{query.strip()}%"
        stmt = stmt.where(Publication.title.like(like) | Publication.first_inventor.like(like)
                          | Publication.employer.like(like) | Publication.city.like(like)
                          | Publication.summary.like(like))
    return list(session.scalars(stmt.order_by(Publication.year.desc(), Publication.category_key, Publication.place)))


def published_years(session: Session) -> list[int]:
    return sorted({y for (y,) in session.execute(select(Publication.year).distinct())}, reverse=True)
