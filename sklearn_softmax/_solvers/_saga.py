r"""SAGA: minibatch stochastic steps that converge to the exact minimiser.

``SoftmaxRegression(solver="sgd").fit`` runs epochs of the minibatch steps of
:mod:`._online` (a gradient step, then the L1 part's proximal step:
:func:`proximal_gradient_step`, the math of :func:`._online.proximal_step`),
with the gradient of the batch replaced by SAGA's variance-reduced estimate
(Defazio, Bach & Lacoste-Julien 2014).

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
``random_state``. After each epoch one full pass evaluates ``F(θ)``
(``loss_curve_``) and the optimality measure of every solver,
:func:`._base.subdifferential_distance`, against ``tol``
(:func:`._epochs.run_epochs`).

The algorithm never reads the data: it sees the objective's terms
(:class:`.._objectives._protocols.FiniteSumTerms`), whose batches give
``ŝ_B``, ``r_n(θ)`` and the products ``Σ_n x̃_n d_nᵀ``, and steps on their
*native* arrays, so that the same loop runs in memory (a batch's samples
gathered from ``X``, a copy of ``b`` of them) and on an array-API device
(``W``, ``ḡ``, the table and each batch stay on the device of ``X``; ``θ``
comes to the host once an epoch, for the evaluation, the callback and the
test). The epoch's sample order goes to the objective once, as an index
vector, and the table is kept in that order during the epoch, so that each
batch reads and writes a slice of it (the array API has no scatter).
Stepping on host vectors instead would move ``θ`` to a device and the
gradient back for every batch (``N / b`` round trips an epoch). The steps
are taken in the objective's dtype (on the host their penalty parts in
float64, rounded, as in the online steps of ``partial_fit``).

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
objective, it is redone from where it began with half the step (at most
:data:`._epochs.MAX_HALVINGS` times).

Weak penalties make such problems ill-conditioned for a first-order method,
which then takes far more epochs than ``newton-cg`` takes iterations.
``"sgd"`` is there to reach the exact minimiser by the updates of
``partial_fit``, not for speed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from .._objectives._protocols import FiniteSumObjective, FiniteSumTerms
from .._penalties import Penalty, StructuredPenalty
from ._base import Solver, SolverResult
from ._epochs import run_epochs
from ._problem import CompositeProblem
from ._scaling import feature_scales

#: Samples per batch of ``fit(solver="sgd")`` unless the estimator says.
DEFAULT_BATCH_SIZE = 32
#: The step is this over ``L_b`` (see the module docstring).
STEP_FACTOR = 2.0


def proximal_gradient_step(
    problem: CompositeProblem, terms: FiniteSumTerms, W, D, step, scale=None
):
    """``W − step (D + ∇P₂)``, then the L1 part's soft-thresholding.

    On the native arrays of ``terms`` (see
    :class:`.._objectives._protocols.FiniteSumTerms`), in the objective's
    dtype; ``∇P₂ = α (1 − ρ) W`` and the soft-thresholding ``sign(w)
    max(|w| − step α ρ, 0)`` (the proximal step of the L1 part: exact zeros)
    act on the coefficient rows ``W[:M]`` alone, computed in
    ``terms.wide_dtype`` and rounded. With ``scale`` (``d`` of
    :mod:`._scaling` as a native array of ``W``'s shape) the step is taken
    in ``u = θ / d`` instead (:func:`_scaled_step`).
    """
    if scale is not None:
        return _scaled_step(problem, terms, W, D, step, scale)
    xp, dtype, wide = terms.xp, terms.dtype, terms.wide_dtype
    penalty, M = problem.penalty, problem.n_features
    if isinstance(penalty, StructuredPenalty):
        return _structured_step(penalty, M, W, D, step)
    l2, l1 = float(penalty.l2_strength), float(penalty.l1_strength)
    if l2:
        coef = xp.astype(D[:M, :], wide, copy=False)
        coef = coef + l2 * xp.astype(W[:M, :], wide, copy=False)
        D = xp.concat([xp.astype(coef, dtype, copy=False), D[M:, :]], axis=0)
    W = W - step * D
    if l1:
        threshold = float(np.asarray(step, dtype=problem.dtype)) * l1
        coef = xp.astype(W[:M, :], wide, copy=False)
        shrunk = xp.abs(coef) - threshold
        shrunk = xp.maximum(shrunk, xp.zeros_like(shrunk))
        coef = xp.astype(xp.sign(coef) * shrunk, dtype, copy=False)
        W = xp.concat([coef, W[M:, :]], axis=0)
    return W


def _structured_step(penalty: StructuredPenalty, M: int, W, D, step):
    """:func:`proximal_gradient_step` for a structured penalty (NumPy arrays).

    The gradient step with ``∇P₂ = α (1 − ρ) f ∘ W``, then the penalty's
    proximal map of its non-smooth part (L1 or group, bounds, exclusions).
    """
    W = np.array(W, copy=True)
    W[M:] -= step * D[M:]
    coef = W[:M] - step * (D[:M] + penalty.grad(W[:M]))
    W[:M] = penalty.prox_l1(coef, float(step))
    return W


def _scaled_step(problem: CompositeProblem, terms: FiniteSumTerms, U, D, step, S):
    r"""The step of :func:`proximal_gradient_step` on ``F̃(u) = F(d ∘ u)``.

    ``U`` is ``u``, ``D`` the estimate of ``∇f`` in ``θ`` and ``S`` is ``d``:
    ``∇_u f = d ∘ D``, the L2 part's gradient ``α (1 − ρ) d ∘ θ`` and the L1
    threshold ``step α ρ d`` on the coefficient rows (``θ = d ∘ u`` is met
    before any product of two large numbers).
    """
    xp, dtype, wide = terms.xp, terms.dtype, terms.wide_dtype
    penalty, M = problem.penalty, problem.n_features
    l2, l1 = float(penalty.l2_strength), float(penalty.l1_strength)
    G = S * D
    if l2:
        coef = xp.astype(G[:M, :], wide, copy=False)
        theta = xp.astype(S[:M, :] * U[:M, :], wide, copy=False)
        coef = coef + l2 * xp.astype(S[:M, :], wide, copy=False) * theta
        G = xp.concat([xp.astype(coef, dtype, copy=False), G[M:, :]], axis=0)
    U = U - step * G
    if l1:
        threshold = float(np.asarray(step, dtype=problem.dtype)) * l1
        threshold = threshold * xp.astype(S[:M, :], wide, copy=False)
        coef = xp.astype(U[:M, :], wide, copy=False)
        shrunk = xp.abs(coef) - threshold
        shrunk = xp.maximum(shrunk, xp.zeros_like(shrunk))
        coef = xp.astype(xp.sign(coef) * shrunk, dtype, copy=False)
        U = xp.concat([coef, U[M:, :]], axis=0)
    return U


class SAGAEpochs:
    """SAGA's memory and epochs: the table of residuals ``φ`` and ``ḡ``.

    The :class:`._epochs.Epochs` of :class:`SAGA` (see the module), on the
    native arrays of ``terms``; the iterate is ``W``, or ``u = θ / d`` with
    ``scale`` (``d`` of :mod:`._scaling`, native, of ``W``'s shape): the
    table, ``ḡ`` and the batches' residuals stay those of ``θ = d ∘ u``.
    """

    def __init__(
        self,
        problem: CompositeProblem,
        terms: FiniteSumTerms,
        batch_size: int,
        rng,
        scale: Any = None,
    ):
        self.problem, self.terms = problem, terms
        self.batch_size, self.rng = batch_size, rng
        self.scale = scale
        self.table: Any = None
        self.g_bar: Any = None

    def _theta(self, W):
        """The native ``W`` of ``θ`` from the iterate."""
        return W if self.scale is None else self.scale * W

    def start(self, W) -> tuple[float, np.ndarray]:
        """The table at ``W`` (one pass): ``f(W)`` and ``∇f(W) = ḡ``."""
        f, self.table, self.g_bar = self.terms.residual_table(self._theta(W))
        return f, self.terms.to_host(self.g_bar)

    def restart(self, W) -> None:
        """The table and ``ḡ`` at ``W`` again."""
        self.start(W)

    def solution(self, W) -> np.ndarray:
        """``θ`` on the host."""
        return self.terms.to_host(self._theta(W))

    def run(self, W, step: float | None):
        """One epoch: every term once, in batches of a new random order."""
        assert step is not None
        terms, xp, n, b = self.terms, self.terms.xp, self.terms.n, self.batch_size
        order = self.rng.permutation(n)
        batches = [np.sort(order[a : a + b]) for a in range(0, n, b)]
        positions = np.concatenate(batches)
        perm = terms.positions(positions)
        # The table in this epoch's order: each batch is a slice of it. The
        # table in the samples' order is let go meanwhile: one table (K × n)
        # during the epoch, two only while one is copied into the other.
        T, g_bar, start = xp.take(self.table, perm, axis=1), self.g_bar, 0
        self.table = None
        for size in [batch.shape[0] for batch in batches]:
            stop = start + size
            batch = terms.batch(perm[start:stop])
            R = batch.residuals(self._theta(W))
            D = (R - T[:, start:stop]) * batch.weights
            T[:, start:stop] = R
            correction = batch.backward(D)
            direction = g_bar + (n / size) * correction
            g_bar = g_bar + correction
            W = proximal_gradient_step(
                self.problem, terms, W, direction, step, self.scale
            )
            start = stop
        back = terms.positions(np.argsort(positions))
        self.table, self.g_bar = xp.take(T, back, axis=1), g_bar
        del T
        return W


class SAGA(Solver):
    """Minibatch SAGA with proximal steps (``solver="sgd"``), on finite sums.

    Runs on any objective that provides ``"finite_sum"``: in memory, and on
    the device of an array-API objective.

    Parameters
    ----------
    batch_size : int
        Samples per batch (at most the number of samples).
    random_state : int, RandomState instance or None
        Seeds the order of the samples in each epoch.
    """

    name = "sgd"
    requires = frozenset({"gradient", "finite_sum"})
    keeps_sample_scores = True  # the K × N table of residuals
    smooth_only = False
    handles = frozenset({"factors", "excluded", "groups", "bounds", "two-class bounds"})
    stochastic = True

    def __init__(self, batch_size: int = DEFAULT_BATCH_SIZE, random_state=None):
        self.batch_size = batch_size
        self.random_state = random_state

    def configured(
        self, *, batch_size: int, random_state=None, online: dict | None = None
    ) -> SAGA:
        """A copy with the estimator's batch size and random state.

        ``online``, the options of a stream's online solver, is not used here.
        """
        return SAGA(batch_size=batch_size, random_state=random_state)

    @staticmethod
    def step_size(
        terms: FiniteSumTerms,
        penalty: Penalty,
        b: int,
        rng,
        row_scales: np.ndarray | None = None,
    ) -> float:
        """``STEP_FACTOR / L_b`` for the ``n`` terms in batches of ``b`` (see above).

        With ``row_scales`` (``d`` of the features, ``(M,)``), that of the
        terms in ``u = θ / d``: the features ``d_m x_m``, the L2 curvature at
        most ``α (1 − ρ) max_m d_m²``.
        """
        n = terms.n
        if row_scales is None:
            L, L_max = terms.curvature_bounds(rng)
            l2 = penalty.l2_strength
        else:
            L, L_max = terms.curvature_bounds(rng, row_scales)
            rows = np.asarray(row_scales, dtype=np.float64)
            l2 = penalty.l2_strength * float(np.max(rows * rows, initial=0.0))
        if n > 1:
            L_b = (n * (b - 1) * L + (n - b) * L_max) / (b * (n - 1))
        else:
            L_b = L_max
        L_b += l2
        return STEP_FACTOR / max(float(L_b), float(np.finfo(np.float64).tiny))

    def solve(
        self,
        objective: FiniteSumObjective,
        penalty: Penalty,
        theta0: np.ndarray,
        *,
        tol: float,
        max_iter: int,
        callback=None,
    ) -> SolverResult:
        """Epochs of SAGA steps from ``θ₀`` (see the module).

        Where :func:`._scaling.feature_scales` asks for it (features near the
        dtype's range), the steps are those of SAGA on ``u = θ / d``; the
        epochs' evaluations and the result are in ``θ``.
        """
        rng = check_random_state(self.random_state)
        terms = objective.finite_sum()
        b = int(max(1, min(self.batch_size, terms.n)))
        problem = CompositeProblem(objective, penalty)
        d = feature_scales(objective, penalty)
        if d is None:
            step = self.step_size(terms, penalty, b, rng)
            scale, x0 = None, terms.to_native(problem.project(np.asarray(theta0)))
        else:
            rows = objective.unravel(d)[: objective.n_features, 0]
            step = self.step_size(terms, penalty, b, rng, rows)
            scale = terms.to_native(d)
            x0 = terms.to_native(np.asarray(theta0, dtype=d.dtype) / d)
        return run_epochs(
            problem,
            SAGAEpochs(problem, terms, b, rng, scale),
            x0,
            step=step,
            tol=tol,
            max_iter=max_iter,
            callback=callback,
        )
