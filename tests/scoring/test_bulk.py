"""Many sheets of one judge submitted at once (scoring.bulk), on both databases: each checked as the
sheet page would, each audited, and nothing kept when one is refused."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from judging.accounts.models import User
from judging.audit.models import AuditEvent
from judging.errors import NotFound
from judging.scoring.bulk import submit_sheets
from judging.scoring.models import ScoreSheet, SheetStatus
from judging.scoring.rules import SheetInvalid
from scoring.sheets_helpers import open_items

OPINION = "创新点明确，应用效果有数据支撑，建议推广。"


def _form(item, *values) -> dict[str, str]:
    return {**item.values(*values), "comment": OPINION, "familiarity": "familiar"}


def _judge(session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def test_sheets_are_submitted_at_once_and_audited_each_as_the_judge(session_factory):
    first, second = open_items(session_factory, "judge01")[:2]
    with session_factory() as session:
        sheets = submit_sheets(session, judge=_judge(session, "judge01"),
                               entries=[(first.assignment_id, _form(first, 20, 22, 15, 12)),
                                        (second.assignment_id, _form(second, 10, 30, 5, 6))])
        session.commit()
        assert [s.status for s in sheets] == [SheetStatus.SUBMITTED] * 2
        events = [json.loads(body) for body in session.scalars(
            select(AuditEvent.body).where(AuditEvent.action == "score_sheet.submitted").order_by(AuditEvent.seq.desc())
            .limit(2))]
    assert {e["actor"] for e in events} == {"judge01"}
    assert {e["data"]["assignment_id"] for e in events} == {first.assignment_id, second.assignment_id}


@pytest.mark.parametrize("problem", ["incomplete", "off_scale", "not_own"])
def test_one_refused_entry_keeps_nothing(session_factory, problem):
    first, second = open_items(session_factory, "judge01")[:2]
    bad = {"incomplete": (second.assignment_id, {**_form(second, 10), "comment": ""}),
           "off_scale": (second.assignment_id, _form(second, 10, 31, 5, 6)),
           "not_own": (open_items(session_factory, "judge07")[0].assignment_id, _form(second, 10, 30, 5, 6))}[problem]
    with session_factory() as session:
        before = session.scalar(select(func.count()).select_from(ScoreSheet))
        with pytest.raises(NotFound if problem == "not_own" else SheetInvalid):
            submit_sheets(session, judge=_judge(session, "judge01"),
                          entries=[(first.assignment_id, _form(first, 20, 22, 15, 12)), bad])
        session.rollback()
        assert session.scalar(select(func.count()).select_from(ScoreSheet)) == before
