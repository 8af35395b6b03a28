"""Invitations and password links: create an account and invite its owner, reset, forgot password, experts' logins."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit
from judging.accounts.manage import EMAIL, create_account
from judging.accounts.models import AccountToken, Role, User
from judging.accounts.tokens import issue_token, recent_reset, token_of
from judging.notifications.outbox import _of_users, queue
from judging.settings import current

ROLE_PAGE = {Role.ORGANIZER: "/organizer", Role.JUDGE: "/judge", Role.AUDITOR: "/auditor", Role.ADMIN: "/admin"}
FORGOT_INTERVAL = dt.timedelta(minutes=10)  # at most one "forgot password" mail per account in this time


@dataclass(frozen=True)
class SentLink:
    token: AccountToken
    mailed: bool  # False: the account has no e-mail address; hand the link over another way

    @property
    def url(self) -> str:
        return f"{current().base_url}/invitation/{token_of(self.token)}"


def send_link(session: Session, *, user: User, by: audit.Actor, purpose: str = "invitation",
              next_path: str | None = None) -> SentLink:
    """A one-time link for ``user`` (earlier ones die), mailed when the account has an address. Audited."""
    token = issue_token(session, user=user, purpose=purpose, by=by, next_path=next_path or ROLE_PAGE.get(user.role))
    event = "invitation" if purpose == "invitation" else "password_reset"
    if user.email:
        queue(session, event=event, to=_of_users([user]), by=by, token=token, username=user.username,
              expires=token.expires_at)
    return SentLink(token, bool(user.email))


def invite(session: Session, *, username: str, role: Role | str, email: str | None, by: audit.Actor,
           manager: User | None, display_name: str = "", locale: str | None = None,
           city: str | None = None) -> tuple[User, SentLink]:
    """Create an account without a password and send its owner an invitation to set one."""
    user = create_account(session, username=username, role=role, display_name=display_name, email=email,
                          locale=locale, city=city, manager=manager, by=by)
    return user, send_link(session, user=user, by=by)


def forgot_password(session: Session, *, username: str) -> None:
    """Mail a reset link to the account's known address. Says nothing either way (no enumeration): an
    unknown name, an inactive account, one without an address, or one asked for a moment ago gets nothing."""
    user = session.scalar(select(User).where(User.username == username.strip()[:64]))
    if user is None or not user.active or not user.email:
        return
    if recent_reset(session, user_id=user.id, within=FORGOT_INTERVAL):
        return
    send_link(session, user=user, by=audit.Actor.system("anonymous"), purpose="reset")


# ---------------------------------------------------------------------------- experts' logins


@dataclass
class ExpertLogins:
    """What the expert import did about logins: who was invited, who has no address (no login)."""

    invited: list[tuple[str, str]] = field(default_factory=list)   # (expert name, username)
    without_email: list[str] = field(default_factory=list)
    not_created: list[tuple[str, str]] = field(default_factory=list)  # (expert name, why)


def _username_for(session: Session, email: str, taken: set[str]) -> str:
    local = unicodedata.normalize("NFKC", email.partition("@")[0]).lower()
    base = re.sub(r"[^a-z0-9_.\-]+", "", local)[:56] or "expert"
    base = base if len(base) >= 3 else f"expert.{base}"
    candidate, n = base, 1
    while candidate in taken or session.scalar(select(User.id).where(User.username == candidate)) is not None:
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate)
    return candidate


def logins_for_experts(session: Session, *, experts: Iterable, by: audit.Actor) -> ExpertLogins:
    """Give each expert with an e-mail address and no login a judge's account, link it to the expert and
    invite them; list those without an address. ``experts`` are the pool's rows (``name``, ``email``,
    ``user_id`` read, ``user_id`` set), passed in by the expert import above this package."""
    report = ExpertLogins()
    taken: set[str] = set()
    for expert in experts:
        if expert.user_id is not None:
            continue
        email = (expert.email or "").strip()
        if not email:
            report.without_email.append(expert.name)
            continue
        if not EMAIL.match(email):
            report.not_created.append((expert.name, email))
            continue
        user, _link = invite(session, username=_username_for(session, email, taken), role=Role.JUDGE, email=email,
                             display_name=expert.name, by=by, manager=None)
        expert.user_id = user.id
        audit.append(session, actor=by, action="expert.account_linked", object_type="expert", object_id=expert.id,
                     data={"user_id": user.id, "previous_user_id": None})
        report.invited.append((expert.name, user.username))
    session.flush()
    return report
