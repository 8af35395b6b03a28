"""One public function per calibration method, each documenting its model and source.

Every function is ``calibrate(..., method=<name>)``; see :func:`judgestats.calibrate`
for the common parameters (``item, judge, score, weight, confidence, n_items, n_judges,
within_components``) and the :class:`~judgestats.Calibration` fields it returns.
"""

from __future__ import annotations

from .calibration import Calibration, calibrate

__all__ = [
    "calibrate_mean", "calibrate_trimmed", "calibrate_trimmed_mean", "calibrate_zscore", "calibrate_additive",
    "calibrate_confidence", "calibrate_affine", "calibrate_mixed", "calibrate_rasch",
]


def calibrate_mean(item, judge, score, **kwargs) -> Calibration:
    """Raw (weighted) mean score of each item; no calibration.

    Parameters
    ----------
    item, judge, score, weight, n_items, n_judges
        As for :func:`judgestats.calibrate`. No method options.

    Returns
    -------
    Calibration
        ``item_value`` = mean score; ``item_se = sigma / sqrt(n_i)`` with ``sigma`` the
        pooled within-item SD; ``judge_severity`` is descriptive: the judge's mean of
        (item value - score), centred; ``judge_scale`` is None.

    Notes
    -----
    Model: ``score_s = value_{i(s)} + e_s``, ``value_i = sum_s w_s score_s / sum_s w_s``.
    Unbiased only if every item meets equally severe judges on average.

    References
    ----------
    .. [1] R. S. MacKay, R. Kenna, R. J. Low, S. Parker (2017). Calibration with
       confidence: a principled method for panel assessment. R. Soc. Open Sci. 4:160760
       (compares calibration with simple averaging).

    Examples
    --------
    >>> import judgestats
    >>> judgestats.calibrate_mean([0, 0, 1], [0, 1, 0], [8.0, 6.0, 7.0]).item_value.tolist()
    [7.0, 7.0]
    """
    return calibrate(item, judge, score, method="mean", **kwargs)


def calibrate_trimmed(item, judge, score, *, min_scores_to_trim=3, n_trim=1,
                      **kwargs) -> Calibration:
    """Mean after dropping each item's highest and lowest score ("去掉一个最高分和一个最低分").

    Parameters
    ----------
    item, judge, score, weight, n_items, n_judges
        As for :func:`judgestats.calibrate`.
    min_scores_to_trim : int, default 3
        Items with at least this many scores are trimmed; items with fewer keep all
        their scores (plain mean). Must be at least ``2 * n_trim + 1``. Many Chinese
        competitions trim only panels of 5 or more: pass ``min_scores_to_trim=5``.
    n_trim : int, default 1
        Scores dropped at each end.

    Returns
    -------
    Calibration
        ``item_value`` = trimmed mean; ``item_se`` from the pooled SD of kept scores;
        ``diagnostics["score_used"]`` marks the scores kept and
        ``diagnostics["item_trimmed"]`` the items trimmed.

    Notes
    -----
    For an item with sorted scores ``x_(1) <= ... <= x_(n)``, ``n >= min_scores_to_trim``:
    ``value = sum_{k=t+1}^{n-t} x_(k) / (n - 2t)``; when several scores equal the maximum
    (minimum) only one of them is dropped. With weights, the weighted mean of the kept
    scores. The residual of a dropped score is still reported (score minus value).

    References
    ----------
    .. [1] P. J. Huber, E. M. Ronchetti (2009). Robust Statistics, 2nd ed., Wiley,
       section 3.3 (trimmed means); ISU Judging System / Olympic judging rules for the
       practice of discarding the extreme marks.

    Examples
    --------
    >>> import judgestats
    >>> cal = judgestats.calibrate_trimmed([0] * 5, [0, 1, 2, 3, 4], [9, 7, 8, 3, 8.5])
    >>> cal.item_value.tolist()
    [7.833333333333333]
    """
    return calibrate(item, judge, score, method="trimmed", min_scores_to_trim=min_scores_to_trim,
                     n_trim=n_trim, **kwargs)


