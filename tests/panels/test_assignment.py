"""Tests of the assignment solver: feasibility, LP optimality, fairness, randomisation, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from judging.panels.assignment import InfeasibleAssignment, Plan, greedy, solve


def random_instance(n, m, density, seed, conflict_rate=0.05, zeros=False):
    rng = np.random.default_rng(seed)
    mask = rng.random((n, m)) < density
    vals = rng.random((n, m)).round(3)
    if zeros:
        vals[rng.random((n, m)) < 0.2] = 0.0
    r, c = np.nonzero(mask)
    A = sp.csr_matrix((vals[r, c], (r, c)), shape=(n, m))
    C = sp.csr_matrix(rng.random((n, m)) < conflict_rate)
    return A, C


def candidates(A, C):
    A = sp.coo_matrix(A)
    conf = set()
    if C is not None:
        cc = sp.coo_matrix(C)
        conf = {(int(i), int(j)) for i, j, v in zip(cc.row, cc.col, cc.data) if v}
    keep = [t for t, (i, j) in enumerate(zip(A.row, A.col)) if (int(i), int(j)) not in conf]
    return A.row[keep], A.col[keep], A.data[keep]


def lp_optimum(A, C, k, hi, lo=0, cap=1.0, threshold=None):
    """Independent LP of the b-matching with scipy's HiGHS; None if infeasible."""
    n, m = A.shape
    r, c, w = candidates(A, C)
    if threshold is not None:
        keep = w >= threshold
        r, c, w = r[keep], c[keep], w[keep]
    E = len(w)
    if E == 0:
        return None
    idx = np.arange(E)
    A_eq = sp.csr_matrix((np.ones(E), (r, idx)), shape=(n, E))
    load = sp.csr_matrix((np.ones(E), (c, idx)), shape=(m, E))
    hi = np.broadcast_to(hi, (m,)).astype(float)
    lo = np.broadcast_to(lo, (m,)).astype(float)
    res = linprog(-w, A_ub=sp.vstack([load, -load]), b_ub=np.concatenate([hi, -lo]),
                  A_eq=A_eq, b_eq=np.full(n, float(k)), bounds=(0, cap), method="highs")
    if res.status == 2:
        return None
    assert res.status == 0, res.message
    return -res.fun


def check_plan(plan: Plan, A, C, k, hi, lo=0):
    n, m = A.shape
    pairs = plan.pairs
    assert pairs.dtype.kind == "i" and pairs.shape == (n * k, 2)
    # sorted, distinct
    keys = pairs[:, 0] * m + pairs[:, 1]
    assert np.all(np.diff(keys) > 0)
    # candidates only, none conflicted
    r, c, w = candidates(A, C)
    cand = set(zip(r.tolist(), c.tolist()))
    assert all((int(i), int(j)) in cand for i, j in pairs)
    if C is not None:
        Cd = sp.csr_matrix(C).toarray()
        assert not Cd[pairs[:, 0], pairs[:, 1]].any()
    # exactly k distinct experts per nomination
    assert np.all(np.bincount(pairs[:, 0], minlength=n) == k)
    loads = np.bincount(pairs[:, 1], minlength=m)
    assert np.all(loads <= np.broadcast_to(hi, (m,)))
    assert np.all(loads >= np.broadcast_to(lo, (m,)))
    assert np.array_equal(loads, plan.loads)
    Ad = sp.csr_matrix(A).toarray()
    assert plan.objective == pytest.approx(Ad[pairs[:, 0], pairs[:, 1]].sum(), rel=1e-12)
    sums = np.bincount(pairs[:, 0], weights=Ad[pairs[:, 0], pairs[:, 1]], minlength=n)
    np.testing.assert_allclose(plan.nomination_affinity, sums)
    assert plan.worst_nomination_affinity == pytest.approx(sums.min())
    if plan.marginals is None:
        assert plan.objective <= plan.lp_bound + 1e-9
    assert plan.expected_objective <= plan.lp_bound + 1e-9
    co = {}
    for i in range(n):
        js = pairs[pairs[:, 0] == i, 1]
        for j in js:
            co.setdefault(int(j), set()).update(int(x) for x in js if x != j)
    if co:
        assert plan.min_coreviewers == min(len(v) for v in co.values())


