"""What the online solvers share: their state's common part, a run of rows'
objective, closing a pass.

Both :mod:`._online` (minibatch steps) and :mod:`._online_newton` (Newton
steps on windows) read a call's chunk as runs of consecutive rows; their
states extend :class:`StreamState`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .._objectives import SoftmaxObjective


@dataclass(frozen=True)
class StreamState:
    """The model and the passes so far: the part every online state holds.

    Attributes
    ----------
    theta : ndarray of shape (n_params,)
        The current iterate ``θ`` (the objective's flat layout and dtype).
    shape : tuple of int
        The shape of ``W``, ``(M + 1, K)`` or ``(M, K)``.
    n_updates : int
        Updates taken, ``t``.
    n_passes : int
        Passes closed by the solver's ``end_pass``.
    weight_seen : float
        Total sample weight of the rows seen, ``W_t``.
    pass_loss, pass_weight : float
        Weighted sum of the losses recorded in the current pass (each before
        its update) and their weight.
    losses : tuple of float
        The mean loss of each closed pass.
    """

    theta: np.ndarray
    shape: tuple[int, int]
    n_updates: int = 0
    n_passes: int = 0
    weight_seen: float = 0.0
    pass_loss: float = 0.0
    pass_weight: float = 0.0
    losses: tuple[float, ...] = ()


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


def close_pass(state: StreamState):
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
