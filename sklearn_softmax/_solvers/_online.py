r"""Minibatch stochastic gradient steps on an explicit state (``partial_fit``).

Conventions
-----------
The solver is a pair of pure functions on a state value, as in optax:
``state = solver.init(θ₀)``, then ``state = solver.update(state, objective,
penalty, weight)`` for each minibatch, and ``state, loss =
solver.end_pass(state)`` after each pass (a call of ``partial_fit``).
Nothing is changed in place: each call returns a new :class:`OnlineState`,
so a caller that stops half-way still holds the state it started from.

Each update sees one minibatch ``B`` as a
:class:`.._objectives.SoftmaxObjective` ``f_B`` (the batch's weighted mean
cross-entropy, on a view of the batch), the penalty ``P_t`` to use (the
estimator scales it to the stream, see :mod:`.._partial_fit`) and the
batch's total weight. With ``G`` the gradient of ``f_B`` plus that of the L2
part of ``P_t`` (coefficient rows only), the update is

.. math:: θ ← θ − η_t ∘ G, \qquad
          W[:M] ← \mathrm{prox}_{η_t α_t ρ ‖·‖_1}(W[:M]),

the L1 part (if any) taken by its proximal step, the soft-thresholding of
:meth:`.._penalties.ElasticNet.prox`: exact zeros. :func:`proximal_step` is
that step (SAGA, the solver of ``fit``, takes the same step on the native
arrays of its objective, in :mod:`._saga`, with a variance-reduced estimate
of the gradient). The schedules, ``t`` the
number of updates so far, this one included, and ``η₀`` = ``eta0``:

* ``"constant"``: ``η_t = η₀``;
* ``"invscaling"``: ``η_t = η₀ / t^{power_t}``;
* ``"optimal"``: ``η_t = 1 / (α_t t + 1 / η₀)``, scikit-learn's
  ``1 / (α (t + t₀))`` with ``α_t`` the L2 strength of ``P_t`` (the
  objective's strong convexity) and ``t₀`` such that ``η_1 ≈ η₀``; as ``α_t``
  falls like ``1 / W_t`` in a stream, ``α_t t`` stays near ``1 / (C b)``
  (``b`` the batch weight), so the step stays near ``η₀`` unless ``C`` is
  small;
* ``"adaptive"``: ``η₀``, divided by 5 each time :data:`N_PASSES_NO_CHANGE`
  passes in a row fail to lower the best mean loss of a pass by ``tol``
  (each batch's loss is taken before its update: a held-out estimate);
* ``"adagrad"``: per entry ``η_t = η₀ / (ε + \sqrt{Σ_{τ ≤ t} G_τ²})``
  (Duchi, Hazan & Singer 2011), steps that shrink fastest where the
  gradients are large, and the L1 threshold per entry with them.

``eta0="auto"`` is ``η₀ =`` :data:`ADAGRAD_ETA0` for ``"adagrad"`` (each
entry moves by about that much in its first step: suited to standardised
features), and for the scalar schedules ``η₀ = 1 / L̂`` with ``L̂ = ½ mean_n
‖x̃_n‖²`` over the first batch (``x̃_n = (x_n, 1)`` with an intercept): the
curvature of a batch's mean loss is at most ``½ λ_max(mean x̃ x̃ᵀ) ≤ L̂``
(the Hessian of ``ℓ`` in the logits is at most ``½``).

The reported model (:meth:`OnlineState.solution`) is the polynomial-decay
average of the iterates (Shamir & Zhang 2013), iterate ``t`` entering with
weight ``(γ + 1) / (t + γ)``, ``γ =`` :data:`AVERAGE_DECAY`: an average over
roughly the last fifth of the updates, which forgets the start; with an L1
part, the last iterate, whose zeros are exact (FTRL's state, :mod:`._ftrl`,
reports its own average on the last iterate's support).

AdaGrad with ``η₀ = 0.3`` is the default: streaming digits in small calls
(``benchmarks/bench_schedules.py``), it came closest to the full fit after a
few passes, with the smallest spread over shuffles among the good schedules;
Adam was measured no better and left out. ``"adaptive"`` counts calls as
passes: with small calls their losses are noisy and it cuts its step too
early. The polynomial-decay average came closer to the full fit than the
last iterate and the uniform average. The figures are in
``docs/performance.rst``, section "Measured design choices",
"partial_fit: the schedules"; on the 10⁶ rows of
``benchmarks/bench_stream.py`` one pass is enough (digits over several passes:
see :mod:`._online_newton`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from .._objectives import SoftmaxObjective
from .._objectives._samples import scale_rows
from .._penalties import ElasticNet, StructuredPenalty, soft_threshold
from ._batches import AveragedState, close_pass, step_batches
from ._scaling import online_scales

#: The schedules of ``SGDClassifier`` and AdaGrad.
LEARNING_RATES = ("constant", "optimal", "invscaling", "adaptive", "adagrad")
#: Passes without improvement after which ``"adaptive"`` divides its step by 5.
N_PASSES_NO_CHANGE = 5
#: ``eta0="auto"`` for ``"adagrad"``.
ADAGRAD_ETA0 = 0.3
#: ``γ`` of the polynomial-decay average.
AVERAGE_DECAY = 3.0
#: ``ε`` added to the curvature estimates, per batch.
CURVATURE_EPS = 1e-8


@dataclass(frozen=True, kw_only=True)
class OnlineState(AveragedState):
    """Everything the online solver carries from one minibatch to the next.

    Attributes
    ----------
    accumulator : ndarray of shape (n_params,) or None
        ``Σ_τ G_τ²`` for ``"adagrad"`` (in ``u = θ / d`` where ``scales`` is
        set).
    best_loss : float
        Lowest mean loss of a pass.
    n_no_change : int
        Passes in a row that did not improve on ``best_loss`` by ``tol``.

    And those of :class:`._batches.AveragedState` (``average``, ``eta0``,
    ``scales``) and :class:`._batches.StreamState` (``theta``, ``shape``, the
    counts and the passes' losses).
    """

    accumulator: np.ndarray | None = None
    best_loss: float = np.inf
    n_no_change: int = 0


def proximal_step(
    objective: SoftmaxObjective,
    theta: np.ndarray,
    direction: np.ndarray,
    penalty: ElasticNet,
    step: float | np.ndarray,
) -> np.ndarray:
    """``θ − step ∘ (direction + ∇P₂)``, then the L1 part's proximal step.

    Parameters
    ----------
    objective : SoftmaxObjective
        Gives the layout of ``θ`` (``n_features``, ``unravel``).
    theta, direction : ndarray of shape (n_params,)
        The iterate and an estimate of the gradient of the data term.
    penalty : ElasticNet
        ``∇P₂``, the gradient of its L2 part, is added on the coefficient
        rows; its L1 part is applied by soft-thresholding.
    step : float or ndarray of shape (n_params,)
        A step, or one per entry.

    Returns
    -------
    theta : ndarray of shape (n_params,)
        A new array.
    """
    direction = with_l2_gradient(objective, theta, direction, penalty)
    return _descend(objective, theta, direction, penalty, step)


def with_l2_gradient(objective, theta, direction, penalty: ElasticNet) -> np.ndarray:
    """``direction + ∇P₂(θ)`` on the coefficient rows (a copy if it adds any)."""
    if not penalty.l2_strength:
        return direction
    M = objective.n_features
    D = objective.unravel(direction).copy()
    D[:M] += penalty.grad(objective.unravel(theta)[:M])
    return D.ravel()


def scaled_mean_squared_norm(objective: SoftmaxObjective, scales) -> float:
    """``mean_n ‖d ∘ x̃_n‖²``, unweighted, with ``d`` the rows of ``scales``."""
    rows = objective.unravel(scales)[: objective.n_features, 0]
    X = scale_rows(objective.X, rows)
    if sp.issparse(X):
        total = float(X.multiply(X).sum())
    else:
        total = float(np.einsum("mn,mn->", X, X))
    return total / max(X.shape[1], 1) + float(objective.fit_intercept)


def _descend(
    objective, theta, direction, penalty: ElasticNet, step, wide: bool = False
) -> np.ndarray:
    """``θ − step ∘ direction``, then soft-thresholding by the L1 part.

    ``wide``: the steps are kept in their own dtype (float64 factors ``d²``
    that the objective's dtype cannot hold), not cast to the objective's.
    """
    M = objective.n_features
    steps = np.broadcast_to(step, theta.shape)
    steps = steps.reshape(objective.shape) if wide else objective.unravel(steps)
    W_new = objective.unravel(theta) - steps * objective.unravel(direction)
    if isinstance(penalty, StructuredPenalty):  # L1 or group, bounds: its prox
        W_new[:M] = penalty.prox_l1(W_new[:M], steps[:M])
    elif penalty.l1_strength:
        W_new[:M] = soft_threshold(W_new[:M], steps[:M] * penalty.l1_strength)
    return W_new.ravel()


@dataclass(frozen=True)
class OnlineSGD:
    """Minibatch stochastic gradient steps with the schedules above.

    Parameters
    ----------
    learning_rate : str
        One of :data:`LEARNING_RATES`.
    eta0 : float or "auto"
        Base step.
    power_t : float
        Exponent of ``"invscaling"``.
    tol : float
        Improvement that ``"adaptive"`` asks of a pass.
    """

    learning_rate: str = "adagrad"
    eta0: float | str = "auto"
    power_t: float = 0.5
    tol: float = 1e-4
    state_type: ClassVar[type] = OnlineState

    def init(
        self, theta0: np.ndarray, shape: tuple[int, int], weight_seen: float = 0.0
    ) -> OnlineState:
        """The state at ``θ₀`` (of ``W``'s ``shape``), before any update.

        ``weight_seen`` counts data already fitted (by ``fit``) in ``W_t``.
        """
        theta = np.array(theta0, copy=True).ravel()
        return OnlineState(
            theta=theta,
            average=theta.copy(),
            shape=(int(shape[0]), int(shape[1])),
            weight_seen=float(weight_seen),
        )

    def _resolve_eta0(self, objective: SoftmaxObjective, scales=None) -> float:
        if self.eta0 != "auto":
            return float(self.eta0)
        if self.learning_rate == "adagrad":
            return ADAGRAD_ETA0
        if scales is not None:  # the features of u: d_m x_m
            return 2.0 / scaled_mean_squared_norm(objective, scales)
        return 2.0 / objective.mean_squared_norm()

    def _step(self, state: OnlineState, penalty: ElasticNet, t: int) -> float:
        """``η_t`` for the scalar schedules."""
        assert state.eta0 is not None  # resolved by the first update
        if self.learning_rate == "invscaling":
            return state.eta0 / t**self.power_t
        if self.learning_rate == "optimal":
            return 1.0 / (penalty.l2_strength * t + 1.0 / state.eta0)
        return state.eta0  # "constant"; "adaptive" lowers eta0 in end_pass

    def update(
        self,
        state: OnlineState,
        objective: SoftmaxObjective,
        penalty: ElasticNet,
        weight: float,
    ) -> OnlineState:
        """One step on the minibatch ``objective``; returns the new state.

        Parameters
        ----------
        state : OnlineState
            The state before the step (left unchanged).
        objective : SoftmaxObjective
            The batch's mean loss.
        penalty : ElasticNet
            The penalty for the stream so far, this batch included.
        weight : float
            The batch's total sample weight, positive.
        """
        t = state.n_updates + 1
        if state.eta0 is None:
            scales = online_scales(objective, penalty)
            eta0 = self._resolve_eta0(objective, scales)
            state = dataclasses.replace(state, eta0=eta0, scales=scales)
        f, g = objective.value_and_grad(state.theta)
        G = with_l2_gradient(objective, state.theta, g, penalty)
        accumulator, d = state.accumulator, state.scales
        if self.learning_rate == "adagrad":
            Gu = G if d is None else d * G  # the gradient in u
            accumulator = Gu * Gu if accumulator is None else accumulator + Gu * Gu
            step = state.eta0 / (CURVATURE_EPS + np.sqrt(accumulator))
        else:
            step = self._step(state, penalty, t)
        if d is not None:  # u's step, on θ = d ∘ u
            step = step * (d * d)
        theta = _descend(objective, state.theta, G, penalty, step, d is not None)
        theta = theta.astype(state.theta.dtype, copy=False)
        rate = (AVERAGE_DECAY + 1.0) / (t + AVERAGE_DECAY)
        average = state.average + rate * (theta - state.average)
        return dataclasses.replace(
            state,
            theta=theta,
            average=average.astype(theta.dtype, copy=False),
            n_updates=t,
            weight_seen=state.weight_seen + weight,
            accumulator=accumulator,
            pass_loss=state.pass_loss + weight * f,
            pass_weight=state.pass_weight + weight,
        )

    def end_pass(self, state: OnlineState) -> tuple[OnlineState, float]:
        """Close a pass: its mean loss, and the ``"adaptive"`` rule.

        Returns the new state and the weighted mean of the pass's batch
        losses, each taken before the batch's update (``nan`` if the pass saw
        no batch).
        """
        closed, loss = close_pass(state)
        if closed is state:
            return state, loss
        n_no_change = 0 if loss < state.best_loss - self.tol else state.n_no_change + 1
        eta0 = state.eta0
        if eta0 is not None and (
            self.learning_rate == "adaptive" and n_no_change >= N_PASSES_NO_CHANGE
        ):
            eta0, n_no_change = eta0 / 5.0, 0
        new = dataclasses.replace(
            closed,
            best_loss=min(state.best_loss, loss),
            n_no_change=n_no_change,
            eta0=eta0,
        )
        return new, loss

    def run_chunk(
        self,
        state: OnlineState,
        objective: SoftmaxObjective,
        batch_size: int,
        penalty_for: Callable[[float], ElasticNet],
    ) -> OnlineState:
        """One update per minibatch of ``batch_size`` consecutive samples, in order.

        Parameters
        ----------
        state : OnlineState
            The state before the first batch (left unchanged).
        objective : SoftmaxObjective
            The chunk's objective, its weights as given. Each minibatch is the
            objective of a run of its samples (sharing its memory), cast to
            the dtype of ``state.theta`` if needed; runs without weight are
            skipped.
        batch_size : int
            Samples per minibatch.
        penalty_for : callable
            The penalty of a batch, from the total weight seen with it.

        Returns
        -------
        state : OnlineState
            The state after the last batch; the pass is not closed
            (:func:`._batches.step_batches`).
        """
        return step_batches(self.update, state, objective, batch_size, penalty_for)
