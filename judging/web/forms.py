"""Reading submitted form fields, answering refusals with their HTTP status, and the confirmation step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import NotFoundException
from litestar.response import Redirect
from sqlalchemy.orm import Session

from judging import audit
from judging.accounts import actor_of
from judging.accounts.permissions import Refused
from judging.errors import Conflict, JudgingError, N_, NotFound
from judging.web.auth import current_user
from judging.web.rendering import error_text, gettext_for, render


def form_text(data: dict[str, Any], name: str, default: str = "") -> str:
    """A field as stripped text; a field sent twice counts by its last value."""
    value = data.get(name, default)
    if isinstance(value, list):
        value = value[-1] if value else default
    return str(value).strip()


def form_int(data: dict[str, Any], name: str, default: int | None = None) -> int:
    raw = form_text(data, name)
    if not raw and default is not None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise JudgingError(N_("{field} must be a whole number."), field=name) from None


def form_values(data: dict[str, Any], name: str) -> list[str]:
    """Every non-blank value of a field that may be sent several times (checkboxes, multi-selects)."""
    value = data.get(name, [])
    return [str(v).strip() for v in (value if isinstance(value, list) else [value]) if str(v).strip()]


def form_ints(data: dict[str, Any], name: str) -> list[int]:
    try:
        return [int(v) for v in form_values(data, name)]
    except ValueError:
        raise JudgingError(N_("{field} must be a whole number."), field=name) from None


def error_status(error: JudgingError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Refused):
        return 403
    return 409 if isinstance(error, Conflict) else 400


def commit_or_refuse(request: Request, db: Session, change: Callable[[], Any], *, then: str,
                     refused: Callable[[str, int], Response], query: dict[str, str] | None = None) -> Response:
    """Run a service change and commit it, then redirect to ``then``; a refusal rolls everything back
    and answers ``refused(message, status)`` (the page again, with the reason); an unknown id is a 404."""
    try:
        change()
        db.commit()
    except JudgingError as exc:
        db.rollback()
        if isinstance(exc, NotFound):
            raise NotFoundException() from None
        return refused(error_text(request, exc), error_status(exc))
    params = {"notice": "saved"} if query is None else query
    return Redirect(path=then, query_params=params or None)


def request_actor(request: Request) -> audit.Actor:
    return actor_of(current_user(request))


CONFIRMED = "confirmed"


def confirmed(data: dict[str, Any]) -> bool:
    """Whether the form came from the confirmation page (an irreversible action's second step)."""
    return form_text(data, CONFIRMED) == "1"


def confirm_page(request: Request, *, title: str, consequence: str, action: str, data: dict[str, Any] | None = None,
                 back: str, button: str = "", details: list[str] | tuple[str, ...] = (),
                 template: str = "pages/confirm.html", **context: Any) -> Response:
    """The confirmation step of an irreversible action: a page stating ``consequence`` (already translated),
    whose form posts the same fields to ``action`` again with ``confirmed=1``; ``back`` cancels.

    A controller answers a POST without ``confirmed`` with this page and does the change only with it, then
    redirects (Post/Redirect/Get), so a refresh never repeats the action. ``details`` lists what the action
    touches (e.g. what goes public); ``template`` lets a part show more on its own page built on this one."""
    fields = [(name, value) for name, raw in (data or {}).items() if name not in (CONFIRMED, "_csrf_token")
              for value in (raw if isinstance(raw, list) else [raw]) if not hasattr(value, "read")]
    return render(request, template, title=title, consequence=consequence, action=action, fields=fields,
                  back=back, button=button, details=list(details), **context)


def needs_confirmation(request: Request, data: dict[str, Any], *, title: str, consequence: str, back: str,
                       button: str = "", details: list[str] | tuple[str, ...] = (), **params: Any) -> Response | None:
    """None once the user has confirmed; else the confirmation page. ``title``, ``consequence`` and ``button`` are
    message ids formatted with ``params``; ``details`` are shown as they are. Usage in a handler:
    ``if (page := needs_confirmation(request, data, title=N_(...), consequence=N_(...), back=...)): return page``."""
    if confirmed(data):
        return None
    _ = gettext_for(request)
    return confirm_page(request, title=_(title).format(**params), consequence=_(consequence).format(**params),
                        action=request.url.path, data=data, back=back,
                        button=_(button).format(**params) if button else "", details=details)
