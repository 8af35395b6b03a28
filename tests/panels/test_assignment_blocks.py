"""Tests of panel (block) mode: one panel per nomination, chained overlapping panels, no conflicts."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from judging.panels.assignment import InfeasibleAssignment
from judging.panels.blocks import BlockPlan, _objective, _pick_blocks, solve_blocks


def instance(n, m, seed, density=0.3, conflict_rate=0.05):
    A = sp.random(n, m, density=density, random_state=seed, format="csr")
    C = sp.random(n, m, density=conflict_rate, random_state=seed + 1, format="csr").astype(bool)
    return A, C


def check_blocks(bp: BlockPlan, A, C, panel_size, P, overlap=1):
    n, m = A.shape
    assert len(bp.panels) == P
    for panel in bp.panels:
        assert len(panel) == panel_size == len(np.unique(panel))
    # consecutive panels overlap, so the union graph is connected
    assert np.all(bp.overlaps >= overlap)
    for p in range(P - 1):
        assert len(np.intersect1d(bp.panels[p], bp.panels[p + 1])) == bp.overlaps[p]
    assert bp.connected and bp.n_components == 1
    # every nomination in exactly one block; blocks balanced
    assert bp.block.shape == (n,) and set(np.unique(bp.block)) <= set(range(P))
    sizes = np.bincount(bp.block, minlength=P)
    assert sizes.max() - sizes.min() <= 1 and sizes.sum() == n
    assert sum(len(b) for b in bp.blocks) == n
    # pairs = block x panel, none conflicted
    expected = {(i, int(j)) for i in range(n) for j in bp.panels[bp.block[i]]}
    assert set(map(tuple, bp.pairs.tolist())) == expected and len(bp.pairs) == len(expected)
    if C is not None:
        assert not C.toarray()[bp.pairs[:, 0], bp.pairs[:, 1]].any()
    Ad = A.toarray()
    assert bp.objective == pytest.approx(Ad[bp.pairs[:, 0], bp.pairs[:, 1]].sum())
    assert bp.worst_nomination_affinity == pytest.approx(bp.nomination_affinity.min())
    # an expert sits on at most two panels (its own and a bridge neighbour)
    on = np.bincount(np.concatenate(bp.panels), minlength=m)
    assert on.max() <= 2


@pytest.mark.parametrize("P, size, overlap", [(6, 7, 1), (4, 5, 2), (2, 3, 1), (1, 4, 1)])
def test_panels_overlap_and_cover(P, size, overlap):
    A, C = instance(90, 50, 3, conflict_rate=0.01)
    bp = solve_blocks(A, panel_size=size, n_panels=P, conflicts=C, overlap=overlap, seed=2)
    check_blocks(bp, A, C, size, P, overlap)


def test_block_size_and_local_optimality():
    A, C = instance(100, 60, 8)
    bp = solve_blocks(A, panel_size=6, block_size=25, conflicts=C, seed=0)
    check_blocks(bp, A, C, 6, 4)
    # Blocks are optimal for the panels returned (the last alternating step is exact).
    again = _pick_blocks(A.tocsr(), sp.csr_matrix(C, dtype=float), list(bp.panels), 4)
    assert _objective(A.tocsr(), list(bp.panels), again).sum() == pytest.approx(bp.objective)
    # ... and at least as good as the first (spectral) cut with its best panels.
    one = solve_blocks(A, panel_size=6, block_size=25, conflicts=C, seed=0, restarts=1,
                       max_rounds=1)
    assert bp.objective >= one.objective - 1e-9


def test_deterministic_for_a_seed():
    A, C = instance(60, 40, 4)
    a = solve_blocks(A, panel_size=5, n_panels=3, conflicts=C, seed=7)
    b = solve_blocks(A, panel_size=5, n_panels=3, conflicts=C, seed=7)
    assert np.array_equal(a.pairs, b.pairs)


def test_too_few_experts():
    A, _ = instance(30, 10, 1)
    with pytest.raises(InfeasibleAssignment, match="need 13 distinct experts, the pool has 10"):
        solve_blocks(A, panel_size=5, n_panels=3)


def test_conflicts_leave_no_panel():
    A = sp.csr_matrix(np.ones((6, 4)))
    C = sp.lil_matrix((6, 4), dtype=bool)
    C[0, :3] = True  # nomination 0 conflicts with 3 of the 4 experts
    with pytest.raises(InfeasibleAssignment, match="most conflicted nominations are 0"):
        solve_blocks(A, panel_size=2, n_panels=2, conflicts=C.tocsr(), overlap=1)


@pytest.mark.parametrize("kwargs, word", [
    (dict(n_panels=2, block_size=3), "exactly one"),
    (dict(), "exactly one"),
    (dict(n_panels=0), "n_panels"),
    (dict(n_panels=99), "n_panels"),
    (dict(n_panels=2, panel_size=0), "panel_size"),
    (dict(n_panels=3, panel_size=3, overlap=2), "panel_size"),
    (dict(n_panels=2, conflicts=sp.csr_matrix((2, 2))), "conflicts"),
])
def test_bad_arguments(kwargs, word):
    A = sp.csr_matrix(np.ones((10, 12)))
    args = dict(panel_size=4) | kwargs
    with pytest.raises(ValueError, match=word):
        solve_blocks(A, **args)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 30), P=st.integers(1, 4), size=st.integers(2, 5),
       seed=st.integers(0, 1000))
def test_property_valid_plans(n, P, size, seed):
    P = min(P, n)
    if P > 2 and size < 2:
        return
    m = P * size + 3
    A, C = instance(n, m, seed, density=0.5, conflict_rate=0.02)
    try:
        bp = solve_blocks(A, panel_size=size, n_panels=P, conflicts=C, seed=seed, restarts=2)
    except InfeasibleAssignment:
        return
    check_blocks(bp, A, C, size, P)


def test_fairness_block_step_is_max_min_for_its_panels():
    from judging.panels.blocks import _transport

    A, C = instance(80, 40, 12, density=0.15, conflict_rate=0.02)
    bp = solve_blocks(A, panel_size=5, n_panels=4, conflicts=C, seed=1, fairness=True)
    check_blocks(bp, A, C, 5, 4)
    assert bp.options["fairness"] is True
    # For these panels no balanced, conflict-free split lifts every nomination above the worst.
    n, m = A.shape
    P = 4
    M = np.zeros((m, P))
    for p, panel in enumerate(bp.panels):
        M[panel, p] = 1
    U = A.toarray() @ M
    allowed = (C.toarray().astype(float) @ M) == 0
    above = allowed & (U > bp.worst_nomination_affinity + 1e-12)
    lo, hi = np.full(P, n // P), np.full(P, -(-n // P))
    assert _transport(U, above, np.ones(n, np.int64), lo, hi) is None
