"""Labels, weights and held-out rows: from what the user passes to what ``fit`` needs.

The checks every backend runs on ``y`` and the weights (the dask backend on
the summaries of its chunks), with the same messages, and the stratified
split of ``early_stopping``.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.utils import check_array
from sklearn.utils.class_weight import compute_class_weight


def encode_labels(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct labels and each sample's index into them.

    Raises
    ------
    ValueError
        If ``y`` holds fewer than two classes.
    """
    classes, y_index = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(
            "SoftmaxRegression needs samples of at least 2 classes in the data, "
            f"but the data contains only one class: {classes[0]!r}."
        )
    return classes, y_index.ravel()


#: The error for negative sample weights, in memory and on dask.
NEGATIVE_WEIGHTS = "sample_weight must be non-negative; got negative values."


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    """Validated float64 sample weights of shape ``(n_samples,)``.

    ``None`` gives ones. The input is never modified.

    Raises
    ------
    ValueError
        If the weights are not 1-D of length ``n_samples``, contain NaN, inf
        or negative values, or sum to zero or beyond float64's range.
    """
    if sample_weight is None:
        return np.ones(n_samples)
    if np.isscalar(sample_weight):
        sample_weight = np.full(n_samples, sample_weight, dtype=np.float64)
    sample_weight = check_array(
        sample_weight,
        ensure_2d=False,
        dtype=np.float64,
        input_name="sample_weight",
        copy=False,
    )
    if sample_weight.ndim != 1 or sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X, "
            f"got {sample_weight.shape}."
        )
    if np.any(sample_weight < 0):
        raise ValueError(NEGATIVE_WEIGHTS)
    check_weight_total(weight_sum(sample_weight))
    return sample_weight


def weight_sum(weights: np.ndarray) -> float:
    """``Σ weights``, ``inf`` without a RuntimeWarning where the sum overflows."""
    with np.errstate(over="ignore"):
        return float(weights.sum())


def check_weight_total(total: float, class_weight=None) -> None:
    """Raise a ValueError unless the weights (times ``class_weight``) sum above 0.

    Also where the sum overflows float64: rather than rescale the weights
    (which the scorer, ``"balanced"`` and later ``partial_fit`` calls would
    then see rescaled), the error says how to.
    """
    culprit = "sample_weight" + (
        " times class_weight" if class_weight is not None else ""
    )
    if not total > 0:
        raise ValueError(f"{culprit} sums to zero: there is nothing to fit.")
    if not np.isfinite(total):
        raise ValueError(
            f"{culprit} sums to {float(total)!r}, beyond float64's range. Divide "
            f"the weights by one positive number t and multiply C by t: the "
            f"fit stays the same."
        )


def balanced_class_weights(class_totals: np.ndarray) -> np.ndarray:
    """``"balanced"`` class weights from the weighted class counts.

    ``Σ w / (K · Σ_{y=k} w)`` for each class ``k`` of the ``K`` in
    ``class_totals`` (``Σ_{y=k} w``, the sum of the sample weights ``w`` of
    each class), as in scikit-learn 1.9: with integer sample weights, the
    same weights as the repeated rows. A class of zero total weight (absent
    so far, or all its rows of weight zero) gets weight zero: it has no rows
    to weigh.
    """
    class_totals = np.asarray(class_totals, dtype=np.float64)
    present = class_totals > 0
    weights = np.zeros_like(class_totals)
    weights[present] = class_totals.sum() / (
        class_totals.shape[0] * class_totals[present]
    )
    return weights


def check_class_weight(class_weight, classes: np.ndarray) -> np.ndarray:
    """``class_weight`` per class of ``classes``: ``None`` or a dict (not balanced).

    Labels not in the dict get weight one.

    Raises
    ------
    ValueError
        If a weight is negative, NaN or infinite, naming the class.
    """
    per_class = compute_class_weight(class_weight, classes=classes, y=classes)
    per_class = np.asarray(per_class, dtype=np.float64)
    bad = ~(np.isfinite(per_class) & (per_class >= 0))
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"class_weight must be finite and non-negative, as sample weights "
            f"are; got {per_class[k].item()!r} for class "
            f"{classes[k].item()!r}."
        )
    return per_class


def per_class_weights(
    class_weight, classes: np.ndarray, class_totals: np.ndarray
) -> np.ndarray:
    """The weight of each class: ``None``, a dict, or ``"balanced"``.

    ``class_totals`` are the weighted class counts (``Σ_{y=k} w``), used by
    ``"balanced"`` only.
    """
    if isinstance(class_weight, str):  # "balanced"
        return balanced_class_weights(class_totals)
    return check_class_weight(class_weight, classes)


def combined_weights(
    sample_weight, class_weight, classes: np.ndarray, y_index: np.ndarray
) -> np.ndarray:
    """``s_n``: sample weight times class weight, of shape ``(n_samples,)``.

    ``class_weight`` is ``None``, ``"balanced"`` (``Σ w / (n_classes ·
    Σ_{y=k} w)``, ``w`` the sample weights: from the weighted class counts,
    as in scikit-learn 1.9) or
    a dict from label to weight (labels not in it get weight one).
    """
    s = check_sample_weight(sample_weight, y_index.shape[0])
    if class_weight is None:
        return s
    totals = np.bincount(y_index, weights=s, minlength=classes.shape[0])
    with np.errstate(over="ignore"):  # an overflow is refused just below
        s = s * per_class_weights(class_weight, classes, totals)[y_index]
    check_weight_total(weight_sum(s), class_weight)
    return s


def validation_split(
    y_index: np.ndarray, fraction: float, random_state
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified ``(train, validation)`` row indices, sorted.

    Raises
    ------
    ValueError
        If the split cannot keep every class on both sides: too few samples
        in total or in some class for ``validation_fraction``.
    """
    n_samples = y_index.shape[0]
    n_classes = int(y_index.max()) + 1
    counts = np.bincount(y_index, minlength=n_classes)
    n_validation = int(np.ceil(fraction * n_samples))
    n_train = n_samples - n_validation
    if counts.min() < 2 or n_validation < n_classes or n_train < n_classes:
        raise ValueError(
            f"early_stopping=True cannot set aside a stratified "
            f"validation_fraction={fraction} of {n_samples} samples with "
            f"{n_classes} classes (smallest class: {counts.min()} samples): each "
            f"class needs at least 2 samples, and both sides at least one "
            f"sample per class. Use more data, another validation_fraction, or "
            f"early_stopping=False."
        )
    splitter = StratifiedShuffleSplit(
        n_splits=1, test_size=n_validation, random_state=random_state
    )
    train, validation = next(splitter.split(np.zeros((n_samples, 1)), y_index))
    return np.sort(train), np.sort(validation)


def hold_out(estimator, X, y_index: np.ndarray, s: np.ndarray, sample_weight):
    """Split ``fit``'s rows for ``early_stopping``: training and held-out rows.

    Returns ``(X, y_index, s)`` of the training rows, their indices ``train``,
    their ``sample_weight`` (``None`` if none was given), and the held-out
    rows ``(X, y_index, w)``, ``w`` their sample weights alone (the weights
    of :meth:`score`).
    """
    train, held = validation_split(
        y_index, estimator.validation_fraction, estimator.random_state
    )
    w = check_sample_weight(sample_weight, X.shape[0])
    w_train = None if sample_weight is None else w[train]
    held_out = (X[held], y_index[held], w[held])
    return X[train], y_index[train], s[train], train, w_train, held_out
