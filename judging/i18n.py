"""Message catalogs (Babel .po files compiled in memory at first use) and the request's locale."""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SUPPORTED_LOCALES = ("zh_CN", "en")
LOCALE_NAMES = {"zh_CN": "中文", "en": "English"}


@functools.cache
def translations(locale: str) -> NullTranslations:
    """The catalog for ``locale``; English message ids are the source language, so ``en`` may be empty.

    Every ``*.po`` file of the locale is merged (``messages.po`` for the core, one file per domain
    package, so parts of the product can grow their catalogs side by side). Compiling in memory
    keeps the build free of a generated-file step.
    """
    paths = sorted((LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po"))
    if not paths:
        return NullTranslations()
    catalog = None
    for path in paths:
        with path.open("rb") as handle:
            part = read_po(handle, locale=locale)
        if catalog is None:
            catalog = part
        else:
            for message in part:
                if message.id:
                    catalog[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def known_message(message_id: str) -> bool:
    """Whether ``message_id`` is one of the product's messages (in the default locale's catalog)."""
    return message_id in getattr(translations(SUPPORTED_LOCALES[0]), "_catalog", {})


def pick_locale(*, cookie: str | None, user_locale: str | None, default: str) -> str:
    for candidate in (cookie, user_locale, default):
        if candidate in SUPPORTED_LOCALES:
            return candidate
    return SUPPORTED_LOCALES[0]
