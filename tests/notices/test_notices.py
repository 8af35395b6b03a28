"""Public notice (公示), objections (异议) and the committee's approval (审定): every transition and refusal."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from judging.audit.models import AuditEvent
from judging.documents import Document
from judging.errors import Conflict, JudgingError
from judging.nominations.models import NominationIdentity
from judging.notices import service
from judging.notices.models import CommitteeApproval, Notice, Objection, ObjectionStatus
from judging.awards import service as awards
from judging.results import service as results
from judging.awards.models import Publication
from judging.stages.models import Stage, StageKind, StageStatus
from judging.stages.service import StageBlocked, StageError, close_stage, open_stage
from tests.notices.factories import UTC, at_notice_stage
from tests.results.factories import ORGANIZER, make_small_edition

NOW = dt.datetime(2030, 5, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai on 1 May
DURING = NOW + dt.timedelta(days=3)
OBJECTOR = {"name": "赵敏", "employer": "南京港务集团有限公司", "phone": "13951234567",
            "grounds": "该项目的主要完成人并非申报材料所列人员，请核查。"}


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def _actions(db) -> list[str]:
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def _published(db, **kwargs) -> tuple[dict, Notice]:
    world = at_notice_stage(db, **kwargs)
    return world, service.publish_notice(db, category=world["category"], by=ORGANIZER, now=NOW)


def _object(db, notice, place=1, *, now=DURING, **fields):
    return service.file_objection(db, notice_id=notice.id, nomination_id=notice.entries[place - 1].nomination_id,
                                  **{**OBJECTOR, **fields}, client_address="198.51.100.7", now=now)


def test_publishing_copies_the_candidates_in_for_seven_local_days_and_is_audited(db):
    world, notice = _published(db)
    nominations = world["nominations"]
    assert (notice.version, notice.starts_on, notice.ends_on) == (1, dt.date(2030, 5, 1), dt.date(2030, 5, 7))
    assert service.closes_at(notice) == dt.datetime(2030, 5, 7, 16, 0, tzinfo=UTC)  # midnight in Shanghai
    assert awards.candidate_ids(db, world["category"]) == [n.id for n in nominations[:3]]
    assert [(e.place, e.nomination_id, e.title, e.first_completer, e.employer, e.city, e.may_day)
            for e in notice.entries] == [
        (i + 1, nominations[i].id, f"测试成果{i + 1:02d}", nominations[i].identity.inventors[0],
         f"测试单位{i:02d}有限公司", "南京", True) for i in range(3)]
    assert notice.entries[0].completers == nominations[0].identity.inventors
    # A later change to the nomination or its identity does not alter what was on notice.
    db.get(NominationIdentity, nominations[0].id).employer = "改名后的单位"
    nominations[0].title = "改过的标题"
    db.flush()
    db.expire_all()
    entry = db.get(Notice, notice.id).entries[0]
    assert (entry.title, entry.employer) == ("测试成果01", "测试单位00有限公司")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "notice.published")).one()
    assert json.loads(event.body)["data"]["nominations"] == [n.id for n in nominations[:3]]
    # Its PDF is not made in the publishing transaction (a job makes it once this one commits).
    assert _count(db, Document) == 0


def test_publishing_is_refused_outside_the_stage_twice_without_candidates_or_with_a_bad_period(db):
    world = make_small_edition(db, [(n, j, 5) for n in range(3) for j in range(2)])
    with pytest.raises(StageError, match="Public notice is not open"):
        service.publish_notice(db, category=world["category"], by=ORGANIZER, now=NOW)

    world = at_notice_stage(db, year=2031)
    category = world["category"]
    for days, starts_on, message in [(0, None, "between 1 and 30 days"), (31, None, "between 1 and 30 days"),
                                     (7, dt.date(2030, 4, 30), "cannot start in the past")]:
        with pytest.raises(JudgingError, match=message):
            service.publish_notice(db, category=category, by=ORGANIZER, days=days, starts_on=starts_on, now=NOW)
    assert _count(db, Notice) == 0
    approval = results.approval_for(db, round_id=world["round"].id, category_id=category.id)
    db.delete(approval)  # no approved run: nobody to put on notice
    db.flush()
    with pytest.raises(Conflict, match="no candidates"):
        service.publish_notice(db, category=category, by=ORGANIZER, now=NOW)
    assert _count(db, Notice) == 0


def test_a_second_notice_is_refused_and_a_later_start_date_is_kept(db):
    world = at_notice_stage(db)
    notice = service.publish_notice(db, category=world["category"], by=ORGANIZER, days=10,
                                    starts_on=dt.date(2030, 5, 4), now=NOW)
    assert (notice.starts_on, notice.ends_on) == (dt.date(2030, 5, 4), dt.date(2030, 5, 13))
    with pytest.raises(Conflict, match="already on notice"):
        service.publish_notice(db, category=world["category"], by=ORGANIZER, now=NOW)
    with pytest.raises(JudgingError, match="begins on 2030-05-04"):
        _object(db, notice, now=NOW)
    assert _count(db, Notice) == 1 and _count(db, Objection) == 0


def test_an_objection_is_received_with_real_name_employer_phone_and_grounds(db):
    _world, notice = _published(db)
    objection = _object(db, notice, 2)
    assert (objection.status, objection.nomination_id, objection.name, objection.phone) == (
        ObjectionStatus.RECEIVED, notice.entries[1].nomination_id, "赵敏", "13951234567")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "objection.received")).one()
    assert "13951234567" not in event.body.decode()  # the phone stays out of the audit chain
    assert event.actor == "public"


@pytest.mark.parametrize("fields, message", [
    ({"name": "  "}, "real name only"),
    ({"phone": ""}, "anonymous objections are not accepted"),
    ({"employer": ""}, "Give your employer"),
    ({"grounds": " \n "}, "Give the grounds"),
    ({"phone": "abc"}, "phone number is not valid"),
    ({"name": "名" * 51}, "at most 50 characters"),
    ({"grounds": "理" * 5001}, "at most 5000 characters"),
])
def test_incomplete_or_anonymous_objections_are_refused(db, fields, message):
    _world, notice = _published(db)
    with pytest.raises(JudgingError, match=message):
        _object(db, notice, **fields)
    assert _count(db, Objection) == 0


def test_late_objections_and_objections_about_others_are_refused(db):
    world, notice = _published(db)
    last_moment = dt.datetime(2030, 5, 7, 15, 59, tzinfo=UTC)  # 23:59 on the last day, local time
    assert _object(db, notice, now=last_moment).status is ObjectionStatus.RECEIVED
    with pytest.raises(JudgingError, match="ended on 2030-05-07; late objections"):
        _object(db, notice, now=last_moment + dt.timedelta(minutes=1))
    outsider = world["nominations"][4].id  # ranked, but not on the notice
    for nomination_id in (outsider, None):
        with pytest.raises(JudgingError, match="Choose the candidate on this notice"):
            service.file_objection(db, notice_id=notice.id, nomination_id=nomination_id, **OBJECTOR, now=DURING)
    assert _count(db, Objection) == 1


def test_one_address_may_file_only_a_few_objections_an_hour(db):
    _world, notice = _published(db)
    for minute in range(service.MAX_OBJECTIONS_PER_ADDRESS):
        _object(db, notice, now=DURING + dt.timedelta(minutes=minute))
    with pytest.raises(JudgingError, match="Too many objections from this address"):
        _object(db, notice, now=DURING + dt.timedelta(minutes=10))
    service.file_objection(db, notice_id=notice.id, nomination_id=notice.entries[0].nomination_id, **OBJECTOR,
                           client_address="203.0.113.9", now=DURING + dt.timedelta(minutes=10))
    _object(db, notice, now=DURING + dt.timedelta(minutes=61))  # the window has moved on
    assert _count(db, Objection) == service.MAX_OBJECTIONS_PER_ADDRESS + 2


def test_an_objection_moves_only_forward_with_a_written_finding(db):
    _world, notice = _published(db)
    objection = _object(db, notice)
    with pytest.raises(JudgingError, match="under review before deciding"):
        service.decide_objection(db, objection_id=objection.id, upheld=False, finding="不成立", by=ORGANIZER)
    service.start_review(db, objection_id=objection.id, by=ORGANIZER)
    assert objection.status is ObjectionStatus.UNDER_REVIEW
    with pytest.raises(JudgingError, match="already Under review"):
        service.start_review(db, objection_id=objection.id, by=ORGANIZER)
    with pytest.raises(JudgingError, match="Write the finding"):
        service.decide_objection(db, objection_id=objection.id, upheld=False, finding="  ", by=ORGANIZER)
    service.decide_objection(db, objection_id=objection.id, upheld=False,
                             finding="经核查，完成人与申报材料一致，异议不成立。", by=ORGANIZER)
    assert objection.status is ObjectionStatus.REJECTED and objection.decided_at is not None
    for move in (lambda: service.start_review(db, objection_id=objection.id, by=ORGANIZER),
                 lambda: service.decide_objection(db, objection_id=objection.id, upheld=True, finding="改判",
                                                  by=ORGANIZER)):
        with pytest.raises(JudgingError, match="already Rejected; an objection only moves forward"):
            move()
    assert objection.status is ObjectionStatus.REJECTED and objection.finding.startswith("经核查")
    with pytest.raises(JudgingError, match="Only an upheld objection"):
        service.reissue_notice(db, objection_id=objection.id, replacement_id=None, by=ORGANIZER)
    assert [a for a in _actions(db) if a.split(".")[0] in ("notice", "objection")] == [
        "notice.published", "objection.received", "objection.review_started", "objection.decided"]


def _upheld(db, notice, place, now=DURING):
    objection = _object(db, notice, place, now=now)
    service.start_review(db, objection_id=objection.id, by=ORGANIZER)
    return service.decide_objection(db, objection_id=objection.id, upheld=True,
                                    finding="经核查，该项目存在知识产权纠纷，异议成立。", by=ORGANIZER)


def test_an_upheld_objection_that_changes_the_list_makes_a_new_notice_with_a_full_period(db):
    world, notice = _published(db)
    nominations = world["nominations"]
    objection = _upheld(db, notice, 2)
    later = DURING + dt.timedelta(days=1)  # 5 May
    # Only the next in line of the approved run's order may stand in: not one on the list, not one further down.
    for refused in (nominations[0].id, nominations[4].id):
        with pytest.raises(JudgingError, match="next in line"):
            service.reissue_notice(db, objection_id=objection.id, replacement_id=refused, by=ORGANIZER, now=later)
    new = service.reissue_notice(db, objection_id=objection.id, replacement_id=nominations[3].id, by=ORGANIZER,
                                 now=later)
    assert (new.version, new.replaces_id, new.starts_on, new.ends_on) == (
        2, notice.id, dt.date(2030, 5, 5), dt.date(2030, 5, 11))
    assert notice.superseded_at == later and new.current and objection.new_notice_id == new.id
    assert [e.nomination_id for e in new.entries] == [nominations[0].id, nominations[3].id, nominations[2].id]
    assert [e.place for e in new.entries] == [1, 2, 3]
    assert service.current_notice(db, category_id=world["category"].id).id == new.id
    with pytest.raises(Conflict, match="already changed the list"):
        service.reissue_notice(db, objection_id=objection.id, replacement_id=None, by=ORGANIZER, now=later)
    with pytest.raises(JudgingError, match="replaced by a newer version"):
        _object(db, notice, 1, now=later)
    # The second change only removes: the list shrinks, a third version follows.
    second = _upheld(db, new, 3, now=later)
    third = service.reissue_notice(db, objection_id=second.id, replacement_id=None, by=ORGANIZER, now=later)
    assert [e.nomination_id for e in third.entries] == [nominations[0].id, nominations[3].id]
    assert third.replaces_id == new.id and new.superseded_at is not None
    assert [a for a in _actions(db) if a == "notice.published"] == ["notice.published"] * 3


def _close_notice(db, world, notice):
    """Move the notice's period into the past so that the stage may close (the blockers read the clock)."""
    notice.starts_on, notice.ends_on = dt.date(2020, 1, 1), dt.date(2020, 1, 7)
    db.flush()


