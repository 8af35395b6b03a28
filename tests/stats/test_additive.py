"""The additive two-way model and calibration with confidence: exact least squares,
standard errors, solvers, invariances (hypothesis), reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import judgestats

from .conftest import simulate


def dense_solution(item, judge, score, weight=None, n_items=None, n_judges=None):
    """Weighted least squares of the full design matrix with a sum-zero row for offsets."""
    item, judge, score = map(np.asarray, (item, judge, score))
    ni = n_items or item.max() + 1
    nj = n_judges or judge.max() + 1
    w = np.ones(score.size) if weight is None else np.asarray(weight, float)
    x = np.zeros((score.size + 1, ni + nj))
    x[np.arange(score.size), item] = 1
    x[np.arange(score.size), ni + judge] = 1
    x[-1, ni:] = 1e3  # sum-zero constraint (exactly satisfiable: large weight row)
    sw = np.sqrt(np.r_[w, 1.0])
    beta = np.linalg.lstsq(x * sw[:, None], np.r_[score, 0.0] * sw, rcond=None)[0]
    v, o = beta[:ni], beta[ni:]
    resid = score - v[item] - o[judge]
    dof = score.size - ni - nj + 1
    sigma2 = np.sum(w * resid**2) / dof
    # covariance of the constrained solution: pseudo-inverse of the normal matrix
    xs = x[:-1] * np.sqrt(w)[:, None]
    nm = xs.T @ xs
    # map any solution to the gauge sum(o) = 0: v + mean(o), o - mean(o)
    p = np.eye(ni + nj)
    p[ni:, ni:] -= 1.0 / nj
    p[:ni, ni:] += 1.0 / nj
    cov = sigma2 * p @ np.linalg.pinv(nm) @ p.T
    return v, o, np.sqrt(np.diag(cov)[:ni]), resid


def test_additive_equals_dense_least_squares(design):
    cal = judgestats.calibrate(design.item, design.judge, design.score, method="additive")
    v, o, se, resid = dense_solution(design.item, design.judge, design.score)
    np.testing.assert_allclose(cal.item_value, v, atol=1e-9)
    np.testing.assert_allclose(cal.judge_offset, o, atol=1e-9)
    np.testing.assert_allclose(cal.residuals, resid, atol=1e-9)
    np.testing.assert_allclose(cal.item_se, se, rtol=1e-7)
    assert abs(cal.judge_severity.sum()) < 1e-9
    assert cal.diagnostics["se_method"] == "exact"


def test_weighted_additive_equals_dense_weighted_least_squares(design):
    w = np.random.default_rng(5).uniform(0.2, 3.0, design.score.size)
    cal = judgestats.calibrate(design.item, design.judge, design.score, weight=w)
    v, o, se, _ = dense_solution(design.item, design.judge, design.score, weight=w)
    np.testing.assert_allclose(cal.item_value, v, atol=1e-9)
    np.testing.assert_allclose(cal.judge_offset, o, atol=1e-9)
    np.testing.assert_allclose(cal.item_se, se, rtol=1e-7)


def test_cg_solver_matches_dense_solver():
    d = simulate(800, 120, 6, seed=2)
    dense = judgestats.calibrate(d.item, d.judge, d.score, solver="dense")
    cg = judgestats.calibrate(d.item, d.judge, d.score, solver="cg", se="approximate")
    np.testing.assert_allclose(cg.item_value, dense.item_value, atol=1e-8)
    np.testing.assert_allclose(cg.judge_severity, dense.judge_severity, atol=1e-8)
    assert cg.converged and cg.diagnostics["solver"] == "cg"
    # the approximate SE ignores covariance between offsets: close to exact, never above
    # a few percent off in a well-connected design
    ratio = cg.item_se / dense.item_se
    assert 0.9 < ratio.min() and ratio.max() < 1.1


def test_additive_agrees_with_scipy_lsqr(design):
    from scipy import sparse
    from scipy.sparse.linalg import lsqr

    n, ni, nj = design.score.size, design.n_items, design.n_judges
    rows = np.r_[np.arange(n), np.arange(n), n * np.ones(nj, int)]
    cols = np.r_[design.item, ni + design.judge, ni + np.arange(nj)]
    a = sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n + 1, ni + nj))
    sol = lsqr(a, np.r_[design.score, 0.0], atol=1e-14, btol=1e-14, iter_lim=100000)[0]
    cal = judgestats.calibrate(design.item, design.judge, design.score)
    np.testing.assert_allclose(cal.item_value, sol[:ni], atol=1e-7)


def test_additive_recovers_true_offsets_better_than_raw_mean():
    d = simulate(400, 50, 5, seed=11, offset_sd=1.5, noise_sd=0.4)
    cal = judgestats.calibrate(d.item, d.judge, d.score, method="additive")
    raw = judgestats.calibrate(d.item, d.judge, d.score, method="mean")
    assert np.corrcoef(cal.judge_offset, d.offset)[0, 1] > 0.99
    assert np.max(np.abs(cal.judge_offset - d.offset)) < 0.3
    err_cal = np.sqrt(np.mean((cal.item_value - cal.item_value.mean()
                               - (d.value - d.value.mean())) ** 2))
    err_raw = np.sqrt(np.mean((raw.item_value - raw.item_value.mean()
                               - (d.value - d.value.mean())) ** 2))
    assert err_cal < 0.5 * err_raw


def test_confidence_with_unit_confidence_equals_additive(design):
    a = judgestats.calibrate(design.item, design.judge, design.score, method="additive")
    c = judgestats.calibrate(design.item, design.judge, design.score, method="confidence")
    np.testing.assert_allclose(c.item_value, a.item_value, atol=1e-12)
    np.testing.assert_allclose(c.item_se, a.item_se, rtol=1e-9)


def test_confidence_downweights_unreliable_scores_and_recovers_offsets():
    rng = np.random.default_rng(21)
    d = simulate(400, 40, 5, seed=21, noise_sd=0.0)
    sd = rng.choice([0.2, 0.5, 2.0], size=d.score.size)  # declared uncertainty
    score = d.score + rng.normal(0, sd)
    conf = 1.0 / sd**2
    c = judgestats.calibrate(d.item, d.judge, score, method="confidence", confidence=conf)
    a = judgestats.calibrate(d.item, d.judge, score, method="additive")
    truth = d.value - d.value.mean()
    err_c = np.sqrt(np.mean((c.item_value - c.item_value.mean() - truth) ** 2))
    err_a = np.sqrt(np.mean((a.item_value - a.item_value.mean() - truth) ** 2))
    assert err_c < 0.8 * err_a
    assert np.corrcoef(c.judge_offset, d.offset)[0, 1] > 0.99
    # honest declared precisions: chi-square per degree of freedom near 1
    assert 0.8 < c.diagnostics["chi2_per_dof"] < 1.2
    # SEs from declared precisions agree with the actual error
    z = (c.item_value - c.item_value.mean() - truth) / c.item_se
    assert 0.8 < np.std(z) < 1.25
    np.testing.assert_allclose(c.diagnostics["item_confidence"],
                               np.bincount(d.item, conf), rtol=1e-12)


def test_confidence_bias_prior_shrinks_offsets(design):
    free = judgestats.calibrate(design.item, design.judge, design.score, method="confidence")
    shrunk = judgestats.calibrate(design.item, design.judge, design.score,
                                  method="confidence", bias_prior=5.0)
    assert np.abs(shrunk.judge_severity).sum() < np.abs(free.judge_severity).sum()
    assert abs(shrunk.judge_severity.sum()) < 1e-9


def test_digest_is_reproducible_and_sensitive(design):
    a = judgestats.calibrate(design.item, design.judge, design.score)
    b = judgestats.calibrate(design.item.copy(), design.judge.copy(), design.score.copy())
    assert a.digest() == b.digest()
    assert len(a.digest()) == 64 and int(a.digest(), 16) >= 0
    s = design.score.copy()
    s[0] += 1e-9
    assert judgestats.calibrate(design.item, design.judge, s).digest() != a.digest()
    assert judgestats.calibrate(design.item, design.judge, design.score,
                                method="mean").digest() != a.digest()
    assert judgestats.calibrate(design.item, design.judge, design.score,
                                tol=1e-11).digest() != a.digest()


def test_result_is_frozen_and_read_only(design):
    cal = judgestats.calibrate(design.item, design.judge, design.score)
    with pytest.raises(Exception):
        cal.method = "mean"
    with pytest.raises(ValueError):
        cal.item_value[0] = 0.0
    with pytest.raises(TypeError):
        cal.options["tol"] = 1.0
    assert cal.options["solver"] == "auto" and cal.version == judgestats.__version__


# ----------------------------------------------------------------- property tests


@st.composite
def designs(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    ni = draw(st.integers(4, 25))
    nj = draw(st.integers(2, 8))
    k = draw(st.integers(2, min(nj, 4)))
    rng = np.random.default_rng(seed)
    item = np.repeat(np.arange(ni), k)
    judge = np.concatenate([rng.choice(nj, k, replace=False) for _ in range(ni)])
    # ring so every judge scores >= 2 items and the design is connected
    ring_i = np.repeat(np.arange(nj), 2) % ni
    ring_j = np.r_[np.arange(nj), (np.arange(nj) + 1) % nj].reshape(2, -1).T.ravel()
    item = np.r_[item, ring_i]
    judge = np.r_[judge, ring_j]
    score = np.round(rng.normal(70, 10, item.size), 1)
    return item, judge, score, nj, rng


SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(designs(), st.floats(-50, 50, allow_nan=False))
def test_shifting_one_judge_leaves_additive_values_unchanged(d, shift):
    item, judge, score, nj, rng = d
    base = judgestats.calibrate(item, judge, score, method="additive")
    j = int(rng.integers(nj))
    moved = judgestats.calibrate(item, judge, score + shift * (judge == j), method="additive")
    np.testing.assert_allclose(moved.item_value - moved.item_value.mean(),
                               base.item_value - base.item_value.mean(), atol=1e-8)
    np.testing.assert_allclose(moved.residuals, base.residuals, atol=1e-8)
    # the shift lands on judge j's offset (up to the sum-zero centring)
    expected = base.judge_offset + shift * (np.arange(nj) == j) - shift / nj
    np.testing.assert_allclose(moved.judge_offset, expected, atol=1e-8)


@SETTINGS
@given(designs(), st.floats(-100, 100, allow_nan=False),
       st.sampled_from(["mean", "trimmed", "zscore", "additive", "confidence", "affine",
                        "mixed"]))
def test_adding_a_constant_shifts_values_by_that_constant(d, c, method):
    item, judge, score, _, _ = d
    if method == "zscore" and np.bincount(judge).min() < 3:
        return
    if method == "affine" and np.bincount(judge).min() < 3:
        return
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = judgestats.calibrate(item, judge, score, method=method)
        b = judgestats.calibrate(item, judge, score + c, method=method)
    tol = 1e-6 if method in ("affine", "mixed") else 1e-8
    np.testing.assert_allclose(b.item_value, a.item_value + c, atol=tol * (1 + abs(c)))
    np.testing.assert_allclose(b.judge_severity, a.judge_severity, atol=tol * (1 + abs(c)))


@SETTINGS
@given(designs(), st.sampled_from(["mean", "trimmed", "additive", "confidence", "mixed"]))
def test_permuting_labels_permutes_results(d, method):
    item, judge, score, nj, rng = d
    ni = item.max() + 1
    pi, pj = rng.permutation(ni), rng.permutation(nj)
    order = rng.permutation(score.size)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = judgestats.calibrate(item, judge, score, method=method)
        b = judgestats.calibrate(pi[item][order], pj[judge][order], score[order],
                                 method=method)
    tol = 1e-5 if method == "mixed" else 1e-8  # REML optimum found to ~1e-6
    np.testing.assert_allclose(b.item_value[pi], a.item_value, atol=tol)
    np.testing.assert_allclose(b.item_se[pi], a.item_se, rtol=tol * 100)
    np.testing.assert_allclose(b.judge_severity[pj], a.judge_severity, atol=tol)
    np.testing.assert_allclose(b.residuals, a.residuals[order], atol=tol)


def test_cg_iteration_limit_is_reported():
    d = simulate(400, 60, 4, seed=3)
    with pytest.warns(judgestats.ConvergenceWarning, match="conjugate gradients stopped"):
        cal = judgestats.calibrate(d.item, d.judge, d.score, solver="cg", max_iter=2)
    assert not cal.converged


def test_additive_agrees_with_statsmodels_ols_sum_coding():
    """Independent check: OLS of score ~ C(item) - 1 + C(judge, Sum) (judge effects summing
    to zero) gives the same item values, standard errors and judge offsets."""
    pd = pytest.importorskip("pandas")
    smf = pytest.importorskip("statsmodels.formula.api")
    d = simulate(60, 12, 4, seed=17)
    df = pd.DataFrame({"item": d.item, "judge": d.judge, "score": d.score})
    fit = smf.ols("score ~ C(item) - 1 + C(judge, Sum)", data=df).fit()
    cal = judgestats.calibrate(d.item, d.judge, d.score, method="additive")
    names = [f"C(item)[{i}]" for i in range(d.n_items)]
    np.testing.assert_allclose(cal.item_value, fit.params[names], atol=1e-9)
    np.testing.assert_allclose(cal.item_se, fit.bse[names], rtol=1e-9)
    offs = np.array([fit.params[f"C(judge, Sum)[S.{j}]"] for j in range(d.n_judges - 1)])
    np.testing.assert_allclose(cal.judge_offset, np.r_[offs, -offs.sum()], atol=1e-9)
    assert cal.sigma == pytest.approx(np.sqrt(fit.scale), rel=1e-10)
