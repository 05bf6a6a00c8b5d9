"""Truncated (inexact) Newton with conjugate gradients and a line search."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._base import SmoothProblem, Solver, SolverResult, max_abs, notify


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
    """``max / min`` of the non-zero second moments of the features."""
    moments = moments[moments > 0]
    return float(moments.max() / moments.min()) if moments.size else 1.0


def _jacobi(diagonal: np.ndarray) -> np.ndarray:
    """The inverse of a Hessian's diagonal, 1 where it (nearly) vanishes."""
    floor = np.finfo(diagonal.dtype).eps * max_abs(diagonal)
    safe = diagonal > floor
    return np.where(safe, 1.0 / np.where(safe, diagonal, 1.0), 1.0).astype(
        diagonal.dtype
    )


class NewtonCG(Solver):
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
    armijo = 1e-4
    max_halvings = 40
    max_cg_iter = 200
    forcing = 0.5
    # "auto": Jacobi preconditioning for dense X whose features' second moments
    # spread by more than `spread`; True / False force it on / off.
    precondition: bool | str = "auto"
    spread = 10.0

    def solve(self, objective, penalty, theta0, *, tol, max_iter, callback=None):
        problem = SmoothProblem(objective, penalty)
        jacobi = self.precondition
        if jacobi == "auto":
            jacobi = (
                not sp.issparse(objective.X)
                and _scale_spread(objective.feature_moments()) > self.spread
            )
        theta = np.asarray(theta0, dtype=objective.dtype)  # never written to
        f, g, hessp = problem.value_grad_hessp(theta)
        losses: list[float] = []
        stopped = False
        message = f"reached max_iter={max_iter}"
        n_iter = 0
        g_max = max_abs(g)
        converged = g_max <= tol
        # Below this change of F, rounding decides the sign of a decrease.
        f_noise = 16 * np.finfo(objective.dtype).eps
        while not converged and n_iter < max_iter:
            g_norm = float(np.linalg.norm(g))
            precond = _jacobi(hessp.diagonal()) if jacobi else None
            d, _ = conjugate_gradient(
                hessp, -g, self.forcing, self.max_cg_iter, precond
            )
            slope = float(g @ d)
            if slope >= 0:  # not a descent direction: fall back to −g
                d, slope = -g, -(g_norm**2)
            step, accepted = 1.0, False
            for _ in range(self.max_halvings):
                trial = theta + step * d
                f_new, g_new, hessp_new = problem.value_grad_hessp(trial)
                armijo = f_new <= f + self.armijo * step * slope
                # Near the optimum F is flat to rounding: trust the gradient.
                flat = abs(f_new - f) <= f_noise * abs(f)
                if armijo or (flat and max_abs(g_new) < g_max):
                    accepted = True
                    break
                step *= 0.5
            if not accepted:
                message = "line search found no decrease (at machine precision?)"
                break
            theta, f, g, hessp = trial, f_new, g_new, hessp_new
            n_iter += 1
            losses.append(float(f))
            if notify(callback, n_iter, losses[-1], theta):
                stopped, message = True, "stopped by the callback"
                break
            g_max = max_abs(g)
            converged = g_max <= tol
        if converged:
            message = f"max |gradient| <= tol={tol}"
        return SolverResult(theta, n_iter, converged, losses, message, stopped)
