"""Managing accounts: who may manage which roles, create without a password, edit, (de)activate, change a password."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit
from judging.accounts.models import Role, User
from judging.accounts.passwords import check_password, hash_password, validate_new_password
from judging.accounts.service import USERNAME_PATTERN, actor_of, end_sessions, parse_role
from judging.accounts.tokens import revoke_tokens
from judging.errors import Conflict, JudgingError, N_, NotFound
from judging.i18n import SUPPORTED_LOCALES

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The marker of an account whose owner has not set a password yet (no argon2 hash starts with "!").
NO_PASSWORD = "!invited"
# Who manages which accounts: the admin every account; the organizer the experts' (judges') accounts
# and the city accounts (nominators).
MANAGED_BY: dict[Role, frozenset[Role]] = {Role.ADMIN: frozenset(Role),
                                           Role.ORGANIZER: frozenset({Role.JUDGE, Role.NOMINATOR})}


def manageable_roles(manager: User | None) -> list[Role]:
    """The roles ``manager`` may create and edit (None: the server's operator at the command line)."""
    if manager is None:
        return list(Role)
    return [role for role in Role if role in MANAGED_BY.get(manager.role, frozenset())]


def ensure_may_manage(manager: User | None, role: Role) -> None:
    """The one check of every change to an account: an account the manager may not manage is not there (404)."""
    if role not in manageable_roles(manager):
        raise NotFound("user")


def clean_email(value: str | None) -> str | None:
    email = unicodedata.normalize("NFKC", (value or "").strip())
    if not email:
        return None
    if len(email) > 200 or not EMAIL.match(email):
        raise JudgingError(N_("“{value}” is not an e-mail address."), value=email)
    return email


def _clean_locale(value: str | None) -> str | None:
    if not value:
        return None
    if value not in SUPPORTED_LOCALES:
        raise JudgingError(N_("Unknown language {value!r}."), value=value)
    return value


def _clean_city(value: str | None, role: Role | None = None) -> str | None:
    """The account's city; a nominator acts for exactly one, so its account cannot be without it."""
    city = (value or "").strip()
    if len(city) > 50:
        raise JudgingError(N_("Too long (at most {limit} characters)."), limit=50)
    if role is Role.NOMINATOR and not city:
        raise JudgingError(N_("A city account needs the city it nominates for."))
    return city or None


def create_account(session: Session, *, username: str, role: Role | str, display_name: str = "",
                   email: str | None = None, locale: str | None = None, city: str | None = None,
                   manager: User | None, by: audit.Actor) -> User:
    """An account without a password: its owner sets one through an invitation. Audited."""
    role = parse_role(role) if isinstance(role, str) else role
    ensure_may_manage(manager, role)
    username = username.strip()
    if not USERNAME_PATTERN.match(username):
        raise JudgingError(N_("The username must be 3 to 64 letters, digits, dots, dashes or underscores."))
    display_name = display_name.strip()[:100] or username
    email, locale, city = clean_email(email), _clean_locale(locale), _clean_city(city, role)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(N_("The username {username!r} is already taken."), username=username)
    user = User(username=username, display_name=display_name, role=role, password_hash=NO_PASSWORD, email=email,
                locale=locale, city=city, active=True)
    session.add(user)
    session.flush()
    audit.append(session, actor=by, action="user.created", object_type="user", object_id=user.id,
                 data={"username": username, "role": role.value, "display_name": display_name, "email": email,
                       "city": city, "invited": True})
    return user


def update_account(session: Session, *, user: User, role: Role | str, display_name: str, email: str | None,
                   locale: str | None, city: str | None, manager: User | None, by: audit.Actor) -> User:
    """Change an account's role and details (audited, before and after); a new role ends its sessions."""
    role = parse_role(role) if isinstance(role, str) else role
    ensure_may_manage(manager, user.role)
    ensure_may_manage(manager, role)
    if manager is not None and manager.id == user.id and role is not user.role:
        raise JudgingError(N_("You cannot change your own role."))
    after = {"role": role.value, "display_name": display_name.strip()[:100] or user.username,
             "email": clean_email(email), "locale": _clean_locale(locale), "city": _clean_city(city, role)}
    before = {"role": user.role.value, "display_name": user.display_name, "email": user.email,
              "locale": user.locale, "city": user.city}
    if after == before:
        return user
    role_changed = role is not user.role
    user.role, user.display_name, user.email = role, after["display_name"], after["email"]
    user.locale, user.city = after["locale"], after["city"]
    if role_changed:
        # Pages already open were granted under the old role: the account logs in again.
        end_sessions(session, user_id=user.id)
    session.flush()
    audit.append(session, actor=by, action="user.role_changed" if role_changed else "user.updated",
                 object_type="user", object_id=user.id, data={"before": before, "after": after})
    return user


def set_active(session: Session, *, user: User, active: bool, manager: User | None, by: audit.Actor) -> int:
    """Deactivate (no login; every session ends at once; open links die) or reactivate. Audited.
    Returns the number of sessions ended."""
    ensure_may_manage(manager, user.role)
    if manager is not None and manager.id == user.id and not active:
        raise JudgingError(N_("You cannot deactivate your own account."))
    if user.active == active:
        return 0
    user.active = active
    ended = 0
    if not active:
        ended = end_sessions(session, user_id=user.id)
        revoke_tokens(session, user_id=user.id)
    session.flush()
    audit.append(session, actor=by, action="user.activated" if active else "user.deactivated", object_type="user",
                 object_id=user.id, data={"username": user.username, "sessions_ended": ended})
    return ended


def change_password(session: Session, *, user: User, current_password: str, new_password: str,
                    keep_token: str | None) -> int:
    """The logged-in owner changes their password: every other session of the account ends. Audited."""
    if not check_password(user.password_hash if user.password_hash.startswith("$") else None, current_password):
        raise JudgingError(N_("The current password is not correct."))
    validate_new_password(new_password, username=user.username)
    user.password_hash = hash_password(new_password)
    ended = end_sessions(session, user_id=user.id, keep_token=keep_token)
    session.flush()
    audit.append(session, actor=actor_of(user), action="user.password_changed",
                 object_type="user", object_id=user.id, data={"other_sessions_ended": ended})
    return ended


def get_account(session: Session, *, user_id: int, manager: User | None) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    ensure_may_manage(manager, user.role)
    return user


def list_accounts(session: Session, *, manager: User | None) -> list[User]:
    roles = manageable_roles(manager)
    return list(session.scalars(select(User).where(User.role.in_(roles)).order_by(User.role, User.username)))
