r"""The data term every solver minimises: a weighted softmax cross-entropy.

Conventions
-----------
* ``X`` has shape ``(M, N)`` (features × samples, the derivation's layout). The
  estimator passes the transpose of the user's ``(N, M)`` array, a view. It is
  never copied here: blocks are column slices ``X[:, a:b]`` (views for dense
  input).
* Labels are class indices ``y`` of shape ``(N,)`` rather than a one-hot
  ``Y``: ``S − Y`` is formed by subtracting one at ``(y_n, n)``.
* The parameter ``θ`` is a flat vector holding ``W`` of shape ``(M + 1, K)`` in
  C order when an intercept is fitted (its last row is the intercept ``b``),
  ``(M, K)`` otherwise. ``W[:M]`` are the coefficients of the derivation.
* The value is the weighted *mean* cross-entropy

  .. math:: f(θ) = \sum_n \hat s_n \, ℓ_n,
            \qquad ℓ_n = \log \sum_k e^{z_{kn}} - z_{y_n n},
            \qquad z_n = W^\top x_n + b,

  with normalised weights ``ŝ = s / Σ s``. The estimator's objective
  ``C Σ s_n ℓ_n + penalty`` is ``C Σ s`` times ``f + penalty / (C Σ s)``: the
  penalty strength is rescaled once, in :func:`._penalties.make_penalty`.
* Gradient and Hessian-vector product, per block of samples:

  .. math:: ∇_W f = X (ŝ ∘ (S − Y))^\top, \qquad ∇_b f = (S − Y) ŝ,

  .. math:: H[V] = X (ŝ ∘ Q)^\top, \quad
            Q = S ∘ R − S ∘ 1 1^\top (S ∘ R), \quad R = V^\top X + v_b,

  where ``ŝ ∘`` scales column ``n`` by ``ŝ_n``; ``Q`` applies, column by column,
  ``diag(S_n) − S_n S_nᵀ``, the Hessian of ``ℓ_n`` in the logits ``z_n``.

All arithmetic is in the dtype of ``X`` (float32 or float64).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from ._core import _logits

# Bytes of the per-block temporaries (a few K × N_b arrays and the block of X)
# that should stay in a core's cache.
_BLOCK_BYTES = 2**21


class SoftmaxObjective:
    """Weighted mean softmax cross-entropy over row blocks of the samples.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (M, N)
        Features by samples, float32 or float64.
    y : ndarray of shape (N,)
        Class indices in ``range(n_classes)``.
    n_classes : int
        ``K``, the number of classes.
    sample_weight : ndarray of shape (N,)
        Non-negative weights with a positive sum; normalised here.
    fit_intercept : bool
        Whether ``θ`` holds an intercept row.
    block_size : int, optional
        Samples per block; by default chosen so a block's temporaries fit in
        about 2 MiB.
    """

    def __init__(
        self,
        X,
        y: np.ndarray,
        n_classes: int,
        sample_weight: np.ndarray,
        fit_intercept: bool,
        block_size: int | None = None,
    ):
        self.X = X
        self.dtype = X.dtype
        self.n_features, self.n_samples = X.shape
        self.n_classes = n_classes
        self.fit_intercept = fit_intercept
        self.shape = (self.n_features + int(fit_intercept), n_classes)
        self.y = np.asarray(y, dtype=np.intp)
        s = np.asarray(sample_weight, dtype=np.float64)
        self.sample_weight = (s / s.sum()).astype(self.dtype)
        if block_size is None:
            per_sample = self.dtype.itemsize * (self.n_features + 3 * n_classes)
            block_size = max(256, _BLOCK_BYTES // per_sample)
        if sp.issparse(X) and X.format != "csc":
            # Column slices of a CSR matrix cost a pass over all of it.
            block_size = self.n_samples
        starts = range(0, self.n_samples, block_size)
        self.blocks = [slice(a, min(a + block_size, self.n_samples)) for a in starts]

    @property
    def n_params(self) -> int:
        """Length of the flat parameter vector."""
        return self.shape[0] * self.shape[1]

    def unravel(self, theta: np.ndarray) -> np.ndarray:
        """View (or cast) the flat ``θ`` as ``W`` of shape ``self.shape``."""
        return np.asarray(theta, dtype=self.dtype).reshape(self.shape)

    def _block_logits(self, W: np.ndarray, block: slice):
        """The block ``X_b`` and its logits ``Z_b = W[:M]ᵀ X_b + b`` (K × N_b)."""
        X_b = self.X[:, block]
        Z = _logits(W[: self.n_features], X_b)
        if self.fit_intercept:
            Z += W[-1][:, None]
        return X_b, Z

    def _add_block_gradient(self, G: np.ndarray, X_b, D: np.ndarray) -> None:
        """``G += [X_b Dᵀ ; D 1]`` for a weighted residual ``D`` (K × N_b)."""
        G[: self.n_features] += X_b @ D.T
        if self.fit_intercept:
            G[-1] += D.sum(axis=1)

    def value(self, theta: np.ndarray) -> float:
        """``f(θ)``: one product with ``X`` per block, no gradient."""
        W = self.unravel(theta)
        f = 0.0
        for block in self.blocks:
            _, Z = self._block_logits(W, block)
            f += self._block_loss(Z, block)
        return f

    def _block_loss(self, Z: np.ndarray, block: slice) -> float:
        """Weighted loss of a block; leaves ``exp(Z − max)`` in ``Z``."""
        y_b = self.y[block]
        cols = np.arange(y_b.shape[0])
        Z -= Z.max(axis=0)
        z_y = Z[y_b, cols]
        np.exp(Z, out=Z)
        lse = np.log(Z.sum(axis=0))
        return float(self.sample_weight[block] @ (lse - z_y))

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """``f(θ)`` and its gradient as a flat vector."""
        f, G, _ = self._evaluate(theta, keep_proba=False)
        return f, G.ravel()

    def value_grad_hessp(
        self, theta: np.ndarray
    ) -> tuple[float, np.ndarray, Callable[[np.ndarray], np.ndarray]]:
        """``f(θ)``, its gradient and a Hessian-vector product at ``θ``.

        The product reuses the probabilities ``S`` of this evaluation, so each
        call to it costs two products with ``X`` and no exponential.
        """
        f, G, probas = self._evaluate(theta, keep_proba=True)

        def hessp(v: np.ndarray) -> np.ndarray:
            V = self.unravel(v)
            HV = np.zeros(self.shape, dtype=self.dtype)
            for block, S in zip(self.blocks, probas, strict=True):
                X_b, R = self._block_logits(V, block)
                R *= S
                R -= S * R.sum(axis=0)
                R *= self.sample_weight[block]
                self._add_block_gradient(HV, X_b, R)
            return HV.ravel()

        return f, G.ravel(), hessp

    def _evaluate(self, theta: np.ndarray, keep_proba: bool):
        W = self.unravel(theta)
        f = 0.0
        G = np.zeros(self.shape, dtype=self.dtype)
        probas = []
        for block in self.blocks:
            X_b, S = self._block_logits(W, block)
            f += self._block_loss(S, block)
            S /= S.sum(axis=0)
            if keep_proba:
                probas.append(S.copy())
            S[self.y[block], np.arange(S.shape[1])] -= 1.0
            S *= self.sample_weight[block]
            self._add_block_gradient(G, X_b, S)
        return f, G, probas
