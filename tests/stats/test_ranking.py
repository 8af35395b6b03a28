"""Ranking with tie rules, and bootstrap rank uncertainty."""

from __future__ import annotations

import time

import numpy as np
import pytest

import judgestats

from .conftest import simulate

# four items: 1 and 2 tie on value; item 2 has more scores (smaller SE) and a higher raw mean
ITEM = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3]
JUDGE = [0, 1, 2, 0, 1, 0, 1, 2, 3, 2, 3]
SCORE = [7.0, 7.0, 7.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 6.0, 6.0]


@pytest.fixture
def tied():
    return judgestats.calibrate(ITEM, JUDGE, SCORE, method="mean")


def test_shared_rule_gives_competition_ranking(tied):
    r = judgestats.rank(tied, top_n=2, tie_rule="shared")
    assert r.rank.tolist() == [3, 1, 1, 4]
    assert r.top.tolist() == [1, 2]
    assert r.ties == ((1, 2),)
    assert not r.tie_at_cutoff
    r1 = judgestats.rank(tied, top_n=1, tie_rule="shared")
    assert r1.top.tolist() == [1, 2]  # a tie at the cut-off awards both
    assert r1.tie_at_cutoff


def test_item_se_rule_prefers_the_more_precise_item():
    cal = judgestats.calibrate(ITEM, JUDGE, np.r_[SCORE[:5], 8.0, 10.0, 9.0, 9.0,
                                                  SCORE[9:]], method="mean")
    r = judgestats.rank(cal, top_n=1, tie_rule="item_se")
    assert cal.item_value[1] == cal.item_value[2]
    assert cal.item_n_scores[2] > cal.item_n_scores[1]
    assert r.rank.tolist() == [3, 2, 1, 4]
    assert r.top.tolist() == [2]


def test_raw_mean_rule_uses_raw_means():
    # additive values tie while raw means differ: construct via explicit calibration
    cal = judgestats.calibrate(ITEM, JUDGE, SCORE, method="mean")
    r = judgestats.rank(cal, top_n=1, tie_rule="raw_mean")
    # raw means are equal too (mean method): falls back to item code
    assert r.rank.tolist() == [3, 1, 2, 4]


def test_item_order_rule(tied):
    r = judgestats.rank(tied, top_n=1, tie_rule="item_order")
    assert r.rank.tolist() == [3, 1, 2, 4]
    assert r.order.tolist() == [1, 2, 0, 3]
    assert r.options == {"top_n": 1, "tie_rule": "item_order", "decimals": 9}


def test_decimals_controls_what_counts_as_a_tie():
    cal = judgestats.calibrate([0, 1, 2], [0, 0, 1], [8.004, 8.001, 3.0], method="mean",
                               n_judges=2) if False else None
    item, judge, score = [0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 0, 1], [8.004, 8.004, 8.001,
                                                                   8.001, 3, 3]
    cal = judgestats.calibrate(item, judge, score, method="mean")
    assert judgestats.rank(cal, 1).rank.tolist() == [1, 2, 3]
    assert judgestats.rank(cal, 1, decimals=2).rank.tolist() == [1, 1, 3]


def test_rank_rejects_bad_arguments(tied):
    with pytest.raises(ValueError, match="`tie_rule` must be one of"):
        judgestats.rank(tied, 3, tie_rule="coin")
    with pytest.raises(ValueError, match="`top_n` must be >= 1"):
        judgestats.rank(tied, 0)
    with pytest.raises(ValueError, match="`calibration` must be a Calibration"):
        judgestats.rank([1, 2, 3], 1)


# ----------------------------------------------------------------- bootstrap


@pytest.fixture(scope="module")
def boot_design():
    return simulate(120, 20, 5, seed=4, offset_sd=1.0, noise_sd=0.6)


