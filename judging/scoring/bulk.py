"""Many score sheets of one judge submitted at once, checked and audited one by one as the sheet page's
save and submit would (see :func:`judging.scoring.service.save_draft` and ``submit_sheet``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from judging import audit
from judging.accounts import actor_of
from judging.accounts.models import User
from judging.db.base import utcnow
from judging.editions.models import Rubric
from judging.errors import N_, Conflict, NotFound
from judging.panels.models import Assignment
from judging.scoring.models import CriterionScore, ScoreSheet, SheetStatus
from judging.scoring.rules import SheetInput, check_complete, read_sheet_form
from judging.scoring.service import (
    SheetContext, _audit_data, _check_writable, _grades, _stale, ensure_not_frozen, later_deadline, load_rubric,
    own_assignments,
)


def submit_sheets(session: Session, *, judge: User, entries: Sequence[tuple[int, SheetInput | Mapping[str, Any]]],
                  now: dt.datetime | None = None) -> list[ScoreSheet]:
    """Submit many new sheets of one judge at once (an import of scores typed elsewhere, the demo):
    each entry is (assignment id, the sheet's form or a checked :class:`SheetInput`), read and checked
    as :func:`save_draft` then :func:`submit_sheet` would, and audited as ``score_sheet.submitted`` each.

    All or nothing: the first entry refused (not the judge's, undertaking not accepted, round closed,
    deadline passed, a sheet already there, a value off the scale, incomplete) raises and nothing of
    this call is kept by the caller's rollback. Flushes once for all sheets.
    """
    now = now or utcnow()
    pending: list[tuple[SheetContext, ScoreSheet, dict[int, Decimal | None]]] = []
    contexts = _contexts(session, judge=judge, assignment_ids=[assignment_id for assignment_id, _data in entries])
    with session.no_autoflush:  # the new sheets go in one flush, after every entry passed
        for assignment_id, data in entries:
            if any(ctx.assignment.id == assignment_id for ctx, _sheet, _values in pending):
                raise Conflict(N_("Each assignment can have one sheet: assignment {id} is listed twice."),
                               id=assignment_id)
            pending.append(_checked_sheet(session, contexts[assignment_id], data=data, now=now))
    session.flush()
    for ctx, sheet, values in pending:
        ctx.sheet = sheet
        audit.append(session, actor=actor_of(judge), action="score_sheet.submitted", object_type="score_sheet",
                     object_id=sheet.id, data=_audit_data(ctx, sheet, values), at=now)
    for round_id, category_id in sorted({(ctx.round.id, ctx.rubric.category_id) for ctx, _s, _v in pending}):
        ensure_not_frozen(session, round_id=round_id, category_id=category_id)  # holds the scores, as a save
    return [sheet for _ctx, sheet, _values in pending]


def _contexts(session: Session, *, judge: User, assignment_ids: list[int]) -> dict[int, SheetContext]:
    """The write context (as ``sheet_context(full=False)`` gives it) of each listed assignment, in three
    queries for them all; NotFound as soon as one is not the judge's own current assignment."""
    rows = session.execute(own_assignments(judge).where(Assignment.id.in_(assignment_ids))).all()
    if len(rows) != len(set(assignment_ids)):
        raise NotFound("assignment")
    sheets = {sheet.assignment_id: sheet for sheet in session.scalars(
        select(ScoreSheet).where(ScoreSheet.assignment_id.in_(assignment_ids))
        .options(selectinload(ScoreSheet.scores)))}
    rubrics: dict[int, Rubric] = {}
    contexts = {}
    for assignment, round_, code, category_id, extension, acceptance in rows:
        if category_id not in rubrics:
            rubrics[category_id] = load_rubric(session, category_id=category_id, full=False)
        contexts[assignment.id] = SheetContext(
            assignment, round_, None, code, None, rubrics[category_id], sheets.get(assignment.id),
            later_deadline(round_.deadline_at, extension), acceptance is not None)
    return contexts


def _checked_sheet(session: Session, ctx: SheetContext, *, data: SheetInput | Mapping[str, Any],
                   now: dt.datetime) -> tuple[SheetContext, ScoreSheet, dict[int, Decimal | None]]:
    _check_writable(ctx, now=now)
    if ctx.sheet is not None:
        raise _stale(ctx.version)
    if not isinstance(data, SheetInput):
        data = read_sheet_form(data, ctx.criteria)
    values = {criterion.id: data.values.get(criterion.id) for criterion in ctx.criteria}
    grades = _grades(ctx.criteria, values)
    check_complete(ctx.criteria, values, comment=data.comment, familiarity=data.familiarity,
                   opinion_min_length=ctx.rubric.opinion_min_length)
    sheet = ScoreSheet(assignment_id=ctx.assignment.id, status=SheetStatus.SUBMITTED, version=1,
                       comment=data.comment, familiarity=data.familiarity, updated_at=now, submitted_at=now,
                       scores=[CriterionScore(criterion_id=cid, value=value, grade=grades[cid])
                               for cid, value in values.items()])
    session.add(sheet)
    return ctx, sheet, values
