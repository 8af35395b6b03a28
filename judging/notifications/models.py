"""The outbox: one row per message to one recipient, written in the transaction of the event that causes it."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from judging.db.base import Base, enum_column, utcnow


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEB = "web"  # no address: shown on the recipient's home page only


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"    # waiting for its (next) attempt at ``next_attempt_at``
    SENDING = "sending"  # claimed by a worker (``claim``); a stale claim means the worker died mid-send
    SENT = "sent"
    FAILED = "failed"    # permanently refused, or out of attempts
    SHOWN = "shown"      # web only: nothing to deliver


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Fixed when queued, so a message sent again after a crash carries the same Message-ID and a
    # receiving system can drop the copy.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, length=8))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(300))
    # Rendered in the recipient's language when queued; "{link}" stands for a one-time link, made from
    # ``link_token_id`` only when the message is sent (the outbox never holds a working link).
    body: Mapped[str] = mapped_column(Text)
    link_token_id: Mapped[int | None] = mapped_column(ForeignKey("account_tokens.id", ondelete="SET NULL"))
    link_path: Mapped[str | None] = mapped_column(String(200))
    # Set for messages that must go only once (reminders): a second run finds the key taken.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
