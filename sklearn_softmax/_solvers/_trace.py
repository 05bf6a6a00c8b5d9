"""The iteration trace of a solve: losses, the callback, and why it stopped.

Written once for every solver: a solver calls :meth:`IterationTrace.record`
after each iteration with ``F(θ)`` and the iterate, which reports it to the
callback (see :func:`._base.notify`) and says whether to stop there;
:meth:`converge` and :meth:`fail` say why the loop ended (:meth:`conclude`
when a library ran the loop), and :meth:`result` builds the
:class:`._base.SolverResult`.
"""

from __future__ import annotations

from collections.abc import Callable

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
    to_theta : callable, default=None
        Maps the solver's iterate to ``θ`` where the solver iterates in other
        coordinates (:mod:`._scaling`): the callback and the result then see
        ``θ``.
    """

    def __init__(
        self,
        callback: Callback | None,
        *,
        tol: float,
        max_iter: int,
        to_theta: Callable[[np.ndarray], np.ndarray] | None = None,
    ):
        self.callback = callback
        self.to_theta = to_theta
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
        """Record ``F(θ)`` after an iteration; whether the callback stops the solve.

        Raises
        ------
        ValueError
            If ``F(θ)`` is NaN or infinite: the iterates have left float64's
            range, and iterating on would only give a meaningless model.
        """
        self.check_finite(value, self.n_iter + 1)
        self.losses.append(float(value))
        if self.to_theta is not None and self.callback is not None:
            theta = self.to_theta(theta)
        if notify(self.callback, self.n_iter, self.losses[-1], theta):
            self.stopped, self.message = True, "stopped by the callback"
        return self.stopped

    def check_finite(self, value: float, n_iter: int = 0) -> None:
        """Raise a ValueError if ``F(θ)`` after ``n_iter`` iterations is not finite.

        Solvers whose line search rejects non-finite trials check their
        starting ``F(θ₀)`` with it; :meth:`record` checks every iterate.
        """
        if not np.isfinite(value):
            where = "at the start" if n_iter == 0 else f"at iteration {n_iter}"
            raise ValueError(
                f"The objective is {float(value)!r} {where}: the problem is out "
                f"of float64's range. Scale the data or the sample weights, or "
                f"use a larger C."
            )

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
        """The :class:`._base.SolverResult` at ``θ`` (the solver's iterate)."""
        if self.to_theta is not None:
            theta = self.to_theta(theta)
        return SolverResult(
            theta,
            self.n_iter if n_iter is None else n_iter,
            self.converged and not self.stopped,
            self.losses,
            self.message,
            self.stopped,
        )
