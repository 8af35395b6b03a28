"""Users, their roles and their server-side login sessions."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from judging.db.base import Base, enum_column, utcnow


class Role(enum.StrEnum):
    ORGANIZER = "organizer"
    JUDGE = "judge"
    AUDITOR = "auditor"
    ADMIN = "admin"
    # A nominating city union's office: its accounts carry ``User.city`` and see only that city's nominations.
    NOMINATOR = "nominator"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    # Where invitations, password links and notifications go; an account without one gets no mail.
    email: Mapped[str | None] = mapped_column(String(200))
    # The nominating city an account acts for (city accounts); such accounts receive the formal
    # review's returns of that city's nominations.
    city: Mapped[str | None] = mapped_column(String(50), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    sessions: Mapped[list[UserSession]] = relationship(back_populates="user", cascade="all, delete-orphan")


class UserSession(Base):
    """A login: the cookie carries a random token, the table keeps only its SHA-256."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    client_address: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship(back_populates="sessions")


class LoginFailure(Base):
    """One failed login, kept briefly to slow down password guessing per account and per address."""

    __tablename__ = "login_failures"
    # The progressive delay counts the failures of one name from one address.
    __table_args__ = (Index("ix_login_failures_username_client_address", "username", "client_address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The name as typed, whether or not such a user exists: lock-outs must not reveal accounts.
    username: Mapped[str] = mapped_column(String(64), index=True)
    client_address: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class AccountToken(Base):
    """A one-time link (invitation or password reset) bound to one account.

    The link's token is never stored: it is an HMAC of ``nonce`` under the instance's secret key, so
    a copy of the database alone cannot produce a working link; ``token_hash`` (SHA-256 of the token)
    finds the row when the link comes back.
    """

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # "invitation" or "reset"
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    next_path: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
