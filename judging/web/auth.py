"""Who is asking: the session cookie resolved to a user, and role guards that answer 404 to others."""

from __future__ import annotations

import datetime as dt

import anyio
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

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
    settings = state.settings
    with session_scope(state.session_factory) as session:
        user = resolve_session(session, token=token, idle=dt.timedelta(minutes=settings.session_idle_minutes),
                               absolute=dt.timedelta(hours=settings.session_absolute_hours))
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
