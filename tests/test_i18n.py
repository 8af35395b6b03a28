"""Every message the code and templates show has a zh-CN translation (the default locale)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from judging.i18n import translations

REPO_ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
METHODS = [("judging/**.py", "python"), ("**.html", "jinja2")]


def _message_ids() -> set[str]:
    ids: set[str] = set()
    for folder in ("judging", "templates"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                REPO_ROOT / folder, method_map=[("**.py", "python"), ("**.html", "jinja2")], keywords=KEYWORDS):
            ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_every_message_has_a_chinese_translation():
    catalog = translations("zh_CN")
    missing = sorted(m for m in _message_ids() if m and catalog.gettext(m) == m)
    assert missing == []


def test_english_is_the_source_language():
    assert translations("en").gettext("Log in") == "Log in"
    assert translations("zh_CN").gettext("Log in") == "登录"
