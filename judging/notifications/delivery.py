"""The relay: claim a due message in a transaction, send it, record the outcome; retries with backoff.

A message moves queued → sending → sent, or back to queued with a later attempt, or to failed. The
claim is an UPDATE that only succeeds from the state the worker read, so two workers never send the
same message at once. A worker that dies mid-send leaves its claim behind; after the lease another
worker claims it again and sends it with the same Message-ID (fixed when it was queued), so a send the
dead worker never finished goes out once, and a receiving system can recognise a copy of one the server
had already accepted when the worker died.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from sqlalchemy import and_, or_, select, true, update
from sqlalchemy.orm import Session, sessionmaker

from judging import audit
from judging.accounts.models import AccountToken
from judging.accounts.tokens import token_of
from judging.db.base import utcnow
from judging.notifications.models import Channel, DeliveryStatus, Notification
from judging.notifications.transport import MailTransport, PermanentFailure, SmsAdapter, mail_transport, sms_adapter
from judging.settings import Settings

logger = logging.getLogger(__name__)
WORKER = audit.Actor.system("worker")
MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_RETRY = dt.timedelta(hours=6)


def backoff(attempts: int) -> dt.timedelta:
    """The wait before attempt ``attempts + 1``: 1, 2, 4 … minutes, at most 6 hours."""
    return min(LONGEST_RETRY, FIRST_RETRY * 2 ** max(0, attempts - 1))


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Claimed:
    id: int
    claim: str
    attempts: int


def _due(now: dt.datetime, lease: dt.timedelta):
    return or_(and_(Notification.status == DeliveryStatus.QUEUED, Notification.next_attempt_at <= now),
               and_(Notification.status == DeliveryStatus.SENDING, Notification.claimed_at < now - lease))


def claim_next(session_factory: sessionmaker[Session], *, now: dt.datetime, lease: dt.timedelta,
               skip: set[int]) -> _Claimed | None:
    """Claim the next due message in its own committed transaction, or None when nothing is due."""
    while True:
        with session_factory() as session:
            row = session.execute(select(Notification.id, Notification.status, Notification.claim)
                                  .where(_due(now, lease), Notification.id.not_in(skip) if skip else true())
                                  .order_by(Notification.next_attempt_at, Notification.id).limit(1)).first()
            if row is None:
                return None
            claim = secrets.token_hex(16)
            same_claim = Notification.claim.is_(None) if row.claim is None else Notification.claim == row.claim
            taken = session.execute(
                update(Notification).where(Notification.id == row.id, Notification.status == row.status, same_claim)
                .values(status=DeliveryStatus.SENDING, claim=claim, claimed_at=utcnow(),
                        attempts=Notification.attempts + 1)
                .execution_options(synchronize_session=False)).rowcount
            attempts = session.scalar(select(Notification.attempts).where(Notification.id == row.id))
            session.commit()
        if taken == 1:
            return _Claimed(row.id, claim, attempts)
        # Another worker claimed it between our read and our update: look for the next one.


def build_email(message: Notification, *, settings: Settings, link: str | None) -> EmailMessage:
    email = EmailMessage()
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at)
    email["From"] = settings.mail_from
    email["To"] = formataddr(("", message.address))
    email["Subject"] = message.subject
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body.replace("{link}", link) if link else message.body)
    return email


def _link(session: Session, message: Notification, settings: Settings) -> str | None:
    if message.link_token_id is None:
        return None
    token = session.get(AccountToken, message.link_token_id)
    return f"{settings.base_url}/invitation/{token_of(token)}" if token else None


def _settle(session_factory, claimed: _Claimed, values: dict, outcome: str | None, data: dict) -> bool:
    """Record the attempt's outcome, if the claim is still ours; ``outcome`` "sent" or "failed" is audited."""
    with session_factory() as session:
        done = session.execute(update(Notification).where(Notification.id == claimed.id,
                                                          Notification.claim == claimed.claim)
                               .values(**values).execution_options(synchronize_session=False)).rowcount
        if done == 1 and outcome:
            audit.append(session, actor=WORKER, action="notification.delivered" if outcome == "sent"
                         else "notification.failed", object_type="notification", object_id=claimed.id, data=data)
        session.commit()
    return done == 1


def deliver_one(session_factory: sessionmaker[Session], claimed: _Claimed, *, settings: Settings,
                mail: MailTransport, sms: SmsAdapter, report: DeliveryReport) -> None:
    with session_factory() as session:
        message = session.get(Notification, claimed.id)
        link = _link(session, message, settings)
        email = build_email(message, settings=settings, link=link) if message.channel is Channel.EMAIL else None
        channel, address, body, message_id = message.channel, message.address, message.body, message.message_id
    try:
        if email is not None:
            mail.send(email)
        else:
            sms.send(address, body, message_id=message_id)
    except Exception as exc:  # noqa: BLE001 (whatever the transport raises, the message stays accounted for)
        error = f"{type(exc).__name__}: {exc}"[:1000]
        final = isinstance(exc, PermanentFailure) or claimed.attempts >= MAX_ATTEMPTS
        if final:
            values = dict(status=DeliveryStatus.FAILED, claim=None, last_error=error)
            _settle(session_factory, claimed, values, "failed",
                    {"message_id": message_id, "attempts": claimed.attempts, "error": error[:200]})
            report.failed += 1
        else:
            values = dict(status=DeliveryStatus.QUEUED, claim=None, last_error=error,
                          next_attempt_at=utcnow() + backoff(claimed.attempts))
            _settle(session_factory, claimed, values, None, {})
            report.retried += 1
        report.errors.append(error)
        logger.warning("notification %s (%s) not delivered: %s", claimed.id, channel.value, error)
        return
    _settle(session_factory, claimed, dict(status=DeliveryStatus.SENT, claim=None, sent_at=utcnow(), last_error=None),
            "sent", {"message_id": message_id, "attempts": claimed.attempts})
    report.sent += 1


def deliver_due(session_factory: sessionmaker[Session], *, settings: Settings, mail: MailTransport | None = None,
                sms: SmsAdapter | None = None, limit: int = 500, progress=None) -> DeliveryReport:
    """Send what is due now (at most ``limit`` messages), one claim at a time."""
    mail = mail or mail_transport(settings)
    sms = sms or sms_adapter(settings)
    report = DeliveryReport()
    lease = dt.timedelta(seconds=settings.mail_lease_seconds)
    tried: set[int] = set()
    for count in range(limit):
        claimed = claim_next(session_factory, now=utcnow(), lease=lease, skip=tried)
        if claimed is None:
            break
        tried.add(claimed.id)  # a retry is for a later run, not this one
        deliver_one(session_factory, claimed, settings=settings, mail=mail, sms=sms, report=report)
        if progress:
            progress(count + 1)
    return report
