"""Switching the interface language (a cookie; works for anonymous visitors too)."""

from __future__ import annotations

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from judging.i18n import SUPPORTED_LOCALES
from judging.web.rendering import LANG_COOKIE
from judging.web.safety import same_site_referer


@get("/lang/{code:str}", sync_to_thread=False)
def set_language(request: Request, code: FromPath[str]) -> Redirect:
    if code not in SUPPORTED_LOCALES:
        raise NotFoundException()
    # Return to the page the switch was made on, if it is ours.
    response = Redirect(path=same_site_referer(request) or "/")
    response.set_cookie(LANG_COOKIE, code, samesite="lax", max_age=365 * 24 * 3600, path="/")
    return response
