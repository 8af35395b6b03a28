"""What a calibration method is (its :class:`Fit` and :class:`MethodSpec`) and the helpers methods share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._errors import ConvergenceWarning, DegenerateDataWarning, WarningLog
from ._linear import two_way
from ._validate import ScoreData


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
    """A calibration method: its fit, option defaults and checks, and what it needs of the data.

    ``fit(data, opts, compute_se, log)`` writes its warnings to ``log``. ``check_data(data, opts)``,
    when given, validates the method's options against the data and returns the options to use.
    """

    name: str
    fit: Callable[[ScoreData, dict, bool, WarningLog], Fit]
    defaults: dict
    checks: dict  # option -> kwargs for check_option
    needs_connected: bool
    min_scores_per_judge: int | None
    check_data: Callable[[ScoreData, dict], dict] | None = None


def wmean_by(codes, values, w, n):
    return np.bincount(codes, w * values, minlength=n) / np.bincount(codes, w, minlength=n)


def pooled_sigma(resid, w, dof, what, log: WarningLog):
    if dof <= 0:
        log.warn(DegenerateDataWarning,
                 f"{what}: no residual degrees of freedom (every item has a single score), so "
                 "item standard errors cannot be estimated and are set to inf")
        return float("inf")
    return float(np.sqrt(np.sum(w * resid**2) / dof))


LIN_DEFAULTS = {"min_scores_per_judge": 2, "solver": "auto", "tol": 1e-12,
                "max_iter": 10000, "se": "auto"}
LIN_CHECKS = {
    "min_scores_per_judge": dict(kind=int, low=1),
    "solver": dict(kind=str, choices={"auto", "dense", "cg"}),
    "tol": dict(kind=float, low=1e-16, high=1e-2),
    "max_iter": dict(kind=int, low=1),
    "se": dict(kind=str, choices={"auto", "exact", "approximate", "none"}),
}


def linear_fit(data, w, opts, compute_se, log: WarningLog, ridge=0.0):
    r = two_way(
        data.item, data.judge, data.score, w, data.n_items, data.n_judges,
        solver=opts["solver"], tol=opts["tol"], maxiter=opts["max_iter"],
        se=opts["se"] if compute_se else "none", ridge=ridge,
    )
    if not r["converged"]:
        log.warn(ConvergenceWarning,
                 f"conjugate gradients stopped after {r['iterations']} iterations before reaching "
                 f"tol={opts['tol']}; result returned with converged=False (raise `max_iter`, or "
                 "use solver='dense')")
    return r
