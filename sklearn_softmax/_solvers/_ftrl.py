r"""FTRL-proximal on an explicit state (``learning_rate="ftrl"``): sparse streams.

Conventions
-----------
The solver has the interface of :class:`._online.OnlineSGD` (``init``,
``update``, ``run_chunk``, ``end_pass`` on a state value). It is the
per-coordinate FTRL-proximal of McMahan et al. (2013, "Ad click prediction:
a view from the trenches") in the stream's units. Batch ``τ`` has weight
``b_τ``, mean-loss gradient ``g_τ`` at its iterate ``θ_τ``, and penalty
``P_τ`` of strength ``α_τ`` (``l1_strength = α_τ ρ``, ``l2_strength = α_τ
(1 − ρ)``; ``α_τ = 1 / (C W_τ)`` in ``partial_fit``, :mod:`.._partial_fit`,
``fit``'s fixed ``α`` on a dask stream), ``W_t = Σ_{τ ≤ t} b_τ``. In the
sum's units (``fit``'s ``C Σ s ℓ + P`` divided by ``C``), the iterate after
batch ``t`` is, per entry,

.. math:: θ_{t+1} = \operatorname{argmin}_w\; z_t w + \tfrac12 c_t w^2
          + λ_t |w|, \qquad λ_t = W_t α_t ρ, \quad
          c_t = (β_t + \sqrt{n_t}) / η_0, \quad
          n_t = \sum_{τ ≤ t} G_τ^2,

with ``G_τ = b_τ (g_τ + α_τ (1 − ρ) W_τ)`` (the L2 part linearised, as the
other schedules take it) and ``z_t = Σ_τ (G_τ − (c_τ − c_{τ−1}) θ_τ)``
(the proximal terms centred at each iterate), less the pull below. The
intercept row has no penalty. The L1 threshold ``λ_t`` is the L1 part of
``fit``'s penalty for the data so far, applied to the *accumulated*
gradient: an entry is exactly zero while ``|z_t| ≤ λ_t``, which is the
batch optimum's condition ``|Σ_n s_n ∂ℓ_n / ∂w| ≤ ρ / C`` on the gradients
streamed so far. (The proximal AdaGrad step instead thresholds each step by
``η_t α_t ρ``, which vanishes as the steps shrink.)

**The pull.** With ``λ_t`` alone, an entry whose sign stays the same moves
as ``θ_{t+1} = θ_t − G_t / c_t``: gradient steps without the L1 part, which
acts only through ``λ_t``'s growth ``λ_t − λ_{t−1}``. In ``partial_fit``
``λ_t = ρ / C`` does not grow, so textbook FTRL-proximal heads for the
unpenalised model (it minimises ``Σ g·w`` plus the penalty once, against
a curvature ``c_t ∝ \sqrt t`` rather than the data's ``∝ t``). Each
batch's own L1 term ``b_t α_t ρ |w|`` is what the steps need: the part of it
that ``λ_t`` does not supply, ``p_t = b_t α_t ρ − (λ_t − λ_{t−1}) =
W_{t−1} (α_{t−1} − α_t) ρ``, is taken linearised at ``θ_t`` (``+ p_t
sign θ_t``, with ``sign θ_t = −sign z``), never past the threshold
(:func:`pull_to_threshold`). Nonzero entries then move as proximal steps on
each batch's ``f + P_t`` (the fixed point is the optimality condition of
the current ``P_t``), zeros are decided on the accumulated gradient; with a
fixed ``α`` (dask), ``p_t = 0`` and this is McMahan et al.'s update.

The state keeps ``z̄ = z / W_t`` and ``q = \sqrt{n_t} / W_t`` (units of
``W_t``, so that no weight scale under- or overflows them), carried with
``r = W_{t−1} / W_t`` and ``a = b_t / W_t``: ``q_t = hypot(r q_{t−1}, a
Ĝ_t)``, ``z̄_t = r z̄_{t−1} − p̄ sign z̄ + a Ĝ_t − (c̄_t − r c̄_{t−1}) θ_t``
(the pull cut at the threshold),
``p̄ = r (α_{t−1} − α_t) ρ``, ``c̄_t = (q_t + ε / t) / η_0`` (``β_t = ε
W_t / t``: AdaGrad's ``ε`` per batch), the threshold ``α_t ρ``; the
minimiser is :func:`ftrl_minimiser`, ``θ = −soft(z̄, α_t ρ) / c̄``.

A stream that starts at a given model (after ``fit``, after a change of
``learning_rate``, or a dask warm start) starts with ``z̄ = −α_1 ρ sign
W₀``: the first closed form moves from ``W₀`` instead of thresholding it
afresh (``0`` for a first model, whose coefficients are zero).

``η_0`` = ``eta0``; ``"auto"`` is :data:`FTRL_ETA0` (each entry moves by
about that much in its first step, as with AdaGrad). The reported model
(:meth:`FTRLState.solution`) is the polynomial-decay average of the
iterates, ``γ =`` :data:`FTRL_AVERAGE_DECAY` (an average over roughly the
last ``1 / (γ + 1)`` of the updates: the stream's penalty moves, so the
average forgets faster than :mod:`._online`'s ``γ = 3``), on the last
iterate's support: zero where ``θ`` is (exact zeros, decided on the
accumulated gradient), the average elsewhere. ``η₀ = 2`` and ``γ = 24``
were the best worst case over ``η₀ ∈ {1, 2, 3}`` and ``γ ∈ {3, 8, 24, 48,
100}`` on the L1 streams of ``benchmarks/bench_stream.py``
(``benchmarks/results/2026-12-05-stream-ftrl.md``). Regularised dual averaging
(AdaGrad-RDA; Xiao 2010, Duchi, Hazan & Singer 2011) thresholds the plain
mean of all past gradients, which in a stream whose ``α_t`` falls mixes
gradients taken under stronger penalties with the current threshold; it was
left out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._objectives import SoftmaxObjective
from .._penalties import ElasticNet, soft_threshold
from ._batches import AveragedState, close_pass, step_batches
from ._online import CURVATURE_EPS
from ._scaling import online_scales

#: ``eta0="auto"`` for ``"ftrl"``.
FTRL_ETA0 = 2.0
#: ``γ`` of FTRL's polynomial-decay average of the iterates.
FTRL_AVERAGE_DECAY = 24.0


@dataclass(frozen=True, kw_only=True)
class FTRLState(AveragedState):
    """What FTRL-proximal carries from one minibatch to the next.

    Attributes
    ----------
    z : ndarray of shape (n_params,) or None
        ``z̄_t``, the accumulated gradient net of the proximal terms, over
        ``W_t``; ``None`` before the first update.
    root : ndarray of shape (n_params,) or None
        ``q_t``, the root of the summed squared weighted gradients, over
        ``W_t`` (where ``scales`` is set, of the gradients in ``u = θ / d``:
        the curvatures are ``root / (η₀ d²)`` in ``θ``).
    l1_strength : float
        ``α_t ρ`` of the last update (for the next one's pull).

    And those of :class:`._batches.AveragedState` and
    :class:`._batches.StreamState`.
    """

    z: np.ndarray | None = None
    root: np.ndarray | None = None
    l1_strength: float = 0.0

    def solution(self, smooth: bool) -> np.ndarray:
        """The model to report, as ``W``: the average, on ``θ``'s support.

        Where the last iterate is exactly zero the model is zero (FTRL's
        zeros are decided on the accumulated gradient); elsewhere the
        polynomial-decay average, which smooths the steps' noise. Without
        an L1 part ``θ`` has no zeros to keep and this is the average.
        """
        average = self.average.reshape(self.shape)
        if smooth:
            return average
        return np.where(self.theta.reshape(self.shape) == 0, 0, average)


def ftrl_minimiser(
    z: np.ndarray, curvature: np.ndarray, theta: np.ndarray, l1: float
) -> np.ndarray:
    r"""Per entry, ``argmin_w z w + ½ c w² + l1 |w|``: ``−soft(z, l1) / c``.

    .. math:: w = −\frac{\mathrm{sign}(z) \max(|z| − l_1, 0)}{c}

    Parameters
    ----------
    z, curvature, theta : ndarray of the same shape
        The linear term, ``c ≥ 0``, and the values kept where ``c = 0`` (an
        entry that has had no gradient).
    l1 : float
        The L1 threshold, ``≥ 0`` (a scalar for now; per-entry factors would
        broadcast the same way).

    Returns
    -------
    w : ndarray
        A new array of ``z``'s dtype; exact zeros where ``|z| ≤ l1`` and
        ``c > 0``.

    Examples
    --------
    >>> import numpy as np
    >>> ftrl_minimiser(np.array([3.0, -0.5, -2.0]), np.full(3, 2.0), np.zeros(3), 1.0)
    array([-1. ,  0. ,  0.5])
    """
    dtype = z.dtype
    numerator = -soft_threshold(z, np.asarray(l1, dtype=dtype))
    out = np.array(theta, dtype=dtype, copy=True)
    np.divide(numerator, curvature, out=out, where=curvature > 0)
    return out


def pull_to_threshold(z: np.ndarray, pull: float, l1: float) -> np.ndarray:
    """``z − sign(z) min(pull, max(|z| − l1, 0))``: its excess over ``l1`` cut.

    The L1 part's linearised pull on a nonzero entry (``|z| > l1``, so that
    ``sign(w) = −sign(z)``), never further than the threshold: an entry it
    would carry past zero ends at exactly zero, and entries within ``l1``
    (zeros) are left as they are. A new array.
    """
    excess = np.maximum(np.abs(z) - l1, 0.0)
    return z - np.sign(z) * np.minimum(excess, max(pull, 0.0))


@dataclass(frozen=True)
class FTRL:
    """FTRL-proximal minibatch updates (see the module's docstring).

    Parameters
    ----------
    eta0 : float or "auto"
        ``η₀``, about how far an entry moves in its first step.
    """

    eta0: float | str = "auto"
    state_type: ClassVar[type] = FTRLState

    def init(
        self, theta0: np.ndarray, shape: tuple[int, int], weight_seen: float = 0.0
    ) -> FTRLState:
        """The state at ``θ₀`` (of ``W``'s ``shape``), before any update.

        ``weight_seen`` counts data already fitted in ``θ₀`` (by ``fit``, or
        by another ``learning_rate``).
        """
        theta = np.array(theta0, copy=True).ravel()
        return FTRLState(
            theta=theta,
            average=theta.copy(),
            shape=(int(shape[0]), int(shape[1])),
            weight_seen=float(weight_seen),
        )

    @staticmethod
    def _carried(state: FTRLState, objective, l1: float, r: float):
        """``z̄`` and ``q`` carried to ``W_t``'s units; at first, the start's.

        ``r z̄_{t−1}`` with the pull of the L1 part, ``r (α_{t−1} − α_t) ρ``
        (:func:`pull_to_threshold`, on the coefficient rows; see the module's
        docstring). The start's ``z̄`` is ``−α_1 ρ sign(W₀)``: ``θ₀``
        is then what the first closed form moves from (``0`` for a first
        model, whose coefficients are zero).
        """
        M = objective.n_features
        if state.z is None or state.root is None:
            z = np.zeros_like(state.theta)
            objective.unravel(z)[:M] = -l1 * np.sign(objective.unravel(state.theta)[:M])
            return z, np.zeros_like(state.theta)
        Z = objective.unravel(r * state.z)
        Z[:M] = pull_to_threshold(Z[:M], r * (state.l1_strength - l1), l1)
        return Z.ravel(), r * state.root

    def update(
        self,
        state: FTRLState,
        objective: SoftmaxObjective,
        penalty: ElasticNet,
        weight: float,
    ) -> FTRLState:
        """One FTRL-proximal step on the minibatch ``objective``.

        Parameters as :meth:`._online.OnlineSGD.update`.
        """
        t, weight_seen = state.n_updates + 1, state.weight_seen + weight
        eta0 = state.eta0
        if eta0 is None:
            eta0 = FTRL_ETA0 if self.eta0 == "auto" else float(self.eta0)
            state = dataclasses.replace(state, scales=online_scales(objective, penalty))
        r, a = state.weight_seen / weight_seen, weight / weight_seen
        l1, l2 = float(penalty.l1_strength), float(penalty.l2_strength)
        f, g = objective.value_and_grad(state.theta)
        z, root = self._carried(state, objective, l1, r)
        G = a * g
        if l2:  # the L2 part's gradient, on the coefficient rows
            M = objective.n_features
            objective.unravel(G)[:M] += a * l2 * objective.unravel(state.theta)[:M]
        d = state.scales
        new_root = np.hypot(root, G if d is None else d * G)  # in u
        # ε per batch, in W_t's units: ε W_t / t over W_t (AdaGrad's ε).
        before = root + CURVATURE_EPS * r / (t - 1) if state.z is not None else root
        curvature, previous = (new_root + CURVATURE_EPS / t) / eta0, before / eta0
        if d is not None:  # u's curvatures in θ: over d² (float64)
            curvature, previous = curvature / (d * d), previous / (d * d)
        z = z + G - (curvature - previous) * state.theta
        theta = self._minimiser(objective, z, curvature, state.theta, l1, d is not None)
        rate = (FTRL_AVERAGE_DECAY + 1.0) / (t + FTRL_AVERAGE_DECAY)
        average = state.average + rate * (theta - state.average)
        dtype = state.theta.dtype
        return dataclasses.replace(
            state,
            theta=theta,
            average=average.astype(dtype, copy=False),
            eta0=eta0,
            z=z.astype(dtype, copy=False),
            root=new_root.astype(dtype, copy=False),
            l1_strength=l1,
            n_updates=t,
            weight_seen=weight_seen,
            pass_loss=state.pass_loss + weight * f,
            pass_weight=state.pass_weight + weight,
        )

    @staticmethod
    def _minimiser(
        objective, z, curvature, theta, l1: float, wide: bool = False
    ) -> np.ndarray:
        """:func:`ftrl_minimiser` on the coefficient rows, unpenalised on the rest.

        ``wide``: the curvatures are kept in float64 (those of ``u`` over
        ``d²``, beyond the dtype's range), not cast to the dtype.
        """
        M, dtype = objective.n_features, theta.dtype
        Z = objective.unravel(z.astype(dtype, copy=False))
        Q = curvature.reshape(objective.shape) if wide else objective.unravel(curvature)
        T = objective.unravel(theta)
        W = ftrl_minimiser(Z, Q, T, 0.0)
        W[:M] = ftrl_minimiser(Z[:M], Q[:M], T[:M], l1)
        return W.ravel()

    def end_pass(self, state: FTRLState) -> tuple[FTRLState, float]:
        """Close a pass; its weighted mean batch loss (``nan`` if it saw none)."""
        return close_pass(state)

    def run_chunk(
        self,
        state: FTRLState,
        objective: SoftmaxObjective,
        batch_size: int,
        penalty_for: Callable[[float], ElasticNet],
    ) -> FTRLState:
        """One update per minibatch: :func:`._batches.step_batches`."""
        return step_batches(self.update, state, objective, batch_size, penalty_for)
