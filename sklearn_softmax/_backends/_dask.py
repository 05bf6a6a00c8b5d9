"""The dask backend: ``fit`` on dask arrays and DataFrames, and lazy predictions.

Conventions
-----------
``X`` is a dask array of shape ``(n_samples, n_features)`` (a dask DataFrame
is converted, keeping its column names); its row chunks are the unit of work,
with all the features in each chunk (rechunked if needed). ``y`` and
``sample_weight`` (dask or numpy) are aligned on the same row chunks.

:class:`DaskBackend` prepares ``fit`` in order:

1. ``X``, ``y`` and the weights are persisted on the workers when ``X`` takes
   at most half of their memory (else every pass computes them again from
   their graph, chunk by chunk);
2. one pass over the chunks finds the labels and their weights per
   chunk, and checks ``X`` and the weights (NaN, inf, negative weights), with
   the errors of in-memory input;
3. labels are encoded and multiplied into the weights per chunk (persisted
   alongside), and ``fit``'s solver runs on a
   :class:`.._objectives._dask.DaskSoftmaxObjective` on the client, each
   evaluation a pass over the chunks on the workers.

Every solver but ``"sgd"`` runs as in memory, on the same objective (up to
the order of the sums), with the same stopping rule and fitted attributes.
``"sgd"`` is the online algorithm of ``partial_fit``, streamed over the chunks
(:class:`.._solvers._stream.StreamSGD`, the implementation of ``"sgd"`` for
objectives that are no finite sums), not SAGA, which needs random access to
the rows. ``early_stopping`` is not supported; scikit-learn's callbacks
see every iteration, without the data (their ``X`` and ``y`` are ``None``:
the rows stay on the cluster).
"""

from __future__ import annotations

import copy
import functools
import os

import dask
import dask.array as da
import numpy as np
from dask.delayed import delayed
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_feature_names, check_is_fitted

from .._objectives._dask import Chunk, DaskSoftmaxObjective
from ._base import Backend, FitData
from ._dask_targets import aligned, soft_chunks
from ._inputs import (
    NEGATIVE_WEIGHTS,
    check_weight_total,
    encode_labels,
    per_class_weights,
    weight_sum,
)

#: Share of the workers' memory that ``X`` may take to be persisted.
PERSIST_SHARE = 0.5


def _as_array(obj, name: str, n_samples_chunks=None):
    """A dask array from a dask collection, or, row-chunked as ``X``, numpy."""
    if hasattr(obj, "to_dask_array"):  # dask DataFrame or Series
        return obj.to_dask_array(lengths=True)
    if isinstance(obj, da.Array):
        return obj
    if n_samples_chunks is None:
        raise TypeError(f"{name} must be a dask array or DataFrame.")
    obj = np.asarray(obj)
    aligned = obj.ndim == 1 and obj.shape[0] == sum(n_samples_chunks)
    return da.from_array(obj, chunks=(n_samples_chunks,) if aligned else -1)


def _check_rows(arr, name: str, X_rows: tuple, message: str):
    """``arr`` 1-D with ``X``'s number of rows, chunked as ``X``'s rows."""
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or arr.shape[0] != sum(X_rows):
        raise ValueError(message.format(shape=arr.shape))
    return arr.rechunk((X_rows,))


def _arrays(estimator, X, y, sample_weight):
    """Validated dask arrays ``X`` (float, features in one chunk), ``y``, ``w``."""
    # A dask DataFrame's meta is an empty pandas one, with its column names.
    _check_feature_names(estimator, getattr(X, "_meta", X), reset=True)
    X = _as_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D array for X, got {X.ndim}D.")
    if np.isnan(X.shape[0]):
        X = X.compute_chunk_sizes()
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    X = X.rechunk({1: -1})
    rows = X.chunks[0]
    n = X.shape[0]
    y = _check_rows(
        _as_array(y, "y", rows),
        "y",
        rows,
        f"Found input variables with inconsistent numbers of samples: X has {n} "
        "rows, y has shape {shape}.",
    )
    if sample_weight is None:
        w = da.ones(n, chunks=(rows,))
    elif np.isscalar(sample_weight):
        w = da.full(n, float(sample_weight), chunks=(rows,))
    else:
        w = _check_rows(
            _as_array(sample_weight, "sample_weight", rows).astype(np.float64),
            "sample_weight",
            rows,
            f"sample_weight must have shape ({n},) to match X, got {{shape}}.",
        )
    estimator.n_features_in_ = X.shape[1]
    return X, y, w


