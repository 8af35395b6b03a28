"""judgestats: the numerical engine of the judging system.

Arrays in, frozen result objects out; numpy and scipy only. Public API:

- :func:`calibrate` (and one function per method, ``calibrate_<method>``) -> :class:`Calibration`
- :func:`connectivity` -> :class:`Connectivity`
- :func:`favoritism` -> :class:`Favoritism` (bonus of judges to items of their own group)
- :func:`rank` -> :class:`Ranking`; :func:`bootstrap` -> :class:`RankUncertainty`
- :mod:`judgestats.reliability`: ``icc``, ``krippendorff_alpha``, ``kendall_w``,
  ``judge_consistency``

Every result that can carry warnings has a ``warnings`` field: a tuple of
:class:`EngineWarning` (category name and message). Functions also issue them through
:mod:`warnings` unless called with ``warn=False``.

See ``docs/statistics.md`` for the methods and how to read their diagnostics.
"""

from ._errors import (
    ConvergenceWarning,
    DegenerateDataWarning,
    DisconnectedDesignError,
    EngineWarning,
    JudgestatsWarning,
)
from .calibration import VERSION as __version__
from .calibration import Calibration, calibrate
from .connectivity import Connectivity, connectivity
from .favoritism import Favoritism, JudgeFavoritism, favoritism
from .methods import (
    calibrate_additive,
    calibrate_affine,
    calibrate_confidence,
    calibrate_mean,
    calibrate_mixed,
    calibrate_rasch,
    calibrate_trimmed,
    calibrate_trimmed_mean,
    calibrate_zscore,
)
from .ranking import RankUncertainty, Ranking, bootstrap, rank
from . import reliability

__all__ = [
    "__version__",
    "Calibration",
    "Connectivity",
    "ConvergenceWarning",
    "DegenerateDataWarning",
    "DisconnectedDesignError",
    "EngineWarning",
    "Favoritism",
    "JudgeFavoritism",
    "JudgestatsWarning",
    "RankUncertainty",
    "Ranking",
    "bootstrap",
    "calibrate",
    "calibrate_additive",
    "calibrate_affine",
    "calibrate_confidence",
    "calibrate_mean",
    "calibrate_mixed",
    "calibrate_rasch",
    "calibrate_trimmed",
    "calibrate_trimmed_mean",
    "calibrate_zscore",
    "connectivity",
    "favoritism",
    "rank",
    "reliability",
]
