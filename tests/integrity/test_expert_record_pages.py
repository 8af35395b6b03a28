"""The expert's record (a fragment of the expert's page) and the organizer's notes, through HTTP:
what the organizer sees, who may not see it, a note stored and audited, an empty note refused."""

from __future__ import annotations

import json
import re

from helpers import csrf_token
from integrity.factories import as_user, give_a_history, make_site, read
from sqlalchemy import select

from judging.audit import AuditEvent
from judging.panels.pool_models import ExpertNote


def figure(text: str, name: str) -> str:
    found = re.search(rf'id="record-{name}">([^<]*)<', text)
    assert found, name
    return found.group(1)


def test_the_organizer_sees_the_experts_record_across_editions(client, db):
    site = make_site(db)
    expert_id = give_a_history(db, site)
    as_user(client, "organizer")
    fragment = client.get(f"/integrity/experts/{expert_id}/record")
    assert fragment.status_code == 200 and "<html" not in fragment.text  # a fragment, not a page
    assert "历届评审档案" in fragment.text
    figures = {name: figure(fragment.text, name)
               for name in ("assignments", "completion", "timeliness", "reopened", "conflicts", "withdrawn")}
    assert figures == {"assignments": "4", "completion": "100%", "timeliness": "75%", "reopened": "1",
                       "conflicts": "1", "withdrawn": "1"}
    editions = fragment.text.split('id="record-editions"')[1].split("</table>")[0]
    assert "2030年度测试评选" in editions
    assert re.findall(r'<td class="num">(\d+)</td>', editions) == ["4", "4", "3", "1", "1"]
    runs = fragment.text.split('id="record-runs"')[1].split("</table>")[0]
    assert "十大科技成果 · 初评" in runs and '<td class="num">4</td>' in runs  # its 4 scores in the run
    # the expert's page loads it with htmx (the browser test watches it arrive)
    page = client.get(f"/organizer/panels/experts/{expert_id}")
    assert f'hx-get="/integrity/experts/{expert_id}/record"' in page.text and 'id="note-form"' in page.text
    # the auditor reads it too; a judge and an anonymous visitor do not
    as_user(client, "auditor")
    assert figure(client.get(f"/integrity/experts/{expert_id}/record").text, "timeliness") == "75%"
    as_user(client, "judge")
    assert client.get(f"/integrity/experts/{expert_id}/record").status_code == 404
    client.cookies.clear()
    assert client.get(f"/integrity/experts/{expert_id}/record", follow_redirects=False).status_code == 401
    as_user(client, "organizer")
    assert client.get("/integrity/experts/999999/record").status_code == 404


def test_a_note_is_stored_audited_and_shown_and_an_empty_note_is_refused(client, db):
    site = make_site(db)
    expert_id = site["judges"][1]
    page = f"/organizer/panels/experts/{expert_id}"
    as_user(client, "organizer")
    response = client.post(f"/integrity/experts/{expert_id}/notes", follow_redirects=False,
                           data={"_csrf_token": csrf_token(client, page), "text": "  评审意见详实，按时完成。 "})
    assert response.status_code in (302, 303) and "notice=saved" in response.headers["location"]
    assert "已保存" in client.get(response.headers["location"]).text
    notes = read(db, lambda s: s.execute(select(ExpertNote.expert_id, ExpertNote.text, ExpertNote.created_by_id)).all())
    assert notes == [(expert_id, "评审意见详实，按时完成。", site["users"]["organizer"])]
    event = read(db, lambda s: s.scalars(select(AuditEvent.body).where(AuditEvent.action == "expert_note.added")).one())
    assert json.loads(event)["data"]["text"] == "评审意见详实，按时完成。"
    assert "评审意见详实，按时完成。" in client.get(f"/integrity/experts/{expert_id}/record").text
    # an empty note: refused with the reason on the expert's page, nothing stored
    response = client.post(f"/integrity/experts/{expert_id}/notes", follow_redirects=False,
                           data={"_csrf_token": csrf_token(client, page), "text": "   "})
    assert response.status_code in (302, 303)
    assert "请填写备注。" in client.get(response.headers["location"]).text
    assert read(db, lambda s: len(s.scalars(select(ExpertNote.id)).all())) == 1
    # only organizers write notes
    for role, expected in (("auditor", 404), ("judge", 404)):
        as_user(client, role)
        response = client.post(f"/integrity/experts/{expert_id}/notes", follow_redirects=False,
                               data={"_csrf_token": client.cookies["csrftoken"], "text": "越权备注"})
        assert response.status_code == expected, role
    assert read(db, lambda s: len(s.scalars(select(ExpertNote.id)).all())) == 1
