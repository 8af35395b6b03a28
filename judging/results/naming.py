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


TIE_RULES = {
    "shared": N_("Tied nominations share a place"),
    "item_se": N_("Among tied nominations, the one with the smaller standard error ranks first"),
    "raw_mean": N_("Among tied nominations, the one with the higher raw mean ranks first"),
    "item_order": N_("Among tied nominations, the earlier code ranks first"),
}


def tie_rule_words(rule: str | None, gettext: Callable[[str], str]) -> str:
    """The tie rule in words (``item_se`` → 同分时标准误较小者在前), as pages and reports name it."""
    return gettext(TIE_RULES[rule]) if rule in TIE_RULES else (rule or "")


OPTION_NAMES = {
    "min_scores_to_trim": N_("Scores needed before trimming"),
    "n_trim": N_("Scores dropped at each end"),
    "min_scores_per_judge": N_("Fewest scores per judge"),
    "rescale": N_("Rescaled to the raw score scale"),
    "solver": N_("Solver"),
    "tol": N_("Tolerance"),
    "max_iter": N_("Most iterations"),
    "se": N_("Standard errors"),
    "bias_prior": N_("Prior on judge bias"),
    "scale_shrinkage": N_("Shrinkage of judge scales"),
    "max_judges": N_("Most judges"),
    "levels": N_("Rating levels"),
    "extreme_adjustment": N_("Adjustment of extreme scores"),
    "within_components": N_("Compute each component separately"),
}
OPTION_VALUES = {True: N_("yes"), False: N_("no"), None: N_("from the data"), "auto": N_("automatic")}


def option_rows(options: Mapping[str, Any] | None, gettext: Callable[[str], str]) -> list[tuple[str, str]]:
    """A run's method options as (name, value) in words, for the page that lists them (not raw JSON)."""
    rows = []
    for key, value in (options or {}).items():
        shown = gettext(OPTION_VALUES[value]) if isinstance(value, (bool, type(None), str)) and \
            value in OPTION_VALUES else (", ".join(map(str, value)) if isinstance(value, list) else str(value))
        rows.append((gettext(OPTION_NAMES[key]) if key in OPTION_NAMES else key, shown))
    return rows


# The many-facet Rasch model reads scores as ordinal levels (Linacre 1989); judgestats.rasch accepts at most
# 101 of them. A run scores the weighted total, so it fits only a rubric whose totals take few values.
RASCH_MAX_LEVELS = 101


def possible_totals(criteria) -> int | None:
    """How many totals a rubric can give at most (the product of its criteria's levels), None when unbounded
    (a criterion scored without a step)."""
    count = 1
    for criterion in criteria:
        if criterion.grades:
            levels = len(criterion.grades)
        elif criterion.scale_step and criterion.scale_step > 0:
            levels = int((criterion.scale_max - criterion.scale_min) / criterion.scale_step) + 1
        else:
            return None
        count *= max(levels, 1)
        if count > 10**9:
            return None
    return count


def method_fits(method: str, criteria) -> bool:
    """Whether ``method`` can be used for a rubric with these criteria (only Rasch has a condition)."""
    if method != "rasch":
        return True
    totals = possible_totals(criteria)
    return totals is not None and 2 <= totals <= RASCH_MAX_LEVELS
