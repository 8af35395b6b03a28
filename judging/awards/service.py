"""The awards of an edition: the candidate list, the winners, the May Day list, named methods, publication.

One owner of "the final list". The candidates come from the category's tallied panel meeting when it
held one, else from the approved award run (``results.award_run``). Nothing goes public, and nobody is
recommended for the May Day medal, before the award committee's approval (审定): the notices part
records it and hands the approved list over (``approve_list``: the list last on notice, or the candidates
of a category that skipped the notice); ``publish`` then puts exactly that list on the public page, after
a confirmation page that shows it (``publication_preview``). A refused publication is audited as refused
(``record_refusal``). Once published, a category's lists are read-only (``ensure_lists_open``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from judging import audit
from judging.accounts.permissions import Ask, Refused
from judging.awards.models import ApprovedWinner, NamedMethod, Publication
from judging.awards.permissions import PUBLISH, PUBLISHABLE
from judging.db.base import utcnow
from judging.editions.models import Category, CategoryKey, Edition
from judging.errors import Conflict, N_, NotFound
from judging.meetings.service import passed_nominations
from judging.nominations.models import Nomination, NominationIdentity
from judging.results import service as results
from judging.results.models import ResultEntry, ResultRun
from judging.stages.models import StageKind, StageStatus
from judging.stages.service import stage_rows

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


def reserve_ids(session: Session, category: Category) -> list[int]:
    """The nominations that may stand in for a candidate removed from the list, in the order they must be
    taken: those the panel meeting's secret ballot passed beyond the first N (the meeting's order), else,
    with no meeting, the approved award run's ranking beyond its top N. Nobody the ballot failed and
    nobody left off the meeting's shortlist is ever among them."""
    passed = passed_nominations(session, category.id)
    if passed is not None:
        return passed[category.top_n:] if category.top_n else []
    run = results.award_run(session, category=category)
    if run is None:
        return []
    return [e.nomination_id for e in sorted(run.entries, key=lambda e: (e.rank, e.code)) if not e.in_top]


def method_names(session: Session, nomination_ids: Sequence[int]) -> dict[int, str]:
    """The names given to operating methods among ``nomination_ids``."""
    return dict(session.execute(select(NamedMethod.nomination_id, NamedMethod.name)
                                .where(NamedMethod.nomination_id.in_(list(nomination_ids)))).all())


def is_published(session: Session, *, category_id: int) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Publication).join(
        Nomination, Nomination.id == Publication.nomination_id).where(Nomination.category_id == category_id)))


def ensure_lists_open(session: Session, *, category_id: int) -> None:
    """Refuse a change to a category's award, medal or named-method lists once the committee approved them
    (what goes public is the approved list) or they are published."""
    if is_published(session, category_id=category_id):
        raise Conflict(N_("This category's lists are published; they can no longer change."))
    if session.scalar(select(ApprovedWinner.id).where(ApprovedWinner.category_id == category_id).limit(1)):
        raise Conflict(N_("The committee has approved this category's list; it can no longer change."))


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


def may_day_list(session: Session, *, edition: Edition) -> list[MedalCandidate]:
    """First inventor of each of the top 10 achievements and top 10 operating methods of the lists the
    committee approved (审定): a category whose list is not approved recommends nobody yet."""
    out = []
    for category in edition.categories:
        if category.key not in MAY_DAY_CATEGORIES:
            continue
        for row in approved_list(session, category_id=category.id):
            if recommends_may_day(category, row.place):
                out.append(MedalCandidate(category, row.place, row.title, row.first_inventor, row.employer,
                                          row.city, row.nomination_id))
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


def approved_list(session: Session, *, category_id: int) -> list[ApprovedWinner]:
    """The list the committee approved for the category, in place order (empty before its approval)."""
    return list(session.scalars(select(ApprovedWinner).where(ApprovedWinner.category_id == category_id)
                                .order_by(ApprovedWinner.place)))


