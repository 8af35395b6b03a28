"""Accounts: creation rules, login with one generic failure, sessions that expire."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from judging import audit
from judging.accounts import Role, add_user, authenticate, end_session, resolve_session
from judging.accounts.models import User, UserSession
from judging.audit.models import AuditEvent
from judging.errors import Conflict, JudgingError

ADMIN = audit.Actor(None, "test")
IDLE, ABSOLUTE = dt.timedelta(minutes=60), dt.timedelta(hours=12)


def _actions(db) -> list[str]:
    return db.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()


def test_new_user_gets_an_argon2id_hash_and_an_audit_event(db):
    user = add_user(db, username="wang.fang", password="长江大桥-2026-ok", role=Role.JUDGE, display_name="王芳", by=ADMIN)
    db.commit()
    assert user.password_hash.startswith("$argon2id$")
    assert "长江大桥" not in user.password_hash
    assert _actions(db) == ["user.created"]


@pytest.mark.parametrize("username, password, message", [
    ("wang", "short", "at least 12"),
    ("wang", "x" * 129, "at most 128"),
    ("liming", "my-liming-password", "username"),
    ("wang", "qwertyuiop123", "common or leaked"),  # ASVS 2.1.7: a leaked password, padded to length
    ("wang", "Sunshine-2026!", "common or leaked"),
    ("a b", "long-enough-password", "username must be"),
])
def test_bad_accounts_are_refused_and_nothing_is_stored(db, username, password, message):
    with pytest.raises(JudgingError, match=message):
        add_user(db, username=username, password=password, role=Role.JUDGE, by=ADMIN)
    db.rollback()
    assert db.scalars(select(User)).all() == [] and _actions(db) == []


def test_duplicate_username_is_a_conflict(db):
    add_user(db, username="li.ming", password="long-enough-password", role=Role.JUDGE, by=ADMIN)
    with pytest.raises(Conflict, match="already taken"):
        add_user(db, username="li.ming", password="another-long-password", role=Role.AUDITOR, by=ADMIN)


def test_unknown_role_names_the_roles(db):
    with pytest.raises(JudgingError, match="organizer, judge, auditor, admin"):
        add_user(db, username="zhao", password="long-enough-password", role="president", by=ADMIN)


def test_login_opens_a_session_and_failures_are_generic_and_audited(db):
    add_user(db, username="li.ming", password="long-enough-password", role=Role.JUDGE, by=ADMIN)
    assert authenticate(db, username="li.ming", password="wrong-password-xx") is None
    assert authenticate(db, username="nobody", password="long-enough-password") is None
    login = authenticate(db, username="li.ming", password="long-enough-password", client_address="127.0.0.1")
    db.commit()
    assert login is not None and login.user.username == "li.ming"
    stored = db.scalars(select(UserSession)).one()
    assert stored.id != login.token and len(stored.id) == 64  # only the token's hash is kept
    assert _actions(db) == ["user.created", "user.login_failed", "user.login_failed", "user.logged_in"]
    assert resolve_session(db, token=login.token, idle=IDLE, absolute=ABSOLUTE).username == "li.ming"


def test_each_login_gets_a_new_session_token(db):
    add_user(db, username="li.ming", password="long-enough-password", role=Role.JUDGE, by=ADMIN)
    first = authenticate(db, username="li.ming", password="long-enough-password")
    second = authenticate(db, username="li.ming", password="long-enough-password")
    assert first.token != second.token


def test_sessions_expire_when_idle_or_too_old(db):
    add_user(db, username="li.ming", password="long-enough-password", role=Role.JUDGE, by=ADMIN)
    login = authenticate(db, username="li.ming", password="long-enough-password")
    db.commit()
    now = dt.datetime.now(dt.UTC)
    assert resolve_session(db, token=login.token, idle=IDLE, absolute=ABSOLUTE, now=now + dt.timedelta(minutes=59))
    assert resolve_session(db, token=login.token, idle=IDLE, absolute=ABSOLUTE,
                           now=now + dt.timedelta(minutes=59 + 61)) is None
    assert db.scalars(select(UserSession)).all() == []
    login = authenticate(db, username="li.ming", password="long-enough-password")
    for hours in range(1, 14):  # kept busy, but the absolute limit still ends it
        user = resolve_session(db, token=login.token, idle=IDLE, absolute=ABSOLUTE, now=now + dt.timedelta(hours=hours))
    assert user is None


def test_logout_ends_the_session_and_is_audited(db):
    add_user(db, username="li.ming", password="long-enough-password", role=Role.JUDGE, by=ADMIN)
    login = authenticate(db, username="li.ming", password="long-enough-password")
    end_session(db, token=login.token)
    db.commit()
    assert resolve_session(db, token=login.token, idle=IDLE, absolute=ABSOLUTE) is None
    assert _actions(db)[-1] == "user.logged_out"


def test_failures_slow_down_their_own_address_progressively_whether_or_not_the_account_exists(db):
    from judging.accounts.service import FREE_FAILURES, LoginLocked

    add_user(db, username="li.ming", password="long-enough-password", role=Role.JUDGE, by=ADMIN)
    now = dt.datetime.now(dt.UTC)
    for name in ("li.ming", "ghost"):
        for attempt in range(FREE_FAILURES):
            assert authenticate(db, username=name, password="guess-number-x", client_address="10.6.6.6",
                                now=now) is None
        with pytest.raises(LoginLocked) as locked:
            authenticate(db, username=name, password="long-enough-password", client_address="10.6.6.6", now=now)
        assert locked.value.until == now + dt.timedelta(seconds=1)
    assert _actions(db).count("user.login_blocked") == 2
    # Past the delay the pair may try again; one more failure doubles the wait.
    later = now + dt.timedelta(seconds=1)
    assert authenticate(db, username="li.ming", password="guess-number-x", client_address="10.6.6.6",
                        now=later) is None
    with pytest.raises(LoginLocked) as locked:
        authenticate(db, username="li.ming", password="long-enough-password", client_address="10.6.6.6", now=later)
    assert locked.value.until == later + dt.timedelta(seconds=2)
    assert authenticate(db, username="li.ming", password="long-enough-password", client_address="10.6.6.6",
                        now=later + dt.timedelta(seconds=2)) is not None


def test_guesses_from_other_addresses_never_refuse_the_owner_s_right_password(db):
    """The issue's case: 5 wrong passwords for judge30 from 5 addresses used to lock judge30 out for 15 minutes."""
    from judging.accounts.service import LoginLocked, accounts_under_attack

    add_user(db, username="judge30", password="long-enough-password", role=Role.JUDGE, by=ADMIN)
    now = dt.datetime.now(dt.UTC)
    for address in range(5):
        for attempt in range(5):
            try:
                authenticate(db, username="judge30", password="guess-number-x", client_address=f"10.0.0.{address}",
                             now=now + dt.timedelta(seconds=attempt * 20))
            except LoginLocked:
                pass
    assert authenticate(db, username="judge30", password="long-enough-password", client_address="192.168.1.30",
                        now=now + dt.timedelta(seconds=90)) is not None
    # The admin's page is told: an existing account with many failures, from how many addresses.
    assert accounts_under_attack(db, now=now + dt.timedelta(seconds=90)) == [("judge30", 25, 5)]


def test_many_failures_from_one_address_lock_that_address(db):
    from judging.accounts.service import MAX_FAILURES_PER_ADDRESS, LoginLocked

    add_user(db, username="li.ming", password="long-enough-password", role=Role.JUDGE, by=ADMIN)
    for attempt in range(MAX_FAILURES_PER_ADDRESS):
        authenticate(db, username=f"user{attempt}", password="guess-number-x", client_address="10.9.9.9")
    with pytest.raises(LoginLocked):
        authenticate(db, username="li.ming", password="long-enough-password", client_address="10.9.9.9")
    assert authenticate(db, username="li.ming", password="long-enough-password", client_address="10.1.1.1")
