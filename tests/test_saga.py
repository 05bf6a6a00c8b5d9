"""fit(solver="sgd"): SAGA reaches the deterministic solvers' minimiser."""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp, softmax
from sklearn.datasets import load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import sklearn_softmax._solvers._saga as saga_module
from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._core._namespace import to_numpy
from sklearn_softmax._objectives import SoftmaxObjective
from sklearn_softmax._objectives._array_api import ArrayAPISoftmaxObjective
from sklearn_softmax._penalties import ElasticNet
from sklearn_softmax._solvers import SOLVERS, check_solver
from sklearn_softmax._solvers._epochs import MAX_HALVINGS, run_epochs
from sklearn_softmax._solvers._online import OnlineSGD
from sklearn_softmax._solvers._problem import CompositeProblem
from sklearn_softmax._solvers._saga import proximal_gradient_step
from sklearn_softmax._solvers._stream import StreamSGD, online_solver

TIGHT = {"tol": 1e-8, "max_iter": 5000}


def dataset(name):
    X, y = {"iris": load_iris, "wine": load_wine}[name](return_X_y=True)
    return StandardScaler().fit_transform(X), y


def objective(model, X, y, C, sample_weight=None, l1_ratio=0.0):
    """``C Σ s ℓ + ½ (1 − ρ) ‖coef‖² + ρ ‖coef‖₁`` in float64, from scratch."""
    classes = np.unique(y)
    Z = X @ model.coef_.T + model.intercept_
    if Z.shape[1] == 1:
        Z = np.hstack([np.zeros_like(Z), Z])
    s = np.ones(y.shape[0]) if sample_weight is None else sample_weight
    y_index = np.searchsorted(classes, y)
    losses = logsumexp(Z, axis=1) - Z[np.arange(y.shape[0]), y_index]
    coef = model.coef_
    penalty = 0.5 * (1 - l1_ratio) * np.sum(coef**2) + l1_ratio * np.abs(coef).sum()
    return C * s @ losses + penalty


@pytest.mark.parametrize(
    ("name", "weighted", "sparse"),
    [
        ("iris", False, False),
        ("iris", True, False),
        ("iris", True, True),
        ("wine", False, False),
        ("wine", True, False),
    ],
)
def test_sgd_reaches_the_newton_cg_optimum(name, weighted, sparse):
    X, y = dataset(name)
    w = np.random.default_rng(0).uniform(0.2, 3.0, y.shape[0]) if weighted else None
    reference = SoftmaxRegression(solver="newton-cg", **TIGHT).fit(X, y, w)
    X_fit = sp.csr_matrix(X) if sparse else X
    model = SoftmaxRegression(solver="sgd", batch_size=16, random_state=0, **TIGHT)
    model.fit(X_fit, y, sample_weight=w)
    assert model.converged_
    f_ref = objective(reference, X, y, 1.0, w)
    assert objective(model, X, y, 1.0, w) == pytest.approx(f_ref, rel=1e-6)
    assert_allclose(model.coef_, reference.coef_, atol=1e-5)


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_sgd_elastic_net_reaches_the_fista_optimum_with_exact_zeros(l1_ratio):
    X, y = dataset("wine")
    C = 0.05
    reference = SoftmaxRegression(C=C, l1_ratio=l1_ratio, solver="fista", **TIGHT)
    reference.fit(X, y)
    model = SoftmaxRegression(
        C=C, l1_ratio=l1_ratio, solver="sgd", batch_size=16, random_state=0, **TIGHT
    ).fit(X, y)
    f_ref = objective(reference, X, y, C, l1_ratio=l1_ratio)
    assert objective(model, X, y, C, l1_ratio=l1_ratio) == pytest.approx(
        f_ref, rel=1e-6
    )
    assert np.any(model.coef_ == 0.0) and np.any(model.coef_ != 0.0)
    if l1_ratio < 1:  # strictly convex: the same zeros
        assert_array_equal(model.coef_ == 0, reference.coef_ == 0)


