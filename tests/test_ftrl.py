"""FTRL-proximal (``learning_rate="ftrl"``): the update, its limit, its zeros."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax
from sklearn.metrics import log_loss

from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._objectives import SoftmaxObjective
from sklearn_softmax._penalties import ElasticNet, make_penalty
from sklearn_softmax._solvers._ftrl import (
    FTRL,
    FTRL_AVERAGE_DECAY,
    FTRLState,
    ftrl_minimiser,
)
from sklearn_softmax._solvers._online import OnlineState

# A tiny problem: 3 samples, 2 features, 3 classes, intercept last.
X = np.array([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.0]])
Y_INDEX = np.array([0, 2, 1])
S = np.array([1.0, 2.0, 1.0])
THETA = np.array([[0.1, 0.0, 0.3], [0.0, 0.4, -0.1], [0.2, 0.0, -0.2]])


def mean_gradient(W, s):
    """``Σ_n ŝ_n x̃_n (softmax(z_n) − e_{y_n})ᵀ``, sample by sample."""
    G = np.zeros_like(W)
    for x, k, weight in zip(X, Y_INDEX, s / s.sum(), strict=True):
        x_tilde = np.append(x, 1.0)
        r = softmax(x_tilde @ W)
        r[k] -= 1.0
        G += weight * np.outer(x_tilde, r)
    return G


def reference_ftrl(W0, batches, alphas, l1_ratio, eta0):
    """McMahan et al.'s per-coordinate FTRL-proximal, in the sum's units.

    Round ``τ`` (weight ``b_τ``, penalty strength ``α_τ``) has the loss
    ``b_τ f_τ`` and the L2 part of ``b_τ α_τ P``, linearised at ``w_τ``; the
    L1 part is the closed form's, ``λ_t ‖w‖₁`` with ``λ_t = W_t α_t ρ``,
    plus, linearised, what ``λ`` lacks of the round's ``b_t α_t ρ ‖w‖₁``:
    ``p = W_{t−1} (α_{t−1} − α_t) ρ`` times ``sign(w_t) = −sign(z)``, which
    takes no more than ``z``'s excess over ``λ_t``. ``z`` starts at
    ``−λ_1 sign W₀``.
    """
    w, n, z, W_t = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), 0.0
    coef = np.zeros(W0.shape, dtype=bool)
    coef[:2] = True  # the intercept row is not penalised
    alpha_last, t, curvature_last = alphas[0], 0, 0.0
    z[coef] = -np.sign(W0[coef]) * batches[0].sum() * alphas[0] * l1_ratio
    for s, alpha in zip(batches, alphas, strict=True):
        b, W_last = s.sum(), W_t
        W_t += b
        lam, pull = W_t * alpha * l1_ratio, W_last * (alpha_last - alpha) * l1_ratio
        for i, j in zip(*np.nonzero(coef), strict=True):
            excess = max(abs(z[i, j]) - lam, 0.0)
            z[i, j] -= np.sign(z[i, j]) * min(excess, max(pull, 0.0))
        g = b * mean_gradient(w, s)
        g[coef] += b * alpha * (1 - l1_ratio) * w[coef]
        n_new, t = n + g * g, t + 1
        # β: ε per batch weight on average (ε W_t / t), as AdaGrad's ε.
        curvature = (1e-8 * W_t / t + np.sqrt(n_new)) / eta0
        z, n, alpha_last = z + g - (curvature - curvature_last) * w, n_new, alpha
        curvature_last = curvature
        threshold = np.where(coef, lam, 0.0)
        shrunk = np.where(np.abs(z) <= threshold, 0.0, z - np.sign(z) * threshold)
        w = -shrunk / curvature
    return w


BATCHES = [S, np.array([0.5, 1.0, 3.0]), np.array([2.0, 0.0, 1.0])]


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("strengths", ["stream", "fixed"])
def test_updates_match_the_per_coordinate_formula(l1_ratio, strengths):
    C, eta0 = 0.7, 0.4
    seen = np.cumsum([s.sum() for s in BATCHES])
    # partial_fit's penalty scales with the weight seen; dask's is fit's.
    alphas = 1.0 / (C * seen) if strengths == "stream" else np.full(3, 0.3)
    solver = FTRL(eta0=eta0)
    state = solver.init(THETA.ravel(), THETA.shape)
    for s, alpha in zip(BATCHES, alphas, strict=True):
        batch = SoftmaxObjective(X.T, Y_INDEX, 3, s, fit_intercept=True)
        penalty = ElasticNet(alpha=alpha, l1_ratio=l1_ratio)
        state = solver.update(state, batch, penalty, float(s.sum()))
    expected = reference_ftrl(THETA, BATCHES, alphas, l1_ratio, eta0)
    assert_allclose(state.theta.reshape(THETA.shape), expected, rtol=1e-12)
    assert state.n_updates == 3 and state.weight_seen == seen[-1]


def test_the_closed_form_thresholds_and_keeps_entries_without_gradient():
    z = np.array([3.0, -0.5, -2.0, 4.0])
    c = np.array([2.0, 2.0, 2.0, 0.0])
    theta = np.array([9.0, 9.0, 9.0, 7.0])
    assert_array_equal(ftrl_minimiser(z, c, theta, 1.0), [-1.0, 0.0, 0.5, 7.0])


def problem(n=2_000, n_noise=45, seed=0):
    """5 informative standard normal features, then pure noise; 3 classes."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5 + n_noise))
    W = np.zeros((5 + n_noise, 3))
    W[:5] = 1.5 * rng.normal(size=(5, 3))
    y = (X @ W + rng.gumbel(size=(n, 3))).argmax(axis=1)
    return X, y


