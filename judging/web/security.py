"""Response headers that keep pages in their own origin: CSP without inline script, no framing, no sniffing."""

from __future__ import annotations

from litestar import Response

# Scripts only from our own origin (htmx and our .js files): an injected <script> never runs.
# Inline style attributes stay allowed (progress bars, chart widths); they cannot run code.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


async def add_security_headers(response: Response) -> Response:
    # Async although it does no I/O: Litestar runs a sync hook in the handlers' thread pool, where it
    # would queue behind waiting handlers while the request's session still holds its connection.
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    # Pages carry confidential content: no shared or browser cache may keep them.
    if "cache-control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
