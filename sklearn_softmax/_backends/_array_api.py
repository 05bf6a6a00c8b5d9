"""Array-API inputs (torch, CuPy, array-api-strict, ...): the estimator's edge.

With ``sklearn.set_config(array_api_dispatch=True)``, ``fit`` and the
predictions accept the arrays of any array-API namespace, and keep them on
their device:

* ``fit`` validates ``X`` in its namespace, encodes the labels in the
  namespace of ``y`` and hands the transpose of ``X`` (a view) to
  :class:`._array_api_objective.ArrayAPISoftmaxObjective`, which evaluates
  the loss, gradient and Hessian-vector products on the device, in one
  block. The solvers step on host vectors of ``(M + 1) × K`` numbers. The
  labels' indices and the weights (``N`` numbers each) are host vectors, as
  in the NumPy path; ``X`` never leaves its device.
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
from sklearn.utils._array_api import device, get_namespace
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from .._core._namespace import namespace, to_namespace, to_numpy
from .._validation import combined_weights, encode_labels

#: The solvers whose every step runs on the objective's interface (for
#: "sgd", SAGA on the objective's terms, on the device: :mod:`.._solvers._saga`).
ARRAY_API_SOLVERS = ("gd", "lbfgs", "newton-cg", "sgd")


def array_api_inputs(estimator, X, y, sample_weight):
    """``fit``'s validated inputs when ``X`` is a non-NumPy array, else ``None``.

    Returns
    -------
    X : array of shape (n_samples, n_features)
        Validated, in its namespace and on its device (float32 or float64).
    y : array of shape (n_samples,)
        Validated, in its own namespace.
    classes : ndarray of shape (n_classes,)
        The sorted labels, on the host (``K`` numbers).
    y_index : ndarray of shape (n_samples,)
        Each sample's index into ``classes``, on the host.
    s : ndarray of shape (n_samples,)
        Sample weight times class weight, float64, on the host.

    Raises
    ------
    ValueError
        For ``early_stopping=True`` (not supported on this path), and as
        :func:`._validation.encode_labels` and ``combined_weights`` do.
    """
    found = namespace(X)
    if found is None:
        return None
    xp, _ = found
    if estimator.early_stopping:
        raise ValueError(
            "early_stopping=True is not supported for array-API inputs (here "
            f"{xp.__name__}); set early_stopping=False or pass NumPy arrays."
        )
    X, y = validate_data(estimator, X, y, dtype=[xp.float64, xp.float32])
    check_classification_targets(y)
    xp_y, _ = get_namespace(y)
    classes = xp_y.sort(xp_y.unique_values(y))  # in y's namespace, K labels
    y_index = to_numpy(xp_y.searchsorted(classes, y)).astype(np.intp)
    # From here on as in the NumPy path, on host vectors (the labels' checks
    # run on the K distinct labels).
    classes, _ = encode_labels(to_numpy(classes))
    if namespace(sample_weight) is not None:
        sample_weight = to_numpy(sample_weight)
    s = combined_weights(sample_weight, estimator.class_weight, classes, y_index)
    for name in ("coef_", "intercept_", "classes_"):  # read by warm_start
        if hasattr(estimator, name) and namespace(getattr(estimator, name)):
            setattr(estimator, name, to_numpy(getattr(estimator, name)))
    return X, y, classes, y_index, s


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


def array_api_solver(estimator, solver, objective):
    """The solver for a device ``objective``: ``solver`` itself, or ``"sgd"``'s.

    ``solver="auto"`` with an L1 part picks ``"sgd"`` (``"fista"`` reads ``X``
    on the host), which runs on the device.

    Raises
    ------
    ValueError
        If the solver was named and cannot run on the device.
    """
    if not hasattr(objective, "xp"):  # the NumPy objective
        return solver
    name = solver.name
    if name not in ARRAY_API_SOLVERS and estimator.solver != "auto":
        raise ValueError(
            f"solver={name!r} does not support array-API inputs (here "
            f"{objective.xp.__name__}); use solver='auto' or one of "
            f"{list(ARRAY_API_SOLVERS)}, or pass NumPy arrays."
        )
    if name in ARRAY_API_SOLVERS:
        return solver
    from .._solvers import SOLVERS

    return SOLVERS["sgd"].configured(**estimator._stochastic_options())


def fitted_in_namespace(attributes: dict, X, y) -> dict:
    """``coef_``, ``intercept_`` in ``X``'s namespace, ``classes_`` in ``y``'s.

    ``attributes`` maps those names to NumPy arrays; returned unchanged on the
    NumPy path. String labels stay a NumPy array.
    """
    found = namespace(X)
    if found is None:
        return attributes
    xp, where = found
    moved = dict(attributes)
    moved["coef_"] = xp.asarray(attributes["coef_"], device=where)
    moved["intercept_"] = xp.asarray(attributes["intercept_"], device=where)
    labels = namespace(y)
    if labels is not None:
        moved["classes_"] = to_namespace(attributes["classes_"], *labels)
    return moved


def to_input_namespace(estimator, X, y) -> None:
    """Move the fitted attributes of ``estimator`` (see :func:`fitted_in_namespace`)."""
    names = ("classes_", "coef_", "intercept_")
    current = {name: getattr(estimator, name) for name in names}
    for name, value in fitted_in_namespace(current, X, y).items():
        setattr(estimator, name, value)


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


def _logits(estimator, X, xp):
    """All the classes' logits ``(K, N)`` in ``X``'s namespace; binary ``[0; z]``."""
    X = validate_data(estimator, X, dtype=[xp.float64, xp.float32], reset=False)
    coef = xp.astype(estimator.coef_, X.dtype)
    Z = coef @ X.T + xp.astype(estimator.intercept_, X.dtype)[:, None]
    if Z.shape[0] == 1:
        Z = xp.concat([xp.zeros_like(Z), Z], axis=0)
    return Z


def _decision_function(estimator, X, xp):
    Z = _logits(estimator, X, xp)
    return Z[1, :] if Z.shape[0] == 2 else Z.T


def _predict_log_proba(estimator, X, xp):
    Z = _logits(estimator, X, xp)
    Z = Z - xp.max(Z, axis=0, keepdims=True)
    return (Z - xp.log(xp.sum(xp.exp(Z), axis=0))).T


def _predict_proba(estimator, X, xp):
    Z = _logits(estimator, X, xp)
    E = xp.exp(Z - xp.max(Z, axis=0, keepdims=True))
    return (E / xp.sum(E, axis=0)).T


def _predict(estimator, X, xp):
    """Labels from ``classes_`` (in their namespace), returned in ``X``'s."""
    indices = xp.argmax(_logits(estimator, X, xp), axis=0)
    classes = estimator.classes_
    labels = namespace(classes)
    if labels is None:  # NumPy labels: strings stay a NumPy array
        y_pred = classes[to_numpy(indices)]
        if y_pred.dtype.kind in "OSU":
            return y_pred
        return to_namespace(y_pred, xp, device(X))
    xp_c, device_c = labels
    y_pred = xp_c.take(classes, to_namespace(indices, xp_c, device_c), axis=0)
    return to_namespace(y_pred, xp, device(X))


_PREDICTIONS = {
    "decision_function": _decision_function,
    "predict": _predict,
    "predict_log_proba": _predict_log_proba,
    "predict_proba": _predict_proba,
}


def array_api_method(method):
    """Decorate a prediction method: under dispatch, run it in ``X``'s namespace.

    It takes over when ``X`` or the fitted ``coef_`` is a non-NumPy array and
    dispatch is on (after checking that both share namespace and device);
    otherwise the NumPy method runs.
    """
    compute = _PREDICTIONS[method.__name__]

    @functools.wraps(method)
    def wrapper(self, X):
        if not get_config()["array_api_dispatch"] or not hasattr(self, "coef_"):
            return method(self, X)
        found = namespace(X)
        if found is None and namespace(self.coef_) is None:
            return method(self, X)
        _check_same_namespace(self, X, method.__name__)
        return compute(self, X, found[0])

    return wrapper
