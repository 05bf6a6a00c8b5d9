"""The iteration trace of a solve: losses, the callback, and why it stopped.

Written once for every solver: a solver calls :meth:`IterationTrace.record`
after each iteration with ``F(θ)`` and the iterate, which reports it to the
callback (see :func:`._base.notify`) and says whether to stop there;
:meth:`converge` and :meth:`fail` say why the loop ended (:meth:`conclude`
when a library ran the loop), and :meth:`result` builds the
:class:`._base.SolverResult`.
"""

from __future__ import annotations

import numpy as np

from ._base import Callback, SolverResult, notify


class IterationTrace:
    """Losses after each iteration, the callback, and the stopping reason.

    Parameters
    ----------
    callback : callable or None
        The solver callback (see :func:`._base.notify`).
    tol, max_iter : float, int
        The solve's stopping rule, for the messages.
    """

    def __init__(self, callback: Callback | None, *, tol: float, max_iter: int):
        self.callback = callback
        self.tol = tol
        self.losses: list[float] = []
        self.converged = False
        self.stopped = False
        self.message = f"reached max_iter={max_iter}"

    @property
    def n_iter(self) -> int:
        """Iterations recorded so far."""
        return len(self.losses)

    def record(self, value: float, theta: np.ndarray) -> bool:
        """Record ``F(θ)`` after an iteration; whether the callback stops the solve."""
        self.losses.append(float(value))
        if notify(self.callback, self.n_iter, self.losses[-1], theta):
            self.stopped, self.message = True, "stopped by the callback"
        return self.stopped

    def converge(self, measure: str = "optimality measure") -> None:
        """The stopping test passed: ``measure <= tol``."""
        self.converged = True
        self.message = f"{measure} <= tol={self.tol}"

    def fail(self, message: str) -> None:
        """The solver could not go on (a line search found no decrease, ...)."""
        self.message = message

    def conclude(self, converged: bool, message: str) -> None:
        """The verdict of an optimiser that ran the loop itself (scipy's)."""
        self.converged, self.message = converged, message

    def result(self, theta: np.ndarray, n_iter: int | None = None) -> SolverResult:
        """The :class:`._base.SolverResult` at ``θ``."""
        return SolverResult(
            theta,
            self.n_iter if n_iter is None else n_iter,
            self.converged and not self.stopped,
            self.losses,
            self.message,
            self.stopped,
        )
