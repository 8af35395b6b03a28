"""The experts' fill-in XLSX template: the pool import's own columns, with drop-downs for city and industry."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from judging.editions.service import current_edition_or_none
from judging.errors import N_
from judging.nominations.service import known_units
from judging.nominations.template import industries
from judging.panels.importer import DEFAULT_MAX_LOAD, REQUIRED, TEMPLATE_COLUMNS
from judging.tabular import TemplateColumn, template_bytes

NOTES = {
    "name": N_("The expert's full name."),
    "employer": N_("The full name of the employer: conflicts of interest are found by it."),
    "city": N_("Where the expert works; pick from the list or write another city."),
    "fields": N_("Fields of expertise, separated by 、 or semicolons: assignments match them with the nominations."),
    "industry": N_("Pick from the list (GB/T 4754 sections) or write your own."),
    "phone": N_("A phone number or an e-mail address is required."),
    "email": N_("The judge's login invitation is sent here."),
    "max_load": N_("At most this many nominations to judge (1 to 1000; 30 when empty)."),
}
EXAMPLE_WORDS = {"name": N_("Zhou Jie"), "employer": N_("Southeast University"),
                 "fields": N_("Mechanical engineering; automation"), "industry": N_("Education")}
EXAMPLE_CODES = {"phone": "13812345678", "email": "zhoujie@example.com", "max_load": DEFAULT_MAX_LOAD}
INSTRUCTIONS = (
    N_("Fill one expert per row on the first sheet, from row 2. Columns marked * are required."),
    N_("Do not move, rename or delete columns: the import names any column that is not where it should be."),
    N_("The example sheet shows a filled row; it is not imported. Save as .xlsx and upload it on the expert pool page."),
)
TEMPLATE_FILENAME = "experts-template.xlsx"


def experts_template(session: Session, *, gettext: Callable[[str], str], chinese: bool) -> bytes:
    """The workbook in the reader's language; the cities offered are the current edition's nominating units."""
    edition = current_edition_or_none(session)
    cities = known_units(session, edition=edition) if edition is not None else []
    choices = {"city": cities, "industry": [zh if chinese else en for zh, en in industries()]}
    example = {**{field: gettext(text) for field, text in EXAMPLE_WORDS.items()}, **EXAMPLE_CODES,
               "city": cities[0] if cities else ""}
    columns = [TemplateColumn(header=gettext(label), required=field in REQUIRED, example=example.get(field, ""),
                              note=gettext(NOTES[field]), choices=choices.get(field, ()), strict=False,
                              text=field == "phone", width=30 if field in ("employer", "fields") else 16)
               for field, label in TEMPLATE_COLUMNS]
    return template_bytes(kind="experts", columns=columns,
                          titles={"data": gettext(N_("Experts")), "instructions": gettext(N_("Instructions")),
                                  "example": gettext(N_("Example"))},
                          labels={"column": gettext(N_("Column")), "required": gettext(N_("Required")),
                                  "note": gettext(N_("What to write")), "example": gettext(N_("Example")),
                                  "yes": gettext(N_("Yes")), "no": gettext(N_("No"))},
                          instructions=[gettext(text) for text in INSTRUCTIONS])
