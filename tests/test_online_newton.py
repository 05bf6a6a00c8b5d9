"""partial_fit(learning_rate="newton"): out-of-core Newton steps on windows."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris, load_wine
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._objectives import SoftmaxObjective
from sklearn_softmax._penalties import ElasticNet
from sklearn_softmax._solvers._online_newton import (
    MAX_PARAMS,
    NewtonState,
    OnlineNewton,
)


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def newton(**params):
    return SoftmaxRegression(learning_rate="newton", **params)


def stream(model, X, y, size, passes=1, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(passes):
        order = rng.permutation(y.shape[0])
        for start in range(0, y.shape[0], size):
            rows = order[start : start + size]
            model.partial_fit(X[rows], y[rows], classes=np.unique(y))
    return model


def finite_difference_hessian(objective, theta, eps=1e-6):
    """Central differences of the objective's gradient, column by column."""
    columns = [
        objective.value_and_grad(theta + eps * e)[1]
        - objective.value_and_grad(theta - eps * e)[1]
        for e in np.eye(theta.shape[0])
    ]
    return np.array(columns).T / (2 * eps)


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix, sp.csc_matrix])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_hessian_equals_finite_differences_of_the_gradient(container, fit_intercept):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 7))
    X[X < 0.3] = 0.0
    y, s = rng.integers(4, size=300), rng.uniform(0.1, 2.0, size=300)
    objective = SoftmaxObjective(container(X).T, y, 4, s, fit_intercept, block_size=70)
    theta = 0.3 * rng.normal(size=objective.n_params)
    H = objective.value_grad_hessian(theta)[2]
    assert H.dtype == np.float64
    assert_allclose(H, finite_difference_hessian(objective, theta), atol=1e-8)
    assert_allclose(H, H.T, rtol=0, atol=1e-15)


