r"""The stable softmax, written once for every array namespace.

Each column of a logit matrix ``Z`` (``K × N``, one column per sample) is
shifted by its maximum before it is exponentiated,

.. math:: L_{kn} = Z_{kn} - \max_j Z_{jn}, \qquad
          S_{kn} = \frac{e^{L_{kn}}}{\sum_j e^{L_{jn}}}, \qquad
          \log S_{kn} = L_{kn} - \log \sum_j e^{L_{jn}},

so that no exponential overflows and every column's sum is at least one.
The two steps are separate functions because the loss needs the shifted
logit of each sample's label (:func:`shift_by_max`) before the logits are
exponentiated (:func:`exp_and_sums`).

NumPy arrays keep NumPy's in-place speed: with ``overwrite=True`` the shift
and the exponential are computed in the memory of ``Z`` (no new ``K × N``
array; only the ``N`` maxima and sums are new), and the functions return
``Z`` itself. Arrays of other namespaces (torch, CuPy, array-api-strict) are
never modified: each step returns a new array, computed with ``xp``'s
functions on the array's device. ``xp`` is looked up from the array when it
is not given.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._namespace import array_namespace


def shift_by_max(Z, xp: Any = None, *, overwrite: bool = False):
    """``L = Z − max_k Z``: each column less its maximum.

    Parameters
    ----------
    Z : array of shape (K, N)
        Floating logits, of any array namespace.
    xp : module, optional
        The namespace of ``Z``; looked up when not given (not used for NumPy).
    overwrite : bool, default=False
        Whether a NumPy ``Z`` may be shifted in place (and returned).

    Returns
    -------
    L : array of shape (K, N)
        Every column's maximum is zero.
    """
    if isinstance(Z, np.ndarray):
        if overwrite:
            Z -= Z.max(axis=0)
            return Z
        return Z - Z.max(axis=0, keepdims=True)
    xp = array_namespace(Z, xp)
    return Z - xp.max(Z, axis=0, keepdims=True)


def exp_and_sums(L, xp: Any = None, *, overwrite: bool = False) -> tuple[Any, Any]:
    """``E = exp(L)`` and its column sums ``Σ_k E_kn``, of shape (N,).

    Parameters
    ----------
    L : array of shape (K, N)
        Shifted logits (:func:`shift_by_max`), of any array namespace.
    xp : module, optional
        The namespace of ``L``; looked up when not given (not used for NumPy).
    overwrite : bool, default=False
        Whether a NumPy ``L`` may be exponentiated in place (and returned).

    Returns
    -------
    E : array of shape (K, N)
    sums : array of shape (N,)
    """
    if isinstance(L, np.ndarray):
        E = np.exp(L, out=L if overwrite else None)
        return E, E.sum(axis=0)
    xp = array_namespace(L, xp)
    E = xp.exp(L)
    return E, xp.sum(E, axis=0)


def softmax_columns(Z, xp: Any = None, *, overwrite: bool = False):
    """``S = softmax(Z)`` over each column, for floating ``Z`` of any namespace.

    With ``overwrite=True`` a NumPy ``Z`` becomes ``S`` (and is returned).
    """
    E, sums = exp_and_sums(shift_by_max(Z, xp, overwrite=overwrite), xp, overwrite=True)
    if isinstance(E, np.ndarray):
        E /= sums
        return E
    return E / sums


def log_softmax_columns(Z, xp: Any = None, *, overwrite: bool = False):
    """``log softmax(Z)`` over each column, as ``L − log Σ_k e^L``.

    With ``overwrite=True`` a NumPy ``Z`` becomes the result (and is
    returned); the exponential then is the one ``K × N`` temporary.
    """
    L = shift_by_max(Z, xp, overwrite=overwrite)
    _, sums = exp_and_sums(L, xp)
    if isinstance(L, np.ndarray):
        L -= np.log(sums)
        return L
    xp = array_namespace(L, xp)
    return L - xp.log(sums)
