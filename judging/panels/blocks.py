"""Panel (block) mode for final rounds: panels of experts each score one whole block of finalists.

Every nomination is seen by exactly one panel; panel p and panel p+1 share ``overlap`` experts
(the "bridge" seats), so the union of the panels' nomination-expert graphs is connected and
panel severities can be calibrated against each other; no panel member is conflicted with any
nomination of the block it scores.

Choosing blocks and panels jointly is a quadratic assignment problem, so we alternate two
exact sub-problems, each a transportation problem solved by min-cost flow (OR-Tools), which
never decreases the total affinity (block-coordinate ascent, as in k-means):

1. panels given blocks: seats are rows - each panel's own seats, and each bridge's seats worth
   the expert's affinity to *both* neighbouring blocks - experts are columns used at most once;
2. blocks given panels: nominations go to panels, floor(n/P) to ceil(n/P) per panel, valued by
   their summed affinity to the panel's members, never to a panel holding a conflicted member.

The first start orders nominations along the leading non-trivial singular vector of the
affinity matrix and cuts the order into consecutive blocks, so neighbouring panels get similar
blocks and their bridge experts are useful to both; further starts are random (``seed``). The
best local optimum over the starts is returned.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from judging.panels.assignment import InfeasibleAssignment, Progress, _first_few

__all__ = ["BlockPlan", "solve_blocks"]

_SCALE = 10_000_000


@dataclasses.dataclass(frozen=True, eq=False)
class BlockPlan:
    """Panels, the block each nomination goes to, and the figures an organizer previews.

    ``panels[p]`` holds the sorted expert ids of panel p; ``block[i]`` the panel that scores
    nomination i; ``pairs`` every (nomination, expert) it implies, sorted. ``overlaps[p]`` is
    the number of experts shared by panels p and p+1. Affinities of non-candidate pairs count
    as 0 (a panel scores its whole block, candidate or not).
    """

    panels: tuple[np.ndarray, ...]
    block: np.ndarray
    pairs: np.ndarray
    objective: float
    nomination_affinity: np.ndarray
    worst_nomination_affinity: float
    overlaps: np.ndarray
    loads: np.ndarray
    n_components: int
    connected: bool
    method: str
    options: dict[str, Any]
    seed: int
    solve_seconds: float

    @property
    def blocks(self) -> tuple[np.ndarray, ...]:
        return tuple(np.flatnonzero(self.block == p) for p in range(len(self.panels)))


def _transport(value: np.ndarray, allowed: np.ndarray, row_demand: np.ndarray,
               col_lo: np.ndarray, col_hi: np.ndarray) -> np.ndarray | None:
    """Max-value integral transport (dense rows x cols, 0/1 per cell); None if infeasible."""
    from ortools.graph.python import min_cost_flow

    R, Cn = value.shape
    r, c = np.nonzero(allowed)
    v = value[r, c]
    top = float(np.max(np.abs(v))) if len(v) else 0.0
    cost = -np.rint(v * (_SCALE / top if top > 0 else 1.0)).astype(np.int64)
    f = min_cost_flow.SimpleMinCostFlow()
    sink = R + Cn
    total = int(row_demand.sum())
    if int(col_lo.sum()) > total or int(col_hi.sum()) < total:
        return None
    if len(r):
        f.add_arcs_with_capacity_and_unit_cost(r.astype(np.int64), (R + c).astype(np.int64),
                                               np.ones(len(r), np.int64), cost)
    f.add_arcs_with_capacity_and_unit_cost(R + np.arange(Cn, dtype=np.int64),
                                           np.full(Cn, sink, np.int64),
                                           (col_hi - col_lo).astype(np.int64),
                                           np.zeros(Cn, np.int64))
    sup = np.concatenate([row_demand, -col_lo, [-(total - int(col_lo.sum()))]]).astype(np.int64)
    f.set_nodes_supplies(np.arange(R + Cn + 1, dtype=np.int64), sup)
    if f.solve() != f.OPTIMAL:
        return None
    flows = f.flows(np.arange(len(r), dtype=np.int64)) if len(r) else np.zeros(0)
    out = np.zeros((R, Cn), bool)
    out[r[flows > 0], c[flows > 0]] = True
    return out


def _seats(P: int, panel_size: int, overlap: int) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Seat groups: each panel's own seats, then one bridge group per consecutive pair."""
    own = np.full(P, panel_size, np.int64)
    groups: list[tuple[int, ...]] = [(p,) for p in range(P)]
    for p in range(P - 1):
        own[p] -= overlap
        own[p + 1] -= overlap
        groups.append((p, p + 1))
    demand = np.concatenate([own, np.full(P - 1, overlap, np.int64)])
    return demand, groups


