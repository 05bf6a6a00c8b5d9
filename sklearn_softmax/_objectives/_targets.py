r"""The targets of an objective: label indices or soft targets, and offsets.

Conventions
-----------
A block of ``N_b`` samples has logits ``Z`` of shape ``(K, N_b)``, the
derivation's layout. Its targets ``Y`` (``K × N_b``) are either

* label indices ``y_b`` of shape ``(N_b,)`` (``targets=None``): the one-hot
  columns are never formed; ``Σ_k Y_kn Z_kn = Z[y_n, n]`` and ``S − Y`` is
  ``S`` less one at ``(y_n, n)`` (the fast path of every fit on hard labels);
* soft targets ``T_b`` of shape ``(K, N_b)`` (dense, non-negative, every column
  summing to one): ``Σ_k Y_kn Z_kn`` is a column-wise dot product and
  ``S − Y`` subtracts ``T_b``.

Columns that sum to one keep the derivation's forms: the gradient
``X (ŝ ∘ (S − Y))ᵀ``, the Hessian of ``ℓ_n`` in the logits
``diag(S_n) − S_n S_nᵀ``, and ``Σ_k (S − Y)_kn = 0``, so that gradient steps
keep ``Σ_k b_k``. The estimator folds class weights and sample weights into
``T`` and the per-sample weight before building an objective
(see :func:`fold_weights`).

An offset ``O`` (``K × N``, or ``None``) is added to the logits of the value
and the gradient, never to the directions of a Hessian-vector product.
"""

from __future__ import annotations

import numpy as np


def target_logits(Z: np.ndarray, y_b: np.ndarray, T_b) -> np.ndarray:
    """``Σ_k Y_kn Z_kn`` of each column of ``Z`` (``K × N_b``), of shape (N_b,)."""
    if T_b is None:
        return Z[y_b, np.arange(y_b.shape[0])]
    return np.einsum("kn,kn->n", T_b, Z)


def subtract_targets(D: np.ndarray, y_b: np.ndarray, T_b, scale=1) -> None:
    """``D −= scale ∘ Y`` in place, ``scale`` a number or one per column."""
    if T_b is None:
        D[y_b, np.arange(y_b.shape[0])] -= scale
    elif np.isscalar(scale):
        D -= T_b
    else:
        D -= T_b * scale


def columns(A, index):
    """``A[:, index]``, or ``None`` for ``A=None`` (no soft targets, no offset)."""
    return None if A is None else A[:, index]


def fold_weights(
    proba: np.ndarray, sample_weight: np.ndarray, class_weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Soft targets and weights as per-sample weights and unit-sum targets.

    The loss of sample ``n`` is ``−s_n Σ_k c_k q_nk log S_kn``: the per-class
    weights ``a_nk = s_n c_k q_nk`` of the data replicated ``K`` times. They
    are returned as the weight ``t_n = Σ_k a_nk`` and the target column
    ``a_n / t_n`` (``q_n`` itself where ``t_n = 0``), so the objective's
    formulas for columns summing to one hold.

    Parameters
    ----------
    proba : ndarray of shape (N, K)
        The soft targets ``q``, rows summing to one.
    sample_weight : ndarray of shape (N,)
    class_weights : ndarray of shape (K,)

    Returns
    -------
    weights : ndarray of shape (N,)
        ``t``, float64.
    targets : ndarray of shape (K, N)
        The target columns, float64, in the derivation's layout.

    Examples
    --------
    >>> import numpy as np
    >>> t, T = fold_weights(np.array([[0.5, 0.5]]), np.array([2.0]),
    ...                     np.array([1.0, 3.0]))
    >>> t, T.ravel()
    (array([4.]), array([0.25, 0.75]))
    """
    with np.errstate(over="ignore"):  # an overflowing total is refused later
        a = proba * (sample_weight[:, None] * class_weights[None, :])
        t = a.sum(axis=1)
    positive = t > 0
    T = np.array(proba, dtype=np.float64, copy=True)
    T[positive] = a[positive] / t[positive, None]
    return t, np.ascontiguousarray(T.T)
