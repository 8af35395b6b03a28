"""An edition's setup as data (categories with their rubrics, rounds with their dates) and its rules.

:func:`check_edition` judges a spec without the database and names every wrong field;
:func:`edition_spec_from_json` reads the document ``judging edition create`` takes. The service
(:func:`judging.editions.service.create_edition`) stores a spec that passed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from judging.editions.models import CategoryKey, RoundKind, ScaleKind
from judging.editions.rubrics import BandSpec, CriterionSpec, GradeSpec, RubricInvalid, RubricSpec, check_rubric
from judging.errors import N_, FieldError, FieldsInvalid

YEARS = range(2000, 2101)
EDITION_NAME_MAX_LENGTH = 200
NAME_MAX_LENGTH = 100


@dataclass(frozen=True)
class CategorySpec:
    key: CategoryKey
    name: str
    top_n: int | None  # how many are awarded; None: a list without a fixed size
    rubric: RubricSpec


@dataclass(frozen=True)
class RoundSpec:
    kind: RoundKind
    name: str
    opens_at: dt.datetime | None = None
    deadline_at: dt.datetime | None = None


@dataclass(frozen=True)
class EditionSpec:
    year: int
    name: str
    categories: tuple[CategorySpec, ...]
    rounds: tuple[RoundSpec, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The spec as the audit event records it."""
        return {"year": self.year, "name": self.name, "settings": self.settings,
                "categories": [{"key": c.key.value, "name": c.name, "top_n": c.top_n, "rubric": c.rubric.as_json()}
                               for c in self.categories],
                "rounds": [round_json(r) for r in self.rounds]}


def round_json(spec: RoundSpec) -> dict[str, Any]:
    return {"kind": spec.kind.value, "name": spec.name,
            "opens_at": spec.opens_at.isoformat() if spec.opens_at else None,
            "deadline_at": spec.deadline_at.isoformat() if spec.deadline_at else None}


class EditionInvalid(FieldsInvalid):
    """Some fields of the edition's setup are wrong (``fields`` names each). Nothing was stored."""

    def __init__(self, fields: dict[str, FieldError]) -> None:
        super().__init__(fields, N_("The edition was not created: correct the marked fields."))


def category_field(key: CategoryKey, name: str) -> str:
    return f"category-{key.value}-{name}"


def round_field(kind: RoundKind, name: str) -> str:
    return f"round-{kind.value}-{name}"


def _name_problem(name: str, limit: int) -> FieldError | None:
    if not name.strip():
        return FieldError(N_("Give it a name."))
    if len(name) > limit:
        return FieldError(N_("Keep names under {limit} characters."), {"limit": limit})
    return None


def check_edition(spec: EditionSpec) -> None:
    """Refuse a setup that cannot be run: a year from 2000 to 2100, names given, at least one category,
    each category once with a scorable rubric and a top-N of at least 1 (or none), each round kind once,
    a final round only beside a preliminary one, dates with their time zone, each round's deadline after
    its opening, and the final round opening after the preliminary deadline. Raises
    :class:`EditionInvalid` naming each wrong field (rubric fields prefixed by their category's)."""
    errors: dict[str, FieldError] = {}
    if spec.year not in YEARS:
        errors["year"] = FieldError(N_("The year must be from {first} to {last}."),
                                    {"first": YEARS[0], "last": YEARS[-1]})
    if problem := _name_problem(spec.name, EDITION_NAME_MAX_LENGTH):
        errors["name"] = problem
    if not spec.categories:
        errors["categories"] = FieldError(N_("An edition needs at least one category."))
    seen: set[CategoryKey] = set()
    for category in spec.categories:
        _check_category(category, seen, errors)
    _check_rounds(spec.rounds, errors)
    if errors:
        raise EditionInvalid(errors)


