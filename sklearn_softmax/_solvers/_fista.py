r"""Accelerated proximal gradient (FISTA) for the elastic-net penalty.

Minimises ``F(θ) = f(θ) + P(W[:M])``, ``P`` the whole elastic net, smooth or
not, in a fixed diagonal metric ``D > 0`` on linear coordinates ``u`` of
``θ`` that keep ``W`` as it is (both described below; think of ``u = θ``).
Each iteration, from the extrapolated point ``y``,

.. math:: u^+ = \mathrm{prox}^D_{t P}\big(y - t D^{-1} ∇_u f(y)\big),
          \qquad
          \mathrm{prox}^D_{t P}(v) = \arg\min_u \tfrac{1}{2t} \|u - v\|_D^2
          + P(u),

which, ``P`` and ``D`` being separable, is the soft-thresholding of
:meth:`._penalties.ElasticNet.prox` with the step ``t / D_jk`` per entry, on
the coefficient rows only: the intercept row takes a plain (scaled) gradient
step. The step ``t`` is found by backtracking on the quadratic upper bound

.. math:: f(u^+) \le f(y) + ⟨∇_u f(y), u^+ - y⟩ + \tfrac{1}{2t} \|u^+ - y\|_D^2,

starting from the last accepted step times ``growth``, so that ``t`` follows
the local curvature both ways (Beck & Teboulle 2009; Scheinberg, Goldfarb &
Bai 2014). Momentum ``y = u_k + β_k (u_k − u_{k−1})`` is restarted
(O'Donoghue & Candès 2015) when ``F`` would increase (the step is then
rejected) or when the gradient-mapping test ``⟨y − u^+, u^+ − u_k⟩_D > 0``
fires. Exact zeros come from the soft-thresholding.

The metric is that of :class:`Metric`: the solver works in the coordinates
``u = (W, b + Wᵀμ)``, ``μ`` the weighted feature means, which centre the
features implicitly (the L1 term on ``W`` is unchanged, and sparse ``X``
stays sparse), with the diagonal ``D_jk = Σ_n ŝ_n (x_jn − μ_j)²``, the
Hessian's diagonal (up to a factor) at a model that predicts the same
probabilities for every sample, and ``1`` for the intercept. This is plain
FISTA on the variables ``D^{1/2} u``, with every guarantee of FISTA; but where
the intercept's curvature dwarfs that of a rare feature, and the features'
common mean direction dwarfs the rest, a scalar step ``t`` would be set by
those few directions and crawl on all the others. ``D`` is the same for every
class, so that, as with a scalar step, the updates keep the sums over the
classes ``Σ_k W_jk``, along which the loss is flat: the penalty alone sets
them.

On sparse text-like data the diagonal metric takes an order of magnitude
fewer iterations than a scalar step, and the centring fewer again. A proximal
Newton method (coordinate descent on a quadratic model over a working set)
was not implemented: in numpy the call overhead of its coordinate updates
alone would cost about as much as a whole FISTA solve. Both are measured in
``docs/performance.rst``, section "Measured design choices", FISTA.

The optimality measure :func:`._base.subdifferential_distance` is evaluated
at every ``y`` from the gradient the step needs anyway. When an extrapolated
``y`` passes it, one more proximal step without momentum is taken and the
measure is checked there, so the returned point is always the output of a
proximal step (or ``θ₀``), with its exact zeros, and the measure holds at it.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .._objectives._protocols import MeanObjective, MomentObjective
from .._penalties import Penalty
from ._base import Callback, Solver, SolverResult
from ._problem import CompositeProblem
from ._scaling import make_problem
from ._trace import IterationTrace


class FistaObjective(MomentObjective, MeanObjective, Protocol):
    """What :class:`FISTA` requires: the features' moments and means."""


