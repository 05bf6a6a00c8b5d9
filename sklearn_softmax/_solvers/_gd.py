"""Full-batch gradient descent, the derivation's update ``W ← W − η ∇E(W)``."""

from __future__ import annotations

import numpy as np

from .._objectives._protocols import SmoothObjective
from .._penalties import Penalty
from ._base import Callback, Solver, SolverResult
from ._scaling import make_problem
from ._trace import IterationTrace


class GradientDescent(Solver[SmoothObjective]):
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
        theta = problem.to_inner(theta0).copy()
        f, g = problem.value_and_grad(theta)
        trace.check_finite(f)
        recent = [f]
        g_max = problem.smooth_optimality(g)
        if g_max <= tol:
            trace.converge("max |gradient|")
        step = 1.0 / max(g_max, np.finfo(objective.dtype).tiny)
        while not trace.converged and trace.n_iter < max_iter:
            reference = max(recent)
            found = self._line_search(problem, theta, g, step, reference)
            if found is None:
                trace.fail("line search found no decrease (at machine precision?)")
                break
            trial, f_new, g_new, step = found
            s, y = trial - theta, g_new - g
            theta, f, g = trial, f_new, g_new
            recent = (recent + [f])[-self.memory :]
            if trace.record(f, theta):
                break
            if problem.smooth_optimality(g) <= tol:
                trace.converge("max |gradient|")
            sy = float(s @ y)
            step = float(s @ s) / sy if sy > 0 else 2 * step
        return trace.result(theta)

    def _line_search(self, problem, theta, g, step, reference):
        """The first step ``η``, halving from ``step``, that passes the test.

        Returns ``θ − η g``, ``F`` and ``∇F`` there, and ``η``; ``None`` if no
        step passes the nonmonotone Armijo test against ``reference`` within
        ``max_halvings`` halvings.
        """
        gg = float(g @ g)
        for _ in range(self.max_halvings):
            trial = theta - step * g
            f_new, g_new = problem.value_and_grad(trial)
            if f_new <= reference - self.armijo * step * gg:
                return trial, f_new, g_new, step
            step *= 0.5
        return None
