"""Conflicts of interest: automatic (employer, group, city), entered by the organizer, declared by a judge."""

from __future__ import annotations

from sqlalchemy import select

from judging import audit
from judging.audit.models import AuditEvent
from judging.editions.models import Category, CategoryKey, Edition, Round, RoundKind, RoundStatus
from judging.nominations.models import Nomination, NominationIdentity, NominationStatus
from judging.panels import conflicts
from judging.panels.models import Assignment, Conflict, ConflictSource, Expert

ORGANIZER = audit.Actor(None, "organizer")


def _edition(s, *, same_city=False):
    edition = Edition(year=2031, name="测试", settings={"conflict_same_city": same_city})
    category = Category(edition=edition, key=CategoryKey.ACHIEVEMENT, name="十大科技成果", top_n=10)
    round_ = Round(edition=edition, kind=RoundKind.PRELIMINARY, name="初评", status=RoundStatus.OPEN)
    s.add_all([edition, category, round_])
    s.flush()
    return edition, category, round_


def _nomination(s, edition, category, *, employer, city="南京", industry="钢铁冶金", title="高炉布料优化"):
    n = Nomination(edition_id=edition.id, category_id=category.id, title=title, status=NominationStatus.CONFIRMED)
    n.identity = NominationIdentity(inventors=["王建国"], employer=employer, city=city, industry=industry)
    s.add(n)
    s.flush()
    return n


def _expert(s, name, employer, city="苏州", fields=("冶金工程",)):
    e = Expert(name=name, employer=employer, city=city, fields=list(fields), max_load=10)
    s.add(e)
    s.flush()
    return e


def test_same_employer_is_found_across_suffixes_and_full_width_letters(db):
    edition, category, _ = _edition(db)
    n = _nomination(db, edition, category, employer="南京钢铁股份有限公司")
    same = _expert(db, "李志强", "南京钢铁有限公司")
    width = _expert(db, "张伟", "ＡＢＣ科技有限公司")
    other = _expert(db, "陈静", "无锡供电公司")
    n2 = _nomination(db, edition, category, employer="ABC科技股份有限公司")
    found = conflicts.conflict_set(db, nominations=[(n.id, "南京钢铁股份有限公司", "南京"),
                                                    (n2.id, "ABC科技股份有限公司", "南京")],
                                   experts=[same, width, other], same_city=False)
    assert found.reasons == {(0, 0): ["same_employer"], (1, 1): ["same_employer"]}
    assert not found.has(0, 2)


def test_group_membership_makes_subsidiaries_conflict(db):
    edition, category, _ = _edition(db)
    n = _nomination(db, edition, category, employer="徐工集团工程机械股份有限公司")
    sister = _expert(db, "刘洋", "徐州重型机械有限公司")
    assert conflicts.pair_reasons(db, nomination_id=n.id, expert=sister, same_city=False) == []
    conflicts.save_group(db, name="徐工集团", employers=["徐工集团工程机械股份有限公司", "徐州重型机械有限公司"],
                         by=ORGANIZER)
    assert conflicts.pair_reasons(db, nomination_id=n.id, expert=sister, same_city=False) == ["same_group"]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "employer_group.saved"))
    assert event is not None


def test_same_city_counts_only_when_the_rule_says_so(db):
    edition, category, round_ = _edition(db, same_city={"preliminary": True, "final": False})
    n = _nomination(db, edition, category, employer="常州某某机械有限公司", city="常州市")
    local = _expert(db, "周杰", "江苏理工学院", city="常州")
    assert conflicts.same_city_rule(edition, round_) is True
    assert conflicts.pair_reasons(db, nomination_id=n.id, expert=local, same_city=True) == ["same_city"]
    assert conflicts.pair_reasons(db, nomination_id=n.id, expert=local, same_city=False) == []


def test_organizer_conflict_is_recorded_audited_and_withdraws_the_pair(db):
    edition, category, round_ = _edition(db)
    n = _nomination(db, edition, category, employer="南通港务集团有限公司")
    e = _expert(db, "黄芳", "东南大学")
    a = Assignment(round_id=round_.id, nomination_id=n.id, expert_id=e.id)
    db.add(a)
    db.flush()
    c = conflicts.add_conflict(db, expert_id=e.id, nomination_id=n.id, reason="曾为该项目提供咨询", by=ORGANIZER)
    assert c.source is ConflictSource.ORGANIZER
    db.refresh(a)
    assert a.withdrawn_at is not None
    assert conflicts.pair_reasons(db, nomination_id=n.id, expert=e, same_city=False) == ["organizer"]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "conflict.entered"))
    assert event.object_id == str(c.id)


def test_organizer_conflict_needs_a_reason(db):
    import pytest

    from judging.errors import JudgingError

    edition, category, _ = _edition(db)
    n = _nomination(db, edition, category, employer="甲公司")
    e = _expert(db, "黄芳", "乙公司")
    with pytest.raises(JudgingError):
        conflicts.add_conflict(db, expert_id=e.id, nomination_id=n.id, reason="  ", by=ORGANIZER)
    assert db.scalar(select(Conflict)) is None


def test_conflict_and_group_forms_record_and_show_them(client, demo, session_factory):
    from helpers import csrf_token, login

    login(client, "organizer", "demo-Office-2026")
    with session_factory() as s:
        edition = s.scalar(select(Edition).where(Edition.year == 2026))  # the demo's 2025 edition is over
        assignment = s.scalar(select(Assignment).join(Round, Round.id == Assignment.round_id)
                              .where(Assignment.withdrawn_at.is_(None), Round.edition_id == edition.id)
                              .order_by(Assignment.id.desc()))
        eid, nid = assignment.expert_id, assignment.nomination_id
    token = csrf_token(client, "/organizer/panels/conflicts")
    missing = client.post("/organizer/panels/conflicts", data={"_csrf_token": token, "expert_id": str(eid),
                                                               "nomination_id": str(nid), "reason": ""})
    assert missing.status_code == 400 and 'id="conflict-error"' in missing.text
    done = client.post("/organizer/panels/conflicts", data={"_csrf_token": token, "expert_id": str(eid),
                                                            "nomination_id": str(nid), "reason": "近亲属参与该项目"},
                       follow_redirects=True)
    assert done.status_code == 200 and "近亲属参与该项目" in done.text and "组织者录入" in done.text
    group = client.post("/organizer/panels/groups", data={"_csrf_token": token, "name": "江苏沙钢集团",
                                                          "employers": "江苏沙钢集团有限公司\n张家港宏昌钢板有限公司"},
                        follow_redirects=True)
    assert "张家港宏昌钢板有限公司" in group.text
    with session_factory() as s:
        assert s.get(Assignment, assignment.id).withdrawn_at is not None
        assert s.scalar(select(Conflict).where(Conflict.expert_id == eid, Conflict.nomination_id == nid)).source \
            is ConflictSource.ORGANIZER


def test_why_page_explains_the_score(client, demo, session_factory):
    from helpers import login

    login(client, "organizer", "demo-Office-2026")
    with session_factory() as s:
        assignment = s.scalar(select(Assignment).order_by(Assignment.id))
        nomination = s.get(Nomination, assignment.nomination_id)
        path = (f"/organizer/panels/rounds/{assignment.round_id}/categories/{nomination.category_id}/why"
                f"?nomination_id={nomination.id}&expert_id={assignment.expert_id}")
    page = client.get(path)
    assert page.status_code == 200
    assert 'id="explanation"' in page.text and "专业领域与行业" in page.text and "匹配度" in page.text
    assert client.get(path.replace(f"expert_id={assignment.expert_id}", "expert_id=999999")).status_code == 404
