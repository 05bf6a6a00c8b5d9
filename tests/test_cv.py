"""SoftmaxRegressionCV against fits and scores computed fold by fold."""

import functools
import inspect
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import get_scorer, log_loss
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_softmax import SoftmaxRegression, SoftmaxRegressionCV
from sklearn_softmax._solvers import SOLVERS

TIGHT = {"tol": 1e-10, "max_iter": 1000}
# A proximal-gradient solver needs more, cheaper, iterations.
L1_TIGHT = {"tol": 1e-8, "max_iter": 10_000}
# Solvers that accept an L1 term; the tests that need one run once one exists.
L1_SOLVERS = sorted(name for name, solver in SOLVERS.items() if not solver.smooth_only)
needs_l1 = pytest.mark.skipif(
    not L1_SOLVERS, reason="no registered solver accepts l1_ratio > 0"
)
SHARED = (
    "fit_intercept",
    "solver",
    "tol",
    "max_iter",
    "class_weight",
    "random_state",
    "verbose",
)


@functools.cache
def dataset(name):
    if name == "iris":
        X, y = load_iris(return_X_y=True)
        return StandardScaler().fit_transform(X), y
    if name == "binary":
        X, y = load_iris(return_X_y=True)
        return StandardScaler().fit_transform(X), (y == 1).astype(int)
    return make_classification(
        n_samples=120, n_features=8, n_informative=4, n_classes=4, random_state=0
    )


def sample_weights(n):
    return np.random.default_rng(0).uniform(0.2, 3.0, size=n)


def best_constant_gradient(X, y, s, fit_intercept):
    """``∇_W Σ s ℓ`` at ``W = 0`` with the best constant intercept, in float64."""
    classes, y_index = np.unique(y, return_inverse=True)
    Y = np.eye(classes.shape[0])[y_index]
    if fit_intercept:
        p = s @ Y / s.sum()  # the weighted class shares: the model's probabilities
    else:
        p = np.full(classes.shape[0], 1.0 / classes.shape[0])
    return X.T @ (s[:, None] * (p - Y))


