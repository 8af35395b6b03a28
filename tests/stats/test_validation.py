"""Bad input raises a clear ValueError naming the argument; degenerate data warns."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import judgestats
from judgestats import DegenerateDataWarning, DisconnectedDesignError

ITEM = np.array([0, 0, 1, 1, 2, 2])
JUDGE = np.array([0, 1, 1, 2, 2, 0])
SCORE = np.array([8.0, 7.0, 6.0, 5.5, 9.0, 9.5])
ALL_METHODS = ["mean", "trimmed", "trimmed_mean", "zscore", "additive", "confidence", "affine", "mixed", "rasch"]


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_score_is_rejected_by_every_method(method, bad):
    s = SCORE.copy()
    s[3] = bad
    with pytest.raises(ValueError, match=r"`score` has .*NaN.*infinite.*position 3"):
        judgestats.calibrate(ITEM, JUDGE, s, method=method)


def test_mismatched_lengths_name_the_argument():
    with pytest.raises(ValueError, match=r"`judge` has length 5 but `score` has length 6"):
        judgestats.calibrate(ITEM, JUDGE[:5], SCORE)
    with pytest.raises(ValueError, match=r"`item` has length 7"):
        judgestats.calibrate(np.r_[ITEM, 0], JUDGE, SCORE)
    with pytest.raises(ValueError, match=r"`weight` has length 2"):
        judgestats.calibrate(ITEM, JUDGE, SCORE, weight=[1.0, 2.0])


def test_negative_codes_are_rejected():
    with pytest.raises(ValueError, match=r"`item` has 1 negative codes"):
        judgestats.calibrate(np.r_[-1, ITEM[1:]], JUDGE, SCORE)


def test_out_of_range_codes_are_counted_and_named():
    msg = re.escape("`judge` has 3 codes outside 0..n_judges-1 (n_judges=2)")
    judge = np.array([0, 1, 2, 2, 5, 0])
    with pytest.raises(ValueError, match=msg):
        judgestats.calibrate(ITEM, judge, SCORE, n_judges=2)


def test_codes_must_be_integers():
    with pytest.raises(ValueError, match=r"`item` has 1 non-integer codes"):
        judgestats.calibrate(ITEM + np.r_[0.5, 0, 0, 0, 0, 0], JUDGE, SCORE)
    with pytest.raises(ValueError, match=r"`judge` must hold integer codes"):
        judgestats.calibrate(ITEM, np.array(list("abcabc")), SCORE)


def test_unscored_codes_are_named():
    with pytest.raises(ValueError, match=r"`item` codes 3 have no scores"):
        judgestats.calibrate(ITEM, JUDGE, SCORE, n_items=4)


def test_bad_weight_and_confidence():
    with pytest.raises(ValueError, match=r"`weight` has 1 values <= 0"):
        judgestats.calibrate(ITEM, JUDGE, SCORE, weight=[1, 1, 0, 1, 1, 1])
    with pytest.raises(ValueError, match=r"`confidence` has 1 NaN"):
        judgestats.calibrate(ITEM, JUDGE, SCORE, method="confidence",
                             confidence=[1, 1, np.nan, 1, 1, 1])


@pytest.mark.parametrize("method", ["additive", "confidence", "mixed", "rasch", "zscore",
                                    "affine"])
def test_judge_with_one_score_is_rejected(method):
    item = np.r_[ITEM, 0]
    judge = np.r_[JUDGE, 3]
    score = np.r_[SCORE, 7.5]
    with pytest.raises(ValueError, match=r"`judge` codes (0, 1, 2, )?3 have fewer than \d "
                       rf"scores, the minimum for method '{method}'"):
        judgestats.calibrate(item, judge, score, method=method)


def test_disconnected_design_names_components():
    item = [0, 0, 1, 1, 2, 2, 3, 3]
    judge = [0, 1, 0, 1, 2, 3, 2, 3]
    score = [5.0, 6, 7, 8, 1, 2, 3, 4.5]
    with pytest.raises(DisconnectedDesignError) as exc:
        judgestats.calibrate(item, judge, score, method="additive")
    msg = str(exc.value)
    assert "2 components" in msg
    assert "component 0: 2 items [0, 1], 2 judges [0, 1]" in msg
    assert "component 1: 2 items [2, 3], 2 judges [2, 3]" in msg
    assert "within_components=True" in msg
    assert isinstance(exc.value, ValueError)
    assert exc.value.n_components == 2


def test_within_components_calibrates_each_component_separately():
    item = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    judge = [0, 1, 1, 2, 2, 0, 3, 4, 4, 5, 5, 3]
    score = [8.0, 7, 6, 5.5, 9, 9.5, 1, 2, 3, 4.5, 2, 2.5]
    cal = judgestats.calibrate(item, judge, score, method="additive", within_components=True)
    assert cal.n_components == 2
    assert cal.item_component.tolist() == [0, 0, 0, 1, 1, 1]
    first = judgestats.calibrate(item[:6], judge[:6], score[:6], method="additive")
    np.testing.assert_allclose(cal.item_value[:3], first.item_value, atol=1e-12)
    np.testing.assert_allclose(cal.judge_severity[:3], first.judge_severity, atol=1e-12)
    assert abs(cal.judge_severity[3:].sum()) < 1e-12
    assert cal.options["within_components"] is True


def test_unknown_method_and_options():
    with pytest.raises(ValueError, match=r"`method` must be one of"):
        judgestats.calibrate(ITEM, JUDGE, SCORE, method="median")
    with pytest.raises(ValueError, match=r"unknown option\(s\) 'trim' for method 'trimmed'"):
        judgestats.calibrate(ITEM, JUDGE, SCORE, method="trimmed", trim=2)
    with pytest.raises(ValueError, match=r"`min_scores_to_trim` must be at least 2\*n_trim\+1"):
        judgestats.calibrate(ITEM, JUDGE, SCORE, method="trimmed", min_scores_to_trim=2)
    with pytest.raises(ValueError, match=r"`solver` must be one of"):
        judgestats.calibrate(ITEM, JUDGE, SCORE, method="additive", solver="lu")


def test_empty_and_two_dimensional_input():
    with pytest.raises(ValueError, match=r"`score` is empty"):
        judgestats.calibrate([], [], [])
    with pytest.raises(ValueError, match=r"`score` must be one-dimensional"):
        judgestats.calibrate(ITEM, JUDGE, SCORE.reshape(2, 3))


def test_constant_judge_warns_in_zscore():
    item = [0, 1, 2, 0, 1, 2, 0, 1, 2]
    judge = [0, 0, 0, 1, 1, 1, 2, 2, 2]
    score = [5.0, 5, 5, 1, 2, 3, 2, 3, 5]
    with pytest.warns(DegenerateDataWarning, match=r"judges 0 gave the same score"):
        cal = judgestats.calibrate(item, judge, score, method="zscore")
    assert np.all(np.isfinite(cal.item_value))


def test_single_score_items_warn_and_give_infinite_se_not_nan():
    with pytest.warns(DegenerateDataWarning, match="no residual degrees of freedom"):
        cal = judgestats.calibrate([0, 1, 2], [0, 0, 1], [1.0, 2.0, 3.0], method="mean")
    assert np.all(np.isinf(cal.item_se))
    assert not np.any(np.isnan(cal.item_se))


def test_rasch_rejects_unused_levels_and_continuous_scores():
    with pytest.raises(ValueError, match=r"`levels` \[2.0\] are never used"):
        judgestats.calibrate(ITEM, JUDGE, [0, 1, 3, 1, 0, 3], method="rasch", levels=[0, 1, 2, 3])
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"`score` has 200 distinct values"):
        judgestats.calibrate(np.arange(200) % 20, np.arange(200) % 7, rng.normal(size=200),
                             method="rasch")


def test_no_warning_on_clean_data(design):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in ["mean", "trimmed", "zscore", "additive", "confidence", "affine", "mixed"]:
            judgestats.calibrate(design.item, design.judge, design.score, method=method)


def test_connectivity_reports_components_and_overlap():
    c = judgestats.connectivity([0, 0, 1, 1, 2, 2, 3], [0, 1, 1, 2, 3, 4, 3])
    assert c.n_components == 2 and not c.connected
    assert c.item_component.tolist() == [0, 0, 1, 1]
    assert c.judge_component.tolist() == [0, 0, 0, 1, 1]
    assert c.component_items.tolist() == [2, 2]
    assert c.component_scores.tolist() == [4, 3]
    assert c.judges_per_item.tolist() == [2, 2, 2, 1]
    assert c.items_per_judge.tolist() == [1, 2, 1, 2, 1]
    assert c.linking_judges_per_item.tolist() == [1, 1, 1, 1]
    assert c.judge_links.tolist() == [1, 2, 1, 1, 1]
    assert c.judge_max_shared.tolist() == [1, 1, 1, 1, 1]
    assert "component 1: 2 items [2, 3], 2 judges [3, 4]" in c.describe()


def test_confidence_is_refused_by_other_methods():
    with pytest.raises(ValueError, match="`confidence` is used only by method 'confidence'"):
        judgestats.calibrate(ITEM, JUDGE, SCORE, method="additive", confidence=np.ones(6))
