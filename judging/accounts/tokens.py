"""One-time account links (invitations, password resets): issued, checked and used once, then dead."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from judging import audit
from judging.accounts.models import AccountToken, User
from judging.accounts.passwords import hash_password, validate_new_password
from judging.accounts.service import actor_of, end_sessions
from judging.db.base import utcnow
from judging.errors import JudgingError, N_
from judging.settings import current

PURPOSES = ("invitation", "reset")


class LinkInvalid(JudgingError):
    """Expired, used, replaced, tampered or for a deactivated account: one answer for all, nothing changed."""

    def __init__(self) -> None:
        super().__init__(N_("This link is not valid: it has expired, has been used already or has been replaced "
                            "by a newer one. Ask the office for a new link, or use “Forgot password” on the "
                            "login page."))


def _derive(nonce: str) -> str:
    key = current().resolved_secret_key().encode()
    digest = hmac.new(key, b"account-link:" + nonce.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def token_of(row: AccountToken) -> str:
    """The token of a link, made again from its nonce (the mail relay and the CLI print it)."""
    return _derive(row.nonce)


def issue_token(session: Session, *, user: User, purpose: str, by: audit.Actor, next_path: str | None = None,
                hours: int | None = None, now: dt.datetime | None = None) -> AccountToken:
    """A new link for ``user``; earlier unused links of the account stop working. Audited."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {PURPOSES}")
    now = now or utcnow()
    hours = hours if hours is not None else current().invitation_hours
    session.execute(update(AccountToken).where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None),
                                               AccountToken.revoked_at.is_(None)).values(revoked_at=now))
    nonce = secrets.token_urlsafe(32)
    row = AccountToken(user_id=user.id, purpose=purpose, nonce=nonce, token_hash=_hash(_derive(nonce)),
                       next_path=next_path, created_at=now, expires_at=now + dt.timedelta(hours=hours),
                       created_by_id=by.id)
    session.add(row)
    session.flush()
    audit.append(session, actor=by, action="user.link_issued", object_type="user", object_id=user.id,
                 data={"purpose": purpose, "token_id": row.id, "expires_at": row.expires_at.isoformat()})
    return row


def check_token(session: Session, *, token: str, now: dt.datetime | None = None) -> AccountToken:
    """The link's row if it may still be used; else :class:`LinkInvalid`."""
    now = now or utcnow()
    row = session.scalar(select(AccountToken).where(AccountToken.token_hash == _hash(token[:200])))
    if row is None or row.used_at is not None or row.revoked_at is not None or row.expires_at <= now:
        raise LinkInvalid()
    # The hash matched; comparing the derived token as well refuses a row whose nonce was altered.
    if not hmac.compare_digest(_derive(row.nonce), token):
        raise LinkInvalid()
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise LinkInvalid()
    return row


def redeem_token(session: Session, *, token: str, password: str, now: dt.datetime | None = None) -> User:
    """Set the account's own password through its link: the link is spent and every session of the
    account ends (whoever held the old password is out). Audited. Refused: nothing changed."""
    now = now or utcnow()
    row = check_token(session, token=token, now=now)
    user = session.get(User, row.user_id)
    validate_new_password(password, username=user.username)
    # Single use even when the link is submitted twice at once: only one UPDATE finds it unused.
    spent = session.execute(update(AccountToken).where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
                            .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if spent != 1:
        raise LinkInvalid()
    user.password_hash = hash_password(password)
    end_sessions(session, user_id=user.id)
    session.flush()
    audit.append(session, actor=actor_of(user), action="user.password_set",
                 object_type="user", object_id=user.id, data={"purpose": row.purpose, "token_id": row.id})
    return user


def revoke_tokens(session: Session, *, user_id: int, now: dt.datetime | None = None) -> None:
    session.execute(update(AccountToken).where(AccountToken.user_id == user_id, AccountToken.used_at.is_(None),
                                               AccountToken.revoked_at.is_(None)).values(revoked_at=now or utcnow()))


def recent_reset(session: Session, *, user_id: int, within: dt.timedelta, now: dt.datetime | None = None) -> bool:
    """A reset link was issued lately (``forgot password`` sends at most one per account in ``within``)."""
    now = now or utcnow()
    return session.scalar(select(AccountToken.id).where(
        AccountToken.user_id == user_id, AccountToken.purpose == "reset",
        AccountToken.created_at > now - within).limit(1)) is not None
