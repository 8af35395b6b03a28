"""Reading submitted form fields and answering refusals with their HTTP status, for every controller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import NotFoundException
from litestar.response import Redirect
from sqlalchemy.orm import Session

from judging import audit
from judging.accounts import actor_of
from judging.errors import Conflict, JudgingError, N_, NotFound
from judging.web.auth import current_user
from judging.web.rendering import error_text


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