def calibrate_trimmed_mean(item, judge, score, **kwargs) -> Calibration:
    """Trimmed mean of a panel: drop the highest and the lowest score of an item that has at least 5
    scores, plain mean otherwise ("截尾平均": ≥5 个评分时去掉一个最高分和一个最低分).

    Parameters
    ----------
    item, judge, score, weight, n_items, n_judges
        As for :func:`judgestats.calibrate`.
    min_scores_to_trim : int, default 5
        Items with at least this many scores are trimmed (see :func:`calibrate_trimmed`).
    n_trim : int, default 1
        Scores dropped at each end.

    Returns
    -------
    Calibration
        As for :func:`calibrate_trimmed`: ``item_value`` = trimmed mean (plain mean below 5
        scores), ``diagnostics["score_used"]`` marks the scores kept and
        ``diagnostics["item_trimmed"]`` the items trimmed.

    Notes
    -----
    The rule Chinese expert panels follow: for an item with sorted scores
    ``x_(1) <= ... <= x_(n)``, ``value = sum_{k=2}^{n-1} x_(k) / (n - 2)`` when ``n >= 5``, else
    ``value = sum_k x_(k) / n``. Below 5 scores, dropping two would leave too few to average.
    It is :func:`calibrate_trimmed` with ``min_scores_to_trim=5``, named as a method of its own
    so that a result run states its rule by its name.

    References
    ----------
    .. [1] J. W. Tukey, D. H. McLaughlin (1963). Less vulnerable confidence and significance
       procedures for location based on a single sample: trimming/Winsorization 1.
       Sankhyā A 25(3):331-352.
    .. [2] P. J. Huber, E. M. Ronchetti (2009). Robust Statistics, 2nd ed., Wiley, section 3.3.

    Examples
    --------
    >>> import judgestats
    >>> cal = judgestats.calibrate_trimmed_mean([0] * 5 + [1] * 4, [0, 1, 2, 3, 4, 0, 1, 2, 3],
    ...                                         [9, 7, 8, 3, 8.5, 6, 7, 8, 9])
    >>> cal.item_value.round(4).tolist(), cal.diagnostics["item_trimmed"].tolist()
    ([7.8333, 7.5], [True, False])
    """
    return calibrate(item, judge, score, method="trimmed_mean", **kwargs)


def calibrate_zscore(item, judge, score, *, min_scores_per_judge=3, rescale=True,
                     **kwargs) -> Calibration:
    """Standardize each judge's scores (z-scores), then average per item.

    Parameters
    ----------
    item, judge, score, weight, n_items, n_judges
        As for :func:`judgestats.calibrate`.
    min_scores_per_judge : int, default 3
        Judges with fewer scores raise ``ValueError`` (a mean and SD from 1-2 scores are
        meaningless).
    rescale : bool, default True
        Map the mean z back to the score scale: ``value = grand mean + s * mean z`` with
        ``s`` the root mean square of the judges' SDs. ``False`` returns mean z.

    Returns
    -------
    Calibration
        ``judge_severity`` = mean of judge means minus the judge's mean; ``judge_scale``
        = judge SD / mean judge SD. Judges whose scores are all equal get z = 0 and a
        :class:`DegenerateDataWarning`.

    Notes
    -----
    ``z_s = (score_s - m_{j(s)}) / sd_{j(s)}``; ``value_i = mean_{s in i} z_s``. Assumes
    every judge sees a random sample of items of similar quality (judge means and SDs
    otherwise mix severity with the quality of the items they drew).

    References
    ----------
    .. [1] G. W. Snedecor, W. G. Cochran (1989). Statistical Methods, 8th ed., Iowa State
       University Press (standard scores).

    Examples
    --------
    >>> import judgestats
    >>> cal = judgestats.calibrate_zscore([0, 1, 2, 0, 1, 2], [0, 0, 0, 1, 1, 1],
    ...                                   [1.0, 2, 3, 10, 20, 30], rescale=False)
    >>> cal.item_value.round(3).tolist()
    [-1.0, 0.0, 1.0]
    """
    return calibrate(item, judge, score, method="zscore",
                     min_scores_per_judge=min_scores_per_judge, rescale=rescale, **kwargs)


