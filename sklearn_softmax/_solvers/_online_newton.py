r"""Out-of-core Newton steps on an explicit state (``learning_rate="newton"``).

Conventions
-----------
The same pure functions on a state value as :mod:`._online`: ``init``,
``run_chunk`` (one call of ``partial_fit``) and ``end_pass``. An update takes
a *window* of ``batch_size`` rows, which may span several calls. While the
window fills, the model stays where it is and each row adds its weighted
loss, gradient and Hessian at ``θ`` to the window's sums (``Σ s_n``,
``g = Σ s_n ∇ℓ_n``, ``H = Σ s_n ∇²ℓ_n``, from one evaluation,
:meth:`.._objectives.SoftmaxObjective.value_grad_hessian`). Once the window
holds ``batch_size`` rows, with ``w = Σ s_n`` over it and ``P`` the penalty for the
stream so far (L2 only, on the coefficient rows), the Newton step of the
window's mean loss plus ``P`` is

.. math:: Δ = (H / w + ∇²P)^{-1} (g / w + ∇P(θ)).

Far from the minimiser the Newton step can overshoot, and the loss at a new
point is known only after a window of rows has been seen there. So each
step offers several candidates, the Levenberg–Marquardt steps

.. math:: Δ_μ = (H / w + ∇²P + μ \bar h I)^{-1} (g / w + ∇P(θ)),
          \qquad μ ∈ \{0, 0.3, 3\} (:data:`DAMPINGS`),

``h̄`` the mean of the diagonal: the Newton step, and two that shorten it
most along the directions of little curvature. The next window evaluates the
loss, gradient and Hessian at each ``θ_a − Δ_μ`` (``θ_a`` the point the step
was taken from, the *anchor*); the first, the Newton step, is the model
reported meanwhile. When that window closes, the candidate of lowest ``F = f
+ P`` becomes the new anchor and the next step is taken from it with its own
gradient and Hessian, if it lowers ``F`` below its value at ``θ_a`` (both
with the current ``P``; the anchor's loss from its own window) by at least
:data:`ARMIJO` of the decrease its step predicted. Otherwise the next window
tries the same steps 16 times shorter. A Hessian at each candidate triples
the cost of a row, but a step from one candidate with another's Hessian
measured far worse.

The linear system is solved by a Cholesky factorisation, with ``10⁻¹⁰`` of
the mean diagonal added (the softmax Hessian is singular along adding one
number to every class's logit; the gradient has no part there).

With ``batch_size`` equal to the number of rows of a data set streamed in
passes, each pass is one Newton step of the full-batch objective (with the
penalty of the stream so far, see :mod:`.._partial_fit`), and the stream
converges as ``fit`` with Newton's method does, quadratically, in a handful
of passes (``benchmarks/bench_schedules.py`` on digits). A window of fewer
rows is a subsampled Newton step, which jumps to near that sample's
minimiser: the model then follows the last window rather than the whole
stream. Both, and the Hessians of the candidates above, are measured in
``docs/performance.rst``, section "Measured design choices", "partial_fit:
Newton steps". The state holds a Hessian per candidate, ``8 n_params²``
bytes each: models of more than :data:`MAX_PARAMS` parameters are refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.linalg

from .._objectives import SoftmaxObjective
from .._penalties import ElasticNet
from ._batches import StreamState, close_pass

#: Largest ``n_params = (M + 1) K`` (a Hessian of 32 MiB per candidate).
MAX_PARAMS = 2048
#: ``μ`` of the candidate steps, in units of the mean of the Hessian's diagonal.
DAMPINGS = (0.0, 0.3, 3.0)
#: Sufficient decrease asked of a step, as a share of the predicted one.
ARMIJO = 1e-4
_RIDGE = 1e-10


@dataclass(frozen=True, kw_only=True)
class NewtonState(StreamState):
    """The candidates of the last step and the sums of the window.

    ``theta`` is the reported model: the first candidate (the first model,
    before any step); ``n_updates`` counts the steps.

    Attributes
    ----------
    anchor : ndarray of shape (n_params,) or None
        ``θ_a``, the point the last step was taken from; ``None`` before the
        first step.
    anchor_loss : float
        The mean loss of its window at ``θ_a``.
    steps : ndarray of shape (n_candidates, n_params) or None
        The steps ``Δ_μ`` from ``θ_a``, float64.
    slopes : ndarray of shape (n_candidates,) or None
        ``∇F(θ_a)ᵀ Δ_μ``, the decrease of ``F`` each step predicts at first
        order.
    step_length : float
        ``t``: the candidates are ``θ_a − t Δ_μ``; ``1``, divided by 16 each
        time no candidate lowers ``F``.
    window_rows : int
        Rows in the window so far.
    window_weight : float
        Their total weight ``w``.
    loss_sums : ndarray of shape (n_candidates,) or None
        ``Σ s_n ℓ_n`` at each candidate (``θ`` alone before any step).
    grad_sums : ndarray of shape (n_candidates, n_params) or None
        ``Σ s_n ∇ℓ_n`` at each candidate, float64.
    hess_sums : ndarray of shape (n_candidates, n_params, n_params) or None
        ``Σ s_n ∇²ℓ_n`` at each candidate, float64. The sums are ``None``
        while the window has no weight.

    And those of :class:`._batches.StreamState`.
    """

    anchor: np.ndarray | None = None
    anchor_loss: float = 0.0
    steps: np.ndarray | None = None
    slopes: np.ndarray | None = None
    step_length: float = 1.0
    window_rows: int = 0
    window_weight: float = 0.0
    loss_sums: np.ndarray | None = None
    grad_sums: np.ndarray | None = None
    hess_sums: np.ndarray | None = None

    def solution(self, smooth: bool) -> np.ndarray:
        """The model to report, as ``W``: ``θ``."""
        return self.theta.reshape(self.shape)

    def candidates(self) -> list[np.ndarray]:
        """The points the window evaluates: ``θ``, then the damped steps."""
        if self.anchor is None or self.steps is None:
            return [self.theta]
        anchor = self.anchor.astype(np.float64)
        damped = [
            (anchor - self.step_length * step).astype(self.theta.dtype)
            for step in self.steps[1:]
        ]
        return [self.theta, *damped]


def check_newton_problem(n_params: int, penalty_smooth: bool) -> None:
    """Raise a ValueError if the Newton steps cannot fit this model.

    Raises
    ------
    ValueError
        If the penalty has an L1 part, or ``n_params`` exceeds
        :data:`MAX_PARAMS`.
    """
    if not penalty_smooth:
        raise ValueError(
            "learning_rate='newton' takes Newton steps, which need a smooth "
            "penalty: use l1_ratio=0, or another learning_rate (their proximal "
            "steps accept an L1 part)."
        )
    if n_params > MAX_PARAMS:
        raise ValueError(
            f"learning_rate='newton' stores the Hessian of all {n_params} "
            f"parameters ({8 * n_params**2 / 2**20:.0f} MiB); it is limited to "
            f"{MAX_PARAMS} parameters ((n_features + 1) * n_classes). Use "
            "learning_rate='adagrad' for larger models."
        )


def _next_window(state: NewtonState, **changes) -> NewtonState:
    """``state`` with ``changes`` and an empty window."""
    return dataclasses.replace(
        state,
        window_rows=0,
        window_weight=0.0,
        loss_sums=None,
        grad_sums=None,
        hess_sums=None,
        **changes,
    )


@dataclass(frozen=True)
class OnlineNewton:
    """Newton steps on windows of ``batch_size`` rows, across calls."""

    state_type: ClassVar[type] = NewtonState

    def init(
        self, theta0: np.ndarray, shape: tuple[int, int], weight_seen: float = 0.0
    ) -> NewtonState:
        """The state at ``θ₀`` (of ``W``'s ``shape``), with an empty window.

        ``weight_seen`` counts data already fitted (by ``fit``) in ``W_t``.
        """
        return NewtonState(
            theta=np.array(theta0, copy=True).ravel(),
            shape=(int(shape[0]), int(shape[1])),
            weight_seen=float(weight_seen),
        )

    def run_chunk(
        self,
        state: NewtonState,
        objective: SoftmaxObjective,
        batch_size: int,
        penalty_for: Callable[[float], ElasticNet],
    ) -> NewtonState:
        """Add the samples of ``objective`` to the window, a step whenever it is full.

        Parameters as :meth:`._online.OnlineSGD.run_chunk`; ``batch_size``
        is the number of samples of a window.
        """
        n, start = objective.n_samples, 0
        while start < n:
            stop = min(n, start + batch_size - state.window_rows)
            state = self._add_rows(state, objective, start, stop)
            if state.window_rows == batch_size:
                M = objective.n_features
                state = self._close_window(state, penalty_for(state.weight_seen), M)
            start = stop
        return state

    def end_pass(self, state: NewtonState) -> tuple[NewtonState, float]:
        """Close a pass; returns the new state and its mean loss at ``θ``."""
        return close_pass(state)

    @staticmethod
    def _add_rows(state: NewtonState, objective: SoftmaxObjective, start, stop):
        """The window with the samples ``start:stop`` of ``objective`` added."""
        weight = objective.weight(start, stop)
        n_rows = stop - start
        if not weight > 0:  # rows without weight only count
            return dataclasses.replace(state, window_rows=state.window_rows + n_rows)
        rows = objective.sample_range(start, stop, dtype=state.theta.dtype)
        evaluations = [rows.value_grad_hessian(p) for p in state.candidates()]
        losses = weight * np.array([f for f, _, _ in evaluations])
        grads = weight * np.array([g for _, g, _ in evaluations], dtype=np.float64)
        hessians = weight * np.array([H for _, _, H in evaluations])
        if state.loss_sums is not None:  # the sums are set together
            assert state.grad_sums is not None and state.hess_sums is not None
            losses += state.loss_sums
            grads += state.grad_sums
            hessians += state.hess_sums
        return dataclasses.replace(
            state,
            weight_seen=state.weight_seen + weight,
            window_rows=state.window_rows + n_rows,
            window_weight=state.window_weight + weight,
            loss_sums=losses,
            grad_sums=grads,
            hess_sums=hessians,
            pass_loss=state.pass_loss + weight * evaluations[0][0],
            pass_weight=state.pass_weight + weight,
        )

    @staticmethod
    def _close_window(state: NewtonState, penalty: ElasticNet, M: int) -> NewtonState:
        """Step from the best candidate, or try shorter steps if none is better.

        The window starts again empty either way.
        """
        if (
            state.loss_sums is None
            or state.grad_sums is None
            or state.hess_sums is None
        ):
            return _next_window(state)
        w, MK = state.window_weight, M * state.shape[1]
        points = [p.astype(np.float64) for p in state.candidates()]
        F = state.loss_sums / w + [penalty.smooth_value(p[:MK]) for p in points]
        best = int(np.argmin(F))
        if state.anchor is not None and state.steps is not None:
            assert state.slopes is not None
            anchor = state.anchor.astype(np.float64)
            F_anchor = state.anchor_loss + penalty.smooth_value(anchor[:MK])
            decrease = ARMIJO * state.step_length * state.slopes[best]
            if not F[best] <= F_anchor - decrease:
                shorter = state.step_length / 16
                theta = anchor - shorter * state.steps[0]
                return _next_window(
                    state, theta=theta.astype(state.theta.dtype), step_length=shorter
                )
        g = state.grad_sums[best] / w
        g[:MK] += penalty.grad(points[best][:MK])
        steps = damped_newton_steps(state.hess_sums[best] / w, g, penalty, MK)
        return _next_window(
            state,
            theta=(points[best] - steps[0]).astype(state.theta.dtype),
            n_updates=state.n_updates + 1,
            anchor=points[best].astype(state.theta.dtype),  # exact: θ's dtype
            anchor_loss=float(state.loss_sums[best] / w),
            steps=steps,
            slopes=steps @ g,
            step_length=1.0,
        )


def damped_newton_steps(
    H: np.ndarray, g: np.ndarray, penalty: ElasticNet, MK: int
) -> np.ndarray:
    """``(H + ∇²P + μ h̄ I)⁻¹ g`` for each ``μ`` of :data:`DAMPINGS`.

    Parameters
    ----------
    H : ndarray of shape (n_params, n_params)
        The Hessian of the mean loss (overwritten).
    g : ndarray of shape (n_params,)
        The gradient of the mean loss plus the penalty's.
    penalty : ElasticNet
        Its L2 strength is added on the first ``MK`` entries of the diagonal
        (the coefficient rows).
    MK : int
        ``M K``.

    Returns
    -------
    steps : ndarray of shape (len(DAMPINGS), n_params)
    """
    diagonal = np.einsum("ii->i", H)  # a view: written through
    diagonal[:MK] += penalty.l2_strength
    scale = max(float(diagonal.mean()), np.finfo(np.float64).tiny)
    diagonal += _RIDGE * scale
    steps = []
    for mu, previous in zip(DAMPINGS, (0.0, *DAMPINGS), strict=False):
        diagonal += (mu - previous) * scale
        steps.append(scipy.linalg.cho_solve(scipy.linalg.cho_factor(H), g))
    return np.array(steps)