def _cluster_memory() -> float:
    """Total memory of the distributed workers, else of this machine (bytes)."""
    try:
        from distributed import default_client

        client = default_client()
        try:
            info = client.scheduler_info(n_workers=-1)  # every worker
        except TypeError:  # older distributed: no such argument, all listed
            info = client.scheduler_info()
        limits = [w.get("memory_limit") or 0 for w in info["workers"].values()]
        if limits and all(limits):
            return float(sum(limits))
    except (ImportError, ValueError):  # no distributed, or no client
        pass
    return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def _summarise(X_b, y_b, w_b):
    """Labels of a chunk, their weights, and the checks of ``X_b``."""
    labels, inverse = np.unique(y_b, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=w_b, minlength=labels.shape[0])
    return {
        "labels": labels,
        "weights": weights,
        "X_nan": bool(np.isnan(X_b).any()),
        "X_inf": bool(np.isinf(X_b).any()),
        "w_finite": bool(np.isfinite(w_b).all()),
        "w_negative": bool((w_b < 0).any()),
    }


def _check_summaries(summaries, dtype) -> None:
    """The errors of in-memory input, for what the pass found."""
    if any(s["X_nan"] for s in summaries):
        raise ValueError("Input X contains NaN.")
    if any(s["X_inf"] for s in summaries):
        raise ValueError(
            f"Input X contains infinity or a value too large for {dtype!r}."
        )
    if not all(s["w_finite"] for s in summaries):
        raise ValueError("Input sample_weight contains NaN or infinity.")
    if any(s["w_negative"] for s in summaries):
        raise ValueError(NEGATIVE_WEIGHTS)


def _per_class(summaries, classes: np.ndarray, key: str) -> np.ndarray:
    """Per chunk and class, ``key`` of the summaries: (n_chunks, K)."""
    table = np.zeros((len(summaries), classes.shape[0]))
    for i, s in enumerate(summaries):
        table[i, np.searchsorted(classes, s["labels"])] = s[key]
    return table


def _class_weights(class_weight, classes: np.ndarray, class_totals: np.ndarray):
    """``class_weight`` per class; ``"balanced"`` from the weighted counts.

    ``class_totals`` are the chunks' sums of the sample weights per class,
    so the weights are those of the same rows in memory.
    """
    if class_weight is None:
        return np.ones(classes.shape[0])
    return per_class_weights(class_weight, classes, class_totals)


def _encode(y_b, classes):
    return np.searchsorted(classes, y_b)


def _combine(y_index_b, w_b, class_weights):
    return w_b * class_weights[y_index_b]


def _soft(estimator, target_proba, offset) -> bool:
    """Whether the fit has soft targets, label smoothing or an offset."""
    smoothing = estimator.label_smoothing > 0
    return smoothing or target_proba is not None or offset is not None


def _hard_chunks(estimator, classes, weights, ys, ws):
    """Per chunk ``s_b`` and label indices, and the weights per chunk and class."""
    class_weights = _class_weights(estimator.class_weight, classes, weights.sum(axis=0))
    with np.errstate(over="ignore"):  # an overflow is refused by the caller
        weights = weights * class_weights
    y_index = [delayed(_encode, pure=True)(y_b, classes) for y_b in ys]
    s = [
        delayed(_combine, pure=True)(y_b, w_b, class_weights)
        for y_b, w_b in zip(y_index, ws, strict=True)
    ]
    return s, y_index, weights


