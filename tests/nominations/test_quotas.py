"""City nomination targets in proportion to employees."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from judging.nominations.quotas import allocate_targets

JIANGSU = {  # illustrative employee counts (thousands)
    "南京": 4120, "无锡": 3350, "徐州": 2480, "常州": 2210, "苏州": 6930, "南通": 2890,
    "连云港": 1150, "淮安": 1260, "盐城": 1710, "扬州": 1420, "镇江": 1080, "泰州": 1400,
    "宿迁": 1120,
}


@pytest.mark.parametrize("total", [0, 1, 7, 13, 100, 997, 10_000])
def test_targets_sum_exactly_and_stay_within_one_of_the_quota(total):
    targets = allocate_targets(JIANGSU, total)
    assert sum(targets.values()) == total
    assert list(targets) == list(JIANGSU)
    employees = sum(JIANGSU.values())
    for city, n in targets.items():
        quota = Fraction(total * JIANGSU[city], employees)
        assert quota - 1 < n < quota + 1


def test_more_employees_never_fewer_nominations():
    targets = allocate_targets(JIANGSU, 500)
    ordered = sorted(JIANGSU, key=JIANGSU.get)
    assert [targets[c] for c in ordered] == sorted(targets[c] for c in ordered)


def test_exact_proportion_needs_no_rounding():
    assert allocate_targets({"南京": 200, "无锡": 100, "宿迁": 100}, 40) == {"南京": 20, "无锡": 10, "宿迁": 10}


def test_largest_remainders_win():
    # quotas 4.5, 2.7, 1.8 -> floors 4,2,1 = 7, two left -> 2.7 and 1.8 (remainders .7 and .8)
    assert allocate_targets({"南京": 45, "苏州": 27, "宿迁": 18}, 9) == {"南京": 4, "苏州": 3, "宿迁": 2}


def test_equal_remainder_goes_to_larger_employee_count_then_name():
    # quotas 1.5 and 0.5: equal remainders, the larger city wins the leftover seat
    assert allocate_targets({"宿迁": 10, "南京": 30}, 2) == {"宿迁": 0, "南京": 2}
    # equal counts: name order (code point) decides, whatever the mapping order
    for order in (["镇江", "扬州"], ["扬州", "镇江"]):
        targets = allocate_targets({c: 5 for c in order}, 1)
        assert targets == {"扬州": 1 if "扬州" < "镇江" else 0, "镇江": 0 if "扬州" < "镇江" else 1}


def test_result_does_not_depend_on_mapping_order():
    rng = np.random.default_rng(7)
    cities = list(JIANGSU)
    reference = allocate_targets(JIANGSU, 333)
    for _ in range(20):
        rng.shuffle(cities)
        assert allocate_targets({c: JIANGSU[c] for c in cities}, 333) == reference


def test_city_without_employees_gets_nothing():
    targets = allocate_targets({"南京": 3, "苏州": 3, "省建设工会": 0}, 5)
    assert targets["省建设工会"] == 0 and sum(targets.values()) == 5


def test_numpy_integers_accepted():
    assert allocate_targets({"南京": np.int64(3), "无锡": np.int32(1)}, np.int64(4)) == {"南京": 3, "无锡": 1}


@pytest.mark.parametrize(
    ("counts", "total", "match"),
    [
        ({"南京": -1, "无锡": 5}, 3, "negative"),
        ({"南京": 0, "无锡": 0}, 3, "no employees"),
        ({}, 3, "no employees"),
        ({"南京": 1.5}, 3, "whole number"),
        ({"南京": True}, 3, "whole number"),
        ({"南京": "12"}, 3, "whole number"),
        ({"南京": 5}, 2.0, "whole number"),
        ({"南京": 5}, -1, "negative"),
        ({1: 5}, 1, "city names"),
    ],
)
def test_bad_inputs_raise_value_error_naming_the_argument(counts, total, match):
    with pytest.raises(ValueError, match=match):
        allocate_targets(counts, total)



@settings(max_examples=200, deadline=None)
@given(
    counts=st.dictionaries(st.sampled_from(list(JIANGSU)), st.integers(0, 10**7), min_size=1).filter(
        lambda d: sum(d.values()) > 0
    ),
    total=st.integers(0, 5000),
)
def test_any_counts_sum_exactly_and_round_the_quota_up_or_down(counts, total):
    targets = allocate_targets(counts, total)
    assert sum(targets.values()) == total
    employees = sum(counts.values())
    for city, n in targets.items():
        quota = Fraction(total * counts[city], employees)
        assert n in (quota.numerator // quota.denominator, -(-quota.numerator // quota.denominator))
    assert allocate_targets(dict(reversed(list(counts.items()))), total) == targets
