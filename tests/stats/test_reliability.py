"""Reliability statistics against published worked examples and independent packages."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import judgestats
from judgestats import DegenerateDataWarning
from judgestats.reliability import icc, judge_consistency, kendall_w, krippendorff_alpha

# Shrout & Fleiss (1979), Table 2: 6 targets (rows) x 4 judges (columns)
SF_TABLE2 = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
                      [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float)
# Shrout & Fleiss (1979), Table 4: ICC(1,1) .17, ICC(2,1) .29, ICC(3,1) .71,
# ICC(1,4) .44, ICC(2,4) .62, ICC(3,4) .91
SF_PUBLISHED = {"icc1": 0.17, "icc2": 0.29, "icc3": 0.71, "icc1k": 0.44, "icc2k": 0.62,
                "icc3k": 0.91}
FIELDS = ["icc1", "icc2", "icc3", "icc1k", "icc2k", "icc3k"]

nan = np.nan
# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C:
# 4 observers (rows) x 12 units, missing values
K_C = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
                [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
                [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
                [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]])
K_C_PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}
# section A: binary data, two observers, 10 units: alpha = 0.095
K_A = np.array([[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]], float)
# section B: nominal data, two observers, 12 units (a..e coded 1..5): alpha = 0.692
K_B = np.array([[1, 1, 2, 2, 4, 3, 3, 3, 5, 4, 4, 1],
                [2, 1, 2, 2, 2, 3, 3, 3, 5, 4, 4, 4]], float)


def test_icc_reproduces_shrout_fleiss_table():
    r = icc(SF_TABLE2)
    for name, published in SF_PUBLISHED.items():
        assert round(getattr(r, name).value, 2) == published
    assert r.n_targets == 6 and r.n_raters == 4
    # F tests from the ANOVA (Shrout & Fleiss, Table 3 mean squares)
    assert r.bms == pytest.approx(11.24, abs=0.01)
    assert r.wms == pytest.approx(6.26, abs=0.01)
    assert r.jms == pytest.approx(32.49, abs=0.01)
    assert r.ems == pytest.approx(1.02, abs=0.01)


def test_icc_orientation_option():
    a = icc(SF_TABLE2)
    b = icc(SF_TABLE2.T, raters_axis=0)
    assert a.icc2.value == b.icc2.value


@pytest.mark.parametrize("seed", [0, 1])
def test_icc_agrees_with_pingouin(seed):
    warnings.simplefilter("ignore")  # pandas deprecation noise inside pingouin
    pg = pytest.importorskip("pingouin")
    pd = pytest.importorskip("pandas")
    m = SF_TABLE2 if seed == 0 else np.random.default_rng(seed).normal(size=(15, 5)) + \
        np.arange(15)[:, None] * 0.3
    n, k = m.shape
    df = pd.DataFrame({"t": np.repeat(np.arange(n), k), "r": np.tile(np.arange(k), n),
                       "s": m.ravel()})
    ref = pg.intraclass_corr(df, targets="t", raters="r", ratings="s").set_index("Type")
    r = icc(m)
    names = ["ICC(1,1)", "ICC(A,1)", "ICC(C,1)", "ICC(1,k)", "ICC(A,k)", "ICC(C,k)"]
    for field, name in zip(FIELDS, names):
        e = getattr(r, field)
        row = ref.loc[name]
        assert e.value == pytest.approx(row["ICC"], abs=1e-9)
        assert e.f == pytest.approx(row["F"], rel=1e-9)
        assert (e.df1, e.df2) == (row["df1"], row["df2"])
        assert e.pvalue == pytest.approx(row["pval"], rel=1e-6, abs=1e-12)
        np.testing.assert_allclose(e.ci, np.asarray(row["CI95"], float), atol=0.006)


def test_icc_rejects_missing_and_constant_data():
    m = SF_TABLE2.copy()
    m[0, 0] = nan
    with pytest.raises(ValueError, match=r"`matrix` has 1 NaN values"):
        icc(m)
    with pytest.raises(ValueError, match="ICC undefined"):
        icc(np.ones((4, 3)))


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_worked_example_with_missing_values(level):
    assert round(krippendorff_alpha(K_C, level).alpha, 3) == K_C_PUBLISHED[level]


def test_krippendorff_binary_and_two_observer_examples():
    assert round(krippendorff_alpha(K_A, "nominal").alpha, 3) == 0.095
    assert round(krippendorff_alpha(K_B, "nominal").alpha, 3) == 0.692


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_krippendorff_agrees_with_the_krippendorff_package(level, seed):
    kp = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(seed)
    m = rng.integers(1, 6, size=(5, 40)).astype(float)
    m[rng.random(m.shape) < 0.3] = nan
    ours = krippendorff_alpha(m, level).alpha
    ref = kp.alpha(reliability_data=m, level_of_measurement=level)
    assert ours == pytest.approx(ref, abs=1e-9)
    assert krippendorff_alpha(m.T, level, raters_axis=1).alpha == pytest.approx(ours)


def test_krippendorff_rejects_bad_input():
    with pytest.raises(ValueError, match="`level` must be one of"):
        krippendorff_alpha(K_C, "cardinal")
    with pytest.raises(ValueError, match="no unit with at least two ratings"):
        krippendorff_alpha([[1, nan], [nan, 2]])


def test_kendall_w_without_ties_matches_mean_spearman():
    rng = np.random.default_rng(0)
    m = np.array([rng.permutation(8) for _ in range(5)]) + np.arange(8)
    m = m + rng.random(m.shape) * 1e-3  # no ties
    r = kendall_w(m)
    from scipy.stats import spearmanr

    rho = spearmanr(m.T).statistic
    mean_rho = rho[np.triu_indices(5, 1)].mean()
    assert r.mean_spearman == pytest.approx(mean_rho, abs=1e-12)


def test_kendall_w_tie_correction_matches_friedman_chi_square():
    from scipy.stats import friedmanchisquare

    m = np.array([[1, 2, 2, 4, 5, 5], [2, 1, 3, 3, 6, 5], [1, 1, 1, 4, 4, 6],
                  [3, 2, 1, 5, 4, 6]], float)
    r = kendall_w(m)
    chi2 = friedmanchisquare(*m.T).statistic  # tie-corrected Friedman statistic
    assert r.w == pytest.approx(chi2 / (m.shape[0] * (m.shape[1] - 1)), rel=1e-12)
    assert r.chi2 == pytest.approx(chi2, rel=1e-12)
    # hand computation: rank sums and tie terms
    assert kendall_w([[1, 2, 3], [1, 2, 3]]).w == pytest.approx(1.0)
    assert kendall_w([[1, 2, 3], [3, 2, 1]]).w == pytest.approx(0.0)


def test_judge_consistency_correlation_and_residuals(design):
    cal = judgestats.calibrate(design.item, design.judge, design.score)
    c = judge_consistency(cal, design.item, design.judge, design.score)
    j = 4
    m = design.judge == j
    r = np.corrcoef(design.score[m], cal.item_value[design.item[m]])[0, 1]
    assert c.correlation[j] == pytest.approx(r, abs=1e-12)
    assert c.n_scores[j] == m.sum()
    assert c.rms_residual[j] == pytest.approx(np.sqrt(np.mean(cal.residuals[m] ** 2)))
    assert c.infit is None and c.outfit is None


def test_judge_consistency_warns_when_undefined():
    item, judge, score = [0, 1, 0, 1, 2], [0, 0, 1, 1, 1], [1.0, 2, 2, 3, 4]
    cal = judgestats.calibrate(item, judge, score, method="additive")
    with pytest.warns(DegenerateDataWarning, match="undefined"):
        c = judge_consistency(cal, item, judge, score)
    assert np.isnan(c.correlation[0]) and np.isfinite(c.correlation[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="`score` has 6 values but the calibration"):
            judge_consistency(cal, item + [2], judge + [0], score + [3.0])
