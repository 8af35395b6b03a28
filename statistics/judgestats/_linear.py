"""Sparse two-way (item + judge) weighted least squares, solved on the judge-only
Schur complement (reduced normal equations).

Model: ``y_s = v[item_s] + o[judge_s] + e_s`` with ``Var(e_s) = sigma^2 / w_s`` and
``sum_j o_j = 0``. Eliminating the item values (``v_i = (Y_i - (N o)_i) / W_i``) leaves the
judge system ``S o = b`` with ``S = D_J - N^T D_I^{-1} N`` (a weighted graph Laplacian of
the judge co-scoring graph, null space = constants when the design is connected) and
``b = Y_J - N^T (Y_I / W_I)``. We solve ``(S + c 11^T) o = b`` which is non-singular and
whose solution satisfies ``sum o = 0`` because ``b`` is orthogonal to the constants.
Small systems are factorised densely (Cholesky); large ones use preconditioned
conjugate gradients (Hestenes & Stiefel 1952) with the Jacobi preconditioner, one
sparse product with ``N`` and one with ``N^T`` per iteration, so the cost is linear in
the number of scores.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
from scipy import sparse
from scipy.sparse.linalg import LinearOperator, cg

__all__ = ["TwoWay", "two_way"]


class TwoWay:
    """Reduced two-way system for fixed weights; see module docstring."""

    def __init__(self, ii, jj, w, ni, nj, ridge=0.0):
        self.ni, self.nj = ni, nj
        self.ridge = float(ridge)
        self.ii, self.jj, self.w = ii, jj, w
        self.W_i = np.bincount(ii, w, minlength=ni)
        self.W_j = np.bincount(jj, w, minlength=nj)
        n = sparse.csr_matrix((w, (ii, jj)), shape=(ni, nj))
        n.sum_duplicates()
        self.N = n
        self.NT = n.T.tocsr()
        # diagonal of S: W_j - sum_i N_ij^2 / W_i
        sq = n.copy()
        sq.data = sq.data**2
        self.diag = self.W_j - (sq.T @ (1.0 / self.W_i)) + self.ridge
        # c in (S + c 11^T); not needed when a ridge makes the system non-singular
        self.shift = 0.0 if self.ridge > 0 else float(np.mean(self.W_j)) / nj
        self._chol = None
        self._dense = None

    def rhs(self, y):
        w = self.w
        Y_i = np.bincount(self.ii, w * y, minlength=self.ni)
        Y_j = np.bincount(self.jj, w * y, minlength=self.nj)
        return Y_i, Y_j - self.NT @ (Y_i / self.W_i)

    def matvec(self, o):
        return (
            (self.W_j + self.ridge) * o
            - self.NT @ ((self.N @ o) / self.W_i)
            + self.shift * o.sum()
        )

    def dense(self):
        if self._dense is None:
            a = self.N.multiply(1.0 / self.W_i[:, None]).tocsr()
            s = -(self.NT @ a).toarray()
            s[np.diag_indices_from(s)] += self.W_j + self.ridge
            self._dense = s
        return self._dense

    def solve(self, b, *, solver, tol, maxiter):
        """Return (o, iterations, converged)."""
        nj = self.nj
        if solver == "dense":
            if self._chol is None:
                m = self.dense() + self.shift
                self._chol = sla.cho_factor(m, lower=True, check_finite=False)
            o = sla.cho_solve(self._chol, b, check_finite=False)
            return o - o.mean(), 1, True
        op = LinearOperator((nj, nj), matvec=self.matvec, dtype=np.float64)
        d = self.diag + self.shift
        d = np.where(d > 0, d, 1.0)
        pre = LinearOperator((nj, nj), matvec=lambda x: x / d, dtype=np.float64)
        count = [0]

        def cb(_):
            count[0] += 1

        bnorm = float(np.linalg.norm(b))
        if bnorm == 0.0:
            return np.zeros(nj), 0, True
        o, info = cg(op, b, rtol=tol, atol=0.0, M=pre, maxiter=maxiter, callback=cb)
        return o - o.mean(), count[0], info == 0

    def pinv(self):
        """Moore-Penrose inverse of S (connected design): inv(S + c11') - 11'/(c q^2)."""
        nj = self.nj
        m = self.dense() + self.shift
        inv = sla.cho_solve(sla.cho_factor(m, lower=True), np.eye(nj))
        if self.shift == 0.0:
            return inv
        return inv - 1.0 / (self.shift * nj * nj)

    def item_var_factor(self, cov_o, exact):
        """Diagonal of D^{-1} + A C A^T with A = D^{-1} N (C = cov of offsets / sigma^2).

        ``exact=False`` keeps only the diagonal of C (approximation for large designs).
        """
        a = self.N.multiply(1.0 / self.W_i[:, None]).tocsr()
        out = 1.0 / self.W_i
        if not exact:
            a2 = a.copy()
            a2.data = a2.data**2
            return out + a2 @ cov_o
        chunk = max(1, int(2e7 // max(self.nj, 1)))
        extra = np.empty(self.ni)
        for start in range(0, self.ni, chunk):
            block = a[start : start + chunk]
            t = block @ cov_o
            extra[start : start + chunk] = np.asarray(block.multiply(t).sum(axis=1)).ravel()
        return out + extra


def two_way(ii, jj, y, w, ni, nj, *, solver="auto", tol=1e-12, maxiter=None,
            dense_limit=1500, se="auto", ridge=0.0):
    """Solve the weighted two-way model. Returns a dict with value, offset, fitted,
    residual, var_factor (per item, multiply by sigma^2), iterations, converged,
    solver and se_method."""
    tw = TwoWay(ii, jj, w, ni, nj, ridge)
    if solver == "auto":
        solver = "dense" if nj <= dense_limit else "cg"
    Y_i, b = tw.rhs(y)
    if nj == 1:
        o, its, conv = np.zeros(1), 0, True
    else:
        o, its, conv = tw.solve(b, solver=solver, tol=tol, maxiter=maxiter)
    v = (Y_i - tw.N @ o) / tw.W_i
    fitted = v[ii] + o[jj]
    resid = y - fitted
    var_factor = None
    se_method = "none"
    if se != "none":
        if nj == 1:
            var_factor, se_method = 1.0 / tw.W_i, "exact"
        elif se == "exact" or (se == "auto" and nj <= dense_limit):
            var_factor = tw.item_var_factor(tw.pinv(), exact=True)
            se_method = "exact"
        else:
            d = np.where(tw.diag > 0, tw.diag, np.inf)
            var_factor = tw.item_var_factor(1.0 / d, exact=False)
            se_method = "approximate"
    return {
        "value": v,
        "offset": o,
        "fitted": fitted,
        "residual": resid,
        "var_factor": var_factor,
        "iterations": its,
        "converged": bool(conv),
        "solver": solver,
        "se_method": se_method,
        "system": tw,
    }
