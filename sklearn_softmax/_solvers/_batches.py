"""What the online solvers share: their state's common part, closing a pass.

Both :mod:`._online` (minibatch steps) and :mod:`._online_newton` (Newton
steps on windows) take a call's chunk as an objective (the in-memory
:class:`.._objectives.SoftmaxObjective` of its rows) and read it as runs of
consecutive samples, each the objective of those samples
(:meth:`~.._objectives.SoftmaxObjective.sample_range`, sharing the chunk's
memory, with its weight as given from
:meth:`~.._objectives.SoftmaxObjective.weight`); their states extend
:class:`StreamState`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


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


@dataclass(frozen=True, kw_only=True)
class AveragedState(StreamState):
    """A stream state with the iterates' average, the base step and the scales.

    Attributes
    ----------
    average : ndarray of shape (n_params,)
        The polynomial-decay average of the iterates (``θ₀`` before any).
    eta0 : float or None
        The base step; ``None`` until the first update resolves ``"auto"``.
    scales : ndarray of shape (n_params,) or None
        ``d`` of :func:`._scaling.online_scales` (float64), set by the first
        update where the features' scales are extreme (the steps are then
        those on ``u = θ / d``); ``None`` otherwise, and in states saved
        before it existed.

    And those of :class:`StreamState`.
    """

    average: np.ndarray
    eta0: float | None = None
    scales: np.ndarray | None = None

    def solution(self, smooth: bool) -> np.ndarray:
        """The model to report, as ``W``: the average, or ``θ`` with an L1 part."""
        return (self.average if smooth else self.theta).reshape(self.shape)


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


def step_batches(
    update: Callable[..., Any],
    state: Any,
    objective: Any,
    batch_size: int,
    penalty_for: Callable[[float], Any],
) -> Any:
    """``update`` once per minibatch of ``batch_size`` consecutive samples, in order.

    Each minibatch is the objective of a run of the chunk's samples (sharing
    its memory, cast to the dtype of ``state.theta`` if needed), stepped on
    with the penalty ``penalty_for(W_t)`` (``W_t`` the weight seen with it)
    and its weight: ``update(state, batch, penalty, weight)``. Runs without
    weight are skipped; the pass is not closed.
    """
    n, dtype = objective.n_samples, state.theta.dtype
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        weight = objective.weight(start, stop)
        if not weight > 0:
            continue
        batch = objective.sample_range(start, stop, dtype=dtype, one_block=True)
        penalty = penalty_for(state.weight_seen + weight)
        state = update(state, batch, penalty, weight)
    return state
