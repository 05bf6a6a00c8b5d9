"""Bad input: a clear error naming the problem, and no damage to the estimator."""

import numpy as np
import pandas as pd
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.fixes import parse_version
from sklearn.utils.validation import check_is_fitted

from sklearn_softmax import SoftmaxRegression, SoftmaxRegressionCV
from sklearn_softmax._solvers import SOLVERS

SOLVER_NAMES = sorted(SOLVERS)
# Solvers that accept only a smooth penalty refuse l1_ratio > 0.
L2_ONLY_SOLVERS = sorted(name for name, s in SOLVERS.items() if s.smooth_only)

PREDICT_METHODS = ["predict", "predict_proba", "predict_log_proba", "decision_function"]

# The public attributes a fit may set.
FITTED_ATTRIBUTES = (
    "classes_",
    "coef_",
    "intercept_",
    "n_iter_",
    "n_features_in_",
    "feature_names_in_",
    "loss_curve_",
    "converged_",
)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


def _with(X, row, col, value):
    X = X.copy()
    X[row, col] = value
    return X


def _weights(n, index=None, value=None):
    w = np.ones(n)
    if index is not None:
        w[index] = value
    return w


# name -> (make(X, y) -> (params, X, y, sample_weight), error, match)
FIT_CASES = {
    # X
    "nan_in_X": (
        lambda X, y: ({}, _with(X, 3, 1, np.nan), y, None),
        ValueError,
        "Input X contains NaN",
    ),
    "inf_in_X": (
        lambda X, y: ({}, _with(X, 3, 1, np.inf), y, None),
        ValueError,
        "Input X contains infinity",
    ),
    "minus_inf_in_X": (
        lambda X, y: ({}, _with(X, 0, 0, -np.inf), y, None),
        ValueError,
        "Input X contains infinity",
    ),
    "X_1d": (
        lambda X, y: ({}, X[:, 0], y, None),
        ValueError,
        "Expected 2D array",
    ),
    "X_empty": (
        lambda X, y: ({}, X[:0], y[:0], None),
        ValueError,
        "0 sample",
    ),
    # lengths
    "X_shorter_than_y": (
        lambda X, y: ({}, X[:-1], y, None),
        ValueError,
        "inconsistent numbers of samples",
    ),
    "y_shorter_than_X": (
        lambda X, y: ({}, X, y[:-2], None),
        ValueError,
        "inconsistent numbers of samples",
    ),
    # y
    "single_class": (
        lambda X, y: ({}, X, np.full(len(y), 2), None),
        ValueError,
        "one class",
    ),
    "single_string_class": (
        lambda X, y: ({}, X, np.full(len(y), "setosa"), None),
        ValueError,
        "one class",
    ),
    "continuous_y": (
        lambda X, y: ({}, X, np.linspace(0.0, 1.0, len(y)), None),
        ValueError,
        "Unknown label type",
    ),
    "y_2d_one_hot": (
        lambda X, y: ({}, X, np.eye(3)[y.astype(int)], None),
        ValueError,
        "y should be a 1d array",
    ),
    # sample_weight
    "negative_sample_weight": (
        lambda X, y: ({}, X, y, _weights(len(y), 5, -0.5)),
        ValueError,
        "sample_weight.*negative",
    ),
    "nan_sample_weight": (
        lambda X, y: ({}, X, y, _weights(len(y), 5, np.nan)),
        ValueError,
        "sample_weight contains NaN",
    ),
    "inf_sample_weight": (
        lambda X, y: ({}, X, y, _weights(len(y), 5, np.inf)),
        ValueError,
        "sample_weight contains infinity",
    ),
    "short_sample_weight": (
        lambda X, y: ({}, X, y, np.ones(len(y) - 1)),
        ValueError,
        r"sample_weight.*\(150,\)",
    ),
    "long_sample_weight": (
        lambda X, y: ({}, X, y, np.ones(len(y) + 1)),
        ValueError,
        r"sample_weight.*\(150,\)",
    ),
    "sample_weight_2d": (
        lambda X, y: ({}, X, y, np.ones((len(y), 1))),
        ValueError,
        r"sample_weight.*\(150,\)",
    ),
    "zero_sample_weight": (
        lambda X, y: ({}, X, y, np.zeros(len(y))),
        ValueError,
        "sample_weight.*zero",
    ),
    **{
        f"{kind}_class_weight": (
            lambda X, y, value=value: (
                {"class_weight": {0: 1.0, 1: value, 2: 2.0}},
                X,
                y,
                None,
            ),
            ValueError,
            r"class_weight must be finite and non-negative.* class 1\b",
        )
        for kind, value in [("negative", -0.5), ("nan", np.nan), ("inf", np.inf)]
    },
    "zero_class_weight": (
        lambda X, y: ({"class_weight": {0: 0.0, 1: 0.0, 2: 0.0}}, X, y, None),
        ValueError,
        "sums to zero",
    ),
    # constructor values
    **{
        f"{name}={value!r}": (
            lambda X, y, name=name, value=value: ({name: value}, X, y, None),
            InvalidParameterError,
            f"'{name}' parameter of SoftmaxRegression",
        )
        for name, value in [
            ("C", 0.0),
            ("C", -1.0),
            ("C", np.nan),
            ("C", "large"),
            ("l1_ratio", -0.1),
            ("l1_ratio", 1.5),
            ("solver", "sag"),
            ("solver", "liblinear"),
            ("max_iter", -1),
            ("max_iter", 2.5),
            ("tol", -1e-4),
            ("fit_intercept", "yes"),
            ("class_weight", "auto"),
            ("warm_start", "no"),
        ]
    },
    # l1_ratio > 0 with a solver for smooth penalties only
    **{
        f"l1_ratio={ratio}-{solver}": (
            lambda X, y, ratio=ratio, solver=solver: (
                {"l1_ratio": ratio, "solver": solver},
                X,
                y,
                None,
            ),
            ValueError,
            "l1_ratio",
        )
        for ratio in (0.5, 1.0)
        for solver in L2_ONLY_SOLVERS
    },
}


