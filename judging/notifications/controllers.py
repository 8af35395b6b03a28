"""People's pages: accounts (admin; organizer for experts' accounts), invitation links, forgot password,
my account (password, my notifications), and the organizer's outbox with its delivery status."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from judging.accounts.controllers import ROLE_HOME, _safe_next
from judging.accounts.manage import change_password, get_account, list_accounts, manageable_roles, set_active, \
    update_account
from judging.accounts.models import User
from judging.accounts.service import accounts_under_attack, open_session
from judging.accounts.tokens import LinkInvalid, check_token, redeem_token
from judging.errors import JudgingError, N_, NotFound
from judging.i18n import LOCALE_NAMES
from judging.jobs import start_job
from judging.notifications.invitations import forgot_password, invite, send_link
from judging.notifications.models import DeliveryStatus, Notification
from judging.notifications import permissions
from judging.web.auth import SESSION_COOKIE, current_user
from judging.web.guards import requires
from judging.web.forms import error_status, form_text, request_actor
from judging.web.rendering import DbSession, error_text, render

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
PAGE = 100
BACKLOG = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.FAILED)


def recent_notifications(db: Session, user: User, limit: int = 10) -> list[Notification]:
    return list(db.scalars(select(Notification).where(Notification.user_id == user.id)
                           .order_by(Notification.id.desc()).limit(limit)))


def _link_shown(request: Request, sent) -> str | None:
    # Without a mail server nobody receives the mail: the organizer or admin hands the link over.
    # With one, the link goes only to its owner's mailbox.
    return None if request.app.state.settings.smtp_url and sent.mailed else sent.url


class AccountsController(Controller):
    """Accounts, for the admin (every account) and the organizer (the experts' accounts)."""

    path = "/accounts"
    guards = [requires(permissions.ACCOUNTS)]

    def _list(self, request: Request, db: Session, *, status_code: int = 200, **context) -> Template:
        manager = current_user(request)
        return render(request, "pages/accounts.html", status_code=status_code,
                      accounts=list_accounts(db, manager=manager), roles=manageable_roles(manager),
                      locales=LOCALE_NAMES, alerts=accounts_under_attack(db), **context)

    @get("/", sync_to_thread=True)
    def index(self, request: Request, db: DbSession) -> Template:
        return self._list(request, db)

    @post("/", sync_to_thread=True)
    def create(self, request: Request, db: DbSession, data: FormData) -> Template | Redirect:
        manager = current_user(request)
        try:
            user, sent = invite(db, username=form_text(data, "username"), role=form_text(data, "role"),
                                email=form_text(data, "email"), display_name=form_text(data, "display_name"),
                                locale=form_text(data, "locale") or None, city=form_text(data, "city") or None,
                                manager=manager, by=request_actor(request))
            db.commit()
        except JudgingError as exc:
            db.rollback()
            if isinstance(exc, NotFound):
                raise NotFoundException() from None
            return self._list(request, db, status_code=error_status(exc), error=error_text(request, exc), form=data)
        return self._detail(request, db, user, created=True, link=_link_shown(request, sent), mailed=sent.mailed)

    def _detail(self, request: Request, db: Session, user: User, *, status_code: int = 200, **context) -> Template:
        return render(request, "pages/account_edit.html", status_code=status_code, account=user,
                      roles=manageable_roles(current_user(request)), locales=LOCALE_NAMES,
                      messages=recent_notifications(db, user, 20), **context)

    def _account(self, request: Request, db: Session, user_id: int) -> User:
        try:
            return get_account(db, user_id=user_id, manager=current_user(request))
        except NotFound:
            raise NotFoundException() from None

    @get("/{user_id:int}", sync_to_thread=True)
    def show(self, request: Request, db: DbSession, user_id: FromPath[int],
             notice: FromQuery[str | None] = None) -> Template:
        return self._detail(request, db, self._account(request, db, user_id), notice=notice)

    def _change(self, request: Request, db: Session, user: User, change, notice: str) -> Template | Redirect:
        try:
            result = change()
            db.commit()
        except JudgingError as exc:
            db.rollback()
            if isinstance(exc, NotFound):
                raise NotFoundException() from None
            db.refresh(user)
            return self._detail(request, db, user, status_code=error_status(exc), error=error_text(request, exc))
        if notice == "link":
            return self._detail(request, db, user, notice=notice, link=_link_shown(request, result),
                                mailed=result.mailed)
        return Redirect(path=f"/accounts/{user.id}", query_params={"notice": notice})

    @post("/{user_id:int}", sync_to_thread=True)
    def edit(self, request: Request, db: DbSession, user_id: FromPath[int], data: FormData) -> Template | Redirect:
        user = self._account(request, db, user_id)
        return self._change(request, db, user, lambda: update_account(
            db, user=user, role=form_text(data, "role"), display_name=form_text(data, "display_name"),
            email=form_text(data, "email"), locale=form_text(data, "locale") or None, city=form_text(data, "city"),
            manager=current_user(request), by=request_actor(request)), "saved")

    @post("/{user_id:int}/active", sync_to_thread=True)
    def active(self, request: Request, db: DbSession, user_id: FromPath[int], data: FormData) -> Template | Redirect:
        user = self._account(request, db, user_id)
        wanted = form_text(data, "active") == "1"
        return self._change(request, db, user, lambda: set_active(
            db, user=user, active=wanted, manager=current_user(request), by=request_actor(request)),
            "activated" if wanted else "deactivated")

    @post("/{user_id:int}/link", sync_to_thread=True)
    def link(self, request: Request, db: DbSession, user_id: FromPath[int]) -> Template | Redirect:
        user = self._account(request, db, user_id)

        def send():
            if not user.active:
                raise JudgingError(N_("Reactivate the account before sending it a link."))
            invited = not user.password_hash.startswith("$")
            return send_link(db, user=user, by=request_actor(request), purpose="invitation" if invited else "reset")

        return self._change(request, db, user, send, "link")


class LinkController(Controller):
    """What anyone may open: an invitation or reset link, and "forgot password"."""

    path = "/"

    @get("/invitation/{token:str}", sync_to_thread=True)
    def invitation(self, request: Request, db: DbSession, token: FromPath[str]) -> Template:
        try:
            row = check_token(db, token=token)
        except LinkInvalid as exc:
            return render(request, "pages/link_invalid.html", status_code=410, message=error_text(request, exc))
        return render(request, "pages/invitation.html", account=db.get(User, row.user_id), purpose=row.purpose,
                      token=token)

    @post("/invitation/{token:str}", sync_to_thread=True)
    def set_password(self, request: Request, db: DbSession, token: FromPath[str], data: FormData) -> Response:
        password = str(data.get("password") or "")
        try:
            row = check_token(db, token=token)
            next_path = row.next_path
            if password != str(data.get("password2") or ""):
                raise JudgingError(N_("The two passwords differ."))
            user = redeem_token(db, token=token, password=password)
            login = open_session(db, user=user, client_address=request.client.host if request.client else None)
            db.commit()
        except LinkInvalid as exc:
            db.rollback()
            return render(request, "pages/link_invalid.html", status_code=410, message=error_text(request, exc))
        except JudgingError as exc:
            db.rollback()
            return render(request, "pages/invitation.html", status_code=400, account=db.get(User, row.user_id),
                          purpose=row.purpose, token=token, error=error_text(request, exc))
        response = Redirect(path=_safe_next(next_path) or ROLE_HOME[user.role])
        response.set_cookie(SESSION_COOKIE, login.token, httponly=True, samesite="lax",
                            secure=request.app.state.settings.secure_cookies, path="/")
        return response

    @get("/forgot-password", sync_to_thread=False)
    def forgot_page(self, request: Request) -> Template:
        return render(request, "pages/forgot_password.html")

    @post("/forgot-password", sync_to_thread=True)
    def forgot(self, request: Request, db: DbSession, data: FormData) -> Template:
        forgot_password(db, username=form_text(data, "username"))
        db.commit()
        # The same answer whatever the name: the page must not tell which accounts exist.
        return render(request, "pages/forgot_password.html", sent=True)


class MyAccountController(Controller):
    """The logged-in user's own account: change the password, read my notifications."""

    path = "/account"
    guards = [requires(permissions.OWN_ACCOUNT)]

    @get("/", sync_to_thread=True)
    def show(self, request: Request, db: DbSession, notice: FromQuery[str | None] = None) -> Template:
        user = current_user(request)
        return render(request, "pages/my_account.html", messages=recent_notifications(db, user, 50), notice=notice)

    @post("/password", sync_to_thread=True)
    def password(self, request: Request, db: DbSession, data: FormData) -> Template | Redirect:
        user = db.get(User, current_user(request).id)
        try:
            if str(data.get("new_password") or "") != str(data.get("new_password2") or ""):
                raise JudgingError(N_("The two passwords differ."))
            change_password(db, user=user, current_password=str(data.get("current_password") or ""),
                            new_password=str(data.get("new_password") or ""),
                            keep_token=request.cookies.get(SESSION_COOKIE))
            db.commit()
        except JudgingError as exc:
            db.rollback()
            return render(request, "pages/my_account.html", status_code=400, error=error_text(request, exc),
                          messages=recent_notifications(db, user, 50))
        return Redirect(path="/account", query_params={"notice": "password"})

    @get("/notifications", sync_to_thread=True)
    def notifications(self, request: Request, db: DbSession) -> Template:
        return render(request, "fragments/my_notifications.html",
                      messages=recent_notifications(db, current_user(request), 5))


class OutboxController(Controller):
    """The organizer's view of the outbox: the backlog, and each message's delivery status."""

    path = "/organizer/outbox"
    guards = [requires(permissions.OUTBOX)]

    @get("/", sync_to_thread=True)
    def index(self, request: Request, db: DbSession, status: FromQuery[str | None] = None,
              job: FromQuery[int | None] = None) -> Template:
        counts = dict(db.execute(select(Notification.status, func.count()).group_by(Notification.status)).all())
        query = select(Notification).order_by(Notification.id.desc()).limit(PAGE)
        if status in {s.value for s in DeliveryStatus}:
            query = query.where(Notification.status == DeliveryStatus(status))
        else:  # deliveries only: notes shown on a home page have nothing to send
            query = query.where(Notification.status != DeliveryStatus.SHOWN)
        return render(request, "pages/outbox.html", counts=counts, messages=list(db.scalars(query)),
                      backlog=sum(counts.get(s, 0) for s in BACKLOG), status=status or "", statuses=DeliveryStatus,
                      job=job)

    @post("/deliver", sync_to_thread=True)
    def deliver(self, request: Request) -> Redirect:
        state = request.app.state
        job_id = start_job(state.session_factory, kind="notifications.deliver", params={}, by=request_actor(request),
                           database_url=state.settings.database_url)
        return Redirect(path=f"/jobs/{job_id}")


HANDLERS = (AccountsController, LinkController, MyAccountController, OutboxController)
