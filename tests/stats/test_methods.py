"""Known-truth simulations for every method, the trimming rule, zscore, affine, mixed
(against statsmodels MixedLM) and many-facet Rasch (against the generating model)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import judgestats
from judgestats import ConvergenceWarning, DegenerateDataWarning

from .conftest import simulate


def _rmse_centered(est, truth):
    return float(np.sqrt(np.mean(((est - est.mean()) - (truth - truth.mean())) ** 2)))


def _top_hits(est, truth, n=10):
    return len(set(np.argsort(-truth)[:n]) & set(np.argsort(-est)[:n]))


@pytest.fixture(scope="module")
def biased():
    """600 items x 60 judges x 6 scores, strong severity and scale bias."""
    return simulate(600, 60, 6, seed=7, offset_sd=1.2, scale_sd=0.35, noise_sd=0.35)


@pytest.fixture(scope="module")
def replicates():
    """Five 400-item x 50-judge designs, 6 scores per item, severity and scale bias."""
    return [simulate(400, 50, 6, seed=100 + s, offset_sd=1.2, scale_sd=0.2, noise_sd=0.3)
            for s in range(5)]


@pytest.mark.parametrize("method", ["zscore", "additive", "confidence", "affine", "mixed"])
def test_calibrated_methods_beat_the_raw_mean(replicates, method):
    """Over five replicate competitions the calibrated values are much closer to the truth
    and find clearly more of the true top 10 than the raw mean (the raw mean finds ~6 of
    10 per competition, calibrated methods ~8)."""
    hits_cal = hits_raw = 0
    for d in replicates:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            cal = judgestats.calibrate(d.item, d.judge, d.score, method=method)
            raw = judgestats.calibrate(d.item, d.judge, d.score, method="mean")
        assert _rmse_centered(cal.item_value, d.value) < 0.6 * _rmse_centered(
            raw.item_value, d.value)
        hits_cal += _top_hits(cal.item_value, d.value)
        hits_raw += _top_hits(raw.item_value, d.value)
    assert hits_cal >= hits_raw + 6
    assert hits_cal >= 37


def test_affine_recovers_judge_scales(biased):
    d = biased
    cal = judgestats.calibrate(d.item, d.judge, d.score, method="affine")
    assert cal.converged
    assert abs(cal.judge_scale.mean() - 1) < 1e-12
    assert np.corrcoef(cal.judge_scale, d.scale)[0, 1] > 0.9
    assert _rmse_centered(cal.item_value, d.value) < _rmse_centered(
        judgestats.calibrate(d.item, d.judge, d.score, method="additive").item_value, d.value)


def test_affine_is_a_least_squares_stationary_point(biased):
    """At convergence no single-judge regression or item mean can lower the RSS."""
    d = biased
    cal = judgestats.calibrate(d.item, d.judge, d.score, method="affine", tol=1e-13)
    a = np.asarray(cal.diagnostics["judge_intercept"])
    b = np.asarray(cal.judge_scale)
    v = cal.item_value
    r = d.score - a[d.judge] - b[d.judge] * v[d.item]
    np.testing.assert_allclose(r, cal.residuals, atol=1e-10)
    # gradients of RSS wrt a_j, b_j, v_i vanish
    assert np.abs(np.bincount(d.judge, r)).max() < 1e-6
    assert np.abs(np.bincount(d.judge, r * v[d.item])).max() < 1e-6
    assert np.abs(np.bincount(d.item, r * b[d.judge])).max() < 1e-6


def test_zscore_standardizes_each_judge():
    d = simulate(200, 20, 5, seed=3, scale_sd=0.5)
    cal = judgestats.calibrate(d.item, d.judge, d.score, method="zscore", rescale=False)
    m = np.bincount(d.judge, d.score) / np.bincount(d.judge)
    sd = np.array([d.score[d.judge == j].std(ddof=1) for j in range(d.n_judges)])
    z = (d.score - m[d.judge]) / sd[d.judge]
    np.testing.assert_allclose(cal.item_value, np.bincount(d.item, z) / np.bincount(d.item),
                               atol=1e-12)
    np.testing.assert_allclose(cal.judge_scale * np.mean(sd), sd, rtol=1e-12)
    assert cal.judge_scale.mean() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "scores, min_scores, expected",
    [
        ([9, 7, 8, 3, 8.5], 3, (9 - 9 + 7 + 8 + 8.5) / 3),  # drop 9 and 3
        ([9, 7, 8, 3, 8.5], 5, (7 + 8 + 8.5) / 3),
        ([9, 7, 8, 3, 8.5], 6, (9 + 7 + 8 + 3 + 8.5) / 5),  # panel too small: plain mean
        ([6, 8], 3, 7.0),  # fewer than 3 scores: plain mean
        ([5, 5, 5, 9], 3, 5.0),  # ties at the bottom: only one 5 dropped
        ([7], 3, 7.0),
    ],
)
def test_trimming_rule(scores, min_scores, expected):
    n = len(scores)
    item = np.r_[np.zeros(n, int), 1, 1]
    judge = np.r_[np.arange(n), 0, 1]
    score = np.r_[scores, 1.0, 2.0]
    cal = judgestats.calibrate(item, judge, score, method="trimmed",
                               min_scores_to_trim=min_scores)
    assert cal.item_value[0] == pytest.approx(expected, abs=1e-12)
    used = np.asarray(cal.diagnostics["score_used"])[:n]
    trimmed = n >= min_scores
    assert used.sum() == (n - 2 if trimmed else n)
    assert bool(cal.diagnostics["item_trimmed"][0]) is trimmed


@pytest.mark.parametrize("scores, expected, trimmed", [
    ([9, 7, 8, 3, 8.5], 23.5 / 3, True),  # a panel of 5: the highest and the lowest score go
    ([9, 7, 8, 3, 8.5, 6], 29.5 / 4, True),
    ([9, 7, 8, 3], 6.75, False),  # 4 scores: the plain mean
    ([6, 8], 7.0, False),
])
def test_trimmed_mean_trims_only_a_panel_of_five_or_more(scores, expected, trimmed):
    n = len(scores)
    item, judge, score = np.r_[np.zeros(n, int), 1, 1], np.r_[np.arange(n), 0, 1], np.r_[scores, 1.0, 2.0]
    cal = judgestats.calibrate_trimmed_mean(item, judge, score)
    assert cal.method == "trimmed_mean" and cal.options["min_scores_to_trim"] == 5 and cal.options["n_trim"] == 1
    assert cal.item_value[0] == pytest.approx(expected, abs=1e-12)
    assert bool(cal.diagnostics["item_trimmed"][0]) is trimmed
    same = judgestats.calibrate(item, judge, score, method="trimmed", min_scores_to_trim=5)
    assert np.array_equal(cal.item_value, same.item_value)


def test_trimmed_two_per_side():
    item = np.zeros(7, int)
    cal = judgestats.calibrate(item, np.arange(7), [1.0, 2, 3, 4, 5, 6, 100], method="trimmed",
                               n_trim=2, min_scores_to_trim=5)
    assert cal.item_value[0] == pytest.approx(4.0)


# ----------------------------------------------------------------- mixed model


def _mixed_design(seed=3, ni=25, nj=10, k=4):
    rng = np.random.default_rng(seed)
    item = np.repeat(np.arange(ni), k)
    judge = np.concatenate([rng.choice(nj, k, replace=False) for _ in range(ni)])
    tv = rng.normal(0, 1, ni)
    u = rng.normal(0, 0.8, nj)
    y = 5 + tv[item] + u[judge] + rng.normal(0, 0.5, item.size)
    return item, judge, y


@pytest.mark.parametrize("seed", [3, 8])
def test_mixed_agrees_with_statsmodels_mixedlm(seed):
    sm = pytest.importorskip("statsmodels.api")
    item, judge, y = _mixed_design(seed)
    ni, nj = item.max() + 1, judge.max() + 1
    cal = judgestats.calibrate(item, judge, y, method="mixed", tol=1e-12)
    x = np.zeros((y.size, ni))
    x[np.arange(y.size), item] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.MixedLM(y, x, groups=judge).fit(reml=True, method="bfgs", gtol=1e-12)
    np.testing.assert_allclose(cal.item_value, fit.fe_params, atol=1e-6)
    assert cal.diagnostics["tau2"] == pytest.approx(float(np.asarray(fit.cov_re)[0, 0]),
                                                    rel=1e-5)
    assert cal.diagnostics["sigma2"] == pytest.approx(fit.scale, rel=1e-5)
    blup = np.array([np.asarray(fit.random_effects[j])[0] for j in range(nj)])
    np.testing.assert_allclose(-cal.judge_severity, blup, atol=1e-6)
    assert cal.diagnostics["reml_loglik"] == pytest.approx(fit.llf, abs=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_mixed_standard_errors_are_the_gls_covariance(weighted):
    item, judge, y = _mixed_design(5)
    w = np.random.default_rng(2).uniform(0.5, 2.0, y.size) if weighted else np.ones(y.size)
    cal = judgestats.calibrate(item, judge, y, method="mixed", weight=w)
    ni, nj = item.max() + 1, judge.max() + 1
    x = np.zeros((y.size, ni))
    x[np.arange(y.size), item] = 1
    z = np.zeros((y.size, nj))
    z[np.arange(y.size), judge] = 1
    # residual variance sigma2 / w (weights normalised to mean 1), judge variance tau2
    v = cal.diagnostics["sigma2"] * np.diag(w.mean() / w) + cal.diagnostics["tau2"] * z @ z.T
    vi = np.linalg.inv(v)
    cov = np.linalg.inv(x.T @ vi @ x)
    beta = cov @ x.T @ vi @ y
    np.testing.assert_allclose(cal.item_value, beta, atol=1e-9)
    np.testing.assert_allclose(cal.item_se, np.sqrt(np.diag(cov)), rtol=1e-8)


def test_mixed_boundary_warns_when_judges_do_not_differ():
    rng = np.random.default_rng(1)
    item = np.repeat(np.arange(30), 3)
    judge = np.concatenate([rng.choice(6, 3, replace=False) for _ in range(30)])
    y = rng.normal(0, 1, 30)[item] + rng.normal(0, 1.0, item.size)
    # every judge's mean is made exactly equal: no judge variance left to estimate
    judge_mean = np.bincount(judge, y) / np.bincount(judge)
    y = y - judge_mean[judge]
    with pytest.warns(DegenerateDataWarning, match="judge variance is estimated at 0"):
        cal = judgestats.calibrate(item, judge, y, method="mixed")
    assert cal.diagnostics["tau2"] < 1e-6


@pytest.mark.parametrize("scores", ["item effects only", "all equal"])
def test_mixed_on_scores_the_items_fit_exactly_warns_instead_of_dividing_by_zero(scores):
    item = np.repeat(np.arange(6), 3)
    judge = np.array([(i + k) % 4 for i in range(6) for k in range(3)])
    y = 5.0 + 0.5 * item if scores == "item effects only" else np.full(item.size, 5.0)
    cal = judgestats.calibrate(item, judge, y, method="mixed", warn=False)
    assert cal.diagnostics["judge_icc"] == 0.0 and cal.diagnostics["sigma2"] == 0.0
    assert "fit every score exactly" in " ".join(w.message for w in cal.warnings)
    np.testing.assert_allclose(cal.item_value, 5.0 + 0.5 * np.arange(6) if scores == "item effects only" else 5.0)


# ----------------------------------------------------------------- Rasch


def simulate_rasch(ni=150, nj=15, k=6, K=4, seed=0):
    rng = np.random.default_rng(seed)
    item = np.repeat(np.arange(ni), k)
    judge = np.concatenate([rng.choice(nj, k, replace=False) for _ in range(ni)])
    B = rng.normal(0, 1.5, ni)
    C = rng.normal(0, 0.7, nj)
    C -= C.mean()
    tau = np.linspace(-1.5, 1.5, K)
    eta = B[item] - C[judge]
    cum = np.concatenate(([0.0], np.cumsum(tau)))
    logits = eta[:, None] * np.arange(K + 1) - cum
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    x = (rng.random(item.size)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    return item, judge, x.astype(float), B, C, tau


def test_rasch_recovers_the_generating_model():
    item, judge, x, B, C, tau = simulate_rasch(ni=300, nj=15, k=8, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        cal = judgestats.calibrate(item, judge, x, method="rasch")
    assert cal.converged
    assert abs(cal.judge_severity.mean()) < 1e-10
    # judges have ~160 ratings each: severities track the truth; JMLE spreads the
    # measures out a little (incidental item parameters with 8 ratings each)
    assert np.corrcoef(cal.judge_severity, C)[0, 1] > 0.97
    slope = np.polyfit(C, cal.judge_severity, 1)[0]
    assert 0.9 < slope < 1.35
    # items have 8 ratings: JMLE spreads them a little, order is kept
    ok = ~np.asarray(cal.diagnostics["extreme_items"])
    assert np.corrcoef(cal.item_value[ok], B[ok])[0, 1] > 0.93
    np.testing.assert_allclose(cal.diagnostics["thresholds"], tau, atol=0.35)
    # fit statistics of data generated by the model are near 1
    assert 0.85 < np.median(cal.diagnostics["judge_infit"]) < 1.15
    assert 0.85 < np.median(cal.diagnostics["judge_outfit"]) < 1.2
    # standard errors match the scatter of the estimates around the truth
    z = (cal.item_value[ok] - B[ok]) / cal.item_se[ok]
    assert 0.8 < np.std(z) < 1.5


def test_rasch_score_equations_hold_at_convergence():
    item, judge, x, *_ = simulate_rasch(seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        cal = judgestats.calibrate(item, judge, x, method="rasch", tol=1e-10)
    ext = np.asarray(cal.diagnostics["extreme_items"])
    r = np.asarray(cal.residuals)
    core = ~ext[item]
    # observed = expected totals for every non-extreme item and every judge
    assert np.abs(np.bincount(item, r, minlength=item.max() + 1)[~ext]).max() < 1e-6
    assert np.abs(np.bincount(judge[core], r[core])).max() < 1e-6


def test_rasch_flags_a_misfitting_judge():
    item, judge, x, *_ = simulate_rasch(ni=200, nj=10, k=6, seed=9)
    rng = np.random.default_rng(0)
    noisy = judge == 3
    x = x.copy()
    x[noisy] = rng.integers(0, 5, noisy.sum())  # judge 3 rates at random
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        cal = judgestats.calibrate(item, judge, x, method="rasch")
    cons = judgestats.reliability.judge_consistency(cal, item, judge, x)
    assert np.argmax(cons.outfit) == 3 and cons.outfit[3] > 1.5
    assert np.argmax(cons.infit) == 3
    assert np.argmin(cons.correlation) == 3


def test_rasch_extreme_items_get_finite_measures_with_a_warning():
    item, judge, x, *_ = simulate_rasch(ni=60, nj=8, k=5, seed=1)
    x = x.copy()
    x[item == 0] = 4.0  # item 0: every judge gave the top level
    x[item == 1] = 0.0
    with pytest.warns(DegenerateDataWarning, match="extreme scores"):
        cal = judgestats.calibrate(item, judge, x, method="rasch")
    assert np.all(np.isfinite(cal.item_value))
    assert cal.item_value[0] == cal.item_value.max()
    assert cal.item_value[1] == cal.item_value.min()
    assert bool(cal.diagnostics["extreme_items"][0])


def test_rasch_nonconvergence_is_reported():
    item, judge, x, *_ = simulate_rasch(seed=3)
    with pytest.warns(ConvergenceWarning):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            cal = judgestats.calibrate(item, judge, x, method="rasch", max_iter=2)
    assert not cal.converged and cal.iterations == 2


def test_rasch_jmle_matches_a_generic_optimizer_of_the_joint_likelihood():
    """Independent check: maximise the many-facet rating-scale log-likelihood with BFGS."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(12)
    ni, nj, K = 25, 6, 3
    item, judge, x, *_ = simulate_rasch(ni=ni, nj=nj, k=5, K=K, seed=12)
    tot = np.bincount(item, x, minlength=ni)
    n_i = np.bincount(item, minlength=ni)
    keep = ~((tot == 0) | (tot == K * n_i))[item]  # drop extreme items for this check
    _, item = np.unique(item[keep], return_inverse=True)
    judge, x = judge[keep], x[keep]
    ni = item.max() + 1
    cal = judgestats.calibrate(item, judge, x, method="rasch", tol=1e-11)
    assert not np.asarray(cal.diagnostics["extreme_items"]).any()

    def unpack(theta):
        b = theta[:ni]
        c = np.r_[theta[ni:ni + nj - 1], -theta[ni:ni + nj - 1].sum()]
        t = np.r_[theta[ni + nj - 1:], -theta[ni + nj - 1:].sum()]
        return b, c, t

    def nll(theta):
        b, c, t = unpack(theta)
        eta = b[item] - c[judge]
        logits = eta[:, None] * np.arange(K + 1) - np.r_[0.0, np.cumsum(t)]
        m = logits.max(axis=1)
        lse = m + np.log(np.exp(logits - m[:, None]).sum(axis=1))
        return -(logits[np.arange(x.size), x.astype(int)] - lse).sum()

    theta0 = np.r_[rng.normal(0, 0.1, ni), np.zeros(nj - 1), np.linspace(-1, 1, K)[:-1]]
    res = minimize(nll, theta0, method="BFGS", options={"gtol": 1e-9, "maxiter": 5000})
    b, c, t = unpack(res.x)
    np.testing.assert_allclose(cal.item_value, b, atol=2e-4)
    np.testing.assert_allclose(cal.judge_severity, c, atol=2e-4)
    np.testing.assert_allclose(cal.diagnostics["thresholds"], t, atol=2e-4)


