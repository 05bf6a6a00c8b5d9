r"""The elastic net with penalty factors, groups and bounds, on ``W[:M]``.

Conventions
-----------
With ``a = α (1 − ρ)``, ``c = α ρ``, factors ``f_jk`` (``1`` without them)
and, when grouped, groups ``g`` of feature rows with weights
``ω_g = √|g| f_g``, the penalty is

.. math:: P(W) = \tfrac{a}{2} \sum_{jk} f_{jk} W_{jk}^2
          + c \sum_{jk} f_{jk} |W_{jk}|
          \quad\text{or}\quad
          \tfrac{a}{2} \sum_{jk} f_{jk} W_{jk}^2 + c \sum_g ω_g \|W_g\|_F,

plus the indicator of the box ``lower ≤ W ≤ upper`` and of ``W_jk = 0``
where ``f_jk = ∞``. Everything is written once here: the value, the smooth
part's gradient and Hessian, the proximal map (soft-thresholding, per
coefficient or per group, then clipping to the box: exact per coordinate)
and the optimality measure, the distance of ``−∇f`` to ``∂P`` (the normal
cone of the box included).

Two classes are fitted as the ``K = 2`` softmax; the loss depends on
``d = w₁ − w₀`` alone and, at ``s = w₀ + w₁ = 0``, ``½ (w₀² + w₁²) = ¼ d²``
and ``|w₀| + |w₁| = |d|`` are least, so that the minimisers of the
unconstrained problem include ``w₁ = −w₀ = d / 2``. A bound on the reported
``d`` is therefore imposed on that line: the proximal map keeps ``w₀ =
−w₁`` and clips ``w₁`` to half the bounds, and the optimality measure is
taken in the coordinate ``w₁`` of that line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._elastic_net import soft_threshold
from ._optimality import box_distance, group_distance
from ._structure import Structure


@dataclass(frozen=True, eq=False)
class StructuredPenalty:
    """``P`` of the module: the elastic net with factors, groups and bounds.

    Parameters
    ----------
    alpha : float
        Overall strength ``α ≥ 0``.
    l1_ratio : float
        Share ``ρ ∈ [0, 1]`` of the L1 (or group) term.
    structure : Structure
        Factors, groups and bounds, in the layout of ``W[:M]``.
    """

    alpha: float
    l1_ratio: float
    structure: Structure

    @property
    def smooth(self) -> bool:
        """Whether the penalty, bounds aside, is differentiable (no L1 part)."""
        return self.alpha == 0.0 or self.l1_ratio == 0.0

    @property
    def needs(self) -> frozenset[str]:
        """What of a solver the penalty asks beyond the elastic net."""
        s, needs = self.structure, set()
        if s.factor is not None:
            needs.add("factors")
        if s.excluded is not None:
            needs.add("excluded")
        if s.groups is not None:
            needs.add("groups")
        if s.bounded:
            needs.add("two-class bounds" if s.binary else "bounds")
        return frozenset(needs)

    @property
    def l1_strength(self) -> float:
        """``α ρ``, before the factors."""
        return self.alpha * self.l1_ratio

    @property
    def _finite(self) -> np.ndarray | float:
        """The factors, ``0`` where excluded (those coefficients stay 0)."""
        f = self.structure.factor
        return 1.0 if f is None else np.where(np.isinf(f), 0.0, f)

    @property
    def l2_diagonal(self) -> np.ndarray | float:
        """The L2 part's Hessian, ``α (1 − ρ) f₂``, per coefficient.

        ``f₂`` is the structure's ``l2_factor`` where it has one (the
        penalty of standardised coefficients in the original ones: ``σ²``),
        else the factor ``f``.
        """
        f2 = self.structure.l2_factor
        finite = self._finite if f2 is None else np.where(np.isinf(f2), 0.0, f2)
        return self.alpha * (1.0 - self.l1_ratio) * finite

    @property
    def l2_strength(self) -> float:
        """The largest entry of :attr:`l2_diagonal` (a curvature bound)."""
        return float(np.max(self.l2_diagonal))

    @property
    def free_rows(self) -> np.ndarray | None:
        """``(M,)`` mask of the rows with no penalty and no bound, or ``None``."""
        s = self.structure
        if s.bounded:
            return None
        f = s.factor
        if self.alpha == 0.0 or f is None:
            return np.full(s.n_features, self.alpha == 0.0)
        return np.all(f == 0, axis=1)

    def value(self, W: np.ndarray) -> float:
        """The whole penalty at ``W`` (the bounds' indicator taken as 0)."""
        value = self.smooth_value(W)
        if self.l1_strength:
            value += self.l1_strength * float(np.sum(self._l1_terms(W)))
        return value

    def _l1_terms(self, W: np.ndarray) -> np.ndarray:
        s = self.structure
        if s.groups is None or s.group_weight is None:
            return self._finite * np.abs(W)
        weight = _finite(s.group_weight)
        return _group_norms(W, s.groups, len(weight)) * weight

    def smooth_value(self, W: np.ndarray) -> float:
        """The L2 part ``½ α (1 − ρ) Σ f W²``."""
        return 0.5 * float(np.sum(self.l2_diagonal * W * W))

    def grad(self, W: np.ndarray) -> np.ndarray:
        """Gradient of the L2 part: ``α (1 − ρ) f ∘ W``."""
        return (self.l2_diagonal * W).astype(W.dtype, copy=False)

    def hessp(self, V: np.ndarray) -> np.ndarray:
        """Hessian of the L2 part times ``V``."""
        return (self.l2_diagonal * V).astype(V.dtype, copy=False)

    def prox(self, W: np.ndarray, step: float | np.ndarray) -> np.ndarray:
        """Proximal map of ``step`` times the whole penalty (bounds included).

        ``step`` is a scalar or an array broadcast against ``W`` (for groups,
        the same within each group; for two classes with bounds, the two
        columns' steps combine by their harmonic mean, the exact map in
        that metric).
        """
        return self._prox(W, step, self.l2_diagonal)

    def prox_l1(self, W: np.ndarray, step: float | np.ndarray) -> np.ndarray:
        """Proximal map of the non-smooth part alone (L1 or group, bounds)."""
        return self._prox(W, step, 0.0)

    def _prox(self, W, step, l2) -> np.ndarray:
        s = self.structure
        t = np.broadcast_to(np.asarray(step, dtype=np.float64), W.shape)
        if s.binary and s.bounded:
            return self._prox_two_class(W, t, l2)
        c = self.l1_strength
        l2_rows = np.broadcast_to(l2, W.shape)
        uniform = s.groups is None or (
            _uniform(t, s.groups) and _uniform(l2_rows, s.groups)
        )
        if s.groups is not None and c and not uniform:
            return self.project(self._group_prox_metric(W, t, l2, c))
        if s.groups is None:
            out = soft_threshold(W, t * (c * self._finite)) if c else W
        else:
            out = self._group_shrink(W, t, c)
        out = out / (1.0 + t * l2)
        return self.project(out.astype(W.dtype, copy=False))

    def _group_shrink(self, W: np.ndarray, t: np.ndarray, c: float) -> np.ndarray:
        """``W_g max(1 − t_g c ω_g / ‖W_g‖, 0)`` for every group ``g``."""
        s = self.structure
        groups, weight = s.groups, s.group_weight
        assert groups is not None and weight is not None
        if not c:
            return W
        norms = _group_norms(W, groups, len(weight))
        t_g = np.zeros(len(weight))
        t_g[groups] = t[:, 0]
        threshold = t_g * c * weight
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(norms > threshold, 1.0 - threshold / norms, 0.0)
        return W * scale[groups, None]

    def _group_prox_metric(self, W, t, l2, c) -> np.ndarray:
        r"""The group proximal map with a step per entry (adaptive steps).

        ``argmin_U Σ (U − W)² / 2t + Σ ½ l2 U² + c Σ_g ω_g ‖U_g‖``: with
        ``τ = t / (1 + t l2)`` and ``V = W / (1 + t l2)`` it is ``U = V ν /
        (ν + τ λ_g)`` on each group, ``λ_g = c ω_g``, where ``ν = ‖U_g‖``
        solves ``Σ (V / (ν + τ λ_g))² = 1`` (decreasing in ``ν``, bracketed
        by ``0`` and ``‖V_g‖``: found by bisection to rounding), and ``U_g =
        0`` when ``Σ (V / τ λ_g)² ≤ 1``.
        """
        s = self.structure
        groups, weight = s.groups, s.group_weight
        assert groups is not None and weight is not None
        scale = 1.0 + t * l2
        tau, V = t / scale, W / scale
        lam = (c * weight)[groups, None]
        n = len(weight)

        def group_sum(A):
            return np.bincount(groups, weights=A.sum(axis=1), minlength=n)

        with np.errstate(divide="ignore", invalid="ignore"):
            active = group_sum((V / (tau * lam)) ** 2) > 1
            lo, hi = np.zeros(n), np.sqrt(group_sum(V * V))
            for _ in range(100):  # halves the bracket: 2⁻¹⁰⁰ ‖V_g‖ at the end
                mid = 0.5 * (lo + hi)
                above = group_sum((V / (mid[groups, None] + tau * lam)) ** 2) > 1
                lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
            nu = (0.5 * (lo + hi))[groups, None]
            U = np.where(active[groups, None], V * nu / (nu + tau * lam), 0.0)
        return U.astype(W.dtype, copy=False)

    def _prox_two_class(self, W, t, l2) -> np.ndarray:
        """Two classes with bounds: on the line ``w₀ = −w₁`` (see the module)."""
        inv = 1.0 / t[:, 0] + 1.0 / t[:, 1]
        m = (W[:, 1] / t[:, 1] - W[:, 0] / t[:, 0]) / inv
        te = 2.0 / inv
        l2 = np.broadcast_to(l2, W.shape)[:, 1]
        f = np.broadcast_to(self._finite, W.shape)[:, 1]
        w1 = soft_threshold(m, te * self.l1_strength * f) / (1.0 + te * l2)
        out = np.stack([-w1, w1], axis=1).astype(W.dtype, copy=False)
        return self.project(out)

    def project(self, W: np.ndarray) -> np.ndarray:
        """The nearest point of the box (and of ``W_jk = 0`` where excluded)."""
        s = self.structure
        out = W
        if s.binary and s.bounded:
            half = 0.5 * (W[:, 1] - W[:, 0])
            half = _clip(half[:, None], s.lower, s.upper, 0.5)[:, 0]
            out = np.stack([-half, half], axis=1).astype(W.dtype, copy=False)
        elif s.bounded:
            out = _clip(W, s.lower, s.upper, 1.0).astype(W.dtype, copy=False)
        if s.excluded is not None:
            out = np.where(s.excluded, 0, out).astype(W.dtype, copy=False)
        return out

    def distance(self, G: np.ndarray, W: np.ndarray) -> float:
        """The largest distance of ``−G`` to ``∂P(W)`` (see :mod:`._optimality`)."""
        s = self.structure
        a = np.broadcast_to(self.l2_diagonal, W.shape)
        c = self.l1_strength * np.broadcast_to(self._finite, W.shape)
        if s.groups is not None and s.group_weight is not None:
            # An excluded group (weight ∞, held at 0) is optimal whatever G.
            gw = s.group_weight
            weight = np.where(np.isinf(gw), np.inf, self.l1_strength * _finite(gw))
            return group_distance(G + a * W, W, s.groups, weight)
        lower, upper = s.lower, s.upper
        if s.binary and s.bounded:  # on the line w₀ = −w₁, in w₁
            G, W = 0.5 * (G[:, 1:] - G[:, :1]), W[:, 1:]
            a, c = a[:, 1:], c[:, 1:]
            lower = None if lower is None else 0.5 * lower
            upper = None if upper is None else 0.5 * upper
        d = box_distance(G + a * W, W, c, lower, upper)
        if s.excluded is not None and not (s.binary and s.bounded):
            d = np.where(s.excluded, 0.0, d)
        elif s.excluded is not None:
            d = np.where(s.excluded[:, 1:], 0.0, d)
        return float(np.max(d)) if d.size else 0.0


def _finite(x: np.ndarray) -> np.ndarray:
    return np.where(np.isinf(x), 0.0, x)


def _clip(W, lower, upper, scale: float) -> np.ndarray:
    if lower is not None:
        W = np.maximum(W, scale * lower)
    if upper is not None:
        W = np.minimum(W, scale * upper)
    return W


def _group_norms(W: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """``‖W_g‖_F`` for each group ``g`` of rows, ``(n_groups,)``."""
    rows = np.einsum("jk,jk->j", W, W, dtype=np.float64)
    return np.sqrt(np.bincount(groups, weights=rows, minlength=n_groups))


def _uniform(t: np.ndarray, groups: np.ndarray) -> bool:
    """Whether the steps ``t`` (``(M, K)``) are one per group."""
    first = np.zeros(int(groups.max()) + 1 if groups.size else 0)
    first[groups] = t[:, 0]
    return bool(np.all(t == first[groups, None]))