def objective_value(model, X, y, C, l1_ratio):
    """``C Σ ℓ + ½ (1 − ρ) ‖W‖² + ρ ‖W‖₁``, from the fitted attributes."""
    Z = X @ model.coef_.T + model.intercept_
    loss = -np.log(softmax(Z, axis=1)[np.arange(y.shape[0]), y]).sum()
    W = model.coef_
    return C * loss + 0.5 * (1 - l1_ratio) * (W**2).sum() + l1_ratio * np.abs(W).sum()


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_many_passes_with_a_fixed_penalty_reach_the_batch_optimum(l1_ratio):
    # The dask stream's setting: fit's penalty at every batch, many passes.
    X, y = problem(n=300, n_noise=5)
    C = 0.05
    best = SoftmaxRegression(C=C, l1_ratio=l1_ratio, tol=1e-10, max_iter=5000)
    best.fit(X, y)
    objective = SoftmaxObjective(X.T, y, 3, np.ones(y.shape[0]), fit_intercept=True)
    penalty = make_penalty(C, l1_ratio, float(y.shape[0]))
    solver = FTRL()
    state = solver.init(np.zeros(objective.n_params), objective.shape)
    for _ in range(300):
        state = solver.run_chunk(state, objective, 32, lambda weight: penalty)
    W = state.solution(smooth=False)
    model = SoftmaxRegression().set_params()
    model.coef_, model.intercept_ = W[:-1].T, W[-1]
    F, F_best = (objective_value(m, X, y, C, l1_ratio) for m in (model, best))
    assert F >= F_best * (1 - 1e-9)
    assert (F - F_best) / F_best < 2e-3
    # The optimum's zeros are exact zeros; its entries beyond 2% of the
    # largest are kept (smaller ones may be thresholded by the last step).
    assert np.all(model.coef_[best.coef_ == 0] == 0)
    large = np.abs(best.coef_) > 0.02 * np.abs(best.coef_).max()
    assert np.all(model.coef_[large] != 0)


def stream(model, X, y, passes=3, chunk=500, seed=1, classes=(0, 1, 2), **fit_params):
    rng = np.random.default_rng(seed)
    for _ in range(passes):
        order = rng.permutation(y.shape[0])
        for start in range(0, y.shape[0], chunk):
            rows = order[start : start + chunk]
            model.partial_fit(X[rows], y[rows], classes=classes, **fit_params)
    return model


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_noise_features_get_exact_zeros(l1_ratio):
    X, y = problem()
    C = 2e-3
    batch = SoftmaxRegression(C=C, l1_ratio=l1_ratio, tol=1e-8).fit(X, y)
    assert np.all(batch.coef_[:, 5:] == 0)
    model = stream(SoftmaxRegression(C=C / 3, l1_ratio=l1_ratio), X, y)
    assert isinstance(model._online_state, FTRLState)  # the default with L1
    assert np.all(model.coef_[:, 5:] == 0)
    assert (model.coef_ == 0).sum() >= 0.9 * (batch.coef_ == 0).sum()


