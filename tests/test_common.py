"""scikit-learn's estimator checks, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

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
