"""The rules of a score sheet, free of the database: familiarity (the judge's confidence), reading
and checking the values a judge typed or the grades a judge chose, the bands a value falls in, the
review opinion's minimum length, and the weighted total.

A grade criterion is scored by choosing one grade of the rubric's table; the sheet stores the grade's
number (so totals and the engine only ever see numbers) and the grade itself. ``scoring.js`` mirrors
:func:`weighted_total`, :func:`band_of` and the opinion's length for the live sheet; the result runs
read :data:`CONFIDENCE_WEIGHTS` for the ``confidence`` calibration method.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol

from judging.editions.models import ScaleKind
from judging.editions.rubrics import COMMENT_MAX_LENGTH, plain
from judging.errors import N_, FieldError, FieldsInvalid

# 熟悉程度, as Chinese expert review forms ask it, and the confidence each level carries.
FAMILIARITY_LABELS: dict[str, str] = {
    "very_familiar": N_("Very familiar"),
    "familiar": N_("Familiar"),
    "somewhat": N_("Somewhat familiar"),
    "unfamiliar": N_("Not very familiar"),
}
CONFIDENCE_WEIGHTS: dict[str, Decimal] = {
    "very_familiar": Decimal("1.0"),
    "familiar": Decimal("0.75"),
    "somewhat": Decimal("0.5"),
    "unfamiliar": Decimal("0.25"),
}
TOTAL_QUANTUM = Decimal("0.01")


class GradeLike(Protocol):
    label: str
    value: Decimal


class BandLike(Protocol):
    low: Decimal
    high: Decimal
    label: str


class CriterionLike(Protocol):
    id: int
    name: str
    weight: Decimal
    scale_min: Decimal
    scale_max: Decimal
    scale_step: Decimal
    scale_kind: ScaleKind
    grades: Sequence[GradeLike]


def field_name(criterion_id: int) -> str:
    """The form field of one criterion's score."""
    return f"score-{criterion_id}"


class SheetInvalid(FieldsInvalid):
    """Some fields of the score sheet are wrong (``fields`` maps each to its message). Nothing was stored."""


@dataclass(frozen=True)
class SheetInput:
    """What the judge typed, read and checked against the scale (values may still be missing)."""

    values: dict[int, Decimal | None]
    comment: str
    familiarity: str | None


def parse_value(raw: str | None, criterion: CriterionLike) -> Decimal | None:
    """One score: empty means not scored yet; otherwise a number on the criterion's scale and step,
    or, on a grade scale, the number of one of its grades (what the sheet's grade choices post)."""
    text = (raw or "").strip().replace("，", ".").replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        if criterion.scale_kind is ScaleKind.GRADE:
            raise _field(N_("Choose one of the listed grades."))
        raise _field(N_("Enter a number."))
    if criterion.scale_kind is ScaleKind.GRADE:
        if grade_of(criterion, value) is None:
            raise _field(N_("Choose one of the listed grades."))
        return value.quantize(Decimal("0.001"))
    low, high, step = criterion.scale_min, criterion.scale_max, criterion.scale_step
    if value < low or value > high:
        raise _field(N_("Enter a score from {low} to {high}."), low=plain(low), high=plain(high))
    if step > 0 and (value - low) % step != 0:
        if step == 1:  # the usual scale: say it as a judge thinks of it
            raise _field(N_("Enter a whole number."))
        raise _field(N_("Scores go in steps of {step}."), step=plain(step))
    return value.quantize(Decimal("0.001"))


def grade_of(criterion: CriterionLike, value: Decimal | None) -> str | None:
    """The grade whose number is ``value`` on a grade scale (grades' numbers are distinct), else None."""
    if value is None or criterion.scale_kind is not ScaleKind.GRADE:
        return None
    return next((grade.label for grade in criterion.grades if grade.value == value), None)


def band_of(bands: Sequence[BandLike], value: Decimal | None) -> BandLike | None:
    """The band descriptor ``value`` falls in (low ≤ value ≤ high), or None."""
    if value is None:
        return None
    return next((band for band in bands if band.low <= value <= band.high), None)


def opinion_length(comment: str) -> int:
    """The length of a review opinion as the minimum counts it: characters, ends trimmed."""
    return len(comment.strip())


class _FieldProblem(Exception):
    def __init__(self, error: FieldError) -> None:
        self.error = error


def _field(message: str, **params: Any) -> _FieldProblem:
    return _FieldProblem(FieldError(message, params))


def read_sheet_form(form: Mapping[str, Any], criteria: Sequence[CriterionLike]) -> SheetInput:
    """Read a posted sheet. Raises :class:`SheetInvalid` naming every wrong field."""
    errors: dict[str, FieldError] = {}
    values: dict[int, Decimal | None] = {}
    for criterion in criteria:
        name = field_name(criterion.id)
        try:
            values[criterion.id] = parse_value(_text(form.get(name)), criterion)
        except _FieldProblem as problem:
            errors[name] = problem.error
    comment = _text(form.get("comment")).replace("\r\n", "\n").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = FieldError(N_("Keep the review opinion under {limit} characters."),
                                       {"limit": COMMENT_MAX_LENGTH})
    familiarity = _text(form.get("familiarity")).strip() or None
    if familiarity is not None and familiarity not in FAMILIARITY_LABELS:
        errors["familiarity"] = FieldError(N_("Choose one of the listed levels."))
    if errors:
        raise SheetInvalid(errors)
    return SheetInput(values, comment, familiarity)


def _text(value: Any) -> str:
    if isinstance(value, list):  # a repeated field: the last one wins, as in a browser's form
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""


def check_complete(criteria: Sequence[CriterionLike], values: Mapping[int, Decimal | None], *, comment: str,
                   familiarity: str | None, opinion_min_length: int) -> None:
    """What submission needs beyond a valid draft: every criterion, the familiarity, and a review
    opinion of at least the rubric's minimum length (drafts may be shorter). Raises :class:`SheetInvalid`."""
    errors: dict[str, FieldError] = {}
    for criterion in criteria:
        if values.get(criterion.id) is None:
            errors[field_name(criterion.id)] = FieldError(N_("Score this criterion."))
    if familiarity not in FAMILIARITY_LABELS:
        errors["familiarity"] = FieldError(N_("Say how familiar you are with this field."))
    length = opinion_length(comment)
    if length < opinion_min_length:
        errors["comment"] = FieldError(
            N_("The review opinion needs at least {minimum} characters; it has {length}."),
            {"minimum": opinion_min_length, "length": length})
    if errors:
        raise SheetInvalid(errors, N_("The sheet is not complete yet: see the marked fields."))


def weighted_total(criteria: Sequence[CriterionLike], values: Mapping[int, Decimal | None]) -> Decimal:
    """The weighted total on 0–100: Σ wᵢ·(vᵢ−minᵢ)/(maxᵢ−minᵢ)·100 / Σ wᵢ, to two decimals.

    Missing values count as the scale's minimum (the total of a draft grows as it is filled in).
    Dividing by Σ wᵢ keeps the total on 0–100 when a rubric's weights do not add up to 1.
    """
    weight_sum = sum((c.weight for c in criteria), Decimal(0))
    if weight_sum <= 0:
        return Decimal("0.00")
    total = Decimal(0)
    for criterion in criteria:
        value = values.get(criterion.id)
        span = criterion.scale_max - criterion.scale_min
        if value is None or span <= 0:
            continue
        total += criterion.weight * (value - criterion.scale_min) / span
    return (total * 100 / weight_sum).quantize(TOTAL_QUANTUM, rounding=ROUND_HALF_UP)
