"""Assign nominations to experts: exactly k experts each, within load caps, no conflicts, best match.

The core problem is a bipartite b-matching: choose x_ij in {0, 1} for every candidate pair
(nomination i, expert j) to maximise sum a_ij x_ij subject to sum_j x_ij = k for every nomination,
min_load_j <= sum_i x_ij <= max_load_j for every expert, and x_ij = 0 on conflicted pairs. Its
constraint matrix is an incidence matrix of a bipartite graph, hence totally unimodular, so a
min-cost-flow integer optimum *is* the LP optimum. We solve it with OR-Tools' ``SimpleMinCostFlow``
(cost-scaling push-relabel, made for exactly this network) instead of a general LP: on the
20,000 x 3,000 benchmark with ~5 million candidate pairs it takes seconds and well under a GiB.

Three options sit on top of the flow:

* ``fairness=True`` raises the worst pair first (bottleneck stage, exact, by bisection over
  max-flow feasibility) and then maximises the total subject to it; see :func:`solve`.
* ``max_probability=q`` is the randomised assignment of Jecmen, Zhang, Liu, Shah, Conitzer and
  Fang (NeurIPS 2020): the LP with x_ij <= q is still a flow (we scale capacities by the
  denominator of q so the flow is integral), and an integral plan is sampled from the fractional
  optimum by dependent rounding (Gandhi, Khuller, Parthasarathy and Srinivasan, JACM 2006), which
  keeps every marginal P[i gets j] = x_ij <= q, every nomination at exactly k and every load
  within its caps.
* the plan's nomination-expert graph must be connected for judge-bias calibration; a cheap
  2-swap repair (see :func:`_repair_connectivity`) merges stray components.

Panel (block) mode for final rounds lives in :mod:`judging.panels.blocks`.
"""

from __future__ import annotations

import dataclasses
import fractions
import math
import time
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from judging.errors import N_

__all__ = [
    "InfeasibleAssignment",
    "Plan",
    "solve",
    "greedy",
    "plan_graph_components",
]

# Affinities are turned into integer arc costs for the flow solver. 1e7 units for the largest
# |affinity| keeps rounding error below 5e-8 of the range while OR-Tools' cost scaling (which
# multiplies costs by the number of nodes) stays far from int64 overflow.
_COST_UNITS = 10_000_000
# Denominator cap for max_probability: q is treated as a fraction p/D with D <= this.
_MAX_DENOMINATOR = 1000
# Stop trying to repair connectivity after this many stray components: beyond that the
# candidate graph itself is too fragmented and the plan says so.
_MAX_REPAIRS = 500

Progress = Callable[[float, str], None]


class InfeasibleAssignment(ValueError):
    """No plan meets k, the load caps and the conflicts; the message says where it falls short."""

    def __init__(self, message: str, *, nominations: np.ndarray | None = None,
                 experts: np.ndarray | None = None):
        super().__init__(message)
        self.nominations = np.asarray(nominations if nominations is not None else [], dtype=np.int64)
        self.experts = np.asarray(experts if experts is not None else [], dtype=np.int64)


@dataclasses.dataclass(frozen=True, eq=False)
class Plan:
    """An integral assignment and the quality figures an organizer previews before committing.

    ``pairs`` are (nomination, expert) rows sorted lexicographically. ``objective`` is the total
    affinity of the pairs; ``lp_bound`` an upper bound on the LP relaxation of the problem as
    posed (with the probability cap, without the fairness restriction), so ``gap`` also shows
    the price of fairness and of the connectivity repair. A sampled (``max_probability``) plan's
    objective is random and may exceed the bound; its ``expected_objective`` (the LP value)
    may not. ``n_components`` counts connected
    components of the plan's bipartite graph over nominations and experts with a positive load;
    judge-bias calibration needs ``connected`` (one component), and ``min_coreviewers``, the
    fewest distinct other experts any used expert shares a nomination with, says how well
    each expert's severity is tied to the others' (0 means an expert scores alone).
    """

    pairs: np.ndarray
    n_nominations: int
    n_experts: int
    k: int
    objective: float
    lp_bound: float
    gap: float
    nomination_affinity: np.ndarray
    nomination_min_affinity: np.ndarray
    worst_nomination_affinity: float
    worst_pair_affinity: float
    loads: np.ndarray
    load_spread: int
    n_components: int
    connected: bool
    method: str
    options: dict[str, Any]
    seed: int
    solve_seconds: float
    expected_objective: float
    marginals: sp.csr_matrix | None = None
    repairs: int = 0
    short_nominations: int = 0
    min_coreviewers: int = 0

    def summary(self) -> dict[str, Any]:
        """The scalar figures, e.g. for a preview page or a benchmark line."""
        return {
            "method": self.method,
            "pairs": int(len(self.pairs)),
            "objective": self.objective,
            "lp_bound": self.lp_bound,
            "gap": self.gap,
            "worst_nomination_affinity": self.worst_nomination_affinity,
            "worst_pair_affinity": self.worst_pair_affinity,
            "load_min": int(self.loads.min()) if len(self.loads) else 0,
            "load_max": int(self.loads.max()) if len(self.loads) else 0,
            "load_spread": self.load_spread,
            "n_components": self.n_components,
            "min_coreviewers": self.min_coreviewers,
            "repairs": self.repairs,
            "short_nominations": self.short_nominations,
            "solve_seconds": self.solve_seconds,
        }


