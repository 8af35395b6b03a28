"""Per-judge affine calibration ``score = a_j + b_j * value_i + noise`` (alternating LSQ)."""

from __future__ import annotations

import numpy as np

from ._errors import ConvergenceWarning, DegenerateDataWarning, WarningLog
from ._method import LIN_DEFAULTS, Fit, MethodSpec, linear_fit, pooled_sigma


def _fit_affine(data, opts, compute_se, log: WarningLog) -> Fit:
    ii, jj, y, w = data.item, data.judge, data.score, data.weight
    ni, nj = data.n_items, data.n_judges
    lin = linear_fit(data, w, dict(LIN_DEFAULTS), False, log)
    v = lin["value"].copy()
    a = lin["offset"].copy()
    b = np.ones(nj)
    kappa = opts["scale_shrinkage"]
    sw = np.bincount(jj, w, minlength=nj)
    sy = np.bincount(jj, w * y, minlength=nj)
    yscale = float(np.sqrt(np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2) / w.sum())) or 1.0
    converged, it = False, 0
    flat_judges = np.zeros(nj, dtype=bool)
    for it in range(1, opts["max_iter"] + 1):
        # judge step: weighted regression of y on v per judge (ridge of b toward 1)
        vx = v[ii]
        sv = np.bincount(jj, w * vx, minlength=nj)
        svv = np.bincount(jj, w * vx * vx, minlength=nj)
        svy = np.bincount(jj, w * vx * y, minlength=nj)
        vbar = sv / sw
        sxx = svv - sv * vbar
        sxy = svy - sv * sy / sw
        flat_judges = sxx <= 1e-12 * (svv + 1e-300)
        b_new = np.where(flat_judges, 1.0, (sxy + kappa) / np.where(flat_judges, 1.0, sxx + kappa))
        a_new = sy / sw - b_new * vbar
        # item step
        bx = b_new[jj]
        num = np.bincount(ii, w * bx * (y - a_new[jj]), minlength=ni)
        den = np.bincount(ii, w * bx * bx, minlength=ni)
        v_new = num / den
        # gauge: mean(b) = 1, mean(a) = 0
        mb = b_new.mean()
        alpha = -a_new.mean() / mb
        a_new = a_new + b_new * alpha
        b_new = b_new / mb
        v_new = (v_new - alpha) * mb
        delta = max(np.max(np.abs(v_new - v)), np.max(np.abs(b_new - b)) * yscale)
        v, a, b = v_new, a_new, b_new
        if delta <= opts["tol"] * (1.0 + yscale):
            converged = True
            break
    if not converged:
        log.warn(ConvergenceWarning, f"affine: alternating least squares did not converge in {it} "
                 "iterations; result returned with converged=False")
    if flat_judges.any():
        codes = ", ".join(str(int(c)) for c in np.flatnonzero(flat_judges)[:10])
        log.warn(DegenerateDataWarning, f"affine: judges {codes} scored items of equal calibrated "
                 "value only; their scale is fixed at 1")
    if np.any(b <= 0):
        codes = ", ".join(str(int(c)) for c in np.flatnonzero(b <= 0)[:10])
        log.warn(DegenerateDataWarning, f"affine: judges {codes} have a non-positive scale (their "
                 "scores run against the consensus); review them")
    fitted = a[jj] + b[jj] * v[ii]
    resid = y - fitted
    wt = w / w.mean()
    dof = data.n_scores - ni - 2 * nj + 2
    sigma = pooled_sigma(resid, wt, dof, "affine", log)
    info = np.bincount(ii, wt * b[jj] ** 2, minlength=ni)
    se = sigma / np.sqrt(info) if compute_se else None
    vbar = v.mean()
    sev = -(a + (b - 1.0) * vbar)
    sev = sev - sev.mean()
    return Fit(v, se, sev, b, resid, sigma, it, converged,
               diagnostics={"judge_intercept": a, "residual_dof": dof,
                            "se_method": "conditional"})


AFFINE = MethodSpec(
    "affine", _fit_affine,
    defaults={"min_scores_per_judge": 3, "tol": 1e-10, "max_iter": 2000,
              "scale_shrinkage": 0.0},
    checks={"min_scores_per_judge": dict(kind=int, low=3),
            "tol": dict(kind=float, low=1e-15, high=1e-2),
            "max_iter": dict(kind=int, low=1),
            "scale_shrinkage": dict(kind=float, low=0.0)},
    needs_connected=True,
    min_scores_per_judge=3,
)
