"""Array-API inputs (torch, CuPy, array-api-strict, ...): the estimator's edge.

With ``sklearn.set_config(array_api_dispatch=True)``, ``fit`` and the
predictions accept the arrays of any array-API namespace, and keep them on
their device:

* ``fit`` (:class:`ArrayAPIBackend`) validates ``X`` in its namespace,
  encodes the labels in the namespace of ``y`` and hands the transpose of
  ``X`` (a view) to :class:`.._objectives._array_api.ArrayAPISoftmaxObjective`,
  which evaluates the loss, gradient and Hessian-vector products on the
  device, in one block. The solvers step on host vectors of ``(M + 1) × K``
  numbers. The labels' indices and the weights (``N`` numbers each) are host
  vectors, as in the NumPy path; ``X`` never leaves its device.
* The fitted ``coef_`` and ``intercept_`` are arrays of ``X``'s namespace on
  its device, ``classes_`` of ``y``'s, as in scikit-learn's
  ``LogisticRegression``. The predictions are computed there and returned
  in ``X``'s namespace (``predict``'s labels too, unless they are strings).

NumPy input (and sparse input) takes the NumPy path unchanged, whatever the
configuration. Every function here returns at once when dispatch is off.
"""

from __future__ import annotations

import functools

import numpy as np
from sklearn import get_config
from sklearn.utils._array_api import get_namespace
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from .._core._namespace import namespace, to_namespace, to_numpy
from .._objectives._array_api import ArrayAPISoftmaxObjective
from ._base import Backend, FitData
from ._inputs import combined_weights, encode_labels
from ._targets import soft_fit_inputs


class ArrayAPIBackend(Backend):
    """``fit`` on the device of a non-NumPy array (see the module).

    Parameters
    ----------
    xp : module
        The namespace of ``X``.
    """

    def __init__(self, xp):
        self.name = f"array-API inputs (here {xp.__name__})"
        self.refused = {
            "early_stopping": (
                f"early_stopping=True is not supported for {self.name}; set "
                "early_stopping=False or pass NumPy arrays."
            )
        }

    def fit_data(
        self, estimator, X, y, sample_weight, target_proba=None, offset=None
    ) -> FitData:
        """Validated inputs on their device and the device objective.

        The classes, the labels' indices and the weights (sample weight
        times class weight) are host vectors; ``X`` and ``y`` stay in their
        namespaces. A previous fit's arrays, read by ``warm_start``, are
        brought to the host first.
        """
        xp, _ = get_namespace(X)
        X, y = validate_data(estimator, X, y, dtype=[xp.float64, xp.float32])
        check_classification_targets(y)
        xp_y, _ = get_namespace(y)
        classes = xp_y.sort(xp_y.unique_values(y))  # in y's namespace, K labels
        y_index = to_numpy(xp_y.searchsorted(classes, y)).astype(np.intp)
        # From here on as in the NumPy path, on host vectors (the labels'
        # checks run on the K distinct labels).
        classes, _ = encode_labels(to_numpy(classes))
        if namespace(sample_weight) is not None:
            sample_weight = to_numpy(sample_weight)
        # Soft targets and offsets: checked and folded on the host.
        target_proba, offset = (
            to_numpy(a) if namespace(a) is not None else a
            for a in (target_proba, offset)
        )
        dtype = np.float32 if X.dtype == xp.float32 else np.float64
        s, T, Off = soft_fit_inputs(
            estimator, dtype, y_index, classes, sample_weight, target_proba, offset
        )
        if s is None:
            s = combined_weights(
                sample_weight, estimator.class_weight, classes, y_index
            )
        for name in ("coef_", "intercept_", "classes_"):  # read by warm_start
            if hasattr(estimator, name) and namespace(getattr(estimator, name)):
                setattr(estimator, name, to_numpy(getattr(estimator, name)))
        objective = ArrayAPISoftmaxObjective(
            X.T,
            y_index,
            classes.shape[0],
            s,
            estimator.fit_intercept,
            targets=T,
            offset=Off,
        )
        return FitData(objective, classes, s.sum(), X, y, sample_weight)

    def place(self, attributes: dict, data: FitData) -> dict:
        """The fitted arrays in ``X``'s namespace, ``classes_`` in ``y``'s.

        String labels stay a NumPy array.
        """
        xp, where = namespace(data.X)
        moved = dict(attributes)
        moved["coef_"] = xp.asarray(attributes["coef_"], device=where)
        moved["intercept_"] = xp.asarray(attributes["intercept_"], device=where)
        moved["support_"] = xp.asarray(attributes["support_"], device=where)
        labels = namespace(data.y)
        if labels is not None:
            moved["classes_"] = to_namespace(attributes["classes_"], *labels)
        return moved


def numpy_only(method):
    """Decorate a method whose ``X`` must not be a non-NumPy array under dispatch.

    Raises a ``ValueError`` naming the method and the namespace, instead of
    the error the validation of a foreign array would give.
    """

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        found = namespace(X)
        if found is not None:
            raise ValueError(
                f"{type(self).__name__}.{method.__name__}() does not support "
                f"array-API inputs (here {found[0].__name__}); pass NumPy arrays, "
                "or use fit."
            )
        return method(self, X, *args, **kwargs)

    return wrapper


def _check_same_namespace(estimator, X, method: str) -> None:
    """Raise unless ``X`` has the namespace and device of ``coef_``."""
    xp_X, xp_coef = namespace(X), namespace(estimator.coef_)
    same = (xp_X is None and xp_coef is None) or (
        xp_X is not None
        and xp_coef is not None
        and xp_X[0].__name__ == xp_coef[0].__name__
        and xp_X[1] == xp_coef[1]
    )
    if not same:

        def describe(found):
            return "numpy" if found is None else f"{found[0].__name__} on {found[1]}"

        raise ValueError(
            f"Inputs passed to {type(estimator).__name__}.{method}() must use the "
            "same namespace and the same device as those passed to fit(): fit "
            f"used {describe(xp_coef)}, {method} got {describe(xp_X)}."
        )


def array_api_method(method):
    """Decorate a prediction method: under dispatch, check ``X``'s namespace first.

    When dispatch is on and the estimator is fitted, ``X`` must have the
    namespace and device of ``coef_`` (both NumPy, or the same array-API
    namespace on the same device); the method, written against ``X``'s
    namespace (:mod:`sklearn_softmax._predict`), then runs there.
    """

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        if get_config()["array_api_dispatch"] and hasattr(self, "coef_"):
            _check_same_namespace(self, X, method.__name__)
        return method(self, X, *args, **kwargs)

    return wrapper
