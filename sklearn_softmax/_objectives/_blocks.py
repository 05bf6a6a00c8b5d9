"""Blocks of samples: views of ``X`` and their products.

The helpers of :mod:`._numpy` (and of the objectives of the optional
edges): how ``X`` (``M × N``, features by samples) is cut into column blocks
that share its memory, the two products every block needs, the protocol of a
Hessian-vector product that also gives the Hessian's diagonal, and a block's
whole Hessian (for the out-of-core Newton steps of ``partial_fit``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, cast

import numpy as np
import scipy.sparse as sp

from .._core import _logits
from .._core._kernel import softmax_columns
from ._targets import subtract_targets
from ._threads import available_cpus

# Bytes of X per block: large enough that the per-block numpy overhead is
# small, small enough that the block stays in cache between the two products
# (measured: docs/performance.rst, "Measured design choices", "Block size").
_BLOCK_BYTES = 8 * 2**20
_MIN_BLOCK = 256


def _balanced_block_size(n_samples: int, block_size: int) -> int:
    """Shrink ``block_size`` so that the blocks share out evenly on the cores.

    With more than one block, their number is rounded up to a multiple of the
    available cores (5 blocks on 2 cores would leave one core idle for the
    last), and the samples are spread evenly over them.
    """
    n_blocks = -(-n_samples // max(block_size, 1))
    if n_blocks <= 1:
        return max(n_samples, 1)
    cpus = available_cpus()
    n_blocks = -(-n_blocks // cpus) * cpus
    return -(-n_samples // n_blocks)


def row_blocks(X, n_classes: int, block_size: int | None = None) -> list[slice]:
    """The blocks of samples of ``X`` (``M × N``): slices of its columns.

    ``block_size`` samples each, or by default as many as keep a block's
    ``X`` (or its ``K × N_b`` logits) near :data:`_BLOCK_BYTES`, shared out
    evenly on the cores. Sparse ``X`` other than CSC is one block: its
    column slices would cost a pass over all of it.
    """
    n_samples = X.shape[1]
    if block_size is None:
        row = X.nnz // max(n_samples, 1) if sp.issparse(X) else X.shape[0]
        bytes_per_sample = X.dtype.itemsize * max(row, n_classes)
        block_size = max(_MIN_BLOCK, _BLOCK_BYTES // bytes_per_sample)
        block_size = _balanced_block_size(n_samples, block_size)
    if sp.issparse(X) and X.format != "csc":
        block_size = n_samples
    starts = range(0, n_samples, block_size)
    return [slice(a, min(a + block_size, n_samples)) for a in starts]


def _column_block(X, block: slice):
    """Columns ``block`` of ``X``, sharing ``X``'s memory.

    A view for dense ``X``. For CSC ``X``, a CSC matrix over slices of ``X``'s
    own ``data`` and ``indices`` (scipy's slicing, and its constructor, would
    copy them); only the block's ``indptr`` is new. Other sparse formats come
    as a single block: ``X`` itself.
    """
    if not sp.issparse(X):
        return X[:, block]
    if block.start == 0 and block.stop == X.shape[1]:
        return X
    start, stop = X.indptr[block.start], X.indptr[block.stop]
    X_b = sp.csc_matrix((X.shape[0], block.stop - block.start), dtype=X.dtype)
    X_b.data, X_b.indices = X.data[start:stop], X.indices[start:stop]
    X_b.indptr = X.indptr[block.start : block.stop + 1] - start
    return X_b


def _squared(X_b):
    """``X_b ∘ X_b``, sharing the sparsity structure of a sparse ``X_b``."""
    if not sp.issparse(X_b):
        return np.square(X_b)
    # X is CSC or CSR here; an empty matrix then takes X_b's own index arrays.
    squared = (sp.csc_matrix if X_b.format == "csc" else sp.csr_matrix)(X_b.shape)
    squared.indices, squared.indptr = X_b.indices, X_b.indptr
    squared.data = np.square(X_b.data)
    return squared


def _XDt(X_b, D: np.ndarray) -> np.ndarray:
    """``X_b Dᵀ`` of shape (M, K) for a block ``X_b`` (M × N_b), ``D`` (K × N_b).

    For dense ``X_b`` (the transpose of a C-ordered block of rows) it is
    computed as ``(D X_bᵀ)ᵀ``, the faster of the two BLAS layouts.
    """
    if sp.issparse(X_b):
        return np.asarray(X_b @ D.T)
    return (D @ X_b.T).T


def block_residuals(
    W: np.ndarray, X_b, y_b: np.ndarray, fit_intercept: bool, T_b=None, O_b=None
):
    """``S − Y`` (``K × N_b``) of a block at ``W``: unweighted, without the loss.

    The same operations as the objective's evaluation: the logits (plus the
    offset ``O_b`` if given), less their column maxima, exponentiated in
    place and divided by the column sums. ``Y`` is the labels ``y_b``, or
    the soft targets ``T_b`` if given (:mod:`._targets`).
    """
    M = X_b.shape[0]
    Z = _logits(W[:M], X_b)
    if fit_intercept:
        Z += W[M][:, None]
    if O_b is not None:
        Z += O_b
    Z = softmax_columns(Z, overwrite=True)
    subtract_targets(Z, y_b, T_b)
    return Z


def block_backward(X_b, D: np.ndarray, fit_intercept: bool) -> np.ndarray:
    """``[X_b Dᵀ ; D 1]`` as a flat vector in ``θ``'s layout."""
    G = _XDt(X_b, D)
    if fit_intercept:
        G = np.vstack([G, D.sum(axis=1)])
    return G.ravel()


