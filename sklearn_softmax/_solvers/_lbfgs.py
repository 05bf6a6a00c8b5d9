"""L-BFGS from scipy on the smooth objective."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from .._objectives._protocols import SmoothObjective
from .._penalties import ElasticNet
from ._base import Callback, Solver, SolverResult
from ._scaling import make_problem
from ._trace import IterationTrace


class LBFGS(Solver[SmoothObjective]):
    """Limited-memory BFGS (``scipy.optimize.minimize(method="L-BFGS-B")``).

    scipy iterates in float64; each evaluation casts ``θ`` to the objective's
    dtype, so a float32 problem keeps float32 products with ``X``.
    """

    name = "lbfgs"
    parameter_copies = 2 * 10 + 8  # scipy's 10 pairs (s, y), its work vectors

    def solve(
        self,
        objective: SmoothObjective,
        penalty: ElasticNet,
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
            callback=on_iteration,
            options={
                "maxiter": max_iter,
                "maxls": 50,
                "gtol": tol,
                "ftol": 64 * np.finfo(float).eps,
            },
        )
        if not trace.stopped:
            self._conclude(trace, result, problem.smooth_optimality(result.jac), tol)
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
