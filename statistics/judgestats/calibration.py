"""Score calibration: the :class:`Calibration` result and :func:`calibrate`."""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

import numpy as np

from ._errors import DegenerateDataWarning
from ._validate import (
    ScoreData,
    check_option,
    require_min_scores_per_judge,
    validate_scores,
)
from .connectivity import components, raise_if_disconnected

__all__ = ["Calibration", "calibrate", "METHODS"]

VERSION = "1.0.0"


def _ro(a):
    if a is None:
        return None
    a = np.array(a, dtype=np.float64 if np.asarray(a).dtype.kind == "f" else None, copy=True)
    a.setflags(write=False)
    return a


def _freeze(value):
    if isinstance(value, np.ndarray):
        return _ro(value)
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


@dataclass(frozen=True, eq=False)
class Calibration:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    method : str
        Calibration method name.
    item_value : numpy.ndarray, shape (n_items,)
        Calibrated value of every item (higher is better). On the score scale for all
        methods except ``"rasch"`` (logits).
    item_se : numpy.ndarray, shape (n_items,)
        Standard error of each item value (see the method's Notes for how it is made).
    judge_severity : numpy.ndarray, shape (n_judges,)
        Severity of every judge, centred to mean 0: **positive = harsher** (the judge
        scores the same item lower). For the two-way model ``score = value + offset``
        this is ``-offset`` (see :attr:`judge_offset`).
    judge_scale : numpy.ndarray or None
        Per-judge scale (spread) factor where the model has one (``"zscore"``: the
        judge's SD; ``"affine"``: the slope ``b_j``), normalised to mean 1; ``None``
        otherwise.
    residuals : numpy.ndarray, shape (n_scores,)
        Observed minus fitted score, in input order (category units for ``"rasch"``).
    options : Mapping
        Every option that produced the result, defaults filled in.
    iterations : int
        Iterations of the solver (0 or 1 for closed forms).
    converged : bool
        Whether the solver met its tolerance.
    n_items, n_judges, n_scores : int
        Size of the data.
    item_n_scores : numpy.ndarray of int
        Number of scores of each item.
    item_raw_mean : numpy.ndarray
        Plain (weighted) mean score of each item, for comparison and tie-breaking.
    sigma : float
        Residual standard deviation used for the standard errors (1.0 when the
        ``"confidence"`` method takes declared confidences as precisions).
    n_components : int
        Connected components of the design the result was computed on.
    item_component : numpy.ndarray of int
        Component of each item; values are comparable only within one component.
    diagnostics : Mapping
        Method-specific extras (variance components, thresholds, fit statistics, ...).
    version : str
        ``judgestats.__version__`` that produced the result.
    """

    method: str
    item_value: np.ndarray
    item_se: np.ndarray
    judge_severity: np.ndarray
    judge_scale: np.ndarray | None
    residuals: np.ndarray
    options: Mapping[str, Any]
    iterations: int
    converged: bool
    n_items: int
    n_judges: int
    n_scores: int
    item_n_scores: np.ndarray
    item_raw_mean: np.ndarray
    sigma: float
    n_components: int
    item_component: np.ndarray
    diagnostics: Mapping[str, Any]
    version: str = VERSION
    _digest: str = field(default="", repr=False)

    @property
    def judge_offset(self) -> np.ndarray:
        """Additive judge offset of ``score = value + offset`` (``-judge_severity``)."""
        return -self.judge_severity

    def digest(self) -> str:
        """SHA-256 hex digest of the inputs, method, options, version and outputs.

        Two runs on the same data and options give the same digest on the same
        platform (bit-for-bit floating point); store it with the result run.
        """
        return self._digest


# --------------------------------------------------------------------------- digest


def _hash_array(h, name, a):
    if a is None:
        h.update(f"{name}:None;".encode())
        return
    a = np.ascontiguousarray(a)
    dt = a.dtype.newbyteorder("<") if a.dtype.byteorder not in "|" else a.dtype
    a = a.astype(dt, copy=False)
    h.update(f"{name}:{a.dtype.str}:{a.shape};".encode())
    h.update(a.tobytes())


def _canonical(obj):
    if isinstance(obj, Mapping):
        return {str(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return _canonical(obj.tolist())
    return obj


def compute_digest(data: ScoreData, method, options, outputs: Mapping[str, Any]) -> str:
    h = hashlib.sha256()
    head = {"engine": "judgestats", "version": VERSION, "method": method,
            "options": _canonical(options), "n_items": data.n_items,
            "n_judges": data.n_judges}
    h.update(json.dumps(head, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    for name in ("item", "judge", "score", "weight", "confidence"):
        _hash_array(h, name, getattr(data, name))
    for name in sorted(outputs):
        _hash_array(h, name, outputs[name])
    return h.hexdigest()


# --------------------------------------------------------------------------- fits


@dataclass
class Fit:
    """What a method returns (internal)."""

    item_value: np.ndarray
    item_se: np.ndarray | None
    judge_severity: np.ndarray
    judge_scale: np.ndarray | None
    residuals: np.ndarray
    sigma: float
    iterations: int = 1
    converged: bool = True
    diagnostics: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MethodSpec:
    fit: Callable[[ScoreData, dict, bool], Fit]
    defaults: dict
    checks: dict  # option -> kwargs for check_option
    needs_connected: bool
    min_scores_per_judge: int | None


METHODS: dict[str, MethodSpec] = {}


def register(name, *, defaults, checks, needs_connected, min_scores_per_judge):
    def deco(fn):
        METHODS[name] = MethodSpec(fn, defaults, checks, needs_connected, min_scores_per_judge)
        return fn

    return deco


def wmean_by(codes, values, w, n):
    return np.bincount(codes, w * values, minlength=n) / np.bincount(codes, w, minlength=n)


def _pooled_sigma(resid, w, dof, what):
    if dof <= 0:
        warnings.warn(
            f"{what}: no residual degrees of freedom (every item has a single score), so "
            "item standard errors cannot be estimated and are set to inf",
            DegenerateDataWarning,
            stacklevel=4,
        )
        return float("inf")
    return float(np.sqrt(np.sum(w * resid**2) / dof))


def _descriptive_severity(data, fitted):
    """Mean of (fitted - score) per judge, centred: positive = scores below the item value."""
    sev = wmean_by(data.judge, fitted - data.score, data.weight, data.n_judges)
    return sev - sev.mean()


@register("mean", defaults={}, checks={}, needs_connected=False, min_scores_per_judge=None)
def _fit_mean(data: ScoreData, opts, compute_se) -> Fit:
    v = wmean_by(data.item, data.score, data.weight, data.n_items)
    fitted = v[data.item]
    resid = data.score - fitted
    wt = data.weight / data.weight.mean()
    sigma = _pooled_sigma(resid, wt, data.n_scores - data.n_items, "mean")
    se = sigma / np.sqrt(np.bincount(data.item, wt, minlength=data.n_items))
    return Fit(v, se, _descriptive_severity(data, fitted), None, resid, sigma, diagnostics={})


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


# "trimmed_mean" is the rule of Chinese expert panels: trim only a panel of 5 or more.
@register("trimmed_mean", defaults={"min_scores_to_trim": 5, "n_trim": 1}, checks=_TRIM_CHECKS,
          needs_connected=False, min_scores_per_judge=None)
@register("trimmed", defaults={"min_scores_to_trim": 3, "n_trim": 1}, checks=_TRIM_CHECKS,
          needs_connected=False, min_scores_per_judge=None)
def _fit_trimmed(data: ScoreData, opts, compute_se) -> Fit:
    k, t = opts["min_scores_to_trim"], opts["n_trim"]
    keep = trimmed_mask(data.item, data.score, data.n_items, k, t)
    w = np.where(keep, data.weight, 0.0)
    v = np.bincount(data.item, w * data.score, minlength=data.n_items) / np.bincount(
        data.item, w, minlength=data.n_items
    )
    fitted = v[data.item]
    resid = data.score - fitted
    wt = w / w[keep].mean()
    sigma = _pooled_sigma(resid[keep], wt[keep], int(keep.sum()) - data.n_items, "trimmed")
    se = sigma / np.sqrt(np.bincount(data.item, wt, minlength=data.n_items))
    counts = np.bincount(data.item, minlength=data.n_items)
    return Fit(
        v, se, _descriptive_severity(data, fitted), None, resid, sigma,
        diagnostics={"score_used": keep, "item_trimmed": counts >= k},
    )


@register(
    "zscore",
    defaults={"min_scores_per_judge": 3, "rescale": True},
    checks={"min_scores_per_judge": dict(kind=int, low=2), "rescale": dict(kind=bool)},
    needs_connected=False,
    min_scores_per_judge=3,
)
def _fit_zscore(data: ScoreData, opts, compute_se) -> Fit:
    y, w, jj, ii = data.score, data.weight, data.judge, data.item
    nj, ni = data.n_judges, data.n_items
    m = wmean_by(jj, y, w, nj)
    cnt = np.bincount(jj, minlength=nj)
    var = wmean_by(jj, (y - m[jj]) ** 2, w, nj) * cnt / (cnt - 1)
    sd = np.sqrt(var)
    flat = sd <= 1e-12 * (1.0 + np.abs(m))
    if flat.any():
        codes = ", ".join(str(int(c)) for c in np.flatnonzero(flat)[:10])
        warnings.warn(
            f"zscore: judges {codes} gave the same score to every item they scored; "
            "their standardized scores are set to 0 (they do not separate items)",
            DegenerateDataWarning,
            stacklevel=3,
        )
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
    sz = _pooled_sigma(zres, wt, data.n_scores - ni, "zscore")
    sev = m.mean() - m
    scale = np.where(flat, 0.0, sd) / mean_sd
    se = unit * sz / np.sqrt(np.bincount(ii, wt, minlength=ni))
    return Fit(v, se, sev, scale, resid, unit * sz,
               diagnostics={"judge_mean": m, "judge_sd": sd, "item_mean_z": zbar})


_LIN_DEFAULTS = {"min_scores_per_judge": 2, "solver": "auto", "tol": 1e-12,
                 "max_iter": 10000, "se": "auto"}
_LIN_CHECKS = {
    "min_scores_per_judge": dict(kind=int, low=1),
    "solver": dict(kind=str, choices={"auto", "dense", "cg"}),
    "tol": dict(kind=float, low=1e-16, high=1e-2),
    "max_iter": dict(kind=int, low=1),
    "se": dict(kind=str, choices={"auto", "exact", "approximate", "none"}),
}


def _linear_fit(data, w, opts, compute_se, ridge=0.0):
    from ._errors import ConvergenceWarning
    from ._linear import two_way

    r = two_way(
        data.item, data.judge, data.score, w, data.n_items, data.n_judges,
        solver=opts["solver"], tol=opts["tol"], maxiter=opts["max_iter"],
        se=opts["se"] if compute_se else "none", ridge=ridge,
    )
    if not r["converged"]:
        warnings.warn(
            f"conjugate gradients stopped after {r['iterations']} iterations before reaching "
            f"tol={opts['tol']}; result returned with converged=False (raise `max_iter`, or "
            "use solver='dense')", ConvergenceWarning, stacklevel=4)
    return r


@register("additive", defaults=dict(_LIN_DEFAULTS), checks=dict(_LIN_CHECKS),
          needs_connected=True, min_scores_per_judge=2)
def _fit_additive(data: ScoreData, opts, compute_se) -> Fit:
    w = data.weight
    r = _linear_fit(data, w, opts, compute_se)
    dof = data.n_scores - data.n_items - data.n_judges + 1
    sigma = _pooled_sigma(r["residual"], w / w.mean(), dof, "additive")
    se = None
    if r["var_factor"] is not None:
        se = sigma * np.sqrt(r["var_factor"] * w.mean())
    return Fit(r["value"], se, -r["offset"], None, r["residual"], sigma,
               iterations=r["iterations"], converged=r["converged"],
               diagnostics={"solver": r["solver"], "se_method": r["se_method"],
                            "residual_dof": dof})


@register(
    "confidence",
    defaults=dict(_LIN_DEFAULTS, bias_prior=0.0),
    checks=dict(_LIN_CHECKS, bias_prior=dict(kind=float, low=0.0)),
    needs_connected=True,
    min_scores_per_judge=2,
)
def _fit_confidence(data: ScoreData, opts, compute_se) -> Fit:
    declared = data.confidence is not None
    c = data.confidence if declared else np.ones(data.n_scores)
    w = c * data.weight
    r = _linear_fit(data, w, opts, compute_se, ridge=opts["bias_prior"])
    dof = data.n_scores - data.n_items - data.n_judges + (0 if opts["bias_prior"] > 0 else 1)
    chi2 = float(np.sum(w * r["residual"] ** 2))
    if declared:
        sigma = 1.0
    else:
        sigma = _pooled_sigma(r["residual"], w, dof, "confidence")
    se = None if r["var_factor"] is None else sigma * np.sqrt(r["var_factor"])
    item_conf = np.bincount(data.item, w, minlength=data.n_items)
    return Fit(r["value"], se, -r["offset"], None, r["residual"], sigma,
               iterations=r["iterations"], converged=r["converged"],
               diagnostics={"solver": r["solver"], "se_method": r["se_method"],
                            "item_confidence": item_conf,
                            "chi2": chi2, "residual_dof": dof,
                            "chi2_per_dof": chi2 / dof if dof > 0 else float("inf"),
                            "declared_confidence": declared})


# --------------------------------------------------------------------------- driver


def _normalise_options(method, options):
    spec = METHODS[method]
    unknown = sorted(set(options) - set(spec.defaults))
    if unknown:
        allowed = ", ".join(sorted(spec.defaults)) or "none"
        raise ValueError(
            f"unknown option(s) {', '.join(map(repr, unknown))} for method {method!r}; "
            f"allowed: {allowed}"
        )
    opts = dict(spec.defaults)
    opts.update(options)
    for name, kw in spec.checks.items():
        opts[name] = check_option(name, opts[name], **kw)
    return opts


def _subset(data: ScoreData, mask_scores, items, judges):
    imap = np.full(data.n_items, -1, dtype=np.int64)
    imap[items] = np.arange(items.size)
    jmap = np.full(data.n_judges, -1, dtype=np.int64)
    jmap[judges] = np.arange(judges.size)
    return ScoreData(
        imap[data.item[mask_scores]], jmap[data.judge[mask_scores]],
        data.score[mask_scores], data.weight[mask_scores],
        None if data.confidence is None else data.confidence[mask_scores],
        int(items.size), int(judges.size),
    )


def prepare(item, judge, score, method, *, weight=None, confidence=None, n_items=None,
            n_judges=None, within_components=False, options=None):
    """Validation step (internal): returns (data, opts, ncomp, item_comp, judge_comp)."""
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"`method` must be one of {sorted(METHODS)}, got {method!r}")
    check_option("within_components", within_components, kind=bool)
    if confidence is not None and method != "confidence":
        raise ValueError(f"`confidence` is used only by method 'confidence', not {method!r}; "
                         "pass relative weights as `weight` instead")
    data = validate_scores(item, judge, score, weight=weight, confidence=confidence,
                           n_items=n_items, n_judges=n_judges)
    opts = _normalise_options(method, dict(options or {}))
    spec = METHODS[method]
    if spec.min_scores_per_judge is not None:
        require_min_scores_per_judge(data, opts["min_scores_per_judge"], method)
    if spec.needs_connected and not within_components:
        ncomp, ic, jc = raise_if_disconnected(data, method)
    else:
        ncomp, ic, jc = components(data)
    if method in ("trimmed", "trimmed_mean"):
        k, t = opts["min_scores_to_trim"], opts["n_trim"]
        if k < 2 * t + 1:
            raise ValueError(
                f"`min_scores_to_trim` must be at least 2*n_trim+1={2 * t + 1} so that a "
                f"score is left after trimming, got {k}")
    if method == "rasch":
        from .rasch import check_levels

        opts["levels"] = check_levels(data.score, opts["levels"])
    return data, opts, ncomp, ic, jc


def fit_prepared(data, method, opts, ncomp, ic, jc, *, compute_se=True) -> Fit:
    """Fit on validated data, splitting by component when there are several."""
    spec = METHODS[method]
    if ncomp == 1 or not spec.needs_connected:
        return spec.fit(data, opts, compute_se)
    iv = np.empty(data.n_items)
    ise = np.empty(data.n_items)
    sev = np.empty(data.n_judges)
    scale = None
    resid = np.empty(data.n_scores)
    its, conv, diags, sig = 0, True, [], []
    comp_of_score = ic[data.item]
    for c in range(ncomp):
        m = comp_of_score == c
        items, judges = np.flatnonzero(ic == c), np.flatnonzero(jc == c)
        sub = _subset(data, m, items, judges)
        f = spec.fit(sub, opts, compute_se)
        iv[items] = f.item_value
        if f.item_se is not None:
            ise[items] = f.item_se
        sev[judges] = f.judge_severity
        if f.judge_scale is not None:
            if scale is None:
                scale = np.empty(data.n_judges)
            scale[judges] = f.judge_scale
        resid[m] = f.residuals
        its = max(its, f.iterations)
        conv = conv and f.converged
        diags.append(f.diagnostics)
        sig.append(f.sigma)
    return Fit(iv, ise if compute_se else None, sev, scale, resid,
               float(np.sqrt(np.mean(np.square(sig)))), its, conv,
               {"components": diags, "component_sigma": np.array(sig)})


def calibrate(item, judge, score, method="additive", *, weight=None, confidence=None,
              n_items=None, n_judges=None, within_components=False, **options) -> Calibration:
    """Calibrate judges' scores and estimate a value for every item.

    Parameters
    ----------
    item, judge : array_like of int, shape (n_scores,)
        Item code (0..n_items-1) and judge code (0..n_judges-1) of every score. Every
        code must have at least one score.
    score : array_like of float, shape (n_scores,)
        The scores; must be finite (leave missing scores out, never encode them as NaN).
    method : {"mean", "trimmed", "trimmed_mean", "zscore", "additive", "confidence", "affine", "mixed", "rasch"}
        Calibration method; each is documented in its own function
        (:func:`judgestats.calibrate_additive` and so on) with model and references.
    weight : array_like of float, optional
        Positive weight of each score (relative precision). Default: all 1.
    confidence : array_like of float, optional
        Positive declared confidence (precision ``1/sigma^2``) of each score, used by
        the ``"confidence"`` method.
    n_items, n_judges : int, optional
        Number of items / judges (default: largest code + 1).
    within_components : bool, default False
        For methods that need a connected design, calibrate every connected component
        separately instead of raising :class:`DisconnectedDesignError`. Values are then
        comparable only within a component (see ``item_component``).
    **options
        Method options (see each method's function); unknown names raise ``ValueError``.

    Returns
    -------
    Calibration
        Item values and standard errors, judge severities (and scales), residuals,
        method, options, iterations, convergence flag and a reproducibility digest.

    Raises
    ------
    ValueError
        Invalid input (naming the argument), a judge with too few scores, or too few
        residual degrees of freedom. :class:`DisconnectedDesignError` (a ``ValueError``)
        for a disconnected design.

    Notes
    -----
    Validation is one separate step before any computation. Degenerate but valid data
    emit :class:`DegenerateDataWarning`; a solver that stops early emits
    :class:`ConvergenceWarning` and sets ``converged=False``.

    Examples
    --------
    >>> import judgestats
    >>> cal = judgestats.calibrate([0, 0, 1, 1, 2, 2], [0, 1, 1, 2, 2, 0],
    ...                            [8.0, 7.0, 6.0, 5.5, 9.0, 9.5], method="additive")
    >>> cal.item_value.round(3).tolist(), cal.judge_severity.round(3).tolist()
    ([7.333, 6.0, 9.167], [-0.5, 0.167, 0.333])
    """
    data, opts, ncomp, ic, jc = prepare(
        item, judge, score, method, weight=weight, confidence=confidence, n_items=n_items,
        n_judges=n_judges, within_components=within_components, options=options)
    fit = fit_prepared(data, method, opts, ncomp, ic, jc)
    return build_calibration(data, method, opts, within_components, ncomp, ic, fit)


def build_calibration(data, method, opts, within_components, ncomp, ic, fit: Fit):
    bad = [name for name, a in (("item_value", fit.item_value),
                                ("judge_severity", fit.judge_severity),
                                ("residuals", fit.residuals))
           if not np.all(np.isfinite(a))]
    if bad:  # pragma: no cover - guarded by validation; never return NaN silently
        raise ValueError(f"method {method!r} produced non-finite {', '.join(bad)}; "
                         "the system is singular for these data")
    all_opts = dict(opts, within_components=bool(within_components))
    counts = np.bincount(data.item, minlength=data.n_items)
    raw = wmean_by(data.item, data.score, data.weight, data.n_items)
    outputs = {"item_value": fit.item_value, "item_se": fit.item_se,
               "judge_severity": fit.judge_severity, "judge_scale": fit.judge_scale,
               "residuals": fit.residuals}
    digest = compute_digest(data, method, all_opts, outputs)
    return Calibration(
        method=method,
        item_value=_ro(fit.item_value),
        item_se=_ro(fit.item_se),
        judge_severity=_ro(fit.judge_severity),
        judge_scale=_ro(fit.judge_scale),
        residuals=_ro(fit.residuals),
        options=MappingProxyType(_canonical(all_opts)),
        iterations=int(fit.iterations),
        converged=bool(fit.converged),
        n_items=data.n_items,
        n_judges=data.n_judges,
        n_scores=data.n_scores,
        item_n_scores=_ro(counts),
        item_raw_mean=_ro(raw),
        sigma=float(fit.sigma),
        n_components=int(ncomp),
        item_component=_ro(ic),
        diagnostics=_freeze(dict(fit.diagnostics)),
        version=VERSION,
        _digest=digest,
    )