def test_the_notice_stage_is_blocked_by_no_notice_the_period_and_open_objections(db):
    world = at_notice_stage(db)
    category = world["category"]
    with pytest.raises(StageBlocked, match="no list has been put on notice"):
        close_stage(db, category_id=category.id, kind=StageKind.PUBLIC_NOTICE, by=ORGANIZER)
    notice = service.publish_notice(db, category=category, by=ORGANIZER)
    objection = service.file_objection(db, notice_id=notice.id, nomination_id=notice.entries[0].nomination_id,
                                       **OBJECTOR)
    assert [b.message for b in service.notice_blockers(db, category)] == [
        "the notice period runs until {date}", "{count} objections are open"]
    _close_notice(db, world, notice)
    with pytest.raises(StageBlocked, match="1 objections are open"):
        close_stage(db, category_id=category.id, kind=StageKind.PUBLIC_NOTICE, by=ORGANIZER)
    with pytest.raises(StageError, match="cannot open before Public notice"):
        open_stage(db, category_id=category.id, kind=StageKind.APPROVAL, by=ORGANIZER)
    service.start_review(db, objection_id=objection.id, by=ORGANIZER)
    assert [b.message for b in service.notice_blockers(db, category)] == ["{count} objections are open"]
    service.decide_objection(db, objection_id=objection.id, upheld=False, finding="异议不成立。", by=ORGANIZER)
    assert service.notice_blockers(db, category) == []
    close_stage(db, category_id=category.id, kind=StageKind.PUBLIC_NOTICE, by=ORGANIZER)
    open_stage(db, category_id=category.id, kind=StageKind.APPROVAL, by=ORGANIZER)
    assert [b.message for b in service.approval_blockers(db, category)] == [
        "the committee's approval has not been recorded"]