# --------------------------------------------------------------------------
# The path
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["iris", "binary", "classification"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_path_starts_at_the_l1_bound_and_spans_four_decades(
    name, fit_intercept, weighted
):
    X, y = dataset(name)
    s = sample_weights(y.shape[0]) if weighted else None
    clf = SoftmaxRegressionCV(Cs=5, cv=3, fit_intercept=fit_intercept)
    clf.fit(X, y, sample_weight=s)
    ones = np.ones(y.shape[0])
    G = best_constant_gradient(X, y, ones if s is None else s, fit_intercept)
    path = clf.Cs_[:, 0]
    assert clf.Cs_.shape == (5, 1)
    assert_allclose(path[0], 1.0 / np.abs(G).max(), rtol=1e-10)
    assert_allclose(path, path[0] * np.logspace(0, 4, 5), rtol=1e-12)


def test_path_scales_with_l1_ratio():
    X, y = dataset("iris")
    l2 = SoftmaxRegressionCV(Cs=4, cv=2).fit(X, y).Cs_
    ratios = [0.0, 0.25, 1.0] if L1_SOLVERS else [0.0]
    solver = L1_SOLVERS[0] if L1_SOLVERS else "newton-cg"
    clf = SoftmaxRegressionCV(Cs=4, cv=2, l1_ratios=ratios, solver=solver).fit(X, y)
    # C_min = ρ / max |G|, with ρ = 1 standing in for ρ = 0.
    expected = l2 * np.where(np.array(ratios) > 0, ratios, 1.0)
    assert_allclose(clf.Cs_, expected, rtol=1e-12)


@needs_l1
@pytest.mark.parametrize("name", ["iris", "binary", "classification"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_first_C_of_the_path_zeroes_every_coefficient(name, l1_ratio):
    X, y = dataset(name)
    solver = L1_SOLVERS[0]
    clf = SoftmaxRegressionCV(Cs=3, cv=2, l1_ratios=[l1_ratio], solver=solver)
    C_min = clf.fit(X, y).Cs_[0, 0]
    fit = SoftmaxRegression(l1_ratio=l1_ratio, solver=solver, tol=1e-8, max_iter=5000)
    assert np.count_nonzero(fit.set_params(C=C_min).fit(X, y).coef_) == 0
    assert np.count_nonzero(fit.set_params(C=1.02 * C_min).fit(X, y).coef_) > 0


@needs_l1
def test_l1_path_gets_denser_and_the_best_pair_is_refitted():
    X, y = dataset("classification")
    solver = L1_SOLVERS[0]
    clf = SoftmaxRegressionCV(
        Cs=4, cv=3, l1_ratios=[0.0, 1.0], solver=solver, **L1_TIGHT
    ).fit(X, y)
    nonzero = clf.n_nonzero_paths_[:, :, 1].mean(axis=0)
    assert nonzero[0] < X.shape[1] and np.all(np.diff(nonzero) >= 0)
    assert np.all(clf.n_nonzero_paths_[:, :, 0] == X.shape[1])
    i, j = np.unravel_index(clf.scores_.mean(axis=0).argmax(), clf.Cs_.shape)
    assert (clf.C_, clf.l1_ratio_) == (clf.Cs_[i, j], clf.l1_ratios_[j])
    plain = SoftmaxRegression(
        C=clf.C_, l1_ratio=clf.l1_ratio_, solver=solver, **L1_TIGHT
    ).fit(X, y)
    assert_allclose(clf.coef_, plain.coef_, atol=1e-6)


def test_explicit_Cs_are_fitted_in_increasing_order():
    X, y = dataset("iris")
    clf = SoftmaxRegressionCV(Cs=[10.0, 0.1, 1.0], cv=3).fit(X, y)
    assert_array_equal(clf.Cs_[:, 0], [0.1, 1.0, 10.0])
    assert clf.C_ in (0.1, 1.0, 10.0)
    assert clf.scores_.shape == (3, 3, 1)


def test_l1_ratios_none_is_l2():
    X, y = dataset("iris")
    default = SoftmaxRegressionCV(Cs=3, cv=3).fit(X, y)
    explicit = SoftmaxRegressionCV(Cs=3, cv=3, l1_ratios=[0.0]).fit(X, y)
    assert_array_equal(default.l1_ratios_, [0.0])
    assert default.l1_ratio_ == 0.0
    assert_array_equal(default.scores_, explicit.scores_)
    assert_array_equal(default.coef_, explicit.coef_)


# --------------------------------------------------------------------------
# Scores and the choice of C
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["iris", "binary"])
@pytest.mark.parametrize("scoring", [None, "accuracy"])
@pytest.mark.parametrize("weighted", [False, True])
def test_scores_equal_fold_by_fold_fits(name, scoring, weighted):
    X, y = dataset(name)
    s = sample_weights(y.shape[0]) if weighted else None
    cv = KFold(3, shuffle=True, random_state=0)
    clf = SoftmaxRegressionCV(Cs=4, cv=cv, scoring=scoring, **TIGHT)
    clf.fit(X, y, sample_weight=s)
    scorer = get_scorer(scoring or "neg_log_loss")
    for f, (train, test) in enumerate(cv.split(X, y)):
        for i, C in enumerate(clf.Cs_[:, 0]):
            fold = SoftmaxRegression(C=C, **TIGHT)
            kwargs = {} if s is None else {"sample_weight": s[train]}
            fold.fit(X[train], y[train], **kwargs)
            kwargs = {} if s is None else {"sample_weight": s[test]}
            expected = scorer(fold, X[test], y[test], **kwargs)
            assert_allclose(clf.scores_[f, i, 0], expected, rtol=1e-6, atol=1e-9)
            params = np.hstack([fold.coef_, fold.intercept_[:, None]])
            assert clf.coefs_paths_.shape[-2:] == params.shape
            assert_allclose(clf.coefs_paths_[f, i, 0], params, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("Cs", [5, [0.01, 0.1, 1.0, 10.0]])
def test_C_is_the_argmax_of_the_mean_score(Cs):
    X, y = dataset("classification")
    clf = SoftmaxRegressionCV(Cs=Cs, cv=4).fit(X, y)
    mean = clf.scores_.mean(axis=0)
    assert clf.scores_.shape == (4, clf.Cs_.shape[0], 1)
    assert clf.C_ == clf.Cs_[mean[:, 0].argmax(), 0]
    assert mean[:, 0].max() == mean.max()


@pytest.mark.parametrize("name", ["iris", "binary", "classification"])
@pytest.mark.parametrize("weighting", ["none", "sample_weight", "class_weight"])
def test_refit_equals_a_plain_fit_at_the_best_C(name, weighting):
    X, y = dataset(name)
    s = sample_weights(y.shape[0]) if weighting == "sample_weight" else None
    cw = {c: 1.0 + c for c in np.unique(y)} if weighting == "class_weight" else None
    clf = SoftmaxRegressionCV(Cs=4, cv=3, class_weight=cw, **TIGHT)
    clf.fit(X, y, sample_weight=s)
    plain = SoftmaxRegression(C=clf.C_, class_weight=cw, **TIGHT)
    plain.fit(X, y, sample_weight=s)
    assert_allclose(clf.coef_, plain.coef_, rtol=1e-7, atol=1e-9)
    assert_allclose(clf.intercept_, plain.intercept_, rtol=1e-7, atol=1e-9)
    assert_allclose(clf.predict_proba(X), plain.predict_proba(X), atol=1e-9)
    assert_array_equal(clf.predict(X), plain.predict(X))


@pytest.mark.parametrize("name", ["iris", "binary"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_refit_false_averages_the_folds_at_the_best_C(name, fit_intercept):
    X, y = dataset(name)
    clf = SoftmaxRegressionCV(Cs=4, cv=3, refit=False, fit_intercept=fit_intercept)
    clf.fit(X, y)
    i = np.flatnonzero(clf.Cs_[:, 0] == clf.C_)[0]
    mean = clf.coefs_paths_[:, i, 0].mean(axis=0)
    M = X.shape[1]
    assert_allclose(clf.coef_, mean[:, :M], rtol=1e-12)
    intercept = mean[:, M] if fit_intercept else np.zeros(mean.shape[0])
    assert_allclose(clf.intercept_, intercept, rtol=1e-12)


def test_class_weight_equals_the_equivalent_sample_weight_in_the_fits():
    X, y = dataset("iris")
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    weights = np.array([class_weight[c] for c in y])
    by_class = SoftmaxRegressionCV(Cs=3, cv=3, class_weight=class_weight).fit(X, y)
    by_sample = SoftmaxRegressionCV(Cs=3, cv=3).fit(X, y, sample_weight=weights)
    assert_allclose(by_class.Cs_, by_sample.Cs_, rtol=1e-12)
    assert_allclose(by_class.coefs_paths_, by_sample.coefs_paths_, rtol=1e-8)
    # The scorer sees sample weights, never class weights.
    assert not np.allclose(by_class.scores_, by_sample.scores_)


def test_sample_weight_is_not_passed_to_a_scorer_without_it():
    X, y = dataset("iris")

    def accuracy(estimator, X, y):
        return float(np.mean(estimator.predict(X) == y))

    clf = SoftmaxRegressionCV(Cs=3, cv=3, scoring=accuracy)
    clf.fit(X, y, sample_weight=sample_weights(y.shape[0]))
    assert np.all((clf.scores_ >= 0) & (clf.scores_ <= 1))
    assert clf.score(X, y, sample_weight=np.ones(y.shape[0])) == accuracy(clf, X, y)


def test_score_uses_the_scoring():
    X, y = dataset("iris")
    clf = SoftmaxRegressionCV(Cs=3, cv=3).fit(X, y)
    s = sample_weights(y.shape[0])
    expected = -log_loss(y, clf.predict_proba(X), sample_weight=s)
    assert_allclose(clf.score(X, y, sample_weight=s), expected, rtol=1e-12)


def test_n_jobs_2_equals_n_jobs_1():
    X, y = dataset("classification")
    one = SoftmaxRegressionCV(Cs=4, cv=3, n_jobs=1).fit(X, y)
    two = SoftmaxRegressionCV(Cs=4, cv=3, n_jobs=2).fit(X, y)
    for name in ("Cs_", "scores_", "coefs_paths_", "coef_", "intercept_"):
        assert_allclose(getattr(two, name), getattr(one, name), rtol=1e-12)
    assert two.C_ == one.C_
    assert_array_equal(two.n_iter_, one.n_iter_)


# --------------------------------------------------------------------------
# Folds, shapes, input types
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["iris", "binary"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_shapes(name, fit_intercept):
    X, y = dataset(name)
    n_classes = np.unique(y).shape[0]
    rows = 1 if n_classes == 2 else n_classes
    clf = SoftmaxRegressionCV(Cs=3, cv=4, fit_intercept=fit_intercept).fit(X, y)
    n_dof = X.shape[1] + int(fit_intercept)
    assert clf.coefs_paths_.shape == (4, 3, 1, rows, n_dof)
    assert clf.n_nonzero_paths_.shape == clf.n_iter_.shape == (4, 3, 1)
    assert clf.coef_.shape == (rows, X.shape[1])
    assert clf.intercept_.shape == (rows,)
    assert isinstance(clf.C_, float) and isinstance(clf.l1_ratio_, float)
    assert clf.predict_proba(X).shape == (X.shape[0], n_classes)
    expected = (X.shape[0],) if n_classes == 2 else (X.shape[0], n_classes)
    assert clf.decision_function(X).shape == expected
    # L2 leaves every feature in.
    assert np.all(clf.n_nonzero_paths_ == X.shape[1])


def test_a_class_missing_from_a_training_fold_gets_probability_zero():
    X, y = dataset("iris")
    keep = np.r_[0:40, 50:90, 100:150]  # class 2 only in the last 50 samples
    X, y = X[keep], y[keep]
    folds = [
        (np.arange(0, 80), np.arange(80, 130)),
        (np.arange(40, 130), np.arange(40)),
    ]
    clf = SoftmaxRegressionCV(Cs=3, cv=folds, refit=False).fit(X, y)
    assert np.all(np.isfinite(clf.scores_))
    assert np.all(clf.coefs_paths_[0, :, 0, 2, -1] == -np.inf)
    assert np.all(clf.coefs_paths_[0, :, 0, 2, :-1] == 0)
    # Class 2's mean is over the one fold that saw it.
    i = np.flatnonzero(clf.Cs_[:, 0] == clf.C_)[0]
    assert_allclose(clf.coef_[2], clf.coefs_paths_[1, i, 0, 2, :-1])
    assert np.all(np.isfinite(clf.intercept_))
    assert set(clf.predict(X)) == {0, 1, 2}


@pytest.mark.parametrize("smallest", [1, 2, 3, 7])
def test_default_cv_copes_with_tiny_classes(smallest):
    X, y = dataset("iris")
    keep = np.r_[0:smallest, 50:150]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Two folds cannot both train on a class of one sample, and say so.
        if smallest == 1:
            warnings.filterwarnings("ignore", "The least populated class")
        clf = SoftmaxRegressionCV(Cs=2).fit(X[keep], y[keep])
    assert clf.scores_.shape[0] == min(5, max(2, smallest))
    assert np.all(np.isfinite(clf.scores_))
    assert_array_equal(clf.classes_, [0, 1, 2])


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix])
def test_sparse_input_gives_the_dense_result(container):
    X, y = dataset("iris")
    dense = SoftmaxRegressionCV(Cs=3, cv=3, **TIGHT).fit(X, y)
    sparse = SoftmaxRegressionCV(Cs=3, cv=3, **TIGHT).fit(container(X), y)
    assert_allclose(sparse.Cs_, dense.Cs_, rtol=1e-12)
    assert_allclose(sparse.scores_, dense.scores_, rtol=1e-8)
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-8)


def test_float32_is_fitted_in_float32():
    X, y = dataset("iris")
    clf = SoftmaxRegressionCV(Cs=3, cv=3).fit(X.astype(np.float32), y)
    assert clf.coef_.dtype == clf.coefs_paths_.dtype == np.float32
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32


def test_dataframe_sets_feature_names_and_string_labels_work():
    X, y = dataset("iris")
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = SoftmaxRegressionCV(Cs=2, cv=3).fit(frame, labels)
    assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    assert_array_equal(clf.classes_, ["setosa", "versicolor", "virginica"])
    assert set(clf.predict(frame)) <= set(labels)


def test_convergence_warning_summarises_the_path():
    X, y = dataset("iris")
    with pytest.warns(ConvergenceWarning, match="fits of the path did not converge"):
        SoftmaxRegressionCV(Cs=3, cv=3, max_iter=1, refit=False).fit(X, y)


def test_shared_parameters_mirror_softmax_regression():
    cv_params = inspect.signature(SoftmaxRegressionCV).parameters
    plain_params = inspect.signature(SoftmaxRegression).parameters
    for name in SHARED:
        assert cv_params[name].default == plain_params[name].default, name
        assert (
            SoftmaxRegressionCV._parameter_constraints[name]
            == SoftmaxRegression._parameter_constraints[name]
        )


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"Cs": 0}, InvalidParameterError, "'Cs' parameter"),
        ({"Cs": [1.0, -1.0]}, ValueError, "Cs must be"),
        ({"Cs": []}, ValueError, "Cs must be"),
        (
            {"l1_ratios": [0.5, 1.5]},
            ValueError,
            re.escape("l1_ratios must lie in [0, 1]"),
        ),
        ({"l1_ratios": []}, ValueError, "non-empty 1-D"),
        ({"scoring": "bogus"}, InvalidParameterError, "'scoring' parameter"),
        ({"solver": "bogus"}, InvalidParameterError, "'solver' parameter"),
        ({"cv": 1}, ValueError, "n_splits"),
    ],
)
def test_bad_parameters_raise_clear_errors(params, error, match):
    X, y = dataset("iris")
    clf = SoftmaxRegressionCV(**params)
    with pytest.raises(error, match=match):
        clf.fit(X, y)
    assert not hasattr(clf, "classes_")


