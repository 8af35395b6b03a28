"""Shared fixtures of the judgestats tests: simulated designs with known truth and the
real figure-skating data (ISU, via BuzzFeed News; see ../shared/data/figure-skating)."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# A worktree outside the usual layout points at the data with JUDGESTATS_SKATING_DIR.
SKATING_DIR = Path(os.environ.get("JUDGESTATS_SKATING_DIR")
                   or REPO_ROOT / ".." / "shared" / "data" / "figure-skating").resolve()


@dataclass
class Design:
    item: np.ndarray
    judge: np.ndarray
    score: np.ndarray
    value: np.ndarray  # true item values (score scale)
    offset: np.ndarray  # true additive judge offsets (score = value + offset), mean 0
    scale: np.ndarray  # true judge scales (1 = none)
    n_items: int
    n_judges: int


def simulate(n_items=300, n_judges=40, k=5, *, seed=0, offset_sd=1.5, scale_sd=0.0,
             noise_sd=0.5, value_sd=1.0, mean=7.0) -> Design:
    """Each item scored by ``k`` distinct random judges; score = mean + scale_j * value_i
    + offset_j + noise. Judges cover all items (ring assignment plus randomness) so the
    design is connected."""
    rng = np.random.default_rng(seed)
    judges = np.empty((n_items, k), dtype=np.int64)
    for i in range(n_items):
        judges[i] = rng.choice(n_judges, size=k, replace=False)
    item = np.repeat(np.arange(n_items), k)
    judge = judges.ravel()
    value = rng.normal(0.0, value_sd, n_items)
    offset = rng.normal(0.0, offset_sd, n_judges)
    offset -= offset.mean()
    scale = np.exp(rng.normal(0.0, scale_sd, n_judges)) if scale_sd else np.ones(n_judges)
    scale /= scale.mean()
    score = mean + scale[judge] * value[item] + offset[judge] + rng.normal(0, noise_sd, item.size)
    return Design(item, judge, score, mean + value, offset, scale, n_items, n_judges)


@pytest.fixture
def design():
    return simulate()


def _read(name):
    with open(SKATING_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@dataclass
class Skating:
    item: np.ndarray
    judge: np.ndarray
    score: np.ndarray
    item_names: np.ndarray
    judge_names: np.ndarray
    items: dict  # item id -> row of figure_skating_items.csv
    judges: dict  # judge name -> country


def load_skating(kind="pcs") -> Skating:
    rows = _read(f"figure_skating_{kind}.csv")
    item_names, item = np.unique([r["item"] for r in rows], return_inverse=True)
    judge_names, judge = np.unique([r["judge"] for r in rows], return_inverse=True)
    score = np.array([float(r["score"]) for r in rows])
    items = {r["item"]: r for r in _read("figure_skating_items.csv")}
    judges = {r["judge"]: r["country"] for r in _read("figure_skating_judges.csv")}
    return Skating(item.astype(np.int64), judge.astype(np.int64), score, item_names,
                   judge_names, items, judges)


@pytest.fixture(scope="session")
def skating_pcs():
    if not (SKATING_DIR / "figure_skating_pcs.csv").is_file():
        pytest.skip(f"figure-skating data not found at {SKATING_DIR} (expected "
                    "../shared/data/figure-skating relative to the repository root)")
    return load_skating("pcs")
