"""Full-batch gradient descent, the derivation's update ``W ← W − η ∇E(W)``."""

from __future__ import annotations

import numpy as np

from ._base import SmoothProblem, Solver, SolverResult, max_abs, notify


class GradientDescent(Solver):
    """Gradient descent with Barzilai–Borwein steps and backtracking.

    Each iteration tries the Barzilai–Borwein step ``η = ‖Δθ‖² / ⟨Δθ, Δg⟩``
    (the inverse of the curvature seen along the last move) and halves it until
    the nonmonotone Armijo condition

    ``F(θ − η g) ≤ max(F over the last 10 iterates) − 10⁻⁴ η ‖g‖²``

    holds (Grippo, Lampariello & Lucidi 1986; Raydan 1997). The first step is
    ``1 / max |g|``. This keeps each update a plain gradient step while taking
    far fewer of them than a fixed or monotone backtracked step.
    """

    name = "gd"
    armijo = 1e-4
    memory = 10
    max_halvings = 60

    def solve(self, objective, penalty, theta0, *, tol, max_iter, callback=None):
        problem = SmoothProblem(objective, penalty)
        theta = np.asarray(theta0, dtype=objective.dtype).copy()
        f, g = problem.value_and_grad(theta)
        recent = [f]
        losses: list[float] = []
        stopped = False
        message = f"reached max_iter={max_iter}"
        n_iter = 0
        g_max = max_abs(g)
        converged = g_max <= tol
        step = 1.0 / max(g_max, np.finfo(objective.dtype).tiny)
        while not converged and n_iter < max_iter:
            gg = float(g @ g)
            reference = max(recent)
            for _ in range(self.max_halvings):
                trial = theta - step * g
                f_new, g_new = problem.value_and_grad(trial)
                if f_new <= reference - self.armijo * step * gg:
                    break
                step *= 0.5
            else:
                message = "line search found no decrease (at machine precision?)"
                break
            s, y = trial - theta, g_new - g
            theta, f, g = trial, f_new, g_new
            n_iter += 1
            losses.append(float(f))
            recent = (recent + [f])[-self.memory :]
            if notify(callback, n_iter, losses[-1], theta):
                stopped, message = True, "stopped by the callback"
                break
            converged = max_abs(g) <= tol
            sy = float(s @ y)
            step = float(s @ s) / sy if sy > 0 else 2 * step
        if converged:
            message = f"max |gradient| <= tol={tol}"
        return SolverResult(theta, n_iter, converged, losses, message, stopped)
