"""Soft targets, label smoothing and offsets: from the user's input to the objective.

The checks of ``target_proba`` (``(n_samples, n_classes)``, columns in the
order of ``classes_``) and ``offset`` (``(n_samples, n_classes)``, or
``(n_samples,)`` for two classes), label smoothing in torch's convention
(``(1 − ε) q + ε / K``), and the folding of sample and class weights into
the per-sample weights and unit-sum target columns of the objective
(:func:`.._objectives._targets.fold_weights`). Every check raises a
ValueError naming the problem before anything is fitted.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_array

from .._objectives._targets import fold_weights
from ._inputs import (
    check_sample_weight,
    check_weight_total,
    per_class_weights,
    weight_sum,
)

#: How far a row of ``target_proba`` may sum from one (rounding of the
#: probabilities of another model, float32 ones included).
ROW_SUM_TOLERANCE = 1e-5


def check_target_proba(target_proba, n_samples: int, classes: np.ndarray) -> np.ndarray:
    """Validated soft targets, float64, of shape ``(n_samples, n_classes)``.

    Raises
    ------
    ValueError
        If they hold NaN or inf, are not 2-D of ``n_samples`` rows and one
        column per class of ``classes``, have negative entries, or rows that
        do not sum to one.
    """
    q = check_array(target_proba, dtype=np.float64, input_name="target_proba")
    K = classes.shape[0]
    if q.shape[0] != n_samples:
        raise ValueError(
            f"target_proba has {q.shape[0]} rows but X has {n_samples} samples."
        )
    if q.shape[1] != K:
        raise ValueError(
            f"target_proba has {q.shape[1]} columns but there are {K} classes "
            f"{classes.tolist()!r}: its columns follow classes_, the sorted labels "
            f"of y (the classes argument of partial_fit), and every class with "
            f"probability mass must appear in y."
        )
    if np.any(q < 0):
        raise ValueError("target_proba must be non-negative; got negative entries.")
    sums = q.sum(axis=1)
    bad = np.abs(sums - 1) > ROW_SUM_TOLERANCE
    if np.any(bad):
        n = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"Every row of target_proba must sum to one (within "
            f"{ROW_SUM_TOLERANCE}); row {n} sums to {sums[n]!r}."
        )
    return q


def soft_targets(
    target_proba, y_index: np.ndarray, classes: np.ndarray, label_smoothing: float
) -> np.ndarray | None:
    """The targets ``q`` (``(n_samples, n_classes)``), or ``None`` for hard labels.

    ``target_proba`` (checked) or the one-hot labels, smoothed as
    ``(1 − ε) q + ε / K`` for ``label_smoothing = ε > 0``.
    """
    n_samples, K = y_index.shape[0], classes.shape[0]
    if target_proba is None and not label_smoothing > 0:
        return None
    if target_proba is None:
        q = np.zeros((n_samples, K))
        q[np.arange(n_samples), y_index] = 1.0
    else:
        q = check_target_proba(target_proba, n_samples, classes)
    if label_smoothing > 0:
        q = (1 - label_smoothing) * q + label_smoothing / K
    return q


def soft_weights(
    q: np.ndarray, sample_weight, class_weight, classes: np.ndarray, totals=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-sample weights ``t``, target columns ``T`` (K × N) and class totals.

    The loss of sample ``n`` is ``−s_n Σ_k c_k q_nk log S_kn``; ``"balanced"``
    class weights come from the weighted class counts ``Σ_n s_n q_nk`` (plus
    ``totals``, a stream's counts so far), as for the replicated data.
    """
    w = check_sample_weight(sample_weight, q.shape[0])
    counts = q.T @ w if totals is None else q.T @ w + totals
    if class_weight is None:
        c = np.ones(classes.shape[0])
    else:
        c = per_class_weights(class_weight, classes, counts)
    t, T = fold_weights(q, w, c)
    check_weight_total(weight_sum(t), class_weight)
    return t, T, counts


def check_offset(offset, n_samples: int, n_classes: int, dtype) -> np.ndarray | None:
    """The offset as ``O`` of shape ``(n_classes, n_samples)``, in ``dtype``.

    ``(n_samples, n_classes)`` input is transposed; ``(n_samples,)`` for two
    classes is the offset of the positive class, ``O = [0; o]``.

    Raises
    ------
    ValueError
        If it holds NaN or inf or has another shape.
    """
    if offset is None:
        return None
    shapes = f"({n_samples}, {n_classes})" + (
        f" or ({n_samples},)" if n_classes == 2 else ""
    )
    message = f"offset must have shape {shapes}, one logit per sample and class"
    if np.ndim(offset) not in (1, 2):
        raise ValueError(f"{message}; got {np.shape(offset)}.")
    Off = check_array(offset, dtype=np.float64, ensure_2d=False, input_name="offset")
    if Off.ndim == 1 and n_classes == 2 and Off.shape[0] == n_samples:
        Off = np.vstack([np.zeros_like(Off), Off])
    elif Off.ndim == 2 and Off.shape == (n_samples, n_classes):
        Off = Off.T
    else:
        raise ValueError(f"{message}; got {Off.shape}.")
    return np.ascontiguousarray(Off, dtype=dtype)


def refuse_offset_with_early_stopping(estimator, offset) -> None:
    """A ValueError for an offset with ``early_stopping``, checked before any fit."""
    if offset is not None and estimator.early_stopping:
        raise ValueError(
            "offset is not supported with early_stopping=True: the "
            "validation score would be computed without it."
        )


def soft_fit_inputs(
    estimator, dtype, y_index, classes, sample_weight, target_proba, offset
):
    """``(s, T, O)`` for the objective: weights, soft targets (or ``None``), offset.

    ``dtype`` is the NumPy dtype of the fit (of ``X``). Hard labels without
    label smoothing keep the weights of
    :func:`._inputs.combined_weights`, computed by the caller (``s=None``
    here); otherwise ``s`` and ``T`` come from :func:`soft_weights`.
    """
    Off = check_offset(offset, y_index.shape[0], classes.shape[0], dtype)
    q = soft_targets(target_proba, y_index, classes, estimator.label_smoothing)
    if q is None:
        return None, None, Off
    s, T, _ = soft_weights(q, sample_weight, estimator.class_weight, classes)
    return s, T, Off
