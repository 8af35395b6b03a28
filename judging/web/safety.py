"""What a URL may carry back to us: redirect targets on this site only, and banner messages as keys only."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from litestar import Request

from judging.errors import N_, JudgingError
from judging.i18n import known_message
from judging.web.rendering import gettext_for

# A path of this site: starts with one slash, then no second slash or backslash (a browser reads
# `//host` and `/\host` as another host), no control characters (header splitting).
_SAFE_PATH = re.compile(r"/(?![/\\])[^\x00-\x1f\x7f\\]*")
GENERIC_REFUSAL = N_("The change was refused; nothing was changed.")


def safe_target(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: the one rule every redirect taken from a
    request (``?next=``, the Referer) goes through."""
    if not target or not _SAFE_PATH.fullmatch(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def same_site_referer(request: Request) -> str | None:
    """The path of the page a request came from, if that page is ours (same host), else None."""
    referer = request.headers.get("referer", "")
    host = request.headers.get("host", "")
    parts = urlsplit(referer)
    if not host or parts.scheme not in ("http", "https") or parts.netloc != host:
        return None
    return safe_target(parts.path + (f"?{parts.query}" if parts.query else ""))


def error_query(error: JudgingError) -> dict[str, str]:
    """The query that carries a refusal to the page a POST redirects to: its message id, never its text.

    A message whose parameters would be lost (``{field}`` …) travels as the generic refusal; pages that
    must name the detail render the refusal themselves instead of redirecting."""
    message = error.message if not error.params else GENERIC_REFUSAL
    return {"error": message}



def url_error(request: Request) -> str | None:
    """The banner for ``?error=``: the translated message when the value is one of our message ids
    without parameters, else nothing (text typed into a link is never shown as ours)."""
    key = request.query_params.get("error")
    if not key or "{" in key or not known_message(key):
        return None
    return gettext_for(request)(key)