def _fit_case(case, X, y):
    make, error, match = FIT_CASES[case]
    params, X_bad, y_bad, sample_weight = make(X, y)
    return params, X_bad, y_bad, sample_weight, error, match


def _public_attributes(est):
    return sorted(k for k in vars(est) if k.endswith("_") and not k.startswith("_"))


@pytest.mark.parametrize("case", list(FIT_CASES))
def test_fit_error_names_the_problem(iris, case):
    params, X_bad, y_bad, sample_weight, error, match = _fit_case(case, *iris)
    est = SoftmaxRegression(**params)
    with pytest.raises(error, match=match):
        est.fit(X_bad, y_bad, sample_weight=sample_weight)
    # Nothing half-fitted that looks fitted.
    assert _public_attributes(est) == []
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    with pytest.raises(NotFittedError):
        est.predict(iris[0])


def _snapshot(est):
    return {
        name: (
            np.array(getattr(est, name), copy=True)
            if isinstance(getattr(est, name), np.ndarray | list)
            else getattr(est, name)
        )
        for name in FITTED_ATTRIBUTES
        if hasattr(est, name)
    }


def _other_form(X, previous):
    """The bad ``X`` as the form the estimator was *not* fitted on.

    So a failed fit that resets feature names would be seen: an array where the
    previous fit saw a DataFrame, and a DataFrame where it saw an array.
    """
    if previous == "array" and np.ndim(X) == 2:
        return pd.DataFrame(X, columns=[f"f{i}" for i in range(np.shape(X)[1])])
    return X


@pytest.mark.parametrize("previous", ["array", "frame"])
@pytest.mark.parametrize("case", list(FIT_CASES))
def test_failed_fit_leaves_fitted_estimator_unchanged(iris, case, previous):
    X, y = iris
    params, X_bad, y_bad, sample_weight, error, match = _fit_case(case, X, y)
    X_good = pd.DataFrame(X, columns=list("abcd")) if previous == "frame" else X
    # A different problem than the bad one, so a partial overwrite would show:
    # two classes, as strings.
    mask = y > 0
    X_good = X_good[mask]
    y_good = np.array(["a", "b", "c"])[y[mask].astype(int)]
    est = SoftmaxRegression().fit(X_good, y_good)
    before = _snapshot(est)
    state_before = sorted(vars(est))
    proba_before = est.predict_proba(X_good)
    assert ("feature_names_in_" in before) == (previous == "frame")

    est.set_params(**params)
    with pytest.raises(error, match=match):
        est.fit(_other_form(X_bad, previous), y_bad, sample_weight=sample_weight)

    assert sorted(vars(est)) == state_before
    after = _snapshot(est)
    assert after.keys() == before.keys()
    assert ("feature_names_in_" in after) == (previous == "frame")
    for name in ("coef_", "intercept_", "classes_", "loss_curve_"):
        assert_array_equal(after[name], before[name], err_msg=name)
    if previous == "frame":
        assert_array_equal(after["feature_names_in_"], before["feature_names_in_"])
    for name in ("n_features_in_", "n_iter_", "converged_"):
        assert after[name] == before[name], name
    assert_array_equal(est.predict_proba(X_good), proba_before)


