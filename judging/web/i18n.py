"""Message catalogs (Babel .po files compiled in memory at first use) and the request's locale."""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
SUPPORTED_LOCALES = ("zh_CN", "en")
LOCALE_NAMES = {"zh_CN": "中文", "en": "English"}


@functools.cache
def translations(locale: str) -> NullTranslations:
    """The catalog for ``locale``; English message ids are the source language, so ``en`` may be empty.

    Compiling the .po in memory keeps the build free of a generated-file step.
    """
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def pick_locale(*, cookie: str | None, user_locale: str | None, default: str) -> str:
    for candidate in (cookie, user_locale, default):
        if candidate in SUPPORTED_LOCALES:
            return candidate
    return SUPPORTED_LOCALES[0]
