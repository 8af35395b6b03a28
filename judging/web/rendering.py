"""One way to render a page or fragment: adds the user, locale, translations and CSRF token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy.orm import Session

from judging.errors import JudgingError
from judging.web.auth import current_user
from judging.web.i18n import LOCALE_NAMES, pick_locale, translations

LANG_COOKIE = "lang"


def request_locale(request: Request) -> str:
    user = current_user(request)
    return pick_locale(cookie=request.cookies.get(LANG_COOKIE), user_locale=user.locale if user else None,
                       default=request.app.state.settings.default_locale)


def gettext_for(request: Request):
    return translations(request_locale(request)).gettext


def render(request: Request, template_name: str, *, status_code: int = 200, **context: Any) -> Template:
    locale = request_locale(request)
    catalog = translations(locale)
    return Template(template_name=template_name, status_code=status_code, context={
        "_": catalog.gettext,
        "ngettext": catalog.ngettext,
        "locale": locale,
        "html_lang": locale.replace("_", "-"),
        "locale_names": LOCALE_NAMES,
        "user": current_user(request),
        "is_htmx": request.headers.get("hx-request") == "true",
        **context,
    })


def error_text(request: Request, error: JudgingError) -> str:
    return error.render(gettext_for(request))


def provide_db(request: Request) -> Iterator[Session]:
    """A session per request; handlers that change state commit explicitly before they answer."""
    session = request.app.state.session_factory()
    try:
        yield session
    finally:
        session.close()


DbSession = NamedDependency[Session]
