"""SoftmaxRegression used the way scikit-learn users use a classifier."""

import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import log_softmax
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._solvers import SOLVERS

SOLVER_NAMES = sorted(SOLVERS)

FITTED_ATTRIBUTES = (
    "classes_",
    "coef_",
    "intercept_",
    "n_iter_",
    "n_features_in_",
    "loss_curve_",
    "converged_",
)


@pytest.fixture(scope="module")
def iris_binary(iris):
    X, y = iris
    return X, (y == 1).astype(int)


@pytest.fixture(scope="module")
def digits():
    """A 4-class, 64-feature subset of digits, 300 samples."""
    X, y = load_digits(n_class=4, return_X_y=True)
    return X[:300] / 16.0, y[:300]


def _problem(request, name):
    return request.getfixturevalue(name)


# --------------------------------------------------------------------------
# Meta-estimators and model selection
# --------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_pipeline_with_standard_scaler(solver):
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), SoftmaxRegression(solver=solver))
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.9
    proba = pipe.predict_proba(X)
    assert proba.shape == (X.shape[0], 3)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(pipe.predict(X), pipe.classes_[proba.argmax(axis=1)])
    clf = pipe[-1]
    assert clf.converged_
    assert clf.n_features_in_ == X.shape[1]


@pytest.mark.parametrize("scoring", [None, "neg_log_loss"])
def test_grid_search_over_C_and_solver(iris, scoring):
    X, y = iris
    param_grid = {"C": [0.1, 1.0, 10.0], "solver": ["newton-cg", "lbfgs"]}
    search = GridSearchCV(
        SoftmaxRegression(max_iter=500),
        param_grid,
        scoring=scoring,
        cv=3,
        n_jobs=2,
        error_score="raise",
    )
    search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (6,)
    assert np.all(np.isfinite(scores))
    if scoring is None:
        assert np.all((scores >= 0) & (scores <= 1))
        assert search.best_score_ > 0.9
    else:
        assert np.all(scores < 0)
    assert search.best_params_["C"] in param_grid["C"]
    assert search.best_params_["solver"] in param_grid["solver"]
    best = search.best_estimator_
    assert isinstance(best, SoftmaxRegression)
    check_is_fitted(best)
    assert best.get_params()["C"] == search.best_params_["C"]
    assert search.predict_proba(X).shape == (X.shape[0], 3)


def test_cross_val_score(iris):
    X, y = iris
    scores = cross_val_score(SoftmaxRegression(), X, y, cv=5)
    assert scores.shape == (5,)
    assert scores.mean() > 0.9


def test_cross_val_score_neg_log_loss_matches_logistic_regression(iris):
    """Three or more classes: the same minimiser as LogisticRegression."""
    X, y = iris
    ours = cross_val_score(
        SoftmaxRegression(tol=1e-8), X, y, cv=3, scoring="neg_log_loss"
    )
    theirs = cross_val_score(
        LogisticRegression(solver="newton-cg", tol=1e-8, max_iter=1000),
        X,
        y,
        cv=3,
        scoring="neg_log_loss",
    )
    assert_allclose(ours, theirs, rtol=1e-4)


# --------------------------------------------------------------------------
# clone and pickle
# --------------------------------------------------------------------------


def test_clone_copies_params_not_fitted_state(iris):
    X, y = iris
    params = dict(
        C=0.5,
        fit_intercept=False,
        solver="lbfgs",
        tol=1e-6,
        max_iter=321,
        class_weight="balanced",
        warm_start=True,
        random_state=7,
        verbose=0,
    )
    est = SoftmaxRegression(**params)
    unfitted = clone(est)
    assert unfitted is not est
    assert unfitted.get_params() == est.get_params()
    for name, value in params.items():
        assert getattr(unfitted, name) == value

    est.fit(X, y)
    fitted_clone = clone(est)
    assert fitted_clone.get_params() == est.get_params()
    for attr in (*FITTED_ATTRIBUTES, "feature_names_in_"):
        assert not hasattr(fitted_clone, attr), attr
    with pytest.raises(NotFittedError):
        fitted_clone.predict(X)
    # The original is untouched by cloning.
    check_is_fitted(est)
    assert est.coef_.shape == (3, X.shape[1])