# --------------------------------------------------------------------------- validation


@dataclasses.dataclass
class _Instance:
    n: int
    m: int
    k: int
    rows: np.ndarray  # candidate (non-conflicted) pairs, sorted by (row, col)
    cols: np.ndarray
    w: np.ndarray
    lo: np.ndarray  # per-expert load bounds
    hi: np.ndarray
    available: np.ndarray  # experts with a positive cap and at least one candidate


def _loads_arg(value: Any, m: int, name: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim == 0:
        arr = np.full(m, arr)
    if arr.shape != (m,):
        raise ValueError(f"{name} must be an int or an array of length {m} (one per expert), "
                         f"got shape {np.asarray(value).shape}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must hold whole numbers")
    elif arr.dtype.kind not in "iub":
        raise ValueError(f"{name} must be integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0 (expert {int(np.argmax(arr < 0))} has {arr.min()})")
    return arr


def _prepare(affinity: Any, k: Any, max_load: Any, min_load: Any, conflicts: Any,
             max_probability: Any) -> _Instance:
    if sp.issparse(affinity):
        a = sp.csr_matrix(affinity, dtype=np.float64, copy=True)
    elif isinstance(affinity, np.ndarray) and affinity.ndim == 2:
        # A dense matrix makes every pair a candidate.
        dense = np.asarray(affinity, dtype=np.float64)
        r, c = np.indices(dense.shape)
        a = sp.csr_matrix((dense.ravel(), (r.ravel(), c.ravel())), shape=dense.shape)
    else:
        raise ValueError("affinity must be a 2-D scipy.sparse matrix (nominations x experts)")
    if a.ndim != 2:
        raise ValueError("affinity must be 2-D (nominations x experts)")
    n, m = a.shape
    a.sum_duplicates()
    a.sort_indices()
    if not np.all(np.isfinite(a.data)):
        bad = np.flatnonzero(~np.isfinite(a.data))
        rows_bad = np.unique(np.repeat(np.arange(n), np.diff(a.indptr))[bad])
        raise ValueError(f"affinity has {len(bad)} NaN/infinite entries "
                         f"(nominations {_first_few(rows_bad)})")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"k must be an int, got {k!r}")
    k = int(k)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    hi = _loads_arg(max_load, m, "max_load")
    lo = _loads_arg(min_load, m, "min_load")
    if np.any(lo > hi):
        j = int(np.argmax(lo > hi))
        raise ValueError(f"min_load exceeds max_load for expert {j} ({lo[j]} > {hi[j]})")
    if max_probability is not None:
        q = float(max_probability)
        if not (0.0 < q <= 1.0) or math.isnan(q):
            raise ValueError(f"max_probability must be in (0, 1], got {max_probability!r}")

    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(a.indptr))
    cols = a.indices.astype(np.int64)
    w = a.data.copy()
    if conflicts is not None:
        if not sp.issparse(conflicts) and not (isinstance(conflicts, np.ndarray)):
            raise ValueError("conflicts must be a scipy.sparse boolean matrix")
        if conflicts.shape != (n, m):
            raise ValueError(f"conflicts has shape {conflicts.shape}, affinity has {(n, m)}")
        c = sp.csr_matrix(conflicts)
        c.eliminate_zeros()
        c.sum_duplicates()
        if c.nnz:
            c.sort_indices()
            # Both key arrays are sorted (row-major CSR with sorted indices): a binary search per candidate
            # instead of np.isin's sort of both (seconds at 20,000 x 3,000 with millions of same-city pairs).
            ckeys = np.repeat(np.arange(n, dtype=np.int64), np.diff(c.indptr)) * m + c.indices
            keys = rows * m + cols
            at = np.minimum(np.searchsorted(ckeys, keys), len(ckeys) - 1)
            keep = ckeys[at] != keys
            rows, cols, w = rows[keep], cols[keep], w[keep]
    cand_per_expert = np.bincount(cols, minlength=m)
    available = (hi > 0) & (cand_per_expert > 0)
    return _Instance(n=n, m=m, k=k, rows=rows, cols=cols, w=w, lo=lo, hi=hi, available=available)


def _first_few(idx: np.ndarray, few: int = 10) -> str:
    idx = np.asarray(idx)
    head = ", ".join(str(int(i)) for i in idx[:few])
    return head + (f", ... ({len(idx)} in all)" if len(idx) > few else f" ({len(idx)} in all)")


def _denominator(q: float | None) -> tuple[int, int]:
    """(D, cap): the flow runs in units of 1/D and every pair may carry at most cap units."""
    if q is None or q >= 1.0:
        return 1, 1
    f = fractions.Fraction(q).limit_denominator(_MAX_DENOMINATOR)
    # Never round the cap up (the guarantee is x_ij <= q), beyond float noise as in 1/3.
    if float(f) - q > 1e-12:
        f = fractions.Fraction(math.floor(q * _MAX_DENOMINATOR), _MAX_DENOMINATOR)
    if f <= 0:
        raise ValueError(f"max_probability {q} is below 1/{_MAX_DENOMINATOR}")
    return f.denominator, f.numerator


# ----------------------------------------------------------------------------- flows


