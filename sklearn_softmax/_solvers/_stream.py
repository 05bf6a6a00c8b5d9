"""``solver="sgd"`` on objectives without random access: epochs of online steps.

A dask objective's rows live in chunks on the workers; SAGA, which draws
batches from anywhere, cannot run there. :func:`online_epochs` streams the
chunks through the online solver of ``partial_fit`` instead, the state
passing from chunk to chunk (a task per chunk, run where the chunk lives),
with the penalty of ``fit``'s objective.
"""

from __future__ import annotations

import functools

import numpy as np
from dask.delayed import delayed

from .._objectives._dask import DaskSoftmaxObjective
from .._penalties import ElasticNet
from ._base import SolverResult, notify, subdifferential_distance
from ._online import OnlineSGD
from ._online_newton import OnlineNewton


def _fixed_penalty(penalty: ElasticNet, weight_seen: float) -> ElasticNet:
    return penalty


def _stream_chunk(state, X_b, y_b, s_b, solver, penalty, batch_size, spec):
    penalty_for = functools.partial(_fixed_penalty, penalty)
    return solver.run_chunk(state, X_b, y_b, s_b, *spec, batch_size, penalty_for)


def online_epochs(
    objective: DaskSoftmaxObjective,
    penalty: ElasticNet,
    theta0: np.ndarray,
    solver: OnlineSGD | OnlineNewton,
    batch_size: int,
    *,
    tol: float,
    max_iter: int,
    callback=None,
) -> SolverResult:
    """Epochs of minibatch updates, streamed over the chunks in their order.

    Each epoch passes the state of ``partial_fit``'s solver
    through one task per chunk (the chunk's rows in order, ``batch_size`` per
    update), each batch stepping on its mean loss plus ``penalty``, the
    penalty of ``fit``'s objective. After each epoch, one more pass evaluates
    ``F`` and the optimality measure at the reported model (the averaged
    iterate, or the last one with an L1 part); the epochs stop when it is at
    most ``tol``.

    Returns
    -------
    result : SolverResult
        ``theta`` is the reported model, ``losses`` ``F`` after each epoch.
    """
    M = objective.n_features
    state = solver.init(np.asarray(theta0, dtype=objective.dtype), objective.shape)
    theta = state.theta
    losses: list[float] = []
    converged = stopped = False
    message = f"reached max_iter={max_iter}"
    spec = (objective.n_classes, objective.fit_intercept)
    for epoch in range(1, max_iter + 1):
        pending = delayed(state)
        for c in objective.chunks:
            pending = delayed(_stream_chunk, pure=True)(
                pending, c.X, c.y, c.s, solver, penalty, batch_size, spec
            )
        state, _ = solver.end_pass(pending.compute())
        theta = state.solution(penalty.smooth).ravel()
        f, g = objective.value_and_grad(theta)
        W = objective.unravel(theta)
        losses.append(float(f + penalty.value(W[:M])))
        distance = subdifferential_distance(g.reshape(objective.shape), W, penalty, M)
        if notify(callback, epoch, losses[-1], theta):
            stopped, message = True, "stopped by the callback"
            break
        if distance <= tol:
            converged, message = True, f"subdifferential distance <= tol={tol}"
            break
    return SolverResult(theta, len(losses), converged, losses, message, stopped)
