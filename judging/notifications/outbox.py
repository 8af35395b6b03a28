"""Queue notifications in the caller's transaction: who gets them, in which language, once (audited)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from judging import audit
from judging.accounts.models import AccountToken, Role, User
from judging.db.base import utcnow
from judging.notifications.messages import EVENTS, render
from judging.notifications.models import Channel, DeliveryStatus, Notification
from judging.settings import current

SYSTEM = audit.Actor.system("system")


@dataclass(frozen=True)
class Recipient:
    channel: Channel
    address: str
    name: str
    locale: str | None = None
    user_id: int | None = None


def email_to(address: str, *, name: str = "", locale: str | None = None) -> Recipient:
    return Recipient(Channel.EMAIL, address, name, locale)


def sms_to(number: str, *, name: str = "") -> Recipient:
    return Recipient(Channel.SMS, number, name)


def _of_users(users: Iterable[User]) -> list[Recipient]:
    # An account without an address still sees the message on its home page.
    return [Recipient(Channel.EMAIL if u.email else Channel.WEB, u.email or "", u.display_name, u.locale, u.id)
            for u in users if u.active]


def users(session: Session, ids: Select | Iterable[int | None]) -> list[Recipient]:
    """The active accounts among ``ids`` (a list, or a SELECT of user ids that the caller builds)."""
    wanted = set(session.scalars(ids)) if isinstance(ids, Select) else set(ids)
    wanted.discard(None)
    if not wanted:
        return []
    return _of_users(session.scalars(select(User).where(User.id.in_(wanted)).order_by(User.id)))


def office(session: Session) -> list[Recipient]:
    """The coordination office: every active organizer account."""
    return _of_users(session.scalars(select(User).where(User.role == Role.ORGANIZER).order_by(User.id)))


def city_accounts(session: Session, city: str) -> list[Recipient]:
    """The accounts attached to a nominating city (``users.city``). No account carries a city until the
    city accounts exist, so today this is nobody and such messages go nowhere."""
    return _of_users(session.scalars(select(User).where(User.city == city).order_by(User.id)))


def _message_id(row_id: int, domain: str) -> str:
    # Made from the row's id under the instance's key: unique, fixed when queued, and the same in two
    # databases that went through the same events (nothing random reaches the tables or the audit chain).
    key = current().resolved_secret_key().encode()
    tag = hmac.new(key, f"message:{row_id}".encode(), hashlib.sha256).hexdigest()[:20]
    return f"<n{row_id}.{tag}@{domain}>"


def queue(session: Session, *, event: str, to: Iterable[Recipient] | Select, by: audit.Actor = SYSTEM,
          dedupe: str | None = None, link: str | None = None, token: AccountToken | None = None,
          **params) -> list[Notification]:
    """One message per recipient, rendered in the recipient's language and audited as queued, in the
    caller's transaction (a rolled-back event sends nothing). ``to`` may be a SELECT of user ids.

    ``dedupe`` makes the message once-only per recipient: a recipient who already has a message with
    the same key gets none (reminders run twice send nothing new). ``link`` is the path the message is
    about; ``token`` a one-time link whose token is made only when sending.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    recipients = users(session, to) if isinstance(to, Select) else list(to)
    settings = current()
    domain = settings.mail_from.rpartition("@")[2] or "localhost"
    url = settings.base_url + link if link else ""
    queued: list[Notification] = []
    for recipient in recipients:
        key = f"{dedupe}:{recipient.channel.value}:{recipient.user_id or recipient.address}"[:200] if dedupe else None
        if key and session.scalar(select(func.count()).where(Notification.dedupe_key == key)):
            continue
        locale = recipient.locale or settings.default_locale
        subject, body = render(event, locale=locale, timezone=settings.timezone,
                               params={"name": recipient.name, "url": url, **params})
        row = Notification(message_id=f"<pending.{secrets.token_hex(16)}>", event=event, channel=recipient.channel,
                           user_id=recipient.user_id, address=recipient.address, locale=locale, subject=subject[:300],
                           body=body, link_token_id=token.id if token else None, link_path=link, dedupe_key=key,
                           status=DeliveryStatus.SHOWN if recipient.channel is Channel.WEB else DeliveryStatus.QUEUED,
                           next_attempt_at=utcnow())
        try:
            # A savepoint: a run racing this one to the same once-only key loses quietly, not the caller's event.
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            continue
        row.message_id = _message_id(row.id, domain)
        session.flush()
        audit.append(session, actor=by, action="notification.queued", object_type="notification", object_id=row.id,
                     data={"event": event, "channel": row.channel.value, "user_id": row.user_id,
                           "message_id": row.message_id})
        queued.append(row)
    return queued
