"""Unguessable per-round submission codes with a check character that catches typos."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "PAYLOAD_LENGTH",
    "check_character",
    "format_code",
    "is_valid_code",
    "new_code",
    "new_codes",
    "parse_code",
]

# User-facing texts in one place, ready for Babel.
MESSAGES = {
    "length": "A submission code has {length} characters; “{text}” has {got}.",
    "character": "“{char}” cannot appear in a submission code.",
    "check": "“{text}” is not a valid submission code (check character does not match); please re-check it.",
    "exhausted": "Could not find an unused code after {tries} tries.",
}

#: Crockford's base32 alphabet: digits and capitals without I, L, O, U.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAYLOAD_LENGTH = 8  # 40 random bits: ~1.1e12 codes per round
CODE_LENGTH = PAYLOAD_LENGTH + 1
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Crockford's reading rules: letters people confuse with digits are read as those digits.
_READ_AS = {"O": "0", "I": "1", "L": "1"}
_GROUP = 3
_POLY = 0b100101  # x^5 + x^2 + 1, irreducible over GF(2): the field GF(32)


def _times_alpha(x: int) -> int:
    """Multiply by the field generator alpha (= x) in GF(32)."""
    x <<= 1
    return x ^ _POLY if x & 0b100000 else x


def _op(interim: int, digit: int) -> int:
    # The quasigroup a*b = alpha*a + b over GF(32) is totally anti-symmetric (see check_character).
    return _times_alpha(interim) ^ digit


def _fold(values: Iterable[int]) -> int:
    interim = 0
    for v in values:
        interim = _op(interim, v)
    return interim


def check_character(payload: str) -> str:
    """Check character for `payload` (characters of :data:`ALPHABET`).

    Notes
    -----
    Damm's check-digit scheme over a totally anti-symmetric quasigroup of
    order 32: ``a * b = alpha a + b`` in the field GF(32) (``alpha`` a root of
    ``x^5 + x^2 + 1``). Fold ``interim = interim * d`` over the payload from 0;
    the check character ``c`` makes ``interim * c = 0``, i.e. ``c = alpha interim``.
    Because each row and column of the operation table is a permutation,
    every single-character substitution is detected; because
    ``(x * a) * b = (x * b) * a`` implies ``(alpha + 1)(a + b) = 0``, i.e. ``a = b``,
    every transposition of adjacent characters (including with the check
    character) is detected.

    References
    ----------
    H. M. Damm, "Totally anti-symmetric quasigroups for all orders n ≠ 2, 6",
    Discrete Mathematics 307 (2007) 715–729.
    """
    return ALPHABET[_times_alpha(_fold(_VALUE[ch] for ch in payload))]


def _canonical(text: str) -> str:
    out = []
    for ch in text.upper():
        if ch in "- \t" or ch == "\u3000":
            continue
        ch = _READ_AS.get(ch, ch)
        out.append(ch)
    return "".join(out)


def parse_code(text: str) -> str:
    """Read a code as typed (any case, hyphens/spaces, O/I/L for 0/1) into canonical form.

    Raises
    ------
    ValueError
        When the text is not a valid code, with a message fit to show.
    """
    code = _canonical(text)
    for ch in code:
        if ch not in _VALUE:
            raise ValueError(MESSAGES["character"].format(char=ch))
    if len(code) != CODE_LENGTH:
        raise ValueError(MESSAGES["length"].format(length=CODE_LENGTH, text=text, got=len(code)))
    if _fold(_VALUE[ch] for ch in code) != 0:
        raise ValueError(MESSAGES["check"].format(text=text))
    return code


def is_valid_code(code: str) -> bool:
    """True when `code` (in any accepted spelling, see :func:`parse_code`) is a valid code."""
    try:
        parse_code(code)
    except ValueError:
        return False
    return True


def format_code(code: str) -> str:
    """Display form, groups of three.

    Example
    -------
    >>> code = "K7QM2XD9" + check_character("K7QM2XD9")
    >>> format_code(code)
    'K7Q-M2X-D93'
    >>> parse_code("k7q m2x d93") == code
    True
    """
    code = parse_code(code)
    return "-".join(code[i : i + _GROUP] for i in range(0, len(code), _GROUP))


def new_code(existing: set[str] | frozenset[str] = frozenset(), *, max_tries: int = 1000) -> str:
    """A fresh random code (canonical form) not in `existing`.

    Codes come from :mod:`secrets`, never from ids or import order, so a code
    says nothing about its submission; a submission gets a new code in each
    round so codes cannot be linked across rounds. `existing` should hold the
    codes already used in the round (canonical form).
    """
    for _ in range(max_tries):
        bits = secrets.randbits(5 * PAYLOAD_LENGTH)
        payload = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(PAYLOAD_LENGTH))
        code = payload + check_character(payload)
        if code not in existing:
            return code
    raise RuntimeError(MESSAGES["exhausted"].format(tries=max_tries))


def new_codes(n: int, existing: Iterable[str] = ()) -> list[str]:
    """`n` distinct fresh codes, none in `existing`."""
    taken = set(existing)
    codes = []
    for _ in range(n):
        code = new_code(taken)
        taken.add(code)
        codes.append(code)
    return codes