def _flow(inst: _Instance, keep: np.ndarray | None, cost: np.ndarray | None, D: int, cap: int
          ) -> tuple[bool, np.ndarray, int]:
    """Min-cost flow source->nomination->expert->sink in units of 1/D.

    Expert lower bounds become negative supplies at the expert nodes (OR-Tools has no arc lower
    bounds), the rest of the nominations' supply drains through expert->sink arcs of capacity
    max-min. Returns (feasible, units per kept candidate arc, optimal cost).
    """
    from ortools.graph.python import min_cost_flow

    rows, cols = inst.rows, inst.cols
    if keep is not None:
        rows, cols = rows[keep], cols[keep]
        if cost is not None:
            cost = cost[keep]
    n, m = inst.n, inst.m
    sink = n + m
    total = n * inst.k * D
    if int(inst.lo.sum()) * D > total:
        return False, np.zeros(len(rows), np.int64), 0
    f = min_cost_flow.SimpleMinCostFlow()
    if len(rows):
        f.add_arcs_with_capacity_and_unit_cost(
            rows, n + cols, np.full(len(rows), cap, np.int64),
            cost if cost is not None else np.zeros(len(rows), np.int64))
    f.add_arcs_with_capacity_and_unit_cost(
        n + np.arange(m, dtype=np.int64), np.full(m, sink, np.int64),
        (inst.hi - inst.lo) * D, np.zeros(m, np.int64))
    supplies = np.empty(n + m + 1, np.int64)
    supplies[:n] = inst.k * D
    supplies[n:sink] = -inst.lo * D
    supplies[sink] = -(total - int(inst.lo.sum()) * D)
    f.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int64), supplies)
    status = f.solve()
    if status != f.OPTIMAL:
        if status in (f.INFEASIBLE, f.UNBALANCED):
            return False, np.zeros(len(rows), np.int64), 0
        raise RuntimeError(f"min-cost flow solver failed with status {status}")
    units = f.flows(np.arange(len(rows), dtype=np.int64)) if len(rows) else np.zeros(0, np.int64)
    return True, np.asarray(units, np.int64), int(f.optimal_cost())


def _feasible(inst: _Instance, keep: np.ndarray, D: int, cap: int) -> bool:
    """Whether a plan exists using only the kept pairs: one max-flow, cheaper than a cost flow.

    Lower bounds are folded in the standard way: each expert sends its min_load straight to
    the sink and the rest through a hub whose arc to the sink carries total - sum(min_load),
    so the maximum flow reaches n k D only if every min_load arc is saturated.
    """
    from ortools.graph.python import max_flow

    n, m = inst.n, inst.m
    rows, cols = inst.rows[keep], inst.cols[keep]
    total = n * inst.k * D
    lo_total = int(inst.lo.sum()) * D
    if lo_total > total:
        return False
    src, hub, sink = n + m, n + m + 1, n + m + 2
    g = max_flow.SimpleMaxFlow()
    g.add_arcs_with_capacity(np.full(n, src, np.int64), np.arange(n, dtype=np.int64),
                             np.full(n, inst.k * D, np.int64))
    if len(rows):
        g.add_arcs_with_capacity(rows, n + cols, np.full(len(rows), cap, np.int64))
    experts = n + np.arange(m, dtype=np.int64)
    g.add_arcs_with_capacity(experts, np.full(m, sink, np.int64), inst.lo * D)
    g.add_arcs_with_capacity(experts, np.full(m, hub, np.int64), (inst.hi - inst.lo) * D)
    g.add_arc_with_capacity(hub, sink, total - lo_total)
    if g.solve(src, sink) != g.OPTIMAL:
        raise RuntimeError("max-flow solver failed")
    return g.optimal_flow() == total