def _objective(estimator, X, y, sample_weight, target_proba=None, offset=None):
    """The classes, ``Σ s`` and the :class:`DaskSoftmaxObjective` of a fit."""
    X, y, w = _arrays(estimator, X, y, sample_weight)
    persist = X.nbytes <= PERSIST_SHARE * _cluster_memory()
    if persist:
        X, y, w = dask.persist(X, y, w)
    # Unoptimised graphs: y (or w) computed from X shares its keys, not a copy.
    Xs, ys, ws = (
        a.to_delayed(optimize_graph=False).ravel().tolist() for a in (X, y, w)
    )
    summaries = dask.compute(
        *[delayed(_summarise)(*c) for c in zip(Xs, ys, ws, strict=True)]
    )
    _check_summaries(summaries, X.dtype)
    classes = np.unique(np.concatenate([s["labels"] for s in summaries]))
    check_classification_targets(classes)
    classes = encode_labels(classes)[0]
    weights = _per_class(summaries, classes, "weights")
    if _soft(estimator, target_proba, offset):
        s, y_index, weights = soft_chunks(
            estimator, X, (Xs, ys, ws), classes, weights, target_proba, offset
        )
    else:
        s, y_index, weights = _hard_chunks(estimator, classes, weights, ys, ws)
    total = weight_sum(weights)
    check_weight_total(total, estimator.class_weight)
    if persist:
        y_index, s = dask.persist(y_index, s)
    chunks = [
        Chunk(X_b, y_b, s_b, float(chunk_weight / total))
        for X_b, y_b, s_b, chunk_weight in zip(
            Xs, y_index, s, weights.sum(axis=1), strict=True
        )
        if chunk_weight > 0
    ]
    shares = weights.sum(axis=0) / total
    objective = DaskSoftmaxObjective(
        X, chunks, classes.shape[0], estimator.fit_intercept, shares, persist
    )
    return classes, total, objective


class DaskBackend(Backend):
    """``fit`` on the row chunks of a dask array or DataFrame (see the module)."""

    name = "dask input"
    refused = {
        "early_stopping": (
            "early_stopping=True is not supported for dask input; hold out a "
            "validation set and pass it to score() instead."
        )
    }

    def fit_data(
        self, estimator, X, y, sample_weight, target_proba=None, offset=None
    ) -> FitData:
        """The dask objective; the hooks get no data (the rows stay on the cluster)."""
        classes, total, objective = _objective(
            estimator, X, y, sample_weight, target_proba, offset
        )
        return FitData(objective, classes, total)


def _predict_chunk(X_b, model, method: str, offset_b=None):
    if offset_b is None:
        return getattr(model, method)(X_b)
    return getattr(model, method)(X_b, offset=offset_b)


def _with_offset(X, offset, func, dtype, one_column: bool, n_classes: int):
    """``func`` over the row chunks of ``X`` and of ``offset``, aligned on them."""
    offset = aligned(offset, "offset", X.chunks[0])
    tail = () if one_column else (n_classes,)
    parts = [
        da.from_delayed(
            delayed(func)(X_b, offset_b=o_b), shape=(rows,) + tail, dtype=dtype
        )
        for X_b, o_b, rows in zip(
            X.to_delayed().ravel(), offset.to_delayed().ravel(), X.chunks[0],
            strict=True,
        )
    ]  # fmt: skip
    return da.concatenate(parts)


def predict_lazily(estimator, X, method: str, offset=None):
    """``estimator.method(X)`` as a lazy dask array, mapped over row chunks.

    ``X`` is a dask array or DataFrame; its column names are checked once
    against ``feature_names_in_``. The result has ``X``'s row chunks. An
    ``offset`` (dask or NumPy) is aligned on them (checked per chunk).
    """
    check_is_fitted(estimator)
    _check_feature_names(estimator, getattr(X, "_meta", X), reset=False)
    X = X.to_dask_array() if hasattr(X, "to_dask_array") else X
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D array for X, got {X.ndim}D.")
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is "
            f"expecting {estimator.n_features_in_} features as input."
        )
    X = X.rechunk({1: -1})
    # The chunks are numpy arrays: a copy without the names checks them
    # silently (the names were checked above).
    model = copy.copy(estimator)
    model.__dict__.pop("feature_names_in_", None)
    n_classes = estimator.classes_.shape[0]
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    if method == "predict":
        dtype = estimator.classes_.dtype
    one_column = method == "predict" or (
        method == "decision_function" and n_classes == 2
    )
    func = functools.partial(_predict_chunk, model=model, method=method)
    if offset is not None:
        return _with_offset(X, offset, func, dtype, one_column, n_classes)
    if one_column:
        return X.map_blocks(func, drop_axis=1, meta=np.empty((0,), dtype))
    return X.map_blocks(
        func, chunks=(X.chunks[0], (n_classes,)), meta=np.empty((0, 0), dtype)
    )
