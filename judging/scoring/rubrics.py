"""The organizer's rubric of a category: criteria, weights, scales (numeric with band descriptors, or a
table of grades mapped to numbers) and the review opinion's minimum length.

A rubric is edited as a whole: :func:`read_rubric_form` reads the posted page into a
:class:`RubricSpec`, :func:`check_rubric` validates it (no database), and :func:`update_rubric`
replaces the stored rubric with it and appends one audit event carrying the rubric before and after.
Once any score exists for the category (a draft counts) the rubric is locked: judges' numbers would
change meaning under them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from judging import audit
from judging.editions.models import Category, Criterion, CriterionGrade, CriterionLevel, Rubric, ScaleKind
from judging.errors import N_, Conflict, NotFound
from judging.nominations.models import Nomination
from judging.panels.models import Assignment
from judging.scoring.models import CriterionScore, ScoreSheet
from judging.scoring.rules import COMMENT_MAX_LENGTH, FieldError, SheetInvalid, plain

NAME_MAX_LENGTH = 100
SCALE_LABELS = {ScaleKind.NUMERIC.value: N_("Numbers, with band descriptors"),
                ScaleKind.GRADE.value: N_("Grades, each counting as a number")}
BLANK_ROWS = 2  # empty band and grade rows the page offers for adding


@dataclass(frozen=True)
class BandSpec:
    low: Decimal
    high: Decimal
    label: str
    description: str = ""


@dataclass(frozen=True)
class GradeSpec:
    label: str
    value: Decimal


@dataclass(frozen=True)
class CriterionSpec:
    name: str
    weight: Decimal  # a share: 0.3 is shown as 30%
    scale_min: Decimal
    scale_max: Decimal
    scale_step: Decimal
    kind: ScaleKind = ScaleKind.NUMERIC
    description: str = ""
    bands: tuple[BandSpec, ...] = ()
    grades: tuple[GradeSpec, ...] = ()


@dataclass(frozen=True)
class RubricSpec:
    name: str
    opinion_min_length: int
    criteria: tuple[CriterionSpec, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        """The rubric as the audit event records it (decimals as their exact text)."""
        def clean(value: Any) -> Any:
            if isinstance(value, Decimal):
                return plain(value)
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [clean(v) for v in value]
            return value
        return clean(asdict(self))


class RubricInvalid(SheetInvalid):
    """Some fields of the rubric page are wrong (``fields`` maps each to its message). Nothing was stored."""

    def __init__(self, fields: dict[str, FieldError]) -> None:
        super().__init__(fields, N_("The rubric was not saved: correct the marked fields."))


# ----------------------------------------------------------------------------------- form fields

def criterion_field(index: int, name: str) -> str:
    return f"c{index}-{name}"


def band_field(index: int, row: int, name: str) -> str:
    return f"c{index}-band{row}-{name}"


def grade_field(index: int, row: int, name: str) -> str:
    return f"c{index}-grade{row}-{name}"


def page_fields(spec: RubricSpec | None) -> dict[str, str]:
    """The rubric page's fields filled from ``spec`` (what :func:`read_rubric_form` reads back)."""
    if spec is None:
        return {"opinion_min_length": "0"}
    fields = {"name": spec.name, "opinion_min_length": str(spec.opinion_min_length)}
    for i, c in enumerate(spec.criteria):
        fields.update({criterion_field(i, "name"): c.name, criterion_field(i, "description"): c.description,
                       criterion_field(i, "weight"): plain(c.weight * 100), criterion_field(i, "kind"): c.kind.value,
                       criterion_field(i, "min"): plain(c.scale_min), criterion_field(i, "max"): plain(c.scale_max),
                       criterion_field(i, "step"): plain(c.scale_step) if c.kind is ScaleKind.NUMERIC else ""})
        for j, band in enumerate(c.bands):
            fields.update({band_field(i, j, "low"): plain(band.low), band_field(i, j, "high"): plain(band.high),
                           band_field(i, j, "label"): band.label, band_field(i, j, "description"): band.description})
        for j, grade in enumerate(c.grades):
            fields.update({grade_field(i, j, "label"): grade.label, grade_field(i, j, "value"): plain(grade.value)})
    return fields


