"""Dask input of ``inference``: one pass over the chunks, partial sums reduced.

Each row chunk of ``X`` (all its features; ``y``, the weights and ``groups``
chunked alike) is accumulated where it lives by the in-memory code
(:func:`._information.accumulate`); the partial
:class:`._information.InformationParts` (``((M + 1) K)²`` entries each, and
per-cluster score sums, merged by cluster label) are added on the workers in
a tree, :data:`FAN_IN` at a time, and only the total reaches the client.
``class_weight="balanced"`` takes a pass over ``y`` and the weights first.
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
from dask.delayed import delayed

from .._backends._dask import _as_array, _check_rows
from .._backends._inputs import (
    NEGATIVE_WEIGHTS,
    check_weight_total,
    per_class_weights,
)
from ._data import check_groups
from ._information import InformationParts, accumulate

FAN_IN = 8


def _codes(classes: np.ndarray, y_b: np.ndarray) -> np.ndarray:
    index = np.searchsorted(classes, y_b)
    bad = (index >= classes.shape[0]) | (
        classes[np.minimum(index, classes.shape[0] - 1)] != y_b
    )
    if np.any(bad):
        raise ValueError(
            f"y has labels the model was not fitted on: "
            f"{np.unique(y_b[bad])[:5].tolist()}; inference needs the training "
            f"data (classes {classes.tolist()})."
        )
    return index


def _check_chunk(X_b, w_b) -> None:
    if not np.all(np.isfinite(X_b)):
        raise ValueError("Input X contains NaN or infinity.")
    if not np.all(np.isfinite(w_b)):
        raise ValueError("sample_weight contains NaN or infinity.")
    if np.any(w_b < 0):
        raise ValueError(NEGATIVE_WEIGHTS)


def _class_totals(y_b, w_b, classes):
    return np.bincount(_codes(classes, y_b), weights=w_b, minlength=classes.shape[0])


def _chunk(X_b, y_b, w_b, g_b, classes, per_class, W, fit_intercept, kind):
    _check_chunk(X_b, w_b)
    y_index = _codes(classes, np.asarray(y_b))
    s = np.asarray(w_b, dtype=np.float64) * per_class[y_index]
    groups = None if g_b is None else check_groups(g_b, X_b.shape[0])
    parts = accumulate(X_b, y_index, s, W, fit_intercept, kind, groups)
    present = np.bincount(y_index, minlength=classes.shape[0]) > 0
    return parts, present


def _add(*pairs):
    total, present = pairs[0]
    for parts, seen in pairs[1:]:
        total, present = total + parts, present | seen
    return total, present


def _tree(tasks):
    while len(tasks) > 1:
        tasks = [
            delayed(_add, pure=True)(*tasks[i : i + FAN_IN])
            for i in range(0, len(tasks), FAN_IN)
        ]
    return tasks[0]


def _aligned(estimator, X, y, sample_weight, groups):
    """``X`` (features in one chunk) and ``y``, weights, groups chunked alike."""
    X = _as_array(X, "X")
    if X.ndim != 2 or X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has shape {X.shape}, but the model was fitted on "
            f"{estimator.n_features_in_} features."
        )
    if np.isnan(X.shape[0]):
        X = X.compute_chunk_sizes()
    X = X.rechunk({1: -1})
    rows = X.chunks[0]
    msg = "{name} must have one entry per row of X ({n}), got shape {{shape}}."
    n = X.shape[0]
    y = _check_rows(_as_array(y, "y", rows), "y", rows, msg.format(name="y", n=n))
    w = (
        da.ones(n, chunks=(rows,))
        if sample_weight is None
        else _check_rows(
            _as_array(sample_weight, "sample_weight", rows).astype(np.float64),
            "sample_weight", rows, msg.format(name="sample_weight", n=n),
        )
    )  # fmt: skip
    if groups is not None:
        groups = _check_rows(
            _as_array(groups, "groups", rows), "groups", rows,
            msg.format(name="groups", n=n),
        )  # fmt: skip
    return X, y, w, groups


def chunked_parts(estimator, X, y, sample_weight, groups, kind, W) -> InformationParts:
    """The accumulated sums over the chunks of a dask ``X`` (see the module)."""
    X, y, w, groups = _aligned(estimator, X, y, sample_weight, groups)
    classes = estimator.classes_
    Xs, ys, ws = X.to_delayed()[:, 0], y.to_delayed(), w.to_delayed()
    gs = [None] * len(ys) if groups is None else groups.to_delayed()
    totals = np.zeros(classes.shape[0])
    if isinstance(estimator.class_weight, str):  # "balanced"
        parts = [
            delayed(_class_totals)(y_b, w_b, classes)
            for y_b, w_b in zip(ys, ws, strict=True)
        ]
        totals = np.sum(dask.compute(*parts), axis=0)
    per_class = (
        np.ones(classes.shape[0])
        if estimator.class_weight is None
        else per_class_weights(estimator.class_weight, classes, totals)
    )
    spec = (classes, per_class, W, bool(estimator.fit_intercept), kind)
    tasks = [
        delayed(_chunk, pure=True)(X_b, y_b, w_b, g_b, *spec)
        for X_b, y_b, w_b, g_b in zip(Xs, ys, ws, gs, strict=True)
    ]
    total, present = _tree(tasks).compute()
    if not present.all():
        raise ValueError(
            f"y lacks the classes {classes[~present].tolist()[:5]} of the fit; "
            f"inference needs the training data."
        )
    check_weight_total(total.weight, estimator.class_weight)
    return total