def _check_category(category: CategorySpec, seen: set[CategoryKey], errors: dict[str, FieldError]) -> None:
    key = category.key
    if key in seen:
        errors[category_field(key, "key")] = FieldError(N_("The category {key} is listed twice."),
                                                        {"key": key.value})
        return
    seen.add(key)
    if problem := _name_problem(category.name, NAME_MAX_LENGTH):
        errors[category_field(key, "name")] = problem
    if category.top_n is not None and category.top_n < 1:
        errors[category_field(key, "top_n")] = FieldError(N_("Top-N must be at least 1 (or left empty)."))
    try:
        check_rubric(category.rubric)
    except RubricInvalid as error:
        errors.update({category_field(key, f"rubric-{name}"): problem for name, problem in error.fields.items()})


def _check_rounds(rounds: tuple[RoundSpec, ...], errors: dict[str, FieldError]) -> None:
    by_kind: dict[RoundKind, RoundSpec] = {}
    for spec in rounds:
        if spec.kind in by_kind:
            errors[round_field(spec.kind, "kind")] = FieldError(N_("The {kind} round is listed twice."),
                                                                {"kind": spec.kind.value})
            continue
        by_kind[spec.kind] = spec
        if problem := _name_problem(spec.name, NAME_MAX_LENGTH):
            errors[round_field(spec.kind, "name")] = problem
        for name in ("opens_at", "deadline_at"):
            moment = getattr(spec, name)
            if moment is not None and moment.utcoffset() is None:
                errors[round_field(spec.kind, name)] = FieldError(N_("Give the time with its time zone."))
        if round_field(spec.kind, "opens_at") in errors or round_field(spec.kind, "deadline_at") in errors:
            continue
        if spec.opens_at and spec.deadline_at and spec.deadline_at <= spec.opens_at:
            errors[round_field(spec.kind, "deadline_at")] = FieldError(N_("The deadline must be after the opening."))
    preliminary, final = by_kind.get(RoundKind.PRELIMINARY), by_kind.get(RoundKind.FINAL)
    if final is not None and preliminary is None:
        errors[round_field(RoundKind.FINAL, "kind")] = FieldError(N_("A final round needs a preliminary round."))
    elif final and preliminary and final.opens_at and preliminary.deadline_at \
            and round_field(RoundKind.FINAL, "opens_at") not in errors \
            and round_field(RoundKind.PRELIMINARY, "deadline_at") not in errors \
            and final.opens_at < preliminary.deadline_at:
        errors[round_field(RoundKind.FINAL, "opens_at")] = FieldError(
            N_("The final round cannot open before the preliminary round's deadline."))


# --------------------------------------------------------------------------------- from a document