def calibrate_additive(item, judge, score, **kwargs) -> Calibration:
    """Two-way additive model: item value plus judge offset, by sparse least squares.

    Parameters
    ----------
    item, judge, score, weight, n_items, n_judges, within_components
        As for :func:`judgestats.calibrate`.
    min_scores_per_judge : int, default 2
        Judges with fewer scores raise ``ValueError`` (a single score only fixes that
        judge's own offset).
    solver : {"auto", "dense", "cg"}, default "auto"
        ``"dense"``: Cholesky factorisation of the reduced judge system (n_judges <=
        1500 under "auto"); ``"cg"``: Jacobi-preconditioned conjugate gradients.
    tol : float, default 1e-12
        Relative residual tolerance of CG.
    max_iter : int, default 10000
        CG iteration limit.
    se : {"auto", "exact", "approximate", "none"}, default "auto"
        ``"exact"`` uses the pseudo-inverse of the reduced system (n_judges <= 1500 under
        "auto"); ``"approximate"`` ignores covariances between judge offsets.

    Returns
    -------
    Calibration
        ``item_value`` (least-squares values), ``item_se``, ``judge_severity = -offset``
        (offsets centred to sum 0), ``sigma`` (residual SD),
        ``diagnostics["solver"|"se_method"|"residual_dof"]``.

    Notes
    -----
    Model: ``score_s = v_{i(s)} + o_{j(s)} + e_s``, ``e_s ~ (0, sigma^2 / w_s)``,
    ``sum_j o_j = 0`` -- Fisher's additive model for incomplete block designs. Least
    squares is solved on the judge-only Schur complement ``S o = b`` with
    ``S = D_J - N^T D_I^{-1} N`` (``N`` the item x judge weight matrix), after which
    ``v_i = (Y_i - (N o)_i) / W_i``; this is the block elimination of the normal
    equations (Golub & Van Loan) and much faster than generic LSQR on the
    full system. ``Var(v) = sigma^2 diag(D_I^{-1} + A S^+ A^T)``, ``A = D_I^{-1} N``.
    Identified only on a connected design (:func:`judgestats.connectivity`).

    References
    ----------
    .. [1] R. A. Fisher (1935). The Design of Experiments, Oliver & Boyd (incomplete
       blocks); F. Yates (1936) Incomplete randomized blocks, Ann. Eugenics 7:121-140.
    .. [2] MacKay et al. (2017), R. Soc. Open Sci. 4:160760 (the same model with
       confidences; see :func:`calibrate_confidence`).
    .. [3] G. H. Golub, C. F. Van Loan (2013). Matrix Computations, 4th ed., Johns
       Hopkins (block elimination; conjugate gradients, after Hestenes & Stiefel 1952).

    Examples
    --------
    >>> import judgestats
    >>> cal = judgestats.calibrate_additive([0, 0, 1, 1, 2, 2], [0, 1, 1, 2, 2, 0],
    ...                                     [8.0, 7.0, 6.0, 5.5, 9.0, 9.5])
    >>> cal.judge_offset.round(3).tolist()
    [0.5, -0.167, -0.333]
    """
    return calibrate(item, judge, score, method="additive", **kwargs)


def calibrate_confidence(item, judge, score, *, confidence=None, bias_prior=0.0,
                         **kwargs) -> Calibration:
    """Calibration with confidence (MacKay, Kenna, Low & Parker 2017).

    Parameters
    ----------
    item, judge, score, weight, n_items, n_judges, within_components
        As for :func:`judgestats.calibrate`.
    confidence : array_like of float, optional
        Declared confidence of each score, as a precision ``c_s = 1 / sigma_s^2`` on the
        score scale (map a judge's "high/medium/low" to e.g. 1, 0.5, 0.25 in the
        edition's settings). Without it all confidences are 1 and standard errors use
        the residual SD, as in ``"additive"``.
    bias_prior : float, default 0
        Optional prior precision on the judge biases (``b_j ~ N(0, 1/bias_prior)``),
        a ridge that shrinks poorly linked judges' biases towards 0; 0 is the paper's
        least-squares solution.
    min_scores_per_judge, solver, tol, max_iter, se
        As for :func:`calibrate_additive`.

    Returns
    -------
    Calibration
        As for ``"additive"``; ``diagnostics["item_confidence"]`` is the total confidence
        ``C_i = sum_s c_s`` of each item and ``diagnostics["chi2_per_dof"]`` checks the
        declared confidences (about 1 when they are honest precisions).

    Notes
    -----
    Model: ``s_{ja} = v_a + b_j + sigma_{ja} e_{ja}`` with ``c_{ja} = sigma_{ja}^{-2}``;
    estimates minimise ``sum c_{ja} (s_{ja} - v_a - b_j)^2`` subject to ``sum_j b_j = 0``
    (MacKay et al. 2017). With declared confidences the standard error of ``v_a`` is
    ``sqrt([M^+]_{aa})`` from the confidence-weighted normal matrix ``M`` (the
    confidences are taken as absolute precisions), without a residual rescaling.

    References
    ----------
    .. [1] R. S. MacKay, R. Kenna, R. J. Low, S. Parker (2017). Calibration with
       confidence: a principled method for panel assessment. R. Soc. Open Sci.
       4:160760. doi:10.1098/rsos.160760

    Examples
    --------
    >>> import judgestats
    >>> cal = judgestats.calibrate_confidence(
    ...     [0, 0, 1, 1, 2, 2], [0, 1, 1, 2, 2, 0], [8.0, 7.0, 6.0, 5.5, 9.0, 9.5],
    ...     confidence=[1.0, 1.0, 0.5, 1.0, 1.0, 0.25])
    >>> cal.method, cal.sigma
    ('confidence', 1.0)
    """
    return calibrate(item, judge, score, method="confidence", confidence=confidence,
                     bias_prior=bias_prior, **kwargs)