# --------------------------------------------------------------------------- optimality


@pytest.mark.parametrize("seed", range(6))
def test_objective_equals_lp_optimum(seed):
    A, C = random_instance(40, 15, 0.7, seed)
    k, hi, lo = 3, 10, 5
    plan = solve(A, k=k, max_load=hi, min_load=lo, conflicts=C)
    check_plan(plan, A, C, k, hi, lo)
    opt = lp_optimum(A, C, k, hi, lo)
    assert plan.objective == pytest.approx(opt, rel=1e-7, abs=1e-7)
    assert plan.lp_bound == pytest.approx(opt, rel=1e-6)
    assert plan.gap < 1e-6
    assert plan.connected and plan.n_components == 1


def test_per_expert_caps_and_stored_zeros_are_candidates():
    # Every nomination's only candidates are stored zeros plus one expert: zeros must be usable.
    n, m, k = 6, 4, 2
    rows, cols, vals = [], [], []
    for i in range(n):
        for j in range(m):
            rows.append(i)
            cols.append(j)
            vals.append(1.0 if j == 0 else 0.0)
    A = sp.csr_matrix((vals, (rows, cols)), shape=(n, m))
    assert A.nnz == n * m
    hi = np.array([6, 2, 2, 2])
    plan = solve(A, k=k, max_load=hi)
    check_plan(plan, A, None, k, hi)
    assert plan.loads[0] == 6
    assert plan.objective == pytest.approx(6.0)


def test_dense_array_accepted_and_progress_reported():
    A, _ = random_instance(10, 6, 1.0, 3)
    seen = []
    plan = solve(A.toarray(), k=2, max_load=5, progress=lambda f, msg: seen.append((f, msg)))
    check_plan(plan, A, None, 2, 5)
    fracs = [f for f, _ in seen]
    assert fracs[0] == 0.0 and fracs[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in fracs)
    assert all(isinstance(msg, str) and msg for _, msg in seen)


def test_balanced_caps_give_spread_at_most_one():
    A, C = random_instance(60, 20, 0.6, 11)
    # 60 * 5 / 20 = 15 per expert exactly
    plan = solve(A, k=5, max_load=16, min_load=14, conflicts=C)
    check_plan(plan, A, C, 5, 16, 14)
    assert plan.load_spread <= 2


def test_greedy_is_feasible_baseline_and_not_better():
    A, C = random_instance(50, 20, 0.5, 5)
    g = greedy(A, k=3, max_load=10, conflicts=C)
    s = solve(A, k=3, max_load=10, conflicts=C)
    assert g.method == "greedy" and math.isnan(g.lp_bound)
    assert g.objective <= s.objective + 1e-9
    counts = np.bincount(g.pairs[:, 0], minlength=50)
    assert np.all(counts <= 3)
    assert g.short_nominations == int(np.sum(counts < 3))


# --------------------------------------------------------------------------- fairness


@pytest.mark.parametrize("seed", range(4))
def test_fairness_maximises_worst_pair_then_total(seed):
    A, C = random_instance(30, 12, 0.8, 100 + seed)
    k, hi = 3, 9
    base = solve(A, k=k, max_load=hi, conflicts=C)
    fair = solve(A, k=k, max_load=hi, conflicts=C, fairness=True)
    check_plan(fair, A, C, k, hi)
    t = fair.options["fair_threshold"]
    assert fair.worst_pair_affinity >= t >= base.worst_pair_affinity
    # No plan has all pairs strictly above the threshold...
    r, c, w = candidates(A, C)
    above = np.unique(w[w > t])
    if len(above):
        assert lp_optimum(A, C, k, hi, threshold=above[0]) is None
    # ... and among plans at the threshold, the total is optimal.
    assert fair.objective == pytest.approx(lp_optimum(A, C, k, hi, threshold=t), rel=1e-7)
    # The bound is the unrestricted one: the gap is the price of fairness.
    assert fair.lp_bound == pytest.approx(base.lp_bound)
    assert fair.worst_nomination_affinity >= k * t - 1e-9