# --------------------------------------------------------------------------
# Predict time
# --------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["binary", "multiclass"])
def fitted(request, iris):
    X, y = iris
    if request.param == "binary":
        y = (y == 2).astype(int)
    return SoftmaxRegression().fit(X, y), X, y


@pytest.mark.parametrize("n_features", [3, 5])
@pytest.mark.parametrize("method", PREDICT_METHODS)
def test_wrong_n_features_at_predict(fitted, method, n_features):
    est, X, _ = fitted
    X_bad = np.ones((4, n_features))
    with pytest.raises(
        ValueError, match=f"X has {n_features} features.*expecting 4 features"
    ):
        getattr(est, method)(X_bad)


def test_wrong_n_features_at_score(fitted):
    est, X, y = fitted
    with pytest.raises(ValueError, match="X has 3 features.*expecting 4 features"):
        est.score(X[:, :3], y)


@pytest.mark.parametrize(
    "value, match",
    [(np.nan, "Input X contains NaN"), (np.inf, "Input X contains infinity")],
)
@pytest.mark.parametrize("method", PREDICT_METHODS)
def test_non_finite_X_at_predict(fitted, method, value, match):
    est, X, _ = fitted
    with pytest.raises(ValueError, match=match):
        getattr(est, method)(_with(X[:5], 2, 0, value))


@pytest.mark.parametrize("method", PREDICT_METHODS)
def test_predict_before_fit(iris, method):
    X, _ = iris
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(SoftmaxRegression(), method)(X)


def test_score_before_fit(iris):
    X, y = iris
    with pytest.raises(NotFittedError, match="not fitted yet"):
        SoftmaxRegression().score(X, y)


# --------------------------------------------------------------------------
# Inputs are not modified
# --------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("class_weight", [None, "balanced", {0: 3.0, 2: 0.5}])
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_sample_weight_is_not_modified(iris, solver, class_weight):
    X, y = iris
    rng = np.random.default_rng(0)
    sample_weight = rng.uniform(0.5, 2.0, size=len(y))
    original = sample_weight.copy()
    # Read-only, so an in-place change would raise rather than pass silently.
    sample_weight.flags.writeable = False
    SoftmaxRegression(solver=solver, class_weight=class_weight, max_iter=20).fit(
        X, y, sample_weight=sample_weight
    )
    assert_array_equal(sample_weight, original)

    writable = original.copy()
    SoftmaxRegression(solver=solver, class_weight=class_weight, max_iter=20).fit(
        X, y, sample_weight=writable
    )
    assert_array_equal(writable, original)


@pytest.mark.parametrize(
    "sample_weight",
    [
        pytest.param([1, 2, 3] * 50, id="int_list"),
        pytest.param(np.arange(1, 151, dtype=np.int64), id="int_array"),
        pytest.param(np.linspace(1, 2, 150, dtype=np.float32), id="float32_array"),
        pytest.param(pd.Series(np.linspace(1, 2, 150)), id="series"),
    ],
)
def test_sample_weight_of_other_types_is_not_modified(iris, sample_weight):
    X, y = iris
    original = np.array(sample_weight, copy=True)
    SoftmaxRegression().fit(X, y, sample_weight=sample_weight)
    assert_array_equal(np.asarray(sample_weight), original)
    assert np.asarray(sample_weight).dtype == original.dtype


def test_sample_weight_rejected_case_is_not_modified(iris):
    X, y = iris
    sample_weight = _weights(len(y), 7, -1.0)
    original = sample_weight.copy()
    with pytest.raises(ValueError, match="negative"):
        SoftmaxRegression().fit(X, y, sample_weight=sample_weight)
    assert_array_equal(sample_weight, original)


def test_X_is_not_modified(iris):
    X, y = iris
    X = X.copy()
    original = X.copy()
    X.flags.writeable = False
    SoftmaxRegression().fit(X, y).predict_proba(X)
    assert_array_equal(X, original)


# --------------------------------------------------------------------------
# Class weights
# --------------------------------------------------------------------------


SKLEARN_WEIGHTED_BALANCED = parse_version(sklearn.__version__) >= parse_version("1.9")