def calibrate_affine(item, judge, score, **kwargs) -> Calibration:
    """Per-judge location and scale: ``score = a_j + b_j * value + noise``.

    Parameters
    ----------
    item, judge, score, weight, n_items, n_judges, within_components
        As for :func:`judgestats.calibrate`.
    min_scores_per_judge : int, default 3
        Minimum scores per judge (a line needs at least 3 points to leave a residual).
    tol : float, default 1e-10
        Convergence tolerance on the change of values (relative to the score SD).
    max_iter : int, default 2000
        Iteration limit of the alternating least squares.
    scale_shrinkage : float, default 0
        Ridge ``kappa * (b_j - 1)^2`` pulling judge scales towards 1 (useful when judges
        score few items).

    Returns
    -------
    Calibration
        ``judge_scale = b_j`` (mean 1), ``judge_severity = -(a_j + (b_j - 1) * mean v)``
        (how much lower the judge scores an average item; mean 0),
        ``diagnostics["judge_intercept"] = a_j`` (mean 0). ``item_se`` is conditional
        on the judge parameters.

    Notes
    -----
    Model: ``score_s = a_{j(s)} + b_{j(s)} v_{i(s)} + e_s``; gauge ``mean_j a_j = 0``,
    ``mean_j b_j = 1``. Alternating least squares (each step a closed-form weighted
    regression per judge, then per item), started from the additive solution; each
    step cannot increase the residual sum of squares (de Leeuw 1994). The model is
    bilinear; it needs judges who score items spread in quality.

    References
    ----------
    .. [1] J. de Leeuw (1994). Block-relaxation algorithms in statistics. In Information
       Systems and Data Analysis, Springer, 308-324.
    .. [2] C. M. Myford, E. W. Wolfe (2003). Detecting and measuring rater effects using
       many-facet Rasch measurement: Part I. J. Appl. Meas. 4(4):386-422 (severity and
       range/scale effects of raters).

    Examples
    --------
    >>> import judgestats
    >>> item = [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]
    >>> judge = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    >>> score = [1.0, 2.1, 2.9, 4.0, 2.0, 4.1, 6.0, 8.0, 0.5, 1.0, 1.6, 2.0]
    >>> cal = judgestats.calibrate_affine(item, judge, score)
    >>> cal.judge_scale.round(2).tolist()
    [0.85, 1.72, 0.44]
    """
    return calibrate(item, judge, score, method="affine", **kwargs)


