r"""Features at extreme scales: the solvers iterate on ``u = θ / d``.

Where a feature's weighted second moment ``m_j = Σ_n ŝ_n x_jn²`` is far from
1, the Hessian's entries (``∝ m_j``) and its products with gradient-sized
vectors (``∝ m_j²``) leave the range of the dtype: float32 features of 1e30
or float64 ones of 1e150 overflow, features of 1e-150 underflow, and Newton,
gradient and proximal steps lose all accuracy. The minimiser is the same in
any coordinates, so the solvers then minimise

.. math:: \tilde F(u) = F(d \circ u), \qquad
          \nabla \tilde F = d \circ \nabla F, \qquad
          \nabla^2 \tilde F\, v = d \circ \nabla^2 F\, (d \circ v),

with ``d_j = 2^{-e_j}``, ``e_j`` the rounded ``log₂ √(m_j + a)`` (``a`` the
L2 strength of the penalty; 1 on the intercept row and where ``m_j + a`` is
zero): in ``u`` every feature's curvature is near 1, whether the data term
(``m_j``) or the penalty (``a``) gives it, and multiplying by a power of two
is exact. A feature far below the penalty's scale is thus left as it is: its
coefficient is held near zero by the penalty, in either coordinates. The
products with ``X`` stay where they are safe: ``d ∘ u`` (the coefficients, of
the order of ``1 / √m``) meets ``X`` before any product of two large numbers.

The rule (:func:`feature_scales`): scale when some moment lies outside
``[√tiny / ε, ε √max]`` of the dtype (float64: about ``[7e-139, 3e138]``,
float32: ``[9e-13, 2e12]``), i.e. when ``m²`` comes within ``ε²`` of the
dtype's range. Data of ordinary scales are never rescaled, so their fits do
not change. Only the elastic net is rescaled: structured penalties (factors,
groups, bounds) keep their coordinates, and features at extreme scales with
them are better standardised (``standardize=True``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._objectives._blocks import HessianProduct, with_diagonal
from .._objectives._protocols import SmoothObjective
from .._penalties import ElasticNet, Penalty, StructuredPenalty
from ._problem import CompositeProblem


def _moments(objective) -> np.ndarray | None:
    """The features' second moments in float64, or ``None`` if not provided."""
    if "moments" not in objective.provides:
        return None
    return np.asarray(objective.feature_moments(), dtype=np.float64)


def feature_scales(objective: SmoothObjective, penalty: Penalty) -> np.ndarray | None:
    """``d`` of the module's rule, flat in ``θ``'s layout; ``None`` if not needed.

    Parameters
    ----------
    objective : SmoothObjective
        Its ``feature_moments`` (capability ``"moments"``) decide; without
        them no scaling is done.
    penalty : ElasticNet or StructuredPenalty
        Its L2 strength is the curvature of features without spread; a
        structured penalty is never rescaled (``None``).

    Returns
    -------
    d : ndarray of shape (n_params,) or None
        Powers of two, in the objective's dtype.
    """
    if isinstance(penalty, StructuredPenalty):
        return None  # factors, groups and bounds: their own coordinates
    moments = _moments(objective)
    if moments is None or not moments.size:
        return None
    info = np.finfo(objective.dtype)
    low = np.sqrt(float(info.tiny)) / float(info.eps)
    high = float(info.eps) * np.sqrt(float(info.max))
    positive = moments[moments > 0]
    if not positive.size or (positive.min() >= low and positive.max() <= high):
        return None
    curvature = moments + float(penalty.l2_strength)
    with np.errstate(divide="ignore", over="ignore"):
        exponent = np.where(curvature > 0, -np.round(0.5 * np.log2(curvature)), 0.0)
    exponent = np.clip(exponent, info.minexp + 2, info.maxexp - 2)
    rows = np.ldexp(1.0, exponent.astype(int))
    if objective.fit_intercept:
        rows = np.append(rows, 1.0)
    return np.repeat(rows, objective.n_classes).astype(objective.dtype)


def online_scales(objective: SmoothObjective, penalty: Penalty) -> np.ndarray | None:
    """``d`` of :func:`feature_scales` in float64, for the online solvers.

    Decided once, on a stream's first minibatch (its moments and penalty),
    and kept in the solver's state: the online steps are then those of the
    same algorithm on ``u = θ / d``, taken on ``θ`` with per-entry factors
    ``d`` and ``d²`` (float64, where ``d²`` would underflow the dtype).
    """
    d = feature_scales(objective, penalty)
    return None if d is None else d.astype(np.float64)


