"""scikit-learn's estimator checks, with no expected failures."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
    check_sample_weight_equivalence_on_sparse_data,
    parametrize_with_checks,
)

from sklearn_softmax import SoftmaxRegression, SoftmaxRegressionCV
from sklearn_softmax._solvers import SOLVERS

ESTIMATORS = [
    SoftmaxRegression(),
    *(SoftmaxRegression(solver=name) for name in sorted(SOLVERS)),
    # An L1 part: solver="auto" picks fista; and fista named, pure L1.
    SoftmaxRegression(l1_ratio=0.5),
    SoftmaxRegression(solver="fista", l1_ratio=1.0),
    # Balanced class weights (partial_fit too), and no intercept.
    SoftmaxRegression(class_weight="balanced"),
    SoftmaxRegression(fit_intercept=False),
    # Structured penalties: groups across classes, bounds (auto: lbfgs, and
    # fista for two classes), factors excluding nothing.
    SoftmaxRegression(grouped=True, l1_ratio=0.5),
    SoftmaxRegression(positive=True),
    SoftmaxRegression(standardize=True),
    # A short path keeps the checks quick; the default passes them as well.
    SoftmaxRegressionCV(Cs=3),
]


def expected_failed_checks(estimator):
    """The one check that no model without an intercept can pass.

    ``check_class_weight_classifiers`` weighs class 0 by 1000 and asks for
    class 0 on 87 % of test points around the origin; without an intercept
    the decision is homogeneous (``-x`` gets the other side of ``x``), so
    about half is the most (``LogisticRegression(fit_intercept=False)``
    fails it alike). :func:`test_class_weight_without_intercept` checks the
    same on data off the origin.
    """
    if getattr(estimator, "fit_intercept", True):
        return {}
    return {
        "check_class_weight_classifiers": (
            "without an intercept, no linear model predicts one class on 87 % "
            "of points around the origin"
        )
    }


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_class_weight_without_intercept(n_classes):
    # check_class_weight_classifiers on its blobs moved off the origin, where
    # a model without an intercept can separate them.
    X, y = make_blobs(centers=n_classes, random_state=0, cluster_std=20)
    X = X + 100.0
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.5, random_state=0)
    class_weight = {0: 1000, 1: 0.0001, 2: 0.0001}
    params = {"fit_intercept": False, "max_iter": 1000}
    model = SoftmaxRegression(class_weight=class_weight, **params)
    predicted = model.fit(X_train, y_train).predict(X_test)
    assert np.mean(predicted == 0) > 0.87
    reference = LogisticRegression(class_weight=class_weight, **params)
    assert np.mean(predicted == 0) >= np.mean(
        reference.fit(X_train, y_train).predict(X_test) == 0
    )


@pytest.mark.parametrize(
    ("check", "l1_ratio"),
    [
        (check_sample_weight_equivalence_on_dense_data, 0.0),
        (check_sample_weight_equivalence_on_sparse_data, 0.5),
    ],
)
def test_sgd_with_small_batches_passes_the_sample_weight_checks(check, l1_ratio):
    # The checks' data (15 rows, or their ~30 repeats) fit in one default
    # batch, where SAGA is plain proximal gradient descent. In batches of 4
    # the weighted and the repeated fits take different random paths; SAGA's
    # variance reduction makes both reach the same minimiser (to tol).
    model = SoftmaxRegression(
        solver="sgd", batch_size=4, l1_ratio=l1_ratio, tol=1e-9, max_iter=10_000
    )
    check("SoftmaxRegression", model)
