"""Formal review (形式审查): each category's checklist, the decision on each nomination, and what it lets through.

A nomination is *passed* (it goes on to blinding and assignment), *returned for correction* with
reasons and a deadline (the nominating city corrects it; a corrected row re-imported through the
intake importer comes back for a new decision), or *rejected* (不予受理) with a reason. Decisions are
taken only while the category's FORMAL_REVIEW stage is open; each one stores the checklist's results
at that moment and is audited. Services take a Session, never commit, and audit every change.

Which nominations go on: :func:`admitted` is the SQL condition the blinding and the assignment
use. While a category's FORMAL_REVIEW stage is pending (the edition does not use the pipeline yet)
or skipped, every nomination is admitted as before; once the stage is open or closed, only passed ones.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from judging import audit, notifications
from judging.db.base import utcnow
from judging.editions.models import Category, Edition, RoundKind
from judging.errors import N_, Conflict, JudgingError, NotFound
from judging.formal_review.models import Checklist, Decision, Outcome
from judging.nominations import importer, service as intake
from judging.nominations.attachments import KINDS as ATTACHMENT_FORMATS
from judging.nominations.codes import ensure_blind_codes
from judging.nominations.models import (
    Attachment, Nomination, NominationIdentity, NominationImport, NominationOriginal, NominationStatus,
)
from judging import settings
from judging.stages.models import Stage, StageKind, StageStatus
from judging.stages.service import Blocker, require_open, status_of

#: Item kinds a checklist may hold. All but ``manual`` are worked out from stored data.
ITEM_KINDS = ("attachments", "quota", "completion_window", "frontline", "manual")
ATTACHMENT_KINDS = tuple(ATTACHMENT_FORMATS)  # the kinds intake stores after cleaning a file
MAX_LABEL = 200
MAX_TEXT = 2000
#: The audit action of each decision, spelt out so the audit catalogue's check finds every name.
DECISION_ACTIONS = {Outcome.PASSED: "nomination.formal_review_passed",
                    Outcome.RETURNED: "nomination.formal_review_returned",
                    Outcome.REJECTED: "nomination.formal_review_rejected"}


class FormalReviewError(JudgingError):
    """A formal-review step that is refused; nothing was changed."""


class State:
    """Where a nomination stands in formal review (derived from its current decision and the date)."""

    PENDING = "pending"          # no decision yet
    PASSED = "passed"
    AWAITING = "awaiting"        # returned; the city may still correct it
    RESUBMITTED = "resubmitted"  # returned and corrected: waits for a new decision
    OVERDUE = "overdue"          # returned, deadline passed without a correction: needs a final decision
    REJECTED = "rejected"

    ALL = (PENDING, PASSED, AWAITING, RESUBMITTED, OVERDUE, REJECTED)
    LABELS = {PENDING: N_("Not yet reviewed"), PASSED: N_("Passed"), AWAITING: N_("Returned for correction"),
              RESUBMITTED: N_("Corrected, to review again"), OVERDUE: N_("Returned, deadline passed"),
              REJECTED: N_("Not accepted")}


def local_today() -> dt.date:
    """Deadlines are local calendar dates (the office's time zone)."""
    return dt.datetime.now(ZoneInfo(settings.current().timezone)).date()


# ------------------------------------------------------------------------------------- checklist

def _date(value: object, refusal: str, position: int) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise FormalReviewError(refusal, position=position) from None


def clean_items(items: Iterable[Mapping]) -> list[dict]:
    """Check a checklist and return it in stored form; FormalReviewError names the first bad item."""
    out: list[dict] = []
    seen: set[str] = set()
    for position, item in enumerate(items, start=1):
        kind = str(item.get("kind", ""))
        if kind not in ITEM_KINDS:
            raise FormalReviewError(N_("Item {position}: unknown kind of check “{kind}”."), position=position,
                                    kind=kind)
        if kind != "manual":
            if kind in seen:
                raise FormalReviewError(N_("Item {position}: this check is already on the list."), position=position)
            seen.add(kind)
        if kind == "attachments":
            raw = str(item.get("min_count", "")).strip()
            kinds = [str(k) for k in item.get("kinds") or []]
            if not raw.isdigit() or int(raw) < (0 if kinds else 1):
                raise FormalReviewError(N_("Item {position}: give the least number of attachments (1 or more) "
                                           "or the kinds of file required."), position=position)
            if any(k not in ATTACHMENT_KINDS for k in kinds):
                raise FormalReviewError(N_("Item {position}: attachment kinds are pdf, docx, png and jpeg."),
                                        position=position)
            out.append({"kind": kind, "min_count": int(raw), "kinds": sorted(set(kinds))})
        elif kind == "completion_window":
            start = _date(item.get("start"), N_("Item {position}: give the first completion date (YYYY-MM-DD)."),
                          position)
            end = _date(item.get("end"), N_("Item {position}: give the last completion date (YYYY-MM-DD)."),
                        position)
            if end < start:
                raise FormalReviewError(N_("Item {position}: the completion window ends before it starts."),
                                        position=position)
            out.append({"kind": kind, "start": start.isoformat(), "end": end.isoformat()})
        elif kind == "manual":
            label = " ".join(str(item.get("label", "")).split())
            if not label:
                raise FormalReviewError(N_("Item {position}: a manual check needs its wording."), position=position)
            if len(label) > MAX_LABEL:
                raise FormalReviewError(N_("Item {position}: the wording is longer than {limit} characters."),
                                        position=position, limit=MAX_LABEL)
            out.append({"kind": kind, "label": label})
        else:
            out.append({"kind": kind})
    manual = [i["label"] for i in out if i["kind"] == "manual"]
    if len(manual) != len(set(manual)):
        raise FormalReviewError(N_("The same manual check is listed twice."))
    return out


def _category(session: Session, *, edition: Edition, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None or category.edition_id != edition.id:
        raise NotFound("category")
    return category


def checklist_items(session: Session, *, category_id: int) -> list[dict]:
    row = session.scalar(select(Checklist).where(Checklist.category_id == category_id))
    return list(row.items) if row is not None else []


def set_checklist(session: Session, *, edition: Edition, category_id: int, items: Iterable[Mapping],
                  by: audit.Actor) -> Checklist:
    """Replace a category's checklist (audited). Refused once the category's formal review is over."""
    category = _category(session, edition=edition, category_id=category_id)
    if status_of(session, category_id=category.id, kind=StageKind.FORMAL_REVIEW) in (StageStatus.CLOSED,
                                                                                      StageStatus.SKIPPED):
        raise FormalReviewError(N_("Formal review of this category is over; its checklist can no longer change."))
    cleaned = clean_items(items)
    row = session.scalar(select(Checklist).where(Checklist.category_id == category.id))
    if row is None:
        row = Checklist(edition_id=edition.id, category_id=category.id)
        session.add(row)
    row.items, row.updated_at, row.updated_by_id = cleaned, utcnow(), by.id
    session.flush()
    audit.append(session, actor=by, action="category.checklist_set", object_type="category",
                 object_id=category.id, data={"items": cleaned})
    return row


# ------------------------------------------------------------------------------------ evaluation

@dataclass(frozen=True)
class ItemResult:
    """One checklist item for one nomination: ``met`` is None when the fact is not on record."""

    index: int
    item: dict
    met: bool | None
    detail: dict

    @property
    def satisfied(self) -> bool:
        return self.met is True

    def as_json(self) -> dict:
        return {"item": self.item, "met": self.met, "detail": self.detail}


def _city_load(session: Session, *, edition: Edition, city: str) -> tuple[int | None, int]:
    """The city's target (None when no quota is set for it) and its nominations not withdrawn nor rejected."""
    report = intake.quota_report(session, edition=edition)
    target = None if report.total_target is None else next(
        (row.target for row in report.rows if row.unit.name == city), None)
    count = session.scalar(
        select(func.count()).select_from(Nomination)
        .join(NominationIdentity, NominationIdentity.nomination_id == Nomination.id)
        .where(Nomination.edition_id == edition.id, NominationIdentity.city == city,
               Nomination.status != NominationStatus.WITHDRAWN, ~_current_is(Outcome.REJECTED)))
    return target, int(count or 0)


def evaluate(session: Session, *, edition: Edition, nomination: Nomination, items: list[dict],
             ticked: Iterable[int] = ()) -> list[ItemResult]:
    """Each item's result for ``nomination``; manual items are met when their index is in ``ticked``."""
    ticked = set(ticked)
    identity = session.get(NominationIdentity, nomination.id)
    results = []
    for index, item in enumerate(items):
        kind = item["kind"]
        if kind == "attachments":
            kinds = Counter(session.scalars(select(Attachment.kind).where(Attachment.nomination_id == nomination.id)))
            count = sum(kinds.values())
            missing = [k for k in item["kinds"] if not kinds.get(k)]
            results.append(ItemResult(index, item, count >= item["min_count"] and not missing,
                                      {"count": count, "missing_kinds": missing}))
        elif kind == "quota":
            target, count = _city_load(session, edition=edition, city=identity.city)
            results.append(ItemResult(index, item, None if target is None else count <= target,
                                      {"city": identity.city, "target": target, "count": count}))
        elif kind == "completion_window":
            done = identity.completed_on
            met = None if done is None else item["start"] <= done.isoformat() <= item["end"]
            results.append(ItemResult(index, item, met, {"completed_on": done.isoformat() if done else None}))
        elif kind == "frontline":
            results.append(ItemResult(index, item, identity.first_inventor_frontline,
                                      {"first_inventor": identity.first_inventor}))
        else:
            results.append(ItemResult(index, item, index in ticked, {}))
    return results


# ------------------------------------------------------------------------------------- decisions

def _current_is(outcome: Outcome) -> ColumnElement[bool]:
    return exists().where(Decision.nomination_id == Nomination.id, Decision.superseded.is_(False),
                          Decision.outcome == outcome)


def admitted() -> ColumnElement[bool]:
    """SQL condition on ``Nomination``: it may go to blinding and assignment as far as formal review goes."""
    stage = (select(Stage.status).where(Stage.category_id == Nomination.category_id,
                                        Stage.kind == StageKind.FORMAL_REVIEW).scalar_subquery())
    return or_(stage.is_(None), stage.in_([StageStatus.PENDING, StageStatus.SKIPPED]), _current_is(Outcome.PASSED))


def admitted_ids(session: Session, nomination_ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(nomination_ids))
    found: set[int] = set()
    for start in range(0, len(wanted), 5000):
        found.update(session.scalars(select(Nomination.id).where(Nomination.id.in_(wanted[start:start + 5000]),
                                                                 admitted())))
    return found


def current_decision(session: Session, *, nomination_id: int) -> Decision | None:
    return session.scalar(select(Decision).where(Decision.nomination_id == nomination_id,
                                                 Decision.superseded.is_(False)))


def state_of(decision: Decision | None, today: dt.date) -> str:
    if decision is None:
        return State.PENDING
    if decision.outcome is Outcome.RETURNED:
        if decision.resubmitted_at is not None:
            return State.RESUBMITTED
        return State.OVERDUE if decision.deadline < today else State.AWAITING
    return State.PASSED if decision.outcome is Outcome.PASSED else State.REJECTED


def _nomination(session: Session, *, edition: Edition, nomination_id: int) -> Nomination:
    nomination = session.scalar(select(Nomination).where(Nomination.id == nomination_id,
                                                         Nomination.edition_id == edition.id))
    if nomination is None:
        raise NotFound("nomination")
    return nomination


def decide(session: Session, *, edition: Edition, nomination_id: int, outcome: Outcome, by: audit.Actor,
           reasons: str = "", deadline: dt.date | None = None, override_reason: str = "",
           ticked: Iterable[int] = (), today: dt.date | None = None) -> Decision:
    """Pass, return or reject one nomination of ``edition`` (audited, with the checklist's results).

    Refused outside the open FORMAL_REVIEW stage of its category, for a withdrawn nomination, once
    it is passed or rejected (those are final), when returning without reasons or with a deadline
    before today, when rejecting without a reason, and when passing a nomination whose intake
    review is not confirmed, or whose checklist is not met without an override reason.
    """
    today = today or local_today()
    nomination = _nomination(session, edition=edition, nomination_id=nomination_id)
    require_open(session, category_id=nomination.category_id, kind=StageKind.FORMAL_REVIEW)
    if nomination.status is NominationStatus.WITHDRAWN:
        raise Conflict(N_("This nomination has been withdrawn."))
    previous = current_decision(session, nomination_id=nomination.id)
    if previous is not None and previous.outcome is not Outcome.RETURNED:
        raise Conflict(N_("This nomination has already been decided ({state})."),
                       state=State.LABELS[state_of(previous, today)])
    reasons, override_reason = reasons.strip(), override_reason.strip()
    if len(reasons) > MAX_TEXT or len(override_reason) > MAX_TEXT:
        raise FormalReviewError(N_("Keep the reasons under {limit} characters."), limit=MAX_TEXT)
    results = evaluate(session, edition=edition, nomination=nomination,
                       items=checklist_items(session, category_id=nomination.category_id), ticked=ticked)
    if outcome is Outcome.PASSED:
        if nomination.status is not NominationStatus.CONFIRMED:
            raise Conflict(N_("Confirm the nomination's redaction on its intake page before passing it."))
        unmet = [r for r in results if not r.satisfied]
        if unmet and not override_reason:
            raise FormalReviewError(N_("{count} checklist item(s) are not met: give the reason for passing it "
                                       "nevertheless, or return it for correction."), count=len(unmet))
        reasons, deadline = "", None
        if not unmet:
            override_reason = ""
    elif outcome is Outcome.RETURNED:
        if not reasons:
            raise FormalReviewError(N_("Say what the city must correct."))
        if deadline is None:
            raise FormalReviewError(N_("Give the date by which the correction must arrive."))
        if deadline < today:
            raise FormalReviewError(N_("The correction deadline {date} is in the past."), date=deadline.isoformat())
        override_reason = ""
    else:
        if not reasons:
            raise FormalReviewError(N_("Give the reason why the nomination is not accepted."))
        deadline, override_reason = None, ""
    if previous is not None:
        previous.superseded = True
    decision = Decision(edition_id=edition.id, category_id=nomination.category_id, nomination_id=nomination.id,
                        outcome=outcome, reasons=reasons, deadline=deadline, override_reason=override_reason,
                        checks=[r.as_json() for r in results], decided_at=utcnow(), decided_by_id=by.id)
    session.add(decision)
    session.flush()
    audit.append(session, actor=by, action=DECISION_ACTIONS[outcome], object_type="nomination",
                 object_id=nomination.id,
                 data={"decision_id": decision.id, "category_id": nomination.category_id, "reasons": reasons,
                       "deadline": deadline.isoformat() if deadline else None, "override_reason": override_reason,
                       "checks": decision.checks, "replaces": previous.id if previous else None})
    if outcome is Outcome.RETURNED:  # to the nominating city's accounts, whose /city page lists it with its reasons
        city = session.scalar(select(NominationIdentity.city).where(NominationIdentity.nomination_id == nomination.id))
        notifications.queue(session, event="formal_review_returned", to=notifications.city_accounts(session, city),
                            by=by, title=nomination.title, reasons=reasons, deadline=deadline, link="/city/")
    if outcome is Outcome.PASSED:
        # As confirming does without formal review: the code judges will know it by in the first round.
        preliminary = next((r for r in edition.rounds if r.kind is RoundKind.PRELIMINARY), None)
        if preliminary is not None:
            ensure_blind_codes(session, round_id=preliminary.id, nomination_ids=[nomination.id], by=by)
    return decision


def correctable_ids(session: Session, *, edition_id: int, today: dt.date | None = None) -> set[int]:
    """Returned nominations whose correction may still arrive (deadline today or later)."""
    today = today or local_today()
    return set(session.scalars(select(Decision.nomination_id).where(
        Decision.edition_id == edition_id, Decision.superseded.is_(False), Decision.outcome == Outcome.RETURNED,
        Decision.deadline >= today)))


def mark_resubmitted(session: Session, *, nomination_id: int, by: audit.Actor, source: str) -> Decision:
    """A returned nomination's correction has arrived (``source``: how): it waits for a new decision."""
    decision = current_decision(session, nomination_id=nomination_id)
    if decision is None or decision.outcome is not Outcome.RETURNED:
        raise Conflict(N_("Only a nomination returned for correction can be resubmitted."))
    decision.resubmitted_at = utcnow()
    session.flush()
    audit.append(session, actor=by, action="nomination.resubmitted", object_type="nomination",
                 object_id=nomination_id, data={"decision_id": decision.id, "source": source})
    return decision


def import_with_corrections(session: Session, *, edition: Edition, by: audit.Actor, **upload) -> NominationImport:
    """Import an upload through the intake's importer, taking the corrected rows of returned nominations
    (until their deadline) as their resubmission; ``upload``: the importer's other arguments."""
    record = importer.import_nominations(session, edition=edition, by=by,
                                         correctable=correctable_ids(session, edition_id=edition.id), **upload)
    for nomination_id, source in record.resubmitted:
        mark_resubmitted(session, nomination_id=nomination_id, by=by, source=source)
    return record


# ------------------------------------------------------------------------------------- the stage

def state_counts(session: Session, *, category: Category, today: dt.date | None = None) -> dict[str, int]:
    """Nominations (not withdrawn) of the category per formal-review state."""
    today = today or local_today()
    counts = dict.fromkeys(State.ALL, 0)
    live = session.scalar(select(func.count()).select_from(Nomination).where(
        Nomination.category_id == category.id, Nomination.status != NominationStatus.WITHDRAWN))
    decided = 0
    for outcome, resubmitted, deadline in session.execute(
            select(Decision.outcome, Decision.resubmitted_at.is_not(None), Decision.deadline)
            .join(Nomination, Nomination.id == Decision.nomination_id)
            .where(Decision.category_id == category.id, Decision.superseded.is_(False),
                   Nomination.status != NominationStatus.WITHDRAWN)):
        decided += 1
        if outcome is Outcome.RETURNED:
            state = State.RESUBMITTED if resubmitted else (State.OVERDUE if deadline < today else State.AWAITING)
        else:
            state = State.PASSED if outcome is Outcome.PASSED else State.REJECTED
        counts[state] += 1
    counts[State.PENDING] = int(live or 0) - decided
    return counts


def formal_review_blockers(session: Session, category: Category) -> list[Blocker]:
    """What keeps FORMAL_REVIEW from closing: every nomination not withdrawn needs a final decision."""
    counts = state_counts(session, category=category)
    messages = {State.PENDING: N_("{count} nominations wait for a formal-review decision"),
                State.AWAITING: N_("{count} returned nominations may still be corrected before their deadline"),
                State.RESUBMITTED: N_("{count} corrected nominations wait for a new decision"),
                State.OVERDUE: N_("{count} returned nominations are past their deadline and need a final decision")}
    return [Blocker(message, {"count": counts[state]}) for state, message in messages.items() if counts[state]]


# ------------------------------------------------------------------------------------ the pages

@dataclass(frozen=True)
class Row:
    nomination: Nomination
    identity: NominationIdentity
    title: str  # as submitted (the organizer reads the original, not the redacted text)
    category: Category
    decision: Decision | None
    state: str


def _state_condition(current, state: str, today: dt.date) -> ColumnElement[bool]:
    if state == State.PENDING:
        return current.id.is_(None)
    if state in (State.PASSED, State.REJECTED):
        return current.outcome == Outcome(state)
    returned = current.outcome == Outcome.RETURNED
    if state == State.RESUBMITTED:
        return and_(returned, current.resubmitted_at.is_not(None))
    late = current.deadline < today
    return and_(returned, current.resubmitted_at.is_(None), late if state == State.OVERDUE else ~late)


def review_list(session: Session, *, edition: Edition, category_id: int | None = None, state: str = "",
                city: str = "", offset: int = 0, limit: int = 100,
                today: dt.date | None = None) -> tuple[list[Row], int]:
    """Nominations (not withdrawn) of the edition with their formal-review state; (page, total)."""
    today = today or local_today()
    current = aliased(Decision)
    query = (select(Nomination, NominationIdentity, NominationOriginal.title, Category, current)
             .join(NominationIdentity, NominationIdentity.nomination_id == Nomination.id)
             .join(Category, Category.id == Nomination.category_id)
             .outerjoin(NominationOriginal, NominationOriginal.nomination_id == Nomination.id)
             .outerjoin(current, and_(current.nomination_id == Nomination.id, current.superseded.is_(False)))
             .where(Nomination.edition_id == edition.id, Nomination.status != NominationStatus.WITHDRAWN))
    if category_id:
        query = query.where(Nomination.category_id == category_id)
    if city:
        query = query.where(NominationIdentity.city == city)
    if state in State.ALL:
        query = query.where(_state_condition(current, state, today))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(Nomination.id).offset(offset).limit(limit)).all()
    return [Row(n, i, t or n.title, c, d, state_of(d, today)) for n, i, t, c, d in rows], int(total or 0)


@dataclass(frozen=True)
class NominationReview:
    nomination: Nomination
    identity: NominationIdentity
    title: str
    category: Category
    results: list[ItemResult]
    decisions: list[Decision]
    state: str
    stage_open: bool

    @property
    def current(self) -> Decision | None:
        return next((d for d in self.decisions if not d.superseded), None)

    @property
    def may_decide(self) -> bool:
        return self.stage_open and self.state not in (State.PASSED, State.REJECTED) \
            and self.nomination.status is not NominationStatus.WITHDRAWN


def nomination_review(session: Session, *, edition: Edition, nomination_id: int,
                      today: dt.date | None = None) -> NominationReview:
    today = today or local_today()
    nomination = _nomination(session, edition=edition, nomination_id=nomination_id)
    identity = session.get(NominationIdentity, nomination.id)
    original = session.get(NominationOriginal, nomination.id)
    decisions = list(session.scalars(select(Decision).where(Decision.nomination_id == nomination.id)
                                     .order_by(Decision.id.desc())))
    current = next((d for d in decisions if not d.superseded), None)
    return NominationReview(
        nomination, identity, original.title if original else nomination.title,
        session.get(Category, nomination.category_id),
        evaluate(session, edition=edition, nomination=nomination,
                 items=checklist_items(session, category_id=nomination.category_id)),
        decisions, state_of(current, today),
        status_of(session, category_id=nomination.category_id, kind=StageKind.FORMAL_REVIEW) is StageStatus.OPEN)


def returned_notices(session: Session, *, edition: Edition, today: dt.date | None = None) -> list[Row]:
    """Every nomination currently returned for correction, by city: what each city must be told."""
    rows: list[Row] = []
    for state in (State.AWAITING, State.OVERDUE, State.RESUBMITTED):
        rows.extend(review_list(session, edition=edition, state=state, limit=10**6, today=today)[0])
    return sorted(rows, key=lambda r: (r.identity.city, r.nomination.id))