class ScaledProblem(CompositeProblem):
    """``F̃(u) = F(d ∘ u)``: :class:`CompositeProblem`'s methods in ``u``.

    Every method takes and returns ``u``-space vectors; :meth:`to_theta` and
    :meth:`to_inner` convert iterates. ``moments`` gives the objective's
    feature moments and means in ``u`` (for Jacobi's rule and FISTA's metric).
    """

    def __init__(
        self,
        objective: SmoothObjective,
        penalty: ElasticNet,
        d: np.ndarray,
        *,
        smooth: bool = False,
    ):
        super().__init__(objective, penalty, smooth=smooth)
        self.elastic_net: ElasticNet = penalty  # only the elastic net is rescaled
        self.d = d
        self.theta_map = self.to_theta
        self.moments = _ScaledMoments(objective, d[: self.n_features * self.shape[1]])

    def to_theta(self, u: np.ndarray) -> np.ndarray:
        """``θ = d ∘ u``."""
        return self.d * u

    def to_inner(self, theta: np.ndarray) -> np.ndarray:
        """``u = θ / d``, a new array."""
        return np.asarray(theta, dtype=self.dtype) / self.d

    def data_value(self, u: np.ndarray) -> float:
        return super().data_value(self.d * u)

    def value(self, u: np.ndarray) -> float:
        return super().value(self.d * u)

    def penalty_value(self, u: np.ndarray) -> float:
        return super().penalty_value(self.d * u)

    def data_value_and_grad(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = super().data_value_and_grad(self.d * u)
        return f, g * self.d

    def value_and_grad(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = super().value_and_grad(self.d * u)
        return f, g * self.d

    def value_grad_hessp(self, u: np.ndarray) -> tuple[float, np.ndarray, Any]:
        f, g, hessp = super().value_grad_hessp(self.d * u)
        return f, g * self.d, _scaled_hessp(hessp, self.d)

    def prox(self, u: np.ndarray, step: float | np.ndarray) -> np.ndarray:
        """``prox`` in ``u``: ``prox_θ(d ∘ u, step d²) / d`` on the coefficients."""
        d = self.objective.unravel(self.d)[: self.n_features]
        theta = self.d * u
        return super().prox(theta, step * d * d) / self.d

    def optimality(self, g: np.ndarray, u: np.ndarray) -> float:
        """``max d ∘ dist(−∇f, ∂P)``: the measure of ``F̃`` from ``g = ∇_u f``."""
        G = g.reshape(self.shape)
        D = self.objective.unravel(self.d)
        W = self.objective.unravel(self.d * u)
        M = self.n_features
        if not G.size:
            return 0.0
        entries = D[:M] * self.elastic_net.entry_distances(G[:M] / D[:M], W[:M])
        distance = float(np.max(entries)) if entries.size else 0.0
        if G.shape[0] > M:
            distance = max(distance, float(np.max(np.abs(G[M:]))))
        return distance


def _scaled_hessp(hessp: HessianProduct, d: np.ndarray) -> HessianProduct:
    """``v ↦ d ∘ H (d ∘ v)``, its diagonal ``d² ∘ diag H``."""
    return with_diagonal(lambda v: d * hessp(d * v), lambda: d * (d * hessp.diagonal()))


class _ScaledMoments:
    """The objective's attributes, with its feature moments and means in ``u``."""

    def __init__(self, objective: Any, d_coef: np.ndarray):
        self._objective = objective
        self._rows = d_coef.reshape(objective.n_features, -1)[:, 0].astype(np.float64)

    def __getattr__(self, name: str):
        return getattr(self._objective, name)

    def feature_moments(self) -> np.ndarray:
        moments = np.asarray(self._objective.feature_moments(), dtype=np.float64)
        return (moments * self._rows**2).astype(self._objective.dtype)

    def feature_means(self) -> np.ndarray:
        means = np.asarray(self._objective.feature_means(), dtype=np.float64)
        return (means * self._rows).astype(self._objective.dtype)


def make_problem(
    objective: SmoothObjective, penalty: Penalty, *, smooth: bool = False
) -> CompositeProblem:
    """A :class:`ScaledProblem` where :func:`feature_scales` asks for one.

    Otherwise the plain :class:`CompositeProblem`, whose iterates are ``θ``.
    """
    d = feature_scales(objective, penalty)
    if d is None:
        return CompositeProblem(objective, penalty, smooth=smooth)
    assert not isinstance(penalty, StructuredPenalty)  # feature_scales' rule
    return ScaledProblem(objective, penalty, d, smooth=smooth)
