r"""The composite objective ``F(θ) = f(θ) + P(W[:M])`` that every solver minimises.

``f`` is the objective's weighted mean loss (any :mod:`.._objectives` protocol),
``P`` the penalty on the coefficient rows ``W[:M]``; the intercept row, if any,
is never penalised. What the solvers ask of the pair is written here once:

* ``F`` itself (:meth:`CompositeProblem.value_of`), the data term ``f`` alone
  (:meth:`~CompositeProblem.data_value_and_grad`, for solvers whose proximal
  step takes the whole ``P``), and the smooth part ``f + P₂`` (``P₂`` the L2
  part of ``P``) with its gradient and Hessian products
  (:meth:`~CompositeProblem.value_and_grad`,
  :meth:`~CompositeProblem.value_grad_hessp`);
* the coefficient view of ``θ`` (:meth:`~CompositeProblem.coef`);
* the proximal step of the penalty on the coefficient rows
  (:meth:`~CompositeProblem.prox`);
* the optimality measure (:meth:`~CompositeProblem.optimality`): the largest
  distance of ``−∇f`` to ``∂P`` (``max |∇F|`` for a smooth ``P``,
  :meth:`~CompositeProblem.smooth_optimality`), zero exactly at a minimiser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np

from .._objectives._blocks import HessianProduct, with_diagonal
from .._objectives._protocols import HessianObjective, SmoothObjective
from .._penalties import Penalty
from ._base import max_abs, subdifferential_distance


class CompositeProblem:
    """``F = f + P`` on the flat ``θ`` of an objective.

    Parameters
    ----------
    objective : SmoothObjective
        The data term ``f``.
    penalty : ElasticNet or StructuredPenalty
        ``P``, on the first ``M`` rows of ``W``.
    smooth : bool, default=False
        Refuse a penalty with an L1 part: for solvers that minimise the smooth
        part ``f + P₂`` as if it were ``F``.

    Raises
    ------
    ValueError
        If ``smooth`` and ``penalty`` has an L1 part.
    """

    def __init__(
        self, objective: SmoothObjective, penalty: Penalty, *, smooth: bool = False
    ):
        if smooth and not penalty.smooth:
            raise ValueError("This solver needs a penalty without an L1 part.")
        self.objective = objective
        self.penalty = penalty
        self.n_features = objective.n_features
        self.shape = objective.shape
        self.dtype = objective.dtype
        #: What provides the features' moments and means in the solver's
        #: coordinates (the objective itself here; see :mod:`._scaling`).
        self.moments: Any = objective

    #: Maps the solver's iterate to ``θ``; ``None``: the iterate is ``θ``.
    theta_map: Callable[[np.ndarray], np.ndarray] | None = None

    def to_inner(self, theta: np.ndarray) -> np.ndarray:
        """The solver's first iterate from ``θ₀`` (``θ₀`` itself, in the dtype)."""
        return np.asarray(theta, dtype=self.dtype)

    def coef(self, theta: np.ndarray) -> np.ndarray:
        """``W[:M]``, a view of ``θ``."""
        return self.objective.unravel(theta)[: self.n_features]

    def penalty_value(self, theta: np.ndarray) -> float:
        """``P(W[:M])``, the whole penalty."""
        return self.penalty.value(self.coef(theta))

    def value_of(self, f: float, theta: np.ndarray) -> float:
        """``F(θ)`` from the data term's value ``f`` at ``θ``."""
        return f + self.penalty_value(theta)

    def data_value(self, theta: np.ndarray) -> float:
        """The data term ``f(θ)`` alone."""
        return self.objective.value(theta)

    def data_value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """``f(θ)`` and ``∇f(θ)`` (flat, in the objective's dtype), without ``P``."""
        return self.objective.value_and_grad(theta)

    def value(self, theta: np.ndarray) -> float:
        """The smooth part ``f(θ) + P₂(W)`` (``F`` itself for a smooth ``P``)."""
        return self.objective.value(theta) + self.penalty.smooth_value(self.coef(theta))

    def _add_penalty_grad(self, g: np.ndarray, theta: np.ndarray) -> np.ndarray:
        G = g.reshape(self.shape)
        G[: self.n_features] += self.penalty.grad(self.coef(theta))
        return g

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """``f + P₂`` and its gradient (flat, in the objective's dtype)."""
        f, g = self.objective.value_and_grad(theta)
        f += self.penalty.smooth_value(self.coef(theta))
        return f, self._add_penalty_grad(g, theta)

    def value_grad_hessp(
        self, theta: np.ndarray
    ) -> tuple[float, np.ndarray, HessianProduct]:
        """``f + P₂``, its gradient and ``v ↦ ∇²(f + P₂)(θ) v`` (with its diagonal).

        The objective must provide ``"hessian"`` (the solver's ``requires``
        say so, and the registry checks it).
        """
        objective = cast(HessianObjective, self.objective)
        f, g, data_hessp = objective.value_grad_hessp(theta)
        f += self.penalty.smooth_value(self.coef(theta))
        g = self._add_penalty_grad(g, theta)

        def hessp(v: np.ndarray) -> np.ndarray:
            hv = data_hessp(v)
            HV = hv.reshape(self.shape)
            HV[: self.n_features] += self.penalty.hessp(self.coef(v))
            return hv

        def diagonal() -> np.ndarray:
            d = data_hessp.diagonal()
            d.reshape(self.shape)[: self.n_features] += self.penalty.l2_diagonal
            return d

        return f, g, with_diagonal(hessp, diagonal)

    def prox(self, theta: np.ndarray, step: float | np.ndarray) -> np.ndarray:
        """``θ`` with the penalty's proximal step on ``W[:M]`` (a new array).

        ``step`` is a scalar or, like :meth:`.._penalties.ElasticNet.prox`,
        an array broadcast against ``W[:M]``.
        """
        W = self.objective.unravel(theta).copy()
        W[: self.n_features] = self.penalty.prox(W[: self.n_features], step)
        return W.ravel()

    def project(self, theta: np.ndarray) -> np.ndarray:
        """``θ`` with ``W[:M]`` moved to the penalty's feasible set (bounds)."""
        if not self.penalty.needs:
            return theta
        W = self.objective.unravel(theta).copy()
        W[: self.n_features] = self.penalty.project(W[: self.n_features])
        return W.ravel()

    def optimality(self, g: np.ndarray, theta: np.ndarray) -> float:
        """The optimality measure at ``θ`` from ``g = ∇f(θ)`` (data term only)."""
        return subdifferential_distance(
            g.reshape(self.shape),
            self.objective.unravel(theta),
            self.penalty,
            self.n_features,
        )

    @staticmethod
    def smooth_optimality(g: np.ndarray) -> float:
        """The optimality measure for a smooth ``P`` from ``g = ∇(f + P₂)(θ)``.

        ``max |g|``: what :meth:`optimality` is then, from the gradient that
        :meth:`value_and_grad` returns.
        """
        return max_abs(g)
