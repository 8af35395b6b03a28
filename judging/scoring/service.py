"""Scoring: the judge's queue and sheets (draft, submit), and the organizer's running of a round
(open/close, progress, reopening, deadline extensions, the confidentiality undertaking).

Every function takes the caller's Session, writes its audit event in the same transaction and
never commits. Judge-facing queries are scoped by the judge's own expert record and never touch
``NominationIdentity``.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from decimal import Decimal

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from judging import audit, notifications
from judging.accounts import actor_of
from judging.accounts.models import User
from judging.db.base import utcnow
from judging.editions.models import Category, Criterion, Edition, Round, RoundStatus, Rubric, ScaleKind
from judging.errors import N_, Conflict, JudgingError, NotFound
from judging.nominations.models import BlindCode, Nomination
from judging.panels.models import Assignment, Conflict as ExpertConflict, ConflictSource, Expert
from judging.scoring.models import (
    CriterionScore, DeadlineExtension, ScoreSheet, SheetStatus, UndertakingAcceptance,
)
from judging.scoring.freezing import (  # noqa: F401 (the service's names, re-exported)
    _is_postgres, _scopes_held, ensure_not_frozen, freeze_scores, hold_scores, is_frozen,
)
from judging.scoring.rules import (
    CONFIDENCE_WEIGHTS, FAMILIARITY_LABELS, FieldError, SheetInput, SheetInvalid, check_complete, field_name,
    grade_of, read_sheet_form, weighted_total,
)

__all__ = ["CONFIDENCE_WEIGHTS", "FAMILIARITY_LABELS", "weighted_total"]

REASON_MAX_LENGTH = 2000
DEFAULT_UNDERTAKING = N_(
    "I undertake to keep confidential everything I see in this review: the submissions, their "
    "attachments and my own and others' scores. I will not copy, keep or pass on any of it, and I "
    "will not try to find out who made a submission. If I have a conflict of interest with a "
    "submission (it comes from my employer or a unit I am connected with, a relative or close "
    "colleague took part, or I advised on it), I will declare it at once and not score it.")


# ---------------------------------------------------------------------------------------- errors

class DeadlinePassed(Conflict):
    """Saving or submitting after the deadline (or in a closed round): the draft stays as it was."""


def _stale(current: int) -> Conflict:
    return Conflict(N_("This sheet was changed in another tab or window (it is now at version {current}). "
                       "Nothing was saved here: reload the page to continue from the latest version."),
                    current=current)


def _reason(text: str | None, message: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise JudgingError(message)
    if len(reason) > REASON_MAX_LENGTH:
        raise JudgingError(N_("Keep the reason under {limit} characters."), limit=REASON_MAX_LENGTH)
    return reason


# -------------------------------------------------------------------------------------- deadlines

def effective_deadline(session: Session, *, round_: Round, expert_id: int) -> dt.datetime | None:
    """The round's deadline, or the expert's extension when an organizer granted a later one."""
    extension = session.scalar(select(DeadlineExtension.deadline_at).where(
        DeadlineExtension.round_id == round_.id, DeadlineExtension.expert_id == expert_id))
    return later_deadline(round_.deadline_at, extension)


def later_deadline(deadline: dt.datetime | None, extension: dt.datetime | None) -> dt.datetime | None:
    if deadline is None:
        return None  # no deadline at all: an extension cannot make it stricter
    return max(deadline, extension) if extension else deadline


# ------------------------------------------------------------------------------------ undertaking

def undertaking_text(edition: Edition) -> str | None:
    """The organizer's statement, or None when the built-in one (``DEFAULT_UNDERTAKING``) applies."""
    text = (edition.settings or {}).get("undertaking")
    return text if text else None


def _undertaking_hash(edition: Edition) -> str:
    return hashlib.sha256((undertaking_text(edition) or DEFAULT_UNDERTAKING).encode("utf-8")).hexdigest()


