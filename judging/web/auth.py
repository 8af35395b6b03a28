"""Who is asking: the session cookie resolved to a user, and role guards that answer 404 to others."""

from __future__ import annotations

import datetime as dt

import anyio
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.orm import Session

from judging.accounts import Role, User, resolve_session
from judging.db import session_scope

SESSION_COOKIE = "judging_session"


class SessionUserMiddleware(ASGIMiddleware):
    """Put the logged-in user (or None) in ``scope['user']`` for guards and templates."""

    scopes = ("http", "websocket")

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["user"] = None
        path = scope.get("path", "")
        if not path.startswith("/static/"):
            token = _cookie(scope, SESSION_COOKIE)
            if token:
                state = scope["litestar_app"].state
                scope["user"] = await anyio.to_thread.run_sync(_resolve, state, token)
        await next_app(scope, receive, send)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                cookie_name, _, cookie_value = part.strip().partition("=")
                if cookie_name == name and cookie_value:
                    return cookie_value
    return None


def _resolve(state, token: str) -> User | None:
    """One query on every request. On PostgreSQL it runs on an autocommit connection: no BEGIN and
    COMMIT round trips around it, and the once-a-minute touch (or an expired session's deletion) is one
    statement that stands alone anyway. SQLite keeps its transaction (its BEGIN IMMEDIATE is local)."""
    settings = state.settings
    engine = state.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection, \
                Session(bind=connection, expire_on_commit=False) as session:
            return _resolved(session, token, settings)
    with session_scope(state.session_factory) as session:
        return _resolved(session, token, settings)


def _resolved(session: Session, token: str, settings) -> User | None:
    user = resolve_session(session, token=token, idle=dt.timedelta(minutes=settings.session_idle_minutes),
                           absolute=dt.timedelta(hours=settings.session_absolute_hours))
    session.flush()
    if user is not None:
        session.expunge(user)
    return user


def current_user(connection: ASGIConnection) -> User | None:
    return connection.scope.get("user")


def requires_role(*roles: Role):
    """A guard: anonymous users are sent to log in; users of another role get 404, as if nothing were there."""

    def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        user = current_user(connection)
        if user is None:
            raise NotAuthorizedException()
        if user.role not in roles:
            raise NotFoundException()

    guard.__name__ = "requires_" + "_or_".join(role.value for role in roles)
    return guard


def requires_login(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    if current_user(connection) is None:
        raise NotAuthorizedException()
