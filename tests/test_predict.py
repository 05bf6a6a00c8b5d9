"""The one prediction path, against scipy: NumPy input and array-API namespaces.

The fitted attributes are set by hand (no fit), so every path predicts from
the same parameters: dense or CSR ``coef_``, dense, CSR or CSC ``X``, float32
or float64, two classes (one row ``β``) or four.
"""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import log_softmax, softmax

from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._core._namespace import to_numpy

METHODS = ("decision_function", "predict_proba", "predict_log_proba", "predict")
M, N = 5, 30
RTOL = {np.float32: 1e-5, np.float64: 1e-12}


def _parameters(n_classes):
    """``coef`` (n_rows, M) with zeros, ``intercept`` (n_rows,), string labels."""
    rng = np.random.default_rng(n_classes)
    n_rows = 1 if n_classes == 2 else n_classes
    coef = rng.normal(scale=2, size=(n_rows, M)) * (rng.random((n_rows, M)) < 0.6)
    intercept = rng.normal(size=n_rows)
    return coef, intercept, np.array(list("abcd"))[:n_classes]


def _model(coef, intercept, classes):
    model = SoftmaxRegression()
    model.classes_, model.coef_, model.intercept_ = classes, coef, intercept
    model.n_features_in_ = M
    return model


def _expected(coef, intercept, classes, X):
    """Every method's result, in float64, from the dense parameters."""
    Z = X.astype(np.float64) @ coef.T + intercept  # (N, n_rows)
    all_logits = np.hstack([np.zeros_like(Z), Z]) if Z.shape[1] == 1 else Z
    return {
        "decision_function": Z[:, 0] if Z.shape[1] == 1 else Z,
        "predict_proba": softmax(all_logits, axis=1),
        "predict_log_proba": log_softmax(all_logits, axis=1),
        "predict": classes[all_logits.argmax(axis=1)],
    }


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("X_container", [np.asarray, sp.csr_matrix, sp.csc_matrix])
@pytest.mark.parametrize("coef_container", [np.asarray, sp.csr_matrix])
def test_numpy_predictions_match_scipy(n_classes, dtype, X_container, coef_container):
    coef, intercept, classes = _parameters(n_classes)
    X = np.random.default_rng(0).normal(size=(N, M)).astype(dtype)
    model = _model(coef_container(coef.astype(dtype)), intercept.astype(dtype), classes)
    expected = _expected(coef, intercept, classes, X)
    for name in METHODS:
        result = getattr(model, name)(X_container(X))
        assert isinstance(result, np.ndarray)
        if name == "predict":
            assert_array_equal(result, expected[name])
            continue
        assert result.dtype == dtype, name
        assert_allclose(result, expected[name], rtol=RTOL[dtype], atol=RTOL[dtype])


def _strict():
    xp = pytest.importorskip("array_api_strict")
    return lambda a: xp.asarray(a, device=xp.Device("device1"))


def _torch():
    torch = pytest.importorskip("torch")
    return lambda a: torch.asarray(a, device="cpu")


@pytest.mark.parametrize("namespace", ["array_api_strict", "torch"])
@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("labels", ["strings", "integers"])
def test_namespace_predictions_equal_numpy(namespace, n_classes, dtype, labels):
    to_xp = {"array_api_strict": _strict, "torch": _torch}[namespace]()
    coef, intercept, classes = _parameters(n_classes)
    if labels == "integers":
        classes = np.arange(n_classes)
    coef, intercept = coef.astype(dtype), intercept.astype(dtype)
    X = np.random.default_rng(0).normal(size=(N, M)).astype(dtype)
    reference = _model(coef, intercept, classes)
    device_classes = classes if labels == "strings" else to_xp(classes)
    model = _model(to_xp(coef), to_xp(intercept), device_classes)
    X_xp = to_xp(X)
    with sklearn.config_context(array_api_dispatch=True):
        results = {name: getattr(model, name)(X_xp) for name in METHODS}
    for name, result in results.items():
        expected = getattr(reference, name)(X)
        if name == "predict" and labels == "strings":
            assert isinstance(result, np.ndarray)  # strings stay NumPy
        else:
            assert type(result) is type(X_xp) and result.device == X_xp.device
        result = to_numpy(result)
        assert result.dtype == expected.dtype, name
        if name == "predict":
            assert_array_equal(result, expected)
        else:
            assert_allclose(result, expected, rtol=RTOL[dtype], atol=RTOL[dtype])
