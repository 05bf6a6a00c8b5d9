"""The softmax cross-entropy and its gradient, in the derivation's layout.

Conventions
-----------
Everything in this module works in the features-by-samples layout of the
derivation (docs/derivation.rst):

* ``X`` has shape ``(M, N)``: one column per sample, dense or scipy.sparse;
* ``Y`` has shape ``(K, N)``: one column per sample, one-hot labels or any
  non-negative targets (soft targets, weighted labels, counts per class);
* ``W`` has shape ``(M, K)``: one column ``w_k`` per class;
* ``Z = WᵀX`` and ``S = softmax(Z)`` have shape ``(K, N)``;
* the gradient ``∇E(W) = X (S diag(1ᵀY) − Y)ᵀ`` has shape ``(M, K)``, like
  ``W``; it is ``X (S − Y)ᵀ`` when every column of ``Y`` sums to one.

The softmax is taken over each column (over the classes of one sample). It is
made stable by subtracting each column's maximum before exponentiating, and the
loss uses the log-sum-exp form ``log S_kn = Z_kn − max_j Z_jn −
log Σ_j exp(Z_jn − max_j Z_jn)``, so no logit overflows or underflows into an
infinite loss. That kernel is written once, in :mod:`._kernel`, for NumPy (in
place) and every array namespace; the objectives and the predictions use it.

The floating dtype is the one of ``X`` and ``W``: float32 when both are
float32, float64 otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ._kernel import log_softmax_columns, softmax_columns

__all__ = ["log_softmax", "softmax", "softmax_gradient", "softmax_loss"]


def _refuse_complex(name: str, A) -> None:
    """Refuse complex ``A``, as scikit-learn's ``check_array`` refuses it.

    Casting it to real would silently drop the imaginary part (numpy only
    warns), which is never what the caller meant.
    """
    dtype = getattr(A, "dtype", None)
    if dtype is None:
        dtype = np.asarray(A).dtype
    if np.issubdtype(dtype, np.complexfloating):
        raise ValueError(
            f"Complex data not supported: {name} has dtype {dtype}; the softmax "
            "core works on real floating or integer arrays."
        )


def _floating(Z: ArrayLike, name: str = "Z") -> NDArray:
    """``Z`` as an ndarray, integers converted to float64, complex refused."""
    _refuse_complex(name, Z)
    Z = np.asarray(Z)
    if not np.issubdtype(Z.dtype, np.floating):
        Z = Z.astype(np.float64)
    return Z


def _float_dtype(*arrays) -> np.dtype:
    """float32 if every array is float32, else float64."""
    if all(a.dtype == np.float32 for a in arrays):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _as_float(A, dtype: np.dtype):
    """``A`` as a dense or sparse array of ``dtype``, copied only if needed."""
    if sp.issparse(A):
        return A.astype(dtype, copy=False)
    return np.asarray(A, dtype=dtype)


def _check_inputs(W, X, Y) -> tuple[NDArray, Any, Any]:
    """Convert ``W, X, Y`` to one floating dtype and check their shapes.

    A scipy.sparse ``Y`` (say the transpose of ``LabelBinarizer(
    sparse_output=True)``'s labels) is returned in canonical COO form (no
    duplicate entries), which the loss and the gradient read without
    densifying it; any other ``Y`` as a dense array.
    """
    for name, A in (("W", W), ("X", X), ("Y", Y)):
        _refuse_complex(name, A)
    X = X if sp.issparse(X) else np.asarray(X)
    W = np.asarray(W)
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(np.float64)
    if not np.issubdtype(W.dtype, np.floating):
        W = W.astype(np.float64)
    dtype = _float_dtype(W, X)
    W, X = _as_float(W, dtype), _as_float(X, dtype)
    if sp.issparse(Y):
        Y = sp.coo_array(Y, dtype=dtype)
        Y.sum_duplicates()
    else:
        Y = np.asarray(Y, dtype=dtype)
    if W.ndim != 2 or X.ndim != 2 or Y.ndim != 2:
        raise ValueError(
            "W, X and Y must be 2-D arrays of shapes (M, K), (M, N) and (K, N); "
            f"got W.ndim={W.ndim}, X.ndim={X.ndim}, Y.ndim={Y.ndim}."
        )
    (M, K), (M_x, N), (K_y, N_y) = W.shape, X.shape, Y.shape
    if M_x != M or K_y != K or N_y != N:
        raise ValueError(
            "Shapes do not match the layout W (M, K), X (M, N), Y (K, N): got "
            f"W {W.shape}, X {X.shape}, Y {Y.shape}."
        )
    return W, X, Y


def _logits(W, X):
    """``Z = WᵀX`` of shape (K, N), dense, for dense or sparse ``X``.

    A new array, which the caller may overwrite. ``W`` and ``X`` of another
    array namespace (on one device) give ``WᵀX`` in that namespace.
    """
    if sp.issparse(X):
        # (XᵀW)ᵀ keeps the product sparse-times-dense. Its transpose is
        # F-ordered; the copy to C order makes the per-sample reductions over
        # the classes run on contiguous rows, which pays for the copy.
        return np.ascontiguousarray(np.asarray(X.T @ W).T)
    if isinstance(X, np.ndarray) and X.dtype == np.float32:
        # sgemm runs faster as XᵀW than as WᵀX; the copy back to K × N keeps
        # the reductions over the classes on contiguous rows. Both layouts:
        # measured in docs/performance.rst, "Measured design choices".
        return np.ascontiguousarray((X.T @ W).T)
    return W.T @ X


def softmax(Z: ArrayLike) -> NDArray:
    r"""Column-wise softmax of a logit matrix.

    .. math:: S_{kn} = \frac{e^{Z_{kn}}}{\sum_{j} e^{Z_{jn}}}

    computed as :math:`e^{Z_{kn} - \max_j Z_{jn}}` over the sum of the same,
    so that logits of any magnitude give finite probabilities.

    Parameters
    ----------
    Z : array-like of shape (K, N)
        Logits, one column per sample and one row per class. Integer input is
        converted to float64; complex input is refused.

    Returns
    -------
    S : ndarray of shape (K, N)
        Probabilities; every column is non-negative and sums to one. float32
        input gives float32 output.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_softmax import softmax
    >>> softmax(np.array([[0.0, 1e4], [0.0, -1e4]]))
    array([[0.5, 1. ],
           [0.5, 0. ]])
    """
    return softmax_columns(_floating(Z, "Z"))


def log_softmax(Z: ArrayLike) -> NDArray:
    r"""Column-wise logarithm of the softmax, without forming the softmax.

    .. math:: \log S_{kn} = Z_{kn} - m_n - \log \sum_j e^{Z_{jn} - m_n},
              \quad m_n = \max_j Z_{jn}

    Unlike ``np.log(softmax(Z))`` it never returns ``-inf`` for a probability
    that underflows: the result is the exact (finite) log-probability.

    Parameters
    ----------
    Z : array-like of shape (K, N)
        Logits, one column per sample and one row per class. Integer input is
        converted to float64; complex input is refused.

    Returns
    -------
    log_S : ndarray of shape (K, N)
        Log-probabilities; ``exp`` of every column sums to one. float32 input
        gives float32 output.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_softmax import log_softmax
    >>> log_softmax(np.array([[0.0], [-1000.0]]))
    array([[    0.],
           [-1000.]])
    """
    return log_softmax_columns(_floating(Z, "Z"))


def softmax_loss(W: ArrayLike, X, Y) -> np.floating:
    r"""Softmax cross-entropy summed over the samples.

    .. math:: E(W) = -\sum_{n} \sum_{k} Y_{kn} \log S_{kn},
              \qquad S = \mathrm{softmax}(W^\top X)

    Parameters
    ----------
    W : array-like of shape (M, K)
        Weights, one column per class.
    X : {array-like, sparse matrix} of shape (M, N)
        Features, one column per sample.
    Y : {array-like, sparse matrix} of shape (K, N)
        Non-negative targets: one-hot labels, soft targets (columns of
        probabilities), or any non-negative weights per class and sample (the
        formula is applied as written). A scipy.sparse ``Y`` is read as it
        is, without a dense copy.

    Returns
    -------
    E : numpy.float32 or numpy.float64
        The loss, summed (not averaged) over the ``N`` samples: a NumPy scalar
        of the dtype of ``X`` and ``W`` (float32 when both are float32), as a
        NumPy reduction returns. The log-probabilities are computed in that
        dtype and summed in float64, then rounded once to it.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_softmax import softmax_loss
    >>> X = np.array([[1.0, -1.0]])            # M=1 feature, N=2 samples
    >>> Y = np.array([[1.0, 0.0], [0.0, 1.0]])  # K=2 classes
    >>> W = np.zeros((1, 2))
    >>> bool(np.isclose(softmax_loss(W, X, Y), 2 * np.log(2)))
    True
    >>> softmax_loss(W.astype(np.float32), X.astype(np.float32), Y).dtype
    dtype('float32')
    """
    W, X, Y = _check_inputs(W, X, Y)
    log_S = log_softmax_columns(_logits(W, X), overwrite=True)
    # Summed in float64, then rounded once: on 10⁶ samples of float32 the
    # float32 (pairwise) sum is ~1e-7 relative (about an ulp) off the float64
    # computation, the float64 sum ~1e-9 to 1e-11, at the same speed.
    if sp.issparse(Y):
        total = np.sum(Y.data * log_S[Y.row, Y.col], dtype=np.float64)
    else:
        total = np.sum(Y * log_S, dtype=np.float64)
    return log_S.dtype.type(-total)


def softmax_gradient(W: ArrayLike, X, Y) -> NDArray:
    r"""Gradient of :func:`softmax_loss` with respect to ``W``.

    .. math:: \nabla E(W) = X \big(S \operatorname{diag}(\mathbf 1^\top Y)
              - Y\big)^\top, \qquad S = \mathrm{softmax}(W^\top X)

    Column ``i`` is :math:`\sum_n x_n (S_{in} \sum_k Y_{kn} - Y_{in})`. When
    every column of ``Y`` sums to one (one-hot labels, soft targets) this is
    the derivation's :math:`X (S - Y)^\top`; for any other non-negative
    ``Y`` (weighted labels, counts) it is still the gradient of the loss.

    Parameters
    ----------
    W : array-like of shape (M, K)
        Weights, one column per class.
    X : {array-like, sparse matrix} of shape (M, N)
        Features, one column per sample.
    Y : {array-like, sparse matrix} of shape (K, N)
        Non-negative targets, as in :func:`softmax_loss`.

    Returns
    -------
    G : ndarray of shape (M, K)
        The gradient, in the dtype of ``X`` and ``W``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_softmax import softmax_gradient
    >>> X = np.array([[1.0, -1.0]])
    >>> Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> softmax_gradient(np.zeros((1, 2)), X, Y)
    array([[-1.,  1.]])
    >>> softmax_gradient(np.zeros((1, 2)), X, 2 * Y)  # weighted labels
    array([[-2.,  2.]])
    """
    W, X, Y = _check_inputs(W, X, Y)
    D = softmax_columns(_logits(W, X), overwrite=True)
    if sp.issparse(Y):  # canonical COO: each entry once
        D *= np.bincount(Y.col, weights=Y.data, minlength=D.shape[1]).astype(D.dtype)
        D[Y.row, Y.col] -= Y.data
    else:
        D *= Y.sum(axis=0)  # 1ᵀY: exactly one for one-hot or soft targets
        D -= Y
    return np.asarray(X @ D.T)
