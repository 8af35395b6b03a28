"""Helpers the web tests share: log in through the real form, read the CSRF token from a page."""

from __future__ import annotations

import re

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path)
    match = CSRF_FIELD.search(page.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def login(client, username: str, password: str, *, follow: bool = False):
    token = csrf_token(client)
    return client.post("/login", data={"username": username, "password": password, "_csrf_token": token},
                       follow_redirects=follow)
