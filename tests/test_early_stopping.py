"""Early stopping: every solver stops on a held-out score and keeps its best
iterate, which equals the iterate of a plain fit on the same training rows."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._backends._inputs import validation_split
from sklearn_softmax._solvers import SOLVERS

SOLVER_NAMES = sorted(SOLVERS)
MAX_ITER = 500


def overfitting_problem():
    """Few samples, many noise features: with a weak penalty it overfits."""
    rng = np.random.default_rng(0)
    N, M = 300, 200
    X = rng.normal(size=(N, M))
    z = X[:, 0] + X[:, 1] + 0.5 * rng.normal(size=N)
    y = (z > 0).astype(int) + (X[:, 2] > 1)
    return X, y


def early_stopper(solver, **params):
    params = {
        "C": 1e4,
        "solver": solver,
        "early_stopping": True,
        "validation_fraction": 0.3,
        "random_state": 0,
        "max_iter": MAX_ITER,
        **params,
    }
    return SoftmaxRegression(**params)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_stops_early_and_keeps_the_best_iterate(solver, weighted):
    X, y = overfitting_problem()
    w = (
        np.random.default_rng(1).uniform(0.5, 2.0, size=y.shape[0])
        if weighted
        else None
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = early_stopper(solver).fit(X, y, sample_weight=w)
    assert model.n_iter_ < MAX_ITER
    assert not model.converged_
    assert len(model.validation_scores_) == model.n_iter_ == len(model.loss_curve_)
    assert model.best_validation_score_ == max(model.validation_scores_)

    # The same split, recomputed: a plain fit on the training rows, stopped at
    # the best iteration, gives the kept coefficients.
    y_index = np.unique(y, return_inverse=True)[1]
    train, held = validation_split(y_index, 0.3, 0)
    best = int(np.argmax(model.validation_scores_)) + 1
    plain = SoftmaxRegression(C=1e4, solver=solver, random_state=0, max_iter=best)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain.fit(X[train], y[train], None if w is None else w[train])
    assert_allclose(model.coef_, plain.coef_, rtol=1e-10, atol=1e-12)
    assert_allclose(model.intercept_, plain.intercept_, rtol=1e-10, atol=1e-12)
    # The score is the (weighted) accuracy on the held-out rows.
    held_weight = None if w is None else w[held]
    assert model.best_validation_score_ == pytest.approx(
        model.score(X[held], y[held], sample_weight=held_weight)
    )


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_deterministic_for_a_fixed_random_state(solver):
    X, y = overfitting_problem()
    first = early_stopper(solver).fit(X, y)
    second = early_stopper(solver).fit(X, y)
    assert first.validation_scores_ == second.validation_scores_
    assert_array_equal(first.coef_, second.coef_)


def test_scalar_sample_weight_is_the_same_weight_for_every_sample():
    X, y = overfitting_problem()
    scalar = early_stopper("lbfgs").fit(X, y, sample_weight=2.0)
    full = early_stopper("lbfgs").fit(X, y, sample_weight=np.full(y.shape[0], 2.0))
    assert scalar.validation_scores_ == full.validation_scores_
    assert_array_equal(scalar.coef_, full.coef_)


def test_split_is_stratified_and_seeded():
    y_index = np.repeat([0, 1, 2], [50, 30, 20])
    train, held = validation_split(y_index, 0.1, 0)
    assert_array_equal(np.bincount(y_index[held]), [5, 3, 2])
    assert np.intersect1d(train, held).size == 0
    assert train.size + held.size == y_index.size
    assert_array_equal(held, validation_split(y_index, 0.1, 0)[1])


def test_without_early_stopping_nothing_is_held_out():
    X, y = overfitting_problem()
    model = SoftmaxRegression(C=1e4, max_iter=MAX_ITER).fit(X, y)
    assert model.validation_scores_ is None
    assert model.best_validation_score_ is None
    # Refitting without it clears the previous fit's scores.
    model.set_params(early_stopping=True, random_state=0).fit(X, y)
    assert model.validation_scores_
    model.set_params(early_stopping=False).fit(X, y)
    assert model.validation_scores_ is None


def test_reaching_max_iter_still_warns():
    X, y = overfitting_problem()
    model = early_stopper("gd", max_iter=2, n_iter_no_change=50)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        model.fit(X, y)
    assert model.n_iter_ == 2 == len(model.validation_scores_)


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5])
def test_bad_validation_fraction_is_rejected(fraction):
    X, y = overfitting_problem()
    model = SoftmaxRegression(early_stopping=True, validation_fraction=fraction)
    with pytest.raises(InvalidParameterError, match="validation_fraction"):
        model.fit(X, y)


def test_bad_n_iter_no_change_is_rejected():
    X, y = overfitting_problem()
    with pytest.raises(InvalidParameterError, match="n_iter_no_change"):
        SoftmaxRegression(early_stopping=True, n_iter_no_change=0).fit(X, y)


@pytest.mark.parametrize(
    "counts, fraction",
    [([10, 10, 1], 0.2), ([10, 10, 10], 0.05), ([3, 3, 3], 0.9)],
)
def test_too_small_classes_give_a_clear_error(counts, fraction):
    y = np.repeat(np.arange(len(counts)), counts)
    X = np.random.default_rng(0).normal(size=(y.size, 3))
    model = SoftmaxRegression(early_stopping=True, validation_fraction=fraction)
    with pytest.raises(ValueError, match="early_stopping=True cannot set aside"):
        model.fit(X, y)
    assert not hasattr(model, "coef_")


def test_verbose_output_is_kept(capsys):
    X, y = overfitting_problem()
    model = early_stopper("newton-cg", verbose=1).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == model.n_iter_
    assert lines[0].startswith("[newton-cg] iteration    1")


@pytest.mark.parametrize("solver", ["newton-cg", "fista"])
def test_sparse_and_float32_input(solver):
    X, y = overfitting_problem()
    dense = early_stopper(solver).fit(X, y)
    sparse = early_stopper(solver).fit(sp.csr_matrix(X), y)
    assert sparse.validation_scores_ == dense.validation_scores_
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-8, atol=1e-10)
    single = early_stopper(solver).fit(X.astype(np.float32), y)
    assert single.coef_.dtype == np.float32
    assert len(single.validation_scores_) == single.n_iter_ < MAX_ITER
