"""Every message the code and templates show has an entry in both catalogs: Chinese for every message, English
for every stored code shown as words (``not_started`` → "Not started"); no catalog entry is left empty."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from judging.i18n import LOCALE_DIR, translations

REPO_ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# A message id that is a stored code rather than an English sentence: the English catalog must name it.
CODE = re.compile(r"[a-z][a-z0-9]*(?:[_.][a-z0-9]+)*")


def _message_ids() -> set[str]:
    ids: set[str] = set()
    for folder in ("judging", "templates"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                REPO_ROOT / folder, method_map=[("**.py", "python"), ("**.html", "jinja2")], keywords=KEYWORDS):
            ids.add(message[0] if isinstance(message, tuple) else message)
    return {m for m in ids if m}


def _entries(locale: str) -> dict[str, object]:
    entries: dict[str, object] = {}
    for path in sorted((LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if message.id:
                    entries[message.id[0] if isinstance(message.id, tuple) else message.id] = message.string
    return entries


def _empty(string) -> bool:
    return any(not s for s in string) if isinstance(string, (tuple, list)) else not string


def test_every_message_has_a_chinese_translation():
    catalog = translations("zh_CN")
    missing = sorted(m for m in _message_ids() if catalog.gettext(m) == m)
    assert missing == []


def test_no_catalog_has_an_empty_entry():
    empty = [(locale, message_id) for locale in ("zh_CN", "en")
             for message_id, string in _entries(locale).items() if _empty(string)]
    assert empty == []


def test_every_code_shown_to_readers_has_english_words():
    english = _entries("en")
    codes = sorted(m for m in _message_ids() if CODE.fullmatch(m))
    assert codes, "the pattern must find the codes (roles, statuses) the pages show"
    missing = [code for code in codes if code not in english]
    assert missing == []
    # An underscore or a dot never reaches an English reader either.
    raw = [code for code in codes if ("_" in code or "." in code) and english[code] == code]
    assert raw == []


def test_english_is_the_source_language():
    assert translations("en").gettext("Log in") == "Log in"
    assert translations("zh_CN").gettext("Log in") == "登录"
    assert translations("en").gettext("not_started") == "Not started"
    assert translations("en").gettext("judge") == "Judge"
