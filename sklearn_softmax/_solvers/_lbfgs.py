"""L-BFGS from scipy on the smooth objective."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from ._base import SmoothProblem, Solver, SolverResult, max_abs, notify


class LBFGS(Solver):
    """Limited-memory BFGS (``scipy.optimize.minimize(method="L-BFGS-B")``).

    scipy iterates in float64; each evaluation casts ``θ`` to the objective's
    dtype, so a float32 problem keeps float32 products with ``X``.
    """

    name = "lbfgs"

    def solve(self, objective, penalty, theta0, *, tol, max_iter, callback=None):
        problem = SmoothProblem(objective, penalty)
        if max_iter == 0:  # scipy would still take one step
            theta = np.asarray(theta0, dtype=objective.dtype)
            converged = max_abs(problem.value_and_grad(theta)[1]) <= tol
            return SolverResult(theta.copy(), 0, converged, [], "max_iter=0")
        losses: list[float] = []
        stopped = False

        def fun(theta):
            f, g = problem.value_and_grad(theta)
            return f, g.astype(np.float64)

        def on_iteration(intermediate_result):
            nonlocal stopped
            losses.append(float(intermediate_result.fun))
            theta = intermediate_result.x.astype(objective.dtype)
            if notify(callback, len(losses), losses[-1], theta):
                stopped = True
                raise StopIteration  # scipy >= 1.11 ends the run here

        result = minimize(
            fun,
            np.asarray(theta0, dtype=np.float64),
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
        theta = result.x.astype(objective.dtype)
        # scipy also stops on a tiny relative decrease of F; report convergence
        # only when the gradient test the other solvers use is met as well.
        g_max = max_abs(result.jac)
        converged = result.status == 0 and g_max <= tol and not stopped
        message = "stopped by the callback" if stopped else str(result.message)
        if result.status == 0 and not converged:
            message = (
                f"the objective stopped decreasing with max |gradient| = "
                f"{g_max:.1e} > tol={tol} (scipy: {message})"
            )
        n_iter = len(losses) if stopped else int(result.nit)
        return SolverResult(theta, n_iter, converged, losses, message, stopped)
