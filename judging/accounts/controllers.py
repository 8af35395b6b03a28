"""Login, logout, the landing redirect to each role's home, and the admin's list of accounts."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select

from judging.accounts.models import Role, User
from judging.accounts.service import LoginLocked, accounts_under_attack, authenticate, end_session
from judging.accounts.permissions import ADMIN
from judging.web.auth import SESSION_COOKIE, current_user
from judging.web.guards import requires
from judging.web.rendering import DbSession, render
from judging.web.safety import safe_target

ROLE_HOME = {Role.ORGANIZER: "/organizer", Role.JUDGE: "/judge", Role.AUDITOR: "/auditor", Role.ADMIN: "/admin",
             Role.NOMINATOR: "/city"}


@get("/", sync_to_thread=False)
def home(request: Request) -> Redirect:
    user = current_user(request)
    return Redirect(path=ROLE_HOME[user.role] if user else "/login")


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: an attacker's link must not bounce a fresh login to another host.
    return safe_target(target)


class AccountController(Controller):
    path = "/"

    @get("/login", sync_to_thread=False)
    def login_page(self, request: Request, next: FromQuery[str | None] = None) -> Template | Redirect:
        user = current_user(request)
        if user is not None:
            return Redirect(path=ROLE_HOME[user.role])
        return render(request, "pages/login.html", next=_safe_next(next) or "")

    @post("/login", sync_to_thread=True)
    def login(self, request: Request, db: DbSession,
              data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template | Redirect:
        username = (data.get("username") or "").strip()
        password = data.get("password") or ""
        client = request.client.host if request.client else None
        try:
            login = authenticate(db, username=username, password=password, client_address=client)
        except LoginLocked as locked:
            db.commit()  # the lock-out's audit event
            return render(request, "pages/login.html", status_code=429, locked_until=locked.until,
                          username=username, next=_safe_next(data.get("next")) or "")
        db.commit()
        if login is None:
            return render(request, "pages/login.html", status_code=401, failed=True, username=username,
                          next=_safe_next(data.get("next")) or "")
        target = _safe_next(data.get("next")) or ROLE_HOME[login.user.role]
        response = Redirect(path=target)
        settings = request.app.state.settings
        response.set_cookie(SESSION_COOKIE, login.token, httponly=True, samesite="lax", secure=settings.secure_cookies,
                            path="/")
        return response

    @post("/logout", sync_to_thread=True)
    def logout(self, request: Request, db: DbSession) -> Redirect:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            end_session(db, token=token)
            db.commit()
        response = Redirect(path="/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


class AdminController(Controller):
    """The admin's list of accounts."""

    path = "/admin"
    guards = [requires(ADMIN)]

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession) -> Template:
        users = db.scalars(select(User).order_by(User.role, User.username)).all()
        return render(request, "pages/admin_home.html", users=users, alerts=accounts_under_attack(db))
