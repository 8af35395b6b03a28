"""Connectivity of the bipartite judge-item design graph."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ._errors import DisconnectedDesignError
from ._validate import ScoreData, validate_scores

__all__ = ["Connectivity", "connectivity"]


@dataclass(frozen=True, eq=False)
class Connectivity:
    """Connected components and overlap of a judging design.

    Attributes
    ----------
    n_items, n_judges, n_scores : int
        Size of the design.
    n_components : int
        Number of connected components of the bipartite judge-item graph.
    item_component, judge_component : numpy.ndarray of int
        Component label (0..n_components-1) of each item and each judge. Components
        are numbered by their smallest item code.
    component_items, component_judges, component_scores : numpy.ndarray of int
        Number of items, judges and scores in each component.
    judges_per_item : numpy.ndarray of int
        Distinct judges who scored each item.
    items_per_judge : numpy.ndarray of int
        Distinct items each judge scored.
    linking_judges_per_item : numpy.ndarray of int
        Judges of each item who also scored at least one other item. Only these judges
        carry information about relative standards; an item whose judges score nothing
        else is calibrated only through its own panel.
    judge_links : numpy.ndarray of int
        For each judge, the number of other judges with whom they share at least one
        item (degree in the judge co-scoring graph).
    judge_max_shared : numpy.ndarray of int
        For each judge, the largest number of items shared with any single other judge.
    connected : bool
        ``n_components == 1``.
    """

    n_items: int
    n_judges: int
    n_scores: int
    n_components: int
    item_component: np.ndarray
    judge_component: np.ndarray
    component_items: np.ndarray
    component_judges: np.ndarray
    component_scores: np.ndarray
    judges_per_item: np.ndarray
    items_per_judge: np.ndarray
    linking_judges_per_item: np.ndarray
    judge_links: np.ndarray
    judge_max_shared: np.ndarray

    @property
    def connected(self) -> bool:
        return self.n_components == 1

    def describe(self, limit: int = 5) -> str:
        """One line per component (first ``limit`` components): items and judges."""
        return describe_components(self.item_component, self.judge_component, limit)


def _ro(a):
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


def components(data: ScoreData) -> tuple[int, np.ndarray, np.ndarray]:
    """Component labels of items and judges (components numbered by smallest item)."""
    ni, nj = data.n_items, data.n_judges
    n = ni + nj
    g = sparse.csr_matrix(
        (np.ones(data.n_scores, dtype=np.int8), (data.item, ni + data.judge)), shape=(n, n)
    )
    ncomp, labels = connected_components(g, directed=False)
    # renumber by first appearance in item order, then judges (deterministic, readable)
    first = np.full(ncomp, n, dtype=np.int64)
    np.minimum.at(first, labels, np.arange(n))
    order = np.argsort(first, kind="stable")
    relabel = np.empty(ncomp, dtype=np.int64)
    relabel[order] = np.arange(ncomp)
    labels = relabel[labels]
    return int(ncomp), labels[:ni], labels[ni:]


def describe_components(item_component, judge_component, limit: int = 5) -> str:
    ncomp = int(max(item_component.max(initial=-1), judge_component.max(initial=-1))) + 1
    lines = []
    for c in range(min(ncomp, limit)):
        items = np.flatnonzero(item_component == c)
        judges = np.flatnonzero(judge_component == c)

        def show(codes):
            s = ", ".join(str(int(x)) for x in codes[:8])
            return s + (", ..." if codes.size > 8 else "")

        lines.append(
            f"component {c}: {items.size} items [{show(items)}], "
            f"{judges.size} judges [{show(judges)}]"
        )
    if ncomp > limit:
        lines.append(f"... and {ncomp - limit} more components")
    return "; ".join(lines)


def raise_if_disconnected(data: ScoreData, method: str) -> tuple[int, np.ndarray, np.ndarray]:
    ncomp, ic, jc = components(data)
    if ncomp > 1:
        raise DisconnectedDesignError(
            f"the judge-item design is disconnected ({ncomp} components), so method "
            f"{method!r} cannot compare judges or items across components: "
            f"{describe_components(ic, jc)}. Add judges who score items in several "
            "components, or pass within_components=True to calibrate each component "
            "separately (values are then comparable only within a component)",
            n_components=ncomp,
            item_component=ic,
            judge_component=jc,
        )
    return ncomp, ic, jc


def connectivity(item, judge, *, n_items=None, n_judges=None) -> Connectivity:
    """Connected components and overlap of the bipartite judge-item graph.

    Parameters
    ----------
    item, judge : array_like of int, shape (n_scores,)
        Item and judge code of every score (codes 0..n-1, every code scored at least once).
    n_items, n_judges : int, optional
        Number of items and judges; inferred as ``max(code) + 1`` when omitted.

    Returns
    -------
    Connectivity
        Components (labels and sizes) and overlap measures; see :class:`Connectivity`.

    Notes
    -----
    Items and judges are the two node sets of a bipartite graph with one edge per score.
    Judge effects of an additive model are identified, up to one constant per component,
    exactly when the graph is connected (Fisher's connectedness of incomplete block
    designs; MacKay et al. 2017, section 2). Components come from
    :func:`scipy.sparse.csgraph.connected_components`. The overlap measures tell the
    assignment step how strongly panels are linked: a design is better calibrated
    when every item has linking judges and judges share items with many others.

    References
    ----------
    .. [1] R. S. MacKay, R. Kenna, R. J. Low, S. Parker (2017). Calibration with
       confidence: a principled method for panel assessment. R. Soc. Open Sci. 4:160760.
    .. [2] A. Dey (1986). Theory of Block Designs. Wiley (connectedness of block
       designs).

    Examples
    --------
    >>> import judgestats
    >>> c = judgestats.connectivity([0, 0, 1, 1, 2], [0, 1, 1, 2, 3])
    >>> c.n_components, c.item_component.tolist(), c.judge_component.tolist()
    (2, [0, 0, 1], [0, 0, 0, 1])
    """
    score = np.zeros(np.shape(item)[0] if np.ndim(item) >= 1 else 0)
    data = validate_scores(item, judge, score, n_items=n_items, n_judges=n_judges)
    ncomp, ic, jc = components(data)
    ni, nj = data.n_items, data.n_judges
    b = sparse.csr_matrix(
        (np.ones(data.n_scores), (data.item, data.judge)), shape=(ni, nj)
    )
    b.sum_duplicates()
    b.data[:] = 1.0
    judges_per_item = np.diff(b.indptr).astype(np.int64)
    bc = b.tocsc()
    items_per_judge = np.diff(bc.indptr).astype(np.int64)
    linking = b @ (items_per_judge >= 2).astype(np.float64)
    co = (bc.T @ b).tocsr()  # judge x judge shared-item counts
    co.setdiag(0)
    co.eliminate_zeros()
    judge_links = np.diff(co.indptr).astype(np.int64)
    judge_max_shared = np.zeros(nj, dtype=np.int64)
    if co.nnz:
        rows = np.repeat(np.arange(nj), np.diff(co.indptr))
        np.maximum.at(judge_max_shared, rows, co.data.astype(np.int64))
    return Connectivity(
        n_items=ni,
        n_judges=nj,
        n_scores=data.n_scores,
        n_components=ncomp,
        item_component=_ro(ic),
        judge_component=_ro(jc),
        component_items=_ro(np.bincount(ic, minlength=ncomp)),
        component_judges=_ro(np.bincount(jc, minlength=ncomp)),
        component_scores=_ro(np.bincount(ic[data.item], minlength=ncomp)),
        judges_per_item=_ro(judges_per_item),
        items_per_judge=_ro(items_per_judge),
        linking_judges_per_item=_ro(np.rint(linking).astype(np.int64)),
        judge_links=_ro(judge_links),
        judge_max_shared=_ro(judge_max_shared),
    )