def test_affine_matches_a_generic_least_squares_solver():
    from scipy.optimize import least_squares

    d = simulate(40, 6, 4, seed=13, scale_sd=0.3)
    cal = judgestats.calibrate(d.item, d.judge, d.score, method="affine", tol=1e-14,
                               max_iter=20000)
    nj, ni = d.n_judges, d.n_items

    def resid(theta):
        a, b, v = theta[:nj], theta[nj:2 * nj], theta[2 * nj:]
        return d.score - a[d.judge] - b[d.judge] * v[d.item]

    add = judgestats.calibrate(d.item, d.judge, d.score, method="additive")
    theta0 = np.r_[add.judge_offset, np.ones(nj), add.item_value]
    res = least_squares(resid, theta0, xtol=1e-15, ftol=1e-15, gtol=1e-15)
    assert np.sum(cal.residuals**2) == pytest.approx(np.sum(res.fun**2), rel=1e-8)
    # same fit up to the gauge: compare fitted values
    np.testing.assert_allclose(d.score - cal.residuals, d.score - res.fun, atol=1e-6)


def test_singular_or_empty_cases_raise_clear_errors():
    with pytest.raises(ValueError, match="single distinct value"):
        judgestats.calibrate([0, 0, 1, 1], [0, 1, 0, 1], [2.0, 2, 2, 2], method="rasch")
    with pytest.raises(ValueError, match="residual degrees of freedom"):
        judgestats.calibrate([0, 1, 2, 3], [0, 0, 0, 0], [1.0, 2, 3, 4], method="mixed")