def has_accepted_undertaking(session: Session, *, judge: User, edition: Edition) -> bool:
    return session.scalar(select(UndertakingAcceptance.id).where(
        UndertakingAcceptance.edition_id == edition.id, UndertakingAcceptance.user_id == judge.id)) is not None


def accept_undertaking(session: Session, *, judge: User, edition: Edition, now: dt.datetime | None = None,
                       ) -> UndertakingAcceptance:
    """Record (once per edition) that the judge accepted the statement; audited with its text's hash."""
    existing = session.scalar(select(UndertakingAcceptance).where(
        UndertakingAcceptance.edition_id == edition.id, UndertakingAcceptance.user_id == judge.id))
    if existing is not None:
        return existing
    acceptance = UndertakingAcceptance(edition_id=edition.id, user_id=judge.id, text_sha256=_undertaking_hash(edition),
                                       accepted_at=now or utcnow())
    session.add(acceptance)
    session.flush()
    audit.append(session, actor=actor_of(judge), action="edition.undertaking_accepted", object_type="edition",
                 object_id=edition.id, data={"text_sha256": acceptance.text_sha256})
    return acceptance


def set_undertaking_text(session: Session, *, edition: Edition, text: str, by: audit.Actor) -> None:
    """The organizer sets the statement judges accept (empty text: the built-in statement)."""
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > 20000:
        raise JudgingError(N_("Keep the statement under {limit} characters."), limit=20000)
    edition.settings = {**(edition.settings or {}), "undertaking": text}
    session.flush()
    audit.append(session, actor=by, action="edition.undertaking_set", object_type="edition", object_id=edition.id,
                 data={"text": text, "text_sha256": _undertaking_hash(edition)})


# ------------------------------------------------------------------------------------------ queue

class QueueStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    DRAFT = "draft"
    SUBMITTED = "submitted"


@dataclass(frozen=True)
class QueueItem:
    """What a judge may know of one assignment: its blind code, category and (redacted) title."""

    assignment_id: int
    code: str
    title: str
    category_name: str
    round_name: str
    status: QueueStatus
    deadline: dt.datetime | None = None
    reopened: bool = False
    handle: str = ""  # the judge's URL handle (random; never the id)


def judge_queue(session: Session, *, judge: User) -> list[QueueItem]:
    """The judge's assignments in open rounds, in an order private to the judge.

    The order is a hash of (judge, code): stable between visits, but unrelated to ids, cities or
    upload times, so the queue's order reveals nothing about who made what.
    """
    rows = session.execute(
        select(Assignment.id, BlindCode.code, Nomination.title, Category.name, Round.name, ScoreSheet.status,
               ScoreSheet.reopened_at, Round.deadline_at, DeadlineExtension.deadline_at, Assignment.handle)
        .join(Expert, Expert.id == Assignment.expert_id)
        .join(Round, Round.id == Assignment.round_id)
        .join(Nomination, Nomination.id == Assignment.nomination_id)
        .join(Category, Category.id == Nomination.category_id)
        .join(BlindCode, (BlindCode.nomination_id == Nomination.id) & (BlindCode.round_id == Round.id))
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .outerjoin(DeadlineExtension, (DeadlineExtension.round_id == Round.id)
                   & (DeadlineExtension.expert_id == Expert.id))
        .where(Expert.user_id == judge.id, Round.status == RoundStatus.OPEN, Assignment.withdrawn_at.is_(None))).all()
    items = [QueueItem(assignment_id, code, title, category_name, round_name,
                       QueueStatus(status.value) if status else QueueStatus.NOT_STARTED,
                       later_deadline(deadline, extension), reopened_at is not None and status is SheetStatus.DRAFT,
                       handle)
             for (assignment_id, code, title, category_name, round_name, status, reopened_at, deadline,
                  extension, handle) in rows]
    return sorted(items, key=lambda item: hashlib.sha256(f"{judge.id}:{item.code}".encode()).digest())


