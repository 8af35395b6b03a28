"""Favouritism: the bonus a judge gives items of their own group, beyond item quality and severity."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np
from scipy import sparse, stats

from ._errors import ConvergenceWarning, DisconnectedDesignError, EngineWarning, WarningLog, issue
from ._linear import TwoWay
from ._validate import ScoreData, check_option, validate_scores
from .connectivity import components, describe_components

__all__ = ["Favoritism", "JudgeFavoritism", "favoritism"]

_CLUSTERS = {"two-way", "judge", "item", "none"}


def _ro(a):
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class JudgeFavoritism:
    """Each judge's own bonus (arrays indexed by judge code).

    Attributes
    ----------
    bonus : numpy.ndarray
        The judge's own bonus: the difference between the judge's offset on affine items
        and on the others in the model with one bonus per judge (see
        :func:`favoritism`, Notes), that is how much more the judge gives items of their
        own group than the other judges of the same items do, net of the judge's
        severity. NaN where the judge was not tested (see ``tested``).
    se : numpy.ndarray
        Standard error of ``bonus`` (two-sample, from the spread of the judge's own
        leave-one-out residuals).
    df : numpy.ndarray
        Degrees of freedom of the judge's t test (``n_affine + n_other - 2``).
    pvalue, qvalue : numpy.ndarray
        Two-sided p-value of ``bonus = 0`` and its Benjamini-Hochberg adjusted value
        among the tested judges (NaN for the others).
    shrunk, shrunk_se : numpy.ndarray
        Empirical-Bayes estimate: ``bonus`` pulled towards the overall effect by
        ``tau^2 / (tau^2 + se^2)``, so a judge with few affine scores (large ``se``) is
        pulled most; and its posterior standard deviation.
    n_affine, n_other : numpy.ndarray of int
        The judge's affine and other scores (scores of items with a single score are not
        counted: they say nothing about anybody's bonus).
    tested : numpy.ndarray of bool
        Whether the judge has at least one affine and one other score and at least 2
        degrees of freedom.
    tau : float
        Between-judge standard deviation of the bonus (DerSimonian-Laird moment
        estimate), which sets the shrinkage.
    """

    bonus: np.ndarray
    se: np.ndarray
    df: np.ndarray
    pvalue: np.ndarray
    qvalue: np.ndarray
    shrunk: np.ndarray
    shrunk_se: np.ndarray
    n_affine: np.ndarray
    n_other: np.ndarray
    tested: np.ndarray
    tau: float


@dataclass(frozen=True, eq=False)
class Favoritism:
    """Result of :func:`favoritism`.

    Attributes
    ----------
    effect : float
        Estimated bonus of an affine score over a non-affine one, net of item and judge
        effects (score units).
    se : float
        Cluster-robust standard error of ``effect``.
    ci : tuple of float
        Confidence interval at ``options["ci_level"]`` (Student t with ``df``).
    pvalue : float
        Two-sided p-value of ``effect = 0``.
    df : int
        Degrees of freedom of the t reference: the number of clusters minus one (the
        smaller clustering dimension for two-way clustering).
    per_judge : JudgeFavoritism
        Each judge's own bonus, standard error, p/q-values and shrunk estimate.
    flagged : numpy.ndarray of int
        Codes of the judges whose bonus differs from zero after Benjamini-Hochberg at
        ``options["alpha"]`` (either sign; ``per_judge.bonus`` gives the sign).
    n_affine : int
        Number of affine scores.
    n_scores, n_items, n_judges : int
        Size of the data.
    method : str
        The model of item and judge effects (``"additive"``).
    options : Mapping
        Every option that produced the result.
    variance : Mapping
        The one-way variances of ``effect`` by judge and by item clusters and the
        heteroskedasticity-robust one (the two-way intersection), for the record.
    converged : bool
        Whether both conjugate-gradient solves met their tolerance.
    warnings : tuple of EngineWarning
        Warnings of the computation (category and message).
    """

    effect: float
    se: float
    ci: tuple[float, float]
    pvalue: float
    df: int
    per_judge: JudgeFavoritism
    flagged: np.ndarray
    n_affine: int
    n_scores: int
    n_items: int
    n_judges: int
    method: str
    options: Mapping[str, Any]
    variance: Mapping[str, float]
    converged: bool
    warnings: tuple[EngineWarning, ...] = ()


# --------------------------------------------------------------------------- validation


def _affinity(values, n: int) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"`affinity` must be one-dimensional, got shape {arr.shape}")
    if arr.size != n:
        raise ValueError(f"`affinity` has length {arr.size} but `score` has length {n}")
    if arr.dtype != bool:
        raise ValueError(f"`affinity` must be boolean (True where the judge shares a group with "
                         f"the item), got dtype {arr.dtype}")
    n_aff = int(arr.sum())
    if n_aff == 0:
        raise ValueError("`affinity` has no affine scores (no True value): there is no bonus "
                         "to estimate")
    if n_aff == n:
        raise ValueError("`affinity` is True for every score: there are no other scores to "
                         "compare the affine ones with")
    return arr


def _check_connected(data: ScoreData) -> None:
    ncomp, ic, jc = components(data)
    if ncomp > 1:
        raise DisconnectedDesignError(
            f"the judge-item design is disconnected ({ncomp} components), so item quality and "
            f"judge severity cannot be separated from the bonus across components: "
            f"{describe_components(ic, jc)}. Test each component separately",
            n_components=ncomp, item_component=ic, judge_component=jc)


def _options(method, ci_level, alpha, cluster, solver, tol, max_iter, sweeps) -> dict:
    if method != "additive":
        raise ValueError(f"`method` must be 'additive' (item value plus judge offset), "
                         f"got {method!r}")
    return {
        "method": method,
        "ci_level": check_option("ci_level", ci_level, kind=float, low=0.5, high=0.999999),
        "alpha": check_option("alpha", alpha, kind=float, low=1e-12, high=0.5),
        "cluster": check_option("cluster", cluster, kind=str, choices=_CLUSTERS),
        "solver": check_option("solver", solver, kind=str, choices={"auto", "dense", "cg"}),
        "tol": check_option("tol", tol, kind=float, low=1e-16, high=1e-2),
        "max_iter": check_option("max_iter", max_iter, kind=int, low=1),
        "sweeps": check_option("sweeps", sweeps, kind=int, low=1),
    }


# --------------------------------------------------------------------------- pooled effect


def _block_cg(tw: TwoWay, b: np.ndarray, tol: float, maxiter: int):
    """Jacobi-preconditioned conjugate gradients on the reduced judge system for several
    right-hand sides at once (one independent recursion per column; Hestenes & Stiefel
    1952): each iteration makes one sparse product with ``N`` and one with ``N^T`` for all
    columns together, which costs little more than for one."""
    def apply(x):
        return ((tw.W_j + tw.ridge)[:, None] * x - tw.NT @ ((tw.N @ x) / tw.W_i[:, None])
                + tw.shift * x.sum(axis=0))

    d = tw.diag + tw.shift
    d = np.where(d > 0, d, 1.0)[:, None]
    x = np.zeros_like(b)
    r = b.copy()
    z = r / d
    p = z.copy()
    rz = np.sum(r * z, axis=0)
    stop = tol * np.linalg.norm(b, axis=0)
    for its in range(1, maxiter + 1):
        q = apply(p)
        alpha = np.divide(rz, np.sum(p * q, axis=0), out=np.zeros_like(rz), where=rz != 0)
        x += alpha * p
        r -= alpha * q
        if np.all(np.linalg.norm(r, axis=0) <= stop):
            return x - x.mean(axis=0), its, True
        z = r / d
        rz_new = np.sum(r * z, axis=0)
        p = z + np.divide(rz_new, rz, out=np.zeros_like(rz), where=rz != 0) * p
        rz = rz_new
    return x - x.mean(axis=0), maxiter, False


def _residualize(data: ScoreData, columns: np.ndarray, opts, log: WarningLog):
    """Each column minus its least-squares item + judge fit (the additive calibration's
    reduced system, solved for all columns together); also the number of distinct pairs."""
    tw = TwoWay(data.item, data.judge, np.ones(data.n_scores), data.n_items, data.n_judges)
    solver = opts["solver"]
    if solver == "auto":
        solver = "dense" if data.n_judges <= 1500 else "cg"
    ys, bs = zip(*(tw.rhs(col) for col in columns.T))
    y_i, b = np.column_stack(ys), np.column_stack(bs)
    converged = True
    if data.n_judges == 1:
        o = np.zeros((1, columns.shape[1]))
    elif solver == "dense":
        o = np.column_stack([tw.solve(col, solver="dense", tol=opts["tol"], maxiter=None)[0]
                             for col in b.T])
    else:
        o, its, converged = _block_cg(tw, b, opts["tol"], opts["max_iter"])
        if not converged:
            log.warn(ConvergenceWarning,
                     f"conjugate gradients stopped after {its} iterations before reaching "
                     f"tol={opts['tol']} (raise `max_iter`, or use solver='dense')")
    v = (y_i - tw.N @ o) / tw.W_i[:, None]
    return columns - v[data.item] - o[data.judge], converged, int(tw.N.nnz)


def _cluster_var(u: np.ndarray, codes: np.ndarray, n_groups: int, n: int, k: int) -> float:
    """CRV1 sum of squared cluster sums of the scores ``u``, with Stata's/statsmodels'
    small-sample factor ``G/(G-1) * (N-1)/(N-K)`` (Cameron & Miller 2015, eq. 12)."""
    sums = np.bincount(codes, u, minlength=n_groups)
    g = n_groups  # validation guarantees every code has a score
    return float(sums @ sums) * g / (g - 1.0) * (n - 1.0) / max(n - k, 1)


def _pair_var(data: ScoreData, u, n, k, distinct_pairs) -> float:
    """CRV1 by (item, judge) pair: a judge who scored an item twice is one cluster."""
    if distinct_pairs == n:  # every score its own pair: the White (HC1) sum
        return float(u @ u) * n / (n - 1.0) * (n - 1.0) / max(n - k, 1)
    m = sparse.csr_matrix((u, (data.item, data.judge)), shape=(data.n_items, data.n_judges))
    m.sum_duplicates()
    g = distinct_pairs
    return float(m.data @ m.data) * g / (g - 1.0) * (n - 1.0) / max(n - k, 1)


def _pooled_variance(data: ScoreData, ra, e, saa, cluster, distinct_pairs):
    """Variance of the pooled effect: one-way CRV1 by judge or item, or two-way after
    Cameron, Gelbach & Miller (2011): ``V_judge + V_item - V_judge∩item``."""
    n, k = data.n_scores, data.n_items + data.n_judges
    u = ra * e
    v_judge = _cluster_var(u, data.judge, data.n_judges, n, k) / saa**2
    v_item = _cluster_var(u, data.item, data.n_items, n, k) / saa**2
    v_pair = _pair_var(data, u, n, k, distinct_pairs) / saa**2
    record = {"judge": v_judge, "item": v_item, "intersection": v_pair}
    if cluster == "judge":
        var, groups = v_judge, data.n_judges
    elif cluster == "item":
        var, groups = v_item, data.n_items
    elif cluster == "none":
        sigma2 = float(e @ e) / max(n - k, 1)
        var, groups = sigma2 / saa, n - k + 1
    else:
        var = v_judge + v_item - v_pair
        # CGM's two-way sum can be negative in small samples; they suggest the larger
        # one-way variance then (section 2.3), which is conservative.
        if var <= 0:
            var = max(v_judge, v_item)
        groups = min(data.n_judges, data.n_items)
    record["used"] = var
    return var, max(int(groups) - 1, 1), record


# --------------------------------------------------------------------------- per judge


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg (1995) step-up adjusted p-values (q-values)."""
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def _split_fit(data: ScoreData, aff, e, sweeps, tol):
    """Residuals and per-judge deviations of the model with one bonus per judge.

    ``score = v_i + o_j + (effect + d_j) affinity + e``, started from the pooled fit (``d = 0``,
    residual ``e``) and solved by block Gauss-Seidel (backfitting: d, then o, then v), which
    converges to its least-squares solution (Hastie & Tibshirani 1990, ch. 5); a judge's
    offset and bonus are one block, fitted to the judge's two groups of scores at once. A
    judge's large personal bonus raises the values of the items they favour; backfitting
    takes that share off the items, so their other judges do not look harsh to them.
    """
    nj, ni = data.n_judges, data.n_items
    idx = np.flatnonzero(aff)
    ja = data.judge[idx]
    n_a = np.bincount(ja, minlength=nj).astype(np.float64)
    n_o = np.bincount(data.judge, minlength=nj) - n_a
    n_i = np.bincount(data.item, minlength=ni).astype(np.float64)
    r = np.array(e, dtype=np.float64, copy=True)
    d = np.zeros(nj)
    with np.errstate(invalid="ignore", divide="ignore"):
        for sweep in range(1, sweeps + 1):
            # a judge's offset and bonus together, from the judge's own two groups of scores
            sum_a = np.bincount(ja, r[idx], minlength=nj)
            step_o = np.nan_to_num((np.bincount(data.judge, r, minlength=nj) - sum_a) / n_o)
            step_d = np.nan_to_num(sum_a / n_a) - step_o
            d += step_d
            r -= step_o[data.judge]
            r[idx] -= step_d[ja]
            r -= (np.bincount(data.item, r, minlength=ni) / n_i)[data.item]
            if np.max(np.abs(step_d)) <= tol:
                break
    return r, d, sweep


