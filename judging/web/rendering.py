"""One way to render a page or fragment: adds the user, locale, translations and CSRF token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy.orm import Session

from judging.accounts.permissions import decide
from judging.errors import JudgingError
from judging.web.auth import current_user
from judging.i18n import LOCALE_NAMES, pick_locale, translations

LANG_COOKIE = "lang"


def request_locale(request: Request) -> str:
    user = current_user(request)
    return pick_locale(cookie=request.cookies.get(LANG_COOKIE), user_locale=user.locale if user else None,
                       default=request.app.state.settings.default_locale)


def gettext_for(request: Request):
    return translations(request_locale(request)).gettext


@dataclass(frozen=True)
class ActionState:
    allowed: bool
    hidden: bool   # the user may not know of the action: no button at all
    reason: str    # why it is refused now, in the user's language (a disabled button shows it)


def render(request: Request, template_name: str, *, status_code: int = 200, **context: Any) -> Template:
    locale = request_locale(request)
    catalog = translations(locale)
    user = current_user(request)

    def action(perm, obj=None) -> ActionState:
        """May ``user`` do ``perm`` on ``obj`` now: templates show the button, hide it, or disable it with the reason."""
        decision = decide(user, perm, obj, session=context.get("db"))
        reason = decision.reason.render(catalog.gettext) if decision.reason and not decision.allowed else ""
        return ActionState(decision.allowed, decision.hidden and not decision.allowed, reason)

    return Template(template_name=template_name, status_code=status_code, context={
        "_": catalog.gettext,
        "ngettext": catalog.ngettext,
        "locale": locale,
        "html_lang": locale.replace("_", "-"),
        "locale_names": LOCALE_NAMES,
        "user": user,
        "can": lambda perm, obj=None: decide(user, perm, obj, session=context.get("db")).allowed,
        "action": action,
        "is_htmx": request.headers.get("hx-request") == "true",
        **context,
    })


def error_text(request: Request, error: JudgingError) -> str:
    return error.render(gettext_for(request))


async def provide_db(request: Request) -> AsyncIterator[Session]:
    """A session per request; handlers that change state commit explicitly before they answer.

    Async on purpose, so that closing it (which gives its connection back to the pool) runs on the
    event loop. Litestar closes a sync generator in the same thread pool as the handlers, queued
    behind them: under a burst larger than the pool, the sessions holding every connection then
    waited to be closed behind handlers waiting for a connection, until the pool timed out (500).
    """
    session = request.app.state.session_factory()
    try:
        yield session
    finally:
        session.close()


DbSession = NamedDependency[Session]