def error_summary(fields: Mapping[str, Any], errors: Mapping[str, str], gettext) -> list[tuple[str, str]]:
    """(where, message) of each refused field, where naming the criterion it belongs to."""
    summary = []
    for name, message in errors.items():
        head = name.split("-", 1)[0]
        if head[:1] == "c" and head[1:].isdigit():
            where = _text(fields, criterion_field(int(head[1:]), "name")) or \
                gettext("Criterion {n}").format(n=int(head[1:]) + 1)
        else:
            where = ""
        summary.append((where, message))
    return summary


def page_layout(fields: Mapping[str, Any]) -> list[tuple[int, int, int]]:
    """(criterion number, band rows, grade rows) the page shows for ``fields``: every row sent or
    stored, a few empty rows to add bands and grades, and one empty criterion to add."""
    return [(i, _count(fields, f"c{i}-band") + BLANK_ROWS, _count(fields, f"c{i}-grade") + BLANK_ROWS)
            for i in range(_count(fields, "c") + 1)]


# ------------------------------------------------------------------------------------- reading

def spec_of(rubric: Rubric | None) -> RubricSpec | None:
    """The stored rubric as a spec (what the page shows and the audit event compares)."""
    if rubric is None:
        return None
    return RubricSpec(rubric.name, rubric.opinion_min_length, tuple(
        CriterionSpec(c.name, c.weight, c.scale_min, c.scale_max, c.scale_step, c.scale_kind, c.description,
                      tuple(BandSpec(b.low, b.high, b.label, b.description)
                            for b in sorted(c.levels, key=lambda b: b.low, reverse=True)),
                      tuple(GradeSpec(g.label, g.value) for g in c.grades))
        for c in rubric.criteria))


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value).replace("\r\n", "\n").strip()


def _count(form: Mapping[str, Any], prefix: str) -> int:
    """How many numbered rows the page sent (the largest index present + 1)."""
    rows = [int(key[len(prefix):].split("-", 1)[0]) for key in form
            if key.startswith(prefix) and key[len(prefix):].split("-", 1)[0].isdigit()]
    return max(rows) + 1 if rows else 0


def read_rubric_form(form: Mapping[str, Any]) -> RubricSpec:
    """Read the rubric page: every number read, empty rows and removed criteria left out.

    Raises :class:`RubricInvalid` naming every field that is not a number where one is needed;
    :func:`check_rubric` judges the rest.
    """
    errors: dict[str, FieldError] = {}

    def number(name: str, *, percent: bool = False) -> Decimal:
        text = _text(form, name).replace("，", ".").replace(",", ".").rstrip("%").strip()
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            errors[name] = FieldError(N_("Enter a number."))
            return Decimal(0)
        return value / 100 if percent else value

    minimum_text = _text(form, "opinion_min_length") or "0"
    minimum = int(minimum_text) if minimum_text.isdigit() else -1
    criteria = []
    for i in range(_count(form, "c")):
        if _text(form, criterion_field(i, "remove")) or not any(
                _text(form, criterion_field(i, part)) for part in ("name", "weight", "min", "max")):
            continue  # removed, or the blank criterion the page offers for adding
        kind = ScaleKind.GRADE if _text(form, criterion_field(i, "kind")) == ScaleKind.GRADE.value \
            else ScaleKind.NUMERIC
        bands = tuple(BandSpec(number(band_field(i, j, "low")), number(band_field(i, j, "high")),
                               _text(form, band_field(i, j, "label")), _text(form, band_field(i, j, "description")))
                      for j in range(_count(form, f"c{i}-band"))
                      if any(_text(form, band_field(i, j, part)) for part in ("low", "high", "label", "description")))
        grades = tuple(GradeSpec(_text(form, grade_field(i, j, "label")), number(grade_field(i, j, "value")))
                       for j in range(_count(form, f"c{i}-grade"))
                       if any(_text(form, grade_field(i, j, part)) for part in ("label", "value")))
        step = number(criterion_field(i, "step")) if kind is ScaleKind.NUMERIC else Decimal(0)
        criteria.append((i, CriterionSpec(
            _text(form, criterion_field(i, "name")), number(criterion_field(i, "weight"), percent=True),
            number(criterion_field(i, "min")), number(criterion_field(i, "max")), step, kind,
            _text(form, criterion_field(i, "description")), bands, grades)))
    if errors:
        raise RubricInvalid(errors)
    spec = RubricSpec(_text(form, "name"), minimum, tuple(c for _i, c in criteria))
    check_rubric(spec, indices=[i for i, _c in criteria])
    return spec


