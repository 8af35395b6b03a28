"""The one WeasyPrint set-up: Jinja2 templates under templates/, Chinese messages, the shared print
stylesheet (its CJK font is embedded in every PDF). Rendering needs no database."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from judging import settings
from judging.settings import REPO_ROOT
from judging.i18n import translations

TEMPLATE_DIR = REPO_ROOT / "templates"
STYLESHEET = Path(__file__).resolve().parent / "print.css"
DOCUMENT_LOCALE = "zh_CN"  # documents go to the committee, the auditors and the public in Chinese


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    pages: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _plain(text) -> str:
    """A stored decimal as people write it: 7.5 rather than 7.500, 10 rather than 10.000."""
    if text is None or text == "":
        return "—"
    try:
        return format(Decimal(str(text)).normalize(), "f")
    except ArithmeticError:
        return str(text)


@functools.cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html", "xml"]),
                      trim_blocks=True, lstrip_blocks=True)
    catalog = translations(DOCUMENT_LOCALE)
    env.globals.update(_=catalog.gettext, ngettext=catalog.ngettext)
    env.filters["cssstr"] = lambda text: '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'
    env.filters["plain"] = _plain
    env.filters["fmt"] = lambda value, spec="%.2f": "—" if value is None else spec % value
    return env


def gettext(message: str) -> str:
    """A message in the documents' language (for text a context builder puts together)."""
    return translations(DOCUMENT_LOCALE).gettext(message)


def local_time(value: dt.datetime) -> str:
    """A moment as printed in documents: minutes, in the edition's time zone."""
    return value.astimezone(ZoneInfo(settings.current().timezone)).strftime("%Y-%m-%d %H:%M")


def render_html(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(**context)


def render_pdf(template: str, context: dict[str, Any]) -> RenderedPdf:
    """The PDF of ``template`` (a path under templates/) filled with ``context``. No database: run it with
    no transaction open."""
    from weasyprint import CSS, HTML

    document = HTML(string=render_html(template, context), base_url=str(TEMPLATE_DIR)).render(
        stylesheets=[CSS(filename=str(STYLESHEET))])
    return RenderedPdf(document.write_pdf(), len(document.pages))
