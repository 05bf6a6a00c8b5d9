r"""The in-memory objective sample by sample: runs of samples, and SAGA's terms.

How the stochastic solvers step through the samples of a
:class:`._numpy.SoftmaxObjective` without reading its data themselves:

* :meth:`SampleAccess.sample_range` is the objective of a run of consecutive
  samples (columns ``X[:, a:b]``, sharing ``X``'s memory), with
  :meth:`~SampleAccess.weight`, their weight as given: the minibatches and
  Newton windows of ``partial_fit``;
* :meth:`SampleAccess.finite_sum` gives the terms of positive weight
  (:class:`HostTerms`, the protocol :class:`._protocols.FiniteSumTerms` on
  host NumPy arrays): SAGA's batches, gathered from anywhere in ``X`` (a
  copy of the batch's ``b`` samples; sparse ``X`` is read as CSR rows of
  ``Xᵀ``, converted once if it is CSC), its table of residuals and the
  curvature bounds of its step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils._array_api import get_namespace

from ._blocks import _column_block, block_backward, block_residuals
from ._protocols import FiniteSumTerms
from ._targets import columns

#: Power iterations of the curvature bound ``L`` (:meth:`HostTerms.curvature_bounds`).
POWER_ITERATIONS = 20


class HostBatch:
    """Samples gathered from the objective: ``ŝ_B``, ``S − Y`` and ``[X_B Dᵀ ; D 1]``.

    A :class:`._protocols.SampleBatch` of host arrays (see there).
    """

    def __init__(
        self, X_b, y_b: np.ndarray, weights: np.ndarray, objective, samples=None
    ):
        self.weights = weights
        self._X, self._y = X_b, y_b
        # The batch's soft targets and offsets (None without them).
        self._T = columns(objective.targets, samples)
        self._O = columns(objective.offset, samples)
        self._dtype, self._shape = objective.dtype, objective.shape
        self._intercept = objective.fit_intercept

    def residuals(self, W: np.ndarray) -> np.ndarray:
        """``S − Y`` of shape ``(K, b)`` at ``W``."""
        W = np.asarray(W, dtype=self._dtype)
        return block_residuals(W, self._X, self._y, self._intercept, self._T, self._O)

    def backward(self, D: np.ndarray) -> np.ndarray:
        """``[X_B Dᵀ ; D 1]`` of ``W``'s shape."""
        return block_backward(self._X, D, self._intercept).reshape(self._shape)


