"""The basic methods: mean, trimmed means, z-scores, and the additive and confidence two-way models."""

from __future__ import annotations

import numpy as np

from ._errors import DegenerateDataWarning, WarningLog
from ._method import LIN_CHECKS, LIN_DEFAULTS, Fit, MethodSpec, linear_fit, pooled_sigma, wmean_by
from ._validate import ScoreData


def _descriptive_severity(data, fitted):
    """Mean of (fitted - score) per judge, centred: positive = scores below the item value."""
    sev = wmean_by(data.judge, fitted - data.score, data.weight, data.n_judges)
    return sev - sev.mean()


def _fit_mean(data: ScoreData, opts, compute_se, log: WarningLog) -> Fit:
    v = wmean_by(data.item, data.score, data.weight, data.n_items)
    fitted = v[data.item]
    resid = data.score - fitted
    wt = data.weight / data.weight.mean()
    sigma = pooled_sigma(resid, wt, data.n_scores - data.n_items, "mean", log)
    se = sigma / np.sqrt(np.bincount(data.item, wt, minlength=data.n_items))
    return Fit(v, se, _descriptive_severity(data, fitted), None, resid, sigma, diagnostics={})


MEAN = MethodSpec("mean", _fit_mean, defaults={}, checks={}, needs_connected=False,
                  min_scores_per_judge=None)


def trimmed_mask(item, score, n_items, min_scores_to_trim, n_trim):
    """Boolean mask of the scores kept by the trimming rule (see :func:`calibrate`)."""
    order = np.lexsort((np.arange(score.size), score, item))
    counts = np.bincount(item, minlength=n_items)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    pos = np.arange(score.size) - np.repeat(starts, counts)  # rank within item
    cnt = np.repeat(counts, counts)
    trim = cnt >= min_scores_to_trim
    keep_sorted = ~trim | ((pos >= n_trim) & (pos < cnt - n_trim))
    keep = np.empty(score.size, dtype=bool)
    keep[order] = keep_sorted
    return keep


_TRIM_CHECKS = {"min_scores_to_trim": dict(kind=int, low=1), "n_trim": dict(kind=int, low=1)}


def _check_trim(data: ScoreData, opts: dict) -> dict:
    k, t = opts["min_scores_to_trim"], opts["n_trim"]
    if k < 2 * t + 1:
        raise ValueError(
            f"`min_scores_to_trim` must be at least 2*n_trim+1={2 * t + 1} so that a "
            f"score is left after trimming, got {k}")
    return opts


def _fit_trimmed(data: ScoreData, opts, compute_se, log: WarningLog) -> Fit:
    k, t = opts["min_scores_to_trim"], opts["n_trim"]
    keep = trimmed_mask(data.item, data.score, data.n_items, k, t)
    w = np.where(keep, data.weight, 0.0)
    v = np.bincount(data.item, w * data.score, minlength=data.n_items) / np.bincount(
        data.item, w, minlength=data.n_items
    )
    fitted = v[data.item]
    resid = data.score - fitted
    wt = w / w[keep].mean()
    sigma = pooled_sigma(resid[keep], wt[keep], int(keep.sum()) - data.n_items, "trimmed", log)
    se = sigma / np.sqrt(np.bincount(data.item, wt, minlength=data.n_items))
    counts = np.bincount(data.item, minlength=data.n_items)
    return Fit(
        v, se, _descriptive_severity(data, fitted), None, resid, sigma,
        diagnostics={"score_used": keep, "item_trimmed": counts >= k},
    )


TRIMMED = MethodSpec("trimmed", _fit_trimmed, defaults={"min_scores_to_trim": 3, "n_trim": 1},
                     checks=_TRIM_CHECKS, needs_connected=False, min_scores_per_judge=None,
                     check_data=_check_trim)
# "trimmed_mean" is the rule of Chinese expert panels: trim only a panel of 5 or more.
TRIMMED_MEAN = MethodSpec("trimmed_mean", _fit_trimmed,
                          defaults={"min_scores_to_trim": 5, "n_trim": 1}, checks=_TRIM_CHECKS,
                          needs_connected=False, min_scores_per_judge=None, check_data=_check_trim)


