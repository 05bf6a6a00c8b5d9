r"""An explicit check for (quasi-)complete separation, a linear programme.

The maximum-likelihood estimate of the softmax model is finite if and only
if no direction ``d ≠ 0`` (contrasts ``d_k`` against a reference class,
``d_r = 0``) satisfies

.. math:: (d_{y_n} - d_k)^\top x̃_n \ge 0 \quad \text{for every sample } n
          \text{ (of positive weight) and class } k ≠ y_n,

with at least one strict inequality: along such a ``d`` the likelihood keeps
increasing, and a fit stops at finite but meaningless coefficients (an
eigenvalue of the information matrix does not show it). The check maximises
the sum of the margins over the box ``‖d‖_∞ ≤ 1``: a positive maximum is a
separating direction (Konis's linear programme, for the multinomial case).
It has ``N (K − 1)`` sparse constraints of ``2 (M + 1)`` entries each, and
runs for in-memory input up to :data:`MAX_ENTRIES` of them.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

#: Nonzeros of the constraint matrix above which the check is skipped.
MAX_ENTRIES = 5 * 10**6


def _constraints(X, y: np.ndarray, K: int, fit_intercept: bool) -> sp.csr_matrix:
    """Rows ``a_{n,k}`` with ``a_{n,k}ᵀ d = (d_{y_n} − d_k)ᵀ x̃_n`` (``d_0 = 0``)."""
    Xt = sp.csr_matrix(X, dtype=np.float64)
    if fit_intercept:
        Xt = sp.hstack([Xt, np.ones((Xt.shape[0], 1))], format="csr")
    Mp = Xt.shape[1]
    rows = []
    for j in range(K):
        Xj = Xt[y == j]
        if Xj.shape[0] == 0:
            continue
        empty = sp.csr_matrix((Xj.shape[0], Mp))
        for k in range(K):
            if k != j:
                blocks = [empty] * K
                blocks[j], blocks[k] = Xj, -Xj
                rows.append(sp.hstack(blocks[1:], format="csr"))
    return sp.vstack(rows, format="csr")


def separated(X, y: np.ndarray, K: int, fit_intercept: bool) -> bool | None:
    """Whether the samples are (quasi-)completely separated; ``None`` if too big.

    ``X`` (``N × M``, dense or sparse) holds the rows of positive weight,
    ``y`` their class indices.
    """
    nnz = X.nnz if sp.issparse(X) else X.size
    if 2 * (K - 1) * (nnz + X.shape[0]) > MAX_ENTRIES:
        return None
    A = _constraints(X, y, K, fit_intercept)
    c = -np.asarray(A.sum(axis=0)).ravel()
    res = linprog(c, A_ub=-A, b_ub=np.zeros(A.shape[0]), bounds=(-1, 1), method="highs")
    if res.status != 0:
        return None
    margins = A @ res.x
    size = np.asarray(abs(A).sum(axis=1)).ravel() + 1e-300
    tol = 1e-7
    return bool(np.all(margins >= -tol * size) and np.any(margins > 1e3 * tol * size))