# ------------------------------------------------------------------------------------ judge sheet

@dataclass
class SheetContext:
    """Everything the judge's scoring page needs, reached only through the judge's own assignment."""

    assignment: Assignment
    round: Round
    nomination: Nomination | None  # None when loaded for a write (full=False)
    code: str
    category: Category | None
    rubric: Rubric
    sheet: ScoreSheet | None
    deadline: dt.datetime | None
    accepted_undertaking: bool = True

    @property
    def criteria(self) -> list[Criterion]:
        return list(self.rubric.criteria)

    def values(self) -> dict[int, Decimal | None]:
        stored = {score.criterion_id: score.value for score in self.sheet.scores} if self.sheet else {}
        return {criterion.id: stored.get(criterion.id) for criterion in self.criteria}

    def grades(self) -> dict[int, str]:
        """The grade chosen for each grade criterion scored so far."""
        return {score.criterion_id: score.grade for score in self.sheet.scores
                if score.grade is not None} if self.sheet else {}

    @property
    def submitted(self) -> bool:
        return self.sheet is not None and self.sheet.status is SheetStatus.SUBMITTED

    @property
    def version(self) -> int:
        return self.sheet.version if self.sheet else 0

    def locked_reason(self, now: dt.datetime) -> str | None:
        """Why the sheet cannot be changed now (a message id), or None when it can."""
        if self.round.status is not RoundStatus.OPEN:
            return N_("The round is closed: your draft is kept, but it can no longer be changed or submitted.")
        if self.deadline is not None and now > self.deadline:
            return N_("The deadline has passed: your draft is kept, but it can no longer be changed or submitted.")
        return None


def own_assignments(judge: User):
    """(assignment, round, code, category id, extension, acceptance id) of the judge's own current
    assignments in rounds that have opened: the only way to a sheet (see :func:`sheet_context`)."""
    return (
        select(Assignment, Round, BlindCode.code, Nomination.category_id, DeadlineExtension.deadline_at,
               UndertakingAcceptance.id)
        .join(Expert, Expert.id == Assignment.expert_id)
        .join(Round, Round.id == Assignment.round_id)
        .join(Nomination, Nomination.id == Assignment.nomination_id)
        .join(BlindCode, (BlindCode.nomination_id == Assignment.nomination_id) & (BlindCode.round_id == Round.id))
        .outerjoin(DeadlineExtension, (DeadlineExtension.round_id == Round.id)
                   & (DeadlineExtension.expert_id == Assignment.expert_id))
        .outerjoin(UndertakingAcceptance, (UndertakingAcceptance.edition_id == Round.edition_id)
                   & (UndertakingAcceptance.user_id == judge.id))
        .where(Expert.user_id == judge.id, Assignment.withdrawn_at.is_(None),
               Round.status.in_([RoundStatus.OPEN, RoundStatus.CLOSED])))


def load_rubric(session: Session, *, category_id: int, full: bool) -> Rubric:
    """The category's rubric with its criteria and grades (and band descriptors when ``full``)."""
    # Joined eager loads: each of these is one round trip to the database.
    criteria = joinedload(Rubric.criteria)
    loads = [criteria.selectinload(Criterion.grades)] + ([criteria.selectinload(Criterion.levels)] if full else [])
    rubric = session.scalars(select(Rubric).where(Rubric.category_id == category_id)
                             .options(*loads)).unique().first()
    if rubric is None:
        raise NotFound("rubric")
    return rubric


# Rubrics as saves read them (criteria and grades, no band descriptors), per process, keyed by
# (rubric id, version): a replaced rubric has a new version, so a stale entry is never looked up again.
_RUBRICS: dict[tuple[int, int], Rubric] = {}
_RUBRICS_KEPT = 256


