"""Ranking of calibrated items and bootstrap rank uncertainty."""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from ._errors import DegenerateDataWarning, EngineWarning, WarningLog, issue
from ._validate import check_option
from .calibration import Calibration, _canonical, fit_prepared, prepare

__all__ = ["Ranking", "RankUncertainty", "rank", "bootstrap", "TIE_RULES"]

TIE_RULES = ("shared", "item_se", "raw_mean", "item_order")


def _ro(a):
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Ranking:
    """Result of :func:`rank`.

    Attributes
    ----------
    rank : numpy.ndarray of int, shape (n_items,)
        Rank of every item (1 = best). Under ``"shared"`` tied items share the best
        rank of their group (competition ranking 1, 2, 2, 4); under the other rules
        ranks are 1..n_items without gaps.
    order : numpy.ndarray of int
        Item codes from best to worst (ties ordered by the tie rule, then item code).
    top : numpy.ndarray of int
        Item codes with ``rank <= top_n`` in ``order``; under ``"shared"`` this can hold
        more than ``top_n`` items when there is a tie at the cut-off.
    top_n : int
        Number of places awarded.
    tie_rule : str
        Tie rule used.
    ties : tuple of tuple of int
        Groups of items whose values are tied (before tie breaking), each sorted by code.
    tie_at_cutoff : bool
        True when a tie group straddles place ``top_n`` (the award list depends on the
        tie rule, or is longer than ``top_n`` under ``"shared"``).
    method : str
        Calibration method of the ranked values.
    options : Mapping
        ``top_n``, ``tie_rule`` and ``decimals``.
    warnings : tuple of EngineWarning
        Warnings of the ranking itself (not those of the calibration, which it carries).
    """

    rank: np.ndarray
    order: np.ndarray
    top: np.ndarray
    top_n: int
    tie_rule: str
    ties: tuple
    tie_at_cutoff: bool
    method: str
    options: Mapping[str, Any]
    warnings: tuple[EngineWarning, ...] = ()


def _rank_values(value, *, tie_rule, decimals, se=None, raw=None):
    n = value.size
    key = np.round(value, decimals) if decimals is not None else value
    codes = np.arange(n)
    # best first: higher key first; within ties apply the rule, then item code
    if tie_rule == "item_se":
        order = np.lexsort((codes, se, -key))
    elif tie_rule == "raw_mean":
        order = np.lexsort((codes, -raw, -key))
    else:
        order = np.lexsort((codes, -key))
    k_sorted = key[order]
    new_group = np.concatenate(([True], k_sorted[1:] != k_sorted[:-1]))
    group_id = np.cumsum(new_group) - 1
    ranks = np.empty(n, dtype=np.int64)
    if tie_rule == "shared":
        first_pos = np.flatnonzero(new_group)
        ranks[order] = first_pos[group_id] + 1
    else:
        ranks[order] = np.arange(1, n + 1)
    return order, ranks, group_id


