"""``solver="sgd"`` on objectives without random access: epochs of online steps.

A dask objective's rows live in chunks on the workers; SAGA, which draws
batches from anywhere, cannot run there. :class:`StreamSGD`, the other
implementation of ``"sgd"`` (for objectives that provide ``"chunks"``, not
``"finite_sum"``), streams the chunks through the online solver of
``partial_fit`` instead: each epoch passes the solver's state through the
chunks in their order (:meth:`~.._objectives._protocols.ChunkedObjective.fold_chunks`,
a task per chunk, run where the chunk lives, on the chunk's objective), each
batch stepping on its mean loss plus the penalty of ``fit``'s objective. The
epochs and their stopping rule are those of every stochastic solver
(:func:`._epochs.run_epochs`), at the reported model (the averaged iterate,
or the last one with an L1 part), without step halving: the online
schedules set their own steps.

:func:`online_solver` builds the online solver from the estimator's options,
for these epochs and for ``partial_fit``; ``learning_rate="auto"`` is
``"ftrl"`` (:mod:`._ftrl`, whose L1 threshold applies to the accumulated
gradient: exact zeros) for a penalty with an L1 part, else ``"adagrad"``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .._objectives._protocols import ChunkedObjective
from .._penalties import ElasticNet, Penalty
from ._base import Solver, SolverResult
from ._epochs import run_epochs
from ._ftrl import FTRL
from ._online import LEARNING_RATES, OnlineSGD
from ._online_newton import OnlineNewton, check_newton_problem
from ._problem import CompositeProblem
from ._saga import DEFAULT_BATCH_SIZE

#: Every ``learning_rate`` of the online solvers.
ONLINE_LEARNING_RATES = (*LEARNING_RATES, "ftrl", "newton", "auto")


def resolve_learning_rate(
    learning_rate: str, smooth: bool, structured: bool = False
) -> str:
    """``"auto"``: ``"adagrad"`` for a smooth penalty, ``"ftrl"`` with an L1 part.

    A ``structured`` penalty (factors, groups, bounds, standardisation) takes
    ``"adagrad"``: FTRL's threshold is one strength for every coefficient.
    """
    if learning_rate == "ftrl" and structured:
        raise ValueError(
            "learning_rate='ftrl' takes no penalty_factor, grouped, bounds or "
            "standardize; use learning_rate='adagrad' (the default with them)."
        )
    if learning_rate != "auto":
        return learning_rate
    return "adagrad" if smooth or structured else "ftrl"


def online_solver(
    learning_rate: str = "adagrad",
    eta0: float | str = "auto",
    power_t: float = 0.5,
    tol: float = 1e-4,
    *,
    smooth: bool = True,
    structured: bool = False,
) -> OnlineSGD | OnlineNewton | FTRL:
    """The online solver of ``learning_rate`` (for a ``smooth`` penalty or not).

    Newton windows, FTRL-proximal, or minibatch steps with a schedule.
    """
    learning_rate = resolve_learning_rate(learning_rate, smooth, structured)
    if learning_rate == "newton":
        return OnlineNewton()
    if learning_rate == "ftrl":
        return FTRL(eta0=eta0)
    return OnlineSGD(learning_rate=learning_rate, eta0=eta0, power_t=power_t, tol=tol)


def _fixed_penalty(penalty: ElasticNet, weight_seen: float) -> ElasticNet:
    return penalty


def _run_chunk(solver, penalty: ElasticNet, batch_size: int, state, chunk):
    """One chunk of a stream's epoch: its batches, each with ``fit``'s penalty."""
    penalty_for = functools.partial(_fixed_penalty, penalty)
    return solver.run_chunk(state, chunk, batch_size, penalty_for)


class StreamEpochs:
    """The :class:`._epochs.Epochs` of a stream: the iterate is the online state."""

    def __init__(self, objective: ChunkedObjective, solver, penalty, batch_size):
        self.objective, self.solver, self.penalty = objective, solver, penalty
        self._run_chunk = functools.partial(_run_chunk, solver, penalty, batch_size)

    def start(self, state) -> None:
        """Nothing is known at the first model without a pass."""
        return None

    def restart(self, state) -> None:
        """Never asked: the stream keeps every epoch."""

    def run(self, state, step: float | None):
        """One pass over the chunks, closed."""
        state = self.objective.fold_chunks(self._run_chunk, state)
        return self.solver.end_pass(state)[0]

    def solution(self, state) -> np.ndarray:
        """The reported model (see :mod:`._online`), flat."""
        return state.solution(self.penalty.smooth).ravel()


class StreamSGD(Solver):
    """Epochs of ``partial_fit``'s online steps over an objective's chunks.

    Parameters
    ----------
    batch_size : int
        Rows per update (per window for ``learning_rate="newton"``).
    online : dict, optional
        The options of :func:`online_solver`.
    """

    name = "sgd"
    requires = frozenset({"gradient", "chunks"})
    smooth_only = False
    stochastic = True

    def __init__(
        self, batch_size: int = DEFAULT_BATCH_SIZE, online: dict | None = None
    ):
        self.batch_size = batch_size
        self.online = dict(online or {})

    def configured(
        self, *, batch_size: int, random_state=None, online: dict | None = None
    ) -> StreamSGD:
        """A copy with the estimator's batch size and online solver's options.

        The chunks are streamed in their order: ``random_state`` is not used.
        """
        return StreamSGD(batch_size=batch_size, online=online)

    def solve(
        self,
        objective: Any,
        penalty: Penalty,
        theta0: np.ndarray,
        *,
        tol: float,
        max_iter: int,
        callback=None,
    ) -> SolverResult:
        """Epochs from ``θ₀``; ``theta`` is the reported model, ``losses`` ``F``."""
        solver = online_solver(**self.online, smooth=penalty.smooth)
        if isinstance(solver, OnlineNewton):
            check_newton_problem(objective.n_params, penalty.smooth)
        state = solver.init(np.asarray(theta0, dtype=objective.dtype), objective.shape)
        return run_epochs(
            CompositeProblem(objective, penalty),
            StreamEpochs(objective, solver, penalty, self.batch_size),
            state,
            step=None,
            tol=tol,
            max_iter=max_iter,
            callback=callback,
        )
