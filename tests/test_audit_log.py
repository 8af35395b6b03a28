"""The auditor's log as an auditor reads it: words instead of codes, Beijing time, a change as before → after,
filters, keyset pages that neither skip nor repeat, a link to each object, and the XLSX export."""

from __future__ import annotations

import datetime as dt
import io
import re

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openpyxl import load_workbook
from sqlalchemy import func, select

from helpers import login
from judging import audit
from judging.audit.models import AuditEvent
from judging.demo import DEMO_PASSWORDS

SEQ = re.compile(r'<td class="num" data-label="#">(\d+)</td>')


def _auditor(client):
    login(client, "auditor", DEMO_PASSWORDS["auditor"])


def _append(session_factory, **fields):
    with session_factory() as session:
        event = audit.append(session, **fields)
        session.commit()
        return event.seq


def test_actions_objects_and_times_are_in_words_and_beijing_time(client, demo, session_factory):
    at = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)  # 07:30 the next morning in Beijing
    _append(session_factory, actor=audit.Actor(None, "demo"), action="category.rubric_updated",
            object_type="category", object_id=1, at=at,
            data={"before": {"weight": "30", "name": "创新性"}, "after": {"weight": "40", "name": "创新性"}})
    _auditor(client)
    page = client.get("/auditor").text
    assert "2026-12-01 07:30:00" in page and "2026-11-30 23:30" not in page
    assert ">修改评分细则</span>" in page and "category.rubric_updated<" not in page
    assert '<del>30</del> → <ins>40</ins>' in page  # only the field that changed, as before → after
    assert "before=" not in page and "{'" not in page  # no key=value dump, no Python dict
    assert 'href="/organizer/formal-review/categories/1"' in page


def test_filters_narrow_by_actor_action_object_date_and_text(client, demo, session_factory):
    _append(session_factory, actor=audit.Actor(None, "public"), action="objection.received", object_type="objection",
            object_id=99, data={"name": "欧阳修远", "grounds_sha256": "ab" * 32},
            at=dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    _auditor(client)

    def seqs(**params) -> list[int]:
        return [int(s) for s in SEQ.findall(client.get("/auditor", params=params).text)]

    with session_factory() as session:
        created = session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "user.created"))
    assert len(seqs(action="user.created")) == min(created, 50)
    assert len(seqs(q="欧阳修远")) == 1
    assert len(seqs(actor="public", object_type="objection", object_id="99")) == 1
    assert seqs(since="2026-12-01", until="2026-12-01", q="欧阳修远") != []
    assert seqs(since="2026-12-02", q="欧阳修远") == []  # 10:00 Beijing on 1 December
    assert seqs(q="100%_no_such") == []  # LIKE wildcards are matched literally
    page = client.get("/auditor", params={"actor": "<script>", "action": "no.such"})
    assert page.status_code == 200 and "<script>" not in page.text


def test_keyset_pages_neither_skip_nor_repeat(client, demo, session_factory):
    with session_factory() as session:
        expected = list(session.scalars(select(AuditEvent.seq).where(AuditEvent.action == "score_sheet.submitted")
                                        .order_by(AuditEvent.seq.desc())))
    assert len(expected) > 120
    _auditor(client)
    seen, params = [], {"action": "score_sheet.submitted"}
    while True:
        page = client.get("/auditor", params=params).text
        seen += [int(s) for s in SEQ.findall(page)]
        older = re.search(r"older=(\d+)", page)
        if not older:
            break
        params = {"action": "score_sheet.submitted", "older": older.group(1)}
    assert seen == expected
    back = client.get("/auditor", params={"action": "score_sheet.submitted", "newer": expected[60]}).text
    assert [int(s) for s in SEQ.findall(back)] == expected[10:60]


def test_each_event_links_to_its_object_and_its_history(client, demo):
    _auditor(client)
    page = client.get("/auditor", params={"object_type": "nomination"}).text
    link = re.search(r'href="(/auditor/nominations/\d+)"', page).group(1)
    assert client.get(link).status_code == 200
    history = re.search(r'href="(/auditor\?object_type=nomination&amp;object_id=\d+)"', page).group(1)
    assert client.get(history.replace("&amp;", "&")).status_code == 200


def test_the_filtered_log_exports_as_xlsx(client, demo, session_factory):
    _auditor(client)
    with session_factory() as session:  # as the served app's sealer would have done by now
        audit.seal(session, signer=audit.Signer(Ed25519PrivateKey.generate()))
        session.commit()
    response = client.get("/auditor/log.xlsx", params={"action": "user.created"})
    assert response.status_code == 200 and response.content[:2] == b"PK"
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book.active.iter_rows(values_only=True))
    with session_factory() as session:
        created = session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "user.created"))
    assert len(rows) == created + 1 and rows[0][0] == "序号"
    assert {row[3] for row in rows[1:]} == {"创建账号"} and {row[4] for row in rows[1:]} == {"user.created"}
    about = dict(book["导出说明"].iter_rows(values_only=True))  # the signed tree head to check the rows by
    with session_factory() as session:
        head = audit.chain_head(session)
    assert head.length > 0  # the demo seals its log: a real head, not the empty tree's
    assert about["审计链头哈希"] == head.hash and about["审计链长度"] == head.length and about["事件数"] == created


def test_the_log_is_the_auditors_alone(client, demo):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    assert client.get("/auditor").status_code == 404
    assert client.get("/auditor/log.xlsx").status_code == 404
