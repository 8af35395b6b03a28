"""Linear mixed model: fixed item values, random (crossed) judge effects, fitted by REML."""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
from scipy.optimize import minimize_scalar

from ._errors import DegenerateDataWarning, WarningLog
from ._linear import TwoWay
from ._method import Fit, MethodSpec


def reml_profile(tw: TwoWay, y, w):
    """Return (objective(log_lambda), pieces) for the profiled REML criterion."""
    Y_i, b = tw.rhs(y)
    lam_s, q = sla.eigh(tw.dense(), check_finite=False)
    lam_s = np.clip(lam_s, 0.0, None)
    c = q.T @ b
    c0 = float(np.sum(w * y * y) - np.sum(Y_i**2 / tw.W_i))
    n, p = y.size, tw.ni
    dof = n - p

    def quad(loglam):
        lam = np.exp(loglam)
        return c0 - float(np.sum(c * c * lam / (lam * lam_s + 1.0)))

    def objective(loglam):
        lam = np.exp(loglam)
        qf = max(quad(loglam), 1e-300)
        return dof * np.log(qf / dof) + float(np.sum(np.log1p(lam * lam_s)))

    return objective, quad, lam_s, q, c, Y_i, dof


def _fit_mixed(data, opts, compute_se, log: WarningLog) -> Fit:
    ii, jj, y, w = data.item, data.judge, data.score, data.weight
    ni, nj = data.n_items, data.n_judges
    if nj > opts["max_judges"]:
        raise ValueError(
            f"method 'mixed' factorises a dense n_judges x n_judges matrix; n_judges={nj} "
            f"exceeds `max_judges`={opts['max_judges']} (raise it if memory allows, or use "
            "'additive' whose fixed-effect solution needs no factorisation)")
    dof = data.n_scores - ni
    if dof <= 1:
        raise ValueError("method 'mixed' needs residual degrees of freedom: every item has a "
                         "single score (`score` has as many values as there are items)")
    wt = w / w.mean()
    tw = TwoWay(ii, jj, wt, ni, nj)
    objective, quad, lam_s, q, c, Y_i, dof = reml_profile(tw, y, wt)
    lo, hi = np.log(1e-10), np.log(1e10)
    res = minimize_scalar(objective, bounds=(lo, hi), method="bounded",
                          options={"xatol": opts["tol"], "maxiter": 500})
    loglam = float(res.x)
    # the bounded search may miss a boundary optimum: compare with the ends
    for edge in (lo, hi):
        if objective(edge) < objective(loglam):
            loglam = edge
    lam = float(np.exp(loglam))
    sigma2 = quad(loglam) / dof
    tau2 = lam * sigma2
    if loglam <= lo + 1e-6:
        log.warn(DegenerateDataWarning, "mixed: the judge variance is estimated at 0 (REML "
                 "boundary); judge effects are shrunk to 0 and item values equal the raw means")
    d = lam / (lam * lam_s + 1.0)  # eigenvalues of (S + I/lam)^{-1}
    u = q @ (d * c)
    beta = (Y_i - tw.N @ u) / tw.W_i
    fitted = beta[ii] + u[jj]
    resid = y - fitted
    se = None
    if compute_se:
        cov_u = (q * d) @ q.T
        se = np.sqrt(sigma2 * tw.item_var_factor(cov_u, exact=True))
    if tau2 + sigma2 > 0:
        judge_icc = tau2 / (tau2 + sigma2)
    else:  # the item effects explain every score: no variance is left for judges or noise to share
        judge_icc = 0.0
        log.warn(DegenerateDataWarning, "mixed: the item effects fit every score exactly (no residual "
                 "variance); the judges' share of the variance is reported as 0")
    ll = -0.5 * (objective(loglam) + dof * (1.0 + np.log(2 * np.pi))
                 + float(np.sum(np.log(tw.W_i))) - float(np.sum(np.log(wt))))
    return Fit(beta, se, -u, None, resid, float(np.sqrt(sigma2)), int(res.nfev),
               bool(res.success),
               diagnostics={"sigma2": sigma2, "tau2": tau2,
                            "judge_icc": judge_icc,
                            "reml_loglik": float(ll), "judge_blup": u,
                            "shrinkage_lambda": lam})


MIXED = MethodSpec(
    "mixed", _fit_mixed,
    defaults={"min_scores_per_judge": 2, "tol": 1e-10, "max_judges": 5000},
    checks={"min_scores_per_judge": dict(kind=int, low=1),
            "tol": dict(kind=float, low=1e-14, high=1e-2),
            "max_judges": dict(kind=int, low=1)},
    needs_connected=True,
    min_scores_per_judge=2,
)