class Metric:
    """The coordinates ``u = (W, b + Wᵀμ)`` and the diagonal ``D`` on them.

    With an intercept, ``μ = X ŝ`` are the weighted feature means (zero when
    ``centred=False`` or without an intercept). ``D_jk = Σ_n ŝ_n (x_jn −
    μ_j)²`` on the coefficient rows, the same for every class, and ``1`` on
    the intercept row; with ``diagonal=False``, ``D`` is a constant. Entries
    are floored at ``10⁻⁶ max D``: a feature without spread has no curvature.

    All arrays are flat, in the objective's dtype and ``θ``'s layout.
    """

    def __init__(
        self, objective: FistaObjective, diagonal: bool = True, centred: bool = True
    ):
        self.objective = objective
        M, dtype = objective.n_features, objective.dtype
        self.M = M
        self.mu = None
        if centred and objective.fit_intercept:
            self.mu = objective.feature_means()
        sq = objective.feature_moments()
        if self.mu is not None:
            sq = sq - self.mu.astype(sq.dtype) ** 2
        if objective.fit_intercept:
            sq = np.append(sq, 1.0)
        if not diagonal:
            sq = np.full_like(sq, sq.max())
        if not sq.max() > 0:  # no curvature anywhere: any metric will do
            sq = np.ones_like(sq)
        sq = np.maximum(sq, 1e-6 * sq.max())
        # W is C-ordered: each row of K entries shares its feature's scale.
        self.D = np.repeat(sq, objective.n_classes).astype(dtype)
        self.coef_steps = objective.unravel(1.0 / self.D)[:M]

    def uniform_over(self, groups: np.ndarray) -> None:
        """Make ``D`` the largest of each group of rows (``groups`` ``(M,)``).

        The proximal map of a group norm is explicit for one step per group;
        a larger ``D`` is still a metric, and backtracking adapts the step.
        """
        D = self.D.reshape(self.objective.shape)  # a view: self.D changes
        rows = D[: self.M, 0]
        largest = np.full(int(groups.max()) + 1 if groups.size else 0, -np.inf)
        np.maximum.at(largest, groups, rows)
        D[: self.M] = largest[groups, None].astype(D.dtype)
        self.coef_steps = D[: self.M] ** -1.0

    def to_u(self, v: np.ndarray) -> np.ndarray:
        """``θ`` (or a difference of two) in the centred coordinates."""
        if self.mu is None:
            return v
        V = self.objective.unravel(v).copy()
        V[self.M] += self.mu @ V[: self.M]
        return V.ravel()

    def to_theta(self, u: np.ndarray) -> np.ndarray:
        """Back from the centred coordinates: ``b = b' − Wᵀμ``."""
        if self.mu is None:
            return u
        U = self.objective.unravel(u).copy()
        U[self.M] -= self.mu @ U[: self.M]
        return U.ravel()

    def grad_u(self, g: np.ndarray) -> np.ndarray:
        """The gradient in the centred coordinates: ``∇_W f − μ (∇_b f)ᵀ``."""
        if self.mu is None:
            return g
        G = g.reshape(self.objective.shape).copy()
        G[: self.M] -= np.outer(self.mu, G[self.M])
        return G.ravel()

    def inner(self, a: np.ndarray, b: np.ndarray) -> float:
        """``⟨a, b⟩_D`` of two differences of ``θ``."""
        return float(self.to_u(a) @ (self.D * self.to_u(b)))