def _unbalanced(iris):
    X, y = iris
    keep = (y != 2) | (np.arange(len(y)) % 4 == 0)  # class 2: 13 rows of 50
    return X[keep], y[keep]


def _tight(**params):
    return SoftmaxRegression(solver="newton-cg", tol=1e-10, max_iter=500, **params)


@pytest.mark.parametrize("kind", ["fit", "partial_fit", "cv"])
@pytest.mark.parametrize("value", [-0.5, np.nan, np.inf])
def test_bad_class_weight_is_refused_like_a_bad_sample_weight(iris, kind, value):
    X, y = iris
    class_weight = {0: 1.0, 1: value, 2: 2.0}
    match = rf"class_weight must be finite and non-negative.*got {value!r} for class 1"
    with pytest.raises(ValueError, match=match):
        if kind == "fit":
            SoftmaxRegression(class_weight=class_weight).fit(X, y)
        elif kind == "partial_fit":
            SoftmaxRegression(class_weight=class_weight).partial_fit(
                X, y, classes=[0, 1, 2]
            )
        else:
            SoftmaxRegressionCV(Cs=[0.1, 1.0], cv=3, class_weight=class_weight).fit(
                X, y
            )


def test_balanced_weights_are_the_weighted_class_counts(iris):
    # scikit-learn's rule, Σ s / (K Σ_{y=k} s), written out here: the fit
    # equals the fit with the product as sample weights.
    X, y = _unbalanced(iris)
    w = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    per_class = w.sum() / (3 * np.array([w[y == k].sum() for k in range(3)]))
    if SKLEARN_WEIGHTED_BALANCED:
        assert_allclose(
            compute_class_weight(
                "balanced", classes=np.arange(3), y=y, sample_weight=w
            ),
            per_class,
        )
    balanced = _tight(class_weight="balanced").fit(X, y, sample_weight=w)
    product = _tight().fit(X, y, sample_weight=w * per_class[y])
    assert_allclose(balanced.coef_, product.coef_, rtol=1e-6, atol=1e-8)
    assert_allclose(balanced.intercept_, product.intercept_, rtol=1e-6, atol=1e-8)


def test_balanced_with_integer_weights_equals_repeated_rows(iris):
    X, y = _unbalanced(iris)
    w = np.random.default_rng(1).integers(0, 4, len(y))
    weighted = _tight(class_weight="balanced").fit(X, y, sample_weight=w)
    rows = np.repeat(np.arange(len(y)), w)
    repeated = _tight(class_weight="balanced").fit(X[rows], y[rows])
    assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-7, atol=1e-9)
    assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-7, atol=1e-9)


@pytest.mark.skipif(
    not SKLEARN_WEIGHTED_BALANCED, reason="balanced from weighted counts: sklearn 1.9"
)
def test_balanced_with_sample_weight_equals_logistic_regression(iris):
    # 3 classes and the same C: the same objective as LogisticRegression's.
    X, y = _unbalanced(iris)
    w = np.random.default_rng(1).integers(0, 4, len(y))
    weighted = _tight(class_weight="balanced").fit(X, y, sample_weight=w)
    reference = LogisticRegression(
        class_weight="balanced", tol=1e-12, max_iter=10_000
    ).fit(X, y, sample_weight=w)
    assert_allclose(
        weighted.predict_proba(X), reference.predict_proba(X), rtol=1e-5, atol=1e-7
    )


# --------------------------------------------------------------------------
# Extreme C and sample weights: α = 1 / (C Σ s) out of float64's range
# --------------------------------------------------------------------------


def _fit_kind(kind, X, y, sample_weight=None, **params):
    if kind == "fit":
        return SoftmaxRegression(**params).fit(X, y, sample_weight=sample_weight)
    if kind == "partial_fit":
        return SoftmaxRegression(**params).partial_fit(
            X, y, classes=[0, 1, 2], sample_weight=sample_weight
        )
    C = params.pop("C", 1.0)
    return SoftmaxRegressionCV(Cs=[C], cv=3, **params).fit(
        X, y, sample_weight=sample_weight
    )


