"""The binary coefficient layout: ``β = w₁ − w₀``, its split and ``[0; z]``."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax

from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._binary import (
    reported_rows,
    to_per_class,
    to_reported,
    with_zero_class,
)
from sklearn_softmax._core._namespace import to_numpy
from sklearn_softmax._warm_start import previous_solution

M, N = 4, 25


def _per_class(n_classes=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_classes, M)), rng.normal(size=n_classes)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_split_then_combine_gives_beta_back(dtype):
    rng = np.random.default_rng(1)
    beta, beta_0 = rng.normal(size=(1, M)).astype(dtype), rng.normal(size=1)
    coef, intercept = to_per_class(beta, beta_0.astype(dtype))
    assert coef.shape == (2, M) and intercept.shape == (2,)
    assert coef.dtype == dtype
    assert_array_equal(coef[0], -coef[1])  # the split of least L2 norm
    assert_array_equal(intercept[0], -intercept[1])
    back, back_0 = to_reported(coef, intercept)
    assert_array_equal(back, beta)  # exact: β/2 + β/2 = β
    assert_array_equal(back_0, beta_0.astype(dtype))


def test_combined_logits_give_the_two_class_softmax():
    W, b = _per_class()
    X = np.random.default_rng(2).normal(size=(N, M))
    beta, beta_0 = to_reported(W, b)
    assert beta.shape == (1, M) and beta_0.shape == (1,)
    z = beta @ X.T + beta_0[:, None]  # (1, N)
    expected = softmax(W @ X.T + b[:, None], axis=0)  # the K = 2 softmax
    assert_allclose(softmax(with_zero_class(z), axis=0), expected, rtol=1e-13)
    # The split is another representative of the same model.
    W_split, b_split = to_per_class(beta, beta_0)
    split = softmax(W_split @ X.T + b_split[:, None], axis=0)
    assert_allclose(split, expected, rtol=1e-13)


@pytest.mark.parametrize("n_classes", [3, 5])
def test_other_shapes_pass_through_uncopied(n_classes):
    coef, intercept = _per_class(n_classes)
    reported = to_reported(coef, intercept)
    assert reported[0] is coef and reported[1] is intercept
    per_class = to_per_class(coef, intercept)
    assert per_class[0] is coef and per_class[1] is intercept
    assert with_zero_class(coef) is coef
    assert reported_rows(n_classes) == n_classes
    assert reported_rows(2) == 1


def _strict(a):
    xp = pytest.importorskip("array_api_strict")
    return xp.asarray(a, device=xp.Device("device1"))


def _torch(a):
    return pytest.importorskip("torch").asarray(a, device="cpu")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("to_xp", [np.asarray, _strict, _torch])
def test_zero_class_in_every_namespace(to_xp, dtype):
    z = np.random.default_rng(3).normal(size=(1, N)).astype(dtype)
    for A in (z, z[0, :1]):  # scores (1, N); an intercept (1,)
        expanded = with_zero_class(to_xp(A))
        assert type(expanded) is type(to_xp(A))
        assert expanded.dtype == to_xp(A).dtype
        expected = np.concatenate([np.zeros_like(A), A])
        assert_array_equal(to_numpy(expanded), expected)


def test_estimator_reports_and_warm_starts_in_the_layout():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, M))
    y = (X[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(int)
    model = SoftmaxRegression(C=10.0).fit(X, y)
    assert model.coef_.shape == (1, M) and model.intercept_.shape == (1,)
    coef, intercept = previous_solution(model)  # (M, 2) and (2,)
    assert_allclose(coef[:, 1] - coef[:, 0], model.coef_[0], rtol=1e-15)
    assert_allclose(coef.sum(axis=1), 0.0, atol=0)
    assert_allclose(intercept[1] - intercept[0], model.intercept_[0], rtol=1e-15)
    # The probabilities are the softmax of the split parameters.
    expected = softmax(X @ coef + intercept, axis=1)
    assert_allclose(model.predict_proba(X), expected, rtol=1e-12)