@pytest.mark.parametrize("problem", ["iris", "iris_binary"])
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_pickle_round_trip(request, problem, solver):
    X, y = _problem(request, problem)
    est = SoftmaxRegression(solver=solver).fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    assert restored.get_params() == est.get_params()
    for attr in ("classes_", "coef_", "intercept_"):
        assert_array_equal(getattr(restored, attr), getattr(est, attr))
    assert restored.n_iter_ == est.n_iter_
    assert restored.n_features_in_ == est.n_features_in_
    assert restored.converged_ == est.converged_
    assert list(restored.loss_curve_) == list(est.loss_curve_)
    assert_array_equal(restored.predict_proba(X), est.predict_proba(X))
    assert_array_equal(restored.predict(X), est.predict(X))


# --------------------------------------------------------------------------
# pandas
# --------------------------------------------------------------------------

COLUMNS = ["sepal length", "sepal width", "petal length", "petal width"]


@pytest.fixture(scope="module")
def iris_frame(iris):
    X, y = iris
    return pd.DataFrame(X, columns=COLUMNS), y


def test_dataframe_input_sets_feature_names(iris_frame):
    X_df, y = iris_frame
    est = SoftmaxRegression().fit(X_df, y)
    assert_array_equal(est.feature_names_in_, COLUMNS)
    assert est.n_features_in_ == len(COLUMNS)

    from_array = SoftmaxRegression().fit(X_df.to_numpy(), y)
    assert not hasattr(from_array, "feature_names_in_")
    assert_allclose(est.coef_, from_array.coef_)

    # A DataFrame with the same columns predicts like the array does.
    assert_array_equal(est.predict(X_df), from_array.predict(X_df.to_numpy()))
    assert_allclose(est.predict_proba(X_df), from_array.predict_proba(X_df.to_numpy()))


def test_dataframe_with_non_string_columns_sets_no_feature_names(iris):
    X, y = iris
    est = SoftmaxRegression().fit(pd.DataFrame(X), y)
    assert not hasattr(est, "feature_names_in_")
    assert est.n_features_in_ == X.shape[1]


def _sklearn_outcome(estimator, X_fit, y, X_predict):
    """What ``predict`` does after fitting: an exception or warnings, as text."""
    name = type(estimator).__name__
    estimator.fit(X_fit, y)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            estimator.predict(X_predict)
        except ValueError as exc:
            return ("raises", type(exc), str(exc).replace(name, "<est>"))
    return (
        "warns",
        sorted(
            (w.category.__name__, str(w.message).replace(name, "<est>")) for w in record
        ),
    )


MISMATCHES = {
    "reordered": (
        lambda df: df[COLUMNS[::-1]],
        ValueError,
        "Feature names must be in the same order",
    ),
    "renamed": (
        lambda df: df.rename(columns={COLUMNS[0]: "unseen"}),
        ValueError,
        "Feature names unseen at fit time",
    ),
    "array": (lambda df: df.to_numpy(), UserWarning, "does not have valid feature"),
}


@pytest.mark.parametrize("mismatch", sorted(MISMATCHES))
def test_dataframe_column_mismatch_at_predict(iris_frame, mismatch):
    X_df, y = iris_frame
    transform, category, message = MISMATCHES[mismatch]
    est = SoftmaxRegression().fit(X_df, y)
    X_bad = transform(X_df)
    if issubclass(category, Warning):
        with pytest.warns(category, match=message):
            est.predict(X_bad)
    else:
        with pytest.raises(category, match=message):
            est.predict(X_bad)
    # Exactly what LogisticRegression does, up to the class name.
    assert _sklearn_outcome(SoftmaxRegression(), X_df, y, X_bad) == _sklearn_outcome(
        LogisticRegression(solver="newton-cg"), X_df, y, X_bad
    )


def test_fitted_on_array_predict_on_dataframe_warns(iris_frame):
    X_df, y = iris_frame
    est = SoftmaxRegression().fit(X_df.to_numpy(), y)
    with pytest.warns(UserWarning, match="fitted without feature names"):
        est.predict(X_df)
    assert _sklearn_outcome(
        SoftmaxRegression(), X_df.to_numpy(), y, X_df
    ) == _sklearn_outcome(
        LogisticRegression(solver="newton-cg"), X_df.to_numpy(), y, X_df
    )


@pytest.mark.parametrize("categorical", [False, True])
def test_series_y_with_string_labels(iris_frame, categorical):
    X_df, y = iris_frame
    names = np.array(["setosa", "versicolor", "virginica"])
    y_series = pd.Series(names[y], name="species")
    if categorical:
        y_series = y_series.astype("category")
    est = SoftmaxRegression().fit(X_df, y_series)
    assert_array_equal(est.classes_, names)
    pred = est.predict(X_df)
    assert set(pred) <= set(names)
    assert np.mean(pred == names[y]) > 0.9
    assert est.score(X_df, y_series) > 0.9


