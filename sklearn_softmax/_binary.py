r"""The binary coefficient layout: two classes reported as one row.

Two classes are fitted as the ``K = 2`` softmax, with one column ``w_k`` (and
intercept ``b_k``) per class, and reported as scikit-learn's
``LogisticRegression`` reports them: one row

.. math:: β = w_1 − w_0, \qquad β_0 = b_1 − b_0,

``coef_`` of shape ``(1, M)`` and ``intercept_`` of shape ``(1,)``, since
only the difference enters the probabilities:
``S_1 = σ(β^\top x + β_0) = softmax([0; z])_1`` with ``z = β^\top x + β_0``.

This module holds the three conversions, in the estimator's layout (one row
per class):

* :func:`to_reported`: per-class rows to the reported layout (for ``K = 2``);
* :func:`to_per_class`: the reported row back to two classes,
  ``w_0 = −β/2, w_1 = β/2``, the split with the smallest L2 penalty (for a
  warm start and for a cross-validation fold that lacks classes);
* :func:`with_zero_class`: a single row ``z`` of scores (or of coefficients)
  to ``[0; z]``, the logits of both classes whose softmax gives the
  probabilities, in any array namespace.

Every other shape passes through unchanged (and uncopied), so callers need
not test for two classes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._core._namespace import array_namespace


def reported_rows(n_classes: int) -> int:
    """Rows of ``coef_`` for ``n_classes`` classes: 1 for two, else ``n_classes``."""
    return 1 if n_classes == 2 else n_classes


def to_reported(coef, intercept) -> tuple[np.ndarray, np.ndarray]:
    """The reported layout of per-class parameters: ``β = w₁ − w₀`` for two.

    Parameters
    ----------
    coef : ndarray of shape (K, M)
        One row per class.
    intercept : ndarray of shape (K,)

    Returns
    -------
    coef : ndarray of shape (1, M) if K = 2, else ``coef`` itself
    intercept : ndarray of shape (1,) if K = 2, else ``intercept`` itself
    """
    if coef.shape[0] != 2:
        return coef, intercept
    return coef[1:] - coef[:1], intercept[1:] - intercept[:1]


def to_per_class(coef, intercept) -> tuple[np.ndarray, np.ndarray]:
    """Per-class parameters of the reported layout: ``w₀ = −β/2, w₁ = β/2``.

    Parameters
    ----------
    coef : ndarray of shape (1, M) or (K, M)
        ``β`` (two classes), or one row per class.
    intercept : ndarray of shape (1,) or (K,)

    Returns
    -------
    coef : ndarray of shape (2, M), or ``coef`` itself for ``K`` rows
    intercept : ndarray of shape (2,), or ``intercept`` itself
    """
    if coef.shape[0] != 1:
        return coef, intercept
    return _halves(coef), _halves(intercept)


def _halves(beta: np.ndarray) -> np.ndarray:
    return np.concatenate([-beta, beta]) / 2


def with_zero_class(A, xp: Any = None):
    """``[0; a]`` for a single row ``a`` (axis 0), else ``A`` itself.

    Parameters
    ----------
    A : array of shape (1, ...) or (K, ...)
        Binary scores ``z`` (``(1, N)``), coefficients ``β`` (``(1, M)``) or
        an intercept (``(1,)``); or the same with one row per class.
    xp : module, optional
        The namespace of ``A``; looked up when not given (not used for NumPy).

    Returns
    -------
    A : array of shape (2, ...), or ``A`` itself
        A new array, class 0's row of zeros first, in ``A``'s namespace and
        dtype.
    """
    if A.shape[0] != 1:
        return A
    if isinstance(A, np.ndarray):
        return np.concatenate([np.zeros_like(A), A])
    xp = array_namespace(A, xp)
    return xp.concat([xp.zeros_like(A), A], axis=0)
