"""L-BFGS from scipy on the smooth objective, L-BFGS-B's bounds for the penalty's box.

Penalty factors enter through the smooth part's value and gradient; bounds
on ``W[:M]`` (three or more classes) and coefficients held at zero by an
infinite factor become L-BFGS-B's bounds on the flat ``θ`` (the intercept
row is free). With bounds, convergence is judged by the distance of ``−∇f``
to ``∂P`` plus the box's normal cone (the projected gradient).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from .._objectives._protocols import SmoothObjective
from .._penalties import Penalty
from ._base import Callback, Solver, SolverResult
from ._problem import CompositeProblem
from ._scaling import make_problem
from ._trace import IterationTrace


class LBFGS(Solver[SmoothObjective]):
    """Limited-memory BFGS (``scipy.optimize.minimize(method="L-BFGS-B")``).

    scipy iterates in float64; each evaluation casts ``θ`` to the objective's
    dtype, so a float32 problem keeps float32 products with ``X``.
    """

    name = "lbfgs"
    handles = frozenset({"factors", "excluded", "bounds"})
    parameter_copies = 2 * 10 + 8  # scipy's 10 pairs (s, y), its work vectors

    def solve(
        self,
        objective: SmoothObjective,
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
        if max_iter == 0:  # scipy would still take one step
            theta = problem.to_inner(theta0)
            g = problem.value_and_grad(theta)[1]
            trace.conclude(problem.smooth_optimality(g) <= tol, "max_iter=0")
            return trace.result(theta.copy())

        def fun(theta):
            f, g = problem.value_and_grad(theta)
            return f, g.astype(np.float64)

        def on_iteration(intermediate_result):
            theta = intermediate_result.x.astype(objective.dtype)
            if trace.record(intermediate_result.fun, theta):
                raise StopIteration  # scipy >= 1.11 ends the run here

        result = minimize(
            fun,
            np.asarray(
                theta0 if problem.theta_map is None else problem.to_inner(theta0),
                dtype=np.float64,
            ),
            method="L-BFGS-B",
            jac=True,
            bounds=_bounds(problem),
            callback=on_iteration,
            options={
                "maxiter": max_iter,
                "maxls": 50,
                "gtol": tol,
                "ftol": 64 * np.finfo(float).eps,
            },
        )
        if not trace.stopped:
            self._conclude(trace, result, _measure(problem, result), tol)
        n_iter = trace.n_iter if trace.stopped else int(result.nit)
        return trace.result(result.x.astype(objective.dtype), n_iter)

    @staticmethod
    def _conclude(trace: IterationTrace, result, g_max: float, tol: float) -> None:
        """scipy's verdict, as convergence only where ``max |∇F| <= tol`` too.

        scipy also stops on a tiny relative decrease of ``F``; that is reported
        as such, not as convergence.
        """
        message = str(result.message)
        converged = result.status == 0 and g_max <= tol
        if result.status == 0 and not converged:
            message = (
                f"the objective stopped decreasing with max |gradient| = "
                f"{g_max:.1e} > tol={tol} (scipy: {message})"
            )
        trace.conclude(converged, message)


def _measure(problem: CompositeProblem, result) -> float:
    """``max |∇F|``, or with bounds the distance of ``−∇f`` to ``∂P`` and the box."""
    if not problem.penalty.needs & {"bounds", "excluded"}:
        return problem.smooth_optimality(result.jac)
    theta = result.x.astype(problem.dtype)
    return problem.optimality(problem.data_value_and_grad(theta)[1], theta)


def _bounds(problem: CompositeProblem):
    """L-BFGS-B's ``(lower, upper)`` per entry of ``θ``, or ``None`` without a box."""
    penalty = problem.penalty
    if not penalty.needs & {"bounds", "excluded"}:
        return None
    structure = penalty.structure  # type: ignore[union-attr]
    M, shape = problem.n_features, problem.shape
    lower = np.full(shape, -np.inf)
    upper = np.full(shape, np.inf)
    if structure.lower is not None:
        lower[:M] = structure.lower
    if structure.upper is not None:
        upper[:M] = structure.upper
    if structure.excluded is not None:
        lower[:M][structure.excluded] = 0.0
        upper[:M][structure.excluded] = 0.0
    return list(zip(lower.ravel(), upper.ravel(), strict=True))
