"""Exception and warning classes raised by :mod:`judgestats`, and warnings as data."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

__all__ = [
    "ConvergenceWarning",
    "DegenerateDataWarning",
    "DisconnectedDesignError",
    "EngineWarning",
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


@dataclass(frozen=True)
class EngineWarning:
    """One warning of a computation, as data (complete without the :mod:`warnings` module).

    Attributes
    ----------
    category : str
        Name of the warning class: ``"DegenerateDataWarning"`` or ``"ConvergenceWarning"``.
    message : str
        What happened and what was done about it.
    """

    category: str
    message: str


_CATEGORIES = {cls.__name__: cls for cls in (JudgestatsWarning, DegenerateDataWarning,
                                              ConvergenceWarning)}


class WarningLog:
    """The warnings of one computation, in the order raised (internal).

    The engine writes its warnings here instead of to the :mod:`warnings` module, so that
    each result carries its own and concurrent computations never see each other's.
    """

    def __init__(self) -> None:
        self._entries: list[EngineWarning] = []

    def warn(self, category: type[JudgestatsWarning], message: str) -> None:
        entry = EngineWarning(category.__name__, message)
        if entry not in self._entries:
            self._entries.append(entry)

    def extend(self, entries) -> None:
        for entry in entries:
            if entry not in self._entries:
                self._entries.append(entry)

    def entries(self) -> tuple[EngineWarning, ...]:
        return tuple(self._entries)


def issue(entries, *, stacklevel: int) -> None:
    """Issue ``entries`` through :mod:`warnings` for library users who did not opt out."""
    for entry in entries:
        warnings.warn(entry.message, _CATEGORIES[entry.category], stacklevel=stacklevel + 1)