def test_bootstrap_is_deterministic_for_a_seed(boot_design):
    d = boot_design
    a = judgestats.bootstrap(d.item, d.judge, d.score, "additive", 10, reps=30, seed=5)
    b = judgestats.bootstrap(d.item, d.judge, d.score, "additive", 10, reps=30, seed=5)
    c = judgestats.bootstrap(d.item, d.judge, d.score, "additive", 10, reps=30, seed=6)
    np.testing.assert_array_equal(a.rank_ci95, b.rank_ci95)
    np.testing.assert_array_equal(a.p_top, b.p_top)
    assert not np.array_equal(a.p_top, c.p_top)
    assert a.seed == 5 and a.reps == 30 and a.scheme == "judge-score-weights"


def test_bootstrap_intervals_are_consistent(boot_design):
    d = boot_design
    u = judgestats.bootstrap(d.item, d.judge, d.score, "additive", 10, reps=100, seed=1)
    n = d.n_items
    assert u.rank_ci95.shape == (n, 2) and u.rank_ci90.shape == (n, 2)
    assert np.all(u.rank_ci95[:, 0] <= u.rank_ci90[:, 0])
    assert np.all(u.rank_ci90[:, 1] <= u.rank_ci95[:, 1])
    assert np.all((u.rank_ci95 >= 1) & (u.rank_ci95 <= n))
    assert np.all((u.rank_ci90[:, 0] <= u.rank_median) & (u.rank_median <= u.rank_ci90[:, 1]))
    # p_top sums to top_n over items (each replicate awards exactly top_n places)
    assert u.p_top.sum() == pytest.approx(10.0)
    # the full-data top items are the likeliest to be in the top 10
    best = np.argsort(u.rank)[:3]
    assert u.p_top[best].min() > 0.5
    cal = judgestats.calibrate(d.item, d.judge, d.score)
    np.testing.assert_allclose(u.item_value, cal.item_value, atol=1e-12)


def test_bootstrap_intervals_cover_the_true_rank():
    """Known truth: the 90% rank intervals cover most items' true ranks."""
    d = simulate(100, 20, 5, seed=9, offset_sd=1.0, noise_sd=0.5)
    u = judgestats.bootstrap(d.item, d.judge, d.score, "additive", 10, reps=100, seed=2)
    true_rank = np.empty(d.n_items, int)
    true_rank[np.argsort(-d.value)] = np.arange(1, d.n_items + 1)
    covered = (u.rank_ci90[:, 0] <= true_rank) & (true_rank <= u.rank_ci90[:, 1])
    assert covered.mean() > 0.8


@pytest.mark.parametrize("method", ["mean", "trimmed", "zscore", "confidence", "mixed"])
def test_bootstrap_runs_for_other_methods(boot_design, method):
    d = boot_design
    u = judgestats.bootstrap(d.item, d.judge, d.score, method, 5, reps=10, seed=0)
    assert u.method == method and np.all(np.isfinite(u.p_top))


def test_bootstrap_validates_arguments(boot_design):
    d = boot_design
    with pytest.raises(ValueError, match="`seed` must be a non-negative integer"):
        judgestats.bootstrap(d.item, d.judge, d.score, seed=-1)
    with pytest.raises(ValueError, match="`reps` must be >= 1"):
        judgestats.bootstrap(d.item, d.judge, d.score, reps=0)
    with pytest.raises(ValueError, match="`score` has 1 NaN"):
        judgestats.bootstrap(d.item, d.judge, np.r_[np.nan, d.score[1:]])


@pytest.mark.slow
def test_bootstrap_200_reps_on_100k_scores_is_practical():
    """Not a timing assertion: a smoke run at the benchmark's size (see benchmarks/)."""
    d = simulate(2000, 300, 50, seed=0)
    t = time.perf_counter()
    u = judgestats.bootstrap(d.item, d.judge, d.score, "additive", 10, reps=20, seed=0)
    assert time.perf_counter() - t < 120
    assert u.p_top.sum() == pytest.approx(10.0)