class _Reader:
    """Reads one JSON document, collecting a FieldError per wrong value instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: dict[str, FieldError] = {}

    def refuse(self, where: str, message: str, **params: Any) -> None:
        self.errors.setdefault(where, FieldError(message, params))

    def text(self, doc: Mapping, key: str, where: str, *, default: str | None = None) -> str:
        value = doc.get(key, default)
        if not isinstance(value, str):
            self.refuse(where, N_("Give a text."))
            return ""
        return value.strip()

    def number(self, value: Any, where: str) -> Decimal:
        number = None
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                pass
        if number is None or not number.is_finite():
            self.refuse(where, N_("Enter a number."))
            return Decimal(0)
        return number

    def moment(self, doc: Mapping, key: str, where: str) -> dt.datetime | None:
        value = doc.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value)
            except ValueError:
                pass
        self.refuse(where, N_("Give the time as 2026-11-20T09:00+08:00."))
        return None

    def items(self, doc: Mapping, key: str, where: str) -> list:
        value = doc.get(key, [])
        if not isinstance(value, list):
            self.refuse(where, N_("Give a list."))
            return []
        return value


def _rubric(reader: _Reader, doc: Any, where: str) -> RubricSpec:
    if not isinstance(doc, Mapping):
        reader.refuse(where, N_("Give the rubric as an object."))
        return RubricSpec("", 0)
    minimum = doc.get("opinion_min_length", 0)
    if not isinstance(minimum, int) or isinstance(minimum, bool):
        reader.refuse(f"{where}-opinion_min_length", N_("Give a whole number."))
        minimum = 0
    criteria = []
    for i, c in enumerate(reader.items(doc, "criteria", f"{where}-criteria")):
        at = f"{where}-c{i}"
        if not isinstance(c, Mapping):
            reader.refuse(at, N_("Give the criterion as an object."))
            continue
        kind_text = c.get("kind", ScaleKind.NUMERIC.value)
        kind = ScaleKind(kind_text) if kind_text in tuple(ScaleKind) else None
        if kind is None:
            reader.refuse(f"{at}-kind", N_("Use one of: {choices}."), choices=", ".join(tuple(ScaleKind)))
            kind = ScaleKind.NUMERIC
        bands = tuple(BandSpec(reader.number(b.get("low"), f"{at}-band{j}-low"),
                               reader.number(b.get("high"), f"{at}-band{j}-high"),
                               str(b.get("label", "")).strip(), str(b.get("description", "")).strip())
                      for j, b in enumerate(reader.items(c, "bands", f"{at}-bands")) if isinstance(b, Mapping))
        grades = tuple(GradeSpec(str(g.get("label", "")).strip(), reader.number(g.get("value"), f"{at}-grade{j}-value"))
                       for j, g in enumerate(reader.items(c, "grades", f"{at}-grades")) if isinstance(g, Mapping))
        step = reader.number(c.get("step", 0 if kind is ScaleKind.GRADE else None), f"{at}-step")
        criteria.append(CriterionSpec(
            str(c.get("name", "")).strip(), reader.number(c.get("weight"), f"{at}-weight") / 100,
            reader.number(c.get("min"), f"{at}-min"), reader.number(c.get("max"), f"{at}-max"), step, kind,
            str(c.get("description", "")).strip(), bands, grades))
    return RubricSpec(reader.text(doc, "name", f"{where}-name"), minimum, tuple(criteria))


def edition_spec_from_json(doc: Any) -> EditionSpec:
    """Read an edition's setup from a JSON document (weights in percent, as the rubric page shows them;
    times in ISO 8601 with their offset). Raises :class:`EditionInvalid` naming every value it cannot
    read; :func:`check_edition` judges the rest. See ``docs/edition-example.json``."""
    reader = _Reader()
    if not isinstance(doc, Mapping):
        raise EditionInvalid({"edition": FieldError(N_("Give the edition as an object."))})
    year = doc.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        reader.refuse("year", N_("Give the year as a whole number."))
        year = 0
    categories = []
    for i, c in enumerate(reader.items(doc, "categories", "categories")):
        if not isinstance(c, Mapping) or c.get("key") not in tuple(CategoryKey):
            reader.refuse(f"categories-{i}", N_("Give each category as an object whose key is one of: {keys}."),
                          keys=", ".join(tuple(CategoryKey)))
            continue
        key = CategoryKey(c["key"])
        top_n = c.get("top_n")
        if top_n is not None and (not isinstance(top_n, int) or isinstance(top_n, bool)):
            reader.refuse(category_field(key, "top_n"), N_("Give a whole number."))
            top_n = None
        categories.append(CategorySpec(key, reader.text(c, "name", category_field(key, "name")), top_n,
                                       _rubric(reader, c.get("rubric"), category_field(key, "rubric"))))
    rounds = []
    for i, r in enumerate(reader.items(doc, "rounds", "rounds")):
        if not isinstance(r, Mapping) or r.get("kind") not in tuple(RoundKind):
            reader.refuse(f"rounds-{i}", N_("Give each round as an object whose kind is one of: {kinds}."),
                          kinds=", ".join(tuple(RoundKind)))
            continue
        kind = RoundKind(r["kind"])
        rounds.append(RoundSpec(kind, reader.text(r, "name", round_field(kind, "name")),
                                reader.moment(r, "opens_at", round_field(kind, "opens_at")),
                                reader.moment(r, "deadline_at", round_field(kind, "deadline_at"))))
    settings = doc.get("settings", {})
    if not isinstance(settings, Mapping):
        reader.refuse("settings", N_("Give the settings as an object."))
        settings = {}
    if reader.errors:
        raise EditionInvalid(reader.errors)
    return EditionSpec(year, reader.text(doc, "name", "name"), tuple(categories), tuple(rounds), dict(settings))
