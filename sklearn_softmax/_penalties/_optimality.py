r"""Optimality measures of the structured penalty: distances of ``−∇f`` to ``∂P``.

At a minimiser of ``f + P`` (``P`` with its box), ``0 ∈ ∇f + ∂P``; the
distance of ``0`` to that set is the measure the solvers test against
``tol``, zero exactly at a minimiser.

Per coefficient, with ``h = g + a w`` the smooth part's gradient and ``c``
the L1 weight, ``∇f + ∂P`` is the interval

.. math:: [h + c\,\sigma_-,\ h + c\,\sigma_+], \qquad
          \sigma_\pm = \mathrm{sign}(w) \ (w \ne 0), \quad \pm 1 \ (w = 0),

extended to ``−∞`` below at an active lower bound and to ``+∞`` above at an
active upper bound (the normal cone of the box); the distance of ``0`` to
``[lo, hi]`` is ``max(lo, −hi, 0)``: zero projected gradient inside the box,
the right sign at an active bound. For a group ``g`` with weight ``c_g``,
the set is ``H_g + c_g W_g / ‖W_g‖`` where ``W_g ≠ 0`` and the ball of
radius ``c_g`` around ``H_g`` where ``W_g = 0``: the distances are
``‖H_g + c_g W_g / ‖W_g‖‖`` and ``max(‖H_g‖ − c_g, 0)`` (Frobenius norms
over the group's block of ``W``).
"""

from __future__ import annotations

import numpy as np


def box_distance(H, W, c, lower=None, upper=None) -> np.ndarray:
    """Per coefficient, the distance of ``0`` to ``∇f + ∂P`` (see the module).

    Parameters
    ----------
    H : ndarray of shape (M, K)
        ``∇f + a ∘ W``, the gradient of the smooth part.
    W : ndarray of shape (M, K)
        The point.
    c : ndarray of shape (M, K)
        The L1 weights.
    lower, upper : ndarray broadcast against ``W``, or None
        The box.

    Returns
    -------
    d : ndarray of shape (M, K)
    """
    sign = np.sign(W)
    nonzero = W != 0
    lo = H + c * np.where(nonzero, sign, -1.0)
    hi = H + c * np.where(nonzero, sign, 1.0)
    if lower is not None:
        lo = np.where(W <= lower, -np.inf, lo)
    if upper is not None:
        hi = np.where(W >= upper, np.inf, hi)
    return np.maximum(np.maximum(lo, -hi), 0.0)


def group_distance(H, W, groups, weight) -> float:
    """The largest distance over the groups (see the module).

    Parameters
    ----------
    H, W : ndarray of shape (M, K)
        The smooth part's gradient and the point.
    groups : ndarray of shape (M,)
        Each row's group.
    weight : ndarray of shape (n_groups,)
        ``c_g``, the L1 strength times the group's weight.

    Returns
    -------
    distance : float
    """
    n = len(weight)

    def norms(A):
        rows = np.einsum("jk,jk->j", A, A, dtype=np.float64)
        return np.sqrt(np.bincount(groups, weights=rows, minlength=n))

    w_norm = norms(W)
    with np.errstate(divide="ignore", invalid="ignore"):
        direction = np.where(w_norm > 0, weight / w_norm, 0.0)
    active = norms(H + direction[groups, None] * W)
    inactive = np.maximum(norms(H) - weight, 0.0)
    d = np.where(w_norm > 0, active, inactive)
    return float(np.max(d)) if d.size else 0.0
