"""The 推荐表 of each category as an online form: its fields, and their check through the import's row rules."""

from __future__ import annotations

from collections.abc import Mapping

from judging.errors import N_, JudgingError
from judging.nominations.rows import LIMITS, NominationRow, parse_nomination_rows
from judging.tabular import Row, Table

# The fields every form has, in the order of the paper form; names are the import's canonical columns, so a
# form is checked as a one-row table by the same rules (``rows.parse_nomination_rows``).
COMMON = ("title", "summary", "body", "inventors", "team", "employer", "short_names", "employer_city", "industry")
CONTACT = ("phone", "email")
FORM_FIELDS: dict[str, tuple[str, ...]] = {
    "achievement": (*COMMON, "patents", "completed_on", "frontline", *CONTACT),
    "operating_method": (*COMMON, "completed_on", "frontline", "name_after_creator", *CONTACT),
    "suggestion": (*COMMON, "completed_on", "frontline", *CONTACT),
    "chief_employee": ("title", "summary", "body", "inventors", "employer", "short_names", "employer_city",
                       "industry", "patents", *CONTACT),
}
# Required online beyond the import's own (title, completers, employer): formal review checks the completion
# date and the front-line status, and the office calls the contact.
REQUIRED = ("title", "inventors", "employer", "phone", "completed_on", "frontline")
ALL_FIELDS = tuple(dict.fromkeys(f for fields in FORM_FIELDS.values() for f in fields))

LABELS = {
    "title": N_("Title"), "summary": N_("Summary"), "body": N_("Main content"),
    "inventors": N_("Completers (the first is the first completer)"), "team": N_("Other team members and roles"),
    "employer": N_("Employer"), "short_names": N_("Short names of the employer"),
    "employer_city": N_("Where the employer is (if not in the city)"), "industry": N_("Industry"),
    "patents": N_("Patent numbers"), "completed_on": N_("Completion date"),
    "frontline": N_("The first completer is a front-line employee"),
    "name_after_creator": N_("Name the method after its creator"), "phone": N_("Contact phone"),
    "email": N_("Contact e-mail"), "attachments": N_("Attachments"),
}
HINTS = {
    "inventors": N_("Separate names with 、 or commas."), "team": N_("e.g. 张伟（工艺设计）、李娜（检测）"),
    "patents": N_("e.g. ZL201910123456.7"), "completed_on": N_("e.g. 2025-06-30"),
}
YES_NO = ("frontline", "name_after_creator")
LONG = ("summary", "body")
DRAFT_LIMIT = 50_000  # a draft keeps any text up to this; the row rules' own limits apply when it is submitted


class EntryInvalid(JudgingError):
    """Fields of a city's form that are wrong: ``problems`` maps each field to its English problem text (the
    import's messages, shown through :func:`judging.nominations.service.translate_problem`). Nothing was stored."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(N_("Some fields need correcting: {fields}."), fields=", ".join(problems))
        self.problems = dict(problems)


def form_fields(category_key: str) -> tuple[str, ...]:
    return FORM_FIELDS[category_key]


def clean_draft(category_key: str, values: Mapping[str, str]) -> dict[str, str]:
    """The form's values as a draft keeps them: only the category's fields, as text, none beyond the draft limit."""
    fields = {}
    for name in form_fields(category_key):
        value = str(values.get(name, "") or "").replace("\r\n", "\n").strip()
        if len(value) > DRAFT_LIMIT:
            raise EntryInvalid({name: "Too long ({length} characters, at most {limit}).".format(
                length=len(value), limit=DRAFT_LIMIT)})
        fields[name] = value
    return fields


def check(*, category_key: str, city: str, fields: Mapping[str, str], attachments: list[str]) -> NominationRow:
    """The form as the import's valid row, or :class:`EntryInvalid` naming every field that is wrong."""
    names = form_fields(category_key)
    problems = {name: "This cell is required." for name in REQUIRED if name in names and not fields.get(name)}
    headers = ("category", "city", *names, "attachments")
    values = (category_key, city, *(fields.get(n, "") for n in names), ";".join(attachments))
    rows, errors = parse_nomination_rows(Table(headers, (Row(2, values),), "form"), known_cities=[city],
                                         categories=[category_key])
    for error in errors:
        problems.setdefault(error.column or "title", error.problem)
    if problems:
        raise EntryInvalid({name: problems[name] for name in (*headers, *problems) if name in problems})
    return rows[0]


__all__ = ["ALL_FIELDS", "EntryInvalid", "FORM_FIELDS", "HINTS", "LABELS", "LIMITS", "LONG", "REQUIRED", "YES_NO",
           "check", "clean_draft", "form_fields"]