def _fit_zscore(data: ScoreData, opts, compute_se, log: WarningLog) -> Fit:
    y, w, jj, ii = data.score, data.weight, data.judge, data.item
    nj, ni = data.n_judges, data.n_items
    m = wmean_by(jj, y, w, nj)
    cnt = np.bincount(jj, minlength=nj)
    var = wmean_by(jj, (y - m[jj]) ** 2, w, nj) * cnt / (cnt - 1)
    sd = np.sqrt(var)
    flat = sd <= 1e-12 * (1.0 + np.abs(m))
    if flat.any():
        codes = ", ".join(str(int(c)) for c in np.flatnonzero(flat)[:10])
        log.warn(DegenerateDataWarning,
                 f"zscore: judges {codes} gave the same score to every item they scored; "
                 "their standardized scores are set to 0 (they do not separate items)")
    sd_safe = np.where(flat, 1.0, sd)
    z = np.where(flat[jj], 0.0, (y - m[jj]) / sd_safe[jj])
    zbar = wmean_by(ii, z, w, ni)
    scale_sd = float(np.sqrt(np.mean(sd[~flat] ** 2))) if (~flat).any() else 1.0
    mean_sd = float(np.mean(sd[~flat])) if (~flat).any() else 1.0
    if opts["rescale"]:
        mu = float(np.sum(w * y) / np.sum(w))
        v, unit = mu + scale_sd * zbar, scale_sd
    else:
        v, unit = zbar, 1.0
    zres = z - zbar[ii]
    fitted = m[jj] + sd_safe[jj] * zbar[ii]
    resid = y - np.where(flat[jj], m[jj], fitted)
    wt = w / w.mean()
    sz = pooled_sigma(zres, wt, data.n_scores - ni, "zscore", log)
    sev = m.mean() - m
    scale = np.where(flat, 0.0, sd) / mean_sd
    se = unit * sz / np.sqrt(np.bincount(ii, wt, minlength=ni))
    return Fit(v, se, sev, scale, resid, unit * sz,
               diagnostics={"judge_mean": m, "judge_sd": sd, "item_mean_z": zbar})


ZSCORE = MethodSpec(
    "zscore", _fit_zscore,
    defaults={"min_scores_per_judge": 3, "rescale": True},
    checks={"min_scores_per_judge": dict(kind=int, low=2), "rescale": dict(kind=bool)},
    needs_connected=False,
    min_scores_per_judge=3,
)


def _fit_additive(data: ScoreData, opts, compute_se, log: WarningLog) -> Fit:
    w = data.weight
    r = linear_fit(data, w, opts, compute_se, log)
    dof = data.n_scores - data.n_items - data.n_judges + 1
    sigma = pooled_sigma(r["residual"], w / w.mean(), dof, "additive", log)
    se = None
    if r["var_factor"] is not None:
        se = sigma * np.sqrt(r["var_factor"] * w.mean())
    return Fit(r["value"], se, -r["offset"], None, r["residual"], sigma,
               iterations=r["iterations"], converged=r["converged"],
               diagnostics={"solver": r["solver"], "se_method": r["se_method"],
                            "residual_dof": dof})


ADDITIVE = MethodSpec("additive", _fit_additive, defaults=dict(LIN_DEFAULTS), checks=dict(LIN_CHECKS),
                      needs_connected=True, min_scores_per_judge=2)


def _fit_confidence(data: ScoreData, opts, compute_se, log: WarningLog) -> Fit:
    declared = data.confidence is not None
    c = data.confidence if declared else np.ones(data.n_scores)
    w = c * data.weight
    r = linear_fit(data, w, opts, compute_se, log, ridge=opts["bias_prior"])
    dof = data.n_scores - data.n_items - data.n_judges + (0 if opts["bias_prior"] > 0 else 1)
    chi2 = float(np.sum(w * r["residual"] ** 2))
    if declared:
        sigma = 1.0
    else:
        sigma = pooled_sigma(r["residual"], w, dof, "confidence", log)
    se = None if r["var_factor"] is None else sigma * np.sqrt(r["var_factor"])
    item_conf = np.bincount(data.item, w, minlength=data.n_items)
    return Fit(r["value"], se, -r["offset"], None, r["residual"], sigma,
               iterations=r["iterations"], converged=r["converged"],
               diagnostics={"solver": r["solver"], "se_method": r["se_method"],
                            "item_confidence": item_conf,
                            "chi2": chi2, "residual_dof": dof,
                            "chi2_per_dof": chi2 / dof if dof > 0 else float("inf"),
                            "declared_confidence": declared})


CONFIDENCE = MethodSpec(
    "confidence", _fit_confidence,
    defaults=dict(LIN_DEFAULTS, bias_prior=0.0),
    checks=dict(LIN_CHECKS, bias_prior=dict(kind=float, low=0.0)),
    needs_connected=True,
    min_scores_per_judge=2,
)
