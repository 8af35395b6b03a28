"""The random draw's pages through HTTP: the organizer draws, a shortfall is shown per specialty and
stores nothing, a redraw needs its reason, the auditor confirms and the assignments exist, nobody both
draws and confirms, and judges and anonymous visitors reach nothing."""

from __future__ import annotations

import json

import pytest
from integrity.factories import as_user, draws_in, make_site, post, read
from sqlalchemy import func, select

from judging.audit import AuditEvent
from judging.panels.models import Assignment, Expert
from judging.panels.pool_models import DrawStatus


def assignments(db, site) -> int:
    return read(db, lambda s: s.scalar(select(func.count()).select_from(Assignment)
                                       .where(Assignment.round_id == site["round"])))


def test_the_organizer_draws_and_the_auditor_confirms_then_the_assignments_exist(client, db):
    site = make_site(db)
    as_user(client, "organizer")
    assign = client.get(f"/organizer/panels/rounds/{site['round']}/categories/{site['category']}")
    assert f'href="{site["page"]}"' in assign.text  # the way from the panels pages
    page = client.get(site["page"])
    assert page.status_code == 200 and 'id="draw-form"' in page.text and "暂无抽取" in page.text
    response = post(client, site["page"], site["page"], spec="机械:2\n电气:1", exclude_flagged="1")
    assert response.status_code in (302, 303) and response.headers["location"].endswith(site["page"])
    [draw] = draws_in(db)
    assert draw.status is DrawStatus.PENDING and draw.created_by_id == site["users"]["organizer"]
    assert draw.options == {"exclude_flagged": True, "min_completion": 0}
    drawn = draw.drawn["机械"] + draw.drawn["电气"]
    assert len(set(drawn)) == 3 and not set(drawn) & {site["pool"][0], site["pool"][1]}  # conflicted, full
    page = client.get(site["page"])
    names = read(db, lambda s: dict(s.execute(select(Expert.id, Expert.name)).all()))
    assert all(names[e] in page.text for e in drawn) and draw.seed in page.text
    assert "等待监督确认" in page.text and "组织者王敏" in page.text
    assert '<dd class="excluded">需回避 1、工作量已满 1</dd>' in page.text  # why the others were left out, in words
    assert f'/integrity/draws/{draw.id}/confirm"' not in page.text  # the organizer sees no confirm button
    # the organizer who drew cannot confirm: the route is not there for them
    assert post(client, f"/integrity/draws/{draw.id}/confirm", site["page"]).status_code == 404
    assert draws_in(db)[0].status is DrawStatus.PENDING

    as_user(client, "auditor")
    assert 'href="/integrity/draws"' in client.get("/auditor").text  # where the supervisor finds draws
    listed = client.get("/integrity/draws").text.split('id="draws-index"')[1]
    assert f'href="{site["page"]}">#{draw.id}</a>' in listed and 'data-status="pending"' in listed
    page = client.get(site["page"])
    assert page.status_code == 200 and 'id="draw-form"' not in page.text
    assert f'/integrity/draws/{draw.id}/confirm"' in page.text and "/redraw" not in page.text
    # nor can the auditor draw: one person never both draws and confirms
    assert post(client, site["page"], site["page"], spec="机械:1").status_code == 404
    response = post(client, f"/integrity/draws/{draw.id}/confirm", site["page"])
    assert response.status_code in (302, 303)
    [draw] = draws_in(db)
    assert draw.status is DrawStatus.CONFIRMED and draw.confirmed_by_id == site["users"]["auditor"]
    pairs = read(db, lambda s: s.execute(select(Assignment.nomination_id, Assignment.expert_id)
                                         .where(Assignment.round_id == site["round"])).all())
    assert len(pairs) == 4 * 3 and {e for _n, e in pairs} == set(drawn)
    page = client.get(site["page"])
    assert "已经监督确认" in page.text and "监督员李强" in page.text and "/confirm\"" not in page.text
    events = read(db, lambda s: s.execute(select(AuditEvent.action, AuditEvent.body).where(
        AuditEvent.object_type == "expert_draw").order_by(AuditEvent.seq)).all())
    assert [action for action, _body in events] == ["expert_draw.drawn", "expert_draw.confirmed"]
    assert json.loads(events[1][1])["data"]["experts"] == sorted(drawn)
    # confirming twice is refused with the reason, nothing changes
    response = post(client, f"/integrity/draws/{draw.id}/confirm", site["page"])
    assert response.status_code == 409 and "只有等待确认的抽取才能确认" in response.text
    assert assignments(db, site) == 12


