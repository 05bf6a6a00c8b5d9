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


def decrement_tol(tol: float, dtype) -> float:
    """The relative gap Newton-CG's decrement test asks for: ``max(tol², ε)``.

    ``ε`` is the dtype's machine epsilon, below which ``F`` itself is
    rounding: ``tol=1e-4`` asks float64 fits for ``F − F* ≤ 1e-8 |F|`` and
    float32 fits for ``1.2e-7 |F|``.

    >>> decrement_tol(1e-4, np.float64)
    1e-08
    """
    return max(tol * tol, float(np.finfo(dtype).eps))


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

    Stopping rule: after a step from a point where ``max |g| ≤ tol`` and the
    Newton decrement's estimate of the gap, ``½ λ² = −½ gᵀd ≈ ½ gᵀH⁻¹g ≈
    F − F*``, is at most ``max(tol², ε) |F|`` (:func:`decrement_tol`). The
    gradient test alone is not scale-invariant: at large ``C`` the scaled
    objective's curvature is small and a small gradient leaves a large gap
    (on a sparse problem at ``C ≥ 10`` the gradient at ``W = 0`` is already
    below 1e-4); the decrement is affine-invariant, costs nothing (CG's
    ``d`` is computed anyway), and the step taken from that point only
    lowers ``F`` further.

    CG stops at the inexact-Newton condition ``‖Hd + g‖ ≤ η ‖g‖`` with the
    forcing term ``η = ½`` while ``max |g| > tol``: each Newton step costs a
    few Hessian-vector products and still cuts the gradient by a fixed
    factor. On the problems of ``benchmarks/bench_fit.py`` this reached a
    relative suboptimality of 1e-6 sooner than the superlinear
    ``η = min(½, √‖g‖)``, and no later than Eisenstat and Walker's adaptive
    rule. Once ``max |g| ≤ tol``, ``η = final_forcing`` (0.05): ``−gᵀd``
    falls short of ``gᵀH⁻¹g`` by ``rᵀH⁻¹r`` (``r`` CG's residual), which at
    ``η = ½`` let an ill-conditioned sparse fit stop at a gap of 1e-5 where
    the estimate said 1e-8 (``tests/test_defaults.py``); the times of both
    are in ``benchmarks/results/2026-12-04-defaults.md``. Each step is
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
    # False: stop on max |g| <= tol alone (the rule before the decrement
    # test, kept for benchmarks/bench_defaults.py's side-by-side runs).
    decrement_test = True
    final_forcing = 0.05  # CG's forcing term once max |g| <= tol
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
        gap_tol = decrement_tol(tol, problem.dtype)
        while trace.n_iter < max_iter:
            g_max = problem.smooth_optimality(g)
            if not self.decrement_test and g_max <= tol:
                trace.converge("max |gradient|")
                break
            d = self._direction(hessp, g, jacobi, final=g_max <= tol)
            # ½ λ², λ² = gᵀH⁻¹g ≈ −gᵀd: F(θ) − F* to second order.
            gap = -0.5 * float(g @ d)
            small = self.decrement_test and g_max <= tol and gap <= gap_tol * abs(f)
            found = self._line_search(problem, theta, f, g, d)
            if found is None:
                trace.fail("line search found no decrease (at machine precision?)")
                break
            theta, f, g, hessp = found
            if trace.record(f, theta):
                break
            if small:  # F only went down from a point already within the gap
                trace.converge("max |gradient| and the Newton decrement")
                break
        return trace.result(theta)

    def _direction(self, hessp, g, jacobi: bool, final: bool) -> np.ndarray:
        """CG's Newton direction; ``final``: to ``final_forcing``, ``max |g| ≤ tol``."""
        precond = _jacobi(hessp.diagonal()) if jacobi else None
        forcing = self.forcing
        if final and self.decrement_test:
            forcing = self.final_forcing
        d, _ = conjugate_gradient(hessp, -g, forcing, self.max_cg_iter, precond)
        return d

    def _preconditions(self, objective: NewtonObjective) -> bool:
        """Whether CG is preconditioned (``precondition``, or the "auto" rule)."""
        if self.precondition != "auto":
            return bool(self.precondition)
        if objective.sparse:
            return False
        return _scale_spread(objective.feature_moments()) > self.spread

    def _line_search(self, problem, theta, f, g, d):
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
        g_max = max_abs(g)
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