@pytest.mark.parametrize("kind", ["fit", "partial_fit", "cv"])
@pytest.mark.parametrize("solver", SOLVER_NAMES)
@pytest.mark.parametrize("C, weight", [(5e-324, 1.0), (1.0, 5e-324)])
def test_infinite_penalty_strength_is_refused(iris, kind, solver, C, weight):
    # LogisticRegression(C=5e-324) fits on in silence (lbfgs: a meaningless
    # model); here 1 / (C Σ s) is infinite, which is refused up front.
    X, y = iris
    model = SoftmaxRegression(solver=solver, C=C)
    match = r"C \* sum\(sample_weight\) = .* is too small.*larger C or rescale"
    with pytest.raises(ValueError, match=match):
        _fit_kind(kind, X, y, np.full(len(y), weight), solver=solver, C=C)
    with pytest.raises(ValueError, match=match):
        model.fit(X, y, sample_weight=np.full(len(y), weight))
    assert not any(name in vars(model) for name in FITTED_ATTRIBUTES)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("kind", ["fit", "partial_fit", "cv"])
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_huge_C_is_no_penalty_without_warnings(iris, kind, solver):
    # C Σ s overflows: α = 1 / (C Σ s) is below 1e-308, that is 0 (the
    # suite turns RuntimeWarnings into errors).
    X, y = iris
    params = {"solver": solver, "max_iter": 20, "random_state": 0}
    huge = _fit_kind(kind, X, y, C=1e308, **params)
    none = _fit_kind(kind, X, y, C=np.inf, **params)
    assert_allclose(huge.coef_, none.coef_, rtol=1e-12, atol=0)


@pytest.mark.parametrize("kind", ["fit", "partial_fit", "cv"])
@pytest.mark.parametrize("solver", SOLVER_NAMES)
@pytest.mark.parametrize(
    "weight, class_weight, culprit",
    [
        (1e308, None, "sample_weight"),
        (1e10, {0: 1e300, 1: 1.0, 2: 1.0}, "sample_weight times class_weight"),
    ],
)
def test_weights_summing_beyond_float64_are_refused(
    iris, kind, solver, weight, class_weight, culprit
):
    # LogisticRegression fits on with overflow warnings and zero
    # coefficients; the sum is refused, saying how to rescale.
    X, y = iris
    sample_weight = np.full(len(y), weight)
    match = rf"^{culprit} sums to inf.*multiply C by t"
    with pytest.raises(ValueError, match=match):
        _fit_kind(kind, X, y, sample_weight, solver=solver, class_weight=class_weight)


@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_stream_weights_summing_beyond_float64_are_refused(iris, class_weight):
    X, y = iris
    model = SoftmaxRegression(class_weight=class_weight, max_iter=5)
    sample_weight = np.full(len(y), 1e306)  # Σ = 1.5e308 per call
    model.partial_fit(X, y, classes=[0, 1, 2], sample_weight=sample_weight)
    coef = model.coef_.copy()
    with pytest.raises(ValueError, match=r"^sample_weight sums to inf"):
        model.partial_fit(X, y, sample_weight=sample_weight)
    assert_array_equal(model.coef_, coef)


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_non_finite_objective_stops_the_solver(iris, solver, monkeypatch):
    # No valid input reaches it now that α is checked; a penalty whose value
    # is NaN stands in for iterates out of float64's range. Before, some
    # solvers ended with a ConvergenceWarning blaming the line search.
    from sklearn_softmax import _penalties

    monkeypatch.setattr(_penalties.ElasticNet, "value", lambda self, W: np.nan)
    monkeypatch.setattr(_penalties.ElasticNet, "smooth_value", lambda self, W: np.nan)
    X, y = iris
    model = SoftmaxRegression(solver=solver, max_iter=5, random_state=0)
    match = r"objective is nan at (the start|iteration 1).*out of float64's range"
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)
    assert not any(name in vars(model) for name in FITTED_ATTRIBUTES)


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint16, np.int64])
def test_integer_labels_fit_as_their_strings(iris, dtype):
    # Integer labels skip scikit-learn's target-type check (they are always
    # binary or multiclass); the fit must be that of the same labels as text.
    X, y = iris
    y = (y > 0) if dtype is np.bool_ else y.astype(dtype)
    as_text = SoftmaxRegression().fit(X, y.astype(str))
    fitted = SoftmaxRegression().fit(X, y)
    assert_array_equal(fitted.classes_, np.unique(y))
    assert fitted.classes_.dtype == np.asarray(y).dtype
    assert_array_equal(fitted.coef_, as_text.coef_)
    assert_array_equal(fitted.intercept_, as_text.intercept_)


@pytest.mark.parametrize("y", [[0.5, 1.5, 2.0], [0.0, 1.0, np.nan]])
def test_non_integer_float_labels_are_refused(y):
    X = np.arange(6.0).reshape(3, 2)
    with pytest.raises(ValueError, match="Unknown label type|NaN"):
        SoftmaxRegression().fit(X, y)