def test_weighted_mixed_maximises_a_dense_reml_likelihood():
    """Independent dense REML: -2 l = log|V| + log|X'V^-1 X| + r'V^-1 r, minimised by
    Nelder-Mead over (log sigma2, log tau2); V = sigma2 diag(1/w) + tau2 Z Z'."""
    from scipy.optimize import minimize

    item, judge, y = _mixed_design(6, ni=15, nj=6, k=3)
    w = np.random.default_rng(6).uniform(0.5, 2.0, y.size)
    w = w / w.mean()
    ni, nj = item.max() + 1, judge.max() + 1
    x = np.zeros((y.size, ni))
    x[np.arange(y.size), item] = 1
    z = np.zeros((y.size, nj))
    z[np.arange(y.size), judge] = 1

    def m2ll(theta):
        s2, t2 = np.exp(theta)
        v = s2 * np.diag(1 / w) + t2 * z @ z.T
        vi = np.linalg.inv(v)
        xvx = x.T @ vi @ x
        beta = np.linalg.solve(xvx, x.T @ vi @ y)
        r = y - x @ beta
        return (np.linalg.slogdet(v)[1] + np.linalg.slogdet(xvx)[1] + r @ vi @ r)

    res = minimize(m2ll, np.log([0.3, 0.5]), method="Nelder-Mead",
                   options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
    cal = judgestats.calibrate(item, judge, y, method="mixed", weight=w, tol=1e-12)
    s2, t2 = np.exp(res.x)
    assert cal.diagnostics["sigma2"] == pytest.approx(s2, rel=1e-5)
    assert cal.diagnostics["tau2"] == pytest.approx(t2, rel=1e-5)


def test_rasch_without_a_finite_maximum_raises_a_clear_error():
    """A small random design whose ratings separate some elements perfectly: JMLE
    measures would run off to infinity; the engine says so instead of returning them."""
    rng = np.random.default_rng(11)
    ni, nj = rng.integers(5, 40), rng.integers(2, 10)
    k = rng.integers(2, min(nj, 5) + 1)
    item = np.repeat(np.arange(ni), k)
    judge = np.concatenate([rng.choice(nj, k, replace=False) for _ in range(ni)])
    K = rng.integers(1, 6)
    x = rng.integers(0, K + 1, item.size).astype(float)
    if rng.random() < 0.5:
        b = rng.normal(0, 2, ni)
        x = np.clip(np.round(b[item] + rng.normal(0, 1, item.size) + K / 2), 0, K)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        with pytest.raises(ValueError, match="Rasch likelihood has no finite maximum"):
            judgestats.calibrate(item, judge, x, method="rasch")


@pytest.mark.parametrize("method", ["mean", "trimmed", "zscore", "additive", "confidence",
                                    "affine", "mixed", "rasch"])
def test_every_method_returns_a_complete_reproducible_result(method):
    if method == "rasch":
        item, judge, score, *_ = simulate_rasch(ni=80, nj=10, k=5, seed=5)
    else:
        d = simulate(120, 15, 5, seed=5, scale_sd=0.2)
        item, judge, score = d.item, d.judge, d.score
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        a = judgestats.calibrate(item, judge, score, method=method)
        b = judgestats.calibrate(item, judge, score, method=method)
    assert a.method == method and a.converged
    assert a.digest() == b.digest()
    assert abs(a.judge_severity.mean()) < 1e-9
    assert np.all(np.isfinite(a.item_value)) and np.all(a.item_se > 0)
    assert np.all(np.isfinite(a.item_se))
    assert a.residuals.shape == score.shape and a.item_value.shape == (item.max() + 1,)
    assert (a.judge_scale is not None) == (method in ("zscore", "affine"))
    assert dict(a.options)["within_components"] is False