def _per_judge(data: ScoreData, aff, e, effect, alpha, sweeps) -> tuple[JudgeFavoritism, np.ndarray]:
    nj = data.n_judges
    r, d, _ = _split_fit(data, aff, e, sweeps, 1e-3 * (float(np.std(e)) + 1e-300))
    k_item = np.bincount(data.item, minlength=data.n_items)[data.item]
    keep = k_item >= 2
    a = (aff & keep).astype(np.float64)
    n_a = np.bincount(data.judge, a, minlength=nj)
    n_o = np.bincount(data.judge, (~aff & keep).astype(np.float64), minlength=nj)
    # A residual is taken against an item value that includes the judge's own score;
    # r*k/(k-1) is the residual against the other judges' scores (leave-one-out), whose
    # spread is what the judge's bonus is measured with.
    loo = np.where(keep, r * k_item / np.maximum(k_item - 1, 1), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = n_a + n_o - 2
        s2 = np.bincount(data.judge, loo**2, minlength=nj) / df
        tested = (n_a >= 1) & (n_o >= 1) & (df >= 2) & (s2 > 0)
        bonus = np.where(tested, effect + d, np.nan)
        se = np.where(tested, np.sqrt(s2 * (1.0 / n_a + 1.0 / n_o)), np.nan)
        t = bonus / se
    pvalue = np.full(nj, np.nan)
    pvalue[tested] = 2.0 * stats.t.sf(np.abs(t[tested]), df[tested])
    qvalue = np.full(nj, np.nan)
    qvalue[tested] = _bh(pvalue[tested])
    tau2 = _dersimonian_laird(bonus[tested], se[tested])
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = tau2 / (tau2 + se**2)
    shrunk = np.where(tested, effect + weight * (bonus - effect), np.nan)
    shrunk_se = np.where(tested, np.sqrt(weight) * se, np.nan)
    flagged = np.flatnonzero(tested & (np.nan_to_num(qvalue, nan=1.0) <= alpha))
    result = JudgeFavoritism(
        bonus=_ro(bonus), se=_ro(se), df=_ro(np.where(tested, df, 0).astype(np.int64)),
        pvalue=_ro(pvalue), qvalue=_ro(qvalue), shrunk=_ro(shrunk), shrunk_se=_ro(shrunk_se),
        n_affine=_ro(n_a.astype(np.int64)), n_other=_ro(n_o.astype(np.int64)),
        tested=_ro(tested), tau=float(np.sqrt(tau2)))
    return result, _ro(flagged.astype(np.int64))


def _dersimonian_laird(b: np.ndarray, se: np.ndarray) -> float:
    """Moment estimate of the between-judge variance (DerSimonian & Laird 1986)."""
    if b.size < 2:
        return 0.0
    w = 1.0 / se**2
    mean = float(w @ b / w.sum())
    q = float(w @ (b - mean) ** 2)
    denom = float(w.sum() - (w @ w) / w.sum())
    return max(0.0, (q - (b.size - 1)) / denom) if denom > 0 else 0.0


# --------------------------------------------------------------------------- entry point


def favoritism(item, judge, score, affinity, *, method="additive", ci_level=0.95, alpha=0.05,
               cluster="two-way", n_items=None, n_judges=None, solver="auto", tol=1e-12,
               max_iter=10000, sweeps=50, warn=True) -> Favoritism:
    """Estimate the bonus judges give items they share a group with (favouritism).

    Parameters
    ----------
    item, judge : array_like of int, shape (n_scores,)
        Item and judge code of every score, as for :func:`judgestats.calibrate`.
    score : array_like of float, shape (n_scores,)
        The scores.
    affinity : array_like of bool, shape (n_scores,)
        True where the judge shares a group with the item (the same nation, city,
        employer group or industry).
    method : {"additive"}, default "additive"
        Model of item quality and judge severity the bonus is estimated beyond: the
        two-way additive model of :func:`judgestats.calibrate_additive`.
    ci_level : float, default 0.95
        Level of the confidence interval of the pooled effect.
    alpha : float, default 0.05
        False discovery rate at which judges are flagged (Benjamini-Hochberg).
    cluster : {"two-way", "judge", "item", "none"}, default "two-way"
        Clustering of the pooled effect's variance: by judge and by item together
        (Cameron, Gelbach & Miller 2011), by one of them, or none (i.i.d. errors).
    n_items, n_judges : int, optional
        Number of items / judges (default: largest code + 1).
    solver, tol, max_iter
        Sparse solver of the item + judge projection, as for the additive calibration.
    sweeps : int, default 50
        Most backfitting sweeps of the per-judge model (see Notes); it stops earlier when
        no judge's bonus moves by more than 1e-3 residual SDs.
    warn : bool, default True
        Also issue the result's warnings through :mod:`warnings`.

    Returns
    -------
    Favoritism
        ``effect``, ``se``, ``ci``, ``pvalue``, ``per_judge`` (each judge's own bonus,
        standard error, p- and q-values and shrunk estimate), ``flagged`` (judge codes),
        ``n_affine``, ``method`` and ``options``.

    Raises
    ------
    ValueError
        ``affinity`` of the wrong length or not boolean, no affine scores (or no other
        ones), an affinity that item and judge effects explain entirely, invalid codes
        or scores. :class:`DisconnectedDesignError` (a ``ValueError``) for a disconnected
        design.

    Notes
    -----
    Model: ``score_s = v_{i(s)} + o_{j(s)} + beta * affinity_s + e_s``, the regression
    of Zitzewitz (2006) on nationalistic judging with item (performance) and judge
    fixed effects. By the Frisch-Waugh-Lovell theorem ``beta = <a~, y~> / <a~, a~>``,
    where ``a~`` and ``y~`` are the affinity and the scores minus their least-squares
    item + judge fit: the sparse reduced system of the additive calibration (judge-only
    Schur complement, Cholesky, or Jacobi-preconditioned conjugate gradients run for
    both right-hand sides at once), so the cost is linear in the number of scores and
    within twice a calibration's (``benchmarks/favoritism.py``).

    Scores share shocks within a judge (a mood, a reading of the rubric) and within an
    item, so the variance of ``beta`` is cluster-robust: two-way by default,
    ``V = V_judge + V_item - V_judge∩item`` (CGM 2011), each the CRV1 sandwich with the
    small-sample factor ``G/(G-1) (N-1)/(N-K)``, ``K = n_items + n_judges``; when that
    sum is not positive the larger one-way variance is used. The interval and p-value
    use Student's t with ``G - 1`` degrees of freedom, ``G`` the smaller number of
    clusters (Cameron & Miller 2015).

    Each judge's own bonus comes from the model with one bonus per judge,
    ``score_s = v_i + o_j + b_j affinity_s + e_s``, fitted by backfitting from the pooled
    fit (block Gauss-Seidel over the judges' offset and bonus, then the item values, at
    most ``sweeps`` times), so that one judge's large bonus is taken off the values of the
    items and does not show as harshness in their other judges. It is tested with a
    two-sample t test on the judge's leave-one-out residuals (residual times
    ``k/(k-1)``, ``k`` the item's number of scores, the residual against the other
    judges' scores). Judges are flagged when the Benjamini-Hochberg
    (1995) adjusted p-value is at most ``alpha``, so that among flagged judges the
    expected share of judges without a bonus is at most ``alpha``. The shrunk bonus is
    the empirical-Bayes (normal-normal) estimate towards the pooled effect with the
    between-judge variance of DerSimonian & Laird (1986); it is for display and is not
    used to flag. A flag is a statistical signal, not a finding of misconduct.

    References
    ----------
    .. [1] E. Zitzewitz (2006). Nationalism in winter sports judging and its lessons
       for organizational decision making. J. Econ. Manage. Strategy 15(1):67-99.
    .. [2] A. C. Cameron, J. B. Gelbach, D. L. Miller (2011). Robust inference with
       multiway clustering. J. Bus. Econ. Stat. 29(2):238-249.
    .. [3] A. C. Cameron, D. L. Miller (2015). A practitioner's guide to cluster-robust
       inference. J. Human Resources 50(2):317-372.
    .. [4] Y. Benjamini, Y. Hochberg (1995). Controlling the false discovery rate: a
       practical and powerful approach to multiple testing. J. R. Stat. Soc. B
       57(1):289-300.
    .. [5] R. DerSimonian, N. Laird (1986). Meta-analysis in clinical trials. Controlled
       Clinical Trials 7(3):177-188.
    .. [6] T. J. Hastie, R. J. Tibshirani (1990). Generalized Additive Models. Chapman &
       Hall (backfitting).

    Examples
    --------
    >>> import numpy as np, judgestats
    >>> rng = np.random.default_rng(1)
    >>> item = np.repeat(np.arange(200), 4)
    >>> judge = np.concatenate([rng.choice(30, 4, replace=False) for _ in range(200)])
    >>> affinity = (item % 10) == (judge % 10)
    >>> score = rng.normal(7, 1, 200)[item] + 0.8 * affinity + rng.normal(0, 0.3, item.size)
    >>> fav = judgestats.favoritism(item, judge, score, affinity)
    >>> round(fav.effect, 1), fav.n_affine
    (0.8, 86)
    """
    opts = _options(method, ci_level, alpha, cluster, solver, tol, max_iter, sweeps)
    data = validate_scores(item, judge, score, n_items=n_items, n_judges=n_judges)
    aff = _affinity(affinity, data.n_scores)
    _check_connected(data)
    log = WarningLog()
    resid, converged, pairs = _residualize(
        data, np.column_stack([data.score, aff.astype(np.float64)]), opts, log)
    ry, ra = resid[:, 0], resid[:, 1]
    saa = float(ra @ ra)
    if saa <= 1e-9 * int(aff.sum()):
        raise ValueError("`affinity` is explained entirely by item and judge effects (for example "
                         "every score of a judge, or of an item, is affine), so the bonus cannot "
                         "be told apart from quality or severity")
    effect = float(ra @ ry) / saa
    e = ry - effect * ra
    var, df, record = _pooled_variance(data, ra, e, saa, opts["cluster"], pairs)
    se = float(np.sqrt(var))
    half = float(stats.t.ppf(0.5 + opts["ci_level"] / 2.0, df)) * se
    pvalue = float(2.0 * stats.t.sf(abs(effect / se), df)) if se > 0 else 0.0
    per_judge, flagged = _per_judge(data, aff, e, effect, opts["alpha"], opts["sweeps"])
    result = Favoritism(
        effect=effect, se=se, ci=(effect - half, effect + half), pvalue=pvalue, df=df,
        per_judge=per_judge, flagged=flagged, n_affine=int(aff.sum()), n_scores=data.n_scores,
        n_items=data.n_items, n_judges=data.n_judges, method=method,
        options=MappingProxyType(opts), variance=MappingProxyType(record),
        converged=converged, warnings=log.entries())
    if warn:
        issue(result.warnings, stacklevel=2)
    return result