def calibrate_mixed(item, judge, score, **kwargs) -> Calibration:
    """Linear mixed model: fixed item values, random judge effects, REML.

    Parameters
    ----------
    item, judge, score, weight, n_items, n_judges, within_components
        As for :func:`judgestats.calibrate`.
    min_scores_per_judge : int, default 2
        Minimum scores per judge.
    tol : float, default 1e-10
        Tolerance on ``log(tau^2 / sigma^2)`` of the REML search.
    max_judges : int, default 5000
        Refuse larger problems (a dense n_judges x n_judges eigendecomposition is used).

    Returns
    -------
    Calibration
        ``item_value`` = GLS estimates of the item values, ``item_se`` their standard
        errors, ``judge_severity = -u_j`` (BLUPs, sum 0), ``diagnostics`` with
        ``sigma2``, ``tau2``, ``judge_icc = tau2/(tau2+sigma2)`` and ``reml_loglik``.

    Notes
    -----
    Model: ``score_s = v_{i(s)} + u_{j(s)} + e_s``, ``u_j ~ N(0, tau^2)``,
    ``e_s ~ N(0, sigma^2 / w_s)``; judges are a random factor crossed with items.
    ``(tau^2, sigma^2)`` maximise the restricted likelihood (Patterson & Thompson 1971),
    profiled over ``sigma^2`` and computed from the eigen-decomposition of the reduced
    judge matrix ``S`` so each evaluation is O(n_judges); given them, ``v`` and ``u``
    solve Henderson's mixed-model equations. Compared with ``"additive"``, judge
    effects are shrunk towards 0 by ``tau^2``, which protects items whose judges
    scored little else.

    References
    ----------
    .. [1] H. D. Patterson, R. Thompson (1971). Recovery of inter-block information when
       block sizes are unequal. Biometrika 58(3):545-554.
    .. [2] C. R. Henderson (1975). Best linear unbiased estimation and prediction under a
       selection model. Biometrics 31(2):423-447.
    .. [3] D. Bates, M. Maechler, B. Bolker, S. Walker (2015). Fitting linear mixed-effects
       models using lme4. J. Stat. Softw. 67(1).

    Examples
    --------
    >>> import judgestats
    >>> item = [0, 0, 1, 1, 2, 2, 3, 3, 0, 2]
    >>> judge = [0, 1, 1, 2, 2, 0, 0, 1, 2, 1]
    >>> score = [7.0, 6.0, 5.0, 4.5, 8.0, 8.5, 6.5, 5.5, 6.2, 7.1]
    >>> cal = judgestats.calibrate_mixed(item, judge, score)
    >>> cal.method, bool(cal.diagnostics["tau2"] >= 0)
    ('mixed', True)
    """
    return calibrate(item, judge, score, method="mixed", **kwargs)


def calibrate_rasch(item, judge, score, **kwargs) -> Calibration:
    """Many-facet Rasch model (rating scale) for ordinal rubric levels, by JMLE.

    Parameters
    ----------
    item, judge, score, weight, n_items, n_judges, within_components
        As for :func:`judgestats.calibrate`. ``score`` holds rubric levels.
    levels : sequence of float, optional
        The ordered rating levels; default: the distinct observed scores. Every level
        must be observed (an unobserved level makes its thresholds inestimable).
    min_scores_per_judge : int, default 2
        Minimum scores per judge.
    tol : float, default 1e-7
        Convergence tolerance on the largest parameter change (logits).
    max_iter : int, default 1000
        Iteration limit.
    extreme_adjustment : float, default 0.3
        Score points by which all-lowest / all-highest totals are moved inward so their
        measures are finite (Linacre's convention).

    Returns
    -------
    Calibration
        ``item_value`` = item measures ``B_i`` (logits), ``item_se = 1/sqrt(information)``,
        ``judge_severity = C_j`` (logits, mean 0), ``residuals`` = observed minus expected
        category; ``diagnostics`` with ``thresholds`` (Rasch-Andrich ``F_k``, sum 0),
        ``judge_infit``/``judge_outfit``, ``item_infit``/``item_outfit``, ``judge_se``.

    Notes
    -----
    Model (Linacre 1989): ``log(P_{ijk} / P_{ij(k-1)}) = B_i - C_j - F_k`` for category
    ``k = 1..K`` of item ``i`` by judge ``j``. Joint maximum likelihood: Newton-Raphson
    steps alternated over items, judges and thresholds (steps capped at 1 logit),
    centring ``C``. JMLE estimates are slightly spread out (statistically inconsistent
    for few observations per parameter; Linacre's (L-1)/L correction is not applied),
    which does not change orderings.

    References
    ----------
    .. [1] J. M. Linacre (1989). Many-Facet Rasch Measurement. MESA Press, Chicago.
    .. [2] D. Andrich (1978). A rating formulation for ordered response categories.
       Psychometrika 43(4):561-573.
    .. [3] B. D. Wright, G. N. Masters (1982). Rating Scale Analysis. MESA Press (JMLE,
       infit/outfit).

    Examples
    --------
    >>> import numpy as np, judgestats
    >>> rng = np.random.default_rng(0)
    >>> item = np.repeat(np.arange(20), 6); judge = np.tile(np.arange(6), 20)
    >>> score = np.clip(np.round(item / 5 + rng.normal(0, 1, item.size)), 0, 4)
    >>> cal = judgestats.calibrate_rasch(item, judge, score)
    >>> cal.converged, bool(np.corrcoef(cal.item_value, np.arange(20))[0, 1] > 0.8)
    (True, True)
    """
    return calibrate(item, judge, score, method="rasch", **kwargs)