def _pick_panels(A: sp.csr_matrix, Cf: sp.csr_matrix | None, block: np.ndarray, P: int,
                 demand: np.ndarray, groups: list[tuple[int, ...]]) -> list[np.ndarray] | None:
    n, m = A.shape
    B = sp.csr_matrix((np.ones(n), (block, np.arange(n))), shape=(P, n))
    V = np.asarray((B @ A).todense())  # P x m: each expert's affinity to each block
    bad_count = np.asarray((B @ Cf).todense()) if Cf is not None else np.zeros((P, m))
    value = np.stack([V[list(g)].sum(0) for g in groups])
    # Clean panels when the blocks allow them; otherwise conflicts become a penalty larger than
    # any affinity total, not a ban: the block step that follows never sends a nomination to a
    # panel with a conflicted member, so a first cut that admits no clean panel can still lead
    # to a clean plan.
    n_bad = np.stack([bad_count[list(g)].sum(0) for g in groups])
    x = _transport(value, n_bad == 0, demand, np.zeros(m, np.int64), np.ones(m, np.int64))
    if x is None:
        penalty = 1.0 + 2.0 * float(np.abs(value).max(initial=0.0)) * float(demand.sum())
        x = _transport(value - penalty * n_bad, np.ones_like(value, bool), demand,
                       np.zeros(m, np.int64), np.ones(m, np.int64))
    if x is None:
        return None
    members: list[list[int]] = [[] for _ in range(P)]
    for gi, g in enumerate(groups):
        for p in g:
            members[p].extend(np.flatnonzero(x[gi]).tolist())
    return [np.array(sorted(mem), np.int64) for mem in members]