def _int_costs(w: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Integer arc costs (negated, we maximise), the scale, and the worst rounding error."""
    top = float(np.max(np.abs(w))) if len(w) else 0.0
    scale = _COST_UNITS / top if top > 0 else 1.0
    scaled = np.rint(w * scale)
    err = float(np.max(np.abs(w - scaled / scale))) if len(w) else 0.0
    return -scaled.astype(np.int64), scale, err


def _diagnose(inst: _Instance, D: int, cap: int, keep: np.ndarray | None = None) -> NoReturn:
    """Explain why no plan exists: too few candidates, too little capacity, or a Hall violation."""
    from ortools.graph.python import max_flow

    n, m, k = inst.n, inst.m, inst.k
    rows, cols = (inst.rows, inst.cols) if keep is None else (inst.rows[keep], inst.cols[keep])
    hi_eff = np.where(np.bincount(cols, minlength=m) > 0, inst.hi, 0)
    need_c = math.ceil(k * D / cap)
    per_nom = np.bincount(rows, minlength=n)
    short = np.flatnonzero(per_nom < need_c)
    msgs = []
    if len(short):
        what = f"k={k}" if D == 1 else f"k={k} with max_probability {cap}/{D}"
        msgs.append(f"nominations {_first_few(short)} have only "
                    f"{_first_few(per_nom[short]).split(' (')[0]} non-conflicted candidates "
                    f"for {what} (need {need_c})")
        raise InfeasibleAssignment("; ".join(msgs), nominations=short)
    if n * k > int(hi_eff.sum()):
        raise InfeasibleAssignment(
            f"needs {n * k} expert slots, caps allow {int(hi_eff.sum())} "
            f"({n} nominations x k={k}; experts without candidates count 0)",
            nominations=np.arange(n))
    if int(inst.lo.sum()) > n * k:
        raise InfeasibleAssignment(
            f"min_load requires {int(inst.lo.sum())} expert slots but only {n * k} exist "
            f"({n} nominations x k={k})", experts=np.flatnonzero(inst.lo > 0))
    per_exp = np.bincount(cols, minlength=m) * cap
    starving = np.flatnonzero(per_exp < inst.lo * D)
    if len(starving):
        raise InfeasibleAssignment(
            f"experts {_first_few(starving)} have min_load above their number of "
            f"non-conflicted candidate nominations", experts=starving)

    # Hall-type shortage: the source side of a minimum cut is a set of nominations whose
    # candidates cannot take k of each.
    g = max_flow.SimpleMaxFlow()
    src, sink = n + m, n + m + 1
    g.add_arcs_with_capacity(np.full(n, src, np.int64), np.arange(n, dtype=np.int64),
                             np.full(n, k * D, np.int64))
    g.add_arcs_with_capacity(rows, n + cols, np.full(len(rows), cap, np.int64))
    g.add_arcs_with_capacity(n + np.arange(m, dtype=np.int64), np.full(m, sink, np.int64),
                             hi_eff * D)
    g.solve(src, sink)
    if g.optimal_flow() < n * k * D:
        side = np.asarray(g.get_source_side_min_cut(), np.int64)
        noms = np.sort(side[side < n])
        # The cut's value minus the cut source arcs bounds what this set of nominations can get.
        allow = (g.optimal_flow() - (n - len(noms)) * k * D) // D
        raise InfeasibleAssignment(
            f"nominations {_first_few(noms)} need {len(noms) * k} expert slots but the caps of "
            f"their non-conflicted candidates allow at most {allow}", nominations=noms)
    # Same with the lower bounds: experts whose min_load their candidates cannot fill.
    g = max_flow.SimpleMaxFlow()
    g.add_arcs_with_capacity(np.full(m, src, np.int64), n + np.arange(m, dtype=np.int64),
                             inst.lo * D)
    g.add_arcs_with_capacity(n + cols, rows, np.full(len(rows), cap, np.int64))
    g.add_arcs_with_capacity(np.arange(n, dtype=np.int64), np.full(n, sink, np.int64),
                             np.full(n, k * D, np.int64))
    g.solve(src, sink)
    if g.optimal_flow() < int(inst.lo.sum()) * D:
        side = np.asarray(g.get_source_side_min_cut(), np.int64)
        exps = np.sort(side[(side >= n) & (side < n + m)] - n)
        raise InfeasibleAssignment(
            f"experts {_first_few(exps)} cannot reach their min_load: their non-conflicted "
            f"candidate nominations offer too few slots", experts=exps)
    raise InfeasibleAssignment(
        "min_load and max_load cannot both be met with these candidates and conflicts")


# ------------------------------------------------------------------------------ plan


def plan_graph_components(pairs: np.ndarray, n: int, m: int) -> tuple[int, np.ndarray]:
    """Components of the bipartite plan graph over nominations and experts with a positive load.

    Returns (count, labels over the n + m nodes; -1 for experts without a pair).
    """
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    g = sp.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], n + pairs[:, 1])), shape=(n + m, n + m))
    _, labels = connected_components(g, directed=False)
    used = np.ones(n + m, bool)
    used[n:] = np.bincount(pairs[:, 1], minlength=m) > 0
    labels = np.where(used, labels, -1)
    count = len(np.unique(labels[used])) if used.any() else 0
    return count, labels


def _build_plan(inst: _Instance, sel: np.ndarray, *, method: str, options: dict, seed: int,
                t0: float, lp_bound: float, expected: float | None = None,
                marginals: sp.csr_matrix | None = None, repairs: int = 0) -> Plan:
    rows, cols, w = inst.rows[sel], inst.cols[sel], inst.w[sel]
    order = np.lexsort((cols, rows))
    rows, cols, w = rows[order], cols[order], w[order]
    pairs = np.stack([rows, cols], axis=1).astype(np.int64)
    n, m = inst.n, inst.m
    per_sum = np.bincount(rows, weights=w, minlength=n)
    per_min = np.full(n, np.inf)
    np.minimum.at(per_min, rows, w)
    per_cnt = np.bincount(rows, minlength=n)
    per_min[per_cnt == 0] = np.nan
    loads = np.bincount(cols, minlength=m).astype(np.int64)
    av = loads[inst.available]
    spread = int(av.max() - av.min()) if len(av) else 0
    ncomp, _ = plan_graph_components(pairs, n, m)
    objective = float(w.sum())
    gap = (lp_bound - objective) / max(abs(lp_bound), 1e-12) if math.isfinite(lp_bound) else math.nan
    short = int(np.sum(per_cnt < inst.k))
    B = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, m))
    co = (B.T @ B).tocsr()
    co.setdiag(0)
    co.eliminate_zeros()
    used = loads > 0
    coreviewers = int(np.diff(co.indptr)[used].min()) if used.any() else 0
    return Plan(
        pairs=pairs, n_nominations=n, n_experts=m, k=inst.k, objective=objective,
        lp_bound=float(lp_bound), gap=float(gap),
        nomination_affinity=per_sum, nomination_min_affinity=per_min,
        worst_nomination_affinity=float(per_sum.min()) if n else math.nan,
        worst_pair_affinity=float(w.min()) if len(w) else math.nan,
        loads=loads, load_spread=spread, n_components=ncomp, connected=ncomp <= 1,
        method=method, options=options, seed=seed, solve_seconds=time.perf_counter() - t0,
        expected_objective=float(objective if expected is None else expected),
        marginals=marginals, repairs=repairs, short_nominations=short,
        min_coreviewers=coreviewers,
    )


# ---------------------------------------------------------------------- connectivity


def _repair_connectivity(inst: _Instance, sel: np.ndarray, min_w: float | None,
                         report: Progress, keep_worst: bool = False) -> tuple[np.ndarray, int]:
    """Merge stray components of the plan graph into the largest one by 2-swaps.

    A swap replaces (i, j) and (i', j') by (i, j') and (i', j), with i, j in a stray component
    and i', j' in the largest: every nomination keeps k experts, every expert keeps its load,
    and the new pairs must be non-conflicted candidates (and above the fairness threshold, if
    any; with ``keep_worst`` neither nomination may fall below the current worst nomination
    sum). We take the swap that loses the least affinity among those that actually reduce the
    number of components (a swap whose removed edges were both bridges would split again).
    Min-cost-flow optima on realistic instances are almost always connected already; this
    handles the rare stray block at a cost of a few affinity units, which the gap shows.
    """
    n, m = inst.n, inst.m
    rows, cols = inst.rows, inst.cols
    keys = rows * m + cols  # sorted, since candidates are sorted by (row, col)
    ptr = np.searchsorted(rows, np.arange(n + 1))
    sel = sel.copy()
    repairs = 0
    hopeless: set[tuple[int, ...]] = set()
    ncomp, labels = plan_graph_components(np.stack([rows[sel], cols[sel]], 1), n, m)
    while ncomp > 1 and repairs < _MAX_REPAIRS:
        used = labels[labels >= 0]
        sizes = np.bincount(used)
        giant = int(np.argmax(sizes))
        order = [c for c in np.argsort(sizes, kind="stable") if sizes[c] > 0 and c != giant]
        merged = False
        for c in order:
            noms = np.flatnonzero(labels[:n] == c)
            tag = tuple(noms[:20].tolist()) + (len(noms),)
            if tag in hopeless:
                continue
            floor = -math.inf
            if keep_worst:
                floor = float(np.bincount(rows[sel], weights=inst.w[sel], minlength=n).min())
            if _try_merge(inst, sel, labels, giant, noms, keys, ptr, min_w, ncomp, floor):
                repairs += 1
                merged = True
                break
            hopeless.add(tag)
        if not merged:
            break
        ncomp, labels = plan_graph_components(np.stack([rows[sel], cols[sel]], 1), n, m)
        report(0.9, N_("Repairing connectivity"))
    return sel, repairs


def _try_merge(inst: _Instance, sel: np.ndarray, labels: np.ndarray, giant: int,
               noms: np.ndarray, keys: np.ndarray, ptr: np.ndarray, min_w: float | None,
               ncomp: int, floor: float = -math.inf, tries: int = 40) -> bool:
    n, m = inst.n, inst.m
    rows, cols, w = inst.rows, inst.cols, inst.w
    sums = np.bincount(rows[sel], weights=w[sel], minlength=n)
    sel_idx = np.flatnonzero(sel)
    by_expert = sel_idx[np.argsort(cols[sel_idx], kind="stable")]
    exp_ptr = np.searchsorted(cols[by_expert], np.arange(m + 1))
    ok_w = np.ones(len(w), bool) if min_w is None else w >= min_w
    cand = []  # (loss, a, e2, b, f)
    for i in noms:
        r = np.arange(ptr[i], ptr[i + 1])
        a_edges = r[sel[r]]
        b_edges = r[~sel[r] & ok_w[r] & (labels[n + cols[r]] == giant)]
        if not len(a_edges) or not len(b_edges):
            continue
        # For each j' (b edge), the giant-side nominations i' assigned to j' (edge e2).
        counts = exp_ptr[cols[b_edges] + 1] - exp_ptr[cols[b_edges]]
        b_rep = np.repeat(b_edges, counts)
        e2 = np.concatenate([by_expert[exp_ptr[j]:exp_ptr[j + 1]] for j in cols[b_edges]])
        for a in a_edges:
            want = rows[e2] * m + cols[a]
            pos = np.searchsorted(keys, want)
            pos_c = np.minimum(pos, len(keys) - 1)
            hit = (keys[pos_c] == want)
            f = pos_c
            good = hit & ~sel[f] & ok_w[f]
            if not good.any():
                continue
            # i loses a, gains b; i' loses e2, gains f.
            good &= (sums[i] - w[a] + w[b_rep] >= floor) & (sums[rows[e2]] - w[e2] + w[f] >= floor)
            if not good.any():
                continue
            loss = w[a] + w[e2[good]] - w[b_rep[good]] - w[f[good]]
            best = np.argsort(loss, kind="stable")[:tries]
            for t in best:
                cand.append((float(loss[t]), int(a), int(e2[good][t]), int(b_rep[good][t]),
                             int(f[good][t])))
    cand.sort()
    for loss, a, e2, b, f in cand[:tries]:
        sel[[a, e2]] = False
        sel[[b, f]] = True
        new, _ = plan_graph_components(np.stack([rows[sel], cols[sel]], 1), n, m)
        if new < ncomp:
            return True
        sel[[a, e2]] = True
        sel[[b, f]] = False
    return False


# -------------------------------------------------------------------------- fairness


def _raise_worst(inst: _Instance, sel: np.ndarray, min_w: float, report: Progress,
                 max_moves: int | None = None, max_seconds: float = 30.0) -> tuple[np.ndarray, int]:
    """Raise the worst nomination's affinity sum by exchanges, FairFlow-style.

    Kobren, Saha and McCallum (2019) improve the poorest papers of a max-total flow by moving
    reviewers to them from richer papers. We do the same with two exact-feasibility moves on
    the current worst nomination i: (1) swap one of its experts j for an unused candidate j'
    with spare capacity (j keeps at least its min_load); (2) take j' from a nomination i' and
    give i' the expert j in exchange (loads unchanged). A move is taken only if both touched
    nominations end strictly above i's old sum, and the one raising the smaller of the two the
    most wins; all pairs stay above the bottleneck threshold ``min_w`` and conflict-free. Stops
    when the worst nomination admits no such move (a local optimum of the max-min objective).
    """
    n, m = inst.n, inst.m
    rows, cols, w = inst.rows, inst.cols, inst.w
    keys = rows * m + cols
    ptr = np.searchsorted(rows, np.arange(n + 1))
    sel = sel.copy()
    sums = np.bincount(rows[sel], weights=w[sel], minlength=n)
    loads = np.bincount(cols[sel], minlength=m)
    holders: list[list[int]] = [[] for _ in range(m)]
    for e in np.flatnonzero(sel).tolist():
        holders[cols[e]].append(e)
    ok_w = w >= min_w
    max_moves = max_moves if max_moves is not None else 4 * n
    t0 = time.perf_counter()
    moves = 0
    while moves < max_moves and time.perf_counter() - t0 < max_seconds:
        i = int(np.argmin(sums))
        cur = sums[i]
        r = np.arange(ptr[i], ptr[i + 1])
        a_edges = r[sel[r]]
        b_edges = r[~sel[r] & ok_w[r]]
        b_edges = b_edges[w[b_edges] > w[a_edges].min()] if len(a_edges) else b_edges
        best = None  # (new local min, gain, kind, a, b, e2, f)
        if len(b_edges) and len(a_edges):
            # (1) direct replacement when j' has room and j may lose a nomination.
            room = loads[cols[b_edges]] < inst.hi[cols[b_edges]]
            for a in a_edges:
                if loads[cols[a]] <= inst.lo[cols[a]]:
                    continue
                cand = b_edges[room & (w[b_edges] > w[a])]
                if len(cand):
                    b = int(cand[np.argmax(w[cand])])
                    val = cur - w[a] + w[b]
                    if best is None or val > best[0]:
                        best = (val, val - cur, 1, int(a), b, -1, -1)
            # (2) exchange with the holders of j'.
            e2 = np.array([e for b in b_edges.tolist() for e in holders[cols[b]]], np.int64)
            b_rep = np.repeat(b_edges, [len(holders[cols[b]]) for b in b_edges.tolist()])
            if len(e2):
                for a in a_edges:
                    want = rows[e2] * m + cols[a]
                    pos = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
                    good = (keys[pos] == want) & ~sel[pos] & ok_w[pos] & (w[b_rep] > w[a])
                    if not good.any():
                        continue
                    new_i = cur - w[a] + w[b_rep]
                    new_o = sums[rows[e2]] - w[e2] + w[pos]
                    low = np.where(good & (new_o > cur + 1e-12), np.minimum(new_i, new_o), -np.inf)
                    t = int(np.argmax(low))
                    if np.isfinite(low[t]) and (best is None or low[t] > best[0]):
                        best = (float(low[t]), float(new_i[t] - cur), 2, int(a), int(b_rep[t]),
                                int(e2[t]), int(pos[t]))
        if best is None or best[0] <= cur + 1e-12:
            break  # the worst nomination admits no raising move: the minimum is locally optimal
        _, _, kind, a, b, e2_, f = best
        sel[a], sel[b] = False, True
        holders[cols[a]].remove(a)
        holders[cols[b]].append(b)
        sums[i] += w[b] - w[a]
        if kind == 1:
            loads[cols[a]] -= 1
            loads[cols[b]] += 1
        else:
            sel[e2_], sel[f] = False, True
            holders[cols[e2_]].remove(e2_)
            holders[cols[f]].append(f)
            sums[rows[e2_]] += w[f] - w[e2_]
        moves += 1
        if moves % 200 == 0:
            report(0.88, N_("Improving fairness"))
    return sel, moves


# --------------------------------------------------------------------- randomisation


def _dependent_rounding(inst: _Instance, units: np.ndarray, D: int,
                        rng: np.random.Generator) -> np.ndarray:
    """Sample an integral plan whose marginals equal units / D (Gandhi et al. 2006).

    This is the sampling step of Jecmen et al. (2020): repeatedly take a cycle or a maximal path
    of fractional pairs, split it into alternate edges M1, M2, and shift by +alpha/-alpha or
    -beta/+beta with probabilities beta/(alpha+beta) and alpha/(alpha+beta), so every pair's
    expectation is unchanged while at least one pair becomes 0 or 1. Inner nodes of the
    cycle/path keep their sums, so nominations (integral sum k) keep exactly k experts and
    experts end at the floor or ceiling of their fractional load, inside their integer caps.
    Amounts are integers in units of 1/D, so no floating-point drift creeps in.
    """
    n = inst.n
    # Only fractional pairs take part; the rest are already 0 or 1.
    frac = np.flatnonzero((units > 0) & (units < D))
    F = units[frac].tolist()
    eu = inst.rows[frac].tolist()
    ev = (inst.cols[frac] + n).tolist()
    adj: dict[int, dict[int, None]] = {}
    for e in range(len(F)):
        adj.setdefault(eu[e], {})[e] = None
        adj.setdefault(ev[e], {})[e] = None
    rand = rng.random

    def other(e: int, v: int) -> int:
        return ev[e] if eu[e] == v else eu[e]

    def shift(edges: list[int]) -> None:
        m1, m2 = edges[0::2], edges[1::2]
        alpha = min([D - F[e] for e in m1] + [F[e] for e in m2])
        beta = min([F[e] for e in m1] + [D - F[e] for e in m2])
        if rand() * (alpha + beta) < beta:
            d1 = alpha
        else:
            d1 = -beta
        for e in m1:
            F[e] += d1
        for e in m2:
            F[e] -= d1
        for e in edges:
            if F[e] == 0 or F[e] == D:
                del adj[eu[e]][e]
                del adj[ev[e]][e]
                if not adj[eu[e]]:
                    del adj[eu[e]]
                if not adj[ev[e]]:
                    del adj[ev[e]]

    # A walk may start anywhere: on a dead end it turns round at its start, so a path is only
    # rounded once both of its ends have a single fractional pair (a maximal path).
    stack: list[int] = []
    edges: list[int] = []
    pos: dict[int, int] = {}
    while adj:
        if not stack:
            start = next(iter(adj))
            stack, edges, pos = [start], [], {start: 0}
        v = stack[-1]
        last = edges[-1] if edges else -1
        nxt = -1
        for e in adj.get(v, ()):
            if e != last:
                nxt = e
                break
        if nxt < 0:
            s = stack[0]
            if not edges:
                stack, edges, pos = [], [], {}
                continue
            if len(adj.get(s, ())) <= 1:
                shift(edges)  # maximal path: both ends have a single fractional pair
                stack, edges, pos = [], [], {}
            else:
                stack.reverse()
                edges.reverse()
                pos = {x: i for i, x in enumerate(stack)}
            continue
        u = other(nxt, v)
        if u in pos:
            p = pos[u]
            shift(edges[p:] + [nxt])
            for x in stack[p + 1:]:
                del pos[x]
            del stack[p + 1:]
            del edges[p:]
            # The kept prefix is untouched, hence still fractional; go on walking from u.
        else:
            pos[u] = len(stack)
            stack.append(u)
            edges.append(nxt)
    out = units == D
    out[frac[np.asarray(F, np.int64) == D]] = True
    return out


# ---------------------------------------------------------------------------- solve


def _bottleneck(inst: _Instance, start: float, D: int, cap: int, report: Progress) -> float:
    """Largest t such that a plan using only pairs with affinity >= t exists (max-min pair).

    Feasibility is monotone in t, so we bisect over the distinct affinities between the worst
    pair of the max-total plan (feasible) and the smallest, over nominations, of the
    ceil(k/q)-th best candidate (no plan can do better). Each probe is one flow.
    """
    need = math.ceil(inst.k * D / cap)
    ptr = np.searchsorted(inst.rows, np.arange(inst.n + 1))
    upper = math.inf
    for i in range(inst.n):
        wi = inst.w[ptr[i]:ptr[i + 1]]
        upper = min(upper, float(np.partition(wi, len(wi) - need)[len(wi) - need]))
    vals = np.unique(inst.w)
    vals = vals[(vals >= start) & (vals <= upper)]
    lo, hi = 0, len(vals) - 1  # vals[lo] is feasible
    probes = 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        ok = _feasible(inst, inst.w >= vals[mid], D, cap)
        probes += 1
        report(min(0.4 + 0.04 * probes, 0.8), N_("Improving fairness"))
        if ok:
            lo = mid
        else:
            hi = mid - 1
    return float(vals[lo]) if len(vals) else start


def solve(affinity: Any, *, k: int, max_load: Any, min_load: Any = 0, conflicts: Any = None,
          max_probability: float | None = None, fairness: bool = False, seed: int = 0,
          progress: Progress | None = None) -> Plan:
    """Assign exactly k experts to every nomination, maximising total affinity.

    ``affinity`` is a scipy.sparse (nominations x experts) matrix whose stored entries, even
    zeros, are the candidate pairs; ``conflicts`` a sparse boolean matrix of the same shape
    whose true entries are forbidden. ``max_load``/``min_load`` are ints or per-expert arrays.

    Method: min-cost flow (OR-Tools) on source -> nomination (k) -> expert (cap 1 per pair) ->
    sink (min..max load). The b-matching polytope is integral, so the flow optimum is the LP
    optimum; ``lp_bound`` is that optimum plus the worst integer-cost rounding error times
    n*k, a valid upper bound on the LP with the real affinities.

    ``fairness=True``: first maximise the affinity of the worst assigned pair (a bottleneck
    assignment, exact by bisection over flow feasibility), then maximise the total among plans
    whose pairs all reach it. This is the first stage of the max-min programme of PR4A
    (Stelmakh, Shah and Singh 2019) and of FairFlow's goal (Kobren, Saha and McCallum 2019) in
    its tractable form: maximising the worst nomination's *sum* is NP-hard (Garg et al. 2010),
    while the bottleneck keeps the problem a flow and guarantees every nomination at least k
    times the threshold. Then :func:`_raise_worst` lifts the worst nomination's sum by
    exchanges (FairFlow-style) as long as it can, trading a little total affinity (the gap to
    the unrestricted ``lp_bound`` shows how much). With ``max_probability`` only the bottleneck
    stage applies, since exchanges on a sample would shift its marginals.

    ``max_probability=q``: Jecmen et al. (2020). Solve the LP with x_ij <= q (a flow in units of
    1/D, where q = p/D), then sample by dependent rounding so P[pair] equals the LP value; the
    plan carries those ``marginals`` and ``expected_objective``. ``seed`` drives the sampling.
    The connectivity repair is not applied to sampled plans, since it would shift the
    marginals; with q < 1 the sampled plans mix so much that they are connected in practice,
    and ``n_components`` says when one is not.

    Connectivity: deterministic plans go through :func:`_repair_connectivity` (2-swaps that
    keep k and every load, least affinity lost first). If a component cannot be merged (e.g.
    the candidate graph itself is split) the plan reports ``connected=False``.

    Raises InfeasibleAssignment (a ValueError) naming the nominations or experts that cannot be
    served, and ValueError naming the argument for malformed input.
    """
    t0 = time.perf_counter()
    report: Progress = progress if progress is not None else (lambda f, msg: None)
    report(0.0, N_("Checking the input"))
    inst = _prepare(affinity, k, max_load, min_load, conflicts, max_probability)
    D, cap = _denominator(max_probability)
    cost, scale, err = _int_costs(inst.w)
    report(0.05, N_("Solving the assignment (min-cost flow)"))
    ok, units, opt = _flow(inst, None, cost, D, cap)
    if not ok:
        _diagnose(inst, D, cap)
    lp_bound = -opt / (scale * D) + inst.n * inst.k * err
    threshold = None
    if fairness and units.any():
        start = float(inst.w[units > 0].min())
        threshold = _bottleneck(inst, start, D, cap, report)
        keep = inst.w >= threshold
        report(0.85, N_("Maximising total affinity above the fairness threshold"))
        ok, kept_units, _ = _flow(inst, keep, cost, D, cap)
        assert ok, "bottleneck threshold was probed feasible"
        units = np.zeros(len(inst.w), np.int64)
        units[keep] = kept_units
    options: dict[str, Any] = {
        "k": inst.k, "max_probability": max_probability, "fairness": fairness,
        "fair_threshold": threshold, "max_load": _summarise(inst.hi),
        "min_load": _summarise(inst.lo), "cost_scale": scale,
    }
    if D == 1:
        sel = units > 0
        if threshold is not None:
            report(0.87, N_("Raising the worst nomination"))
            sel, moves = _raise_worst(inst, sel, threshold, report)
            options["fair_moves"] = moves
        report(0.9, N_("Checking connectivity"))
        sel, repairs = _repair_connectivity(inst, sel, threshold, report, keep_worst=fairness)
        plan = _build_plan(inst, sel, method="min_cost_flow", options=options, seed=seed,
                           t0=t0, lp_bound=lp_bound, repairs=repairs)
    else:
        report(0.9, N_("Sampling an integral plan"))
        frac = units > 0
        marg = sp.csr_matrix((units[frac] / D, (inst.rows[frac], inst.cols[frac])),
                             shape=(inst.n, inst.m))
        expected = float(np.dot(units, inst.w) / D)
        sel = _dependent_rounding(inst, units, D, np.random.default_rng(seed))
        options["denominator"] = D
        plan = _build_plan(inst, sel, method="min_cost_flow+dependent_rounding",
                           options=options, seed=seed, t0=t0, lp_bound=lp_bound,
                           expected=expected, marginals=marg)
    report(1.0, N_("Done"))
    return plan


def _summarise(arr: np.ndarray) -> int | list[int]:
    return int(arr[0]) if len(arr) and np.all(arr == arr[0]) else arr.tolist()


def greedy(affinity: Any, *, k: int, max_load: Any, min_load: Any = 0, conflicts: Any = None,
           seed: int = 0) -> Plan:
    """Baseline for the benchmark only: take pairs by decreasing affinity while there is room.

    The classic 1/2-approximation for max-weight b-matching. It ignores min_load and may leave
    nominations short of k (``short_nominations``); it computes no bound (``lp_bound`` is NaN).
    """
    t0 = time.perf_counter()
    inst = _prepare(affinity, k, max_load, min_load, conflicts, None)
    order = np.argsort(-inst.w, kind="stable")
    need = [inst.k] * inst.n
    room = inst.hi.tolist()
    rows, cols = inst.rows[order].tolist(), inst.cols[order].tolist()
    take = []
    for t, (r, c) in enumerate(zip(rows, cols)):
        if need[r] and room[c]:
            need[r] -= 1
            room[c] -= 1
            take.append(t)
    sel = np.zeros(len(inst.w), bool)
    sel[order[np.asarray(take, np.int64)]] = True
    return _build_plan(inst, sel, method="greedy", options={"k": inst.k}, seed=seed, t0=t0,
                       lp_bound=math.nan)
