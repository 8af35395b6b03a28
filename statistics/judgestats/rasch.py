"""Many-facet Rasch model (rating-scale form) by joint maximum likelihood."""

from __future__ import annotations

import warnings

import numpy as np

from ._errors import ConvergenceWarning, DegenerateDataWarning
from .calibration import Fit, register


def check_levels(score, levels):
    """Return the ordered rating levels as a tuple of floats (validation step)."""
    observed = np.unique(score)
    if levels is None:
        lv = observed
    else:
        lv = np.asarray(levels, dtype=np.float64)
        if lv.ndim != 1 or lv.size < 2 or not np.all(np.isfinite(lv)):
            raise ValueError("`levels` must be a 1-D list of at least 2 finite rating levels")
        if np.any(np.diff(lv) <= 0):
            raise ValueError("`levels` must be strictly increasing")
        outside = ~np.isin(score, lv)
        if outside.any():
            raise ValueError(f"`score` has {int(outside.sum())} values that are not among "
                             f"`levels` {lv.tolist()}")
        unused = lv[~np.isin(lv, observed)]
        if unused.size:
            raise ValueError(
                f"`levels` {unused.tolist()} are never used; the Rasch thresholds next to an "
                "unobserved level are not estimable. Collapse or drop those levels")
    if lv.size < 2:
        raise ValueError("`score` has a single distinct value; method 'rasch' needs at "
                         "least two rating levels")
    if lv.size > 101:
        raise ValueError(f"`score` has {lv.size} distinct values; method 'rasch' is for "
                         "ordinal rubric levels (at most 101). Round scores to rubric levels "
                         "or use another method")
    return tuple(float(x) for x in lv)


def category_probs(eta, tau):
    """P(X = k | eta), k = 0..K, for the rating-scale model with thresholds tau (K,)."""
    K = tau.size
    k = np.arange(K + 1)
    cum = np.concatenate(([0.0], np.cumsum(tau)))
    logits = eta[:, None] * k[None, :] - cum[None, :]
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    return p


def _moments(p):
    k = np.arange(p.shape[1])
    e = p @ k
    v = p @ (k * k) - e * e
    return e, np.maximum(v, 1e-12)


