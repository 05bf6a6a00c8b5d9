"""Soft targets, label smoothing and offsets on dask: per chunk, as in memory.

``target_proba`` (``(n_samples, n_classes)``) and ``offset``
(``(n_samples, n_classes)``, or ``(n_samples,)`` for two classes), dask or
NumPy arrays, are aligned on ``X``'s row chunks. One pass checks them per
chunk (the errors of in-memory input, from :mod:`._targets`) and sums the
soft class counts ``Σ_n w_n q_nk``; then each chunk's targets are folded
with the weights where the chunk lives
(:func:`.._objectives._targets.fold_weights`), and its labels' key becomes
``(y_b, T_b, O_b)``: the payload :func:`.._objectives._dask.chunk_objective`
reads (``T_b`` and ``O_b`` of shape ``(K, N_b)``, or ``None``).
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
from dask.delayed import delayed

from .._objectives._targets import fold_weights
from ._inputs import per_class_weights
from ._targets import check_offset, check_target_proba


def aligned(arr, name: str, rows: tuple):
    """``arr`` (dask or NumPy) as a dask array on ``X``'s row chunks, or ``None``."""
    if arr is None:
        return None
    if hasattr(arr, "to_dask_array"):
        arr = arr.to_dask_array(lengths=True)
    if not isinstance(arr, da.Array):
        arr = da.from_array(np.asarray(arr))
    if arr.ndim not in (1, 2) or arr.shape[0] != sum(rows):
        raise ValueError(
            f"{name} must have one row per sample of X ({sum(rows)}); got shape "
            f"{arr.shape}."
        )
    return arr.rechunk((rows,) + ((-1,) if arr.ndim == 2 else ()))


def _smoothed(q_b, y_b, classes, eps):
    """The chunk's targets ``q`` (N_b × K), checked and smoothed; labels if none."""
    if q_b is None:
        q_b = np.zeros((y_b.shape[0], classes.shape[0]))
        q_b[np.arange(y_b.shape[0]), y_b] = 1.0
    else:
        q_b = check_target_proba(q_b, y_b.shape[0], classes)
    return (1 - eps) * q_b + eps / classes.shape[0] if eps > 0 else q_b


def _counts(q_b, y_b, w_b, classes, eps, o_b, dtype):
    """The checks of a chunk (raising their ValueError) and ``Σ_n w_n q_nk``."""
    check_offset(o_b, y_b.shape[0], classes.shape[0], dtype)
    return _smoothed(q_b, np.searchsorted(classes, y_b), classes, eps).T @ w_b


def _fold(q_b, y_b, w_b, o_b, classes, eps, class_weights, dtype, soft):
    """``(s_b, (y_index_b, T_b, O_b))`` of a chunk."""
    y_index = np.searchsorted(classes, y_b)
    offset = check_offset(o_b, y_b.shape[0], classes.shape[0], dtype)
    if not soft:
        return w_b * class_weights[y_index], (y_index, None, offset)
    q = _smoothed(q_b, y_index, classes, eps)
    s, T = fold_weights(q, w_b, class_weights)
    return s, (y_index, T.astype(dtype), offset)


def soft_chunks(estimator, X, arrays, classes, label_weights, target_proba, offset):
    """Per chunk ``s_b`` and the payloads, the chunks' weights and class totals.

    Parameters
    ----------
    arrays : tuple of lists of Delayed
        ``(Xs, ys, ws)``: the chunks of ``X``, ``y`` and the sample weights.
    label_weights : ndarray of shape (n_chunks, K)
        Σ of the sample weights per chunk and label (the hard labels').

    Returns
    -------
    s, payloads : lists of Delayed
    chunk_totals : ndarray of shape (n_chunks, K)
        ``Σ_n s_n ...`` per chunk and class: the weights times class weights
        of the replicated rows, whose sums are the chunks' weights.
    """
    _, ys, ws = arrays
    rows = X.chunks[0]
    eps, dtype = estimator.label_smoothing, X.dtype
    soft = target_proba is not None or eps > 0
    parts = [
        None if a is None else aligned(a, name, rows).to_delayed().ravel().tolist()
        for a, name in ((target_proba, "target_proba"), (offset, "offset"))
    ]
    qs, os_ = (p if p is not None else [None] * len(ys) for p in parts)
    counts = label_weights
    if soft or offset is not None:  # one pass: the checks, and the soft counts
        task = delayed(_counts)
        counts = np.array(
            dask.compute(
                *[task(q, y, w, classes, eps, o, dtype)
                  for q, y, w, o in zip(qs, ys, ws, os_, strict=True)]
            )
        )  # fmt: skip
        counts = counts if soft else label_weights
    c = np.ones(classes.shape[0])
    if estimator.class_weight is not None:
        c = per_class_weights(estimator.class_weight, classes, counts.sum(axis=0))
    fold = delayed(_fold, nout=2, pure=True)
    pairs = [
        fold(q, y, w, o, classes, eps, c, dtype, soft)
        for q, y, w, o in zip(qs, ys, ws, os_, strict=True)
    ]
    with np.errstate(over="ignore"):  # an overflow is refused by the caller
        totals = counts * c
    return [p[0] for p in pairs], [p[1] for p in pairs], totals