# --------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------

LABELINGS = {
    "strings": np.array(["virginica", "setosa", "versicolor"]),
    "non_contiguous_ints": np.array([100, -3, 7]),
    "integral_floats": np.array([2.0, -1.0, 0.0]),
}


@pytest.mark.parametrize("labeling", sorted(LABELINGS))
def test_labels_are_sorted_and_returned(iris, labeling):
    X, y = iris
    mapping = LABELINGS[labeling]
    y_mapped = mapping[y]
    base = SoftmaxRegression(tol=1e-10).fit(X, y)
    est = SoftmaxRegression(tol=1e-10).fit(X, y_mapped)

    assert_array_equal(est.classes_, np.sort(mapping))
    assert est.classes_.dtype.kind == mapping.dtype.kind
    pred = est.predict(X)
    assert pred.dtype.kind == mapping.dtype.kind
    assert_array_equal(pred, mapping[base.predict(X)])

    # The columns of predict_proba follow classes_: a permutation of base's.
    order = np.argsort(mapping)  # classes_[j] == mapping[order[j]]
    assert_allclose(est.predict_proba(X), base.predict_proba(X)[:, order], atol=1e-6)
    assert_allclose(
        est.decision_function(X), base.decision_function(X)[:, order], atol=1e-5
    )
    assert est.score(X, y_mapped) == pytest.approx(base.score(X, y))


@pytest.mark.parametrize("labels", [np.array(["no", "yes"]), np.array([-5, 40])])
def test_binary_labels_positive_decision_is_second_class(iris_binary, labels):
    X, y = iris_binary
    est = SoftmaxRegression().fit(X, labels[y])
    assert_array_equal(est.classes_, np.sort(labels))
    d = est.decision_function(X)
    assert_array_equal(est.predict(X), est.classes_[(d > 0).astype(int)])


# --------------------------------------------------------------------------
# Shapes and the relations between the prediction methods
# --------------------------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_shapes(n_classes, fit_intercept):
    X, y = make_classification(
        n_samples=120,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        random_state=0,
    )
    est = SoftmaxRegression(fit_intercept=fit_intercept).fit(X, y)
    n_rows = 1 if n_classes == 2 else n_classes
    assert est.classes_.shape == (n_classes,)
    assert est.coef_.shape == (n_rows, 6)
    assert est.intercept_.shape == (n_rows,)
    if not fit_intercept:
        assert_array_equal(est.intercept_, 0.0)

    X_new = X[:7]
    d = est.decision_function(X_new)
    assert d.shape == ((7,) if n_classes == 2 else (7, n_classes))
    scores = X_new @ est.coef_.T + est.intercept_
    assert_allclose(d, scores[:, 0] if n_classes == 2 else scores)
    assert est.predict_proba(X_new).shape == (7, n_classes)
    assert est.predict_log_proba(X_new).shape == (7, n_classes)
    assert est.predict(X_new).shape == (7,)
    assert_allclose(est.predict_proba(X_new).sum(axis=1), 1.0)
    if n_classes == 2:
        assert_array_equal(est.predict(X_new), est.classes_[(d > 0).astype(int)])
    else:
        assert_array_equal(est.predict(X_new), est.classes_[d.argmax(axis=1)])


def _all_logits(est, X):
    d = est.decision_function(X)
    return np.column_stack([np.zeros_like(d), d]) if d.ndim == 1 else d


@pytest.mark.parametrize("problem", ["iris", "iris_binary", "digits"])
def test_predict_log_proba_is_log_softmax(request, problem):
    X, y = _problem(request, problem)
    est = SoftmaxRegression().fit(X, y)
    log_proba = est.predict_log_proba(X)
    assert_allclose(log_proba, log_softmax(_all_logits(est, X), axis=1), atol=1e-12)
    assert_allclose(np.exp(log_proba), est.predict_proba(X), rtol=1e-12, atol=1e-15)


SEPARATED = {
    "binary": (np.array([[-2.0], [-1.0], [1.0], [2.0]]), np.array([0, 0, 1, 1])),
    "multiclass": (
        np.array([[-3, 0], [-2, 0], [0, 3], [0, 2], [3, 0], [2, 0.0]]),
        np.array([0, 0, 1, 1, 2, 2]),
    ),
}