def rubric_for_writes(session: Session, *, rubric_id: int, version: int) -> Rubric:
    """The rubric at ``version`` from the process's cache, loaded (two queries) on first use.

    The cached object is detached and only read (criteria, weights, scales, grades): sessions of any
    thread may share it, and nothing ever adds it to one."""
    key = (rubric_id, version)
    rubric = _RUBRICS.get(key)
    if rubric is None:
        rubric = session.scalars(select(Rubric).where(Rubric.id == rubric_id, Rubric.version == version).options(
            joinedload(Rubric.criteria).selectinload(Criterion.grades))).unique().first()
        if rubric is None:
            raise NotFound("rubric")
        session.expunge(rubric)  # cascades to its criteria and their grades
        if len(_RUBRICS) >= _RUBRICS_KEPT:
            _RUBRICS.clear()
        _RUBRICS[key] = rubric
    return rubric


def _own_assignment(session: Session, *, judge: User, assignment_id: int, for_write: bool):
    """The one lookup of a judge's sheet: (assignment, round, code, category id, extension, acceptance,
    rubric id, rubric version) of the judge's own current assignment, or NotFound.

    For a write on PostgreSQL the same round trip takes the scores' scope lock (shared, see
    :func:`hold_scores`), so the sheet, its rubric and the right to it cost one query."""
    query = own_assignments(judge).add_columns(Rubric.id, Rubric.version).join(
        Rubric, Rubric.category_id == Nomination.category_id).where(Assignment.id == assignment_id)
    postgres = for_write and _is_postgres(session)
    if postgres:
        query = query.add_columns(func.pg_advisory_xact_lock_shared(Round.id, Nomination.category_id))
    row = session.execute(query).first()
    if row is None:
        raise NotFound("assignment")
    if postgres:
        _scopes_held(session)[(row[1].id, row[3])] = False
    return row[:8]


def sheet_context(session: Session, *, judge: User, assignment_id: int, full: bool = True) -> SheetContext:
    """The judge's own, current assignment; NotFound for anything else (another judge's, withdrawn,
    a round not yet open), so ids cannot be probed.

    ``full=False`` (saving, submitting) skips what only the page shows: the nomination's text and
    attachments, the category and the band descriptors, and takes the rubric from the process's cache:
    two queries (the assignment with its rubric's version, the sheet with its scores).
    """
    assignment, round_, code, category_id, extension, acceptance, rubric_id, rubric_version = _own_assignment(
        session, judge=judge, assignment_id=assignment_id, for_write=not full)
    if full:
        rubric = load_rubric(session, category_id=category_id, full=True)
    else:
        rubric = rubric_for_writes(session, rubric_id=rubric_id, version=rubric_version)
    sheet = session.scalars(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id)
                            .options(joinedload(ScoreSheet.scores))).unique().first()
    nomination = category = None
    if full:
        nomination = session.scalar(select(Nomination).where(Nomination.id == assignment.nomination_id)
                                    .options(selectinload(Nomination.attachments)))
        category = session.get(Category, category_id)
    return SheetContext(assignment, round_, nomination, code, category, rubric, sheet,
                        later_deadline(round_.deadline_at, extension), acceptance is not None)


def _check_writable(ctx: SheetContext, *, now: dt.datetime) -> None:
    if not ctx.accepted_undertaking:
        raise JudgingError(N_("Accept the confidentiality undertaking before scoring."))
    if ctx.submitted:
        raise Conflict(N_("This sheet has been submitted and can no longer be changed."))
    reason = ctx.locked_reason(now)
    if reason:
        raise DeadlinePassed(reason)


# ------------------------------------------------------------------------------------ freezing

def _mirror(sheet: ScoreSheet, **values) -> None:
    """Show in the loaded object what a guarded UPDATE just wrote, without writing it a second time."""
    for key, value in values.items():
        set_committed_value(sheet, key, value)


