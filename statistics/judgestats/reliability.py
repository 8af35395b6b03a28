"""Inter-rater reliability: ICC (Shrout & Fleiss), Krippendorff's alpha, Kendall's W, and
per-judge consistency with a calibration."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._errors import DegenerateDataWarning, EngineWarning, WarningLog, issue
from ._validate import check_option, validate_scores
from .calibration import Calibration

__all__ = [
    "ICCEstimate", "ICCResult", "icc",
    "KrippendorffAlpha", "krippendorff_alpha",
    "KendallW", "kendall_w",
    "JudgeConsistency", "judge_consistency",
]


def _matrix(name, matrix, raters_axis, allow_nan):
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"`{name}` must be a 2-D array, got shape {m.shape}")
    if raters_axis not in (0, 1):
        raise ValueError(f"`raters_axis` must be 0 or 1, got {raters_axis!r}")
    if np.isinf(m).any():
        raise ValueError(f"`{name}` has {int(np.isinf(m).sum())} infinite values")
    if not allow_nan and np.isnan(m).any():
        raise ValueError(
            f"`{name}` has {int(np.isnan(m).sum())} NaN values; this statistic needs a "
            "complete rating matrix (use krippendorff_alpha for missing ratings)")
    return m if raters_axis == 0 else m.T  # rows = raters


# --------------------------------------------------------------------------- ICC


@dataclass(frozen=True)
class ICCEstimate:
    """One intraclass correlation with its F test and confidence interval.

    Attributes
    ----------
    value : float
        The ICC.
    f, df1, df2, pvalue : float
        F statistic of the test of ICC = 0, its degrees of freedom and p-value.
    ci : tuple of float
        Confidence interval (lower, upper) at ``ci_level``.
    ci_level : float
        Confidence level of ``ci``.
    """

    value: float
    f: float
    df1: float
    df2: float
    pvalue: float
    ci: tuple
    ci_level: float


@dataclass(frozen=True)
class ICCResult:
    """The six Shrout & Fleiss (1979) intraclass correlations.

    Attributes
    ----------
    icc1, icc2, icc3 : ICCEstimate
        Single-rating reliability: ICC(1,1) one-way random, ICC(2,1) two-way random
        (absolute agreement), ICC(3,1) two-way mixed (consistency).
    icc1k, icc2k, icc3k : ICCEstimate
        Reliability of the mean of the k raters: ICC(1,k), ICC(2,k), ICC(3,k).
    n_targets, n_raters : int
        Size of the rating matrix.
    bms, wms, jms, ems : float
        Between-targets, within-targets, between-judges and residual mean squares.
    """

    icc1: ICCEstimate
    icc2: ICCEstimate
    icc3: ICCEstimate
    icc1k: ICCEstimate
    icc2k: ICCEstimate
    icc3k: ICCEstimate
    n_targets: int
    n_raters: int
    bms: float
    wms: float
    jms: float
    ems: float


def icc(matrix, *, raters_axis=1, ci_level=0.95) -> ICCResult:
    """Intraclass correlations ICC(1,1), ICC(2,1), ICC(3,1) and their k-rater forms.

    Parameters
    ----------
    matrix : array_like, shape (n_targets, k_raters)
        Complete rating matrix; by default rows are targets (items) and columns raters,
        the layout of Shrout & Fleiss's Table 2.
    raters_axis : {1, 0}, default 1
        Axis of ``matrix`` that indexes raters (0 if rows are raters).
    ci_level : float, default 0.95
        Level of the confidence intervals.

    Returns
    -------
    ICCResult
        Six :class:`ICCEstimate` fields ``icc1, icc2, icc3, icc1k, icc2k, icc3k`` and the
        ANOVA mean squares.

    Notes
    -----
    With BMS, WMS, JMS, EMS the between-targets, within-targets, between-judges and
    residual mean squares of the two-way ANOVA ``x_ij = mu + t_i + r_j + e_ij``:
    ICC(1,1) = (BMS - WMS) / (BMS + (k-1) WMS);
    ICC(2,1) = (BMS - EMS) / (BMS + (k-1) EMS + k (JMS - EMS) / n);
    ICC(3,1) = (BMS - EMS) / (BMS + (k-1) EMS);
    ICC(1,k) = (BMS - WMS) / BMS; ICC(2,k) = (BMS - EMS) / (BMS + (JMS - EMS) / n);
    ICC(3,k) = (BMS - EMS) / BMS. F tests: BMS/WMS on (n-1, n(k-1)) df for case 1,
    BMS/EMS on (n-1, (n-1)(k-1)) df for cases 2 and 3. Confidence intervals follow
    Shrout & Fleiss (1979) and McGraw & Wong (1996), case 2 with Satterthwaite's df.

    References
    ----------
    .. [1] P. E. Shrout, J. L. Fleiss (1979). Intraclass correlations: uses in assessing
       rater reliability. Psychological Bulletin 86(2):420-428.
    .. [2] K. O. McGraw, S. P. Wong (1996). Forming inferences about some intraclass
       correlation coefficients. Psychological Methods 1(1):30-46.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2 (6 targets, 4 judges):

    >>> from judgestats.reliability import icc
    >>> r = icc([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...          [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> [round(e.value, 2) for e in (r.icc1, r.icc2, r.icc3, r.icc1k, r.icc2k, r.icc3k)]
    [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    """
    x = _matrix("matrix", matrix, raters_axis, allow_nan=False).T  # rows = targets
    ci_level = check_option("ci_level", ci_level, kind=float, low=0.5, high=0.999999)
    n, k = x.shape
    if n < 2 or k < 2:
        raise ValueError(f"`matrix` needs at least 2 targets and 2 raters, got {n} x {k}")
    grand = x.mean()
    ss_total = float(((x - grand) ** 2).sum())
    ss_b = float(k * ((x.mean(axis=1) - grand) ** 2).sum())
    ss_j = float(n * ((x.mean(axis=0) - grand) ** 2).sum())
    ss_e = ss_total - ss_b - ss_j
    bms = ss_b / (n - 1)
    wms = (ss_j + ss_e) / (n * (k - 1))
    jms = ss_j / (k - 1)
    ems = ss_e / ((n - 1) * (k - 1))
    if ems <= 0 or wms <= 0 or bms <= 0:
        raise ValueError("`matrix` has no residual or between-target variance (all "
                         "ratings agree exactly or all targets are equal); ICC undefined")
    v1 = (bms - wms) / (bms + (k - 1) * wms)
    v2 = (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n)
    v3 = (bms - ems) / (bms + (k - 1) * ems)
    v1k = (bms - wms) / bms
    v2k = (bms - ems) / (bms + (jms - ems) / n)
    v3k = (bms - ems) / bms
    df1, df1d, df2d = n - 1, n * (k - 1), (n - 1) * (k - 1)
    f1, f3 = bms / wms, bms / ems
    p1, p3 = stats.f.sf(f1, df1, df1d), stats.f.sf(f3, df1, df2d)
    a = 1 - ci_level
    f1l = f1 / stats.f.ppf(1 - a / 2, df1, df1d)
    f1u = f1 * stats.f.ppf(1 - a / 2, df1d, df1)
    f3l = f3 / stats.f.ppf(1 - a / 2, df1, df2d)
    f3u = f3 * stats.f.ppf(1 - a / 2, df2d, df1)
    fj = jms / ems
    vn = df2d * (k * v2 * fj + n * (1 + (k - 1) * v2) - k * v2) ** 2
    vd = df1 * k**2 * v2**2 * fj**2 + (n * (1 + (k - 1) * v2) - k * v2) ** 2
    v = vn / vd
    f2u = stats.f.ppf(1 - a / 2, n - 1, v)
    f2l = stats.f.ppf(1 - a / 2, v, n - 1)
    l2 = n * (bms - f2u * ems) / (f2u * (k * jms + (k * n - k - n) * ems) + n * bms)
    u2 = n * (f2l * bms - ems) / (k * jms + (k * n - k - n) * ems + n * f2l * bms)

    def est(value, f, d1, d2, p, lo, hi):
        return ICCEstimate(float(value), float(f), float(d1), float(d2), float(p),
                           (float(lo), float(hi)), ci_level)

    return ICCResult(
        icc1=est(v1, f1, df1, df1d, p1, (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)),
        icc2=est(v2, f3, df1, df2d, p3, l2, u2),
        icc3=est(v3, f3, df1, df2d, p3, (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)),
        icc1k=est(v1k, f1, df1, df1d, p1, 1 - 1 / f1l, 1 - 1 / f1u),
        icc2k=est(v2k, f3, df1, df2d, p3, l2 * k / (1 + l2 * (k - 1)),
                  u2 * k / (1 + u2 * (k - 1))),
        icc3k=est(v3k, f3, df1, df2d, p3, 1 - 1 / f3l, 1 - 1 / f3u),
        n_targets=n, n_raters=k, bms=bms, wms=wms, jms=jms, ems=ems,
    )


# --------------------------------------------------------------------------- alpha


@dataclass(frozen=True)
class KrippendorffAlpha:
    """Krippendorff's alpha.

    Attributes
    ----------
    alpha : float
        1 - D_o / D_e.
    level : str
        Metric used ("nominal", "ordinal", "interval", "ratio").
    observed_disagreement, expected_disagreement : float
        D_o and D_e.
    n_pairable : int
        Number of pairable values (values in units with at least two values).
    n_units : int
        Units with at least two values (the others are ignored).
    """

    alpha: float
    level: str
    observed_disagreement: float
    expected_disagreement: float
    n_pairable: int
    n_units: int

    def __float__(self):
        return self.alpha


def krippendorff_alpha(matrix, level="interval", *, raters_axis=0) -> KrippendorffAlpha:
    """Krippendorff's alpha reliability for any number of raters, with missing values.

    Parameters
    ----------
    matrix : array_like, shape (n_raters, n_units)
        Reliability data: rows are raters (judges), columns units (items); ``NaN`` marks
        a missing rating (Krippendorff's layout).
    level : {"nominal", "ordinal", "interval", "ratio"}, default "interval"
        Level of measurement, which sets the difference function.
    raters_axis : {0, 1}, default 0
        Axis of ``matrix`` that indexes raters.

    Returns
    -------
    KrippendorffAlpha
        ``alpha`` and its observed/expected disagreement.

    Notes
    -----
    From the coincidence matrix ``o_ck = sum_u sum_{i != j} [x_ui = c][x_uj = k] / (m_u - 1)``
    over units with ``m_u >= 2`` values, with ``n_c = sum_k o_ck`` and ``n = sum_c n_c``:
    ``alpha = 1 - (n - 1) sum_{c,k} o_ck delta2_ck / sum_{c,k} n_c n_k delta2_ck``.
    delta2 is 1[c != k] (nominal), ``(sum_{g=c..k} n_g - (n_c + n_k)/2)^2`` (ordinal),
    ``(c - k)^2`` (interval) and ``((c - k)/(c + k))^2`` (ratio).

    References
    ----------
    .. [1] K. Krippendorff (2011). Computing Krippendorff's alpha-reliability.
       Annenberg School for Communication, University of Pennsylvania.
       https://repository.upenn.edu/asc_papers/43

    Examples
    --------
    Krippendorff (2011), section C (4 observers, 12 units, missing values):

    >>> import numpy as np
    >>> from judgestats.reliability import krippendorff_alpha
    >>> nan = np.nan
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> round(krippendorff_alpha(data, "nominal").alpha, 3)
    0.743
    """
    level = check_option("level", level, kind=str,
                         choices={"nominal", "ordinal", "interval", "ratio"})
    x = _matrix("matrix", matrix, raters_axis, allow_nan=True)
    values = np.unique(x[~np.isnan(x)])
    if level == "ratio" and np.any(values < 0):
        raise ValueError("`matrix` has negative values; the ratio metric needs values >= 0")
    m_u = np.sum(~np.isnan(x), axis=0)
    keep = m_u >= 2
    x, m_u = x[:, keep], m_u[keep]
    if x.shape[1] == 0 or values.size == 0:
        raise ValueError("`matrix` has no unit with at least two ratings; alpha is undefined")
    nv = values.size
    counts = np.zeros((x.shape[1], nv))
    obs = ~np.isnan(x)
    idx = np.searchsorted(values, x[obs])
    units = np.nonzero(obs)[1]
    np.add.at(counts, (units, idx), 1.0)
    inv = 1.0 / (m_u - 1.0)
    o = (counts * inv[:, None]).T @ counts - np.diag((counts * inv[:, None]).sum(axis=0))
    n_c = o.sum(axis=1)
    n = n_c.sum()
    c, k = np.meshgrid(values, values, indexing="ij")
    if level == "nominal":
        d2 = (c != k).astype(np.float64)
    elif level == "interval":
        d2 = (c - k) ** 2
    elif level == "ratio":
        s = c + k
        d2 = np.where(s == 0, 0.0, ((c - k) / np.where(s == 0, 1.0, s)) ** 2)
    else:
        cum = np.concatenate(([0.0], np.cumsum(n_c)))
        ci, ki = np.meshgrid(np.arange(nv), np.arange(nv), indexing="ij")
        lo, hi = np.minimum(ci, ki), np.maximum(ci, ki)
        d2 = (cum[hi + 1] - cum[lo] - (n_c[ci] + n_c[ki]) / 2.0) ** 2
    d_o = float((o * d2).sum() / n)
    d_e = float((np.outer(n_c, n_c) * d2).sum() / (n * (n - 1)))
    if d_e == 0:
        raise ValueError("`matrix` has a single distinct value among pairable ratings; "
                         "expected disagreement is 0 and alpha is undefined")
    return KrippendorffAlpha(1.0 - d_o / d_e, level, d_o, d_e, int(round(n)), int(x.shape[1]))


# --------------------------------------------------------------------------- Kendall W


@dataclass(frozen=True)
class KendallW:
    """Kendall's coefficient of concordance.

    Attributes
    ----------
    w : float
        Kendall's W with tie correction (0 = no agreement, 1 = identical rankings).
    chi2, df, pvalue : float
        Friedman-type chi-square ``m (n - 1) W`` on ``n - 1`` df and its p-value.
    mean_spearman : float
        Average Spearman correlation between pairs of raters, ``(m W - 1)/(m - 1)``.
    n_raters, n_items : int
        m and n.
    """

    w: float
    chi2: float
    df: float
    pvalue: float
    mean_spearman: float
    n_raters: int
    n_items: int


def kendall_w(matrix, *, raters_axis=0) -> KendallW:
    """Kendall's W (coefficient of concordance) with correction for ties.

    Parameters
    ----------
    matrix : array_like, shape (m_raters, n_items)
        Complete scores or ranks; rows are raters by default. Each rater's scores are
        converted to ranks (mid-ranks for ties).
    raters_axis : {0, 1}, default 0
        Axis of ``matrix`` that indexes raters.

    Returns
    -------
    KendallW
        W, chi-square test and mean Spearman correlation.

    Notes
    -----
    With ``R_i`` the rank sum of item i and ``S = sum_i (R_i - mean R)^2``:
    ``W = 12 S / (m^2 (n^3 - n) - m sum_j T_j)``, ``T_j = sum_g (t_g^3 - t_g)`` over the
    tie groups of rater j (Kendall & Babington Smith 1939; Siegel & Castellan 1988,
    section 9.4).

    References
    ----------
    .. [1] M. G. Kendall, B. Babington Smith (1939). The problem of m rankings.
       Ann. Math. Statist. 10(3):275-287.
    .. [2] S. Siegel, N. J. Castellan (1988). Nonparametric Statistics for the Behavioral
       Sciences, 2nd ed., McGraw-Hill, section 9.4.

    Examples
    --------
    >>> from judgestats.reliability import kendall_w
    >>> round(kendall_w([[1, 2, 3, 4], [1, 2, 3, 4], [2, 1, 3, 4]]).w, 4)
    0.9111
    """
    x = _matrix("matrix", matrix, raters_axis, allow_nan=False)
    m, n = x.shape
    if m < 2 or n < 2:
        raise ValueError(f"`matrix` needs at least 2 raters and 2 items, got {m} x {n}")
    ranks = stats.rankdata(x, axis=1)
    ties = 0.0
    for row in x:
        _, t = np.unique(row, return_counts=True)
        ties += float(np.sum(t**3 - t))
    r = ranks.sum(axis=0)
    s = float(((r - r.mean()) ** 2).sum())
    denom = m**2 * (n**3 - n) - m * ties
    if denom <= 0:
        raise ValueError("`matrix` gives every item the same score for every rater; W is "
                         "undefined")
    w = 12.0 * s / denom
    chi2 = m * (n - 1) * w
    return KendallW(w, chi2, float(n - 1), float(stats.chi2.sf(chi2, n - 1)),
                    (m * w - 1) / (m - 1), m, n)


# --------------------------------------------------------------------------- consistency


@dataclass(frozen=True, eq=False)
class JudgeConsistency:
    """Per-judge agreement with a calibration.

    Attributes
    ----------
    n_scores : numpy.ndarray of int
        Scores given by each judge.
    correlation : numpy.ndarray
        Pearson correlation between a judge's scores and the calibrated values of the
        items they scored. NaN where undefined (fewer than 3 scores, or no spread);
        a :class:`DegenerateDataWarning` names those judges.
    rms_residual : numpy.ndarray
        Root mean square of the judge's residuals (score units; category units for Rasch).
    mean_residual : numpy.ndarray
        Mean residual (systematic deviation left after calibration).
    infit, outfit : numpy.ndarray or None
        Rasch mean-square fit statistics (information-weighted and unweighted); 1 is
        ideal, > 1.5 noisy/erratic, < 0.5 too predictable (Linacre). ``None`` for other
        methods.
    warnings : tuple of EngineWarning
        The :class:`DegenerateDataWarning` naming judges with an undefined correlation, as
        data; empty when every correlation is defined.
    """

    n_scores: np.ndarray
    correlation: np.ndarray
    rms_residual: np.ndarray
    mean_residual: np.ndarray
    infit: np.ndarray | None
    outfit: np.ndarray | None
    warnings: tuple[EngineWarning, ...] = ()


def judge_consistency(calibration: Calibration, item, judge, score, *,
                      warn: bool = True) -> JudgeConsistency:
    """How consistently each judge agrees with the calibrated item values.

    Parameters
    ----------
    calibration : Calibration
        Result of :func:`judgestats.calibrate` on these scores.
    item, judge, score : array_like, shape (n_scores,)
        The scores the calibration was made from, in the same order.
    warn : bool, default True
        Also issue the warning through Python's :mod:`warnings`; False: only record it in
        the result's ``warnings``.

    Returns
    -------
    JudgeConsistency
        Per-judge correlation with calibrated values, residual summaries, (Rasch)
        infit/outfit mean squares, and ``warnings`` as data.

    Notes
    -----
    ``correlation_j = corr(score_s, value_{item_s})`` over the judge's scores. Infit and
    outfit are the information-weighted and unweighted means of squared standardized
    residuals ``z = (x - E x) / sqrt(Var x)`` of the many-facet Rasch model.

    References
    ----------
    .. [1] J. M. Linacre (1989). Many-Facet Rasch Measurement. MESA Press, Chicago.
    .. [2] B. D. Wright, G. N. Masters (1982). Rating Scale Analysis. MESA Press.

    Examples
    --------
    >>> import judgestats
    >>> from judgestats.reliability import judge_consistency
    >>> it, jd, sc = [0, 1, 2, 0, 1, 2], [0, 0, 0, 1, 1, 1], [1.0, 2, 3, 2, 3, 4.5]
    >>> cal = judgestats.calibrate(it, jd, sc, method="additive")
    >>> judge_consistency(cal, it, jd, sc).correlation.round(3).tolist()
    [0.998, 0.999]
    """
    if not isinstance(calibration, Calibration):
        raise ValueError("`calibration` must be a Calibration")
    data = validate_scores(item, judge, score, n_items=calibration.n_items,
                           n_judges=calibration.n_judges)
    if data.n_scores != calibration.n_scores:
        raise ValueError(f"`score` has {data.n_scores} values but the calibration was made "
                         f"from {calibration.n_scores}")
    nj = data.n_judges
    jj = data.judge
    v = np.asarray(calibration.item_value)[data.item]
    y = data.score
    cnt = np.bincount(jj, minlength=nj)
    my = np.bincount(jj, y, minlength=nj) / cnt
    mv = np.bincount(jj, v, minlength=nj) / cnt
    sxy = np.bincount(jj, (y - my[jj]) * (v - mv[jj]), minlength=nj)
    sxx = np.bincount(jj, (y - my[jj]) ** 2, minlength=nj)
    syy = np.bincount(jj, (v - mv[jj]) ** 2, minlength=nj)
    ok = (cnt >= 3) & (sxx > 1e-24) & (syy > 1e-24)
    corr = np.full(nj, np.nan)
    corr[ok] = sxy[ok] / np.sqrt(sxx[ok] * syy[ok])
    log = WarningLog()
    if not ok.all():
        codes = ", ".join(str(int(c)) for c in np.flatnonzero(~ok)[:10])
        log.warn(DegenerateDataWarning, f"judge_consistency: correlation undefined (NaN) for "
                 f"judges {codes} (fewer than 3 scores or no spread)")
    r = np.asarray(calibration.residuals)
    d = calibration.diagnostics
    infit = outfit = None
    if calibration.method == "rasch" and "judge_infit" in d:
        infit, outfit = np.asarray(d["judge_infit"]), np.asarray(d["judge_outfit"])
    result = JudgeConsistency(
        n_scores=cnt, correlation=corr,
        rms_residual=np.sqrt(np.bincount(jj, r * r, minlength=nj) / cnt),
        mean_residual=np.bincount(jj, r, minlength=nj) / cnt,
        infit=infit, outfit=outfit, warnings=log.entries(),
    )
    if warn:
        issue(result.warnings, stacklevel=2)
    return result
