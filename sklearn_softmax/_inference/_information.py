r"""The information matrix and the scores' products, accumulated over row blocks.

Conventions
-----------
``X`` is the user's ``(N, M)`` array (dense, CSR or CSC; sparse stays
sparse), ``y`` class indices, ``s`` the combined weights (sample weight times
class weight), ``W`` the full parameter of shape ``(M + 1, K)`` (intercept
last) or ``(M, K)``, in float64. With ``x̃_n = (x_n, 1)`` (or ``x_n``) and
``p_n = softmax(Wᵀ x̃_n)``, the log-likelihood ``Σ_n s_n ℓ_n`` has, in
``θ``'s layout (``W`` flat in C order, entry ``m K + k``),

.. math:: I = \sum_n s_n \, x̃_n x̃_n^\top ⊗ (\operatorname{diag}(p_n) - p_n p_n^\top),
          \qquad g_n = x̃_n ⊗ (p_n - e_{y_n}),

the information (the Hessian of ``Σ s ℓ``, :func:`.._objectives._blocks.block_hessian`)
and the score of sample ``n``. The robust types need the "meat"

.. math:: B = \sum_n c_n \, g_n g_n^\top \quad (c_n = s_n \text{ for frequency
          weights}, \; s_n^2 \text{ for probability weights}),

or, for clusters ``G``, the cluster sums ``u_G = Σ_{n ∈ G} s_n g_n`` whose
outer products make ``B = Σ_G u_G u_Gᵀ``. Rows are taken in slices of about
4 MiB of scores (``N_s × (M + 1) K``): no ``N × K`` temporary beyond a
slice; sparse ``X`` is never densified (a slice of it denser than
:data:`_DENSE_SHARE` is, within those 4 MiB).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._objectives._blocks import block_hessian, block_residuals

#: Bytes of scores per slice of rows.
_SLICE_BYTES = 4 * 2**20
#: Share of nonzeros above which a sparse slice of rows is made dense. Its
#: dense copy has fewer entries than the slice's scores, so at most 4 MiB
#: (``X`` itself is never densified); sparse products of such slices cost
#: several times the dense ones.
_DENSE_SHARE = 0.05


@dataclass
class InformationParts:
    """Sums over samples of what the covariances are made of.

    Attributes
    ----------
    information : ndarray of shape (d, d)
        ``I`` in ``θ``'s layout, ``d = (M + 1) K`` (or ``M K``).
    meat : ndarray of shape (d, d) or None
        ``B`` for ``"HC0"``/``"HC1"``; ``None`` otherwise.
    cluster_labels : ndarray of shape (G,) or None
        The distinct cluster labels seen, sorted (``"cluster"`` only).
    cluster_sums : ndarray of shape (G, d) or None
        ``u_G`` per label of ``cluster_labels``.
    cluster_weights : ndarray of shape (G,) or None
        ``Σ_{n ∈ G} s_n`` per label.
    weight : float
        ``Σ s``.
    n_positive : int
        Rows with ``s > 0``.
    """

    information: np.ndarray
    # Any: None or an array, as the attributes say.
    meat: Any
    cluster_labels: Any
    cluster_sums: Any
    weight: float
    n_positive: int
    cluster_weights: Any = None

    def __add__(self, other: InformationParts) -> InformationParts:
        labels, sums, weights = (
            self.cluster_labels,
            self.cluster_sums,
            self.cluster_weights,
        )
        if labels is not None:
            labels, both = _merge_clusters(
                [labels, other.cluster_labels],
                [np.column_stack([sums, weights]),
                 np.column_stack([other.cluster_sums, other.cluster_weights])],
            )  # fmt: skip
            sums, weights = both[:, :-1], both[:, -1]
        return InformationParts(
            self.information + other.information,
            None if self.meat is None else self.meat + other.meat,
            labels,
            sums,
            self.weight + other.weight,
            self.n_positive + other.n_positive,
            weights,
        )


def _merge_clusters(labels: list, sums: list) -> tuple[np.ndarray, np.ndarray]:
    """Cluster sums of several parts added by label."""
    merged, index = np.unique(np.concatenate(labels), return_inverse=True)
    total = np.zeros((merged.shape[0], sums[0].shape[1]))
    np.add.at(total, index.ravel(), np.concatenate(sums))
    return merged, total


def _scores(Xt, R: np.ndarray, fit_intercept: bool):
    """Rows ``x̃_n ⊗ r_n`` (``N_s × d``) for a slice ``Xt`` (``N_s × M``).

    ``R`` is ``(N_s, K)``: ``p_n − e_{y_n}``. Sparse ``Xt`` gives a CSR
    matrix with the sparsity of ``Xt`` (times ``K``), dense a dense array.
    """
    K = R.shape[1]
    if sp.issparse(Xt):
        Xt = Xt.tocsr().astype(np.float64)
        if fit_intercept:
            Xt = sp.hstack([Xt, np.ones((Xt.shape[0], 1))], format="csr")
        rows = np.repeat(np.arange(Xt.shape[0]), np.diff(Xt.indptr))
        return sp.csr_matrix(
            (
                (Xt.data[:, None] * R[rows]).ravel(),
                (Xt.indices[:, None] * K + np.arange(K)).ravel(),
                Xt.indptr * K,
            ),
            shape=(Xt.shape[0], Xt.shape[1] * K),
        )
    if fit_intercept:
        Xt = np.hstack([Xt, np.ones((Xt.shape[0], 1))])
    return (Xt[:, :, None] * R[:, None, :]).reshape(Xt.shape[0], -1)


def _dense(A) -> np.ndarray:
    return A.toarray() if sp.issparse(A) else np.asarray(A)


def _cluster_part(groups: np.ndarray, sG, s: np.ndarray):
    """Per-label sums of the rows of ``[sG, s]`` (weighted scores and weights)."""
    sG = (
        sp.hstack([sG, s[:, None]], format="csr")
        if sp.issparse(sG)
        else (np.column_stack([sG, s]))
    )
    labels, index = np.unique(groups, return_inverse=True)
    index = index.ravel()
    onehot = sp.csr_matrix(
        (np.ones(index.shape[0]), (index, np.arange(index.shape[0]))),
        shape=(labels.shape[0], index.shape[0]),
    )
    return labels, _dense(onehot @ sG)


def accumulate(
    X,
    y: np.ndarray,
    s: np.ndarray,
    W: np.ndarray,
    fit_intercept: bool,
    meat: str | None,
    groups: np.ndarray | None = None,
) -> InformationParts:
    """:class:`InformationParts` of the rows of ``X`` (``N × M``).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (N, M)
    y : ndarray of shape (N,)
        Class indices.
    s : ndarray of shape (N,)
        Combined weights.
    W : ndarray of shape (M + 1, K) or (M, K)
        The fitted parameter, float64.
    fit_intercept : bool
    meat : {"frequency", "probability", "cluster"} or None
        What to accumulate besides ``I``: ``B`` with ``c = s`` or ``c = s²``,
        the cluster sums (needs ``groups``), or nothing.
    groups : ndarray of shape (N,), optional
        Cluster labels.
    """
    d = W.size
    total = InformationParts(np.zeros((d, d)), None, None, None, 0.0, 0)
    if meat in ("frequency", "probability"):
        total.meat = np.zeros((d, d))
    clusters = _ClusterSums(d) if meat == "cluster" else None
    rows = max(1, _SLICE_BYTES // (8 * d))
    if sp.issparse(X) and X.format != "csr":
        X = X.tocsr()  # row slices; the same values
    for a in range(0, X.shape[0], rows):
        y_s, s_s = y[a : a + rows], np.asarray(s[a : a + rows], dtype=np.float64)
        Xt = X[a : a + rows]
        if sp.issparse(Xt) and Xt.nnz > _DENSE_SHARE * Xt.shape[0] * Xt.shape[1]:
            Xt = Xt.toarray()  # a slice of at most 4 MiB; dense products are faster
        Xt = Xt.astype(np.float64) if Xt.dtype != np.float64 else Xt
        R = block_residuals(W, Xt.T, y_s, fit_intercept)  # S − Y, K × N_s
        P = R.copy()
        P[y_s, np.arange(y_s.shape[0])] += 1
        total.information += block_hessian(Xt.T, P, s_s, fit_intercept)
        total.weight += float(s_s.sum())
        total.n_positive += int(np.count_nonzero(s_s > 0))
        if meat is None:
            continue
        G = _scores(Xt, R.T, fit_intercept)
        if clusters is not None and groups is not None:
            clusters.add(groups[a : a + rows], _scale_rows(G, s_s), s_s)
        else:
            c = s_s if meat == "frequency" else s_s * s_s
            total.meat += _dense(_scale_rows(G, c).T @ G)
    if clusters is not None:
        total.cluster_labels, both = clusters.result()
        total.cluster_sums, total.cluster_weights = both[:, :-1], both[:, -1]
    return total


class _ClusterSums:
    """Per-label sums of weighted score rows, merged in batches of ~64 MiB."""

    def __init__(self, d: int):
        self.d = d
        self.labels: list = []
        self.sums: list = []
        self.pending = 0

    def add(self, groups: np.ndarray, sG, s: np.ndarray) -> None:
        labels, sums = _cluster_part(groups, sG, s)
        self.labels.append(labels)
        self.sums.append(sums)
        self.pending += sums.size
        if self.pending * 8 > 64 * 2**20 and len(self.sums) > 1:
            labels, sums = self.result()
            self.labels, self.sums, self.pending = [labels], [sums], sums.size

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.labels:
            return np.zeros(0), np.zeros((0, self.d + 1))
        return _merge_clusters(self.labels, self.sums)


def _scale_rows(G, c: np.ndarray):
    if sp.issparse(G):
        return sp.csr_matrix(G.multiply(c[:, None]))
    return G * c[:, None]
