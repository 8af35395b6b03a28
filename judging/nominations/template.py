"""The nominations' fill-in XLSX template: the import's own columns, with drop-downs for category, city and industry."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from judging.editions.models import Edition
from judging.errors import N_
from judging.nominations.rows import CATEGORIES, REQUIRED_COLUMNS, TEMPLATE_COLUMNS
from judging.nominations.service import known_units
from judging.tabular import TemplateColumn, template_bytes

# What to write in each column and an example, both in English (the source language) and translated.
NOTES = {
    "category": N_("Pick from the list."),
    "city": N_("The nominating city or industry union; pick from the list."),
    "title": N_("At most 100 characters."),
    "inventors": N_("Everyone who completed it, separated by 、 or commas; the first is the first inventor."),
    "first_inventor": N_("Optional: names the first inventor when the list above is in another order."),
    "employer": N_("The full name of the employer."),
    "short_names": N_("What texts call the employer (abbreviations), separated by 、; they are redacted too."),
    "employer_city": N_("Where the employer is, when not in the nominating city."),
    "industry": N_("Pick from the list (GB/T 4754 sections) or write your own."),
    "team": N_("Other members, each optionally with a role in brackets."),
    "summary": N_("What the judges read first (at most 2000 characters). Do not name people or the employer."),
    "body": N_("The full text judges read. Give a summary, a body or an attachment."),
    "patents": N_("Chinese patent numbers, separated by commas."),
    "completed_on": N_("A date, e.g. 2025-06-30."),
    "frontline": N_("Yes or No: whether the first inventor is a front-line employee."),
    "name_after_creator": N_("Yes or No; only operating methods may be named after their creator."),
    "phone": N_("A mobile number (11 digits) or a landline with its area code."),
    "email": N_("An e-mail address."),
    "attachments": N_("File names in the ZIP archive uploaded with this table, separated by semicolons."),
}
EXAMPLE_WORDS = {  # translated
    "title": N_("Intelligent inspection robot for blast-furnace tuyeres"),
    "inventors": N_("Zhang Wei, Li Na"), "first_inventor": N_("Zhang Wei"),
    "employer": N_("Nanjing Iron and Steel Co., Ltd."), "short_names": N_("Nangang"),
    "industry": N_("Manufacturing"), "team": N_("Wang Qiang (testing)"),
    "summary": N_("A robot that inspects the tuyeres while the furnace runs, cutting stoppages by a third."),
    "frontline": N_("Yes"), "name_after_creator": N_("No"),
}
EXAMPLE_CODES = {"patents": "ZL201910123456.7", "completed_on": "2025-06-30", "phone": "13912345678",
                 "email": "zhangwei@example.com", "attachments": "report.pdf"}
WIDTHS = {"title": 30, "inventors": 24, "employer": 28, "summary": 40, "body": 40, "industry": 24}
TEXT_COLUMNS = {"phone", "patents", "completed_on"}
INSTRUCTIONS = (
    N_("Fill one nomination per row on the first sheet, from row 2. Columns marked * are required."),
    N_("Do not move, rename or delete columns: the import names any column that is not where it should be."),
    N_("The example sheet shows a filled row; it is not imported. Save as .xlsx and upload it on the import page."),
)


@functools.cache
def industries() -> tuple[tuple[str, str], ...]:
    """The sections of GB/T 4754-2017 (national industries classification): (Chinese, English)."""
    path = Path(__file__).resolve().parent / "data" / "industries.tsv"
    return tuple(tuple(line.split("\t", 1)) for line in path.read_text(encoding="utf-8").splitlines() if line)


def template_filename(edition: Edition) -> str:
    return f"nominations-template-{edition.year}.xlsx"


def nominations_template(session: Session, *, edition: Edition, gettext: Callable[[str], str],
                         chinese: bool) -> bytes:
    """The workbook for `edition` in the reader's language (``chinese``: Chinese headers and lists)."""
    categories = [CATEGORIES.get(c.key.value, c.name) if chinese else c.key.value.replace("_", " ")
                  for c in sorted(edition.categories, key=lambda c: c.position)]
    cities = known_units(session, edition=edition)
    choices = {"category": categories, "city": cities,
               "industry": [zh if chinese else en for zh, en in industries()],
               "frontline": [gettext(N_("Yes")), gettext(N_("No"))],
               "name_after_creator": [gettext(N_("Yes")), gettext(N_("No"))]}
    example = {**{field: gettext(text) for field, text in EXAMPLE_WORDS.items()}, **EXAMPLE_CODES,
               "category": categories[0] if categories else "", "city": cities[0] if cities else ""}
    columns = [TemplateColumn(header=gettext(label), required=field in REQUIRED_COLUMNS, example=example.get(field, ""),
                              note=gettext(NOTES[field]), choices=choices.get(field, ()),
                              strict=field not in ("industry",), text=field in TEXT_COLUMNS,
                              width=WIDTHS.get(field, 16))
               for field, label in TEMPLATE_COLUMNS]
    return template_bytes(kind="nominations", columns=columns, titles=_titles(gettext),
                          labels=_labels(gettext), instructions=[gettext(text) for text in INSTRUCTIONS])


def _titles(gettext: Callable[[str], str]) -> dict[str, str]:
    return {"data": gettext(N_("Nominations to import")), "instructions": gettext(N_("Instructions")),
            "example": gettext(N_("Example"))}


def _labels(gettext: Callable[[str], str]) -> dict[str, str]:
    return {"column": gettext(N_("Column")), "required": gettext(N_("Required")), "note": gettext(N_("What to write")),
            "example": gettext(N_("Example")), "yes": gettext(N_("Yes")), "no": gettext(N_("No"))}
