"""Switching the interface language (a cookie; works for anonymous visitors too)."""

from __future__ import annotations

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from judging.i18n import SUPPORTED_LOCALES
from judging.web.rendering import LANG_COOKIE


@get("/lang/{code:str}", sync_to_thread=False)
def set_language(request: Request, code: FromPath[str]) -> Redirect:
    if code not in SUPPORTED_LOCALES:
        raise NotFoundException()
    referer = request.headers.get("referer", "")
    host = request.headers.get("host", "")
    # Return to the page the switch was made on, if it is ours.
    target = "/"
    for prefix in (f"http://{host}", f"https://{host}"):
        if host and referer.startswith(prefix + "/"):
            target = referer[len(prefix):]
    response = Redirect(path=target)
    response.set_cookie(LANG_COOKIE, code, samesite="lax", max_age=365 * 24 * 3600, path="/")
    return response