def test_one_window_is_one_newton_step(wine):
    # The first model is the best constant one; a window of every row then
    # moves it by -(∇²F)⁻¹ ∇F, F = f + α ½‖W[:M]‖², α = 1 / (C n).
    X, y = wine
    C, n = 0.5, y.shape[0]
    model = newton(C=C, batch_size=n).partial_fit(X, y, classes=[0, 1, 2])
    objective = SoftmaxObjective(X.T, y, 3, np.ones(n), True)
    W0 = np.zeros(objective.shape)
    W0[-1] = np.log(np.bincount(y) / n)
    theta0 = W0.ravel()
    alpha = np.zeros(objective.shape)
    alpha[:-1] = 1.0 / (C * n)
    g = objective.value_and_grad(theta0)[1] + alpha.ravel() * theta0
    H = finite_difference_hessian(objective, theta0) + np.diag(alpha.ravel())
    step = np.linalg.lstsq(H, g, rcond=None)[0]  # H is singular in the intercepts
    W1 = (theta0 - step).reshape(objective.shape)
    assert_allclose(model.coef_, W1[:-1].T, rtol=1e-6, atol=1e-7)
    centred = model.intercept_ - model.intercept_.mean()
    assert_allclose(centred, W1[-1] - W1[-1].mean(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("size", [7, 50, 178])
def test_windows_span_calls(wine, size):
    # The same rows in the same order, cut into calls of any size: the same
    # windows of 60 rows, the same steps (the first model is the constant
    # one of the first call, so every stream starts with the same 7 rows).
    X, y = wine
    order = np.random.default_rng(0).permutation(y.shape[0])
    X, y = X[order], y[order]
    reference = newton(batch_size=60)
    reference.partial_fit(X[:7], y[:7], classes=[0, 1, 2]).partial_fit(X[7:], y[7:])
    model = newton(batch_size=60)
    model.partial_fit(X[:7], y[:7], classes=[0, 1, 2])
    for start in range(7, y.shape[0], size):
        model.partial_fit(X[start : start + size], y[start : start + size])
    assert model._online_state.n_updates == reference._online_state.n_updates == 2
    assert model._online_state.window_rows == 178 - 120
    assert_allclose(model.coef_, reference.coef_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dataset", [load_iris, load_wine])
def test_passes_reach_the_minimiser_of_fit(dataset):
    # One Newton step per pass, C / E per the stream's penalty: after 20
    # passes fit's objective within 1e-6 (relative) of its minimum.
    X, y = dataset(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    C, passes = 10.0, 20
    full = SoftmaxRegression(C=C, tol=1e-10, max_iter=1000).fit(X, y)

    def objective(model):
        return C * log_loss(y, model.predict_proba(X), normalize=False) + 0.5 * np.sum(
            model.coef_**2
        )

    model = stream(newton(C=C / passes, batch_size=y.shape[0]), X, y, 40, passes)
    assert model._online_state.n_updates == passes
    assert objective(model) <= objective(full) * (1 + 1e-6)


def test_weights_and_repeated_rows_take_the_same_step(wine):
    X, y = wine
    weights = np.random.default_rng(0).integers(0, 4, size=y.shape[0])
    weighted = newton(batch_size=y.shape[0])
    weighted.partial_fit(X, y, classes=[0, 1, 2], sample_weight=weights)
    repeated = newton(batch_size=int(weights.sum()))
    repeated.partial_fit(np.repeat(X, weights, 0), np.repeat(y, weights), [0, 1, 2])
    assert weighted._online_state.n_updates == repeated._online_state.n_updates == 1
    assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("container", [sp.csr_matrix, np.float32])
def test_sparse_and_float32_chunks(wine, container):
    X, y = wine
    dense = stream(newton(batch_size=60), X, y, 50, passes=2)
    if container is np.float32:
        model = stream(newton(batch_size=60), X.astype(np.float32), y, 50, passes=2)
        assert model.coef_.dtype == np.float32
        assert_allclose(model.coef_, dense.coef_, rtol=1e-3, atol=1e-4)
    else:
        model = stream(newton(batch_size=60), container(X), y, 50, passes=2)
        assert_allclose(model.coef_, dense.coef_, rtol=1e-10, atol=1e-12)


def test_continues_from_fit(wine):
    # After fit (C = 1, n rows), a pass with C / 2 has the same penalty
    # (α = 1 / (C/2 · 2n)): fit's minimiser is where the Newton step stays.
    X, y = wine
    model = SoftmaxRegression(tol=1e-10).fit(X, y)
    coef = model.coef_.copy()
    model.set_params(learning_rate="newton", batch_size=y.shape[0], C=0.5)
    model.partial_fit(X, y)
    assert model._online_state.n_updates == 1
    assert_allclose(model.coef_, coef, rtol=1e-7, atol=1e-9)


def test_switching_from_adagrad_continues_from_the_reported_model(wine):
    X, y = wine
    model = stream(SoftmaxRegression(), X, y, 50)
    coef = model.coef_.copy()
    model.set_params(learning_rate="newton", batch_size=1000)
    model.partial_fit(X[:10], y[:10])  # the window is not full: no step yet
    assert_array_equal(model.coef_, coef)
    assert model._online_state.weight_seen == y.shape[0] + 10


def window_at_candidates(F, slopes=(1.0, 1.0, 1.0)):
    """A full window whose candidates have mean losses ``F`` (no penalty).

    ``θ_a = 0`` with ``F(θ_a) = 1``; the steps are ``−e_i`` (the candidates
    ``e_i``); each candidate's gradient is ``e_3`` and its Hessian ``2 I``.
    """
    return NewtonState(
        theta=np.eye(4)[0],
        shape=(2, 2),
        anchor=np.zeros(4),
        anchor_loss=1.0,
        steps=-np.eye(4)[:3],
        slopes=np.array(slopes),
        window_rows=10,
        window_weight=10.0,
        loss_sums=10.0 * np.array(F),
        grad_sums=np.tile(10.0 * np.eye(4)[3], (3, 1)),
        hess_sums=np.tile(20.0 * np.eye(4), (3, 1, 1)),
    )


def test_the_best_candidate_becomes_the_anchor_of_the_next_step():
    state = OnlineNewton._close_window(
        window_at_candidates([0.9, 0.5, 0.7]), ElasticNet(alpha=0.0), 2
    )
    assert_array_equal(state.anchor, np.eye(4)[1])
    assert state.anchor_loss == 0.5 and state.n_updates == 1
    # The Newton step from it: (2 I)⁻¹ e_3, then more damped ones.
    assert_allclose(state.steps[0], [0, 0, 0, 0.5], rtol=1e-8)
    assert_allclose(state.theta, [0, 1, 0, -0.5], rtol=1e-8)
    assert np.all(np.diff(np.abs(state.steps[:, 3])) < 0)
    assert state.window_rows == 0 and state.hess_sums is None


def test_no_better_candidate_tries_steps_16_times_shorter():
    state = OnlineNewton._close_window(
        window_at_candidates([1.2, 1.0, 3.0]), ElasticNet(alpha=0.0), 2
    )
    assert state.n_updates == 0 and state.step_length == 1 / 16
    assert_array_equal(state.anchor, np.zeros(4))
    assert_allclose(state.theta, np.eye(4)[0] / 16)
    assert_allclose(state.candidates()[2], np.eye(4)[2] / 16)


def test_l1_penalty_is_refused_and_changes_nothing(wine):
    X, y = wine
    model = newton(batch_size=50).partial_fit(X[:40], y[:40], classes=[0, 1, 2])
    state = model._online_state
    model.set_params(l1_ratio=0.5)
    with pytest.raises(ValueError, match="learning_rate='newton'.*l1_ratio=0"):
        model.partial_fit(X[40:], y[40:])
    assert model._online_state is state


def test_too_many_parameters_are_refused():
    rng = np.random.default_rng(0)
    n_features = MAX_PARAMS // 10  # (M + 1) K > MAX_PARAMS with K = 10
    X, y = rng.normal(size=(20, n_features)), np.arange(20) % 10
    with pytest.raises(ValueError, match=f"limited to {MAX_PARAMS} parameters"):
        newton().partial_fit(X, y, classes=np.arange(10))
    assert not hasattr(newton(), "coef_")