def test_the_reported_model_is_the_average_on_the_last_iterates_support():
    # By hand: the polynomial-decay average of the iterates, (γ + 1) / (t + γ),
    # set to zero wherever the last iterate is exactly zero.
    X, y = problem(n=600, n_noise=10)
    objective = SoftmaxObjective(X.T, y, 3, np.ones(y.shape[0]), fit_intercept=True)
    penalty = make_penalty(0.01, 1.0, float(y.shape[0]))
    solver = FTRL()
    state = solver.init(np.zeros(objective.n_params), objective.shape)
    iterates = [state.theta]
    for rows in np.array_split(np.arange(y.shape[0]), 40):
        batch = SoftmaxObjective(X[rows].T, y[rows], 3, np.ones(rows.size), True)
        state = solver.update(state, batch, penalty, float(rows.size))
        iterates.append(state.theta)
    average, gamma = iterates[0], FTRL_AVERAGE_DECAY
    for t, theta in enumerate(iterates[1:], start=1):
        average = average + (gamma + 1) / (t + gamma) * (theta - average)
    W, last = state.solution(smooth=False), iterates[-1].reshape(objective.shape)
    assert_allclose(W, np.where(last == 0, 0.0, average.reshape(W.shape)), rtol=1e-12)
    assert_array_equal(W == 0, last == 0)
    assert 0 < (W == 0).sum() < W.size and not np.allclose(W, last)
    assert_array_equal(state.solution(smooth=True), average.reshape(W.shape))