# ---------------------------------------------------------------------------------- validation

def check_rubric(spec: RubricSpec, *, indices: list[int] | None = None) -> None:
    """Refuse a rubric that cannot be scored: names given and unique, weights above 0, a range with
    its top above its bottom, bands inside the range and not overlapping, grades inside the range and
    listed from best to worst (strictly decreasing numbers), unique labels, an opinion minimum from 0
    to the opinion's maximum length. Raises :class:`RubricInvalid` naming each field (``indices``:
    the page's number of each criterion, so that errors land beside the right fields)."""
    errors: dict[str, FieldError] = {}
    indices = indices if indices is not None else list(range(len(spec.criteria)))
    if not spec.name:
        errors["name"] = FieldError(N_("Give the rubric a name."))
    if not 0 <= spec.opinion_min_length <= COMMENT_MAX_LENGTH:
        errors["opinion_min_length"] = FieldError(
            N_("The minimum length of the review opinion is a whole number from 0 to {limit}."),
            {"limit": COMMENT_MAX_LENGTH})
    if not spec.criteria:
        errors["criteria"] = FieldError(N_("A rubric needs at least one criterion."))
    names: set[str] = set()
    for i, criterion in zip(indices, spec.criteria):
        _check_criterion(criterion, i, names, errors)
    if errors:
        raise RubricInvalid(errors)


def _check_criterion(c: CriterionSpec, i: int, names: set[str], errors: dict[str, FieldError]) -> None:
    def refuse(field_: str, message: str, **params: Any) -> None:
        errors.setdefault(field_, FieldError(message, params))

    if not c.name:
        refuse(criterion_field(i, "name"), N_("Give the criterion a name."))
    elif len(c.name) > NAME_MAX_LENGTH:
        refuse(criterion_field(i, "name"), N_("Keep names under {limit} characters."), limit=NAME_MAX_LENGTH)
    elif c.name in names:
        refuse(criterion_field(i, "name"), N_("Two criteria are named “{name}”: give each its own name."),
               name=c.name)
    names.add(c.name)
    if c.weight <= 0:
        refuse(criterion_field(i, "weight"), N_("The weight must be more than 0."))
    low, high = c.scale_min, c.scale_max
    if high <= low:
        refuse(criterion_field(i, "max"), N_("The top of the scale must be above its bottom."))
        return  # bands and grades are checked against a valid range only
    if c.kind is ScaleKind.NUMERIC:
        if c.scale_step <= 0:
            refuse(criterion_field(i, "step"), N_("The step must be more than 0."))
        if c.grades:
            refuse(criterion_field(i, "kind"), N_("Grades belong to a grade scale: clear them, or choose the "
                                                  "grade scale."))
        labels: set[str] = set()
        for j, band in enumerate(c.bands):
            row = band_field(i, j, "label")
            if not band.label:
                refuse(row, N_("Give the band a label."))
            elif band.label in labels:
                refuse(row, N_("The label “{label}” is used twice."), label=band.label)
            labels.add(band.label)
            if band.low > band.high:
                refuse(row, N_("The band {low}–{high} runs backwards: its low end is above its high end."),
                       low=plain(band.low), high=plain(band.high))
            elif band.low < low or band.high > high:
                refuse(row, N_("The band {low}–{high} lies outside the scale {min}–{max}."),
                       low=plain(band.low), high=plain(band.high), min=plain(low), max=plain(high))
            for other in c.bands[:j]:
                if band.low <= other.high and other.low <= band.high:
                    refuse(row, N_("The band {low}–{high} overlaps the band {other_low}–{other_high}."),
                           low=plain(band.low), high=plain(band.high), other_low=plain(other.low),
                           other_high=plain(other.high))
        return
    if c.bands:
        refuse(criterion_field(i, "kind"), N_("Bands describe numeric scores: clear them, or choose the numeric "
                                              "scale."))
    if len(c.grades) < 2:
        refuse(criterion_field(i, "kind"), N_("A grade scale needs at least two grades."))
    labels = set()
    for j, grade in enumerate(c.grades):
        row = grade_field(i, j, "label")
        if not grade.label:
            refuse(row, N_("Give the grade a label."))
        elif grade.label in labels:
            refuse(row, N_("The label “{label}” is used twice."), label=grade.label)
        labels.add(grade.label)
        if grade.value < low or grade.value > high:
            refuse(row, N_("The grade {label} counts {value}, outside the scale {min}–{max}."),
                   label=grade.label, value=plain(grade.value), min=plain(low), max=plain(high))
        elif j and grade.value >= c.grades[j - 1].value:
            before = c.grades[j - 1]
            refuse(row, N_("List the grades from best to worst: {label} ({value}) must count less than "
                           "{before} ({before_value})."), label=grade.label, value=plain(grade.value),
                   before=before.label, before_value=plain(before.value))