class FISTA(Solver[FistaObjective]):
    """FISTA in a centred diagonal metric, with backtracking and restart.

    Attributes
    ----------
    growth : float
        Factor applied to the step before each backtracking search (1.25,
        the fastest of those measured; see ``docs/performance.rst``, FISTA).
    shrink : float
        Factor applied to the step on each failed backtracking test.
    diagonal, centred : bool
        The metric (see :class:`Metric`); switches kept for measurements.
    """

    name = "fista"
    requires = frozenset({"gradient", "moments", "means"})
    smooth_only = False
    handles = frozenset({"factors", "excluded", "groups", "bounds", "two-class bounds"})
    growth = 1.25
    shrink = 0.5
    max_backtracks = 60
    diagonal = True
    centred = True
    parameter_copies = 14  # x, x_old, y, g, u, D, steps, trial, d, ...

    def solve(
        self,
        objective: FistaObjective,
        penalty: Penalty,
        theta0: np.ndarray,
        *,
        tol: float,
        max_iter: int,
        callback: Callback | None = None,
    ) -> SolverResult:
        problem = make_problem(objective, penalty)  # rescaled at extreme scales
        metric = Metric(problem.moments, self.diagonal, self.centred)
        if "groups" in penalty.needs:  # the group prox needs one step a group
            metric.uniform_over(penalty.structure.groups)  # type: ignore[union-attr, arg-type]
        trace = IterationTrace(
            callback, tol=tol, max_iter=max_iter, to_theta=problem.theta_map
        )
        # Below this (relative) size, rounding decides comparisons of f.
        noise = 16 * float(np.finfo(objective.dtype).eps)
        x = problem.project(problem.to_inner(theta0).copy())
        y, y_is_x, momentum, step, resolved = x, True, 1.0, 1.0, True
        while True:
            f_y, g_y = problem.data_value_and_grad(y)
            if y_is_x:
                F_x = problem.value_of(f_y, y)
            distance = problem.optimality(g_y, y)
            if distance <= tol and y_is_x:
                trace.converge("subdifferential distance")
                break
            if trace.n_iter >= max_iter:
                break
            if resolved:
                step *= self.growth
            found = self._backtrack(problem, metric, y, f_y, g_y, step, noise)
            if found is None:
                trace.fail("backtracking found no step (at machine precision?)")
                break
            x_new, f_new, step, resolved = found
            F_new = problem.value_of(f_new, x_new)
            if F_new > F_x + noise * abs(F_x):
                # The momentum overshot: reject the step, restart from θ_k.
                y, y_is_x, momentum = x, True, 1.0
            else:
                x_old, x, F_x = x, x_new, F_new
                restart = metric.inner(y - x, x - x_old) > 0 or distance <= tol
                y, y_is_x, momentum = _extrapolate(x, x_old, momentum, restart)
            if trace.record(F_x, x):
                break
        return trace.result(x)

    def _backtrack(self, problem, metric, y, f_y, g_y, step, noise):
        """The proximal step from ``y`` whose quadratic upper bound holds.

        Tries ``step``, then ``shrink`` times it, up to ``max_backtracks``
        times. Returns the new point, ``f`` there, the accepted step, and
        whether the test was meaningful (its curvature term above rounding:
        below it, the test passes for any step, and the step is not grown
        again); ``None`` if no step passes.
        """
        for _ in range(self.max_backtracks):
            x_new = _prox_step(problem, metric, y, g_y, step)
            d = x_new - y
            curvature = metric.inner(d, d) / (2 * step)
            f_new = problem.data_value(x_new)
            if f_new <= f_y + float(g_y @ d) + curvature + noise * abs(f_y):
                return x_new, f_new, step, curvature > noise * abs(f_y)
            step *= self.shrink
        return None


def _prox_step(problem: CompositeProblem, metric: Metric, y, g, step: float):
    """``θ`` of ``prox^D_{tP}(u(y) − t D⁻¹ ∇_u f(y))``, ``t = step``."""
    u = metric.to_u(y) - step * (metric.grad_u(g) / metric.D)
    return metric.to_theta(problem.prox(u, step * metric.coef_steps))


def _extrapolate(x, x_old, momentum: float, restart: bool):
    """The next ``y``, whether it is ``x``, and the momentum ``t``.

    ``y = x + β (x − x_old)`` with ``t⁺ = (1 + √(1 + 4t²)) / 2`` and
    ``β = (t − 1) / t⁺``; on ``restart``, ``y = x`` and ``t = 1``.
    """
    if restart:
        return x, True, 1.0
    t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * momentum**2))
    beta = (momentum - 1.0) / t_next
    y_is_x = beta == 0.0
    return (x if y_is_x else x + beta * (x - x_old)), y_is_x, t_next
