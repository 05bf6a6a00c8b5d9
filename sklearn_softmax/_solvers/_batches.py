"""What the online solvers share: the objective of a run of rows, closing a pass.

Both :mod:`._online` (minibatch steps) and :mod:`._online_newton` (Newton
steps on windows) read a call's chunk as runs of consecutive rows and keep,
in their state, the weighted loss of the current pass (``pass_loss``,
``pass_weight``) and the mean loss of every closed pass (``losses``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._objective import SoftmaxObjective


def batch_objective(
    X,
    y_index: np.ndarray,
    s: np.ndarray,
    rows: slice,
    n_classes: int,
    fit_intercept: bool,
    dtype,
    one_block: bool = True,
) -> SoftmaxObjective:
    """The mean loss of the rows ``rows``, ``X`` cast to ``dtype``.

    In one block (a minibatch), or in the objective's blocks of a few MiB.
    """
    X_b = X[rows]
    if X_b.dtype != dtype:  # the first chunk's dtype, batch by batch
        X_b = X_b.astype(dtype)
    n_rows = X_b.shape[0]
    return SoftmaxObjective(
        X_b.T,
        y_index[rows],
        n_classes,
        s[rows],
        fit_intercept,
        block_size=n_rows if one_block else None,
    )


def close_pass(state):
    """``state`` with its pass closed, and the pass's mean batch loss.

    The loss is the weighted mean of the batch losses recorded in the pass
    (``pass_loss / pass_weight``); a pass without weight is not closed: the
    same ``state`` comes back, with ``nan``.
    """
    if not state.pass_weight > 0:
        return state, float("nan")
    loss = state.pass_loss / state.pass_weight
    closed = dataclasses.replace(
        state,
        n_passes=state.n_passes + 1,
        pass_loss=0.0,
        pass_weight=0.0,
        losses=(*state.losses, loss),
    )
    return closed, loss
