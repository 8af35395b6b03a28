"""Accounts: create users, authenticate, and keep server-side login sessions."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload

from judging import audit
from judging.accounts.models import LoginFailure, Role, User, UserSession
from judging.accounts.passwords import check_password, hash_password, validate_new_password
from judging.db.base import utcnow
from judging.errors import Conflict, JudgingError, N_

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{3,64}$")


def actor_of(user: User) -> audit.Actor:
    return audit.Actor(user.id, user.username)


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise JudgingError(N_("Unknown role {role!r}: use one of {roles}."),
                           role=value, roles=", ".join(r.value for r in Role)) from None


def add_user(session: Session, *, username: str, password: str, role: Role | str, display_name: str = "",
             by: audit.Actor, password_hash: str | None = None, city: str | None = None) -> User:
    """Create an account (audited). Refuses a malformed or taken username and weak passwords.

    ``password_hash`` lets a caller that creates many accounts with one published password (the
    demo) hash it once; the password rules are still checked. ``city``: the city a nominator acts for
    (required for that role).
    """
    role = parse_role(role) if isinstance(role, str) else role
    city = (city or "").strip()[:50] or None
    if role is Role.NOMINATOR and city is None:
        raise JudgingError(N_("A city account needs the city it nominates for."))
    if not USERNAME_PATTERN.match(username):
        raise JudgingError(N_("The username must be 3 to 64 letters, digits, dots, dashes or underscores."))
    validate_new_password(password, username=username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(N_("The username {username!r} is already taken."), username=username)
    user = User(username=username, display_name=display_name or username, role=role,
                password_hash=password_hash or hash_password(password), city=city)
    session.add(user)
    session.flush()
    audit.append(session, actor=by, action="user.created", object_type="user", object_id=user.id,
                 data={"username": username, "role": role.value, "display_name": user.display_name,
                       **({"city": city} if city else {})})
    return user


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Login:
    user: User
    token: str


# Lock-out without denial of service (OWASP ASVS 2.2.1): failures slow down the pair (account name,
# address) that made them, with a delay that doubles after a few free tries, and an address that
# fails too often overall is refused. A stranger guessing `judge30` from elsewhere therefore never
# delays the judge's own login from their own address.
FAILURE_WINDOW = dt.timedelta(minutes=15)
FREE_FAILURES = 3            # per (account name, address), before any delay
MAX_DELAY = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ADDRESS = 30
# The admin's page lists accounts with at least this many failures in a day, from anywhere.
ALERT_FAILURES = 10
ALERT_WINDOW = dt.timedelta(hours=24)


class LoginLocked(JudgingError):
    """Too many recent failures for this account name from this address, or from this address at all;
    ``until`` says when to retry."""

    def __init__(self, until: dt.datetime) -> None:
        super().__init__(N_("Too many failed logins. Try again after {until}."), until=until)
        self.until = until


def _same_address(client_address: str | None):
    return LoginFailure.client_address.is_(None) if client_address is None \
        else LoginFailure.client_address == client_address


def retry_delay(failures: int) -> dt.timedelta:
    """The wait after ``failures`` recent failures of one pair: none for the first few, then 1 s, 2 s,
    4 s … doubling up to 15 minutes."""
    if failures < FREE_FAILURES:
        return dt.timedelta(0)
    return min(MAX_DELAY, dt.timedelta(seconds=2 ** min(failures - FREE_FAILURES, 20)))


def _check_lockout(session: Session, *, username: str, client_address: str | None, now: dt.datetime) -> None:
    since = now - FAILURE_WINDOW
    pair = session.scalars(select(LoginFailure.at).where(LoginFailure.username == username,
                                                         _same_address(client_address), LoginFailure.at > since)
                           .order_by(LoginFailure.at.desc()).limit(64)).all()
    if pair:
        until = pair[0] + retry_delay(len(pair))
        if until > now:
            raise LoginLocked(until)
    if client_address is not None:
        recent = session.scalars(select(LoginFailure.at).where(_same_address(client_address), LoginFailure.at > since)
                                 .order_by(LoginFailure.at.desc()).limit(MAX_FAILURES_PER_ADDRESS)).all()
        if len(recent) >= MAX_FAILURES_PER_ADDRESS:
            raise LoginLocked(recent[-1] + FAILURE_WINDOW)


def accounts_under_attack(session: Session, *, now: dt.datetime | None = None) -> list[tuple[str, int, int]]:
    """Existing accounts with many failed logins in the last day: (username, failures, addresses)."""
    now = now or utcnow()
    rows = session.execute(
        select(LoginFailure.username, func.count(), func.count(func.distinct(LoginFailure.client_address)))
        .join(User, User.username == LoginFailure.username)
        .where(LoginFailure.at > now - ALERT_WINDOW).group_by(LoginFailure.username)
        .having(func.count() >= ALERT_FAILURES).order_by(func.count().desc())).all()
    return [(username, failures, addresses) for username, failures, addresses in rows]


def _usable_hash(user: User | None) -> str | None:
    # An invited account has no password until its owner sets one (its hash field holds a marker).
    return user.password_hash if user is not None and user.password_hash.startswith("$") else None


def authenticate(session: Session, *, username: str, password: str, client_address: str | None = None,
                 now: dt.datetime | None = None) -> Login | None:
    """Check the password; on success open a new session (a fresh token: ids rotate at login).

    Returns None on any failure, whatever the reason, so callers show one generic message.
    Raises :class:`LoginLocked` while this account name from this address is in its delay, or the
    address has too many recent failures (checked before the password, so a delayed pair cannot be
    probed). Successes, failures and refusals are all audit events.
    """
    now = now or utcnow()
    username = username[:64]
    try:
        _check_lockout(session, username=username, client_address=client_address, now=now)
    except LoginLocked:
        audit.append(session, actor=audit.Actor.system("anonymous"), action="user.login_blocked",
                     object_type="user", object_id="-", data={"username": username, "client": client_address})
        raise
    user = session.scalar(select(User).where(User.username == username))
    valid = check_password(_usable_hash(user), password)
    if not (valid and user is not None and user.active):
        session.execute(delete(LoginFailure).where(LoginFailure.at < now - ALERT_WINDOW))
        session.add(LoginFailure(username=username, client_address=client_address, at=now))
        audit.append(session, actor=audit.Actor.system("anonymous"), action="user.login_failed",
                     object_type="user", object_id=user.id if user else "-",
                     data={"username": username, "client": client_address})
        return None
    session.execute(delete(LoginFailure).where(LoginFailure.username == username, _same_address(client_address)))
    token = secrets.token_urlsafe(32)
    session.add(UserSession(id=_token_id(token), user_id=user.id, client_address=client_address))
    audit.append(session, actor=actor_of(user), action="user.logged_in", object_type="user", object_id=user.id,
                 data={"client": client_address})
    return Login(user, token)


def open_session(session: Session, *, user: User, client_address: str | None) -> Login:
    """A login without a password check, for the owner who has just set their password through a link."""
    token = secrets.token_urlsafe(32)
    session.add(UserSession(id=_token_id(token), user_id=user.id, client_address=client_address))
    audit.append(session, actor=actor_of(user), action="user.logged_in", object_type="user", object_id=user.id,
                 data={"client": client_address, "through": "link"})
    return Login(user, token)


def end_sessions(session: Session, *, user_id: int, keep_token: str | None = None) -> int:
    """End every session of an account (but the one whose cookie is ``keep_token``); returns how many."""
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_token:
        query = query.where(UserSession.id != _token_id(keep_token))
    return session.execute(query.execution_options(synchronize_session=False)).rowcount


def resolve_session(session: Session, *, token: str, idle: dt.timedelta, absolute: dt.timedelta,
                    now: dt.datetime | None = None) -> User | None:
    """The user behind a session cookie, or None when unknown, expired (idle or absolute) or inactive."""
    now = now or utcnow()
    # One query for the session and its user: this runs on every request.
    login = session.get(UserSession, _token_id(token), options=[joinedload(UserSession.user)])
    if login is None:
        return None
    if now - login.last_seen_at > idle or now - login.created_at > absolute or not login.user.active:
        session.delete(login)
        return None
    # Touch at most once a minute: a read-only page should not write on every request.
    if now - login.last_seen_at > dt.timedelta(minutes=1):
        login.last_seen_at = now
    return login.user


def end_session(session: Session, *, token: str) -> None:
    login = session.get(UserSession, _token_id(token))
    if login is None:
        return
    audit.append(session, actor=actor_of(login.user), action="user.logged_out", object_type="user",
                 object_id=login.user_id)
    session.execute(delete(UserSession).where(UserSession.id == login.id))