# ------------------------------------------------------------------------------------- service

def category_rubric(session: Session, *, category_id: int) -> tuple[Category, Rubric | None]:
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound("category")
    rubric = session.scalar(select(Rubric).where(Rubric.category_id == category.id).options(
        selectinload(Rubric.criteria).selectinload(Criterion.levels),
        selectinload(Rubric.criteria).selectinload(Criterion.grades)))
    return category, rubric


def scores_given(session: Session, *, category: Category) -> int:
    """Criterion scores (drafts included) stored for the category's nominations, in any round."""
    return session.scalar(
        select(func.count()).select_from(CriterionScore)
        .join(ScoreSheet, ScoreSheet.id == CriterionScore.sheet_id)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .join(Nomination, Nomination.id == Assignment.nomination_id)
        .where(Nomination.category_id == category.id)) or 0


def update_rubric(session: Session, *, category_id: int, spec: RubricSpec, by: audit.Actor) -> Rubric:
    """Replace the category's rubric with ``spec``, audited with the rubric before and after.

    Refused (nothing changed) when ``spec`` is invalid or when any score exists for the category.
    An unchanged rubric writes nothing.
    """
    check_rubric(spec)
    category, rubric = category_rubric(session, category_id=category_id)
    given = scores_given(session, category=category)
    if given:
        raise Conflict(N_("The rubric of {category} is locked: judges have already given {count} scores in "
                          "this category. Nothing was changed."), category=category.name, count=given)
    before = spec_of(rubric)
    if before == spec:
        return rubric
    if rubric is None:
        rubric = Rubric(category_id=category.id, name=spec.name)
        session.add(rubric)
    rubric.name, rubric.opinion_min_length = spec.name, spec.opinion_min_length
    rubric.criteria.clear()
    session.flush()  # the old criteria go before the new ones take their positions
    for position, c in enumerate(spec.criteria):
        rubric.criteria.append(Criterion(
            position=position, name=c.name, description=c.description, weight=c.weight, scale_min=c.scale_min,
            scale_max=c.scale_max, scale_step=c.scale_step, scale_kind=c.kind,
            levels=[CriterionLevel(low=b.low, high=b.high, label=b.label, description=b.description)
                    for b in c.bands],
            grades=[CriterionGrade(position=k, label=g.label, value=g.value) for k, g in enumerate(c.grades)]))
    session.flush()
    audit.append(session, actor=by, action="category.rubric_updated", object_type="category",
                 object_id=category.id, data={"rubric": rubric.id, "before": before.as_json() if before else None,
                                              "after": spec.as_json()})
    return rubric
