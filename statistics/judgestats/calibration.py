"""Score calibration: the :class:`Calibration` result and :func:`calibrate`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from ._errors import EngineWarning, WarningLog, issue
from ._method import Fit, wmean_by
from ._validate import (
    ScoreData,
    check_option,
    require_min_scores_per_judge,
    validate_scores,
)
from .connectivity import components, raise_if_disconnected
from .registry import METHODS

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
    warnings : tuple of EngineWarning
        Every warning of the computation (category name and message), in the order raised;
        empty for clean data. Complete whether or not they were also issued.
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
    warnings: tuple[EngineWarning, ...] = ()
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
    if spec.check_data is not None:
        opts = spec.check_data(data, opts)
    return data, opts, ncomp, ic, jc


def fit_prepared(data, method, opts, ncomp, ic, jc, *, log: WarningLog, compute_se=True) -> Fit:
    """Fit on validated data, splitting by component when there are several; warnings go to ``log``."""
    spec = METHODS[method]
    if ncomp == 1 or not spec.needs_connected:
        return spec.fit(data, opts, compute_se, log)
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
        f = spec.fit(sub, opts, compute_se, log)
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
              n_items=None, n_judges=None, within_components=False, warn=True,
              **options) -> Calibration:
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
    warn : bool, default True
        Also issue each warning through Python's :mod:`warnings`. Pass False to read them
        only from the result's ``warnings`` (for example in worker threads, where the
        :mod:`warnings` module's global state cannot be captured safely).
    **options
        Method options (see each method's function); unknown names raise ``ValueError``.

    Returns
    -------
    Calibration
        Item values and standard errors, judge severities (and scales), residuals,
        method, options, iterations, convergence flag, a reproducibility digest, and
        ``warnings``: every warning of the computation as
        :class:`~judgestats.EngineWarning` data (category name and message).

    Raises
    ------
    ValueError
        Invalid input (naming the argument), a judge with too few scores, or too few
        residual degrees of freedom. :class:`DisconnectedDesignError` (a ``ValueError``)
        for a disconnected design.

    Notes
    -----
    Validation is one separate step before any computation. Degenerate but valid data
    give a :class:`DegenerateDataWarning`; a solver that stops early gives a
    :class:`ConvergenceWarning` and sets ``converged=False``. Both are recorded in
    ``warnings`` and, unless ``warn=False``, issued.

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
    log = WarningLog()
    fit = fit_prepared(data, method, opts, ncomp, ic, jc, log=log)
    result = build_calibration(data, method, opts, within_components, ncomp, ic, fit, log)
    if warn:
        issue(result.warnings, stacklevel=2)
    return result


def build_calibration(data, method, opts, within_components, ncomp, ic, fit: Fit, log: WarningLog):
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
        warnings=log.entries(),
        version=VERSION,
        _digest=digest,
    )