class HostTerms:
    """The terms of positive weight of an in-memory objective, for one solve.

    :class:`._protocols.FiniteSumTerms` on host NumPy arrays: ``W`` is
    ``θ`` reshaped; the penalty's parts of a step are computed in float64
    (``wide_dtype``, as the penalty's strengths are float64 numbers); the
    table of residuals holds the ``n`` samples of positive weight.
    """

    wide_dtype = np.dtype(np.float64)

    def __init__(self, objective):
        self._objective = objective
        self.dtype = objective.dtype
        self.xp = get_namespace(np.empty(0))[0]
        self._active = np.flatnonzero(objective.sample_weight > 0)
        self.n = int(self._active.shape[0])
        self._every = self.n == objective.n_samples
        rows = objective.X.T
        if sp.issparse(rows) and rows.format != "csr":
            rows = rows.tocsr()
        self._rows = rows

    def to_native(self, theta: np.ndarray) -> np.ndarray:
        """``W``, a copy of ``θ`` in the objective's dtype."""
        return np.array(self._objective.unravel(theta), copy=True)

    def to_host(self, W: np.ndarray) -> np.ndarray:
        """``θ``: ``W`` flattened (a view)."""
        return np.asarray(W).ravel()

    def curvature_bounds(
        self, rng: np.random.RandomState, row_scales: np.ndarray | None = None
    ) -> tuple[float, float]:
        """``L = ½ λ_max(Σ_n ŝ_n x̃_n x̃_nᵀ)`` and ``L_max = ½ n max_n ŝ_n ‖x̃_n‖²``.

        ``L`` bounds the largest eigenvalue of the Hessian of ``f`` (that of
        ``ℓ`` in the logits is at most ``½``): 20 power iterations from a
        random start, which approach ``λ_max`` from below, plus 5%.
        ``row_scales`` (shape ``(M,)``, the powers of two of
        :mod:`.._solvers._scaling`): the bounds of the features ``d_m x_m``
        instead (computed on a float64 copy of ``X`` so scaled).
        """
        objective = self._objective
        X, s = objective.X, objective.sample_weight.astype(np.float64)
        if row_scales is not None:
            X = scale_rows(X, row_scales)
        M, intercept = objective.n_features, objective.fit_intercept
        if sp.issparse(X):
            sq = np.asarray(X.multiply(X).sum(axis=0)).ravel()
        else:
            sq = np.einsum("mn,mn->n", X, X, dtype=np.float64)
        L_max = 0.5 * self.n * float(np.max(s * (sq + float(intercept))))
        u = rng.standard_normal(M + int(intercept))
        lam = 0.0
        for _ in range(POWER_ITERATIONS):
            u /= np.linalg.norm(u)
            z = np.asarray(X.T @ u[:M]).ravel()
            if intercept:
                z = z + u[M]
            z *= s
            v = np.asarray(X @ z).ravel()
            if intercept:
                v = np.append(v, z.sum())
            lam, u = float(np.linalg.norm(v)), v
            if not lam > 0:
                return 0.0, L_max
        return 0.5 * 1.05 * lam, L_max

    def residual_table(self, W: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``f(W)``, the residuals ``S − Y`` of the ``n`` terms and ``∇f(W)``."""
        objective = self._objective
        f, R = objective.residuals(W)
        g = objective.backward(R * objective.sample_weight).reshape(objective.shape)
        return f, (R if self._every else R[:, self._active]), g

    def positions(self, positions: np.ndarray) -> np.ndarray:
        """The positions as an index vector."""
        return np.asarray(positions, dtype=np.intp)

    def batch(self, positions: np.ndarray) -> HostBatch:
        """The terms at ``positions``, gathered (a copy of their samples)."""
        samples = positions if self._every else self._active[positions]
        objective = self._objective
        return HostBatch(
            self._rows[samples].T,
            objective.y[samples],
            objective.sample_weight[samples],
            objective,
            samples,
        )


def scale_rows(X, row_scales: np.ndarray):
    """``diag(d) X`` in float64, a copy (sparse: a sparse copy)."""
    d = np.asarray(row_scales, dtype=np.float64)[:, None]
    if sp.issparse(X):
        return sp.csc_array(X.multiply(d), dtype=np.float64)
    return np.asarray(X, dtype=np.float64) * d


class SampleAccess:
    """The sample-level methods of :class:`._numpy.SoftmaxObjective` (a mixin).

    Reads the objective's ``X``, ``y``, ``raw_weight`` (the weights as
    given), ``n_classes`` and ``fit_intercept``.
    """

    X: Any
    y: np.ndarray
    targets: np.ndarray | None
    offset: np.ndarray | None
    raw_weight: np.ndarray
    n_classes: int
    fit_intercept: bool

    def finite_sum(self) -> FiniteSumTerms:
        """The terms of positive weight, for a stochastic solver's solve."""
        return HostTerms(self)

    def weight(self, start: int = 0, stop: int | None = None) -> float:
        """``Σ s_n`` over the samples ``start:stop``, the weights as given."""
        return float(self.raw_weight[start:stop].sum())

    def sample_range(self, start: int, stop: int, *, dtype=None, one_block=False):
        """The objective of the samples ``start:stop``, sharing ``X``'s memory.

        Their weighted mean loss (normalised by their own weight, which must
        be positive). Dense ``X`` gives a view of its columns, CSC ``X``
        slices of its arrays (other sparse formats a copy); cast to ``dtype``
        if given (a copy of these samples only). ``one_block``: evaluated as
        one block (a minibatch) rather than in blocks of a few MiB.
        """
        columns_ = slice(start, stop)
        X = self.X
        if sp.issparse(X) and X.format != "csc":
            X_b = X[:, columns_]
        else:
            X_b = _column_block(X, columns_)
        if dtype is not None and X_b.dtype != dtype:
            X_b = X_b.astype(dtype)
        make: Any = type(self)  # SoftmaxObjective
        return make(
            X_b,
            self.y[columns_],
            self.n_classes,
            self.raw_weight[columns_],
            self.fit_intercept,
            block_size=stop - start if one_block else None,
            targets=columns(self.targets, columns_),
            offset=columns(self.offset, columns_),
        )

    def mean_squared_norm(self) -> float:
        """``mean_n ‖x̃_n‖²`` over the samples, unweighted, ``x̃_n = (x_n, 1)``."""
        X = self.X
        if sp.issparse(X):
            total = float(X.multiply(X).sum())
        else:
            total = float(np.einsum("mn,mn->", X, X, dtype=np.float64))
        return total / max(X.shape[1], 1) + float(self.fit_intercept)