def approve_list(session: Session, *, category: Category, winners: Sequence[Winner], notice_version: int | None,
                 reference: str, approved_on: dt.date, by: audit.Actor) -> list[ApprovedWinner]:
    """Keep the list the committee approved as the one the category may publish (the notices part calls it
    in the transaction that records the approval, whose audit event names the list)."""
    ensure_lists_open(session, category_id=category.id)
    if approved_list(session, category_id=category.id):
        raise Conflict(N_("The committee's approval of this category is already recorded."))
    if not winners:
        raise Conflict(N_("The approved list is empty."))
    rows = [ApprovedWinner(category_id=category.id, nomination_id=w.nomination_id, place=w.place, title=w.title,
                           first_inventor=w.first_inventor, employer=w.employer, city=w.city,
                           notice_version=notice_version, reference=reference, approved_on=approved_on,
                           recorded_by_id=by.id) for w in winners]
    session.add_all(rows)
    session.flush()
    return rows


def current_stage(session: Session, *, category_id: int) -> StageKind | None:
    """The category's open stage, else its next pending one (None: every stage is over)."""
    rows = stage_rows(session, category_id=category_id)
    status = {kind: rows[kind].status if kind in rows else StageStatus.PENDING for kind in StageKind}
    return (next((k for k in StageKind if status[k] is StageStatus.OPEN), None)
            or next((k for k in StageKind if status[k] is StageStatus.PENDING), None))


@dataclass(frozen=True)
class PublicationPreview:
    """Exactly what publishing a category puts on the public page, and what it rests on."""

    category: Category
    run: ResultRun
    winners: list[ApprovedWinner]

    @property
    def notice_version(self) -> int | None:
        return self.winners[0].notice_version

    @property
    def reference(self) -> str:
        return self.winners[0].reference

    @property
    def approved_on(self) -> dt.date:
        return self.winners[0].approved_on


def publication_preview(session: Session, *, category: Category) -> PublicationPreview:
    """What ``publish`` would put on the public page, or the refusal that says what it still needs."""
    decision = PUBLISHABLE.decide(Ask(None, category, session))
    if not decision:
        raise Refused(PUBLISH.name, decision.reason)
    winners = approved_list(session, category_id=category.id)
    run = results.award_run(session, category=category)
    if run is None:
        raise Conflict(N_("Approve a run of this category before publishing."))
    if results.unblinding_for(session, round_id=run.round_id, category_id=run.category_id) is None:
        raise Conflict(N_("Reveal identities (unblind) before publishing."))
    return PublicationPreview(category, run, winners)


def publish(session: Session, *, category: Category, by: audit.Actor,
            now: dt.datetime | None = None) -> list[Publication]:
    """Put the list the committee approved on the public page: only title, first inventor, employer, city,
    summary. Refused (nothing written) before the approval, and once published."""
    preview = publication_preview(session, category=category)
    now = now or utcnow()
    run = preview.run
    edition = session.get(Edition, run.edition_id)
    summaries = dict(session.execute(select(Nomination.id, Nomination.summary).where(
        Nomination.id.in_([w.nomination_id for w in preview.winners]))).all())
    rows = [Publication(run_id=run.id, nomination_id=w.nomination_id, year=edition.year,
                        category_key=category.key.value, category_name=category.name, place=w.place, title=w.title,
                        first_inventor=w.first_inventor, employer=w.employer, city=w.city,
                        summary=summaries[w.nomination_id], published_by_id=by.id, published_at=now)
            for w in preview.winners]
    session.add_all(rows)
    session.flush()
    audit.append(session, actor=by, action="result_run.published", object_type="result_run", object_id=run.id,
                 data={"category": category.id, "count": len(rows), "notice_version": preview.notice_version,
                       "nominations": [w.nomination_id for w in preview.winners]})
    return rows


def record_refusal(session: Session, *, category_id: int, by: audit.Actor, reason: str) -> None:
    """Publication is an integrity rule: a refused attempt is kept in the audit chain (after the caller
    rolled the attempt back), with the reason the user read."""
    audit.append(session, actor=by, action="category.publication_refused", object_type="category",
                 object_id=category_id, data={"reason": reason})


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