def test_integer_weights_equal_repeated_rows():
    X, y = dataset("iris")
    counts = np.random.default_rng(0).integers(0, 4, size=y.shape[0])
    params = {"solver": "sgd", "batch_size": 8, "random_state": 0, **TIGHT}
    weighted = SoftmaxRegression(**params).fit(X, y, sample_weight=counts)
    repeated = SoftmaxRegression(**params)
    repeated.fit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    # Different batches, different paths: the same minimiser to ~tol / μ.
    assert_allclose(weighted.coef_, repeated.coef_, atol=1e-8 * counts.sum())
    assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-7)


def test_fixed_random_state_is_deterministic():
    X, y = dataset("wine")
    params = {"solver": "sgd", "max_iter": 20, "tol": 0.0}
    with pytest.warns(ConvergenceWarning, match=r"solver='sgd'.*max_iter=20"):
        a = SoftmaxRegression(random_state=3, **params).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        b = SoftmaxRegression(random_state=3, **params).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        c = SoftmaxRegression(random_state=4, **params).fit(X, y)
    assert_array_equal(a.coef_, b.coef_)
    assert a.loss_curve_ == b.loss_curve_ and len(a.loss_curve_) == a.n_iter_ == 20
    assert not np.array_equal(a.coef_, c.coef_)


def test_too_long_a_step_is_halved(monkeypatch):
    # 500 times the step: the first epochs end above the starting objective,
    # are redone with half the step, and the fit still converges.
    monkeypatch.setattr(saga_module, "STEP_FACTOR", 1000.0)
    X, y = dataset("iris")
    model = SoftmaxRegression(solver="sgd", random_state=0, **TIGHT).fit(X, y)
    reference = SoftmaxRegression(**TIGHT).fit(X, y)
    assert model.converged_
    assert_allclose(model.coef_, reference.coef_, atol=1e-5)
    assert np.all(np.isfinite(model.loss_curve_))


def test_batch_size_of_the_whole_data_is_proximal_gradient_descent():
    # One batch per epoch: the SAGA estimate is the exact gradient, whatever
    # the order, so every random_state gives the same fit.
    X, y = dataset("iris")
    params = {"solver": "sgd", "batch_size": 1000, "max_iter": 30, "tol": 0.0}
    with pytest.warns(ConvergenceWarning):
        a = SoftmaxRegression(random_state=0, **params).fit(X, y)
    with pytest.warns(ConvergenceWarning):
        b = SoftmaxRegression(random_state=1, **params).fit(X, y)
    assert_allclose(a.coef_, b.coef_, rtol=1e-12, atol=1e-14)
    assert np.all(np.diff(a.loss_curve_) <= 0)


# The finite-sum protocol: what SAGA sees of an objective, on every backend.

KINDS = ["dense", "csr", "csc", "float32", "array_api_strict", "torch"]


