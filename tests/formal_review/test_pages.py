"""The formal-review pages through the app: checklist form, decisions and their refusals, what auditors
see, the return notices, and that ids of another edition answer 404."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from helpers import csrf_token, login
from judging.demo import DEMO_PASSWORDS
from judging.editions.models import CategoryKey, Edition
from judging.formal_review import service
from judging.formal_review.models import Decision, Outcome
from judging.nominations.models import Nomination
from tests.formal_review.test_service import _achievement, _nominations, _open_formal_review
from tests.nominations.test_import_service import ORGANIZER, make_edition


@pytest.fixture
def review(demo, session_factory) -> dict:
    """A newer edition than the demo's (so it is the current one) with formal review open for 成果."""
    with session_factory() as session:
        edition = make_edition(session, year=2031)
        category = _achievement(session, edition)
        nominations = _nominations(session, edition, category, 3, city="无锡")
        _open_formal_review(session, category)
        methods = next(c for c in edition.categories if c.key is CategoryKey.OPERATING_METHOD)
        (waiting,) = _nominations(session, edition, methods, 1)  # its category's formal review has not begun
        session.commit()
        demo_nomination = session.scalar(select(Nomination.id).where(Nomination.edition_id != edition.id).limit(1))
        return {"edition_id": edition.id, "category_id": category.id, "ids": [n.id for n in nominations], "waiting": waiting.id,
                "demo_nomination": demo_nomination}


def _post(client, path: str, data: dict):
    return client.post(path, data={**data, "_csrf_token": csrf_token(client, "/organizer/formal-review/")},
                       follow_redirects=False)


def _decisions(session_factory, review) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(Decision)
                              .where(Decision.edition_id == review["edition_id"]))


def test_the_organizer_sets_the_checklist_and_a_bad_item_changes_nothing(client, review, session_factory):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    path = f"/organizer/formal-review/categories/{review['category_id']}"
    response = _post(client, path, {"attachments_on": "1", "attachments_min": "2", "attachments_kinds": ["pdf", "docx"],
                                    "frontline_on": "1", "manual": "推荐表加盖公章\n\n材料真实完整"})
    assert response.status_code in (302, 303)
    with session_factory() as session:
        items = service.checklist_items(session, category_id=review["category_id"])
    assert items == [{"kind": "attachments", "min_count": 2, "kinds": ["docx", "pdf"]}, {"kind": "frontline"},
                     {"kind": "manual", "label": "推荐表加盖公章"}, {"kind": "manual", "label": "材料真实完整"}]
    page = client.get(path)
    assert 'name="frontline_on" value="1" checked' in page.text and "材料真实完整" in page.text
    review_page = client.get(f"/organizer/formal-review/nominations/{review['ids'][0]}").text
    assert "至少2个附件 · 类型为 DOCX, PDF" in review_page and "0个附件; 缺少: DOCX, PDF" in review_page
    assert "第一完成人为一线职工" in review_page and "未提供" in review_page
    assert review_page.count('name="tick"') == 2

    refused = _post(client, path, {"window_on": "1", "window_start": "2024-01-01", "window_end": ""})
    assert refused.status_code == 400
    assert "第1项：请填写完成时间的截止日期" in refused.text
    with session_factory() as session:
        assert service.checklist_items(session, category_id=review["category_id"]) == items


def test_the_organizer_passes_returns_and_rejects(client, review, session_factory):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    first, second, third = (f"/organizer/formal-review/nominations/{i}" for i in review["ids"])
    page = client.get(first)
    assert page.status_code == 200 and 'id="decision-form"' in page.text and "待审查" in page.text
    assert _post(client, first, {"outcome": "passed"}).status_code in (302, 303)
    deadline = (service.local_today() + dt.timedelta(days=5)).isoformat()
    assert _post(client, second, {"outcome": "returned", "reasons": "=请补充财务证明", "deadline": deadline}
                 ).status_code in (302, 303)
    assert _post(client, third, {"outcome": "rejected", "reasons": "不属于本类别"}).status_code in (302, 303)
    assert "退回补正" in client.get(second).text and "请补充财务证明" in client.get(second).text

    listing = client.get(f"/organizer/formal-review/?category={review['category_id']}&state=awaiting")
    assert f"/organizer/formal-review/nominations/{review['ids'][1]}" in listing.text
    assert f"/organizer/formal-review/nominations/{review['ids'][0]}" not in listing.text
    notices = client.get("/organizer/formal-review/returned.csv")
    assert notices.headers["content-type"].startswith("text/csv")
    lines = notices.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and "无锡" in lines[1] and ",'=请补充财务证明," in lines[1] and deadline in lines[1]

    stages = client.get(f"/organizer/editions/{review['edition_id']}/stages")
    assert "1项退回的申报仍在补正期限内" in stages.text


@pytest.mark.parametrize("data, message", [
    ({"outcome": "returned", "reasons": "缺附件", "deadline": "2020-01-01"}, "补正截止日期2020-01-01已过"),
    ({"outcome": "returned", "reasons": "", "deadline": "2099-01-01"}, "请写明推荐城市需要补正的内容"),
    ({"outcome": "returned", "reasons": "缺附件", "deadline": "明天"}, "补正截止日期须为日期"),
    ({"outcome": "rejected", "reasons": ""}, "请填写不予受理的理由"),
    ({"outcome": "maybe"}, "请选择通过、退回补正或不予受理"),
])
def test_a_refused_decision_is_shown_and_changes_nothing(client, review, session_factory, data, message):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    response = _post(client, f"/organizer/formal-review/nominations/{review['ids'][0]}", data)
    assert response.status_code == 400 and message in response.text
    assert _decisions(session_factory, review) == 0


def test_deciding_before_the_categorys_formal_review_opens_is_refused(client, review, session_factory):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    path = f"/organizer/formal-review/nominations/{review['waiting']}"
    assert 'id="decision-form"' not in client.get(path).text
    response = _post(client, path, {"outcome": "passed"})
    assert response.status_code == 400 and "本类别的形式审查尚未开始或已经结束。" in response.text
    assert _decisions(session_factory, review) == 0


def test_a_nomination_of_another_edition_answers_404(client, review, session_factory):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    path = f"/organizer/formal-review/nominations/{review['demo_nomination']}"
    assert client.get(path).status_code == 404
    assert _post(client, path, {"outcome": "passed"}).status_code == 404
    assert _decisions(session_factory, review) == 0


def test_the_auditor_reads_but_cannot_decide(client, review, session_factory):
    with session_factory() as session:
        edition = session.get(Edition, review["edition_id"])
        service.decide(session, edition=edition, nomination_id=review["ids"][0], outcome=Outcome.RETURNED,
                       by=ORGANIZER, reasons="缺少证明材料", deadline=service.local_today())
        session.commit()
    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    page = client.get(f"/organizer/formal-review/nominations/{review['ids'][0]}")
    assert page.status_code == 200 and "缺少证明材料" in page.text and 'id="decision-form"' not in page.text
    checklist = client.get(f"/organizer/formal-review/categories/{review['category_id']}")
    assert checklist.status_code == 200 and 'id="checklist-form"' not in checklist.text
    token = csrf_token(client, "/organizer/formal-review/")
    response = client.post(f"/organizer/formal-review/nominations/{review['ids'][1]}",
                           data={"outcome": "passed", "_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 404
    assert _decisions(session_factory, review) == 1
