"""People: invitations by real mail, one-time links, forgot password, deactivation, password change, the
outbox when the mail server is down, reminders once, and the logins the expert import makes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select, update

from helpers import csrf_token, login
from judging import audit, notifications
from judging.accounts import Role, add_user, authenticate
from judging.accounts.manage import NO_PASSWORD, set_active
from judging.accounts.models import AccountToken, User, UserSession
from judging.accounts.tokens import token_of
from judging.audit.models import AuditEvent
from judging.db.base import utcnow
from judging.demo import DEMO_PASSWORDS
from judging.notifications.delivery import deliver_due
from judging.notifications.invitations import invite, send_link
from judging.notifications.models import Channel, DeliveryStatus, Notification
from judging.settings import install
from mailserver import smtp_server

ACTOR = audit.Actor(None, "test")
PASSWORD = "Kept-Secret-Admin-2026"
NEW_PASSWORD = "长江大桥-评审-2026"
CJK = re.compile(r"[\u4e00-\u9fff]")
LINK = re.compile(r"http://testserver\.local(/invitation/[A-Za-z0-9_\-]+)")


@pytest.fixture
def mail(settings):
    """A real SMTP server and the settings that send to it (installed, as the worker's would be)."""
    with smtp_server() as (inbox, url):
        mailing = dataclasses.replace(settings, smtp_url=url, base_url="http://testserver.local",
                                      mail_from="office@judging.test")
        install(mailing)
        yield inbox, mailing


def _actions(db) -> list[str]:
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def _form(client, path: str, **fields) -> dict:
    return {"_csrf_token": csrf_token(client, path), **fields}


def test_an_invitation_arrives_by_mail_its_link_sets_the_password_logs_in_and_works_once(
        client, db, session_factory, mail):
    inbox, settings = mail
    client.app.state.settings = settings
    add_user(db, username="sysop", password=PASSWORD, role=Role.ADMIN, by=ACTOR)
    db.commit()
    login(client, "sysop", PASSWORD)
    created = client.post("/accounts/", data=_form(client, "/accounts/", username="li.ming", display_name="李明",
                                                   email="li.ming@example.org", role="judge", locale="zh_CN"))
    assert created.status_code == 200 and "li.ming@example.org" in created.text
    assert "account-link" not in created.text  # with a mail server the link goes to its owner only
    client.post("/logout", data=_form(client, "/accounts/"))

    report = deliver_due(session_factory, settings=settings)
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    (message,) = inbox.messages
    assert message["To"] == "li.ming@example.org" and message["From"] == "office@judging.test"
    assert CJK.search(message["Subject"])  # the recipient's language
    path = LINK.search(message.get_content()).group(1)

    page = client.get(path)
    assert page.status_code == 200 and "li.ming" in page.text
    done = client.post(path, data=_form(client, path, password=NEW_PASSWORD, password2=NEW_PASSWORD),
                       follow_redirects=False)
    assert done.status_code in (302, 303) and done.headers["location"] == "/judge"
    assert client.get("/judge").status_code == 200  # logged in by the link
    assert {"user.password_set", "notification.queued", "notification.delivered"} <= set(_actions(db))
    db.rollback()  # on SQLite every transaction holds the write lock: end the test's own before the app's

    client.post("/logout", data=_form(client, "/judge"))
    other = "Another-Long-Pass-77"
    again = client.post(path, data=_form(client, "/login", password=other, password2=other))
    assert again.status_code == 410 and 'id="link-invalid"' in again.text
    assert client.get(path).status_code == 410
    db.expire_all()
    assert authenticate(db, username="li.ming", password=NEW_PASSWORD) is not None
    assert authenticate(db, username="li.ming", password="Another-Long-Pass-77") is None


def test_expired_tampered_and_replaced_links_show_one_clear_page_and_change_nothing(client, db):
    user, first = invite(db, username="wang.fang", role=Role.JUDGE, email="wang.fang@example.org", by=ACTOR,
                         manager=None)
    db.commit()
    first_token = token_of(first.token)
    second = send_link(db, user=user, by=ACTOR)
    db.commit()
    token = token_of(second.token)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    expired_user, expired = invite(db, username="zhao.lei", role=Role.JUDGE, email="", by=ACTOR, manager=None)
    db.execute(update(AccountToken).where(AccountToken.id == expired.token.id)
               .values(expires_at=utcnow() - dt.timedelta(minutes=1)))
    db.commit()
    events_before = db.scalar(select(func.count()).select_from(AuditEvent))
    bad_tokens = (first_token, tampered, token_of(expired.token), "x" * 43)
    db.rollback()
    for bad in bad_tokens:
        page = client.get(f"/invitation/{bad}")
        assert page.status_code == 410 and 'id="link-invalid"' in page.text
        posted = client.post(f"/invitation/{bad}", data=_form(client, "/login", password=NEW_PASSWORD,
                                                              password2=NEW_PASSWORD))
        assert posted.status_code == 410 and "judging_session" not in posted.cookies
    db.expire_all()
    assert db.get(User, user.id).password_hash == NO_PASSWORD == db.get(User, expired_user.id).password_hash
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == events_before
    db.rollback()
    # The live link still works, and a weak password through it is refused without spending it.
    weak = client.post(f"/invitation/{token}", data=_form(client, "/login", password="short", password2="short"))
    assert weak.status_code == 400 and 'id="password-error"' in weak.text
    assert client.get(f"/invitation/{token}").status_code == 200


def test_forgot_password_answers_the_same_for_any_name_and_mails_only_a_known_address(
        client, db, session_factory, mail):
    inbox, settings = mail
    add_user(db, username="chen.jing", password=PASSWORD, role=Role.JUDGE, by=ACTOR)
    db.scalar(select(User).where(User.username == "chen.jing")).email = "chen.jing@example.org"
    add_user(db, username="no.mail", password=PASSWORD, role=Role.JUDGE, by=ACTOR)
    db.commit()
    answers = []
    for name in ("chen.jing", "no.mail", "nobody.here"):
        page = client.post("/forgot-password", data=_form(client, "/forgot-password", username=name))
        answers.append((page.status_code, re.sub(r'value="[^"]+"', "", page.text)))
    assert len(set(answers)) == 1 and answers[0][0] == 200
    assert deliver_due(session_factory, settings=settings).sent == 1
    (message,) = inbox.messages
    assert message["To"] == "chen.jing@example.org"
    path = LINK.search(message.get_content()).group(1)
    # The old password works until the owner uses the link; then the new one only.
    assert client.post(path, data=_form(client, path, password=NEW_PASSWORD, password2=NEW_PASSWORD),
                       follow_redirects=False).status_code in (302, 303)
    db.expire_all()
    assert authenticate(db, username="chen.jing", password=PASSWORD) is None
    assert authenticate(db, username="chen.jing", password=NEW_PASSWORD) is not None


def test_an_unreachable_mail_server_keeps_the_message_queued_and_the_action_stands(client, db, session_factory,
                                                                                   settings):
    from browser import free_port

    down = dataclasses.replace(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    install(down)
    invite(db, username="li.ming", role=Role.JUDGE, email="li.ming@example.org", by=ACTOR, manager=None)
    db.commit()
    report = deliver_due(session_factory, settings=down)
    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    message = db.scalar(select(Notification))
    assert message.status is DeliveryStatus.QUEUED and message.attempts == 1 and message.last_error
    assert message.next_attempt_at > utcnow()
    assert db.scalar(select(User).where(User.username == "li.ming")) is not None  # the invitation stands
    db.rollback()
    assert deliver_due(session_factory, settings=down).retried == 0  # not due again yet
    add_user(db, username="office", password=PASSWORD, role=Role.ORGANIZER, by=ACTOR)
    db.commit()
    login(client, "office", PASSWORD)
    page = client.get("/organizer/outbox/")
    assert page.status_code == 200 and "li.ming@example.org" in page.text and "ConnectionRefusedError" in page.text
    # The server comes back: the retry delivers it.
    with smtp_server() as (inbox, url):
        db.execute(update(Notification).values(next_attempt_at=utcnow()))
        db.commit()
        assert deliver_due(session_factory, settings=dataclasses.replace(down, smtp_url=url)).sent == 1
        assert len(inbox.messages) == 1


def test_deactivating_an_account_ends_its_sessions_at_once_and_refuses_its_login(client, db):
    add_user(db, username="li.ming", password=PASSWORD, role=Role.JUDGE, by=ACTOR)
    add_user(db, username="sysop", password=PASSWORD, role=Role.ADMIN, by=ACTOR)
    db.commit()
    judge_id = db.scalar(select(User.id).where(User.username == "li.ming"))
    db.rollback()
    login(client, "li.ming", PASSWORD)
    assert client.get("/judge").status_code == 200
    with TestClient(app=client.app, base_url="http://testserver.local") as admin:
        login(admin, "sysop", PASSWORD)
        done = admin.post(f"/accounts/{judge_id}/active", data=_form(admin, f"/accounts/{judge_id}", active="0"),
                          follow_redirects=False)
        assert done.status_code in (302, 303)
    assert db.scalar(select(func.count()).where(UserSession.user_id == judge_id)) == 0
    db.rollback()
    assert client.get("/judge", follow_redirects=False).status_code == 401  # logged out
    assert login(client, "li.ming", PASSWORD).status_code == 401
    assert "user.deactivated" in _actions(db)


def test_changing_my_password_ends_my_other_sessions_only(client, db):
    add_user(db, username="li.ming", password=PASSWORD, role=Role.JUDGE, by=ACTOR)
    db.commit()
    login(client, "li.ming", PASSWORD)
    with TestClient(app=client.app, base_url="http://testserver.local") as other:
        login(other, "li.ming", PASSWORD)
        assert other.get("/judge").status_code == 200
        wrong = client.post("/account/password", data=_form(client, "/account", current_password="not-it-at-all",
                                                            new_password=NEW_PASSWORD, new_password2=NEW_PASSWORD))
        assert wrong.status_code == 400 and other.get("/judge").status_code == 200
        changed = client.post("/account/password", data=_form(client, "/account", current_password=PASSWORD,
                                                              new_password=NEW_PASSWORD, new_password2=NEW_PASSWORD),
                              follow_redirects=False)
        assert changed.status_code in (302, 303)
        assert other.get("/judge", follow_redirects=False).status_code == 401  # logged out
    assert client.get("/judge").status_code == 200
    assert "user.password_changed" in _actions(db)


def test_the_organizer_manages_the_experts_accounts_and_no_other(client, db):
    add_user(db, username="office", password=PASSWORD, role=Role.ORGANIZER, by=ACTOR)
    add_user(db, username="sysop", password=PASSWORD, role=Role.ADMIN, by=ACTOR)
    add_user(db, username="li.ming", password=PASSWORD, role=Role.JUDGE, by=ACTOR)
    db.commit()
    ids = dict(db.execute(select(User.username, User.id)).all())
    db.rollback()
    login(client, "office", PASSWORD)
    listing = client.get("/accounts/")
    assert "li.ming" in listing.text and "sysop" not in listing.text
    assert client.get(f"/accounts/{ids['sysop']}").status_code == 404
    assert client.post(f"/accounts/{ids['sysop']}/active", data=_form(client, "/accounts/", active="0")).status_code \
        == 404
    refused = client.post("/accounts/", data=_form(client, "/accounts/", username="new.admin", role="admin"))
    assert refused.status_code == 404 and db.scalar(select(User).where(User.username == "new.admin")) is None
    db.rollback()
    made = client.post("/accounts/", data=_form(client, "/accounts/", username="zhou.min", role="judge"))
    assert made.status_code == 200 and 'id="account-link"' in made.text  # no address: the link is handed over


def test_reminders_before_the_deadline_go_once_per_judge_and_deadline(demo, db):
    from judging.editions.models import Round, RoundStatus
    from judging.scoring.reminders import send_due_reminders

    round_ = db.scalar(select(Round).where(Round.status == RoundStatus.OPEN).order_by(Round.id.desc()))
    round_.deadline_at = utcnow() + dt.timedelta(days=1)
    judge01 = db.scalar(select(User).where(User.username == "judge01"))
    judge01.email, judge01.locale = "judge01@example.org", "en"
    db.commit()
    assert send_due_reminders(db, days=0, by=ACTOR).judges == 0
    first = send_due_reminders(db, days=2, by=ACTOR)
    db.commit()
    assert first.judges > 0 and first.queued == first.judges
    second = send_due_reminders(db, days=2, by=ACTOR)
    db.commit()
    assert (second.judges, second.queued) == (first.judges, 0)
    mailed = db.scalar(select(Notification).where(Notification.user_id == judge01.id, Notification.event == "reminder"))
    assert mailed.channel is Channel.EMAIL and mailed.subject.startswith("Reminder")  # judge01 reads English
    # A judge without an address sees the reminder on their home page.
    assert db.scalar(select(func.count()).where(Notification.event == "reminder",
                                                Notification.channel == Channel.WEB)) == first.judges - 1


def test_reminders_from_the_command_line_send_nothing_new_the_second_time(demo, db, db_url, cli):
    from judging.editions.models import Round, RoundStatus

    round_ = db.scalar(select(Round).where(Round.status == RoundStatus.OPEN).order_by(Round.id.desc()))
    round_.deadline_at = utcnow() + dt.timedelta(days=1)
    db.commit()
    first = cli("notify", "reminders", "--days", "3", url=db_url)
    second = cli("notify", "reminders", "--days", "3", url=db_url)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    judges = int(re.search(r"(\d+) judge", first.stdout).group(1))
    assert judges > 0 and f"{judges} new reminder(s) queued" in first.stdout
    assert "0 new reminder(s) queued" in second.stdout


def test_the_expert_import_makes_invited_logins_lists_who_has_no_address_and_reports_bad_rows(db):
    from judging.panels.importer import import_experts
    from judging.panels.models import Expert

    table = ("姓名,工作单位,城市,专业领域,电话,邮箱\n"
             "李明,南京钢铁集团,南京,冶金,,li.ming@example.org\n"
             "王芳,苏州纳米所,苏州,材料,13912345678,\n"
             "赵磊,无锡重工,无锡,机械,,zhao-at-example\n")
    report = import_experts(db, data=table.encode("utf-8"), filename="experts.csv", keep_valid=True, by=ACTOR)
    db.commit()
    assert report.created == 2 and [p.row for p in report.problems] == [4]
    assert report.logins.invited == [("李明", "li.ming")] and report.logins.without_email == ["王芳"]
    expert = db.scalar(select(Expert).where(Expert.name == "李明"))
    user = db.get(User, expert.user_id)
    assert user.role is Role.JUDGE and user.email == "li.ming@example.org" and user.password_hash == NO_PASSWORD
    (message,) = db.scalars(select(Notification).where(Notification.user_id == user.id))
    assert message.event == "invitation" and message.link_token_id is not None and "{link}" in message.body
    assert db.scalar(select(Expert.user_id).where(Expert.name == "王芳")) is None


def test_a_returned_nomination_goes_to_its_city_s_accounts_and_to_nobody_when_it_has_none(db):
    assert notifications.city_accounts(db, "南京") == []
    add_user(db, username="nanjing.union", password=PASSWORD, role=Role.JUDGE, by=ACTOR)
    account = db.scalar(select(User).where(User.username == "nanjing.union"))
    account.city, account.email = "南京", "union@nanjing.example.org"
    db.flush()
    (recipient,) = notifications.city_accounts(db, "南京")
    assert recipient.user_id == account.id and recipient.channel is Channel.EMAIL
    set_active(db, user=account, active=False, manager=None, by=ACTOR)
    assert notifications.city_accounts(db, "南京") == []


def test_the_command_line_invites_printing_the_link_without_a_mail_server_and_deactivates(db_url, db, cli,
                                                                                         tmp_path):
    from judging.accounts.tokens import check_token
    from judging.settings import Settings

    env = {"JUDGING_VAR_DIR": str(tmp_path), "JUDGING_BASE_URL": "https://judging.example.org"}
    done = cli("users", "invite", "--role", "judge", "--username", "li.ming", "--email", "li.ming@example.org",
               url=db_url, env=env)
    assert done.returncode == 0, done.stderr
    token = re.search(r"https://judging\.example\.org/invitation/([A-Za-z0-9_\-]+)", done.stdout).group(1)
    install(Settings(database_url=db_url, var_dir=tmp_path, jobs_backend="immediate"))  # the same secret key
    assert db.get(User, check_token(db, token=token).user_id).username == "li.ming"
    db.rollback()
    taken = cli("users", "invite", "--role", "judge", "--username", "li.ming", url=db_url, env=env)
    assert taken.returncode == 2 and "already taken" in taken.stderr
    gone = cli("users", "deactivate", "li.ming", url=db_url, env=env)
    assert gone.returncode == 0 and "Deactivated" in gone.stdout
    assert cli("users", "deactivate", "nobody.here", url=db_url, env=env).returncode == 2
    db.expire_all()
    assert db.scalar(select(User.active).where(User.username == "li.ming")) is False
    from judging.accounts.tokens import LinkInvalid

    with pytest.raises(LinkInvalid):  # deactivation killed the open invitation
        check_token(db, token=token)


def test_the_organizer_previews_the_late_judges_then_reminds_them_once_a_day(client, demo, db):
    from judging.editions.models import Round, RoundStatus

    round_ = db.scalar(select(Round).where(Round.status == RoundStatus.OPEN).order_by(Round.id.desc()))
    round_.opens_at, round_.deadline_at = utcnow() - dt.timedelta(days=9), utcnow() + dt.timedelta(days=1)
    round_id = round_.id
    db.commit()
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    page = client.get(f"/organizer/rounds/{round_id}/reminders/")
    late = len(re.findall(r"<tr><td>", page.text.split('id="late-judges"')[1].split("</table>")[0]))
    assert page.status_code == 200 and late > 0
    path = f"/organizer/rounds/{round_id}/reminders/"
    first = client.post(path, data=_form(client, path), follow_redirects=False)
    assert first.status_code in (302, 303) and f"sent={late}" in first.headers["location"]
    second = client.post(path, data=_form(client, path), follow_redirects=False)
    assert "sent=0" in second.headers["location"] and f"judges={late}" in second.headers["location"]
    assert db.scalar(select(func.count()).where(Notification.event == "reminder")) == late


def test_a_reopened_sheet_and_an_extended_deadline_reach_their_judge_in_the_same_transaction(demo, db):
    from judging.editions.models import Round
    from judging.panels.models import Assignment, Expert
    from judging.scoring.models import ScoreSheet, SheetStatus
    from judging.scoring.service import extend_deadline, reopen_sheet

    sheet, user_id, expert_id, round_id = db.execute(
        select(ScoreSheet, Expert.user_id, Expert.id, Assignment.round_id)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id).join(Expert, Expert.id == Assignment.expert_id)
        .where(ScoreSheet.status == SheetStatus.SUBMITTED).limit(1)).one()
    db.get(User, user_id).email = "judge@example.org"
    db.commit()
    reopen_sheet(db, sheet_id=sheet.id, by=ACTOR, reason="第二项得分与评语不一致，请核对")
    round_ = db.get(Round, round_id)
    until = max(utcnow(), round_.deadline_at or utcnow()) + dt.timedelta(days=3)
    extend_deadline(db, round_=round_, expert_id=expert_id, until=until, reason="出差", by=ACTOR)
    mine = list(db.scalars(select(Notification).where(Notification.user_id == user_id,
                                                      Notification.event.in_(["sheet_reopened", "deadline_extended"]))
                           .order_by(Notification.id)))
    assert [m.event for m in mine] == ["sheet_reopened", "deadline_extended"]
    assert "第二项得分与评语不一致" in mine[0].body and CJK.search(mine[0].subject)
    assert "出差" not in mine[1].body  # the organizer's own note stays with the organizer
    db.rollback()  # the events roll back: so do their messages
    assert db.scalar(select(func.count()).where(Notification.user_id == user_id,
                                                Notification.event == "sheet_reopened")) == 0