def test_l1_ratio_with_a_smooth_only_solver_is_refused():
    X, y = dataset("iris")
    smooth = next(name for name, s in SOLVERS.items() if s.smooth_only)
    clf = SoftmaxRegressionCV(Cs=2, l1_ratios=[0.0, 0.5], solver=smooth)
    with pytest.raises(ValueError, match=f"solver='{smooth}' supports only"):
        clf.fit(X, y)


def test_bad_data_raises_clear_errors():
    X, y = dataset("iris")
    clf = SoftmaxRegressionCV(Cs=2, cv=3)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(X_nan, y)
    with pytest.raises(ValueError, match="only one class"):
        clf.fit(X, np.zeros_like(y))
    with pytest.raises(ValueError, match="non-negative"):
        clf.fit(X, y, sample_weight=-np.ones(y.shape[0]))
    with pytest.raises(ValueError, match="fewer than 2 classes"):
        clf.set_params(cv=[(np.arange(50), np.arange(50, 150))]).fit(X, y)
    assert not hasattr(clf, "classes_")
    with pytest.raises(ValueError, match="in no training part"):
        folds = [(np.arange(100), np.arange(100, 150))]
        clf.set_params(cv=folds).fit(X, y)
    clf.set_params(cv=StratifiedKFold(3)).fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(X[:, :3])
