"""The elastic net on the coefficients ``W[:M]`` (never on the intercept row).

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
part is the whole penalty. ``distance(G, W)`` is the optimality measure,
``project(W)`` the nearest point of the feasible set (``W`` itself: no
constraints), and ``needs`` what of a solver the penalty asks beyond the
elastic net (nothing).
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

    #: What the penalty asks of a solver beyond the elastic net: nothing.
    needs: frozenset[str] = frozenset()

    @property
    def l2_strength(self) -> float:
        """Coefficient ``α (1 − ρ)`` of ``½ ‖W‖²_F``."""
        return self.alpha * (1.0 - self.l1_ratio)

    @property
    def l2_diagonal(self) -> float:
        """The L2 part's Hessian diagonal, ``α (1 − ρ)`` for every entry."""
        return self.l2_strength

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

    def project(self, W: np.ndarray) -> np.ndarray:
        """The nearest feasible point: ``W`` itself (no constraints)."""
        return W

    def distance(self, G: np.ndarray, W: np.ndarray) -> float:
        r"""The largest distance of ``−G`` to ``∂P(W)``, over the entries.

        Entry by entry, with ``a = α (1 − ρ)`` and ``c = α ρ``, the
        subgradient of smallest magnitude of ``f + P`` (``g`` the entry of
        ``G = ∇f``) is

        .. math:: |g + a w + c \, \mathrm{sign}(w)| \ \text{if}\ w \ne 0,
                  \qquad \max(|g| - c, 0) \ \text{if}\ w = 0.

        Parameters
        ----------
        G, W : ndarray of shape (M, K)
            The data term's gradient and the point, coefficient rows only.
        """
        d = self.entry_distances(G, W)
        return float(np.max(d)) if d.size else 0.0

    def entry_distances(self, G: np.ndarray, W: np.ndarray) -> np.ndarray:
        """Entry by entry, the distance of ``−G`` to ``∂P(W)`` (see :meth:`distance`).

        Of ``W``'s shape; the solvers on rescaled coordinates
        (:mod:`.._solvers._scaling`) weigh the entries.
        """
        smooth = G + self.l2_strength * W
        c = self.l1_strength
        if c:
            shrunk = np.maximum(np.abs(G) - c, 0)
            d = np.abs(smooth + c * np.sign(W))
            return np.where(W != 0, d, shrunk)
        return np.abs(smooth)


def soft_threshold(W: np.ndarray, threshold: float | np.ndarray) -> np.ndarray:
    """``sign(W) max(|W| − threshold, 0)``: the proximal step of ``threshold ‖·‖₁``."""
    return np.sign(W) * np.maximum(np.abs(W) - threshold, 0.0)
