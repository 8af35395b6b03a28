"""A category's stages open in order, close only when nothing blocks them, and each step is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from judging import audit
from judging.audit.models import AuditEvent
from judging.results.service import approve_run, create_run
from judging.stages.models import Stage, StageKind, StageStatus
from judging.stages.service import (
    StageBlocked, StageError, close_stage, open_stage, pipeline, require_open, schedule_stage, skip_stage,
)
from tests.results.factories import ORGANIZER, make_small_edition

DESIGN = [(n, j, 5 + (n + j) % 4) for n in range(4) for j in range(3)]


def _events(db, action):
    return db.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_stages_open_in_order_and_refuse_to_skip_ahead(db):
    world = make_small_edition(db, DESIGN)
    category = world["category"]
    with pytest.raises(StageError, match="cannot open before Recommendation"):
        open_stage(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW, by=ORGANIZER)
    assert db.scalars(select(Stage)).all() == []
    open_stage(db, category_id=category.id, kind=StageKind.NOMINATION, by=ORGANIZER)
    with pytest.raises(StageError, match="already been opened"):
        open_stage(db, category_id=category.id, kind=StageKind.NOMINATION, by=ORGANIZER)
    require_open(db, category_id=category.id, kind=StageKind.NOMINATION)
    with pytest.raises(StageError, match="Formal review is not open"):
        require_open(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW)
    assert [e.object_type for e in _events(db, "stage.opened")] == ["stage"]


def test_a_stage_closes_only_when_nothing_blocks_it(db):
    world = make_small_edition(db, DESIGN)
    category, round_ = world["category"], world["round"]
    for kind in (StageKind.NOMINATION,):
        open_stage(db, category_id=category.id, kind=kind, by=ORGANIZER)
        close_stage(db, category_id=category.id, kind=kind, by=ORGANIZER)
    skip_stage(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW, reason="历届均由各市把关", by=ORGANIZER)
    open_stage(db, category_id=category.id, kind=StageKind.ONLINE_REVIEW, by=ORGANIZER)
    with pytest.raises(StageBlocked) as refused:
        close_stage(db, category_id=category.id, kind=StageKind.ONLINE_REVIEW, by=ORGANIZER)
    assert "no result run of 初评 has been approved" in str(refused.value)
    (view,) = pipeline(db, edition=world["edition"])
    assert view.current is StageKind.ONLINE_REVIEW
    assert [b.params for b in view.blockers] == [{"round": "初评"}]

    run = create_run(db, round_id=round_.id, category_id=category.id, method="mean", by=ORGANIZER)
    approve_run(db, run=run, by=ORGANIZER)
    close_stage(db, category_id=category.id, kind=StageKind.ONLINE_REVIEW, by=ORGANIZER)
    (view,) = pipeline(db, edition=world["edition"])
    assert view.current is StageKind.PANEL_MEETING and view.blockers == []
    assert [s.status for s in view.stages] == [StageStatus.CLOSED, StageStatus.SKIPPED, StageStatus.CLOSED,
                                               StageStatus.PENDING, StageStatus.PENDING, StageStatus.PENDING]
    assert [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.object_type == "stage")
                                         .order_by(AuditEvent.seq))] == [
        "stage.opened", "stage.closed", "stage.skipped", "stage.opened", "stage.closed"]


def test_intake_blocks_while_nominations_wait_for_confirmation(db):
    from judging.nominations.models import NominationStatus

    world = make_small_edition(db, DESIGN)
    world["nominations"][0].status = NominationStatus.RECEIVED
    open_stage(db, category_id=world["category"].id, kind=StageKind.NOMINATION, by=ORGANIZER)
    with pytest.raises(StageBlocked, match="1 nominations wait"):
        close_stage(db, category_id=world["category"].id, kind=StageKind.NOMINATION, by=ORGANIZER)
    assert db.scalar(select(Stage.status)) is StageStatus.OPEN


def test_only_some_stages_may_be_skipped_and_only_with_a_reason(db):
    category = make_small_edition(db, DESIGN)["category"]
    with pytest.raises(StageError, match="Public notice cannot be skipped"):
        skip_stage(db, category_id=category.id, kind=StageKind.PUBLIC_NOTICE, reason="x", by=ORGANIZER)
    with pytest.raises(StageError, match="Give the reason"):
        skip_stage(db, category_id=category.id, kind=StageKind.PANEL_MEETING, reason="  ", by=ORGANIZER)
    assert _events(db, "stage.skipped") == []


def test_schedule_is_checked_and_audited(db):
    category = make_small_edition(db, DESIGN)["category"]
    with pytest.raises(StageError, match="before its start"):
        schedule_stage(db, category_id=category.id, kind=StageKind.PUBLIC_NOTICE, start=dt.date(2030, 6, 8),
                       end=dt.date(2030, 6, 1), by=ORGANIZER)
    row = schedule_stage(db, category_id=category.id, kind=StageKind.PUBLIC_NOTICE, start=dt.date(2030, 6, 1),
                         end=dt.date(2030, 6, 7), by=ORGANIZER)
    assert row.status is StageStatus.PENDING and row.planned_end == dt.date(2030, 6, 7)
    (event,) = _events(db, "stage.scheduled")
    assert b'"end":"2030-06-07"' in event.body
    assert audit.verify(db).valid
