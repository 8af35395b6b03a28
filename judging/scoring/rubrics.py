"""The organizer's rubric of a category: criteria, weights, scales (numeric with band descriptors, or a
table of grades mapped to numbers) and the review opinion's minimum length.

A rubric is edited as a whole: :func:`read_rubric_form` reads the posted page into a
:class:`RubricSpec`, :func:`judging.editions.rubrics.check_rubric` validates it (no database), and
:func:`update_rubric` has the editions service replace the stored rubric with it (one audit event
carrying the rubric before and after).
Once any score exists for the category (a draft counts) the rubric is locked: judges' numbers would
change meaning under them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from judging import audit
from judging.editions import service as editions
from judging.editions.models import Category, Rubric, ScaleKind
from judging.editions.rubrics import (
    BandSpec, CriterionSpec, GradeSpec, RubricInvalid, RubricSpec, band_field, check_rubric, criterion_field,
    grade_field, plain, spec_of,
)
from judging.errors import N_, Conflict, FieldError
from judging.nominations.models import Nomination
from judging.panels.models import Assignment
from judging.scoring.models import CriterionScore, ScoreSheet

__all__ = ["BandSpec", "CriterionSpec", "GradeSpec", "RubricInvalid", "RubricSpec", "band_field", "category_rubric",
           "check_rubric", "criterion_field", "error_summary", "grade_field", "page_fields", "page_layout",
           "read_rubric_form", "scores_given", "spec_of", "update_rubric"]
SCALE_LABELS = {ScaleKind.NUMERIC.value: N_("Numbers, with band descriptors"),
                ScaleKind.GRADE.value: N_("Grades, each counting as a number")}
BLANK_ROWS = 2  # empty band and grade rows the page offers for adding


# ----------------------------------------------------------------------------------- form fields

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


# ------------------------------------------------------------------------------------- service

def category_rubric(session: Session, *, category_id: int) -> tuple[Category, Rubric | None]:
    return editions.category_rubric(session, category_id=category_id)


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
    category, _rubric = category_rubric(session, category_id=category_id)
    given = scores_given(session, category=category)
    if given:
        raise Conflict(N_("The rubric of {category} is locked: judges have already given {count} scores in "
                          "this category. Nothing was changed."), category=category.name, count=given)
    return editions.set_rubric(session, category_id=category.id, spec=spec, by=by)
