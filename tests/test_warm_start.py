"""warm_start=True with a changing class set: kept columns, new ones, cold."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris, load_wine
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._objectives import SoftmaxObjective
from sklearn_softmax._warm_start import constant_intercept, initial_theta


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), np.array(["a", "b", "c"])[y]


def first_iterate(model, X, y):
    """The W that a fit of ``model`` on (X, y) starts from."""
    classes, y_index = np.unique(y, return_inverse=True)
    objective = SoftmaxObjective(
        X.T, y_index, classes.shape[0], np.ones(y.shape[0]), model.fit_intercept
    )
    return initial_theta(model, objective, classes).reshape(objective.shape), objective


@pytest.mark.parametrize("old", [["a", "c"], ["b", "c"], ["a", "b", "c"]])
def test_superset_keeps_the_old_columns_by_label(wine, old):
    X, y = wine
    seen = np.isin(y, old)
    model = SoftmaxRegression(warm_start=True).fit(X[seen], y[seen])
    W, objective = first_iterate(model, X, y)
    columns = np.searchsorted(["a", "b", "c"], old)
    coef, intercept = model.coef_.T, model.intercept_
    if len(old) == 2:  # stored as w₁ − w₀: split back into ∓½ of it
        coef = np.hstack([-coef, coef]) / 2
        intercept = np.hstack([-intercept, intercept]) / 2
    assert_allclose(W[:-1, columns], coef)
    assert_allclose(W[-1, columns], intercept)
    new = np.setdiff1d([0, 1, 2], columns)
    assert_array_equal(W[:-1, new], 0.0)
    # The new class's log-odds against the old ones, on average, are the
    # constant model's.
    constant = constant_intercept(objective.y, objective.sample_weight, 3)
    for k in new:
        assert W[-1, k] - W[-1, columns].mean() == pytest.approx(
            constant[k] - constant[columns].mean()
        )


def test_superset_refit_reaches_the_solution_in_fewer_iterations(wine):
    X, y = wine
    seen = y != "b"
    model = SoftmaxRegression(warm_start=True, tol=1e-8).fit(X[seen], y[seen])
    model.fit(X, y)
    cold = SoftmaxRegression(tol=1e-8).fit(X, y)
    assert_array_equal(model.classes_, ["a", "b", "c"])
    assert_allclose(model.coef_, cold.coef_, atol=1e-6)
    assert model.n_iter_ <= cold.n_iter_


@pytest.mark.parametrize("new", [["a", "b"], ["b", "c", "d"]])
def test_subset_or_other_classes_start_cold(wine, new):
    X, y = wine
    y = np.where(y == "a", "d", y) if "d" in new else y
    model = SoftmaxRegression(warm_start=True).fit(*wine)
    rows = np.isin(y, new)
    W, objective = first_iterate(model, X[rows], y[rows])
    assert_array_equal(W[:-1], 0.0)
    constant = constant_intercept(
        objective.y, objective.sample_weight, objective.n_classes
    )
    assert_allclose(W[-1], constant)


def test_other_number_of_features_starts_cold(wine):
    X, y = wine
    model = SoftmaxRegression(warm_start=True).fit(X, y)
    W, _ = first_iterate(model, X[:, :5], y)
    assert_array_equal(W[:-1], 0.0)


def test_without_intercept_new_classes_start_at_zero():
    X, y = load_iris(return_X_y=True)
    model = SoftmaxRegression(warm_start=True, fit_intercept=False).fit(
        X[y > 0], y[y > 0]
    )
    W, _ = first_iterate(model, X, y)
    assert_array_equal(W[:, 0], 0.0)
    assert_allclose(W[:, 1:], np.hstack([-model.coef_.T, model.coef_.T]) / 2)