def _to_approval(db, world, notice):
    _close_notice(db, world, notice)
    close_stage(db, category_id=world["category"].id, kind=StageKind.PUBLIC_NOTICE, by=ORGANIZER)
    open_stage(db, category_id=world["category"].id, kind=StageKind.APPROVAL, by=ORGANIZER)


def test_publishing_results_before_the_committees_approval_is_refused_once_the_category_uses_the_pipeline(db):
    world, _notice = _published(db)
    with pytest.raises(JudgingError, match=r"needs the committee's approval \(Final approval\); this category is "
                                           r"in Public notice"):
        awards.publish(db, category=world["category"], by=ORGANIZER)
    assert _count(db, Publication) == 0


def test_the_approval_keeps_the_list_as_last_on_notice_which_alone_is_published_and_read_only(db):
    world, notice = _published(db)
    category, nominations = world["category"], world["nominations"]
    with pytest.raises(StageError, match="Final approval is not open"):
        service.record_approval(db, category=category, approved_on=dt.date(2030, 5, 9), reference="苏工〔2030〕5号",
                                by=ORGANIZER)
    objection = _upheld(db, notice, 1)
    new = service.reissue_notice(db, objection_id=objection.id, replacement_id=nominations[3].id, by=ORGANIZER,
                                 now=DURING)
    _to_approval(db, world, new)
    today = service.local_date(service.utcnow())
    for approved_on, reference, message in [(today, " ", "Give the reference"),
                                            (dt.date(2020, 1, 7), "苏工〔2030〕5号", "after the notice period"),
                                            (today + dt.timedelta(days=1), "苏工〔2030〕5号", "not in the future")]:
        with pytest.raises(JudgingError, match=message):
            service.record_approval(db, category=category, approved_on=approved_on, reference=reference,
                                    by=ORGANIZER)
    assert _count(db, CommitteeApproval) == 0 and _count(db, Publication) == 0

    approval = service.record_approval(db, category=category, approved_on=today, reference="苏工〔2030〕5号",
                                       by=ORGANIZER)
    assert approval.notice_id == new.id
    # Approval (审定) and publication are two acts: nothing is public until the organizer publishes.
    assert _count(db, Publication) == 0
    assert [(w.place, w.nomination_id, w.title) for w in awards.approved_list(db, category_id=category.id)] == [
        (e.place, e.nomination_id, e.title) for e in new.entries]
    awards.publish(db, category=category, by=ORGANIZER)
    published = db.scalars(select(Publication).order_by(Publication.place)).all()
    assert [(p.place, p.nomination_id, p.title) for p in published] == [
        (e.place, e.nomination_id, e.title) for e in new.entries]
    assert nominations[3].id in {p.nomination_id for p in published}
    assert nominations[0].id not in {p.nomination_id for p in published}  # removed after the objection
    assert _actions(db)[-2:] == ["category.approval_recorded", "result_run.published"]

    # Read-only from now on: every way to change the lists is refused and nothing changes.
    run = results.create_run(db, round_id=world["round"].id, category_id=category.id, method="trimmed", reps=20,
                             by=ORGANIZER)
    refusals = [
        (lambda: service.record_approval(db, category=category, approved_on=today, reference="再次", by=ORGANIZER),
         "already recorded"),
        (lambda: awards.publish(db, category=category, by=ORGANIZER), "already published"),
        (lambda: results.approve_run(db, run=run, by=ORGANIZER), "already approved"),
        (lambda: service.reissue_notice(db, objection_id=objection.id, replacement_id=None, by=ORGANIZER),
         "already changed the list"),
        (lambda: service.publish_notice(db, category=category, by=ORGANIZER), "Public notice is not open"),
    ]
    for attempt, message in refusals:
        with pytest.raises(JudgingError, match=message):
            attempt()
    assert _count(db, Publication) == 3 and _count(db, Notice) == 2