def _pick_blocks(A: sp.csr_matrix, Cf: sp.csr_matrix | None, panels: list[np.ndarray], P: int,
                 fair: bool = False) -> np.ndarray | None:
    n, m = A.shape
    rows = np.concatenate([np.full(len(pm), p) for p, pm in enumerate(panels)])
    cols = np.concatenate(panels)
    M = sp.csr_matrix((np.ones(len(cols)), (cols, rows)), shape=(m, P))
    U = np.asarray((A @ M).todense())
    allowed = ~(np.asarray((Cf @ M).todense()) > 0) if Cf is not None else np.ones((n, P), bool)
    lo, hi = np.full(P, n // P, np.int64), np.full(P, math.ceil(n / P), np.int64)
    if fair:
        # Each nomination gets one panel, so its affinity is one cell of U and the max-min
        # nomination affinity is a bottleneck transportation problem: bisect the threshold.
        vals = np.unique(U[allowed])
        a, b = 0, len(vals) - 1
        if _transport(U, allowed, np.ones(n, np.int64), lo, hi) is None:
            return None
        while a < b:
            mid = (a + b + 1) // 2
            if _transport(U, allowed & (U >= vals[mid]), np.ones(n, np.int64), lo, hi) is None:
                b = mid - 1
            else:
                a = mid
        if len(vals):
            allowed = allowed & (U >= vals[a])
    x = _transport(U, allowed, np.ones(n, np.int64), lo, hi)
    if x is None:
        return None
    return np.argmax(x, axis=1)


def _objective(A: sp.csr_matrix, panels: list[np.ndarray], block: np.ndarray) -> np.ndarray:
    n, m = A.shape
    P = len(panels)
    rows = np.concatenate([np.full(len(pm), p) for p, pm in enumerate(panels)])
    M = sp.csr_matrix((np.ones(len(rows)), (np.concatenate(panels), rows)), shape=(m, P))
    U = np.asarray((A @ M).todense())
    return U[np.arange(n), block]


def _spectral_order(A: sp.csr_matrix, rng: np.random.Generator) -> np.ndarray:
    """Nominations ordered along the second singular vector of the row-normalised affinity."""
    n, m = A.shape
    if min(n, m) < 3 or A.nnz == 0:
        return rng.permutation(n)
    from scipy.sparse.linalg import svds

    norms = np.sqrt(np.asarray(A.multiply(A).sum(1)).ravel())
    An = sp.diags(1 / np.where(norms > 0, norms, 1)) @ A
    try:
        u, s, _ = svds(An.astype(float), k=2, random_state=int(rng.integers(2**31)))
    except Exception:  # ARPACK may fail on degenerate input; a random start is fine then
        return rng.permutation(n)
    second = u[:, np.argsort(s)[0]]
    return np.argsort(second, kind="stable")


def solve_blocks(affinity: Any, *, panel_size: int, n_panels: int | None = None,
                 block_size: int | None = None, conflicts: Any = None, overlap: int = 1,
                 seed: int = 0, restarts: int = 4, max_rounds: int = 30,
                 fairness: bool = False, progress: Progress | None = None) -> BlockPlan:
    """Split nominations into blocks and experts into chained, overlapping panels.

    Give ``n_panels`` or ``block_size`` (nominations per panel; ``n_panels = ceil(n /
    block_size)``). Panels have ``panel_size`` experts; panels p and p+1 share ``overlap``
    experts, so an expert scores at most two blocks. The method is described in the module
    docstring; overlap bookkeeping follows the linked-panel designs used to calibrate panels
    in the final round (every pair of consecutive panels shares raters, so the union graph is
    connected). ``fairness=True`` makes the block step maximise the worst nomination's
    affinity first (exact for given panels, by bisection) and the total second, and compares
    starts by (worst, total). Raises InfeasibleAssignment when there are too few experts or the conflicts
    leave no valid panel, ValueError for malformed input.
    """
    t0 = time.perf_counter()
    report: Progress = progress if progress is not None else (lambda f, msg: None)
    if not sp.issparse(affinity) and not (isinstance(affinity, np.ndarray) and affinity.ndim == 2):
        raise ValueError("affinity must be a 2-D scipy.sparse matrix (nominations x experts)")
    A = sp.csr_matrix(affinity, dtype=np.float64)
    n, m = A.shape
    if not np.all(np.isfinite(A.data)):
        raise ValueError("affinity has NaN/infinite entries")
    for name, val in (("panel_size", panel_size), ("overlap", overlap)):
        if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val < 1:
            raise ValueError(f"{name} must be a positive int, got {val!r}")
    if (n_panels is None) == (block_size is None):
        raise ValueError("give exactly one of n_panels and block_size")
    if block_size is not None:
        if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) \
                or block_size < 1:
            raise ValueError(f"block_size must be a positive int, got {block_size!r}")
        n_panels = math.ceil(n / block_size)
    assert n_panels is not None
    if isinstance(n_panels, bool) or not isinstance(n_panels, (int, np.integer)) or n_panels < 1:
        raise ValueError(f"n_panels must be a positive int, got {n_panels!r}")
    P = int(n_panels)
    if P > n:
        raise ValueError(f"n_panels ({P}) exceeds the number of nominations ({n})")
    if P > 1 and panel_size < (2 * overlap if P > 2 else overlap + 1):
        raise ValueError(f"panel_size {panel_size} is too small for overlap {overlap} on both "
                         f"sides of a panel")
    Cf = None
    if conflicts is not None:
        if conflicts.shape != (n, m):
            raise ValueError(f"conflicts has shape {conflicts.shape}, affinity has {(n, m)}")
        Cf = sp.csr_matrix(conflicts, dtype=np.float64)
        Cf.eliminate_zeros()
    need = P * panel_size - (P - 1) * overlap
    if need > m:
        raise InfeasibleAssignment(
            f"{P} panels of {panel_size} with overlap {overlap} need {need} distinct experts, "
            f"the pool has {m}")
    demand, groups = _seats(P, panel_size, overlap)
    rng = np.random.default_rng(seed)

    def rank(per_nom: np.ndarray) -> tuple[float, ...]:
        total = float(per_nom.sum())
        return (float(per_nom.min()), total) if fairness else (total,)

    def better(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        for x, y in zip(a, b):
            if y == -math.inf:
                return x > y
            if x > y + 1e-12 * max(1.0, abs(y)):
                return True
            if x < y - 1e-12 * max(1.0, abs(y)):
                return False
        return False

    best: tuple[tuple[float, ...], list[np.ndarray], np.ndarray] | None = None
    for start in range(restarts):
        order = _spectral_order(A, rng) if start == 0 else rng.permutation(n)
        block = np.empty(n, np.int64)
        block[order] = np.arange(n) * P // n  # consecutive cuts of the order, sizes within 1
        score: tuple[float, ...] = (-math.inf, -math.inf)
        panels = None
        for _ in range(max_rounds):
            new_panels = _pick_panels(A, Cf, block, P, demand, groups)
            if new_panels is None:
                break
            new_block = _pick_blocks(A, Cf, new_panels, P, fairness)
            if new_block is None:
                break
            new_score = rank(_objective(A, new_panels, new_block))
            if not better(new_score, score):
                break
            panels, block, score = new_panels, new_block, new_score
        if panels is not None and (best is None or better(score, best[0])):
            best = (score, panels, block)
        report((start + 1) / restarts * 0.95, f"panel start {start + 1}/{restarts}")
    if best is None:
        # Explain: which nominations conflict with so many experts that no panel can avoid them.
        per_nom = np.asarray(Cf.sum(1)).ravel() if Cf is not None else np.zeros(n)
        worst = np.argsort(-per_nom, kind="stable")[:10]
        raise InfeasibleAssignment(
            f"no conflict-free panels of {panel_size} found for {P} blocks; the most conflicted "
            f"nominations are {_first_few(worst[per_nom[worst] > 0])} with "
            f"{', '.join(str(int(per_nom[i])) for i in worst[:5])} conflicted experts of {m}",
            nominations=worst)
    _, panels, block = best
    per_nom = _objective(A, panels, block)
    score = float(per_nom.sum())
    pr = np.concatenate([np.repeat(np.flatnonzero(block == p), len(panels[p])) for p in range(P)])
    pc = np.concatenate([np.tile(panels[p], int(np.sum(block == p))) for p in range(P)])
    order = np.lexsort((pc, pr))
    pairs = np.stack([pr[order], pc[order]], 1).astype(np.int64)
    overlaps = np.array([len(np.intersect1d(panels[p], panels[p + 1])) for p in range(P - 1)],
                        np.int64)
    g = sp.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], n + pairs[:, 1])), shape=(n + m, n + m))
    _, labels = connected_components(g, directed=False)
    used = np.concatenate([np.ones(n, bool), np.bincount(pairs[:, 1], minlength=m) > 0])
    ncomp = len(np.unique(labels[used]))
    report(1.0, "done")
    return BlockPlan(
        panels=tuple(panels), block=block.astype(np.int64), pairs=pairs, objective=float(score),
        nomination_affinity=per_nom, worst_nomination_affinity=float(per_nom.min()),
        overlaps=overlaps, loads=np.bincount(pairs[:, 1], minlength=m).astype(np.int64),
        n_components=ncomp, connected=ncomp == 1, method="alternating_min_cost_flow",
        options={"panel_size": panel_size, "n_panels": P, "overlap": overlap,
                 "restarts": restarts, "fairness": fairness}, seed=seed, solve_seconds=time.perf_counter() - t0)