def finite_sum_problem(n=40, M=4, K=3, seed=0):
    """Samples with a dominant feature (a clear top eigenvalue), zeros, and
    some weights zero (every seventh sample)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, M)) * np.array([3.0, 1.0, 1.0, 0.5])
    X[np.abs(X) < 0.3] = 0.0
    y, s = rng.integers(K, size=n), rng.uniform(0.5, 2.0, size=n)
    s[::7] = 0.0
    return X, y, s


def build_objective(kind, X, y, s, K, fit_intercept):
    """The objective of ``kind`` over ``X`` (N × M), and a converter to NumPy."""
    if kind in ("array_api_strict", "torch"):
        xp = pytest.importorskip(kind)
        device = xp.Device("device1") if kind == "array_api_strict" else "cpu"
        X_xp = xp.asarray(np.ascontiguousarray(X.T), device=device)
        with sklearn.config_context(array_api_dispatch=True):
            return ArrayAPISoftmaxObjective(X_xp, y, K, s, fit_intercept)
    container = {
        "dense": np.asarray,
        "csr": sp.csr_matrix,  # its transpose is CSC
        "csc": sp.csc_matrix,  # its transpose is CSR, read as CSR rows
        "float32": lambda A: A.astype(np.float32),
    }[kind]
    return SoftmaxObjective(container(X).T, y, K, s, fit_intercept)


def residuals_by_formula(theta, X, y, fit_intercept):
    """``softmax(Wᵀ x_n + b) − e_{y_n}`` column by column, float64."""
    X_tilde = np.c_[X, np.ones(len(X))] if fit_intercept else X
    Z = X_tilde @ theta.reshape(X_tilde.shape[1], -1)
    R = softmax(Z, axis=1)
    R[np.arange(len(y)), y] -= 1.0
    return R.T, X_tilde


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_a_batch_gives_weights_residuals_and_the_backward_product(kind, fit_intercept):
    X, y, s = finite_sum_problem()
    objective = build_objective(kind, X, y, s, 3, fit_intercept)
    terms = objective.finite_sum()
    active = np.flatnonzero(s > 0)  # the terms: the samples of positive weight
    assert terms.n == active.shape[0]
    rtol = 1e-5 if kind == "float32" else 1e-12
    theta = np.random.default_rng(1).standard_normal(objective.n_params) / 2
    theta = theta.astype(objective.dtype)
    W = terms.to_native(theta)
    assert_array_equal(terms.to_host(W), theta)
    positions = np.array([0, 3, 4, 17, 30])
    batch = terms.batch(terms.positions(positions))
    samples = active[positions]
    R, X_tilde = residuals_by_formula(theta, X[samples], y[samples], fit_intercept)
    R_batch = batch.residuals(W)
    assert_allclose(to_numpy(R_batch), R, rtol=rtol, atol=rtol)
    assert_allclose(to_numpy(batch.weights), s[samples] / s.sum(), rtol=rtol)
    # Σ_n x̃_n d_nᵀ, here for d_n = r_n.
    assert_allclose(to_numpy(batch.backward(R_batch)), X_tilde.T @ R.T, rtol=rtol)


@pytest.mark.parametrize("kind", KINDS)
def test_the_residual_table_and_its_gradient(kind):
    X, y, s = finite_sum_problem()
    objective = build_objective(kind, X, y, s, 3, True)
    terms = objective.finite_sum()
    rtol = 1e-5 if kind == "float32" else 1e-12
    theta = np.random.default_rng(2).standard_normal(objective.n_params) / 2
    f, table, g = terms.residual_table(terms.to_native(theta))
    R, X_tilde = residuals_by_formula(theta, X, y, True)
    w = s / s.sum()
    Z = X_tilde @ theta.reshape(X_tilde.shape[1], -1)
    f_ref = w @ (logsumexp(Z, axis=1) - Z[np.arange(len(y)), y])
    assert f == pytest.approx(f_ref, rel=rtol)
    assert_allclose(to_numpy(table), R[:, s > 0], rtol=rtol, atol=rtol)
    assert_allclose(to_numpy(g), X_tilde.T @ (w * R).T, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_curvature_bounds_match_the_eigenvalues(kind, fit_intercept):
    X, y, s = finite_sum_problem(n=60)
    objective = build_objective(kind, X, y, s, 3, fit_intercept)
    terms = objective.finite_sum()
    L, L_max = terms.curvature_bounds(np.random.RandomState(0))
    X_tilde = np.c_[X, np.ones(len(X))] if fit_intercept else X
    w = s / s.sum()
    top = np.linalg.eigvalsh((X_tilde.T * w) @ X_tilde)[-1]
    # Power iterations approach ½ λ_max from below; the bound adds 5%.
    rtol = 1e-5 if kind == "float32" else 1e-9
    assert 0.5 * top * (1 - 1e-3) <= L <= 0.5 * 1.05 * top * (1 + rtol)
    n = np.count_nonzero(s)
    expected = 0.5 * n * np.max(w * np.sum(X_tilde**2, axis=1))
    assert L_max == pytest.approx(expected, rel=rtol)


@pytest.mark.parametrize("l1_ratio", [0.0, 0.4, 1.0])
@pytest.mark.parametrize("kind", ["dense", "torch"])
def test_the_proximal_gradient_step_by_formula(kind, l1_ratio):
    X, y, s = finite_sum_problem()
    objective = build_objective(kind, X, y, s, 3, True)
    terms = objective.finite_sum()
    penalty = ElasticNet(alpha=0.7, l1_ratio=l1_ratio)
    rng = np.random.default_rng(3)
    W, D = rng.standard_normal((2, *objective.shape))
    step = 0.3
    new = proximal_gradient_step(
        CompositeProblem(objective, penalty),
        terms,
        terms.to_native(W.ravel()),
        terms.to_native(D.ravel()),
        step,
    )
    M = objective.n_features
    V = W - step * D
    V[:M] -= step * 0.7 * (1 - l1_ratio) * W[:M]  # the intercept row unpenalised
    V[:M] = np.sign(V[:M]) * np.maximum(np.abs(V[:M]) - step * 0.7 * l1_ratio, 0)
    assert_allclose(to_numpy(new), V, rtol=1e-13, atol=1e-15)


def test_the_step_is_halved_at_most_max_halvings_times():
    # An algorithm whose epochs always end far above the start (100 is added
    # to every coefficient, under a penalty): each is redone
    # with half the step, MAX_HALVINGS times, then the solve stops at the start.
    X, y, s = finite_sum_problem()
    objective = SoftmaxObjective(X.T, y, 3, s + 1, True)
    theta0 = np.zeros(objective.n_params)

    class Diverging:
        steps: list = []
        restarts = 0

        def start(self, x):
            return objective.value_and_grad(x)

        def run(self, x, step):
            self.steps.append(step)
            return x + 100.0

        def restart(self, x):
            Diverging.restarts += 1

        def solution(self, x):
            return x

    result = run_epochs(
        CompositeProblem(objective, ElasticNet(1.0)),
        Diverging(),
        theta0,
        step=1.0,
        tol=0.0,
        max_iter=10,
    )
    assert Diverging.steps == [2.0**-k for k in range(MAX_HALVINGS + 1)]
    assert Diverging.restarts == MAX_HALVINGS
    assert result.n_iter == 0 and result.losses == []
    assert not result.converged and not result.stopped
    assert f"halved {MAX_HALVINGS} times" in result.message
    assert_array_equal(result.theta, theta0)


def test_a_huge_step_ends_the_fit_with_a_clear_result(monkeypatch):
    # 5 · 10¹¹ times the step: 2³⁰ times shorter, it still ends above the start.
    monkeypatch.setattr(saga_module, "STEP_FACTOR", 1e12)
    X, y = dataset("iris")
    with pytest.warns(ConvergenceWarning, match=f"halved {MAX_HALVINGS} times"):
        model = SoftmaxRegression(solver="sgd", random_state=0).fit(X, y)
    # No epoch was kept: the first model, the best constant one.
    assert model.n_iter_ == 0 and model.loss_curve_ == [] and not model.converged_
    assert_array_equal(model.coef_, 0.0)
    assert np.all(np.isfinite(model.intercept_))


class _Provides:
    def __init__(self, *capabilities):
        self.provides = frozenset(capabilities)


def test_sgd_runs_saga_on_finite_sums_and_the_stream_otherwise():
    X, y, s = finite_sum_problem()
    saga = SOLVERS["sgd"]
    assert check_solver("sgd", SoftmaxObjective(X.T, y, 3, s, True)) is saga
    chunked = _Provides("gradient", "hessian", "chunks")
    assert isinstance(check_solver("sgd", chunked), StreamSGD)
    with pytest.raises(ValueError, match="requires 'finite_sum'"):
        check_solver("sgd", _Provides("gradient"))


def test_both_implementations_take_the_estimator_options():
    model = SoftmaxRegression(
        batch_size=7, random_state=3, learning_rate="constant", eta0=0.2
    )
    options = model._stochastic_options()
    saga = SOLVERS["sgd"].configured(**options)
    assert (saga.batch_size, saga.random_state) == (7, 3)
    stream = StreamSGD().configured(**options)
    assert stream.batch_size == 7
    assert online_solver(**stream.online) == OnlineSGD("constant", eta0=0.2)
