"""Penalties on the coefficients ``W[:M]`` (never on the intercept row).

Conventions
-----------
The estimator's objective is ``C Σ s_n ℓ_n + ½ (1 − ρ) ‖W‖²_F + ρ ‖W‖₁`` with
``ρ = l1_ratio``. Solvers minimise it divided by ``C Σ s``, the weighted *mean*
loss of :class:`._objectives.SoftmaxObjective` plus ``α (½ (1 − ρ) ‖W‖²_F +
ρ ‖W‖₁)`` with ``α = 1 / (C Σ s)``. :func:`make_penalty` is the one place that
converts ``C`` and ``l1_ratio`` into a penalty object.

Each penalty acts on the coefficient block ``W`` of shape ``(M, K)``:
``value(W)``, ``grad(W)`` and ``hessp(V)`` for its smooth part, and
``prox(W, step)`` for the whole penalty. ``smooth`` says whether the smooth
part is the whole penalty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ElasticNet:
    """``α (½ (1 − ρ) ‖W‖²_F + ρ ‖W‖₁)``; ``ρ = 0`` is L2, ``α = 0`` is none.

    Parameters
    ----------
    alpha : float
        Overall strength ``α ≥ 0``.
    l1_ratio : float
        Share ``ρ ∈ [0, 1]`` of the L1 term.
    """

    alpha: float
    l1_ratio: float = 0.0

    @property
    def smooth(self) -> bool:
        """Whether the penalty is differentiable everywhere (no L1 part)."""
        return self.alpha == 0.0 or self.l1_ratio == 0.0

    @property
    def l2_strength(self) -> float:
        """Coefficient ``α (1 − ρ)`` of ``½ ‖W‖²_F``."""
        return self.alpha * (1.0 - self.l1_ratio)

    @property
    def l1_strength(self) -> float:
        """Coefficient ``α ρ`` of ``‖W‖₁``."""
        return self.alpha * self.l1_ratio

    def value(self, W: np.ndarray) -> float:
        """The full penalty at ``W``."""
        value = 0.5 * self.l2_strength * float(np.vdot(W, W))
        if self.l1_strength:
            value += self.l1_strength * float(np.abs(W).sum())
        return value

    def smooth_value(self, W: np.ndarray) -> float:
        """The L2 part ``½ α (1 − ρ) ‖W‖²_F``."""
        return 0.5 * self.l2_strength * float(np.vdot(W, W))

    def grad(self, W: np.ndarray) -> np.ndarray:
        """Gradient of the L2 part: ``α (1 − ρ) W``."""
        return self.l2_strength * W

    def hessp(self, V: np.ndarray) -> np.ndarray:
        """Hessian of the L2 part times ``V``: ``α (1 − ρ) V``."""
        return self.l2_strength * V

    def prox(self, W: np.ndarray, step: float | np.ndarray) -> np.ndarray:
        r"""Proximal operator of ``step`` times the whole penalty.

        .. math:: \mathrm{prox}(W)_{ik} = \frac{\mathrm{sign}(W_{ik})
                  \max(|W_{ik}| - t_{ik} α ρ, 0)}{1 + t_{ik} α (1 − ρ)}

        ``step`` is a scalar ``t`` or an array of steps ``t_ik`` broadcast
        against ``W``: the penalty is separable, so each entry has its own
        one-dimensional problem. Entries with ``|W_ik| ≤ t_ik α ρ`` become
        exactly zero.
        """
        shrunk = soft_threshold(W, step * self.l1_strength)
        return shrunk / (1.0 + step * self.l2_strength)


def soft_threshold(W: np.ndarray, threshold: float | np.ndarray) -> np.ndarray:
    """``sign(W) max(|W| − threshold, 0)``: the proximal step of ``threshold ‖·‖₁``."""
    return np.sign(W) * np.maximum(np.abs(W) - threshold, 0.0)


def make_penalty(C: float, l1_ratio: float, weight_sum: float) -> ElasticNet:
    """Convert the estimator's ``C`` and ``l1_ratio`` into a penalty.

    Parameters
    ----------
    C : float
        Inverse regularisation strength; ``np.inf`` means no penalty.
    l1_ratio : float
        Share of the L1 term in ``[0, 1]``.
    weight_sum : float
        ``Σ s``, the sum of the sample weights (times class weights).

    Returns
    -------
    penalty : ElasticNet
        With ``alpha = 1 / (C Σ s)``, matching the mean loss of the objective.

    Raises
    ------
    ValueError
        If ``1 / (C Σ s)`` is infinite (see :func:`penalty_strength`).
    """
    if np.isinf(C):
        return ElasticNet(alpha=0.0, l1_ratio=0.0)
    return ElasticNet(alpha=penalty_strength(C, weight_sum), l1_ratio=float(l1_ratio))


def penalty_strength(C: float, weight_sum: float) -> float:
    """``α = 1 / (C Σ s)``, checked to be finite.

    Computed in Python floats, which round as float64 but never warn: when
    ``C Σ s`` overflows, ``α`` (below ``1e-308``) is ``0``, no penalty.

    Raises
    ------
    ValueError
        If ``C Σ s`` is so small that ``α`` is infinite (or ``C Σ s`` is 0).
    """
    product = float(C) * float(weight_sum)
    alpha = 1.0 / product if product > 0 else np.inf
    if not np.isfinite(alpha):
        raise ValueError(
            f"C * sum(sample_weight) = {float(C)!r} * {float(weight_sum)!r} = "
            f"{product!r} is too small: the penalty strength 1 / (C * "
            f"sum(sample_weight)) is infinite. Use a larger C or rescale the "
            f"sample weights (multiplying them all by t and dividing C by t "
            f"leaves the fit unchanged)."
        )
    # Σ s's type is kept: a NumPy strength (fit's Σ s is a NumPy float) makes
    # the penalty's parts of float32 steps float64, as they always were.
    return np.float64(alpha) if isinstance(weight_sum, np.generic) else alpha
