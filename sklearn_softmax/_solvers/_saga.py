r"""SAGA: minibatch stochastic steps that converge to the exact minimiser.

``SoftmaxRegression(solver="sgd").fit`` runs epochs of the minibatch steps of
:mod:`._online` (a gradient step, then the L1 part's proximal step, see
:func:`._online.proximal_step`), with the gradient of the batch replaced by
SAGA's variance-reduced estimate (Defazio, Bach & Lacoste-Julien 2014).

The data term is ``f = Σ_n ŝ_n ℓ_n`` over the ``N`` samples of positive
weight, ``ŝ`` summing to one, and its gradient is ``Σ_n ŝ_n x̃_n r_nᵀ`` with
``x̃_n = (x_n, 1)`` (with an intercept) and the residual ``r_n = S_n − Y_n``
of shape ``(K,)``. A table keeps, for each sample, the residual ``φ_n`` from
the last time it was in a batch, and ``ḡ = Σ_n ŝ_n x̃_n φ_nᵀ``. For a batch
``B`` of ``b`` samples at ``θ``,

.. math:: d = ḡ + \frac{N}{b} \sum_{n \in B} ŝ_n x̃_n (r_n(θ) − φ_n)^\top,

an unbiased estimate of ``∇f(θ)`` whose variance vanishes as ``θ`` and the
``φ_n`` approach the minimiser: so a constant step converges, to the exact
minimiser (a plain stochastic gradient would need a decreasing step, and
stop at a noisy point). Then ``φ_n ← r_n(θ)`` on ``B``, ``ḡ`` follows, and
``θ ← prox(θ − η (d + ∇P₂))``. The table is the ``(K, N)`` array of
residuals (``N × K`` numbers, like the logits of all the samples); its first
values are those at ``θ₀``, computed by the pass that also gives ``f(θ₀)``.

Each epoch visits every sample once, in batches drawn from a new random
permutation (``random_state``), so the fit is deterministic for a fixed
``random_state``. The batch's rows are gathered (a copy of ``b`` rows);
sparse ``X`` is read as CSR, converted once if it is CSC. After each epoch
one full pass evaluates ``F(θ)`` (``loss_curve_``) and the optimality measure
of every solver, :func:`._base.subdifferential_distance`, against ``tol``.

The step is ``η = 2 / L_b`` with the expected smoothness of a batch of
``b`` samples drawn without replacement (Gazagnadoux, Gower & Salmon 2019),

.. math:: L_b = \frac{N (b − 1)}{b (N − 1)} L + \frac{N − b}{b (N − 1)}
          L_{\max},

``L = ½ λ_{\max}(Σ_n ŝ_n x̃_n x̃_n^\top)`` (power iterations) bounding the
curvature of ``f`` and ``L_{\max} = \max_n ½ N ŝ_n ‖x̃_n‖²`` that of the
single samples' terms (``½`` bounds the Hessian of ``ℓ`` in the logits);
plus the L2 strength. ``b = 1`` uses ``L_{\max}`` (scikit-learn's ``saga``
takes ``1 / (3 L_{\max})``), ``b = N`` is proximal gradient descent with
``L``. The theory asks for ``1 / (4 L_b)``; measured, the epochs fall with
longer steps until ``3 / L_b`` starts to oscillate on two classes, where the
bound ``½`` is attained by two classes at probability ``½``, and with
``2 / L_b`` no problem diverged (``docs/performance.rst``, section "Measured
design choices", SAGA). Should an epoch still end above the starting
objective, it is redone from where it began with half the step.

Weak penalties make such problems ill-conditioned for a first-order method,
which then takes far more epochs than ``newton-cg`` takes iterations.
``"sgd"`` is there to reach the exact minimiser by the updates of
``partial_fit``, not for speed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

from .._objectives import SoftmaxObjective
from .._objectives._blocks import block_backward, block_residuals
from ._base import Solver, SolverResult, notify, subdifferential_distance
from ._online import proximal_step

#: Samples per batch of ``fit(solver="sgd")`` unless the estimator says.
DEFAULT_BATCH_SIZE = 32
#: The step is this over ``L_b`` (see the module docstring).
STEP_FACTOR = 2.0
_POWER_ITERATIONS = 20


def _row_gatherer(X):
    """A function ``idx ↦ X[:, idx]`` (copies ``len(idx)`` samples).

    ``X`` is the objective's ``(M, N)`` matrix; sparse ``X`` is gathered as
    CSR rows of ``Xᵀ``, converted once if needed.
    """
    rows = X.T
    if sp.issparse(rows) and rows.format != "csr":
        rows = rows.tocsr()
    return lambda idx: rows[idx].T


def curvature_bound(objective: SoftmaxObjective, rng) -> float:
    """``L = ½ λ_max(Σ_n ŝ_n x̃_n x̃_nᵀ)`` by power iterations.

    A bound on the largest eigenvalue of the Hessian of ``f`` (the Hessian
    of ``ℓ`` in the logits is at most ``½``). Power iterations approach
    ``λ_max`` from below; 20 of them from a random start, plus 5%.
    """
    X, s = objective.X, objective.sample_weight.astype(np.float64)
    M, intercept = objective.n_features, objective.fit_intercept
    u = rng.standard_normal(M + int(intercept))
    lam = 0.0
    for _ in range(_POWER_ITERATIONS):
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
            return 0.0
    return 0.5 * 1.05 * lam


class SAGA(Solver):
    """Minibatch SAGA with proximal steps (``solver="sgd"``).

    Parameters
    ----------
    batch_size : int
        Samples per batch (at most the number of samples).
    random_state : int, RandomState instance or None
        Seeds the order of the samples in each epoch.
    """

    name = "sgd"
    requires = frozenset({"gradient", "finite_sum"})
    smooth_only = False
    stochastic = True

    def __init__(self, batch_size: int = DEFAULT_BATCH_SIZE, random_state=None):
        self.batch_size = batch_size
        self.random_state = random_state

    def configured(self, *, batch_size: int, random_state) -> SAGA:
        """A copy with the estimator's batch size and random state."""
        return SAGA(batch_size=batch_size, random_state=random_state)

    def curvatures(self, objective: SoftmaxObjective, n: int, rng):
        """``L``, the curvature bound of ``f``, and ``L_max = ½ n max_n ŝ_n ‖x̃_n‖²``.

        ``L_max`` bounds the curvature of ``n ŝ_n ℓ_n``, one sample's share of
        ``f`` scaled to the whole.
        """
        s = objective.sample_weight.astype(np.float64)
        X = objective.X
        if sp.issparse(X):
            sq = np.asarray(X.multiply(X).sum(axis=0)).ravel()
        else:
            sq = np.einsum("mn,mn->n", X, X, dtype=np.float64)
        sq = sq + float(objective.fit_intercept)
        return curvature_bound(objective, rng), 0.5 * n * float(np.max(s * sq))

    def step_size(self, objective, penalty, n: int, b: int, rng) -> float:
        """``STEP_FACTOR / L_b`` for ``n`` samples in batches of ``b`` (see above)."""
        L, L_max = self.curvatures(objective, n, rng)
        if n > 1:
            L_b = (n * (b - 1) * L + (n - b) * L_max) / (b * (n - 1))
        else:
            L_b = L_max
        L_b += penalty.l2_strength
        return STEP_FACTOR / max(float(L_b), float(np.finfo(np.float64).tiny))

    def solve(self, objective, penalty, theta0, *, tol, max_iter, callback=None):
        rng = check_random_state(self.random_state)
        s = objective.sample_weight
        active = np.flatnonzero(s > 0)
        n = active.shape[0]
        b = int(max(1, min(self.batch_size, n)))
        step = self.step_size(objective, penalty, n, b, rng)
        gather = _row_gatherer(objective.X)

        def reset(theta):
            """``f``, SAGA's memory (table, ``ḡ``) and the gradient at ``θ``."""
            f, table = objective.residuals(theta)
            g_bar = objective.backward(table * s)
            return f, (table, g_bar), g_bar

        def epoch(theta, memory, step):
            table, g_bar = memory
            order = rng.permutation(active)
            for start in range(0, n, b):
                idx = np.sort(order[start : start + b])
                X_b = gather(idx)
                W = objective.unravel(theta)
                R = block_residuals(W, X_b, objective.y[idx], objective.fit_intercept)
                D = R - table[:, idx]
                table[:, idx] = R
                D *= s[idx]
                correction = block_backward(X_b, D, objective.fit_intercept)
                direction = g_bar + (n / idx.shape[0]) * correction
                g_bar += correction
                theta = proximal_step(objective, theta, direction, penalty, step)
            return theta, (table, g_bar)

        theta0 = np.asarray(theta0, dtype=objective.dtype).copy()
        return saga_epochs(
            objective, penalty, theta0, step, reset, epoch, lambda theta: theta,
            tol=tol, max_iter=max_iter, callback=callback,
        )  # fmt: skip


