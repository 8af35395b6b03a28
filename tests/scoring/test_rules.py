"""The sheet's rules without a database: reading values, completeness, familiarity, the weighted total."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from judging.scoring.rules import (
    CONFIDENCE_WEIGHTS, FAMILIARITY_LABELS, SheetInvalid, check_complete, parse_value, read_sheet_form,
    weighted_total,
)


@dataclass
class C:
    id: int
    weight: Decimal
    scale_min: Decimal = Decimal(0)
    scale_max: Decimal = Decimal(10)
    scale_step: Decimal = Decimal("0.5")
    name: str = "创新性"


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
        check_complete(RUBRIC, {1: Decimal(5)}, comment=" ", familiarity=None, comment_required=True)
    assert set(refused.value.fields) == {"score-2", "score-3", "score-4", "familiarity", "comment"}
    check_complete(RUBRIC, {c.id: Decimal(5) for c in RUBRIC}, comment="", familiarity="somewhat",
                   comment_required=False)


def test_weighted_total_on_0_to_100():
    assert weighted_total(RUBRIC, {c.id: Decimal(10) for c in RUBRIC}) == Decimal("100.00")
    assert weighted_total(RUBRIC, {c.id: Decimal(0) for c in RUBRIC}) == Decimal("0.00")
    assert weighted_total(RUBRIC, {1: Decimal(8), 2: Decimal(7), 3: Decimal(9), 4: Decimal("6.5")}) == Decimal("78.00")
    assert weighted_total(RUBRIC, {1: Decimal(10)}) == Decimal("30.00")  # a draft: missing values add nothing


def test_weighted_total_keeps_0_to_100_when_weights_do_not_add_up_to_one():
    rubric = [C(1, Decimal(30), scale_max=Decimal(30), scale_step=Decimal(1)), C(2, Decimal(70))]
    assert weighted_total(rubric, {1: Decimal(30), 2: Decimal(10)}) == Decimal("100.00")
    assert weighted_total(rubric, {1: Decimal(15), 2: Decimal(5)}) == Decimal("50.00")