def _audit_data(ctx: SheetContext, sheet: ScoreSheet, values: dict[int, Decimal | None]) -> dict:
    data = {"assignment_id": ctx.assignment.id, "version": sheet.version, "status": sheet.status.value,
            "values": {str(k): (str(v) if v is not None else None) for k, v in sorted(values.items())},
            "comment": sheet.comment, "familiarity": sheet.familiarity,
            "total": str(weighted_total(ctx.criteria, values))}
    grades = {str(c.id): grade for c in ctx.criteria if (grade := grade_of(c, values.get(c.id)))}
    if grades:  # the grades chosen, beside their numbers (only rubrics with grade scales have any)
        data["grades"] = grades
    return data


def _grades(criteria: list[Criterion], values: dict[int, Decimal | None]) -> dict[int, str | None]:
    """The grade of each value on a grade scale; a value that is no grade of its table is refused."""
    grades: dict[int, str | None] = {}
    errors: dict[str, FieldError] = {}
    for criterion in criteria:
        value = values.get(criterion.id)
        grades[criterion.id] = grade_of(criterion, value)
        if value is not None and criterion.scale_kind is ScaleKind.GRADE and grades[criterion.id] is None:
            errors[field_name(criterion.id)] = FieldError(N_("Choose one of the listed grades."))
    if errors:
        raise SheetInvalid(errors)
    return grades


def _write_scores(session: Session, sheet: ScoreSheet, values: dict[int, Decimal | None],
                  grades: dict[int, str | None]) -> None:
    """The sheet's criterion rows made equal to ``values``: the changed ones in one executemany UPDATE
    (one round trip however many criteria changed), new and emptied ones through the ORM."""
    existing = {score.criterion_id: score for score in sheet.scores}
    changed = []
    for criterion_id, value in values.items():
        score = existing.get(criterion_id)
        if value is None:
            if score is not None:
                sheet.scores.remove(score)
        elif score is None:
            sheet.scores.append(CriterionScore(criterion_id=criterion_id, value=value, grade=grades[criterion_id]))
        elif score.value != value or score.grade != grades[criterion_id]:
            changed.append({"row": score.id, "value": value, "grade": grades[criterion_id]})
            set_committed_value(score, "value", value)
            set_committed_value(score, "grade", grades[criterion_id])
    if changed:
        table = CriterionScore.__table__
        session.execute(update(table).where(table.c.id == bindparam("row"))
                        .values(value=bindparam("value"), grade=bindparam("grade")), changed)
    session.flush()