@register(
    "rasch",
    defaults={"min_scores_per_judge": 2, "levels": None, "tol": 1e-7, "max_iter": 1000,
              "extreme_adjustment": 0.3},
    checks={"min_scores_per_judge": dict(kind=int, low=1),
            "tol": dict(kind=float, low=1e-12, high=1e-2),
            "max_iter": dict(kind=int, low=1),
            "extreme_adjustment": dict(kind=float, low=0.01, high=0.5)},
    needs_connected=True,
    min_scores_per_judge=2,
)
def _fit_rasch(data, opts, compute_se) -> Fit:
    levels = np.asarray(opts["levels"])
    x = np.searchsorted(levels, data.score).astype(np.float64)
    K = levels.size - 1
    ii, jj, w = data.item, data.judge, data.weight
    ni, nj = data.n_items, data.n_judges
    adj = opts["extreme_adjustment"]

    def extremes(mask):
        ext_i = np.zeros(ni, dtype=bool)
        ext_j = np.zeros(nj, dtype=bool)
        while True:
            core = mask & ~ext_i[ii] & ~ext_j[jj]
            wc = np.where(core, w, 0.0)
            new_i, new_j = ext_i.copy(), ext_j.copy()
            for codes, n, ext in ((ii, ni, new_i), (jj, nj, new_j)):
                tot = np.bincount(codes, wc * x, minlength=n)
                ws = np.bincount(codes, wc, minlength=n)
                ext |= (ws <= 0) | (tot <= 1e-12 * ws) | (tot >= (K - 1e-12) * ws)
            if (new_i == ext_i).all() and (new_j == ext_j).all():
                return ext_i, ext_j, core
            ext_i, ext_j = new_i, new_j

    ext_item, ext_judge, core = extremes(np.ones(x.size, dtype=bool))
    if ext_item.any() or ext_judge.any():
        warnings.warn(
            f"rasch: {int(ext_item.sum())} items and {int(ext_judge.sum())} judges have "
            "extreme scores (all lowest or all highest level, possibly after removing other "
            "extreme elements); they are left out of the joint estimation and measured "
            f"afterwards, anchored on the others, with totals moved {adj} score points "
            "inward (Linacre's convention)", DegenerateDataWarning, stacklevel=3)
    if not core.any():
        raise ValueError("`score`: every item or judge has an extreme score (all lowest or "
                         "all highest level); the Rasch model cannot be estimated")
    wc = np.where(core, w, 0.0)
    t_item = np.bincount(ii, wc * x, minlength=ni)
    t_judge = np.bincount(jj, wc * x, minlength=nj)
    t_tau = np.array([np.sum(wc * (x >= h)) for h in range(1, K + 1)])
    cat_counts = np.bincount(x.astype(np.int64), weights=wc, minlength=K + 1)

    def start(codes, n):
        m = (np.bincount(codes, w * x, minlength=n) + 0.5) / (
            np.bincount(codes, w, minlength=n) * K + 1.0)
        return np.log(m / (1 - m))

    B = start(ii, ni)
    C = -start(jj, nj)
    C -= C[~ext_judge].mean() if (~ext_judge).any() else C.mean()
    cum = np.cumsum(cat_counts[::-1])[::-1]  # counts at or above each category
    if np.any(cat_counts == 0):
        raise ValueError("`score`: after removing extreme items and judges some rating level "
                         "is unused; its Rasch threshold is not estimable. Collapse levels")
    tau = -np.log(cum[1:] / cat_counts[:-1])
    tau = tau - tau.mean()
    hmax = np.maximum.outer(np.arange(K), np.arange(K))
    proj = np.eye(K) - 1.0 / K
    free_i, free_j = ~ext_item, ~ext_judge
    converged, it = False, 0
    for it in range(1, opts["max_iter"] + 1):
        e, v = _moments(category_probs(B[ii] - C[jj], tau))
        gB = t_item - np.bincount(ii, wc * e, minlength=ni)
        hB = np.bincount(ii, wc * v, minlength=ni)
        dB = np.where(free_i, np.clip(gB / np.where(free_i, hB, 1.0), -1.0, 1.0), 0.0)
        B = B + dB
        e, v = _moments(category_probs(B[ii] - C[jj], tau))
        gC = t_judge - np.bincount(jj, wc * e, minlength=nj)
        hC = np.bincount(jj, wc * v, minlength=nj)
        dC = np.where(free_j, np.clip(-gC / np.where(free_j, hC, 1.0), -1.0, 1.0), 0.0)
        C = C + dC
        shift = C[free_j].mean()
        C -= shift
        B -= shift
        # thresholds: Newton on tau with sum(tau) = 0. The Hessian of the log-likelihood
        # is -Cov(1[X>=h], 1[X>=h']), so the Newton step is Cov^-1 g.
        p = category_probs(B[ii] - C[jj], tau)
        ge = np.cumsum(p[:, ::-1], axis=1)[:, ::-1][:, 1:]  # P(X >= h), h = 1..K
        g = -(t_tau - (wc[:, None] * ge).sum(axis=0))
        sge = (wc[:, None] * ge).sum(axis=0)
        cov = sge[hmax] - (wc[:, None] * ge).T @ ge
        dtau = np.linalg.solve(proj @ cov @ proj + np.ones((K, K)) / K, proj @ g)
        dtau = np.clip(dtau - dtau.mean(), -1.0, 1.0)
        tau = tau + dtau
        step = max(np.max(np.abs(dB)), np.max(np.abs(dC)), np.max(np.abs(dtau)))
        if step < opts["tol"]:
            converged = True
            break
    # extreme elements: anchored 1-D Newton with adjusted totals, all their scores
    if ext_item.any() or ext_judge.any():
        def adjusted(codes, n):
            tot = np.bincount(codes, w * x, minlength=n)
            ws = np.bincount(codes, w, minlength=n)
            return np.clip(tot, adj, K * ws - adj)

        ta_i, ta_j = adjusted(ii, ni), adjusted(jj, nj)
        for _ in range(200):
            e, v = _moments(category_probs(B[ii] - C[jj], tau))
            dB = (ta_i - np.bincount(ii, w * e, minlength=ni)) / np.bincount(ii, w * v,
                                                                              minlength=ni)
            dB = np.where(ext_item, np.clip(dB, -1.0, 1.0), 0.0)
            B = B + dB
            e, v = _moments(category_probs(B[ii] - C[jj], tau))
            dC = -(ta_j - np.bincount(jj, w * e, minlength=nj)) / np.bincount(jj, w * v,
                                                                               minlength=nj)
            dC = np.where(ext_judge, np.clip(dC, -1.0, 1.0), 0.0)
            C = C + dC
            if max(np.abs(dB).max(), np.abs(dC).max()) < opts["tol"]:
                break
        shift = C.mean()
        C -= shift
        B -= shift
    if not converged:
        warnings.warn(f"rasch: joint maximum likelihood did not converge in {it} iterations; "
                      "result returned with converged=False", ConvergenceWarning, stacklevel=3)
    p = category_probs(B[ii] - C[jj], tau)
    e, v = _moments(p)
    resid = x - e
    z2 = resid**2 / v
    info_i = np.bincount(ii, w * v, minlength=ni)
    info_j = np.bincount(jj, w * v, minlength=nj)

    def fit_stats(codes, n, info):
        wsum = np.bincount(codes, w, minlength=n)
        outfit = np.bincount(codes, w * z2, minlength=n) / wsum
        infit = np.bincount(codes, w * resid**2, minlength=n) / info
        return infit, outfit

    infit_j, outfit_j = fit_stats(jj, nj, info_j)
    infit_i, outfit_i = fit_stats(ii, ni, info_i)
    return Fit(B, 1.0 / np.sqrt(info_i) if compute_se else None, C, None, resid, 1.0, it,
               converged,
               diagnostics={"thresholds": tau, "levels": levels,
                            "judge_se": 1.0 / np.sqrt(info_j),
                            "judge_infit": infit_j, "judge_outfit": outfit_j,
                            "item_infit": infit_i, "item_outfit": outfit_i,
                            "expected_score": np.interp(e, np.arange(K + 1), levels),
                            "extreme_items": ext_item, "extreme_judges": ext_judge})
