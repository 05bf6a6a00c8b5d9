"""Labels and weights: from what the user passes to what the objective needs."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
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
        or negative values, or sum to zero.
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
    check_weight_total(sample_weight.sum())
    return sample_weight


def check_weight_total(total: float, class_weight=None) -> None:
    """Raise a ValueError unless the weights (times ``class_weight``) sum above 0."""
    if not total > 0:
        culprit = "sample_weight" + (
            " times class_weight" if class_weight is not None else ""
        )
        raise ValueError(f"{culprit} sums to zero: there is nothing to fit.")


def combined_weights(
    sample_weight, class_weight, classes: np.ndarray, y_index: np.ndarray
) -> np.ndarray:
    """``s_n``: sample weight times class weight, of shape ``(n_samples,)``.

    ``class_weight`` is ``None``, ``"balanced"`` (``n_samples / (n_classes ·
    count)``, from the unweighted counts as in scikit-learn) or a dict from
    label to weight (labels not in it get weight one).
    """
    s = check_sample_weight(sample_weight, y_index.shape[0])
    if class_weight is None:
        return s
    per_class = compute_class_weight(class_weight, classes=classes, y=classes[y_index])
    s = s * per_class[y_index]
    check_weight_total(s.sum(), class_weight)
    return s


@contextlib.contextmanager
def _restore_on_error(estimator):
    """Put back every attribute of ``estimator`` if the block raises."""
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        raise


def warn_if_not_converged(result, solver: str, max_iter: int, stacklevel: int) -> None:
    """A ``ConvergenceWarning``, unless the solve converged or was stopped.

    ``result`` is the solver's :class:`._solvers._base.SolverResult`;
    ``stacklevel`` counts from this function's caller's caller.
    """
    if result.converged or result.stopped:
        return
    hint = (
        "Increase max_iter, or scale the data."
        if result.n_iter >= max_iter
        else "tol may be finer than the floating-point precision allows."
    )
    warnings.warn(
        f"SoftmaxRegression(solver={solver!r}) did not converge: "
        f"{result.message}. {hint}",
        ConvergenceWarning,
        stacklevel=stacklevel + 1,
    )