def save_draft(session: Session, *, judge: User, assignment_id: int, data: SheetInput | Mapping[str, Any],
               version: int, now: dt.datetime | None = None) -> SheetContext:
    """Store the judge's draft if ``version`` is the one stored (0: no sheet yet); audited.

    ``data`` is a checked :class:`SheetInput` or the posted form, read against the rubric here.
    An unchanged draft writes nothing. Bad values, a stale version, a submitted sheet, a closed
    round or a passed deadline are refused and leave the stored sheet as it was.
    """
    now = now or utcnow()
    ctx = sheet_context(session, judge=judge, assignment_id=assignment_id, full=False)
    _check_writable(ctx, now=now)
    if not isinstance(data, SheetInput):
        data = read_sheet_form(data, ctx.criteria)
    if version != ctx.version:
        raise _stale(ctx.version)
    values = {criterion.id: data.values.get(criterion.id) for criterion in ctx.criteria}
    grades = _grades(ctx.criteria, values)
    sheet = ctx.sheet
    if sheet is not None and values == ctx.values() and sheet.comment == data.comment \
            and sheet.familiarity == data.familiarity:
        return ctx
    if sheet is None:
        sheet = ScoreSheet(assignment_id=ctx.assignment.id, status=SheetStatus.DRAFT, version=1, comment=data.comment,
                           familiarity=data.familiarity, updated_at=now)
        try:
            with session.begin_nested():
                session.add(sheet)
                session.flush()
        except IntegrityError:
            raise _stale(1) from None  # another tab created it a moment ago
    else:
        # The version check again, in the UPDATE itself: of two concurrent saves, one wins.
        changed = session.execute(
            update(ScoreSheet).where(ScoreSheet.id == sheet.id, ScoreSheet.version == version,
                                     ScoreSheet.status == SheetStatus.DRAFT)
            .values(version=version + 1, comment=data.comment, familiarity=data.familiarity, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if changed != 1:
            raise _stale(version + 1)
        _mirror(sheet, version=version + 1, comment=data.comment, familiarity=data.familiarity, updated_at=now)
    _write_scores(session, sheet, values, grades)
    ctx.sheet = sheet
    audit.append(session, actor=actor_of(judge), action="score_sheet.draft_saved", object_type="score_sheet",
                 object_id=sheet.id, data=_audit_data(ctx, sheet, values), at=now)
    ensure_not_frozen(session, round_id=ctx.round.id, category_id=ctx.rubric.category_id)
    return ctx


def submit_sheet(session: Session, *, judge: User, assignment_id: int, version: int,
                 now: dt.datetime | None = None) -> SheetContext:
    """Submit the stored draft at ``version``: complete, on time, not stale. Read-only afterwards."""
    now = now or utcnow()
    ctx = sheet_context(session, judge=judge, assignment_id=assignment_id, full=False)
    _check_writable(ctx, now=now)
    if version != ctx.version:
        raise _stale(ctx.version)
    values = ctx.values()
    sheet = ctx.sheet
    check_complete(ctx.criteria, values, comment=sheet.comment if sheet else "",
                   familiarity=sheet.familiarity if sheet else None,
                   opinion_min_length=ctx.rubric.opinion_min_length)
    changed = session.execute(
        update(ScoreSheet).where(ScoreSheet.id == sheet.id, ScoreSheet.version == version,
                                 ScoreSheet.status == SheetStatus.DRAFT)
        .values(version=version + 1, status=SheetStatus.SUBMITTED, submitted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise _stale(version + 1)
    _mirror(sheet, version=version + 1, status=SheetStatus.SUBMITTED, submitted_at=now, updated_at=now)
    audit.append(session, actor=actor_of(judge), action="score_sheet.submitted", object_type="score_sheet",
                 object_id=sheet.id, data=_audit_data(ctx, sheet, values), at=now)
    ensure_not_frozen(session, round_id=ctx.round.id, category_id=ctx.rubric.category_id)
    return ctx


def declare_conflict(session: Session, *, judge: User, assignment_id: int, reason: str,
                     now: dt.datetime | None = None) -> Assignment:
    """The judge declares a conflict of interest: the assignment is withdrawn (it leaves the queue,
    any draft is never counted) and a declared conflict is recorded for the panels to reassign."""
    now = now or utcnow()
    ctx = sheet_context(session, judge=judge, assignment_id=assignment_id, full=False)
    reason = _reason(reason, N_("Say briefly why you have a conflict of interest."))
    if ctx.submitted:
        raise Conflict(N_("This sheet has been submitted; ask the organizer to reopen it before declaring a conflict."))
    if ctx.round.status is not RoundStatus.OPEN:
        raise DeadlinePassed(N_("The round is closed."))
    assignment = ctx.assignment
    assignment.withdrawn_at = now
    assignment.withdrawn_reason = reason
    conflict = session.scalar(select(ExpertConflict).where(ExpertConflict.expert_id == assignment.expert_id,
                                                           ExpertConflict.nomination_id == assignment.nomination_id))
    if conflict is None:
        session.add(ExpertConflict(expert_id=assignment.expert_id, nomination_id=assignment.nomination_id,
                                   source=ConflictSource.DECLARED, reason=reason, created_by_id=judge.id,
                                   created_at=now))
    session.flush()
    audit.append(session, actor=actor_of(judge), action="assignment.conflict_declared", object_type="assignment",
                 object_id=assignment.id, data={"round_id": assignment.round_id, "expert_id": assignment.expert_id,
                                                "nomination_id": assignment.nomination_id, "reason": reason}, at=now)
    return assignment


# ------------------------------------------------------------------------------ organizer: round

def reopen_sheet(session: Session, *, sheet_id: int, by: audit.Actor, reason: str,
                 now: dt.datetime | None = None) -> ScoreSheet:
    """Give a submitted sheet back to its judge as a draft, with the reason the judge will read."""
    now = now or utcnow()
    reason = _reason(reason, N_("Give the reason for reopening: the judge will read it."))
    sheet = session.scalar(select(ScoreSheet).where(ScoreSheet.id == sheet_id).options(selectinload(ScoreSheet.scores)))
    if sheet is None:
        raise NotFound("sheet")
    if sheet.status is not SheetStatus.SUBMITTED:
        raise Conflict(N_("Only a submitted sheet can be reopened."))
    changed = session.execute(
        update(ScoreSheet).where(ScoreSheet.id == sheet.id, ScoreSheet.version == sheet.version)
        .values(version=sheet.version + 1, status=SheetStatus.DRAFT, submitted_at=None, reopened_at=now,
                reopen_reason=reason, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise _stale(sheet.version + 1)
    _mirror(sheet, version=sheet.version + 1, status=SheetStatus.DRAFT, submitted_at=None, reopened_at=now,
            reopen_reason=reason, updated_at=now)
    audit.append(session, actor=by, action="score_sheet.reopened", object_type="score_sheet", object_id=sheet.id,
                 data={"assignment_id": sheet.assignment_id, "version": sheet.version, "reason": reason,
                       "values": {str(s.criterion_id): str(s.value) for s in sorted(sheet.scores,
                                                                                   key=lambda s: s.criterion_id)}},
                 at=now)
    round_id, category_id = session.execute(
        select(Assignment.round_id, Nomination.category_id).join(Nomination, Nomination.id == Assignment.nomination_id)
        .where(Assignment.id == sheet.assignment_id)).one()
    ensure_not_frozen(session, round_id=round_id, category_id=category_id)
    notifications.queue(session, event="sheet_reopened", by=by, reason=reason,
                        link=f"/judge/sheets/{sheet.assignment_id}",
                        to=select(Expert.user_id).join(Assignment).where(Assignment.id == sheet.assignment_id))
    return sheet


def extend_deadline(session: Session, *, round_: Round, expert_id: int, until: dt.datetime, reason: str, by: audit.Actor,
                    now: dt.datetime | None = None) -> DeadlineExtension:
    """A later deadline for one judge in one round (replacing an earlier extension); audited."""
    now = now or utcnow()
    if session.get(Expert, expert_id) is None:
        raise NotFound("expert")
    reason = _reason(reason, N_("Give the reason for the extension."))
    if until <= now or (round_.deadline_at is not None and until <= round_.deadline_at):
        raise JudgingError(N_("The new deadline must be in the future and later than the round's deadline."))
    extension = session.scalar(select(DeadlineExtension).where(DeadlineExtension.round_id == round_.id,
                                                               DeadlineExtension.expert_id == expert_id))
    previous = extension.deadline_at if extension else None
    if extension is None:
        extension = DeadlineExtension(round_id=round_.id, expert_id=expert_id)
        session.add(extension)
    extension.deadline_at, extension.reason, extension.created_by_id, extension.created_at = until, reason, by.id, now
    session.flush()
    audit.append(session, actor=by, action="round.deadline_extended", object_type="round", object_id=round_.id,
                 data={"expert_id": expert_id, "until": until, "previous": previous, "reason": reason}, at=now)
    notifications.queue(session, event="deadline_extended", to=select(Expert.user_id).where(Expert.id == expert_id),
                        by=by, round=round_.name, deadline=until, link="/judge")
    return extension
