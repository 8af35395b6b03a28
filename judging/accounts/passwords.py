"""Password hashing with argon2id (argon2-cffi) and the password rules users are held to."""

from __future__ import annotations

import os
import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from judging.errors import JudgingError, N_

# argon2-cffi's defaults follow RFC 9106's second recommended profile (argon2id, 64 MiB, t=3).
# The test suite alone sets JUDGING_PASSWORD_PROFILE=cheapest: thousands of logins in tests would
# otherwise spend minutes hashing. Hashes record their parameters, so both kinds verify anywhere.
_hasher = (PasswordHasher.from_parameters(profiles.CHEAPEST)
           if os.environ.get("JUDGING_PASSWORD_PROFILE") == "cheapest" else PasswordHasher())
MIN_LENGTH = 12
MAX_LENGTH = 128
# A dummy hash verified for unknown users, so a login takes as long whether the user exists or not.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def validate_new_password(password: str, *, username: str = "") -> None:
    """OWASP ASVS 2.1: at least 12 characters, at most 128, any characters, not the username."""
    if len(password) < MIN_LENGTH:
        raise JudgingError(N_("The password must have at least {n} characters."), n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise JudgingError(N_("The password must have at most {n} characters."), n=MAX_LENGTH)
    if username and username.lower() in password.lower():
        raise JudgingError(N_("The password must not contain the username."))


def generate_password() -> str:
    """A random password of 16 URL-safe characters (about 96 bits)."""
    return secrets.token_urlsafe(12)
