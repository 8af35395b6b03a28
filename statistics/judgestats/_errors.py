"""Exception and warning classes raised by :mod:`judgestats`."""

from __future__ import annotations

__all__ = [
    "ConvergenceWarning",
    "DegenerateDataWarning",
    "DisconnectedDesignError",
    "JudgestatsWarning",
]


class JudgestatsWarning(UserWarning):
    """Base class of every warning that :mod:`judgestats` emits."""


class DegenerateDataWarning(JudgestatsWarning):
    """Data are valid but degenerate for the method (for example a judge whose scores
    are all equal, an item with a single score, or an extreme Rasch score); the
    warning text says what was done about it."""


class ConvergenceWarning(JudgestatsWarning):
    """An iterative solver stopped at its iteration limit before meeting its
    tolerance. The result is returned with ``converged=False``."""


class DisconnectedDesignError(ValueError):
    """The bipartite judge-item graph has more than one connected component, so judge
    effects (and item values across components) are not identified.

    Attributes
    ----------
    n_components : int
        Number of connected components.
    item_component, judge_component : numpy.ndarray
        Component label of every item and every judge.
    """

    def __init__(self, message, *, n_components, item_component, judge_component):
        super().__init__(message)
        self.n_components = n_components
        self.item_component = item_component
        self.judge_component = judge_component
