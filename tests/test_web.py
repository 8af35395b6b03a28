"""The web app through Litestar's test client: login, each role's home, guards, CSRF, audit verify."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from helpers import csrf_token, login
from judging.audit.models import AuditEvent
from judging.demo import DEMO_PASSWORDS
from judging.nominations.models import NominationIdentity
from judging.panels.models import Expert

ROLE_HOMES = [("organizer", DEMO_PASSWORDS["organizer"], "/organizer"),
              ("auditor", DEMO_PASSWORDS["auditor"], "/auditor"),
              ("admin", DEMO_PASSWORDS["admin"], "/admin"),
              ("judge01", DEMO_PASSWORDS["judge"], "/judge")]


def test_healthz_answers(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_login_page_is_chinese_by_default_and_english_on_request(client):
    page = client.get("/login")
    assert page.status_code == 200 and "登录" in page.text and 'lang="zh-CN"' in page.text
    client.get("/lang/en", follow_redirects=False)
    assert "Log in" in client.get("/login").text


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/judge", follow_redirects=False, headers={"accept": "text/html"})
    assert response.status_code == 302 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize("username, password, home", ROLE_HOMES)
def test_each_role_lands_on_its_home(client, demo, username, password, home):
    response = login(client, username, password)
    assert response.status_code in (302, 303) and response.headers["location"] == home
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get(home).status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_message(client, demo):
    wrong = login(client, "judge01", "not-the-password")
    unknown = login(client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    message = "用户名或密码不正确"
    assert message in wrong.text and message in unknown.text


def test_login_without_csrf_token_is_refused(client, demo):
    client.get("/login")
    response = client.post("/login", data={"username": "judge01", "password": DEMO_PASSWORDS["judge"]})
    assert response.status_code == 403


@pytest.mark.parametrize("username, password, home", ROLE_HOMES)
def test_other_roles_pages_answer_404(client, demo, username, password, home):
    login(client, username, password)
    for _, _, other in ROLE_HOMES:
        if other != home:
            assert client.get(other).status_code == 404


def test_judge_sees_only_codes_and_titles_of_own_assignments(client, demo, session_factory):
    login(client, "judge01", DEMO_PASSWORDS["judge"])
    page = client.get("/judge").text
    codes = re.findall(r'<td class="code">([0-9A-Z]+)</td>', page)
    assert len(codes) > 5
    assert f"已提交 {page.count('badge submitted')}/{len(codes)}" in page
    with session_factory() as session:
        identities = session.scalars(select(NominationIdentity)).all()
        experts = session.scalars(select(Expert)).all()
    for identity in identities:
        for secret in [identity.employer, identity.contact_phone, identity.contact_email, *identity.patents]:
            assert secret not in page
    me = next(e for e in experts if e.email == "judge01@example.cn")
    others = [e.name for e in experts if e.name != me.name]
    assert not [name for name in others if name in page]


def test_organizer_home_shows_counts_per_category(client, demo):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    page = client.get("/organizer").text
    assert "十大科技成果" in page and "首席员工" in page
    row = re.search(r"<td>十大科技成果</td><td>10</td><td class=\"num\">(\d+)</td>", page)
    assert row and row.group(1) == "80"


def test_auditor_sees_the_log_and_verifies_the_chain(client, demo):
    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    page = client.get("/auditor").text
    assert '(user.logged_in)">登录</span>' in page  # newest first, by label; the code is in the tooltip
    created = client.get("/auditor", params={"action": "user.created"}).text  # the demo made the accounts
    assert '(user.created)">创建账号</span>' in created and ">演示数据初始化</td>" in created
    fragment = client.get("/auditor/verify", headers={"hx-request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "审计链完整" in fragment.text
    assert "审计链完整" in client.get("/auditor/verify").text


def test_auditor_sees_a_broken_chain(client, demo, session_factory):
    with session_factory() as session:
        session.execute(AuditEvent.__table__.update().where(AuditEvent.seq == 2).values(actor="mallory"))
        session.commit()
    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    fragment = client.get("/auditor/verify", headers={"hx-request": "true"}).text
    assert "第 2 号事件处断裂" in fragment


def test_logout_ends_the_session_and_is_audited(client, demo, session_factory):
    login(client, "judge01", DEMO_PASSWORDS["judge"])
    token = csrf_token(client, "/judge")
    assert client.post("/logout", data={"_csrf_token": token}, follow_redirects=False).status_code in (302, 303)
    assert client.get("/judge", follow_redirects=False, headers={"accept": "text/html"}).status_code == 302
    with session_factory() as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(2)).all()
    assert actions == ["user.logged_out", "user.logged_in"]


def test_login_next_parameter_cannot_leave_the_site(client, demo):
    token = csrf_token(client)
    response = client.post("/login", data={"username": "judge01", "password": DEMO_PASSWORDS["judge"],
                                           "next": "//evil.example/", "_csrf_token": token}, follow_redirects=False)
    assert response.headers["location"] == "/judge"


def test_pages_carry_security_headers_and_are_not_cached(client):
    response = client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["cache-control"] == "no-store"
    assert "max-age=3600" in client.get("/static/app.css").headers["cache-control"]


def test_templates_have_no_inline_script():
    from pathlib import Path

    templates = Path(__file__).resolve().parent.parent / "templates"
    offenders = []
    for path in templates.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for chunk in text.split("<script")[1:]:
            if "src=" not in chunk.split(">", 1)[0]:
                offenders.append(path.name)
        if re.search(r"\son[a-z]+=\"", text):
            offenders.append(path.name + " (inline event handler)")
    assert offenders == []


def test_login_lock_out_is_shown_with_the_time_to_retry(client, demo):
    from judging.accounts.service import FREE_FAILURES

    # the free tries of this (account, address) pair; then the pair waits, even with the right password
    for _ in range(FREE_FAILURES):
        assert login(client, "judge02", "not-the-password").status_code == 401
    locked = login(client, "judge02", DEMO_PASSWORDS["judge"])
    assert locked.status_code == 429 and "登录失败次数过多" in locked.text


def test_oversized_bodies_are_refused_before_they_are_read(client):
    response = client.post("/login", content=b"x" * (3 * 1024 * 1024),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


@pytest.mark.backend_sensitive
def test_a_burst_larger_than_the_connection_pool_is_answered(served, db_url, tmp_path):
    """Regression: a request's session was closed (its connection given back) in the handlers'
    thread pool, queued behind handlers waiting for a connection: under a burst larger than the
    pool (30 connections), every request hung until the pool timed out and answered 500."""
    import asyncio

    import httpx

    async def burst(base: str) -> list[int]:
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=150)) as client:
            responses = await asyncio.wait_for(asyncio.gather(*(client.get("/public/winners") for _ in range(150))),
                                               timeout=25)
        return [response.status_code for response in responses]

    with served(db_url, tmp_path) as base:
        assert set(asyncio.run(burst(base))) == {200}


@pytest.mark.backend_sensitive
def test_an_id_too_large_for_the_database_is_simply_not_found(client, demo):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    assert client.get("/organizer/rounds/54696708573488973955595105206272").status_code == 404


def test_a_refusal_no_controller_caught_is_answered_with_its_message_not_a_500(client):
    """E.g. the frozen-score check at commit when a save raced an approval (tests/results/test_runs.py)."""
    from litestar.testing import RequestFactory

    from judging.errors import Conflict
    from judging.web.app import _refused

    app = client.app
    conflict = Conflict("The results of this round and category are approved; its scores can no longer change.")
    as_json = _refused(RequestFactory(app=app).post("/judge/sheets/1/draft", headers={"accept": "application/json"}),
                       conflict)
    assert as_json.status_code == 409
    assert as_json.content == {"error": "该轮次该类别的评审结果已批准，评分不能再更改。", "kind": "conflict"}
    as_page = _refused(RequestFactory(app=app).post("/judge/sheets/1/submit", headers={"accept": "text/html"}),
                       conflict)
    assert as_page.status_code == 409 and as_page.template_name == "pages/refused.html"