def _dense(A) -> np.ndarray:
    return A.toarray() if sp.issparse(A) else np.asarray(A)


def block_hessian(
    X_b, P: np.ndarray, s_b: np.ndarray, fit_intercept: bool
) -> np.ndarray:
    r"""``Σ_n ŝ_n x̃_n x̃_nᵀ ⊗ (diag(p_n) − p_n p_nᵀ)`` over a block, float64.

    The Hessian of the block's share of ``f`` in ``θ``'s layout (entry
    ``(m K + k, m' K + k')``), ``x̃_n = (x_n, 1)`` with an intercept. With
    ``Z`` the rows ``x̃_n ⊗ p_n`` (``N_b × (M + 1) K``, sparse for sparse
    ``X_b``) it is ``Zᵀ ŝ X̃`` on the diagonal blocks ``k = k'`` minus
    ``Zᵀ ŝ Z``: two products per slice of rows, slices of about 4 MiB of
    ``Z``.

    Parameters
    ----------
    X_b : {ndarray, sparse matrix} of shape (M, N_b)
        The block's samples as columns.
    P : ndarray of shape (K, N_b)
        Their probabilities ``S``.
    s_b : ndarray of shape (N_b,)
        Their (normalised) weights.
    fit_intercept : bool
        Whether ``θ`` holds an intercept row.
    """
    K, N_b = P.shape
    Mp = X_b.shape[0] + int(fit_intercept)
    d = Mp * K
    H = np.zeros((Mp, K, Mp, K))
    rows = max(1, 2**19 // d)
    for a in range(0, N_b, rows):
        Xt = X_b[:, a : a + rows].T  # N × M, a view (or a sparse copy)
        Pt = np.array(P[:, a : a + rows].T, dtype=np.float64)  # a copy
        Pt /= Pt.sum(axis=1, keepdims=True)  # float32 sums: H stays PSD
        if sp.issparse(Xt):
            Xt = Xt.tocsr().astype(np.float64)
            if fit_intercept:
                Xt = sp.hstack([Xt, np.ones((Xt.shape[0], 1))], format="csr")
            nnz_rows = np.repeat(np.arange(Xt.shape[0]), np.diff(Xt.indptr))
            Z = sp.csr_matrix(
                (
                    (Xt.data[:, None] * Pt[nnz_rows]).ravel(),
                    (Xt.indices[:, None] * K + np.arange(K)).ravel(),
                    Xt.indptr * K,
                ),
                shape=(Xt.shape[0], d),
            )
            sZ = Z.multiply(s_b[a : a + rows, None]).tocsr()
        else:
            if fit_intercept:
                Xt = np.hstack([Xt, np.ones((Xt.shape[0], 1), dtype=Xt.dtype)])
            Xt = np.asarray(Xt, dtype=np.float64)
            Z = (Xt[:, :, None] * Pt[:, None, :]).reshape(Xt.shape[0], d)
            sZ = Z * s_b[a : a + rows, None]
        H -= _dense(sZ.T @ Z).reshape(Mp, K, Mp, K)
        diagonal = _dense(sZ.T @ Xt).reshape(Mp, K, Mp)
        k = np.arange(K)
        H[:, k, :, k] += diagonal.transpose(1, 0, 2)
    return H.reshape(d, d)


class HessianProduct(Protocol):
    """``v ↦ H v`` at one point, and ``diagonal()``, the diagonal of ``H``."""

    def __call__(self, v: np.ndarray) -> np.ndarray: ...

    def diagonal(self) -> np.ndarray: ...


def with_diagonal(
    hessp: Callable[[np.ndarray], np.ndarray], diagonal: Callable[[], np.ndarray]
) -> HessianProduct:
    """``hessp`` with ``diagonal`` attached as its ``diagonal`` method."""
    hessp.diagonal = diagonal  # type: ignore[attr-defined]
    return cast(HessianProduct, hessp)