def test_a_shortfall_shows_wanted_and_eligible_per_specialty_and_stores_nothing(client, db):
    site = make_site(db)
    as_user(client, "organizer")
    response = post(client, site["page"], site["page"], spec="机械:9\n电气:4\n化工:1")
    assert response.status_code == 400
    assert "符合条件的专家不足" in response.text
    table = response.text.split('id="draw-shortfall"')[1].split("</table>")[0]
    rows = [[cell.split(">")[-1] for cell in row.split("</td>")[:3]] for row in table.split("<tr>")[2:]]
    assert rows == [["化工", "1", "0"], ["机械", "9", "8"]]  # 电气 (4 of 4) could be filled
    assert "机械:9\n电气:4\n化工:1" in response.text  # what was typed is kept
    assert draws_in(db) == []
    assert read(db, lambda s: s.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "expert_draw"))) == 0
    # a line that is not "specialty:number" is named in the refusal
    response = post(client, site["page"], site["page"], spec="机械三人")
    assert response.status_code == 400 and "“机械三人”不符合" in response.text and draws_in(db) == []


def test_a_redraw_needs_a_reason_and_keeps_the_old_draw(client, db):
    site = make_site(db)
    as_user(client, "organizer")
    post(client, site["page"], site["page"], spec="机械:2")
    [first] = draws_in(db)
    response = post(client, f"/integrity/draws/{first.id}/redraw", site["page"], reason="   ")
    assert response.status_code == 400 and "请填写重新抽取的原因" in response.text
    assert [d.status for d in draws_in(db)] == [DrawStatus.PENDING]
    # a second draw while one waits is refused
    response = post(client, site["page"], site["page"], spec="机械:1")
    assert response.status_code == 409 and "等待确认" in response.text and len(draws_in(db)) == 1
    response = post(client, f"/integrity/draws/{first.id}/redraw", site["page"], reason="一名专家临时出差")
    assert response.status_code in (302, 303)
    old, new = draws_in(db)
    assert old.status is DrawStatus.REDRAWN and new.status is DrawStatus.PENDING
    assert new.replaces_id == old.id and new.redraw_reason == "一名专家临时出差" and new.seed != old.seed
    page = client.get(site["page"])
    assert "一名专家临时出差" in page.text and "已重新抽取" in page.text
    assert page.text.count("/redraw\"") == 1  # only the pending draw can be redrawn
    redrawn = read(db, lambda s: s.scalars(select(AuditEvent.body).where(
        AuditEvent.action == "expert_draw.redrawn")).one())
    assert json.loads(redrawn)["data"] == {"new_draw": new.id, "reason": "一名专家临时出差"}


def test_judges_and_anonymous_visitors_reach_no_draw_page(client, db):
    site = make_site(db)
    as_user(client, "organizer")
    post(client, site["page"], site["page"], spec="机械:2")
    [draw] = draws_in(db)
    routes = [("GET", "/integrity/draws"), ("GET", site["page"]), ("POST", site["page"]), ("POST", f"/integrity/draws/{draw.id}/confirm"),
              ("POST", f"/integrity/draws/{draw.id}/redraw")]
    for role, expected in (("judge", 404), (None, 401)):
        client.cookies.clear()
        if role:
            as_user(client, role)
        client.get("/login")  # the CSRF cookie, so that a refusal is the guard's and not the token's
        for method, url in routes:
            if method == "GET":
                response = client.get(url, follow_redirects=False)
            else:
                response = client.post(url, data={"_csrf_token": client.cookies["csrftoken"], "spec": "机械:1",
                                                  "reason": "试探"}, follow_redirects=False)
            assert response.status_code == expected, (role, method, url, response.status_code)
    [draw] = draws_in(db)
    assert draw.status is DrawStatus.PENDING
    assert assignments(db, site) == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_unknown_round_or_draw_is_not_found(client, db):
    site = make_site(db)
    as_user(client, "organizer")
    assert client.get(f"/integrity/draws/rounds/{site['round']}/categories/999999").status_code == 404
    assert post(client, "/integrity/draws/999999/redraw", site["page"], reason="x").status_code == 404