def saga_epochs(
    objective,
    penalty,
    x0,
    step: float,
    reset: Callable,
    epoch: Callable,
    to_host: Callable[..., np.ndarray],
    *,
    tol: float,
    max_iter: int,
    callback=None,
) -> SolverResult:
    """SAGA's epochs and stopping rule, whatever the iterate's array type.

    ``x`` is the iterate the steps update (``θ`` on the host, or ``W`` on a
    device); ``to_host(x)`` is ``θ``. ``reset(x)`` returns the loss at ``x``,
    SAGA's memory there (the table of residuals and ``ḡ``) and the gradient
    as a host vector; ``epoch(x, memory, step)`` takes one epoch of minibatch
    steps and returns the new ``x`` and memory. After each epoch ``F`` and
    the optimality measure are evaluated on the host; an epoch that ends
    above the starting ``F`` is redone from where it began with half the
    step.
    """
    M = objective.n_features

    def measure(g, theta):
        G, W = g.reshape(objective.shape), objective.unravel(theta)
        return subdifferential_distance(G, W, penalty, M)

    theta = to_host(x0)
    f, memory, g = reset(x0)
    F_start = f + penalty.value(objective.unravel(theta)[:M])
    x, losses, stopped = x0, [], False
    n_iter, converged = 0, measure(g, theta) <= tol
    while not converged and n_iter < max_iter:
        start_x = x
        x, memory = epoch(x, memory, step)
        theta = to_host(x)
        f, g = objective.value_and_grad(theta)
        F = f + penalty.value(objective.unravel(theta)[:M])
        if not F <= F_start:
            # Worse than the start (or not finite): the step was too long.
            # Redo the epoch from where it began, with half the step.
            x, step = start_x, step / 2
            f, memory, _ = reset(x)
            continue
        n_iter += 1
        losses.append(F)
        if notify(callback, n_iter, losses[-1], theta):
            stopped, message = True, "stopped by the callback"
            break
        converged = measure(g, theta) <= tol
    theta = to_host(x)
    if not stopped:
        message = (
            f"optimality measure <= tol={tol}"
            if converged
            else f"reached max_iter={max_iter}"
        )
    return SolverResult(theta, n_iter, converged, losses, message, stopped)