def rank(calibration: Calibration, top_n: int = 10, tie_rule: str = "shared", *,
         decimals: int | None = 9, warn: bool = True) -> Ranking:
    """Rank items by calibrated value and select the top ``top_n``.

    Parameters
    ----------
    calibration : Calibration
        Result of :func:`judgestats.calibrate`.
    top_n : int, default 10
        Number of places awarded (the competition awards a top 10 per category).
    tie_rule : {"shared", "item_se", "raw_mean", "item_order"}, default "shared"
        How equal values are ordered:

        - ``"shared"``: competition ranking -- tied items share the best rank of their
          group and the next rank is skipped (1, 2, 2, 4). ``top`` then includes every
          item with rank <= top_n, so a tie at the cut-off awards more than ``top_n``.
        - ``"item_se"``: the item whose value is more precise (smaller standard error,
          usually more scores) goes first.
        - ``"raw_mean"``: the item with the higher plain mean score goes first.
        - ``"item_order"``: the smaller item code goes first (for example the earlier
          submission, if codes follow submission order).

        Remaining ties after ``"item_se"``/``"raw_mean"`` are broken by item code.
    decimals : int or None, default 9
        Values are compared after rounding to this many decimals, so that values that
        differ only by floating-point rounding count as tied; set it to the number of
        decimals the edition publishes (e.g. 2) to make published ties real ties.
        ``None`` compares exact floating-point values.
    warn : bool, default True
        Also issue each warning through Python's :mod:`warnings`; False: only record it
        in the result's ``warnings``.

    Returns
    -------
    Ranking
        Ranks, order, top items, tie groups and the options used; ``warnings`` holds a
        :class:`~judgestats.DegenerateDataWarning` (as data) when the calibration has
        several components.

    Notes
    -----
    Higher values are better for every method (for ``"rasch"`` the item measure in
    logits). Ties are groups of equal rounded values.

    References
    ----------
    .. [1] Competition ("1224") ranking: e.g. the ``method="min"`` option of
       :func:`scipy.stats.rankdata` applied to the negated values.

    Examples
    --------
    >>> import judgestats
    >>> cal = judgestats.calibrate([0, 1, 2, 3], [0, 0, 0, 0], [7.0, 9.0, 9.0, 6.0],
    ...                            method="mean")
    >>> r = judgestats.rank(cal, top_n=2)
    >>> r.rank.tolist(), r.top.tolist()
    ([3, 1, 1, 4], [1, 2])
    """
    if not isinstance(calibration, Calibration):
        raise ValueError(f"`calibration` must be a Calibration, got {type(calibration).__name__}")
    top_n = check_option("top_n", top_n, kind=int, low=1)
    tie_rule = check_option("tie_rule", tie_rule, kind=str, choices=set(TIE_RULES))
    if decimals is not None:
        decimals = check_option("decimals", decimals, kind=int, low=0, high=15)
    log = WarningLog()
    if calibration.n_components > 1:
        log.warn(DegenerateDataWarning,
                 "rank: the calibration has several components (within_components=True); values "
                 "in different components are not on a common scale")
    se = calibration.item_se
    if tie_rule == "item_se" and se is None:
        raise ValueError("tie_rule='item_se' needs `calibration.item_se`")
    order, ranks, group_id = _rank_values(
        np.asarray(calibration.item_value), tie_rule=tie_rule, decimals=decimals,
        se=None if se is None else np.asarray(se), raw=np.asarray(calibration.item_raw_mean))
    sizes = np.bincount(group_id)
    ties = tuple(
        tuple(sorted(int(c) for c in order[group_id == g])) for g in np.flatnonzero(sizes > 1)
    )
    n = order.size
    if top_n < n:
        cut = group_id[min(top_n, n) - 1] == group_id[min(top_n, n)]
    else:
        cut = False
    top = order[ranks[order] <= top_n]
    result = Ranking(
        rank=_ro(ranks), order=_ro(order), top=_ro(top), top_n=top_n, tie_rule=tie_rule,
        ties=ties, tie_at_cutoff=bool(cut), method=calibration.method,
        options=MappingProxyType({"top_n": top_n, "tie_rule": tie_rule, "decimals": decimals}),
        warnings=log.entries(),
    )
    if warn:
        issue(result.warnings, stacklevel=2)
    return result


@dataclass(frozen=True, eq=False)
class RankUncertainty:
    """Result of :func:`bootstrap`.

    Attributes
    ----------
    method : str
        Calibration method resampled.
    rank : numpy.ndarray of int
        Rank of every item in the full-data calibration (ties by item code).
    item_value : numpy.ndarray
        Full-data calibrated values.
    rank_median : numpy.ndarray
        Median bootstrap rank of every item.
    rank_ci90, rank_ci95 : numpy.ndarray of int, shape (n_items, 2)
        90% and 95% percentile intervals of each item's rank (lower, upper),
        conservative: the lower end is rounded down and the upper end up to observed ranks.
    p_top : numpy.ndarray
        Share of replicates in which the item ranks within the top ``top_n``.
    top_n, reps, seed : int
        As passed.
    scheme : str
        Resampling scheme (``"judge-score-weights"``, see :func:`bootstrap`).
    options : Mapping
        Method options used.
    warnings : tuple of EngineWarning
        Warnings of the full-data calibration (those of the replicates are dropped: they
        repeat the full data's on reweighted copies).
    """

    method: str
    rank: np.ndarray
    item_value: np.ndarray
    rank_median: np.ndarray
    rank_ci90: np.ndarray
    rank_ci95: np.ndarray
    p_top: np.ndarray
    top_n: int
    reps: int
    seed: int
    scheme: str
    options: Mapping[str, Any]
    warnings: tuple[EngineWarning, ...] = ()


