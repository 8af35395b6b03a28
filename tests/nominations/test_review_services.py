"""The review's services against the database: the short-name dictionary (seed, office list, past
editions), a place let stay by an audited exception, "confirm all clean" held back by the review's
own detector, and an attachment replaced."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from judging.audit.models import AuditEvent
from judging.errors import JudgingError
from judging.nominations import attachment_review, dictionary, masking, service
from judging.nominations.models import Attachment, Nomination, NominationStatus
from judging.nominations.storage import AttachmentStore
from nominations.test_import_service import ORGANIZER, ROW_METHOD, csv_bytes, make_edition, pdf_bytes, run_import, zip_bytes


def _actions(db) -> list[str]:
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_the_dictionary_is_seeded_kept_by_the_office_and_learned(db):
    past = make_edition(db, year=2029)
    current = make_edition(db, year=2030)
    assert dictionary.seed(db, edition_id=past.id, by=ORGANIZER) > 20
    assert dictionary.seed(db, edition_id=past.id, by=ORGANIZER) == 0  # nothing twice
    added = dictionary.import_lines(db, edition_id=past.id, text="徐州重型机械有限公司，徐重、XCHM\n", by=ORGANIZER)
    assert added == 2
    with pytest.raises(JudgingError):
        dictionary.import_lines(db, edition_id=past.id, text="只有单位没有简称\n", by=ORGANIZER)
    learned = dictionary.learn_from(db, edition_id=current.id, past_edition_ids=[past.id], by=ORGANIZER)
    names = dictionary.short_names_by_employer(db, edition_id=current.id)
    assert learned >= 22 and "徐重" in dictionary.short_names_for(names, "徐州重型机械有限公司")
    assert "南钢" in dictionary.short_names_for(names, "南京钢铁股份有限公司")
    assert _actions(db).count("edition.short_names_added") == 3  # the second seed added nothing


def test_the_dictionary_feeds_redaction_of_every_nomination(db, store):
    edition = make_edition(db)
    dictionary.seed(db, edition_id=edition.id, by=ORGANIZER)
    row = [*ROW_METHOD]
    row[3], row[5], row[6] = "由南钢炼铁厂、徐工起重机合作完成。", "韦卫东", "南京钢铁股份有限公司"
    run_import(db, edition, csv_bytes([row]), store=store)
    nomination = db.scalar(select(Nomination))
    assert "南钢" not in nomination.summary and "徐工" not in nomination.summary


def test_a_place_stays_only_by_an_audited_exception(db, store):
    edition = make_edition(db)
    row = [*ROW_METHOD]
    row[1], row[3] = "南京", "在江宁区试点，推广到南京市。"
    run_import(db, edition, csv_bytes([row]), store=store)
    nomination = db.scalar(select(Nomination))
    assert "江宁区" not in nomination.summary and "南京市" not in nomination.summary
    with pytest.raises(JudgingError):
        masking.allow_place(db, edition_id=edition.id, nomination_id=nomination.id, text="上海", reason="x",
                            by=ORGANIZER)
    with pytest.raises(JudgingError):
        masking.allow_place(db, edition_id=edition.id, nomination_id=nomination.id, text="江宁区", reason=" ",
                            by=ORGANIZER)
    masking.allow_place(db, edition_id=edition.id, nomination_id=nomination.id, text="江宁区",
                        reason="项目以江宁区试点命名", by=ORGANIZER)
    nomination.summary = "在江宁区试点，推广到南京市。"  # the organizer puts the place back in the judged text
    found = service.review(db, edition=edition, nomination_id=nomination.id).leftovers
    assert [f["text"] for f in found] == ["南京市"]
    assert _actions(db)[-1] == "nomination.place_allowed"


def test_confirm_all_clean_leaves_what_the_detector_still_finds(db, store):
    edition = make_edition(db)
    clean, named = [*ROW_METHOD], [*ROW_METHOD]
    named[2], named[3] = "另一种检修操作法", "由韦卫东带领，张晓东工程师参与改进。"  # 张晓东 is in no list
    run_import(db, edition, csv_bytes([clean, named]), store=store)
    assert service.confirm_clean(db, edition=edition, by=ORGANIZER) == 1
    left = db.scalar(select(Nomination).where(Nomination.status == NominationStatus.RECEIVED))
    assert "张晓东" in left.summary
    assert {"kind": "person", "text": "张晓东", "field": "summary"} in service.review(
        db, edition=edition, nomination_id=left.id).detected


def test_replacing_an_attachment_cleans_redacts_and_audits_it(db, store):
    edition = make_edition(db)
    row = [*ROW_METHOD[:-1], "申报书.pdf"]
    run_import(db, edition, csv_bytes([row]), store=store, archive=zip_bytes({"申报书.pdf": b"not a pdf"}))
    attachment = db.scalar(select(Attachment))
    assert attachment.state == "refused"
    nomination_id = attachment.nomination_id
    with pytest.raises(JudgingError):
        attachment_review.replace(db, edition=edition, nomination_id=nomination_id, attachment_id=attachment.id,
                                  data=b"still not a pdf", filename="x.pdf", store=store, by=ORGANIZER, written=[])
    written: list[str] = []
    attachment_review.replace(db, edition=edition, nomination_id=nomination_id, attachment_id=attachment.id,
                              data=pdf_bytes(), filename="申报书.pdf", store=store, by=ORGANIZER, written=written)
    assert attachment.state == "ok" and attachment.stored_name in written and attachment.review_name in written
    assert {"kind": "masked", "what": "patent", "text": "ZL201910123456.7"} in attachment.findings
    assert _actions(db)[-1] == "attachment.replaced"
    service.confirm(db, edition=edition, nomination_id=nomination_id, by=ORGANIZER, acknowledge=True)
    assert db.get(Nomination, nomination_id).status is NominationStatus.CONFIRMED


@pytest.fixture
def store(tmp_path):
    return AttachmentStore(tmp_path / "files")
