"""Many score sheets of one judge submitted at once, checked and audited one by one as the sheet page's
save and submit would (see :func:`judging.scoring.service.save_draft` and ``submit_sheet``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from judging import audit
from judging.accounts.models import User
from judging.db.base import utcnow
from judging.errors import N_, Conflict
from judging.scoring.models import CriterionScore, ScoreSheet, SheetStatus
from judging.scoring.rules import SheetInput, check_complete, read_sheet_form
from judging.scoring.service import (
    SheetContext, _actor, _audit_data, _check_writable, _grades, _stale, sheet_context,
)


def submit_sheets(session: Session, *, judge: User, entries: Sequence[tuple[int, SheetInput | Mapping[str, Any]]],
                  now: dt.datetime | None = None) -> list[ScoreSheet]:
    """Submit many new sheets of one judge at once (an import of scores typed elsewhere, the demo):
    each entry is (assignment id, the sheet's form or a checked :class:`SheetInput`), read and checked
    as :func:`save_draft` then :func:`submit_sheet` would, and audited as ``sheet.submitted`` each.

    All or nothing: the first entry refused (not the judge's, undertaking not accepted, round closed,
    deadline passed, a sheet already there, a value off the scale, incomplete) raises and nothing of
    this call is kept by the caller's rollback. Flushes once for all sheets.
    """
    now = now or utcnow()
    pending: list[tuple[SheetContext, ScoreSheet, dict[int, Decimal | None]]] = []
    with session.no_autoflush:  # the new sheets go in one flush, after every entry passed
        for assignment_id, data in entries:
            if any(ctx.assignment.id == assignment_id for ctx, _sheet, _values in pending):
                raise Conflict(N_("Each assignment can have one sheet: assignment {id} is listed twice."),
                               id=assignment_id)
            pending.append(_checked_sheet(session, judge=judge, assignment_id=assignment_id, data=data, now=now))
    session.flush()
    for ctx, sheet, values in pending:
        ctx.sheet = sheet
        audit.append(session, actor=_actor(judge), action="sheet.submitted", object_type="score_sheet",
                     object_id=sheet.id, data=_audit_data(ctx, sheet, values), at=now)
    return [sheet for _ctx, sheet, _values in pending]


def _checked_sheet(session: Session, *, judge: User, assignment_id: int, data: SheetInput | Mapping[str, Any],
                   now: dt.datetime) -> tuple[SheetContext, ScoreSheet, dict[int, Decimal | None]]:
    ctx = sheet_context(session, judge=judge, assignment_id=assignment_id, full=False)
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
