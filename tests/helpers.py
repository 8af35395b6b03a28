"""Helpers the web tests share: log in through the real form, read the CSRF token from a page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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


JUDGING = str(Path(sys.executable).parent / "judging")


def run_cli(*args: str, url: str | None = None, stdin: str | None = None, env: dict | None = None):
    """Run the `judging` command as an operator would, against the database at ``url``."""
    environment = {**os.environ, **(env or {})}
    if url:
        environment["JUDGING_DATABASE_URL"] = url
    return subprocess.run([JUDGING, *args], input=stdin, capture_output=True, text=True, env=environment,
                          timeout=120)


TEST_SIGNER = None


def seal_log(session_factory):
    """Seal the audit log now, as the running app's sealer does every half second (tests run none)."""
    global TEST_SIGNER
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from judging import audit

    TEST_SIGNER = TEST_SIGNER or audit.Signer(Ed25519PrivateKey.generate())
    with session_factory() as session:
        result = audit.seal(session, signer=TEST_SIGNER)
        session.commit()
    return result
