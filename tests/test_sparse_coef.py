"""sparsify / densify: a sparse coef_ predicts, warm-starts and refits as before."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError

from sklearn_softmax import SoftmaxRegression

SCORES = ("predict_proba", "predict_log_proba", "decision_function")


def problem(iris, n_classes, container, dtype):
    X, y = iris
    X, y = X[y < n_classes].astype(dtype), y[y < n_classes]
    return (X if container is None else container(X)), y


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("container", [None, sp.csr_matrix])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparsify_densify_round_trip_keeps_predictions(
    iris, n_classes, fit_intercept, container, dtype
):
    X, y = problem(iris, n_classes, container, dtype)
    model = SoftmaxRegression(C=0.05, l1_ratio=1.0, fit_intercept=fit_intercept)
    model.fit(X, y)
    coef, intercept = model.coef_.copy(), model.intercept_.copy()
    assert np.any(coef == 0)
    before = {name: getattr(model, name)(X) for name in SCORES}
    labels = model.predict(X)

    assert model.sparsify() is model
    assert isinstance(model.coef_, sp.csr_matrix)
    assert model.coef_.dtype == dtype and model.coef_.shape == coef.shape
    assert model.coef_.nnz == np.count_nonzero(coef)
    assert_array_equal(model.coef_.toarray(), coef)
    assert_array_equal(model.predict(X), labels)
    for name in SCORES:
        scores = getattr(model, name)(X)
        assert scores.dtype == dtype and scores.shape == before[name].shape
        rtol = 1e-12 if dtype == np.float64 else 1e-5
        assert_allclose(scores, before[name], rtol=rtol, atol=rtol)

    assert model.densify() is model
    assert isinstance(model.coef_, np.ndarray)
    assert_array_equal(model.coef_, coef)
    assert_array_equal(model.intercept_, intercept)
    if n_classes > 2 and fit_intercept:  # one parameter again, as after fit
        assert model.coef_.base is model.intercept_.base
    assert model.densify().coef_ is model.coef_  # dense stays as it is


@pytest.mark.parametrize("n_classes", [2, 3])
def test_warm_start_from_a_sparse_coef(iris, n_classes):
    X, y = problem(iris, n_classes, None, np.float64)
    model = SoftmaxRegression(C=0.05, l1_ratio=0.5, warm_start=True, tol=1e-6)
    coef = model.fit(X, y).coef_.copy()
    model.sparsify().fit(X, y)
    assert model.n_iter_ == 0  # the sparse coef_ was the starting point
    assert isinstance(model.coef_, np.ndarray)
    assert_allclose(model.coef_, coef)


def test_fit_after_sparsify_sets_a_dense_coef(iris):
    X, y = iris
    model = SoftmaxRegression(C=0.05, l1_ratio=1.0).fit(X, y).sparsify()
    model.set_params(C=1.0).fit(X, y)
    fresh = SoftmaxRegression(C=1.0, l1_ratio=1.0).fit(X, y)
    assert isinstance(model.coef_, np.ndarray)
    assert_array_equal(model.coef_, fresh.coef_)


@pytest.mark.parametrize("method", ["sparsify", "densify"])
def test_unfitted_estimator_raises(method):
    with pytest.raises(NotFittedError):
        getattr(SoftmaxRegression(), method)()
