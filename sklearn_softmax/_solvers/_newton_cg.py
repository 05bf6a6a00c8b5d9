"""Truncated (inexact) Newton with conjugate gradients and a line search."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .._objectives._protocols import HessianObjective, MomentObjective
from .._penalties import Penalty
from ._base import Callback, Solver, SolverResult, max_abs
from ._scaling import make_problem
from ._trace import IterationTrace


class NewtonObjective(HessianObjective, MomentObjective, Protocol):
    """What :class:`NewtonCG` requires: Hessian products and feature moments."""


def conjugate_gradient(hessp, b: np.ndarray, rtol: float, max_iter: int, precond=None):
    """Approximately solve ``H d = b`` for a positive semi-definite ``H``.

    Stops when ``‖H d − b‖ ≤ rtol ‖b‖``, after ``max_iter`` products, or on
    a direction of (numerically) non-positive curvature, returning the last
    iterate (``b`` itself if that happens on the first step).

    Returns
    -------
    d : ndarray
        The approximate solution.
    n_products : int
        Hessian-vector products used.
    """
    d = np.zeros_like(b)
    r = b.copy()
    z = r if precond is None else precond * r
    p = z.copy()
    rz = float(r @ z)
    target = (rtol**2) * float(r @ r)
    for i in range(max_iter):
        Hp = hessp(p)
        curvature = float(p @ Hp)
        if curvature <= np.finfo(b.dtype).eps * float(p @ p):
            return (b.copy() if i == 0 else d), i + 1
        step = rz / curvature
        d += step * p
        Hp *= step
        r -= Hp
        del Hp  # one vector fewer alive during the next product
        if float(r @ r) <= target:
            return d, i + 1
        z = r if precond is None else precond * r
        rz_new = float(r @ z)
        p *= rz_new / rz
        p += z
        rz = rz_new
    return d, max_iter


def _scale_spread(moments: np.ndarray) -> float:
    """``max / min`` of the non-zero second moments of the features (≤ inf)."""
    moments = moments[moments > 0]
    if not moments.size:
        return 1.0
    with np.errstate(over="ignore"):  # 1e300 / 1e-300: inf, a wide spread
        return float(moments.max() / moments.min())


def _jacobi(diagonal: np.ndarray) -> np.ndarray:
    """The inverse of a Hessian's diagonal, 1 where it (nearly) vanishes."""
    floor = np.finfo(diagonal.dtype).eps * max_abs(diagonal)
    safe = diagonal > floor
    return np.where(safe, 1.0 / np.where(safe, diagonal, 1.0), 1.0).astype(
        diagonal.dtype
    )


class NewtonCG(Solver[NewtonObjective]):
    """Newton steps ``d ≈ −H⁻¹g`` from conjugate gradients on ``v ↦ Hv``.

    CG stops at the inexact-Newton condition ``‖Hd + g‖ ≤ η ‖g‖`` with a
    constant forcing term ``η = ½``: each Newton step costs a few
    Hessian-vector products and still cuts the gradient by a fixed factor.
    On the problems of ``benchmarks/bench_fit.py`` this reached a relative
    suboptimality of 1e-6 sooner than the superlinear ``η = min(½, √‖g‖)``,
    and no later than Eisenstat and Walker's adaptive rule. Each step is
    accepted by an Armijo backtracking line search starting from the full
    step; where ``F`` no longer changes beyond rounding, a step that lowers
    ``max |g|`` is accepted instead, so tight tolerances do not stall on
    rounding. The Hessian-vector products reuse the probabilities of the last
    gradient evaluation.

    For dense ``X`` whose features' second moments spread by more than
    ``spread`` (10×), CG is preconditioned by the inverse of the Hessian's
    diagonal, computed once per Newton step (one pass over ``X``). Counted in
    passes over ``X``, it cut the work where the features' scales spread
    widely and raised it on standardised and on sparse features, hence the
    rule. Both choices are measured in ``docs/performance.rst``, section
    "Measured design choices", Newton-CG.
    """

    name = "newton-cg"
    handles = frozenset({"factors"})
    requires = frozenset({"gradient", "hessian", "moments"})
    armijo = 1e-4
    max_halvings = 40
    max_cg_iter = 200
    forcing = 0.5
    # "auto": Jacobi preconditioning for dense X whose features' second moments
    # spread by more than `spread`; True / False force it on / off.
    precondition: bool | str = "auto"
    spread = 10.0
    # θ, g, trial, g_new, CG's d, r, z, p, Hp, the preconditioner, the diagonal;
    # the probabilities of every sample for the Hessian products.
    parameter_copies = 12
    keeps_sample_scores = True

    def solve(
        self,
        objective: NewtonObjective,
        penalty: Penalty,
        theta0: np.ndarray,
        *,
        tol: float,
        max_iter: int,
        callback: Callback | None = None,
    ) -> SolverResult:
        problem = make_problem(objective, penalty, smooth=True)
        trace = IterationTrace(
            callback, tol=tol, max_iter=max_iter, to_theta=problem.theta_map
        )
        jacobi = self._preconditions(problem.moments)
        theta = problem.to_inner(theta0)  # never written to
        f, g, hessp = problem.value_grad_hessp(theta)
        trace.check_finite(f)
        g_max = problem.smooth_optimality(g)
        if g_max <= tol:
            trace.converge("max |gradient|")
        while not trace.converged and trace.n_iter < max_iter:
            precond = _jacobi(hessp.diagonal()) if jacobi else None
            d, _ = conjugate_gradient(
                hessp, -g, self.forcing, self.max_cg_iter, precond
            )
            found = self._line_search(problem, theta, f, g, g_max, d)
            if found is None:
                trace.fail("line search found no decrease (at machine precision?)")
                break
            theta, f, g, hessp = found
            if trace.record(f, theta):
                break
            g_max = problem.smooth_optimality(g)
            if g_max <= tol:
                trace.converge("max |gradient|")
        return trace.result(theta)

    def _preconditions(self, objective: NewtonObjective) -> bool:
        """Whether CG is preconditioned (``precondition``, or the "auto" rule)."""
        if self.precondition != "auto":
            return bool(self.precondition)
        if objective.sparse:
            return False
        return _scale_spread(objective.feature_moments()) > self.spread

    def _line_search(self, problem, theta, f, g, g_max, d):
        """The first of ``θ + t d``, ``t = 1, ½, ¼, …``, that is accepted.

        Accepted: the Armijo test passes, or ``F`` is flat to rounding and
        ``max |∇F|`` goes down. ``d`` is replaced by ``−g`` if it is not a
        descent direction. Returns the point with ``F``, ``∇F`` and the
        Hessian product there, or ``None`` after ``max_halvings`` halvings.
        """
        slope = float(g @ d)
        if slope >= 0:  # not a descent direction: fall back to −g
            d, slope = -g, -(float(np.linalg.norm(g)) ** 2)
        # Below this change of F, rounding decides the sign of a decrease.
        f_noise = 16 * np.finfo(problem.dtype).eps
        step = 1.0
        for _ in range(self.max_halvings):
            trial = theta + step * d
            f_new, g_new, hessp_new = problem.value_grad_hessp(trial)
            armijo = f_new <= f + self.armijo * step * slope
            # Near the optimum F is flat to rounding: trust the gradient.
            flat = abs(f_new - f) <= f_noise * abs(f)
            if armijo or (flat and max_abs(g_new) < g_max):
                return trial, f_new, g_new, hessp_new
            step *= 0.5
        return None
