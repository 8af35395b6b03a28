"""A rubric as data: its spec (criteria, weights, scales, bands, grades, the opinion's minimum length),
the rules a rubric must keep to be scorable, and writing a spec into the stored rubric.

Free of other domain packages: editions set rubrics up with it, and scoring's rubric page reads its
form into a :class:`RubricSpec` and lets :func:`check_rubric` judge it. Errors name the rubric page's
fields (:func:`criterion_field` and friends), so that they land beside the right inputs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from judging.editions.models import Criterion, CriterionGrade, CriterionLevel, Rubric, ScaleKind
from judging.errors import N_, FieldError, FieldsInvalid

NAME_MAX_LENGTH = 100
# The review opinion's longest length: a sheet refuses a longer one, a rubric's minimum cannot exceed it.
COMMENT_MAX_LENGTH = 5000


def plain(value: Decimal) -> str:
    """A decimal as people write it: 10 rather than 10.000, 7.5 rather than 7.500."""
    text = format(value.normalize(), "f")
    return text


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


class RubricInvalid(FieldsInvalid):
    """Some fields of the rubric are wrong (``fields`` maps each to its message). Nothing was stored."""

    def __init__(self, fields: dict[str, FieldError]) -> None:
        super().__init__(fields, N_("The rubric was not saved: correct the marked fields."))


# ----------------------------------------------------------------------------------- field names

def criterion_field(index: int, name: str) -> str:
    return f"c{index}-{name}"


def band_field(index: int, row: int, name: str) -> str:
    return f"c{index}-band{row}-{name}"


def grade_field(index: int, row: int, name: str) -> str:
    return f"c{index}-grade{row}-{name}"


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


def write_rubric(rubric: Rubric, spec: RubricSpec) -> None:
    """Make the (new or loaded) ``rubric`` hold ``spec``: its criteria are replaced as a whole.

    The caller flushes the removal of old criteria before new ones take their positions (see
    :func:`judging.editions.service.set_rubric`)."""
    rubric.name, rubric.opinion_min_length = spec.name, spec.opinion_min_length
    for position, c in enumerate(spec.criteria):
        rubric.criteria.append(Criterion(
            position=position, name=c.name, description=c.description, weight=c.weight, scale_min=c.scale_min,
            scale_max=c.scale_max, scale_step=c.scale_step, scale_kind=c.kind,
            levels=[CriterionLevel(low=b.low, high=b.high, label=b.label, description=b.description)
                    for b in c.bands],
            grades=[CriterionGrade(position=k, label=g.label, value=g.value) for k, g in enumerate(c.grades)]))
