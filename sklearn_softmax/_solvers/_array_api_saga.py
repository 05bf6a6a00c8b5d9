"""``solver="sgd"`` (minibatch SAGA) with its table of residuals on the device.

The algorithm, step size and sample order are those of
:class:`._solvers._saga.SAGA` (read its docstring): the same random
permutations (drawn on the host from ``random_state``) and batches, the same
``2 / L_b`` step, the same redone epochs. What differs is where it runs: the
iterate ``W``, the running gradient ``ḡ`` and the ``(K, N)`` table of
residuals stay on the device of ``X`` during an epoch, each batch gathered
from ``X`` there. Between epochs ``θ`` comes to the host once, for the full
evaluation of ``F`` and of the optimality measure (and the callback); the
epoch's sample order and its inverse go to the device once, as index
vectors, and the table is kept in that order during the epoch, so that each
batch writes a slice of it (the array API has no scatter).

Stepping on host vectors instead would move ``θ`` to the device and the
gradient back for every batch (``N / b`` round trips an epoch), which is why
the steps are taken on the device.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from .._core._namespace import to_numpy
from ._saga import _POWER_ITERATIONS, SAGA, saga_epochs


class ArrayAPISAGA(SAGA):
    """Minibatch SAGA with proximal steps, on the device of the objective.

    Takes a :class:`.._objectives._array_api.ArrayAPISoftmaxObjective`.
    """

    def curvature_bound(self, objective, rng) -> float:
        """``L = ½ λ_max(Σ_n ŝ_n x̃_n x̃_nᵀ)``: 20 power iterations, plus 5%."""
        xp, X, s = objective.xp, objective.X, objective._s
        M, intercept = objective.n_features, objective.fit_intercept
        u = xp.asarray(
            rng.standard_normal(M + int(intercept)).astype(objective.dtype),
            device=objective.device,
        )
        lam = 0.0
        for _ in range(_POWER_ITERATIONS):
            u = u / xp.linalg.vector_norm(u)
            z = u[:M] @ X
            if intercept:
                z = z + u[M]
            z = z * s
            v = X @ z
            if intercept:
                v = xp.concat([v, xp.sum(z)[None]])
            lam, u = float(xp.linalg.vector_norm(v)), v
            if not lam > 0:
                return 0.0
        return 0.5 * 1.05 * lam

    def curvatures(self, objective, n: int, rng) -> tuple[float, float]:
        """``L`` and ``L_max`` (see :meth:`._solvers._saga.SAGA.curvatures`)."""
        xp, X = objective.xp, objective.X
        sq = xp.sum(X * X, axis=0) + float(objective.fit_intercept)
        L_max = 0.5 * n * float(xp.max(objective._s * sq))
        return self.curvature_bound(objective, rng), L_max

    @staticmethod
    def _proximal_step(xp, W, direction, penalty, step: float, M: int):
        """``W − step (direction + ∇P₂)``, then soft-thresholding (the L1 part)."""
        l2, l1 = float(penalty.l2_strength), float(penalty.l1_strength)
        if l2:
            coef = direction[:M, :] + l2 * W[:M, :]
            direction = xp.concat([coef, direction[M:, :]], axis=0)
        W = W - step * direction
        if l1:
            coef = W[:M, :]
            shrunk = xp.abs(coef) - step * l1
            shrunk = xp.maximum(shrunk, xp.zeros_like(shrunk))
            W = xp.concat([xp.sign(coef) * shrunk, W[M:, :]], axis=0)
        return W

    def solve(self, objective, penalty, theta0, *, tol, max_iter, callback=None):
        xp, device = objective.xp, objective.device
        rng = check_random_state(self.random_state)
        M = objective.n_features
        active = np.flatnonzero(objective.sample_weight > 0)
        n = active.shape[0]
        b = int(max(1, min(self.batch_size, n)))
        step = self.step_size(objective, penalty, n, b, rng)
        # The samples of positive weight, and their columns of X, Y and ŝ.
        X, Y, s = objective.X, objective._Y, objective._s
        if n < objective.n_samples:
            keep = xp.asarray(active, device=device)
            X, Y = xp.take(X, keep, axis=1), xp.take(Y, keep, axis=1)
            s = xp.take(s, keep)

        def reset(W):
            """``f``, SAGA's memory (table, ``ḡ``) and the host gradient at ``W``.

            The samples left out have no weight: ``f`` is the full one.
            """
            f, R = objective.residuals(W, X, Y, s)
            g_bar = objective.backward(R * s, X)
            return f, (R, g_bar), to_numpy(g_bar).ravel()

        def epoch(W, memory, step):
            table, g_bar = memory
            order = rng.permutation(active)
            batches = [np.sort(order[a : a + b]) for a in range(0, n, b)]
            positions = np.searchsorted(active, np.concatenate(batches))
            perm = xp.asarray(positions, device=device)
            # The table in this epoch's order: each batch is a slice of it.
            T = xp.take(table, perm, axis=1)
            start = 0
            for batch in batches:
                stop = start + batch.shape[0]
                idx = perm[start:stop]
                X_b, Y_b = xp.take(X, idx, axis=1), xp.take(Y, idx, axis=1)
                s_b = xp.take(s, idx)
                R = objective.batch_residuals(W, X_b, Y_b)
                D = (R - T[:, start:stop]) * s_b
                T[:, start:stop] = R
                correction = objective.backward(D, X_b)
                direction = g_bar + (n / batch.shape[0]) * correction
                g_bar = g_bar + correction
                W = self._proximal_step(xp, W, direction, penalty, step, M)
                start = stop
            back = xp.asarray(np.argsort(positions), device=device)
            return W, (xp.take(T, back, axis=1), g_bar)

        def to_host(W) -> np.ndarray:
            return np.asarray(to_numpy(W), dtype=objective.dtype).ravel()

        W0 = objective.to_device(np.asarray(theta0, dtype=objective.dtype))
        return saga_epochs(
            objective, penalty, W0, step, reset, epoch, to_host,
            tol=tol, max_iter=max_iter, callback=callback,
        )  # fmt: skip
