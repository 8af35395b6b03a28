"""Many-facet Rasch model (rating-scale form) by joint maximum likelihood."""

from __future__ import annotations

import numpy as np

from ._errors import ConvergenceWarning, DegenerateDataWarning, WarningLog
from ._linear import TwoWay
from ._method import Fit, MethodSpec
from ._validate import ScoreData
from .connectivity import components


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


_DIVERGED = 25.0
_NO_MAXIMUM = (
    "`score`: the many-facet Rasch likelihood has no finite maximum for these data -- "
    "typically a rating level or a pattern of ratings that separates some items or judges "
    "perfectly, or too few ratings per item. Merge sparse rating levels (`levels`), add "
    "ratings, or use another method")


def _twoway_solve(tw, r_i, r_j, solver):
    """Solve [[D_I, N], [N^T, D_J]] [v; o] = [r_i; r_j] with sum(o) = 0."""
    b = r_j - tw.NT @ (r_i / tw.W_i)
    o, _, _ = tw.solve(b, solver=solver, tol=1e-13, maxiter=None)
    return (r_i - tw.N @ o) / tw.W_i, o


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


def _fit_rasch(data, opts, compute_se, log: WarningLog) -> Fit:
    """The numerical kernel: joint maximum likelihood of the rating-scale many-facet Rasch model,
    log(P_k / P_{k-1}) = B_item - C_judge - tau_k, by full Newton steps on (B, C, tau).

    Extreme elements (all scores at the lowest or highest level) are left out of the joint estimation
    and then measured alone, anchored, with their totals moved inward by ``extreme_adjustment``
    (Linacre's convention). Standard errors come from the information matrix when ``compute_se``.

    References: Linacre, J. M. (1989). *Many-Facet Rasch Measurement*. MESA Press; Andrich, D. (1978).
    A rating formulation for ordered response categories. *Psychometrika* 43, 561-573.
    """
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
        log.warn(DegenerateDataWarning,
                 f"rasch: {int(ext_item.sum())} items and {int(ext_judge.sum())} judges have "
                 "extreme scores (all lowest or all highest level, possibly after removing other "
                 "extreme elements); they are left out of the joint estimation and measured "
                 f"afterwards, anchored on the others, with totals moved {adj} score points "
                 "inward (Linacre's convention)")
    if not core.any():
        raise ValueError("`score`: every item or judge has an extreme score (all lowest or "
                         "all highest level); the Rasch model cannot be estimated")
    wc = np.where(core, w, 0.0)
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
    # core sub-design (non-extreme items and judges), codes remapped to 0..n-1
    ci_codes, cj_codes = np.flatnonzero(free_i), np.flatnonzero(free_j)
    imap = np.full(ni, -1)
    imap[ci_codes] = np.arange(ci_codes.size)
    jmap = np.full(nj, -1)
    jmap[cj_codes] = np.arange(cj_codes.size)
    ci, cj, xc, wcore = imap[ii[core]], jmap[jj[core]], x[core], w[core]
    ncomp, _, _ = components(ScoreData(ci, cj, xc, wcore, None, ci_codes.size, cj_codes.size))
    if ncomp > 1:
        raise ValueError(
            "`score`: after setting aside items and judges with extreme scores the design "
            f"falls into {ncomp} disconnected parts; the Rasch measures are not identified. "
            "Use more rating levels or a better linked design")
    nci, ncj = ci_codes.size, cj_codes.size
    solver = "dense" if ncj <= 1500 else "cg"
    converged, it = False, 0
    kk = np.arange(K + 1)
    Bc, oc = B[ci_codes].copy(), -C[cj_codes]
    oc -= oc.mean()
    wx = wcore * xc
    for it in range(1, opts["max_iter"] + 1):
        # Full Newton step on (B, o = -C, tau). The information matrix has a weighted
        # two-way (item x judge) block A, a K x K threshold block and cross terms; we
        # eliminate (B, o) with K+1 solves of the two-way system (one Cholesky factor)
        # and solve the small Schur complement for tau.
        p = category_probs(Bc[ci] + oc[cj], tau)
        e, v = _moments(p)
        ge = np.cumsum(p[:, ::-1], axis=1)[:, ::-1][:, 1:]  # P(X >= h), h = 1..K
        xge = np.cumsum((p * kk)[:, ::-1], axis=1)[:, ::-1][:, 1:]  # E[X 1(X >= h)]
        cxg = wcore[:, None] * (xge - e[:, None] * ge)  # w Cov(X, 1(X >= h))
        wge = wcore[:, None] * ge
        sge = wge.sum(axis=0)
        g_b = np.bincount(ci, wx - wcore * e, minlength=nci)
        g_o = np.bincount(cj, wx - wcore * e, minlength=ncj)
        g_t = sge - t_tau
        m_bt = -np.stack([np.bincount(ci, cxg[:, h], minlength=nci) for h in range(K)], 1)
        m_ot = -np.stack([np.bincount(cj, cxg[:, h], minlength=ncj) for h in range(K)], 1)
        m_tt = sge[hmax] - wge.T @ ge
        tw = TwoWay(ci, cj, wcore * v, nci, ncj)
        u_b, u_o = _twoway_solve(tw, g_b, g_o, solver)
        U_b = np.empty((nci, K))
        U_o = np.empty((ncj, K))
        for h in range(K):
            U_b[:, h], U_o[:, h] = _twoway_solve(tw, m_bt[:, h], m_ot[:, h], solver)
        red = m_tt - m_bt.T @ U_b - m_ot.T @ U_o
        rhs = g_t - m_bt.T @ u_b - m_ot.T @ u_o
        try:
            dtau = np.linalg.solve(proj @ red @ proj + np.ones((K, K)) / K, proj @ rhs)
        except np.linalg.LinAlgError:
            raise ValueError(_NO_MAXIMUM + " (the threshold information matrix is "
                             "singular)") from None
        dtau -= dtau.mean()
        dB = u_b - U_b @ dtau
        dO = u_o - U_o @ dtau
        big = max(np.abs(dB).max(), np.abs(dO).max(), np.abs(dtau).max())
        if big > 1.0:  # cap the step at 1 logit
            dB, dO, dtau = dB / big, dO / big, dtau / big
        Bc += dB
        oc += dO
        tau = tau + dtau
        shift = oc.mean()
        oc -= shift
        Bc += shift
        step = max(np.abs(dB).max(), np.abs(dO).max(), np.abs(dtau).max())
        if step < opts["tol"]:
            converged = True
            break
        if max(np.abs(Bc).max(), np.abs(oc).max(), np.abs(tau).max()) > _DIVERGED:
            raise ValueError(_NO_MAXIMUM + f" (measures diverge beyond {_DIVERGED:g} logits)")
    if not converged and max(np.abs(Bc).max(), np.abs(oc).max(), np.abs(tau).max()) > 12.0:
        raise ValueError(_NO_MAXIMUM + f" (no convergence in {it} iterations, measures "
                         "drifting beyond 12 logits)")
    B[ci_codes] = Bc
    C[cj_codes] = -oc
    C[free_j] -= C[free_j].mean()
    # extreme elements: anchored 1-D Newton with adjusted totals, all their scores
    if ext_item.any() or ext_judge.any():
        def adjusted(codes, n):
            tot = np.bincount(codes, w * x, minlength=n)
            ws = np.bincount(codes, w, minlength=n)
            return np.clip(tot, adj, K * ws - adj)

        ta_i, ta_j = adjusted(ii, ni), adjusted(jj, nj)
        sub = ext_item[ii] | ext_judge[jj]  # only these scores involve extreme elements
        si, sj, sw = ii[sub], jj[sub], w[sub]
        for _ in range(200):
            e, v = _moments(category_probs(B[si] - C[sj], tau))
            dB = (ta_i - np.bincount(si, sw * e, minlength=ni)) / np.maximum(
                np.bincount(si, sw * v, minlength=ni), 1e-300)
            dB = np.where(ext_item, np.clip(dB, -1.0, 1.0), 0.0)
            B = B + dB
            e, v = _moments(category_probs(B[si] - C[sj], tau))
            dC = -(ta_j - np.bincount(sj, sw * e, minlength=nj)) / np.maximum(
                np.bincount(sj, sw * v, minlength=nj), 1e-300)
            dC = np.where(ext_judge, np.clip(dC, -1.0, 1.0), 0.0)
            C = C + dC
            if max(np.abs(dB).max(), np.abs(dC).max()) < opts["tol"]:
                break
        shift = C.mean()
        C -= shift
        B -= shift
    if not converged:
        log.warn(ConvergenceWarning, f"rasch: joint maximum likelihood did not converge in {it} "
                 "iterations; result returned with converged=False")
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


def _check_levels_option(data: ScoreData, opts: dict) -> dict:
    return dict(opts, levels=check_levels(data.score, opts["levels"]))


RASCH = MethodSpec(
    "rasch", _fit_rasch,
    defaults={"min_scores_per_judge": 2, "levels": None, "tol": 1e-7, "max_iter": 1000,
              "extreme_adjustment": 0.3},
    checks={"min_scores_per_judge": dict(kind=int, low=1),
            "tol": dict(kind=float, low=1e-12, high=1e-2),
            "max_iter": dict(kind=int, low=1),
            "extreme_adjustment": dict(kind=float, low=0.01, high=0.5)},
    needs_connected=True,
    min_scores_per_judge=2,
    check_data=_check_levels_option,
)
