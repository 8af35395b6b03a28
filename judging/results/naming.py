"""The aggregation rule of a result run in words, as every result page, export and report names it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from judgestats.calibration import METHODS as ENGINE_METHODS
from judging.errors import N_

TRIMMED_ONE = N_("Trimmed mean (with ≥{n} scores, the highest and the lowest score are dropped)")
TRIMMED_MANY = N_("Trimmed mean (with ≥{n} scores, the {k} highest and the {k} lowest scores are dropped)")
RULES = {
    "mean": N_("Mean score"),
    "zscore": N_("Standard scores (each judge's scores standardized, then averaged)"),
    "additive": N_("Calibrated: additive model of judge severity"),
    "confidence": N_("Calibrated with confidence (scores weighted by the judge's familiarity)"),
    "affine": N_("Calibrated: each judge's offset and scale (affine model)"),
    "mixed": N_("Calibrated: linear mixed model (judges as a random effect)"),
    "rasch": N_("Calibrated: many-facet Rasch model"),
}


def rule_words(method: str, options: Mapping[str, Any] | None, gettext: Callable[[str], str]) -> str:
    """The rule of ``method`` with the engine's ``options`` (its defaults where none are given)."""
    settings = {**ENGINE_METHODS[method].defaults, **(options or {})} if method in ENGINE_METHODS else {}
    if "min_scores_to_trim" in settings:
        k = settings["n_trim"]
        return gettext(TRIMMED_ONE if k == 1 else TRIMMED_MANY).format(n=settings["min_scores_to_trim"], k=k)
    return gettext(RULES[method]) if method in RULES else method
