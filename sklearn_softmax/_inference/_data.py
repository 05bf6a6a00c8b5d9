"""In-memory input of ``inference``: checked against the fit, then accumulated.

``X`` must have the training data's features (and names), ``y`` only labels
of ``classes_`` and every one of them, the weights the checks of ``fit``;
``class_weight`` is multiplied in as ``fit`` does (``"balanced"`` from these
rows' weighted counts).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import validate_data

from .._backends._inputs import combined_weights
from ._information import InformationParts, accumulate
from ._separation import separated


def encode_against(classes: np.ndarray, y) -> np.ndarray:
    """Indices of ``y``'s labels in the fitted ``classes`` (all of them present).

    Raises
    ------
    ValueError
        If ``y`` holds a label the fit did not see, or lacks one it did.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}.")
    found = np.unique(y)
    unknown = np.setdiff1d(found, classes)
    if unknown.shape[0]:
        raise ValueError(
            f"y has labels the model was not fitted on: {unknown.tolist()[:5]}; "
            f"inference needs the training data (classes {classes.tolist()})."
        )
    missing = np.setdiff1d(classes, found)
    if missing.shape[0]:
        raise ValueError(
            f"y lacks the classes {missing.tolist()[:5]} of the fit; inference "
            f"needs the training data."
        )
    return np.searchsorted(classes, y)


def check_groups(groups, n_samples: int) -> np.ndarray:
    """Cluster labels of shape ``(n_samples,)``, without missing values."""
    groups = np.asarray(groups)
    if groups.ndim != 1 or groups.shape[0] != n_samples:
        raise ValueError(
            f"groups must have shape ({n_samples},) to match X, got {groups.shape}."
        )
    if groups.dtype.kind == "f" and not np.all(np.isfinite(groups)):
        raise ValueError("groups holds NaN or infinite labels.")
    if groups.dtype.kind == "O" and any(g is None or g != g for g in groups):
        raise ValueError("groups holds missing labels (None or NaN).")
    return groups


def in_memory_parts(
    estimator, X, y, sample_weight, groups, kind, W, check_separation
) -> tuple[InformationParts, bool | None]:
    """The accumulated sums and, if asked, the separation check (in memory)."""
    X = validate_data(
        estimator, X, reset=False, accept_sparse=["csr", "csc"],
        dtype=[np.float64, np.float32],
    )  # fmt: skip
    if X.shape[0] != np.shape(y)[0]:
        raise ValueError(
            f"X has {X.shape[0]} rows but y has {np.shape(y)[0]}: inference needs "
            f"the training data."
        )
    classes = estimator.classes_
    y_index = encode_against(classes, y)
    s = combined_weights(sample_weight, estimator.class_weight, classes, y_index)
    if groups is not None:
        groups = check_groups(groups, X.shape[0])
    parts = accumulate(X, y_index, s, W, bool(estimator.fit_intercept), kind, groups)
    if not check_separation:
        return parts, None
    positive = s > 0
    rows = X[np.flatnonzero(positive)] if not positive.all() else X
    found = separated(
        rows, y_index[positive], classes.shape[0], estimator.fit_intercept
    )
    return parts, found
