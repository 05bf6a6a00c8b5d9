"""The epochs of the stochastic solvers and their stopping rule, written once.

An iteration of ``solver="sgd"`` is an epoch: a pass of minibatch steps over
the data, whatever the algorithm and wherever the data live (SAGA in memory
or on a device, :mod:`._saga`; online steps streamed over dask chunks,
:mod:`._stream`). :func:`run_epochs` drives them: after each epoch one full
evaluation gives ``F(θ)`` (``loss_curve_``) and the optimality measure of
every solver at the reported model ``θ``, the callback sees the epoch
(:class:`._trace.IterationTrace`), and the epochs stop when the measure is at
most ``tol``.

An algorithm with a step size (SAGA) passes it: an epoch that ends above the
starting objective (or at a value that is not finite) is then redone from
where it began with half the step, at most :data:`MAX_HALVINGS` times in a
fit, after which the fit stops there (not converged), at the last epoch that
was kept.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from ._base import Callback, SolverResult
from ._problem import CompositeProblem
from ._trace import IterationTrace

#: Halvings of the step in one fit: a step 10⁹ times shorter than the first is
#: no longer a step size that was merely too long.
MAX_HALVINGS = 30


class Epochs(Protocol):
    """An algorithm taken an epoch at a time, on its own iterate ``x``.

    * ``start(x)``: ``f`` and ``∇f`` (a host vector) at the first iterate,
      when the algorithm computes them anyway, else ``None`` (no test of the
      first iterate, no halving);
    * ``run(x, step)``: one epoch from ``x``, with ``step`` (``None`` for an
      algorithm without one); the new iterate;
    * ``restart(x)``: forget what the epochs learnt since ``x``, before an
      epoch is redone from there;
    * ``solution(x)``: the model the iterate reports, ``θ`` (a host vector).
    """

    def start(self, x: Any) -> tuple[float, np.ndarray] | None: ...

    def run(self, x: Any, step: float | None) -> Any: ...

    def restart(self, x: Any) -> None: ...

    def solution(self, x: Any) -> np.ndarray: ...


def run_epochs(
    problem: CompositeProblem,
    epochs: Epochs,
    x0: Any,
    *,
    step: float | None,
    tol: float,
    max_iter: int,
    callback: Callback | None = None,
) -> SolverResult:
    """Epochs from ``x0`` until the optimality measure is at most ``tol``.

    Parameters
    ----------
    problem : CompositeProblem
        ``F = f + P``; ``f`` is evaluated (value and gradient) after each epoch.
    epochs : Epochs
        The algorithm.
    x0 : object
        Its first iterate.
    step : float or None
        The step, halved when an epoch ends above the starting ``F``; ``None``
        keeps every epoch.
    tol, max_iter, callback
        As every solver's (see :mod:`._base`); ``max_iter`` counts epochs
        kept.

    Returns
    -------
    result : SolverResult
        ``theta`` is the model of the last epoch kept, ``losses`` ``F`` after
        each.
    """
    trace = IterationTrace(callback, tol=tol, max_iter=max_iter)
    x, theta = x0, epochs.solution(x0)
    F_start, halvings = np.inf, 0
    start = epochs.start(x0)
    if start is not None:
        F_start = problem.value_of(start[0], theta)
        trace.check_finite(F_start)
        if problem.optimality(start[1], theta) <= tol:
            trace.converge()
    while not trace.converged and trace.n_iter < max_iter:
        x_start, x = x, epochs.run(x, step)
        theta = epochs.solution(x)
        f, g = problem.objective.value_and_grad(theta)
        F = problem.value_of(f, theta)
        if step is not None and start is not None and not F <= F_start:
            # Worse than the start (or not finite): the step was too long.
            x = x_start
            if halvings == MAX_HALVINGS:
                trace.fail(
                    f"the step was halved {MAX_HALVINGS} times and an epoch still "
                    "ended above the starting objective"
                )
                break
            step, halvings = step / 2, halvings + 1
            epochs.restart(x)
            continue
        if trace.record(F, theta):
            break
        if problem.optimality(g, theta) <= tol:
            trace.converge()
    return trace.result(epochs.solution(x))
