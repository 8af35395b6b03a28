"""Password hashing with argon2id (argon2-cffi) and the password rules users are held to."""

from __future__ import annotations

import functools
import os
import secrets
import string

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
# Digits, punctuation and spaces people add around a common word to pass the length rule.
_PADDING = string.digits + string.punctuation + " "
# A dummy hash verified for unknown users, so a login takes as long whether the user exists or not.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn's list of the 30,000 most frequent passwords in leaked password dumps (lower case).
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common_password(password: str) -> bool:
    """True when the password, ignoring case, is a common leaked password, or is one with digits,
    punctuation or spaces added before or after it ("Password2026!", "123456qwerty").

    The padding check matters: only 229 of the list's entries have 12 characters or more, so an
    exact match alone would let "dragon-2026!" through the length rule.
    """
    lowered = password.lower()
    common = _common_passwords()
    return lowered in common or lowered.strip(_PADDING) in common


def validate_new_password(password: str, *, username: str = "") -> None:
    """OWASP ASVS 2.1: at least 12 characters, at most 128, any characters, not the username,
    not a common or breached password (2.1.7)."""
    if len(password) < MIN_LENGTH:
        raise JudgingError(N_("The password must have at least {n} characters."), n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise JudgingError(N_("The password must have at most {n} characters."), n=MAX_LENGTH)
    if username and username.lower() in password.lower():
        raise JudgingError(N_("The password must not contain the username."))
    if is_common_password(password):
        raise JudgingError(N_("This password is on a list of common or leaked passwords: choose another."))


def generate_password() -> str:
    """A random password of 16 URL-safe characters (about 96 bits)."""
    return secrets.token_urlsafe(12)
