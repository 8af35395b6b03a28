"""A city's online nominations through the services: drafts, submission within the quota and refused beyond it
or past the deadline (nothing stored), a bad file or a missing field named, withdrawal, and a return corrected
and resubmitted with its versions kept. What a city submits is redacted like an imported nomination."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from judging.audit.models import AuditEvent
from judging.cities import service
from judging.cities.forms import EntryInvalid
from judging.cities.models import CityEntry, CityVersion, EntryStatus
from judging.formal_review import service as formal_review
from judging.formal_review.models import Outcome
from judging.nominations import service as intake
from judging.nominations.models import (
    Attachment, Nomination, NominationIdentity, NominationOriginal, NominationStatus,
)
from judging.nominations.storage import AttachmentStore
from judging.notifications.models import Notification
from judging.stages.models import StageKind
from judging.stages.service import close_stage, open_stage
from tests.cities.factories import make_world, pdf_bytes, steel_form
from tests.nominations.test_import_service import ORGANIZER


@pytest.fixture
def world(db, tmp_path):
    made = make_world(db)
    db.commit()
    return {**made, "store": AttachmentStore(tmp_path / "var")}


def _draft(db, world, n: int = 0, *, user=None, files=(("申报书.pdf", None),)):
    entry, _ = service.save_draft(db, edition=world["edition"], user=user or world["nanjing"], values=steel_form(n),
                                  store=world["store"], written=[], category_id=world["category"].id,
                                  uploads=[(name, data or pdf_bytes()) for name, data in files])
    return entry


def _submit(db, world, entry, **kw):
    return service.submit(db, edition=world["edition"], user=world["nanjing"], entry_id=entry.id,
                          store=world["store"], written=[], **kw)


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_a_city_submits_within_its_quota_and_the_nomination_is_redacted_like_an_import(db, world):
    entry = _draft(db, world)
    assert entry.status is EntryStatus.DRAFT and _count(db, Nomination) == 0
    _submit(db, world, entry)
    db.commit()
    nomination = db.get(Nomination, entry.nomination_id)
    identity = db.get(NominationIdentity, nomination.id)
    original = db.get(NominationOriginal, nomination.id)
    assert identity.city == "南京" and identity.inventors == ["王建国", "李秀英"] and identity.first_inventor_frontline
    assert identity.completed_on == dt.date(2025, 6, 30) and identity.team == [["张伟", "工艺设计"]]
    assert nomination.status is NominationStatus.RECEIVED and original.import_id is not None
    # the judged text is redacted as an import's: names, employer, its short name and the phone masked
    for name in ("王建国", "南京钢铁", "南钢", "13912345678"):
        assert name not in nomination.summary + nomination.body, name
    assert "王建国" in original.summary
    (attachment,) = db.scalars(select(Attachment).where(Attachment.nomination_id == nomination.id))
    assert attachment.original_name == "申报书.pdf" and attachment.state == "ok"
    assert [v.number for v in db.scalars(select(CityVersion))] == [1]
    actions = list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert actions[-3:] == ["city_entry.saved", "nomination_import.completed", "city_entry.submitted"]
    lines = {line.category.id: line for line in service.quota_lines(db, edition=world["edition"], city="南京")}
    assert (lines[world["category"].id].quota, lines[world["category"].id].submitted) == (3, 1)


def test_beyond_the_quota_is_refused_with_the_figures_and_nothing_is_stored(db, world):
    for n in range(3):
        _submit(db, world, _draft(db, world, n))
    db.commit()
    fourth = _draft(db, world, 3)
    db.commit()
    before = (_count(db, Nomination), _count(db, AuditEvent), _count(db, Attachment))
    with pytest.raises(service.CityError) as refused:
        _submit(db, world, fourth)
    db.rollback()
    assert "quota 3, already submitted 3" in str(refused.value)
    assert (_count(db, Nomination), _count(db, AuditEvent), _count(db, Attachment)) == before
    assert db.get(CityEntry, fourth.id).status is EntryStatus.DRAFT


def test_past_the_deadline_nothing_can_be_submitted_or_withdrawn(db, world):
    entry = _draft(db, world)
    db.commit()
    after = dt.date.today() + dt.timedelta(days=40)  # the deadline is in 30 days
    with pytest.raises(service.CityError) as refused:
        _submit(db, world, entry, today=after)
    db.rollback()
    assert "deadline" in str(refused.value) and _count(db, Nomination) == 0
    _submit(db, world, entry)
    db.commit()
    with pytest.raises(service.CityError):
        service.withdraw(db, edition=world["edition"], user=world["nanjing"], entry_id=entry.id, reason="撤回",
                         today=after)
    db.rollback()
    assert db.get(Nomination, entry.nomination_id).status is NominationStatus.RECEIVED


def test_a_missing_field_and_a_wrong_file_are_named_and_the_draft_stays_as_it_was(db, world):
    entry = _draft(db, world)
    db.commit()
    with pytest.raises(EntryInvalid) as wrong:
        service.save_draft(db, edition=world["edition"], user=world["nanjing"], values=steel_form(), entry_id=entry.id,
                           store=world["store"], written=[], uploads=[("宏.docm", b"MZ\x90\x00 not a document")])
    db.rollback()
    assert list(wrong.value.problems) == ["attachments"] and "宏.docm" in wrong.value.problems["attachments"]
    assert len(db.get(CityEntry, entry.id).files) == 1
    with pytest.raises(EntryInvalid) as too_big:
        service.save_draft(db, edition=world["edition"], user=world["nanjing"], values=steel_form(), entry_id=entry.id,
                           store=world["store"], written=[], uploads=[("大.pdf", pdf_bytes() + b"\0" * (21 << 20))])
    db.rollback()
    assert "20 MB" in too_big.value.problems["attachments"]
    values = {**steel_form(), "inventors": "", "phone": "12"}
    service.save_draft(db, edition=world["edition"], user=world["nanjing"], values=values, entry_id=entry.id,
                       store=world["store"], written=[])
    db.commit()  # a draft may be incomplete
    with pytest.raises(EntryInvalid) as missing:
        _submit(db, world, entry)
    db.rollback()
    assert {"inventors", "phone"} <= set(missing.value.problems) and _count(db, Nomination) == 0


def test_another_citys_entry_is_not_there(db, world):
    entry = _draft(db, world)
    db.commit()
    with pytest.raises(service.NotFound):
        service.get_entry(db, edition=world["edition"], user=world["suzhou"], entry_id=entry.id)
    with pytest.raises(service.NotFound):
        service.submit(db, edition=world["edition"], user=world["suzhou"], entry_id=entry.id, store=world["store"],
                       written=[])


def test_a_city_withdraws_before_the_deadline(db, world):
    entry = _submit(db, world, _draft(db, world))
    db.commit()
    with pytest.raises(service.JudgingError):
        service.withdraw(db, edition=world["edition"], user=world["nanjing"], entry_id=entry.id, reason="")
    db.rollback()
    service.withdraw(db, edition=world["edition"], user=world["nanjing"], entry_id=entry.id, reason="材料有误，撤回")
    db.commit()
    assert db.get(Nomination, entry.nomination_id).status is NominationStatus.WITHDRAWN
    assert db.get(CityEntry, entry.id).status is EntryStatus.WITHDRAWN
    line = next(q for q in service.quota_lines(db, edition=world["edition"], city="南京")
                if q.category.id == world["category"].id)
    assert line.submitted == 0


def _to_formal_review(db, world, nomination_id):
    intake.confirm(db, edition=world["edition"], nomination_id=nomination_id, by=ORGANIZER, acknowledge=True)
    close_stage(db, category_id=world["category"].id, kind=StageKind.NOMINATION, by=ORGANIZER)
    open_stage(db, category_id=world["category"].id, kind=StageKind.FORMAL_REVIEW, by=ORGANIZER)


def test_a_return_reaches_the_city_which_corrects_and_resubmits_with_its_versions_kept(db, world):
    entry = _submit(db, world, _draft(db, world))
    _to_formal_review(db, world, entry.nomination_id)
    deadline = formal_review.local_today() + dt.timedelta(days=5)
    formal_review.decide(db, edition=world["edition"], nomination_id=entry.nomination_id, outcome=Outcome.RETURNED,
                         by=ORGANIZER, reasons="请补充第一完成人岗位证明", deadline=deadline)
    db.commit()
    message = db.scalar(select(Notification).where(Notification.user_id == world["nanjing"].id))
    assert message is not None and "请补充第一完成人岗位证明" in message.body and message.link_path == "/city/"
    assert db.scalar(select(Notification).where(Notification.user_id == world["suzhou"].id)) is None
    (view,) = [v for v in service.city_entries(db, edition=world["edition"], city="南京")]
    assert view.correctable and view.decision.reasons == "请补充第一完成人岗位证明" and view.decision.deadline == deadline

    corrected = {**steel_form(), "body": steel_form()["body"] + "三、岗位证明：王建国为高炉班组长。"}
    service.save_draft(db, edition=world["edition"], user=world["nanjing"], values=corrected, entry_id=entry.id,
                       store=world["store"], written=[], uploads=[("岗位证明.pdf", pdf_bytes(b"post proof"))])
    service.resubmit(db, edition=world["edition"], user=world["nanjing"], entry_id=entry.id, store=world["store"],
                     written=[])
    db.commit()
    nomination = db.get(Nomination, entry.nomination_id)
    assert nomination.status is NominationStatus.RECEIVED and "班组长" in nomination.body
    assert "王建国" not in nomination.body
    assert len(nomination.attachments) == 2
    assert formal_review.state_of(formal_review.current_decision(db, nomination_id=nomination.id),
                                  formal_review.local_today()) == formal_review.State.RESUBMITTED
    view = service.entry_view(db, db.get(CityEntry, entry.id))
    assert [v.number for v in view.versions] == [2, 1]
    assert "班组长" in view.versions[0].fields["body"] and "班组长" not in view.versions[1].fields["body"]
    assert [f["name"] for f in view.versions[0].files] == ["申报书.pdf", "岗位证明.pdf"]
    # once resubmitted it waits for the office: no second correction
    with pytest.raises(service.CityError):
        service.resubmit(db, edition=world["edition"], user=world["nanjing"], entry_id=entry.id,
                         store=world["store"], written=[])


def test_a_rejection_shows_its_reason_to_the_city(db, world):
    entry = _submit(db, world, _draft(db, world))
    _to_formal_review(db, world, entry.nomination_id)
    formal_review.decide(db, edition=world["edition"], nomination_id=entry.nomination_id, outcome=Outcome.REJECTED,
                         by=ORGANIZER, reasons="与往届获奖项目重复")
    db.commit()
    view = service.entry_view(db, db.get(CityEntry, entry.id))
    assert view.state == formal_review.State.REJECTED and view.decision.reasons == "与往届获奖项目重复"
    # a rejected nomination no longer counts against the quota
    line = next(q for q in service.quota_lines(db, edition=world["edition"], city="南京")
                if q.category.id == world["category"].id)
    assert line.submitted == 0