@pytest.mark.parametrize("solver", SOLVER_NAMES)
@pytest.mark.parametrize("problem", sorted(SEPARATED))
def test_predict_log_proba_finite_where_proba_underflows(problem, solver):
    X, y = SEPARATED[problem]
    est = SoftmaxRegression(C=1e4, solver=solver, max_iter=2000).fit(X, y)
    far = X[:1] * 1000.0
    proba = est.predict_proba(far)
    assert np.any(proba == 0.0), "the test needs a probability that underflows"
    log_proba = est.predict_log_proba(far)
    assert np.all(np.isfinite(log_proba))
    expected = log_softmax(_all_logits(est, far), axis=1)
    assert_allclose(log_proba, expected, rtol=1e-12)
    assert np.all(log_proba[proba == 0.0] < -700)


# --------------------------------------------------------------------------
# Solver reporting: verbose, convergence, loss curve, warm start
# --------------------------------------------------------------------------

_FLOAT = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_verbose_prints_objective_each_iteration(iris, capsys, solver):
    X, y = iris
    est = SoftmaxRegression(solver=solver, verbose=1).fit(X, y)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert est.n_iter_ > 0
    assert len(lines) == est.n_iter_
    for line, value in zip(lines, est.loss_curve_, strict=True):
        printed = float(_FLOAT.findall(line)[-1])
        assert printed == pytest.approx(value, rel=1e-8)


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_not_verbose_prints_nothing(iris, capsys, solver):
    X, y = iris
    SoftmaxRegression(solver=solver).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == ""


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_convergence_warning_when_max_iter_is_hit(iris, solver):
    X, y = iris
    est = SoftmaxRegression(solver=solver, max_iter=1, tol=1e-10)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        est.fit(X, y)
    assert not est.converged_
    assert est.n_iter_ == 1
    assert len(est.loss_curve_) == 1
    check_is_fitted(est)


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_max_iter_zero_does_not_iterate(iris, solver):
    X, y = iris
    est = SoftmaxRegression(solver=solver, max_iter=0)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    assert est.n_iter_ == 0
    assert len(est.loss_curve_) == 0
    assert not est.converged_
    assert_array_equal(est.coef_, 0.0)
    assert_array_equal(est.intercept_, 0.0)


@pytest.mark.parametrize("solver", SOLVER_NAMES)
@pytest.mark.parametrize("problem", ["iris", "iris_binary", "digits"])
def test_converges_and_loss_curve_matches_n_iter(request, problem, solver):
    X, y = _problem(request, problem)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = SoftmaxRegression(solver=solver, max_iter=1000).fit(X, y)
    assert est.converged_
    assert 0 < est.n_iter_ <= 1000
    assert len(est.loss_curve_) == est.n_iter_
    assert all(np.isfinite(est.loss_curve_))
    assert est.loss_curve_[-1] <= est.loss_curve_[0]


@pytest.mark.parametrize("solver", SOLVER_NAMES)
@pytest.mark.parametrize("problem", ["iris", "iris_binary"])
def test_warm_start_restarts_from_solution(request, problem, solver):
    X, y = _problem(request, problem)
    est = SoftmaxRegression(
        solver=solver, warm_start=True, tol=1e-6, max_iter=1000, random_state=0
    )
    est.fit(X, y)
    assert est.converged_
    cold_iter = est.n_iter_
    coef, intercept = est.coef_.copy(), est.intercept_.copy()

    est.fit(X, y)
    assert est.converged_
    assert est.n_iter_ <= 1
    assert est.n_iter_ < cold_iter
    assert len(est.loss_curve_) == est.n_iter_
    assert_allclose(est.coef_, coef, rtol=1e-5, atol=1e-6)
    assert_allclose(est.intercept_, intercept, rtol=1e-5, atol=1e-6)

    # Without warm_start the same fit starts from zero again.
    est.set_params(warm_start=False).fit(X, y)
    assert est.n_iter_ == cold_iter
    assert_allclose(est.coef_, coef)


def test_warm_start_with_new_classes_starts_cold(iris):
    X, y = iris
    est = SoftmaxRegression(warm_start=True).fit(X, y)
    mask = y < 2
    est.fit(X[mask], y[mask])
    assert est.coef_.shape == (1, X.shape[1])
    cold = SoftmaxRegression().fit(X[mask], y[mask])
    assert_allclose(est.coef_, cold.coef_)
    assert est.n_iter_ == cold.n_iter_
