"""Real judging data: ISU figure skating 2016-17 (BuzzFeed News, CC BY 4.0), see
../shared/data/figure-skating/README.md. Tests skip with a reason if the folder is absent."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import judgestats
from judgestats.reliability import icc, judge_consistency, kendall_w

from .conftest import SKATING_DIR, load_skating


def test_pcs_design_is_one_component_with_the_documented_size(skating_pcs):
    s = skating_pcs
    c = judgestats.connectivity(s.item, s.judge)
    assert (c.n_items, c.n_judges, c.n_scores) == (1726, 214, 15526)
    assert c.n_components == 1 and c.connected
    assert set(np.unique(c.judges_per_item)) == {8, 9}
    assert (c.items_per_judge.min(), int(np.median(c.items_per_judge)),
            c.items_per_judge.max()) == (12, 54, 292)
    # every judge shares items with the other members of at least one 8-9 judge panel
    assert c.judge_links.min() >= 7


def test_pcs_additive_calibration_runs_and_is_finite(skating_pcs):
    s = skating_pcs
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cal = judgestats.calibrate(s.item, s.judge, s.score, method="additive")
    assert cal.converged and cal.n_components == 1
    assert np.all(np.isfinite(cal.item_value)) and np.all(np.isfinite(cal.judge_severity))
    assert np.all(np.isfinite(cal.item_se)) and np.all(cal.item_se > 0)
    assert abs(cal.judge_severity.sum()) < 1e-9
    # with complete 9-judge panels the calibrated values stay close to the raw means ...
    assert np.corrcoef(cal.item_value, cal.item_raw_mean)[0, 1] > 0.99
    # ... and judges differ by a few tenths of a point
    assert 0.05 < np.std(cal.judge_severity) < 1.0
    assert cal.diagnostics["se_method"] == "exact"


def test_pcs_home_country_bias_is_visible_in_the_residuals(skating_pcs):
    """Judges mark skaters from their own country higher than the additive model predicts
    (the BuzzFeed News finding): mean residual for compatriots is clearly positive."""
    s = skating_pcs
    cal = judgestats.calibrate(s.item, s.judge, s.score, method="additive")
    judge_nation = np.array([s.judges[n] for n in s.judge_names])
    item_nation = np.array([s.items[n]["nation"] for n in s.item_names])
    home = judge_nation[s.judge] == item_nation[s.item]
    assert home.sum() > 1000
    r_home, r_other = cal.residuals[home].mean(), cal.residuals[~home].mean()
    assert np.isfinite(r_home) and np.isfinite(r_other)
    assert r_home - r_other > 0.15
    se = cal.residuals[home].std(ddof=1) / np.sqrt(home.sum())
    assert (r_home - r_other) / se > 10


@pytest.mark.parametrize("method", ["mean", "trimmed", "zscore", "confidence", "affine",
                                    "mixed"])
def test_pcs_every_method_gives_finite_values(skating_pcs, method):
    s = skating_pcs
    cal = judgestats.calibrate(s.item, s.judge, s.score, method=method)
    assert cal.converged
    assert np.all(np.isfinite(cal.item_value)) and np.all(np.isfinite(cal.item_se))
    assert np.corrcoef(cal.item_value, cal.item_raw_mean)[0, 1] > 0.95


def test_pcs_mixed_judge_variance_is_positive(skating_pcs):
    s = skating_pcs
    cal = judgestats.calibrate(s.item, s.judge, s.score, method="mixed")
    assert cal.diagnostics["tau2"] > 0
    assert 0 < cal.diagnostics["judge_icc"] < 1
    add = judgestats.calibrate(s.item, s.judge, s.score, method="additive")
    # shrinkage: mixed judge effects are smaller than the fixed-effect ones
    assert np.abs(cal.judge_severity).sum() < np.abs(add.judge_severity).sum()


def test_pcs_ranking_within_a_program_follows_the_official_order(skating_pcs):
    """PCS is one part of the total, so ranks differ, but strongly agree."""
    s = skating_pcs
    cal = judgestats.calibrate(s.item, s.judge, s.score, method="additive")
    from scipy.stats import spearmanr

    groups = {}
    for k, name in enumerate(s.item_names):
        row = s.items[name]
        groups.setdefault((row["competition"], row["program"]), []).append(
            (k, int(row["rank"])))
    rhos = []
    for members in groups.values():
        if len(members) >= 8:
            idx = np.array([m[0] for m in members])
            official = np.array([m[1] for m in members])
            rhos.append(spearmanr(-cal.item_value[idx], official).statistic)
    assert len(rhos) > 100
    assert np.median(rhos) > 0.85


def test_pcs_panel_reliability_statistics(skating_pcs):
    """One complete panel (program) as a rating matrix: ICC, Kendall's W."""
    s = skating_pcs
    progs = {}
    for k, name in enumerate(s.item_names):
        row = s.items[name]
        progs.setdefault((row["competition"], row["program"]), []).append(k)
    key = max(progs, key=lambda p: len(progs[p]))
    items = np.array(sorted(progs[key]))
    mask = np.isin(s.item, items)
    judges = np.unique(s.judge[mask])
    m = np.full((items.size, judges.size), np.nan)
    m[np.searchsorted(items, s.item[mask]), np.searchsorted(judges, s.judge[mask])] = \
        s.score[mask]
    assert not np.isnan(m).any()
    r = icc(m)
    assert 0.8 < r.icc3.value < 1 and r.icc3k.value > 0.95
    w = kendall_w(m, raters_axis=1)
    assert 0.8 < w.w <= 1 and w.pvalue < 1e-6


def test_pcs_judge_consistency(skating_pcs):
    s = skating_pcs
    cal = judgestats.calibrate(s.item, s.judge, s.score, method="additive")
    c = judge_consistency(cal, s.item, s.judge, s.score)
    assert np.all(np.isfinite(c.correlation))
    assert np.median(c.correlation) > 0.9


def test_pcs_bootstrap_is_deterministic(skating_pcs):
    s = skating_pcs
    a = judgestats.bootstrap(s.item, s.judge, s.score, "additive", 10, reps=15, seed=3)
    b = judgestats.bootstrap(s.item, s.judge, s.score, "additive", 10, reps=15, seed=3)
    np.testing.assert_array_equal(a.p_top, b.p_top)
    assert a.p_top.sum() == pytest.approx(10)


@pytest.mark.slow
def test_goe_rasch_many_facet_model_runs():
    """GOE marks are integers -3..+3: a 7-level rating scale for the many-facet Rasch model."""
    if not (SKATING_DIR / "figure_skating_goe.csv").is_file():
        pytest.skip(f"figure-skating data not found at {SKATING_DIR}")
    g = load_skating("goe")
    c = judgestats.connectivity(g.item, g.judge)
    assert c.n_components == 1 and (c.n_items, c.n_judges) == (15213, 214)
    with pytest.warns(judgestats.DegenerateDataWarning, match="extreme scores"):
        cal = judgestats.calibrate(g.item, g.judge, g.score, method="rasch")
    assert cal.converged
    assert np.all(np.isfinite(cal.item_value)) and np.all(np.isfinite(cal.judge_severity))
    tau = np.asarray(cal.diagnostics["thresholds"])
    assert tau.size == 6 and np.all(np.diff(tau) > 0)  # ordered thresholds
    infit = np.asarray(cal.diagnostics["judge_infit"])
    assert 0.7 < np.median(infit) < 1.3
