"""Input validation for long-form score data, done in one step before any computation."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ScoreData", "validate_scores", "require_min_scores_per_judge"]


@dataclass(frozen=True)
class ScoreData:
    """Validated long-form scores (internal). All arrays are read-only copies."""

    item: np.ndarray  # int64 codes 0..n_items-1
    judge: np.ndarray  # int64 codes 0..n_judges-1
    score: np.ndarray  # float64, finite
    weight: np.ndarray  # float64, finite, > 0 (ones when not given)
    confidence: np.ndarray | None  # float64, finite, > 0, or None
    n_items: int
    n_judges: int

    @property
    def n_scores(self) -> int:
        return int(self.score.size)


def _codes(name: str, values, n_name: str, n: int | None) -> tuple[np.ndarray, int]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be one-dimensional, got shape {arr.shape}")
    if arr.dtype == bool:
        raise ValueError(f"`{name}` must hold integer codes, got booleans")
    if arr.dtype.kind in "iu":
        out = arr.astype(np.int64, copy=True)
    elif arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            bad = int(np.count_nonzero(~np.isfinite(arr)))
            raise ValueError(f"`{name}` has {bad} non-finite codes; codes must be integers")
        if np.any(arr != np.round(arr)):
            bad = int(np.count_nonzero(arr != np.round(arr)))
            raise ValueError(f"`{name}` has {bad} non-integer codes; codes must be integers")
        out = arr.astype(np.int64)
    else:
        raise ValueError(f"`{name}` must hold integer codes, got dtype {arr.dtype}")
    if n is None:
        if out.size and out.min() < 0:
            bad = int(np.count_nonzero(out < 0))
            raise ValueError(f"`{name}` has {bad} negative codes; codes must be 0..{n_name}-1")
        n = int(out.max()) + 1 if out.size else 0
    else:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"`{n_name}` must be a positive integer, got {n!r}")
        n = int(n)
        bad = int(np.count_nonzero((out < 0) | (out >= n)))
        if bad:
            raise ValueError(f"`{name}` has {bad} codes outside 0..{n_name}-1 ({n_name}={n})")
    out.setflags(write=False)
    return out, n


def _positive(name: str, values, size: int) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be one-dimensional, got shape {arr.shape}")
    if arr.size != size:
        raise ValueError(f"`{name}` has length {arr.size} but `score` has length {size}")
    nonfinite = int(np.count_nonzero(~np.isfinite(arr)))
    if nonfinite:
        raise ValueError(f"`{name}` has {nonfinite} NaN or infinite values")
    nonpos = int(np.count_nonzero(arr <= 0))
    if nonpos:
        raise ValueError(f"`{name}` has {nonpos} values <= 0; it must be strictly positive")
    arr = arr.copy()
    arr.setflags(write=False)
    return arr


def _listing(codes: np.ndarray, limit: int = 10) -> str:
    shown = ", ".join(str(int(c)) for c in codes[:limit])
    return shown + (f", ... ({codes.size} in all)" if codes.size > limit else "")


def validate_scores(
    item, judge, score, *, weight=None, confidence=None, n_items=None, n_judges=None
) -> ScoreData:
    """Check long-form scores and return them as a :class:`ScoreData`.

    Raises
    ------
    ValueError
        With a message that names the offending argument and the problem.
    """
    s = np.asarray(score)
    if s.ndim != 1:
        raise ValueError(f"`score` must be one-dimensional, got shape {s.shape}")
    if s.dtype.kind not in "iuf":
        raise ValueError(f"`score` must be numeric, got dtype {s.dtype}")
    s = s.astype(np.float64, copy=True)
    if s.size == 0:
        raise ValueError("`score` is empty; at least one score is needed")
    n_nan = int(np.count_nonzero(np.isnan(s)))
    n_inf = int(np.count_nonzero(np.isinf(s)))
    if n_nan or n_inf:
        first = int(np.flatnonzero(~np.isfinite(s))[0])
        raise ValueError(
            f"`score` has {n_nan} NaN and {n_inf} infinite values (first at position {first}); "
            "remove missing scores instead of encoding them as NaN"
        )
    s.setflags(write=False)
    for name, values in (("item", item), ("judge", judge)):
        length = np.shape(values)[0] if np.ndim(values) >= 1 else None
        if length != s.size:
            raise ValueError(f"`{name}` has length {length} but `score` has length {s.size}")
    it, n_items = _codes("item", item, "n_items", n_items)
    jd, n_judges = _codes("judge", judge, "n_judges", n_judges)
    for name, codes, n in (("item", it, n_items), ("judge", jd, n_judges)):
        counts = np.bincount(codes, minlength=n)
        empty = np.flatnonzero(counts == 0)
        if empty.size:
            raise ValueError(
                f"`{name}` codes {_listing(empty)} have no scores (n_{name}s={n}); "
                f"recode {name}s to 0..n-1 over scored {name}s only"
            )
    w = (
        np.ones(s.size) if weight is None else _positive("weight", weight, s.size)
    )
    if weight is None:
        w.setflags(write=False)
    c = None if confidence is None else _positive("confidence", confidence, s.size)
    return ScoreData(it, jd, s, w, c, n_items, n_judges)


def require_min_scores_per_judge(data: ScoreData, minimum: int, method: str) -> None:
    """Raise ``ValueError`` naming the judges with fewer than ``minimum`` scores."""
    if isinstance(minimum, bool) or not isinstance(minimum, (int, np.integer)) or minimum < 1:
        raise ValueError(f"`min_scores_per_judge` must be a positive integer, got {minimum!r}")
    counts = np.bincount(data.judge, minlength=data.n_judges)
    few = np.flatnonzero(counts < minimum)
    if few.size:
        raise ValueError(
            f"`judge` codes {_listing(few)} have fewer than {minimum} scores, the minimum "
            f"for method {method!r} (min_scores_per_judge={minimum}); their "
            "effects cannot be estimated. Drop those judges' scores, or lower "
            "`min_scores_per_judge` if you accept the risk"
        )


def check_option(name, value, *, kind, low=None, high=None, choices=None):
    """Validate a keyword option; return it normalised."""
    if choices is not None:
        if value not in choices:
            raise ValueError(f"`{name}` must be one of {sorted(choices)}, got {value!r}")
        return value
    if kind is bool:
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"`{name}` must be True or False, got {value!r}")
        return bool(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"`{name}` must be an integer, got {value!r}")
        value = int(value)
    else:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"`{name}` must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"`{name}` must be finite, got {value!r}")
    if low is not None and value < low:
        raise ValueError(f"`{name}` must be >= {low}, got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"`{name}` must be <= {high}, got {value!r}")
    return value