def text_problem(seed=0, n=8_000, M=2_000, K=4):
    """Binary Zipf-distributed features (CSR), 40 informative among the first 200."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, M + 1) ** 1.1
    rows = np.repeat(np.arange(2 * n), 30)
    X = sp.csr_matrix(
        (np.ones(rows.size), (rows, rng.choice(M, rows.size, p=p / p.sum()))),
        shape=(2 * n, M),
    )
    X.sum_duplicates()
    X.data[:] = 1.0
    W = np.zeros((M, K))
    W[rng.choice(200, 40, replace=False)] = 1.5 * rng.normal(size=(40, K))
    y = (X @ W + rng.gumbel(size=(2 * n, K))).argmax(axis=1)
    return X[:n], y[:n], X[n:], y[n:]


def test_a_sparse_stream_comes_within_two_percent_of_the_batch_log_loss():
    # The streams' target: held-out log loss within 2% of the batch fit's,
    # with at least 90% of its exact zeros, after 3 passes with C / 3.
    X, y, X_test, y_test = text_problem()
    C = 0.03
    batch = SoftmaxRegression(C=C, l1_ratio=1.0, tol=1e-8, max_iter=2000).fit(X, y)
    model = SoftmaxRegression(C=C / 3, l1_ratio=1.0)
    stream(model, X, y, chunk=1000, classes=np.arange(4))
    ratio = log_loss(y_test, model.predict_proba(X_test)) / log_loss(
        y_test, batch.predict_proba(X_test)
    )
    assert ratio < 1.02
    assert (model.coef_ == 0).sum() >= 0.9 * (batch.coef_ == 0).sum()


@pytest.mark.parametrize(
    ("params", "state_type"),
    [
        ({"l1_ratio": 0.0}, OnlineState),
        ({"l1_ratio": 0.5}, FTRLState),
        ({"l1_ratio": 0.5, "C": np.inf}, OnlineState),  # no penalty
        ({"l1_ratio": 0.0, "learning_rate": "ftrl"}, FTRLState),
    ],
)
def test_auto_learning_rate_is_ftrl_with_an_l1_part(params, state_type):
    X, y = problem(n=200, n_noise=2)
    model = SoftmaxRegression(**params).partial_fit(X, y, classes=[0, 1, 2])
    assert type(model._online_state) is state_type
    assert model.get_params()["learning_rate"] == params.get("learning_rate", "auto")


def test_auto_with_l2_is_adagrad_bit_for_bit():
    X, y = problem(n=200, n_noise=2)
    auto = SoftmaxRegression().partial_fit(X, y, classes=[0, 1, 2])
    adagrad = SoftmaxRegression(learning_rate="adagrad")
    adagrad.partial_fit(X, y, classes=[0, 1, 2])
    assert_array_equal(auto.coef_, adagrad.coef_)


def test_dense_and_sparse_input_give_the_same_model():
    X, y = problem(n=600, n_noise=10)
    X[np.abs(X) < 0.8] = 0.0
    dense = stream(SoftmaxRegression(C=0.01, l1_ratio=1.0), X, y, chunk=200)
    sparse = stream(
        SoftmaxRegression(C=0.01, l1_ratio=1.0), sp.csr_matrix(X), y, chunk=200
    )
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-10, atol=1e-13)
    assert_array_equal(sparse.coef_ == 0, dense.coef_ == 0)
    assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-10)


def test_float32_is_fitted_in_float32():
    X, y = problem(n=600, n_noise=10)
    f64 = stream(SoftmaxRegression(C=0.01, l1_ratio=1.0), X, y, chunk=200)
    f32 = stream(
        SoftmaxRegression(C=0.01, l1_ratio=1.0), X.astype(np.float32), y, chunk=200
    )
    state = f32._online_state
    assert f32.coef_.dtype == np.float32 and f32.intercept_.dtype == np.float32
    assert state.z.dtype == state.root.dtype == state.theta.dtype == np.float32
    assert_allclose(f32.coef_, f64.coef_, rtol=1e-3, atol=1e-4)
    assert f32.predict_proba(X.astype(np.float32)).dtype == np.float32


def test_integer_weights_equal_repeated_rows():
    # One batch per call: a chunk with weights is the chunk with rows repeated.
    X, y = problem(n=300, n_noise=5)
    weights = np.random.default_rng(0).integers(0, 4, size=y.shape[0])
    repeated = np.repeat(np.arange(y.shape[0]), weights)
    weighted = SoftmaxRegression(C=0.01, l1_ratio=0.5, batch_size=10_000)
    plain = SoftmaxRegression(C=0.01, l1_ratio=0.5, batch_size=10_000)
    for rows in np.array_split(np.arange(y.shape[0]), 5):
        weighted.partial_fit(X[rows], y[rows], [0, 1, 2], sample_weight=weights[rows])
        copies = repeated[(repeated >= rows[0]) & (repeated <= rows[-1])]
        plain.partial_fit(X[copies], y[copies], [0, 1, 2])
    # Equal but for rounding (the first intercept gradient, at the best
    # constant model, is rounding noise, weighed against ε).
    assert_allclose(weighted.coef_, plain.coef_, rtol=1e-7, atol=1e-10)
    assert_array_equal(weighted.coef_ == 0, plain.coef_ == 0)
    assert_allclose(weighted.intercept_, plain.intercept_, rtol=1e-7)


def test_switching_learning_rate_restarts_from_the_reported_model():
    X, y = problem(n=400, n_noise=5)
    first, second = slice(0, 200), slice(200, 400)
    model = SoftmaxRegression(C=0.01, l1_ratio=1.0, learning_rate="adagrad")
    model.partial_fit(X[first], y[first], classes=[0, 1, 2])
    W = np.vstack([model.coef_.T, model.intercept_])
    seen = model._online_state.weight_seen
    model.set_params(learning_rate="ftrl").partial_fit(X[second], y[second])
    # By hand: FTRL from the reported model, with the weight it stands for.
    objective = SoftmaxObjective(X[second].T, y[second], 3, np.ones(200), True)
    solver = FTRL()
    state = solver.init(W.ravel(), W.shape, weight_seen=seen)
    state = solver.run_chunk(
        state, objective, model.batch_size, lambda w: make_penalty(0.01, 1.0, w)
    )
    assert isinstance(model._online_state, FTRLState)
    assert model._online_state.weight_seen == 400.0
    reported = state.solution(smooth=False)
    assert_allclose(model.coef_, reported[:-1].T, rtol=1e-12)


def test_tiny_weights_give_a_finite_model():
    # The state is kept in units of the weight seen: nothing under- or
    # overflows when every weight is 1e-300.
    X, y = problem(n=300, n_noise=5)
    tiny = SoftmaxRegression(C=1e300 * 0.01, l1_ratio=1.0)
    plain = SoftmaxRegression(C=0.01, l1_ratio=1.0)
    for rows in np.array_split(np.arange(300), 3):
        tiny.partial_fit(
            X[rows], y[rows], [0, 1, 2], sample_weight=np.full(100, 1e-300)
        )
        plain.partial_fit(X[rows], y[rows], [0, 1, 2])
    assert np.all(np.isfinite(tiny.coef_))
    assert_allclose(tiny.coef_, plain.coef_, rtol=1e-8, atol=1e-12)
