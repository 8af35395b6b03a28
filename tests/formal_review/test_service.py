"""Formal review (形式审查): the checklist, each decision and each refusal, the corrected re-import, the
stage's blocker, and that only passed nominations are blinded and assigned once the stage has started."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from judging import audit
from judging.audit.models import AuditEvent
from judging.editions.models import Category, CategoryKey, Round, RoundKind
from judging.errors import Conflict, NotFound
from judging.formal_review import service
from judging.formal_review.models import Checklist, Decision, Outcome
from judging.formal_review.service import FormalReviewError, State, admitted_ids
from judging.nominations.codes import ensure_blind_codes
from judging.nominations.models import (
    Attachment,
    BlindCode,
    Nomination,
    NominationIdentity,
    NominationStatus,
)
from judging.nominations.service import confirm, withdraw
from judging.nominations.storage import AttachmentStore
from judging.panels.models import Assignment, Expert
from judging.panels.service import (
    PlanSettings,
    commit_plan,
    eligible_nominations,
    preview_plan,
)
from judging.settings import Settings
from judging.stages.models import StageKind, StageStatus
from judging.stages.service import (
    StageBlocked,
    StageError,
    close_stage,
    open_stage,
    skip_stage,
    status_of,
)
from tests.nominations.test_import_service import (
    HEADER,
    ORGANIZER,
    csv_bytes,
    make_edition,
)

TODAY = dt.datetime.now(ZoneInfo(Settings().timezone)).date()  # as service.local_today() sees it
NEXT_WEEK = TODAY + dt.timedelta(days=7)
CHECKLIST = [{"kind": "attachments", "min_count": "1", "kinds": ["pdf"]}, {"kind": "quota"},
             {"kind": "completion_window", "start": "2024-01-01", "end": "2026-06-30"}, {"kind": "frontline"},
             {"kind": "manual", "label": "推荐表加盖市总工会公章"}]


def _nominations(db, edition, category, n: int, *, city: str = "南京") -> list[Nomination]:
    out = []
    for i in range(n):
        nomination = Nomination(edition_id=edition.id, category_id=category.id, title=f"形式审查测试{i:02d}",
                                summary="摘要", body="正文", status=NominationStatus.CONFIRMED)
        nomination.identity = NominationIdentity(inventors=[f"张{i:02d}"], employer=f"测试单位{i:02d}有限公司",
                                                 city=city, industry="电力")
        db.add(nomination)
        out.append(nomination)
    db.flush()
    return out


def _achievement(db, edition) -> Category:
    return db.scalar(select(Category).where(Category.edition_id == edition.id,
                                            Category.key == CategoryKey.ACHIEVEMENT))


def _open_formal_review(db, category) -> None:
    open_stage(db, category_id=category.id, kind=StageKind.NOMINATION, by=ORGANIZER)
    close_stage(db, category_id=category.id, kind=StageKind.NOMINATION, by=ORGANIZER)
    open_stage(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW, by=ORGANIZER)


@pytest.fixture
def world(db):
    edition = make_edition(db)
    category = _achievement(db, edition)
    nominations = _nominations(db, edition, category, 4)
    _open_formal_review(db, category)
    return {"edition": edition, "category": category, "nominations": nominations}


def _decide(db, world, index, outcome, **kwargs):
    return service.decide(db, edition=world["edition"], nomination_id=world["nominations"][index].id,
                          outcome=outcome, by=ORGANIZER, **kwargs)


FORMAL_REVIEW_ACTIONS = ("category.checklist_set", *service.DECISION_ACTIONS.values(), "nomination.resubmitted")


def _events(db, actions=FORMAL_REVIEW_ACTIONS):
    return db.scalars(select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.seq)).all()


# ------------------------------------------------------------------------------------- checklist

def test_the_checklist_is_stored_cleaned_and_audited(db, world):
    service.set_checklist(db, edition=world["edition"], category_id=world["category"].id, items=CHECKLIST,
                          by=ORGANIZER)
    items = service.checklist_items(db, category_id=world["category"].id)
    assert items[0] == {"kind": "attachments", "min_count": 1, "kinds": ["pdf"]}
    assert [i["kind"] for i in items] == ["attachments", "quota", "completion_window", "frontline", "manual"]
    (event,) = _events(db)
    assert event.action == "category.checklist_set" and event.object_id == str(world["category"].id)


@pytest.mark.parametrize("item, message", [
    ({"kind": "attachments", "min_count": ""}, "least number of attachments"),
    ({"kind": "attachments", "min_count": "1", "kinds": ["exe"]}, "attachment kinds"),
    ({"kind": "completion_window", "start": "2024-01-01", "end": ""}, "last completion date"),
    ({"kind": "completion_window", "start": "", "end": "2024-01-01"}, "first completion date"),
    ({"kind": "completion_window", "start": "2025-01-01", "end": "2024-01-01"}, "ends before it starts"),
    ({"kind": "manual", "label": "   "}, "needs its wording"),
    ({"kind": "lottery"}, "unknown kind"),
])
def test_a_checklist_item_with_missing_fields_is_refused_and_nothing_changes(db, world, item, message):
    service.set_checklist(db, edition=world["edition"], category_id=world["category"].id,
                          items=[{"kind": "quota"}], by=ORGANIZER)
    with pytest.raises(FormalReviewError, match=message):
        service.set_checklist(db, edition=world["edition"], category_id=world["category"].id,
                              items=[{"kind": "quota"}, item], by=ORGANIZER)
    assert service.checklist_items(db, category_id=world["category"].id) == [{"kind": "quota"}]
    assert len(_events(db)) == 1


def test_a_checklist_of_another_edition_is_not_found(db, world):
    other = make_edition(db, year=2031)
    with pytest.raises(NotFound):
        service.set_checklist(db, edition=other, category_id=world["category"].id, items=[], by=ORGANIZER)
    assert db.scalar(select(func.count()).select_from(Checklist)) == 0


def test_automatic_checks_are_worked_out_from_stored_data(db, world, tmp_path):
    service.set_checklist(db, edition=world["edition"], category_id=world["category"].id, items=CHECKLIST,
                          by=ORGANIZER)
    items = service.checklist_items(db, category_id=world["category"].id)
    first, second = world["nominations"][:2]
    first.identity.completed_on, first.identity.first_inventor_frontline = dt.date(2025, 3, 1), True
    second.identity.completed_on, second.identity.first_inventor_frontline = dt.date(2023, 12, 31), False
    db.add(Attachment(nomination_id=first.id, position=1, original_name="申报书.pdf", stored_name="x1", kind="pdf",
                      size=10, sha256="0" * 64))
    db.flush()
    met = {n.id: [r.met for r in service.evaluate(db, edition=world["edition"], nomination=n, items=items,
                                                  ticked=[4])] for n in (first, second)}
    # 南京's target is 100 × 412 / 3172 employees → 13 of the 100; it has 4 nominations
    assert met[first.id] == [True, True, True, True, True]
    assert met[second.id] == [False, True, False, False, True]
    third = world["nominations"][2]
    assert [r.met for r in service.evaluate(db, edition=world["edition"], nomination=third, items=items)] == \
        [False, True, None, None, False]


def test_a_city_over_its_quota_fails_the_quota_check_until_nominations_are_rejected(db):
    edition = make_edition(db, units={"南京": 10, "苏州": 10}, total=2)  # one each
    category = _achievement(db, edition)
    nominations = _nominations(db, edition, category, 2)
    _open_formal_review(db, category)
    items = [{"kind": "quota"}]
    assert [r.met for r in service.evaluate(db, edition=edition, nomination=nominations[0], items=items)] == [False]
    service.decide(db, edition=edition, nomination_id=nominations[1].id, outcome=Outcome.REJECTED, by=ORGANIZER,
                   reasons="超出名额")
    (result,) = service.evaluate(db, edition=edition, nomination=nominations[0], items=items)
    assert result.met is True and result.detail == {"city": "南京", "target": 1, "count": 1}


# ------------------------------------------------------------------------------------- decisions

def test_pass_return_and_reject_are_stored_with_the_checklist_and_audited(db, world):
    service.set_checklist(db, edition=world["edition"], category_id=world["category"].id,
                          items=[{"kind": "manual", "label": "推荐表加盖公章"}], by=ORGANIZER)
    passed = _decide(db, world, 0, Outcome.PASSED, ticked=[0])
    returned = _decide(db, world, 1, Outcome.RETURNED, reasons="缺少经济效益证明", deadline=NEXT_WEEK, ticked=[0])
    rejected = _decide(db, world, 2, Outcome.REJECTED, reasons="完成时间不在申报期内")
    assert passed.checks == [{"item": {"kind": "manual", "label": "推荐表加盖公章"}, "met": True, "detail": {}}]
    assert rejected.checks[0]["met"] is False
    assert (returned.reasons, returned.deadline) == ("缺少经济效益证明", NEXT_WEEK)
    assert [e.action for e in _events(db)][1:] == ["nomination.formal_review_passed", "nomination.formal_review_returned",
                                                  "nomination.formal_review_rejected"]
    assert b'"deadline":"' + NEXT_WEEK.isoformat().encode() in _events(db)[2].body
    states = {r.nomination.id: r.state for r in service.review_list(db, edition=world["edition"])[0]}
    assert list(states.values()) == [State.PASSED, State.AWAITING, State.REJECTED, State.PENDING]
    assert audit.verify(db).valid


def test_passing_issues_the_preliminary_blind_code(db, world):
    preliminary = db.scalar(select(Round).where(Round.edition_id == world["edition"].id))
    _decide(db, world, 0, Outcome.PASSED)
    assert db.scalar(select(BlindCode.nomination_id).where(BlindCode.round_id == preliminary.id)) == \
        world["nominations"][0].id


def test_passing_with_unmet_items_needs_an_override_reason(db, world):
    service.set_checklist(db, edition=world["edition"], category_id=world["category"].id,
                          items=[{"kind": "frontline"}, {"kind": "manual", "label": "材料真实"}], by=ORGANIZER)
    with pytest.raises(FormalReviewError, match="2 checklist item"):
        _decide(db, world, 0, Outcome.PASSED)
    with pytest.raises(FormalReviewError, match="1 checklist item"):
        _decide(db, world, 0, Outcome.PASSED, ticked=[1])
    assert db.scalar(select(func.count()).select_from(Decision)) == 0
    decision = _decide(db, world, 0, Outcome.PASSED, ticked=[1], override_reason="推荐单位来函证明为一线职工")
    assert decision.override_reason == "推荐单位来函证明为一线职工"
    # A reason given when every item is met overrides nothing and is not kept as one.
    world["nominations"][1].identity.first_inventor_frontline = True
    assert _decide(db, world, 1, Outcome.PASSED, ticked=[1], override_reason="无需说明").override_reason == ""


@pytest.mark.parametrize("outcome, kwargs, message", [
    (Outcome.RETURNED, {"deadline": NEXT_WEEK}, "what the city must correct"),
    (Outcome.RETURNED, {"reasons": "缺附件"}, "date by which"),
    (Outcome.RETURNED, {"reasons": "缺附件", "deadline": TODAY - dt.timedelta(days=1)}, "in the past"),
    (Outcome.REJECTED, {"reasons": "  "}, "reason why the nomination is not accepted"),
])
def test_a_decision_without_its_reasons_is_refused_and_nothing_changes(db, world, outcome, kwargs, message):
    with pytest.raises(FormalReviewError, match=message):
        _decide(db, world, 0, outcome, **kwargs)
    assert db.scalar(select(func.count()).select_from(Decision)) == 0
    assert _events(db) == []


def test_deciding_outside_the_open_stage_is_refused(db):
    edition = make_edition(db)
    category = _achievement(db, edition)
    (nomination,) = _nominations(db, edition, category, 1)
    with pytest.raises(StageError, match="Formal review is not open"):
        service.decide(db, edition=edition, nomination_id=nomination.id, outcome=Outcome.PASSED, by=ORGANIZER)
    skip_stage(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW, reason="各市已把关", by=ORGANIZER)
    with pytest.raises(StageError, match="Formal review is not open"):
        service.decide(db, edition=edition, nomination_id=nomination.id, outcome=Outcome.PASSED, by=ORGANIZER)
    assert db.scalar(select(func.count()).select_from(Decision)) == 0


def test_deciding_a_nomination_of_another_edition_is_not_found(db, world):
    other = make_edition(db, year=2031)
    with pytest.raises(NotFound):
        service.decide(db, edition=other, nomination_id=world["nominations"][0].id, outcome=Outcome.PASSED,
                       by=ORGANIZER)
    assert db.scalar(select(func.count()).select_from(Decision)) == 0


def test_passed_and_rejected_are_final_and_a_returned_one_is_decided_again(db, world):
    _decide(db, world, 0, Outcome.PASSED)
    _decide(db, world, 1, Outcome.REJECTED, reasons="重复申报")
    for index in (0, 1):
        with pytest.raises(Conflict, match="already been decided"):
            _decide(db, world, index, Outcome.RETURNED, reasons="x", deadline=NEXT_WEEK)
    first = _decide(db, world, 2, Outcome.RETURNED, reasons="缺附件", deadline=NEXT_WEEK)
    second = _decide(db, world, 2, Outcome.PASSED)
    assert first.superseded and not second.superseded
    assert service.current_decision(db, nomination_id=world["nominations"][2].id) is second


def test_an_unconfirmed_or_withdrawn_nomination_cannot_be_passed(db, world):
    world["nominations"][0].status = NominationStatus.RECEIVED
    with pytest.raises(Conflict, match="Confirm the nomination's redaction"):
        _decide(db, world, 0, Outcome.PASSED)
    _decide(db, world, 0, Outcome.RETURNED, reasons="名称含单位简称", deadline=NEXT_WEEK)  # still possible
    withdraw(db, edition=world["edition"], nomination_id=world["nominations"][1].id, reason="单位撤回", by=ORGANIZER)
    with pytest.raises(Conflict, match="withdrawn"):
        _decide(db, world, 1, Outcome.PASSED)


# ----------------------------------------------------------------------------------------- stage

def test_the_stage_closes_only_when_every_nomination_has_a_final_decision(db, world):
    category = world["category"]
    _decide(db, world, 0, Outcome.PASSED)
    _decide(db, world, 1, Outcome.RETURNED, reasons="缺附件", deadline=NEXT_WEEK)
    with pytest.raises(StageBlocked) as refused:
        close_stage(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW, by=ORGANIZER)
    assert [b.params for b in refused.value.blockers] == [{"count": 2}, {"count": 1}]
    assert "2 nominations wait for a formal-review decision" in str(refused.value)
    assert "1 returned nominations may still be corrected" in str(refused.value)

    service.current_decision(db, nomination_id=world["nominations"][1].id).deadline = TODAY - dt.timedelta(days=1)
    _decide(db, world, 2, Outcome.REJECTED, reasons="不符合申报条件")
    withdraw(db, edition=world["edition"], nomination_id=world["nominations"][3].id, reason="撤回", by=ORGANIZER)
    with pytest.raises(StageBlocked, match="1 returned nominations are past their deadline"):
        close_stage(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW, by=ORGANIZER)
    _decide(db, world, 1, Outcome.REJECTED, reasons="逾期未补正")
    close_stage(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW, by=ORGANIZER)
    assert status_of(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW) is StageStatus.CLOSED
    with pytest.raises(FormalReviewError, match="over"):
        service.set_checklist(db, edition=world["edition"], category_id=category.id, items=[], by=ORGANIZER)


# ------------------------------------------------------------------------------ correction arrives

ROW = ["十大科技成果", "南京", "变电站智能巡检机器人", "机器人替代人工巡检。", "", "赵磊", "国网南京供电公司", "电力",
       "", "", "", "", "2025-05", "是"]
FACT_HEADER = [*HEADER, "完成时间", "第一完成人是否一线职工"]


def _import(db, edition, rows, tmp_path):
    return service.import_with_corrections(db, edition=edition, table_data=csv_bytes(rows, header=FACT_HEADER),
                                           filename="推荐汇总.csv", store=AttachmentStore(tmp_path), by=ORGANIZER)


def test_a_corrected_row_reimported_comes_back_for_a_new_decision(db, tmp_path):
    edition = make_edition(db)
    today = service.local_today()  # now: a run may cross midnight in Beijing after the module was imported
    category = _achievement(db, edition)
    _import(db, edition, [ROW], tmp_path)
    nomination = db.scalar(select(Nomination).where(Nomination.edition_id == edition.id))
    identity = db.get(NominationIdentity, nomination.id)
    assert (identity.completed_on, identity.first_inventor_frontline) == (dt.date(2025, 5, 1), True)
    confirm(db, edition=edition, nomination_id=nomination.id, by=ORGANIZER, acknowledge=True)
    _open_formal_review(db, category)
    service.decide(db, edition=edition, nomination_id=nomination.id, outcome=Outcome.RETURNED, by=ORGANIZER,
                   reasons="请补充经济效益证明", deadline=today)

    corrected = [*ROW[:3], "机器人替代人工巡检，年节约费用120万元（附财务证明）。", *ROW[4:]]
    record = _import(db, edition, [corrected], tmp_path)
    assert (record.updated, record.errors) == (1, [])
    assert nomination.status is NominationStatus.RECEIVED  # its redaction is reviewed again
    decision = service.current_decision(db, nomination_id=nomination.id)
    assert decision.resubmitted_at is not None
    assert service.state_of(decision, today) == State.RESUBMITTED
    assert [b.message for b in service.formal_review_blockers(db, category)] == [
        "{count} corrected nominations wait for a new decision"]
    assert _events(db, ["nomination.resubmitted"])[0].object_id == str(nomination.id)

    confirm(db, edition=edition, nomination_id=nomination.id, by=ORGANIZER, acknowledge=True)
    service.decide(db, edition=edition, nomination_id=nomination.id, outcome=Outcome.PASSED, by=ORGANIZER)
    close_stage(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW, by=ORGANIZER)


def test_a_correction_after_the_deadline_is_not_applied(db, tmp_path):
    edition = make_edition(db)
    today = service.local_today()  # now: a run may cross midnight in Beijing after the module was imported
    category = _achievement(db, edition)
    _import(db, edition, [ROW], tmp_path)
    nomination = db.scalar(select(Nomination).where(Nomination.edition_id == edition.id))
    confirm(db, edition=edition, nomination_id=nomination.id, by=ORGANIZER, acknowledge=True)
    _open_formal_review(db, category)
    decision = service.decide(db, edition=edition, nomination_id=nomination.id, outcome=Outcome.RETURNED,
                              by=ORGANIZER, reasons="补充证明", deadline=today)
    decision.deadline = today - dt.timedelta(days=1)  # time has passed
    record = _import(db, edition, [[*ROW[:3], "改正后的简介。", *ROW[4:]]], tmp_path)
    assert record.updated == 0 and nomination.status is NominationStatus.CONFIRMED
    assert decision.resubmitted_at is None


def test_an_unparseable_completion_date_is_a_row_error():
    from judging.nominations.rows import parse_nomination_rows
    from judging.tabular import read_table

    bad = [*ROW[:12], "去年五月", "也许"]
    rows, errors = parse_nomination_rows(read_table(csv_bytes([bad], header=FACT_HEADER), "t.csv"),
                                         known_cities=["南京"])
    assert rows == [] and [e.column for e in errors] == ["完成时间", "第一完成人是否一线职工"]


@pytest.mark.parametrize("text, iso", [("2025-06-30", "2025-06-30"), ("2025/6/3", "2025-06-03"),
                                       ("2025.6.30", "2025-06-30"), ("2025年6月30日", "2025-06-30"),
                                       ("2025年6月", "2025-06-01"), ("2025-06", "2025-06-01"),
                                       ("2025-06-30 08:00:00", "2025-06-30"), ("2025-02-30", None),
                                       ("去年", None), ("30/06/2025", None)])
def test_completion_dates_are_read_as_people_write_them(text, iso):
    from judging.nominations.rows import _parse_date

    assert _parse_date(text) == iso


def test_rows_without_the_new_columns_keep_their_digest():
    from judging.nominations.rows import parse_nomination_rows
    from judging.tabular import read_table

    (old,), _ = parse_nomination_rows(read_table(csv_bytes([ROW[:12]]), "t.csv"), known_cities=["南京"])
    (empty,), _ = parse_nomination_rows(read_table(csv_bytes([[*ROW[:12], "", ""]], header=FACT_HEADER), "t.csv"),
                                        known_cities=["南京"])
    (given,), _ = parse_nomination_rows(read_table(csv_bytes([ROW], header=FACT_HEADER), "t.csv"),
                                        known_cities=["南京"])
    assert old.content_digest == empty.content_digest != given.content_digest
    assert (given.completed_on, given.frontline) == ("2025-05-01", True)


# -------------------------------------------------------------------- blinding and assignment

def _pool(db, n: int = 6) -> None:
    db.add_all([Expert(name=f"专家{j:02d}", employer=f"专家单位{j}", city="苏州", fields=["电气工程"], max_load=10)
                for j in range(n)])
    db.flush()


def test_only_passed_nominations_are_blinded_and_assigned_once_formal_review_started(db, world):
    edition, category = world["edition"], world["category"]
    preliminary = db.scalar(select(Round).where(Round.edition_id == edition.id, Round.kind == RoundKind.PRELIMINARY))
    ids = [n.id for n in world["nominations"]]
    _pool(db)
    _decide(db, world, 0, Outcome.PASSED)
    _decide(db, world, 1, Outcome.PASSED)
    _decide(db, world, 2, Outcome.RETURNED, reasons="缺附件", deadline=NEXT_WEEK)
    _decide(db, world, 3, Outcome.REJECTED, reasons="不符合条件")

    assert [n.id for n in eligible_nominations(db, round_=preliminary, category=category)] == ids[:2]
    assert admitted_ids(db, ids) == set(ids[:2])
    plan = preview_plan(db, round_id=preliminary.id, category_id=category.id, by=ORGANIZER,
                        settings=PlanSettings(k=2, max_load=10))
    assert {a for a, _b in plan.pairs} == set(ids[:2])
    commit_plan(db, plan_id=plan.id, by=ORGANIZER)
    assert set(db.scalars(select(Assignment.nomination_id).distinct())) == set(ids[:2])
    assert set(db.scalars(select(BlindCode.nomination_id))) == set(ids[:2])


def test_without_the_pipeline_or_with_formal_review_skipped_every_confirmed_nomination_goes_on(db):
    edition = make_edition(db)
    category = _achievement(db, edition)
    nominations = _nominations(db, edition, category, 3)
    preliminary = db.scalar(select(Round).where(Round.edition_id == edition.id))
    assert status_of(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW) is StageStatus.PENDING
    assert len(eligible_nominations(db, round_=preliminary, category=category)) == 3
    skip_stage(db, category_id=category.id, kind=StageKind.FORMAL_REVIEW, reason="各市已把关", by=ORGANIZER)
    assert len(eligible_nominations(db, round_=preliminary, category=category)) == 3
    assert len(ensure_blind_codes(db, round_id=preliminary.id, nomination_ids=[n.id for n in nominations],
                                  by=ORGANIZER)) == 3


def test_a_plan_previewed_before_formal_review_started_cannot_be_committed_after(db):
    edition = make_edition(db, year=2031)
    category = _achievement(db, edition)
    _nominations(db, edition, category, 3)
    _pool(db)
    preliminary = db.scalar(select(Round).where(Round.edition_id == edition.id))
    plan = preview_plan(db, round_id=preliminary.id, category_id=category.id, by=ORGANIZER,
                        settings=PlanSettings(k=2, max_load=10))
    _open_formal_review(db, category)
    with pytest.raises(Conflict, match="not passed the formal review"):
        commit_plan(db, plan_id=plan.id, by=ORGANIZER)
    assert db.scalar(select(func.count()).select_from(Assignment)) == 0
