"""The sheet's rules without a database: reading values and grades, bands, completeness (with the review
opinion's minimum length), familiarity, the weighted total."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from judging.editions.models import ScaleKind
from judging.scoring.rules import (
    CONFIDENCE_WEIGHTS, FAMILIARITY_LABELS, SheetInvalid, band_of, check_complete, grade_of, opinion_length,
    parse_value, read_sheet_form, weighted_total,
)


@dataclass
class C:
    id: int
    weight: Decimal
    scale_min: Decimal = Decimal(0)
    scale_max: Decimal = Decimal(10)
    scale_step: Decimal = Decimal("0.5")
    name: str = "创新性"
    scale_kind: ScaleKind = ScaleKind.NUMERIC
    grades: list = field(default_factory=list)


@dataclass
class G:
    label: str
    value: Decimal


@dataclass
class B:
    low: Decimal
    high: Decimal
    label: str


TECH_LEVEL = C(5, Decimal("0.3"), scale_max=Decimal(30), scale_step=Decimal(0), name="技术水平",
               scale_kind=ScaleKind.GRADE, grades=[G("国际领先", Decimal(30)), G("国际先进", Decimal(26)),
                                                   G("国内领先", Decimal(22)), G("国内先进", Decimal(18)),
                                                   G("国内一般", Decimal(12))])


RUBRIC = [C(1, Decimal("0.3")), C(2, Decimal("0.2")), C(3, Decimal("0.3")), C(4, Decimal("0.2"))]


def test_familiarity_levels_and_their_confidence_weights():
    assert list(FAMILIARITY_LABELS) == ["very_familiar", "familiar", "somewhat", "unfamiliar"]
    assert CONFIDENCE_WEIGHTS == {"very_familiar": Decimal("1.0"), "familiar": Decimal("0.75"),
                                  "somewhat": Decimal("0.5"), "unfamiliar": Decimal("0.25")}


@pytest.mark.parametrize("raw, expected", [("7.5", Decimal("7.5")), (" 10 ", Decimal(10)), ("0", Decimal(0)),
                                           ("7，5", Decimal("7.5")), ("", None), ("   ", None)])
def test_values_on_the_scale_and_step_are_read(raw, expected):
    assert parse_value(raw, RUBRIC[0]) == expected


@pytest.mark.parametrize("raw", ["abc", "NaN", "inf", "-Infinity", "1e400x", "7.3", "10.5", "-0.5", "0.25"])
def test_values_off_the_scale_or_step_or_not_numbers_are_refused(raw):
    with pytest.raises(SheetInvalid) as refused:
        read_sheet_form({"score-1": raw}, RUBRIC)
    assert list(refused.value.fields) == ["score-1"]


def test_a_scale_with_an_offset_minimum_checks_steps_from_the_minimum():
    criterion = C(9, Decimal(1), scale_min=Decimal(1), scale_max=Decimal(5), scale_step=Decimal(2))
    assert parse_value("3", criterion) == 3 and parse_value("5", criterion) == 5
    with pytest.raises(Exception):
        parse_value("4", criterion)


def test_completeness_names_every_missing_field():
    with pytest.raises(SheetInvalid) as refused:
        check_complete(RUBRIC, {1: Decimal(5)}, comment=" ", familiarity=None, opinion_min_length=1)
    assert set(refused.value.fields) == {"score-2", "score-3", "score-4", "familiarity", "comment"}
    check_complete(RUBRIC, {c.id: Decimal(5) for c in RUBRIC}, comment="", familiarity="somewhat",
                   opinion_min_length=0)


def test_an_opinion_shorter_than_the_minimum_is_refused_naming_the_minimum_and_its_length():
    complete = {c.id: Decimal(5) for c in RUBRIC}
    with pytest.raises(SheetInvalid) as refused:
        check_complete(RUBRIC, complete, comment="  创新点突出。 ", familiarity="familiar", opinion_min_length=20)
    error = refused.value.fields["comment"]
    assert error.params == {"minimum": 20, "length": 6}
    assert error.render(lambda m: m) == "The review opinion needs at least 20 characters; it has 6."
    check_complete(RUBRIC, complete, comment="创" * 20, familiarity="familiar", opinion_min_length=20)
    assert opinion_length(" 😀评审意见\n第二行 ") == 9  # characters, not bytes or UTF-16 units; ends trimmed


def test_a_grade_is_read_as_its_number_and_anything_else_is_refused():
    assert parse_value("26", TECH_LEVEL) == Decimal(26) and grade_of(TECH_LEVEL, Decimal(26)) == "国际先进"
    assert parse_value("", TECH_LEVEL) is None
    for raw in ("25", "国际领先", "31", "-1"):
        with pytest.raises(SheetInvalid) as refused:
            read_sheet_form({"score-5": raw}, [TECH_LEVEL])
        assert refused.value.fields["score-5"].message == "Choose one of the listed grades."
    assert grade_of(RUBRIC[0], Decimal(5)) is None  # a numeric criterion has no grades


def test_the_weighted_total_counts_a_grade_by_its_number():
    rubric = [TECH_LEVEL, C(6, Decimal("0.7"), scale_max=Decimal(70), scale_step=Decimal(1))]
    assert weighted_total(rubric, {5: Decimal(22), 6: Decimal(50)}) == Decimal("72.00")


def test_the_band_a_value_falls_in():
    bands = [B(Decimal(10), Decimal(20), "一般"), B(Decimal(21), Decimal(25), "良好"), B(Decimal(26), Decimal(30), "优秀")]
    assert band_of(bands, Decimal(26)).label == "优秀" and band_of(bands, Decimal(20)).label == "一般"
    assert band_of(bands, Decimal(5)) is None and band_of(bands, None) is None


def test_weighted_total_on_0_to_100():
    assert weighted_total(RUBRIC, {c.id: Decimal(10) for c in RUBRIC}) == Decimal("100.00")
    assert weighted_total(RUBRIC, {c.id: Decimal(0) for c in RUBRIC}) == Decimal("0.00")
    assert weighted_total(RUBRIC, {1: Decimal(8), 2: Decimal(7), 3: Decimal(9), 4: Decimal("6.5")}) == Decimal("78.00")
    assert weighted_total(RUBRIC, {1: Decimal(10)}) == Decimal("30.00")  # a draft: missing values add nothing


def test_weighted_total_keeps_0_to_100_when_weights_do_not_add_up_to_one():
    rubric = [C(1, Decimal(30), scale_max=Decimal(30), scale_step=Decimal(1)), C(2, Decimal(70))]
    assert weighted_total(rubric, {1: Decimal(30), 2: Decimal(10)}) == Decimal("100.00")
    assert weighted_total(rubric, {1: Decimal(15), 2: Decimal(5)}) == Decimal("50.00")
