r"""The data term every solver minimises: a weighted softmax cross-entropy.

Conventions
-----------
* ``X`` has shape ``(M, N)`` (features × samples, the derivation's layout). The
  estimator passes the transpose of the user's ``(N, M)`` array, a view. It is
  never copied here: blocks are column slices ``X[:, a:b]`` (views for dense
  input).
* Labels are class indices ``y`` of shape ``(N,)`` rather than a one-hot
  ``Y``: ``S − Y`` is formed by subtracting one at ``(y_n, n)``. Or soft
  targets ``T`` of shape ``(K, N)``, every column summing to one, which
  replace ``Y`` (:mod:`._targets`); and an optional offset ``O`` (``K × N``)
  added to the logits, ``z_n = Wᵀx_n + b + o_n``.
* The parameter ``θ`` is a flat vector holding ``W`` of shape ``(M + 1, K)`` in
  C order when an intercept is fitted (its last row is the intercept ``b``),
  ``(M, K)`` otherwise. ``W[:M]`` are the coefficients of the derivation.
* The value is the weighted *mean* cross-entropy

  .. math:: f(θ) = \sum_n \hat s_n \, ℓ_n,
            \qquad ℓ_n = \log \sum_k e^{z_{kn}} - \sum_k Y_{kn} z_{kn},
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

import contextlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import scipy.sparse as sp

from .._core import _logits
from .._core._kernel import exp_and_sums, shift_by_max
from ._blocks import (
    HessianProduct,
    _column_block,
    _squared,
    _XDt,
    block_hessian,
    row_blocks,
    with_diagonal,
)
from ._layout import ParameterLayout, normalised_weights
from ._samples import SampleAccess
from ._targets import columns, subtract_targets, target_logits
from ._threads import CORES, available_cpus


class SoftmaxObjective(SampleAccess, ParameterLayout):
    """Weighted mean softmax cross-entropy over row blocks of the samples.

    Blocks are evaluated one after the other, or, inside :meth:`parallel`, on a
    small pool of threads (numpy, BLAS and scipy's sparse products release the
    GIL). The partial sums
    are added in block order either way, so results do not depend on it.

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
        Samples per block; by default about 8 MiB of ``X`` per block, the
        number of blocks rounded up to a multiple of the available cores.
    targets : ndarray of shape (K, N), optional
        Soft targets replacing the labels ``y`` (dense, in ``X``'s dtype,
        every column summing to one); ``y`` then only names the samples'
        hard labels.
    offset : ndarray of shape (K, N), optional
        Known logits added to ``Wᵀx_n + b`` (in ``X``'s dtype).

    The stochastic solvers step through the samples with the methods of
    :class:`._samples.SampleAccess` (runs of samples, the terms of the sum).
    """

    provides = frozenset({"gradient", "hessian", "moments", "means", "finite_sum"})

    def __init__(
        self,
        X,
        y: np.ndarray,
        n_classes: int,
        sample_weight: np.ndarray,
        fit_intercept: bool,
        block_size: int | None = None,
        *,
        targets: np.ndarray | None = None,
        offset: np.ndarray | None = None,
    ):
        super().__init__(X.dtype, X.shape[0], n_classes, fit_intercept)
        self.X = X
        self.sparse = sp.issparse(X)
        self.n_samples = X.shape[1]
        self.y = np.asarray(y, dtype=np.intp)
        self.targets = None if targets is None else np.asarray(targets, X.dtype)
        self.offset = None if offset is None else np.asarray(offset, X.dtype)
        self.raw_weight = np.asarray(sample_weight, dtype=np.float64)
        self.sample_weight = normalised_weights(self.raw_weight, self.dtype)
        self.blocks = row_blocks(X, n_classes, block_size)
        self._column_blocks = {b.start: _column_block(X, b) for b in self.blocks}
        self._pool: ThreadPoolExecutor | None = None
        self._n_threads = 1
        self._feature_moments: np.ndarray | None = None

    @contextlib.contextmanager
    def parallel(self, n_threads: int | None = None):
        """Inside this context: BLAS on one thread, blocks on ``n_threads``.

        By default one thread per available core, capped by the number of
        blocks, so a problem of a single block (a few MiB of ``X``) runs
        serially. Either way BLAS is limited to one thread, which avoids the
        start-up and spinning costs that make multi-threaded BLAS far slower on
        small products, and lets the threads here share the cores; fits
        running at once share them too (:class:`._blocks.CoreBudget`).
        """
        if n_threads is None:  # one block: serial, without asking the kernel
            n_blocks = len(self.blocks)
            n_threads = 1 if n_blocks <= 1 else min(available_cpus(), n_blocks)
        with CORES.fit():
            if n_threads <= 1:
                yield self
                return
            with ThreadPoolExecutor(n_threads) as pool:
                self._pool, self._n_threads = pool, n_threads
                try:
                    yield self
                finally:
                    self._pool, self._n_threads = None, 1

    def feature_moments(self) -> np.ndarray:
        """Weighted second moments ``Σ_n ŝ_n x_mn²`` of the features, (M,).

        One pass over ``X``, computed on the first call and kept.
        """
        if self._feature_moments is None:

            def kernel(block, dtype=None):
                X_b, s_b = self._column_blocks[block.start], self.sample_weight[block]
                if dtype is not None:  # float32 squares beyond float32's range
                    X_b, s_b = X_b.astype(dtype), s_b.astype(dtype)
                with np.errstate(over="ignore"):
                    if sp.issparse(X_b):
                        return np.asarray(_squared(X_b) @ s_b).ravel()
                    return np.einsum("mn,mn,n->m", X_b, X_b, s_b)

            moments = sum(self._map_blocks(kernel))
            if not np.all(np.isfinite(moments)):
                moments = sum(self._map_blocks(partial(kernel, dtype=np.float64)))
            self._feature_moments = moments
        return self._feature_moments

    def feature_means(self) -> np.ndarray:
        """Weighted means ``X ŝ`` of the features, of shape (M,)."""
        return np.asarray(self.X @ self.sample_weight, dtype=self.dtype).ravel()

    def class_shares(self) -> np.ndarray:
        """Weighted share ``Σ_n ŝ_n Y_kn`` of each class, (K,), float64."""
        if self.targets is not None:
            return self.targets.astype(np.float64) @ self.sample_weight
        return np.bincount(self.y, weights=self.sample_weight, minlength=self.n_classes)

    def _map_blocks(self, kernel: Callable, *arrays) -> Iterator:
        """``kernel(block, *per_block_items)`` over the blocks, yielded in order.

        On the thread pool, one block more than there are threads is in
        flight (no thread waits while a result is added up), so only that many
        partial results (each as large as ``W``) exist at once, however many
        blocks there are.
        """
        args = zip(self.blocks, *arrays, strict=True)
        if self._pool is None:
            yield from (CORES.run(kernel, *a) for a in args)
            return
        pending: deque = deque()
        for a in args:
            pending.append(self._pool.submit(CORES.run, kernel, *a))
            if len(pending) > self._n_threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def _block_logits(self, W: np.ndarray, block: slice, offset: bool = True):
        """The block ``X_b`` and its logits ``Z_b = W[:M]ᵀ X_b + b + O_b``.

        ``K × N_b``; without the offset for ``offset=False`` (the directions
        of a Hessian-vector product).
        """
        X_b = self._column_blocks[block.start]
        Z = _logits(W[: self.n_features], X_b)
        if self.fit_intercept:
            Z += W[-1][:, None]
        if offset and self.offset is not None:
            Z += self.offset[:, block]
        return X_b, Z

    def _block_loss(self, Z: np.ndarray, block: slice) -> tuple[float, np.ndarray]:
        """Weighted loss of a block and the column sums of ``exp(Z − max)``.

        Leaves ``exp(Z − max)`` in ``Z``: the probabilities up to the sums.
        """
        Z = shift_by_max(Z, overwrite=True)
        z_y = target_logits(Z, self.y[block], columns(self.targets, block))
        Z, sums = exp_and_sums(Z, overwrite=True)
        return float(self.sample_weight[block] @ (np.log(sums) - z_y)), sums

    def _sum_gradients(self, partials) -> np.ndarray:
        """Stack ``[X_b Dᵀ ; D 1]`` of every block and add them up in order."""
        G = np.empty(self.shape, dtype=self.dtype)
        for i, (G_b, g0_b) in enumerate(partials):
            if i == 0:
                G[: self.n_features] = G_b
                G[self.n_features :] = g0_b
            else:
                G[: self.n_features] += G_b
                G[self.n_features :] += g0_b
        return G

    def value(self, theta: np.ndarray) -> float:
        """``f(θ)``: one product with ``X`` per block, no gradient."""
        W = self.unravel(theta)

        def kernel(block):
            return self._block_loss(self._block_logits(W, block)[1], block)[0]

        return float(sum(self._map_blocks(kernel)))

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """``f(θ)`` and its gradient as a flat vector."""
        f, G, _ = self._evaluate(theta, keep_proba=False)
        return f, G.ravel()

    def residuals(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """``f(θ)`` and every sample's residual ``R = S − Y``, of shape (K, N).

        Unweighted: column ``n`` is ``S_n − Y_n``, whose products with ``X``
        are :meth:`backward`'s. ``R`` is as large as the logits of all the
        samples (the table of the SAGA solver).
        """
        W = self.unravel(theta)
        R = np.empty((self.n_classes, self.n_samples), dtype=self.dtype)

        def kernel(block):
            S = self._block_logits(W, block)[1]
            f_b, sums = self._block_loss(S, block)
            S /= sums
            subtract_targets(S, self.y[block], columns(self.targets, block))
            R[:, block] = S
            return f_b

        return float(sum(self._map_blocks(kernel))), R

    def backward(self, D: np.ndarray) -> np.ndarray:
        """``[X Dᵀ ; D 1]`` as a flat vector, for ``D`` of shape (K, N).

        The gradient in ``θ`` of ``Σ_n d_nᵀ z_n``: with ``D = ŝ ∘ (S − Y)`` it
        is ``∇f``. The intercept row (``D 1``) is there when fitted.
        """

        def kernel(block):
            D_b = D[:, block]
            return _XDt(self._column_blocks[block.start], D_b), D_b.sum(axis=1)

        return self._sum_gradients(self._map_blocks(kernel)).ravel()

    def value_grad_hessp(
        self, theta: np.ndarray
    ) -> tuple[float, np.ndarray, HessianProduct]:
        """``f(θ)``, its gradient and a Hessian-vector product at ``θ``.

        The product reuses the probabilities ``S`` of this evaluation, so each
        call to it costs two products with ``X`` and no exponential.
        """
        f, G, probas = self._evaluate(theta, keep_proba=True)
        return f, G.ravel(), self._hessian_product(probas)

    def hessp_at(self, theta: np.ndarray) -> HessianProduct:
        """The Hessian-vector product at ``θ`` alone: no loss, no gradient.

        One product with ``X`` and an exponential for the probabilities.
        """
        W = self.unravel(theta)

        def kernel(block):
            S = self._block_logits(W, block)[1]
            S /= self._block_loss(S, block)[1]
            return S

        return self._hessian_product(list(self._map_blocks(kernel)))

    def value_grad_hessian(
        self, theta: np.ndarray
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """``f(θ)``, its gradient and its whole Hessian, ``(n_params, n_params)``.

        ``n_params²`` float64 numbers: for the out-of-core Newton steps of
        ``partial_fit`` on small models; the solvers of ``fit`` use
        :meth:`value_grad_hessp`.
        """
        f, G, probas = self._evaluate(theta, keep_proba=True)

        def kernel(block, S):
            X_b, s_b = self._column_blocks[block.start], self.sample_weight[block]
            return block_hessian(X_b, S, s_b, self.fit_intercept)

        return f, G.ravel(), sum(self._map_blocks(kernel, probas))

    def _hessian_product(self, probas: list[np.ndarray]) -> HessianProduct:
        """``v ↦ H v`` (and the diagonal) from each block's probabilities."""

        # Looked up once per Newton step, not once per CG iteration.
        weights = [self.sample_weight[block] for block in self.blocks]

        def hessp(v: np.ndarray) -> np.ndarray:
            V = self.unravel(v)

            def kernel(block, S, s_b):
                X_b, R = self._block_logits(V, block, offset=False)
                R -= np.einsum("kn,kn->n", S, R)  # r − 1 (Sᵀr), per column
                R *= S
                R *= s_b
                return _XDt(X_b, R), R.sum(axis=1)

            partials = self._map_blocks(kernel, probas, weights)
            return self._sum_gradients(partials).ravel()

        def diagonal() -> np.ndarray:
            """The Hessian's diagonal ``(X ∘ X) (ŝ ∘ S ∘ (1 − S))ᵀ``, flat."""

            def kernel(block, S):
                D = S * (1 - S)
                D *= self.sample_weight[block]
                return _XDt(_squared(self._column_blocks[block.start]), D), D.sum(1)

            return self._sum_gradients(self._map_blocks(kernel, probas)).ravel()

        return with_diagonal(hessp, diagonal)

    def _evaluate(self, theta: np.ndarray, keep_proba: bool):
        W = self.unravel(theta)

        def kernel(block):
            X_b, S = self._block_logits(W, block)
            f_b, sums = self._block_loss(S, block)
            s_b = self.sample_weight[block]
            proba = None
            if keep_proba:  # S stays, ŝ ∘ S is new (a multiply, not a copy too)
                S /= sums
                proba, S = S, S * s_b
            else:
                S *= s_b / sums
            # ŝ ∘ (S − Y)
            subtract_targets(S, self.y[block], columns(self.targets, block), s_b)
            return f_b, _XDt(X_b, S), S.sum(axis=1), proba

        f, probas = 0.0, []

        def gradients():
            nonlocal f
            for f_b, G_b, g0_b, proba in self._map_blocks(kernel):
                f += f_b
                probas.append(proba)
                yield G_b, g0_b

        G = self._sum_gradients(gradients())
        return float(f), G, probas