def bootstrap(item, judge, score, method="additive", top_n=10, *, reps=200, seed=0,
              weight=None, confidence=None, n_items=None, n_judges=None, warn=True,
              **options) -> RankUncertainty:
    """Bootstrap rank intervals and top-N probabilities for every item.

    Parameters
    ----------
    item, judge, score : array_like, shape (n_scores,)
        Long-form scores as for :func:`judgestats.calibrate`.
    method : str, default "additive"
        Calibration method (any of :func:`judgestats.calibrate`'s methods).
    top_n : int, default 10
        Places awarded; ``p_top`` is the probability of ranking within them.
    reps : int, default 200
        Number of bootstrap replicates.
    seed : int, default 0
        Seed of :class:`numpy.random.Generator` (PCG64); the same seed and data give the
        same result.
    weight, confidence, n_items, n_judges, **options
        Passed to the calibration method.
    warn : bool, default True
        Also issue the full-data calibration's warnings through Python's :mod:`warnings`;
        False: only record them in the result's ``warnings``.

    Returns
    -------
    RankUncertainty
        Rank intervals (90% and 95%), median rank and top-N probability per item, and
        ``warnings``: the full-data calibration's warnings as data.

    Notes
    -----
    Scheme ("judge-score-weights"): a Bayesian product-weight bootstrap for a crossed
    judge x item design. In replicate ``r`` every judge ``j`` draws a weight
    ``G_j ~ Exp(1)`` and every score ``s`` a weight ``E_s ~ Exp(1)``; score ``s`` enters
    the weighted calibration with weight ``weight_s * G_{j(s)} * E_s``. Judges are the
    random factor whose resampling matters for calibration (a lenient judge may or may
    not have been on a panel); scores capture the within-judge noise. Items are not
    resampled because they are the objects ranked. Continuous weights (Rubin 1981)
    rather than multinomial counts keep every score with positive weight, so the design
    stays connected and no item loses all its scores; Owen & Eckles (2012) show
    independent random weights per factor level give a (mildly conservative) bootstrap
    for crossed random-effect designs, where no exact bootstrap exists (McCullagh 2000).
    Ranks within a replicate break ties by item code. Intervals are percentile
    intervals of the replicate ranks. Replicates of ``"additive"``/``"confidence"``
    use the conjugate-gradient solver (same solution to ~1e-12, no refactorisation).

    References
    ----------
    .. [1] A. B. Owen, D. Eckles (2012). Bootstrapping data arrays of arbitrary order.
       Ann. Appl. Stat. 6(3):895-927.
    .. [2] D. B. Rubin (1981). The Bayesian bootstrap. Ann. Statist. 9(1):130-134.
    .. [3] P. McCullagh (2000). Resampling and exchangeable arrays. Bernoulli 6(2):285-301.

    Examples
    --------
    >>> import numpy as np, judgestats
    >>> rng = np.random.default_rng(1)
    >>> item = np.repeat(np.arange(30), 4); judge = rng.integers(0, 8, item.size)
    >>> score = item / 10 + rng.normal(0, 1, item.size)
    >>> u = judgestats.bootstrap(item, judge, score, "mean", top_n=5, reps=50, seed=7)
    >>> u.rank_ci95.shape, bool(0 <= u.p_top.min() <= u.p_top.max() <= 1)
    ((30, 2), True)
    """
    top_n = check_option("top_n", top_n, kind=int, low=1)
    reps = check_option("reps", reps, kind=int, low=1)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    within = bool(options.pop("within_components", False))
    data, opts, ncomp, ic, jc = prepare(
        item, judge, score, method, weight=weight, confidence=confidence, n_items=n_items,
        n_judges=n_judges, within_components=within, options=options)
    log = WarningLog()
    full = fit_prepared(data, method, opts, ncomp, ic, jc, log=log, compute_se=False)
    n = data.n_items
    _, base_rank, _ = _rank_values(full.item_value, tie_rule="item_order", decimals=None)
    rng = np.random.Generator(np.random.PCG64(seed))
    ranks = np.empty((reps, n), dtype=np.int32)
    rep_opts = dict(opts)
    if method in ("additive", "confidence") and opts["solver"] == "auto":
        rep_opts["solver"] = "cg"  # matrix-free: no refactorisation per replicate

    for r in range(reps):
        gj = rng.standard_exponential(data.n_judges)
        es = rng.standard_exponential(data.n_scores)
        wr = data.weight * gj[data.judge] * es
        d = replace(data, weight=wr)
        f = fit_prepared(d, method, rep_opts, ncomp, ic, jc, log=WarningLog(), compute_se=False)
        order = np.lexsort((np.arange(n), -f.item_value))
        ranks[r, order] = np.arange(1, n + 1)

    def ci(level):
        a = (1 - level) / 2
        lo = np.quantile(ranks, a, axis=0, method="lower")
        hi = np.quantile(ranks, 1 - a, axis=0, method="higher")
        return _ro(np.column_stack([lo, hi]).astype(np.int64))

    result = RankUncertainty(
        method=method, rank=_ro(base_rank), item_value=_ro(full.item_value.copy()),
        rank_median=_ro(np.median(ranks, axis=0)), rank_ci90=ci(0.90), rank_ci95=ci(0.95),
        p_top=_ro((ranks <= top_n).mean(axis=0)), top_n=top_n, reps=reps, seed=seed,
        scheme="judge-score-weights",
        options=MappingProxyType(_canonical(dict(opts, within_components=within))),
        warnings=log.entries(),
    )
    if warn:
        issue(result.warnings, stacklevel=2)
    return result