def test_no_new_approved_run_or_named_method_after_the_committees_approval(db):
    from judging.editions.models import CategoryKey, Round, RoundKind

    world = at_notice_stage(db, top_n=2)
    category = world["category"]
    category.key = CategoryKey.OPERATING_METHOD
    notice = service.publish_notice(db, category=category, by=ORGANIZER, now=NOW)
    _to_approval(db, world, notice)
    service.record_approval(db, category=category, approved_on=service.local_date(service.utcnow()),
                            reference="苏工〔2030〕6号", by=ORGANIZER)
    with pytest.raises(Conflict, match="can no longer change"):
        awards.name_method(db, nomination_id=notice.entries[0].nomination_id, by=ORGANIZER)
    final = db.scalar(select(Round).where(Round.edition_id == world["edition"].id, Round.kind == RoundKind.FINAL))
    run = results.create_run(db, round_id=world["round"].id, category_id=category.id, method="mean", reps=20,
                             by=ORGANIZER)
    run.round_id = final.id  # a run of the final round would become the award run
    db.flush()
    with pytest.raises(Conflict, match="no other run can be approved"):
        results.approve_run(db, run=run, by=ORGANIZER)
    assert results.award_run(db, category=category).round_id == world["round"].id


def test_the_approval_itself_refuses_an_unfinished_period_or_open_objections(db):
    """The stage order already prevents both; the approval checks them again in case stages are forced."""
    world, notice = _published(db)
    category = world["category"]
    _object(db, notice)
    rows = {row.kind: row for row in db.scalars(select(Stage).where(Stage.category_id == category.id))}
    rows[StageKind.PUBLIC_NOTICE].status = StageStatus.CLOSED
    db.add(Stage(edition_id=category.edition_id, category_id=category.id, kind=StageKind.APPROVAL,
                 status=StageStatus.OPEN, note=""))
    db.flush()
    notice.ends_on = service.local_date(service.utcnow())
    db.flush()
    with pytest.raises(Conflict, match="runs until"):
        service.record_approval(db, category=category, approved_on=notice.ends_on, reference="x", by=ORGANIZER)
    _close_notice(db, world, notice)
    with pytest.raises(Conflict, match="1 objections are still open"):
        service.record_approval(db, category=category, approved_on=dt.date(2020, 2, 1), reference="x", by=ORGANIZER)
    assert _count(db, CommitteeApproval) == 0
