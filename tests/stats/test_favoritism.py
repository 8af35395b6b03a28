"""judgestats.favoritism: against statsmodels' OLS with cluster-robust errors, on planted and absent
favouritism, on the ISU figure-skating panels (judge's country vs skater's nation), and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import judgestats

from .conftest import load_skating  # noqa: F401  (the fixture below reads through it)


def _design(seed, *, n_items=240, n_judges=36, k=5, groups=6, bonus=0.0, biased=(), noise=0.6):
    """Items and judges each belong to one of ``groups`` groups; a judge scoring an item of
    their group is affine. ``bonus`` is added to every affine score, and 1.5 more to the affine
    scores of the judges in ``biased``."""
    rng = np.random.default_rng(seed)
    item = np.repeat(np.arange(n_items), k)
    judge = np.concatenate([rng.choice(n_judges, k, replace=False) for _ in range(n_items)])
    item_group = rng.integers(0, groups, n_items)
    judge_group = np.arange(n_judges) % groups
    affinity = item_group[item] == judge_group[judge]
    value = rng.normal(70, 6, n_items)
    offset = rng.normal(0, 3, n_judges)
    personal = np.zeros(n_judges)
    personal[list(biased)] = 1.5
    score = (value[item] + offset[judge] + (bonus + personal[judge]) * affinity
             + rng.normal(0, noise, item.size))
    return item, judge, score, affinity


def _statsmodels_fit(item, judge, score, affinity, groups):
    sm = pytest.importorskip("statsmodels.api")
    ni, nj = item.max() + 1, judge.max() + 1
    x = np.zeros((item.size, ni + nj))
    x[np.arange(item.size), item] = 1.0
    # first judge dropped: item dummies already span the constant
    x[np.arange(item.size), ni + judge] = 1.0
    x = np.column_stack([np.delete(x, ni, axis=1), affinity.astype(float)])
    return sm.OLS(score, x).fit(cov_type="cluster", cov_kwds={"groups": groups})


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
@pytest.mark.parametrize("cluster", ["judge", "item", "two-way"])
def test_effect_and_cluster_robust_se_match_statsmodels_ols(cluster):
    item, judge, score, affinity = _design(3, n_items=60, n_judges=12, k=4, groups=4, bonus=0.7)
    groups = {"judge": judge, "item": item, "two-way": np.column_stack([judge, item])}[cluster]
    ref = _statsmodels_fit(item, judge, score, affinity, groups)
    fav = judgestats.favoritism(item, judge, score, affinity, cluster=cluster)
    assert fav.effect == pytest.approx(ref.params[-1], rel=1e-9)
    assert fav.se == pytest.approx(ref.bse[-1], rel=1e-6)
    lo, hi = fav.ci
    assert lo < fav.effect < hi and (hi - lo) == pytest.approx(2 * 1.96 * fav.se, rel=0.2)


def test_dense_and_conjugate_gradient_solvers_agree():
    item, judge, score, affinity = _design(5, bonus=0.4)
    dense = judgestats.favoritism(item, judge, score, affinity, solver="dense")
    cg = judgestats.favoritism(item, judge, score, affinity, solver="cg")
    assert cg.converged and cg.effect == pytest.approx(dense.effect, abs=1e-7)
    assert cg.se == pytest.approx(dense.se, rel=1e-5)


def test_planted_common_bonus_is_found_with_an_interval_that_covers_it():
    item, judge, score, affinity = _design(11, bonus=1.0)
    fav = judgestats.favoritism(item, judge, score, affinity)
    assert fav.ci[0] < 1.0 < fav.ci[1]
    assert fav.pvalue < 1e-6 and fav.n_affine == int(affinity.sum())
    tested = fav.per_judge.tested
    assert np.nanmean(fav.per_judge.bonus[tested]) == pytest.approx(1.0, abs=0.15)
    assert fav.method == "additive" and fav.options["cluster"] == "two-way"


def test_planted_personal_bonus_flags_those_judges_and_few_others():
    biased = (2, 9, 17, 30)
    false_flags = 0
    for seed in range(21, 26):
        item, judge, score, affinity = _design(seed, n_items=600, bonus=0.0, biased=biased)
        fav = judgestats.favoritism(item, judge, score, affinity)
        assert set(biased) <= set(fav.flagged.tolist()), seed
        false_flags += len(set(fav.flagged.tolist()) - set(biased))
        pj = fav.per_judge
        for j in biased:
            assert pj.bonus[j] == pytest.approx(1.5, abs=4 * pj.se[j])
            assert pj.qvalue[j] <= 0.05 and pj.pvalue[j] <= pj.qvalue[j]
    # BH keeps the expected share of false flags among flags at 5 %: about 0.2 per data set
    assert false_flags <= 4


def test_a_biased_judge_does_not_make_the_other_judges_of_the_same_items_look_harsh():
    """Judges of one group share their affine items; one of them gives +6. Without taking his
    share off the items' values, his colleagues' bonus would come out negative (about -0.12
    after a single backfitting sweep)."""
    item, judge, score, affinity = _design(8, n_items=900, groups=3, k=6, biased=())
    score = score + 6.0 * (affinity & (judge == 0))
    fav = judgestats.favoritism(item, judge, score, affinity)
    pj = fav.per_judge
    colleagues = [j for j in range(3, 36, 3) if pj.tested[j]]
    assert pj.bonus[0] == pytest.approx(6.0, abs=0.4)
    assert abs(np.mean(pj.bonus[colleagues])) < 0.08
    assert 0 in fav.flagged.tolist()


def test_no_favouritism_gives_few_false_flags_and_uniform_pooled_pvalues():
    seeds = range(40)
    any_flag = pooled_reject = 0
    for seed in seeds:
        item, judge, score, affinity = _design(100 + seed)
        fav = judgestats.favoritism(item, judge, score, affinity, alpha=0.05)
        any_flag += fav.flagged.size > 0
        pooled_reject += fav.pvalue < 0.05
    # BH at 0.05 under the global null flags anybody in about 5 % of data sets; 40 seeds:
    # expected 2, and 7 or more would happen with probability < 0.5 %.
    assert any_flag <= 6
    assert pooled_reject <= 6


def test_shrinkage_pulls_judges_with_few_affine_scores_more():
    item, judge, score, affinity = _design(31, n_items=400, bonus=0.5, biased=(1, 2, 3))
    fav = judgestats.favoritism(item, judge, score, affinity)
    pj = fav.per_judge
    t = np.flatnonzero(pj.tested)
    pulled = np.abs(pj.shrunk[t] - pj.bonus[t]) / np.maximum(np.abs(pj.bonus[t] - fav.effect), 1e-12)
    # pulled share is se^2 / (tau^2 + se^2): increasing in se, so rank-correlated with it
    assert pj.tau > 0
    order = np.argsort(pj.se[t])
    assert np.all(np.diff(pulled[order]) >= -1e-9)
    assert np.all(pj.shrunk_se[t] <= pj.se[t])


def test_result_is_frozen_and_read_only():
    item, judge, score, affinity = _design(7, bonus=0.3)
    fav = judgestats.favoritism(item, judge, score, affinity)
    with pytest.raises(AttributeError):
        fav.effect = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        fav.per_judge.bonus[0] = 1.0
    with pytest.raises(TypeError):
        fav.options["alpha"] = 0.5  # type: ignore[index]


@pytest.mark.parametrize("bad, message", [
    (lambda a: a[:-1], "`affinity` has length"),
    (lambda a: a.astype(int), "`affinity` must be boolean"),
    (lambda a: np.zeros_like(a), "no affine scores"),
    (lambda a: np.ones_like(a), "True for every score"),
])
def test_bad_affinity_is_refused_with_the_problem_named(bad, message):
    item, judge, score, affinity = _design(1, bonus=0.3)
    with pytest.raises(ValueError, match=message):
        judgestats.favoritism(item, judge, score, bad(affinity))


def test_affinity_that_fixed_effects_explain_is_refused():
    item, judge, score, _ = _design(2)
    with pytest.raises(ValueError, match="explained entirely by item and judge effects"):
        judgestats.favoritism(item, judge, score, judge % 2 == 0)


def test_disconnected_design_is_refused():
    item = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    judge = np.array([0, 1, 0, 1, 2, 3, 2, 3])
    score = np.arange(8.0)
    with pytest.raises(judgestats.DisconnectedDesignError, match="disconnected .2 components"):
        judgestats.favoritism(item, judge, score, judge == item)


def test_bad_options_are_refused():
    item, judge, score, affinity = _design(1, bonus=0.3)
    with pytest.raises(ValueError, match="`method` must be 'additive'"):
        judgestats.favoritism(item, judge, score, affinity, method="rasch")
    with pytest.raises(ValueError, match="`ci_level`"):
        judgestats.favoritism(item, judge, score, affinity, ci_level=1.5)
    with pytest.raises(ValueError, match="`cluster`"):
        judgestats.favoritism(item, judge, score, affinity, cluster="nation")


def test_figure_skating_compatriot_bonus(skating_pcs):
    """Zitzewitz (2006) found judges mark their compatriots higher; the 2016-17 ISU panels show it."""
    s = skating_pcs
    judge_nation = np.array([s.judges[n] for n in s.judge_names])
    item_nation = np.array([s.items[n]["nation"] for n in s.item_names])
    home = judge_nation[s.judge] == item_nation[s.item]
    fav = judgestats.favoritism(s.item, s.judge, s.score, home)
    assert fav.n_affine == int(home.sum()) > 1000
    assert 0.1 < fav.effect < 0.6 and fav.ci[0] > 0 and fav.pvalue < 1e-6
    assert fav.df == 213  # two-way: the smaller dimension, 214 judges
    # judges who ever scored a compatriot and another skater are tested; some are flagged
    assert fav.per_judge.tested.sum() > 50
    assert 0 < fav.flagged.size < fav.per_judge.tested.sum()
    assert np.all(fav.per_judge.bonus[fav.flagged] > 0)
