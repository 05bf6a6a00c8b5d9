"""scikit-learn's estimator checks, with no expected failures."""

import pytest
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
    # A short path keeps the checks quick; the default passes them as well.
    SoftmaxRegressionCV(Cs=3),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


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