def maxmin_milp(A, C, k, hi, threshold):
    """Exact max-min per-nomination sum (MILP, tiny instances only) over pairs >= threshold."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n, m = A.shape
    r, c, w = candidates(A, C)
    keep = w >= threshold
    r, c, w = r[keep], c[keep], w[keep]
    E = len(w)
    idx = np.arange(E)
    # variables: x (E binaries), t (continuous); maximise t
    eq = sp.csr_matrix((np.ones(E), (r, idx)), shape=(n, E + 1))
    load = sp.csr_matrix((np.ones(E), (c, idx)), shape=(m, E + 1))
    fair = sp.hstack([sp.csr_matrix((w, (r, idx)), shape=(n, E)), -np.ones((n, 1))])
    res = milp(np.r_[np.zeros(E), -1.0],
               constraints=[LinearConstraint(eq, k, k), LinearConstraint(load, 0, hi),
                            LinearConstraint(fair, 0, np.inf)],
               integrality=np.r_[np.ones(E), 0], bounds=Bounds(0, np.r_[np.ones(E), np.inf]))
    assert res.status == 0
    return -res.fun


def test_fairness_raises_worst_nomination_sum():
    improved = 0
    for seed in range(25):
        A, C = random_instance(14, 8, 0.9, 300 + seed, conflict_rate=0.05)
        k, hi = 3, 6
        try:
            fair = solve(A, k=k, max_load=hi, conflicts=C, fairness=True)
        except InfeasibleAssignment:
            continue
        check_plan(fair, A, C, k, hi)
        t = fair.options["fair_threshold"]
        # the max-total plan among pairs >= t, before the max-min exchanges
        At = sp.csr_matrix(A.multiply(A >= t))
        At.eliminate_zeros()
        stage2 = solve(At, k=k, max_load=hi, conflicts=C)
        assert fair.worst_nomination_affinity >= stage2.worst_nomination_affinity - 1e-9
        assert fair.worst_pair_affinity >= t
        improved += fair.worst_nomination_affinity > stage2.worst_nomination_affinity + 1e-9
        # never above the exact max-min optimum
        assert fair.worst_nomination_affinity <= maxmin_milp(A, C, k, hi, t) + 1e-9
    assert improved >= 3


# ------------------------------------------------------------------------ randomisation


def test_randomised_respects_cap_and_matches_lp_marginals():
    A, C = random_instance(12, 8, 1.0, 7, conflict_rate=0.05)
    k, hi, q = 2, 5, 0.4
    seeds = 400
    first = solve(A, k=k, max_load=hi, conflicts=C, max_probability=q, seed=0)
    X = first.marginals.toarray()
    assert X.max() <= q + 1e-12
    # The fractional solution is the optimum of the capped LP.
    assert first.expected_objective == pytest.approx(lp_optimum(A, C, k, hi, cap=q), rel=1e-7)
    assert first.lp_bound >= first.expected_objective - 1e-9
    counts = np.zeros(A.shape)
    for s in range(seeds):
        plan = first if s == 0 else solve(A, k=k, max_load=hi, conflicts=C,
                                           max_probability=q, seed=s)
        check_plan_random(plan, A, C, k, hi)
        counts[plan.pairs[:, 0], plan.pairs[:, 1]] += 1
    freq = counts / seeds
    # Binomial tolerance: 4 standard deviations of a frequency whose probability is x (<= q).
    tol_cap = 4 * math.sqrt(q * (1 - q) / seeds)
    assert freq.max() <= q + tol_cap
    sd = np.sqrt(np.maximum(X * (1 - X), 1e-12) / seeds)
    assert np.all(np.abs(freq - X) <= 4.5 * sd + 1e-9), np.abs(freq - X).max()
    # Pairs outside the support of the LP solution never appear.
    assert np.all(freq[X == 0] == 0)
    # Different seeds give different plans.
    assert len({solve(A, k=k, max_load=hi, conflicts=C, max_probability=q, seed=s)
                .pairs.tobytes() for s in range(5)}) > 1


def check_plan_random(plan, A, C, k, hi):
    n, m = A.shape
    assert np.all(np.bincount(plan.pairs[:, 0], minlength=n) == k)
    assert np.all(plan.loads <= hi)
    Cd = C.toarray()
    assert not Cd[plan.pairs[:, 0], plan.pairs[:, 1]].any()
    Ad = A.toarray()
    assert A[plan.pairs[:, 0], plan.pairs[:, 1]].A.ravel().size == len(plan.pairs)
    assert plan.objective == pytest.approx(Ad[plan.pairs[:, 0], plan.pairs[:, 1]].sum())


def test_randomised_with_uneven_fraction_and_min_load():
    A, C = random_instance(30, 12, 1.0, 21, conflict_rate=0.02)
    plan = solve(A, k=3, max_load=10, min_load=6, conflicts=C, max_probability=1 / 3, seed=5)
    check_plan(plan, A, C, 3, 10, 6)
    assert plan.marginals.max() <= 1 / 3 + 1e-12
    assert plan.options["denominator"] == 3


# ------------------------------------------------------------------------- connectivity


def two_communities(n_half=10, m_half=5, k=2, cross=True):
    """Strong affinity inside two halves, weak candidate pairs across (if cross)."""
    n, m = 2 * n_half, 2 * m_half
    rows, cols, vals = [], [], []
    for i in range(n):
        for j in range(m):
            same = (i < n_half) == (j < m_half)
            if same:
                rows.append(i), cols.append(j), vals.append(1.0 + 0.01 * ((i * 7 + j) % 5))
            elif cross:
                rows.append(i), cols.append(j), vals.append(0.1)
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, m)), k, n_half * k // m_half


def test_disconnected_optimum_is_repaired_by_swap():
    A, k, load = two_communities()
    plan = solve(A, k=k, max_load=load, min_load=load)
    check_plan(plan, A, None, k, load, load)
    assert plan.n_components == 1 and plan.connected
    assert plan.repairs >= 1
    # One swap costs two strong pairs for two weak ones; the gap says so.
    assert plan.objective < plan.lp_bound
    assert plan.lp_bound - plan.objective <= 2 * (1.04 - 0.1) + 1e-9


def test_split_candidate_graph_is_reported_not_hidden():
    A, k, load = two_communities(cross=False)
    plan = solve(A, k=k, max_load=load)
    check_plan(plan, A, None, k, load)
    assert plan.n_components == 2 and not plan.connected
    assert plan.gap < 1e-6


# ------------------------------------------------------------------------- bad input


def test_infeasible_too_few_candidates_names_rows():
    n, m, k = 50, 10, 5
    A = sp.lil_matrix((n, m))
    for i in range(n):
        for j in range(m if i not in (12, 40) else 3):
            A[i, j] = 1.0
    with pytest.raises(InfeasibleAssignment) as ei:
        solve(A.tocsr(), k=k, max_load=n)
    msg = str(ei.value)
    assert "nominations 12, 40" in msg and "only 3" in msg and "k=5" in msg
    assert list(ei.value.nominations) == [12, 40]


def test_infeasible_conflicts_count_against_candidates():
    A = sp.csr_matrix(np.ones((4, 4)))
    C = sp.lil_matrix((4, 4), dtype=bool)
    C[2, 0] = C[2, 1] = True
    with pytest.raises(InfeasibleAssignment, match=r"nominations 2 .*only 2 non-conflicted"):
        solve(A, k=3, max_load=4, conflicts=C.tocsr())


def test_infeasible_total_capacity():
    A = sp.csr_matrix(np.ones((100, 19)))
    with pytest.raises(InfeasibleAssignment, match="needs 500 expert slots, caps allow 475"):
        solve(A, k=5, max_load=25)


def test_infeasible_hall_violation_names_the_group():
    # Nominations 0-5 may only go to experts 0-1 (cap 4 each): 12 slots needed, 8 allowed.
    n, m = 20, 6
    A = sp.lil_matrix((n, m))
    for i in range(n):
        for j in (range(2) if i < 6 else range(m)):
            A[i, j] = 1.0
    with pytest.raises(InfeasibleAssignment) as ei:
        solve(A.tocsr(), k=2, max_load=np.array([4, 4, 20, 20, 20, 20]))
    msg = str(ei.value)
    assert "nominations 0, 1, 2, 3, 4, 5" in msg and "need 12" in msg and "at most 8" in msg


def test_infeasible_min_load():
    A = sp.csr_matrix(np.ones((10, 5)))
    with pytest.raises(InfeasibleAssignment, match="min_load requires 25 expert slots but only 20"):
        solve(A, k=2, max_load=10, min_load=5)
    B = sp.lil_matrix((10, 5))
    B[:, :4] = 1.0
    B[0, 4] = 1.0
    with pytest.raises(InfeasibleAssignment, match="experts 4"):
        solve(B.tocsr(), k=2, max_load=10, min_load=np.array([0, 0, 0, 0, 3]))


def test_probability_cap_needs_more_candidates():
    A = sp.csr_matrix(np.ones((5, 6)))
    with pytest.raises(InfeasibleAssignment, match="need 8"):
        solve(A, k=4, max_load=5, max_probability=0.5)


@pytest.mark.parametrize("kwargs, word", [
    (dict(k=-1), "k"),
    (dict(k=0), "k"),
    (dict(k=2.0), "k"),
    (dict(max_load=np.array([3, 3])), "max_load"),
    (dict(max_load=-1), "max_load"),
    (dict(min_load=5), "min_load"),
    (dict(conflicts=sp.csr_matrix((3, 4), dtype=bool)), "conflicts"),
    (dict(max_probability=0.0), "max_probability"),
    (dict(max_probability=1.5), "max_probability"),
])
def test_bad_arguments_named(kwargs, word):
    A = sp.csr_matrix(np.ones((4, 3)))
    args = dict(k=1, max_load=3) | kwargs
    with pytest.raises(ValueError, match=word) as ei:
        solve(A, **args)
    assert not isinstance(ei.value, InfeasibleAssignment)


def test_nan_affinity_rejected():
    A = sp.csr_matrix(np.array([[1.0, np.nan], [0.5, 0.2]]))
    with pytest.raises(ValueError, match="affinity.*NaN.*nominations 0"):
        solve(A, k=1, max_load=2)
    with pytest.raises(ValueError, match="affinity"):
        solve([[1, 2]], k=1, max_load=2)


# ----------------------------------------------------------------------- property test


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 12), m=st.integers(1, 8), k=st.integers(1, 3),
       density=st.floats(0.3, 1.0), hi=st.integers(1, 8), lo=st.integers(0, 3),
       seed=st.integers(0, 10_000))
def test_property_matches_linprog(n, m, k, density, hi, lo, seed):
    lo = min(lo, hi)
    A, C = random_instance(n, m, density, seed, conflict_rate=0.1, zeros=True)
    opt = lp_optimum(A, C, k, hi, lo)
    if opt is None:
        with pytest.raises(InfeasibleAssignment):
            solve(A, k=k, max_load=hi, min_load=lo, conflicts=C)
        return
    plan = solve(A, k=k, max_load=hi, min_load=lo, conflicts=C)
    check_plan(plan, A, C, k, hi, lo)
    # Connectivity repair may trade a little affinity; otherwise the LP optimum is reached.
    if plan.repairs == 0:
        assert plan.objective == pytest.approx(opt, rel=1e-7, abs=1e-7)
    assert plan.lp_bound == pytest.approx(opt, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("seed", range(8))
def test_maxflow_feasibility_agrees_with_cost_flow(seed):
    from judging.panels.assignment import _denominator, _feasible, _flow, _prepare

    A, C = random_instance(20, 8, 0.8, 500 + seed)
    rng = np.random.default_rng(seed)
    lo = rng.integers(0, 6, 8)
    for q in (None, 0.5):
        inst = _prepare(A, 2, 9, lo, C, q)
        D, cap = _denominator(q)
        for t in np.quantile(inst.w, [0.0, 0.2, 0.4, 0.6]):
            keep = inst.w >= t
            assert _feasible(inst, keep, D, cap) == _flow(inst, keep, None, D, cap)[0]


def test_empty_instances():
    for fairness in (False, True):
        plan = solve(sp.csr_matrix((0, 5)), k=2, max_load=3, fairness=fairness)
        assert plan.pairs.shape == (0, 2) and plan.objective == 0.0 and plan.n_components == 0
    with pytest.raises(InfeasibleAssignment, match="nominations 0, 1, 2 .*only 0"):
        solve(sp.csr_matrix((3, 0)), k=2, max_load=3)
