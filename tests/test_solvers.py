"""Each solver reaches the minimiser that scipy finds on the same objective;
the L1 solver meets the optimality conditions, checked from numpy gradients."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import minimize

from sklearn_softmax import softmax_gradient
from sklearn_softmax._objectives import SoftmaxObjective
from sklearn_softmax._penalties import ElasticNet
from sklearn_softmax._solvers import SOLVERS, get_solver
from sklearn_softmax._solvers._base import (
    SmoothProblem,
    max_abs,
    subdifferential_distance,
)
from sklearn_softmax._solvers._fista import Metric
from sklearn_softmax._solvers._newton_cg import NewtonCG, conjugate_gradient

SMOOTH_ONLY = sorted(name for name, s in SOLVERS.items() if s.smooth_only)
NON_SMOOTH = sorted(name for name, s in SOLVERS.items() if not s.smooth_only)


def make_problem(alpha, dtype=np.float64):
    rng = np.random.default_rng(0)
    N, M, K = 200, 5, 3
    X = rng.normal(size=(N, M))
    y = (X @ rng.normal(size=(M, K)) + rng.gumbel(size=(N, K))).argmax(axis=1)
    objective = SoftmaxObjective(X.T.astype(dtype), y, K, rng.uniform(size=N), True)
    return objective, ElasticNet(alpha)


@pytest.mark.parametrize("name", sorted(SOLVERS))
@pytest.mark.parametrize("alpha", [0.0, 1e-2])
def test_solver_reaches_the_scipy_minimum(name, alpha):
    objective, penalty = make_problem(alpha)
    problem = SmoothProblem(objective, penalty)
    theta0 = np.zeros(objective.n_params)
    reference = minimize(
        problem.value_and_grad, theta0, jac=True, method="BFGS", options={"gtol": 1e-10}
    )
    calls = []
    result = SOLVERS[name].solve(
        objective,
        penalty,
        theta0,
        tol=1e-8,
        max_iter=10_000,
        callback=lambda k, f: calls.append((k, f)),
    )
    assert result.converged, result.message
    assert max_abs(problem.value_and_grad(result.theta)[1]) <= 1e-8
    assert problem.value(result.theta) == pytest.approx(reference.fun, rel=1e-11)
    assert_allclose(result.theta, reference.x, rtol=1e-5, atol=1e-6)
    assert len(result.losses) == result.n_iter == len(calls)
    assert [f for _, f in calls] == result.losses
    assert result.losses[-1] == pytest.approx(reference.fun, rel=1e-11)


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_solver_stops_at_max_iter_without_converging(name):
    objective, penalty = make_problem(1e-2)
    result = SOLVERS[name].solve(
        objective, penalty, np.zeros(objective.n_params), tol=1e-12, max_iter=2
    )
    assert not result.converged
    assert result.n_iter == 2


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_solver_keeps_float32(name):
    objective, penalty = make_problem(1e-2, dtype=np.float32)
    result = SOLVERS[name].solve(
        objective, penalty, np.zeros(objective.n_params), tol=1e-4, max_iter=200
    )
    assert result.theta.dtype == np.float32
    assert result.converged, result.message


def test_conjugate_gradient_solves_a_positive_definite_system():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(8, 8)) * np.logspace(0, 3, 8)[:, None]  # scaled rows
    H, b = A @ A.T + np.eye(8), rng.normal(size=8)
    products = {}
    for name, precond in [("plain", None), ("jacobi", 1 / np.diag(H))]:
        d, products[name] = conjugate_gradient(
            lambda v: H @ v, b, rtol=1e-10, max_iter=50, precond=precond
        )
        assert_allclose(d, np.linalg.solve(H, b), rtol=1e-8)
    # Jacobi undoes most of the scaling.
    assert products["jacobi"] < products["plain"] <= 50


def test_smooth_problem_hessian_diagonal_includes_the_penalty():
    objective, penalty = make_problem(0.3)
    theta = np.random.default_rng(2).normal(size=objective.n_params)
    _, _, hessp = SmoothProblem(objective, penalty).value_grad_hessp(theta)
    explicit = np.array([hessp(e) for e in np.eye(theta.size)])
    assert_allclose(hessp.diagonal(), np.diag(explicit), rtol=1e-12)


@pytest.mark.parametrize("precondition", [False, True, "auto"])
def test_newton_cg_preconditioning_reaches_the_same_minimum(precondition):
    rng = np.random.default_rng(3)
    N, M, K = 300, 6, 3
    X = rng.normal(size=(N, M)) * np.logspace(-1, 2, M)  # scales spread 1000×
    y = (X / X.std(0) @ rng.normal(size=(M, K)) + rng.gumbel(size=(N, K))).argmax(1)
    objective = SoftmaxObjective(X.T, y, K, np.ones(N), True)
    penalty = ElasticNet(1e-3)
    solver = NewtonCG()
    solver.precondition = precondition
    diagonals = []
    original = objective.value_grad_hessp

    def spy(theta):
        f, g, hessp = original(theta)
        diagonal = hessp.diagonal
        hessp.diagonal = lambda: diagonals.append(1) or diagonal()
        return f, g, hessp

    objective.value_grad_hessp = spy
    theta0 = np.zeros(objective.n_params)
    result = solver.solve(objective, penalty, theta0, tol=1e-10, max_iter=200)
    assert result.converged, result.message
    problem = SmoothProblem(objective, penalty)
    reference = minimize(
        problem.value_and_grad, theta0, jac=True, method="BFGS", options={"gtol": 1e-10}
    )
    assert problem.value(result.theta) == pytest.approx(reference.fun, rel=1e-11)
    # "auto" preconditions dense features whose scales spread this much.
    assert bool(diagonals) == (precondition is not False)


@pytest.mark.parametrize("name", SMOOTH_ONLY)
def test_smooth_solvers_refuse_an_l1_penalty(name):
    with pytest.raises(ValueError, match=r"l1_ratio=0\.5.*'fista'"):
        get_solver(name, ElasticNet(1.0, l1_ratio=0.5))


@pytest.mark.parametrize(
    ("penalty", "expected"),
    [
        (ElasticNet(0.0, 0.5), "newton-cg"),  # C = inf
        (ElasticNet(0.1, 0.0), "newton-cg"),
        (ElasticNet(0.1, 0.5), "fista"),
        (ElasticNet(0.1, 1.0), "fista"),
    ],
)
def test_auto_picks_newton_cg_for_smooth_penalties_and_fista_otherwise(
    penalty, expected
):
    assert get_solver("auto", penalty) is SOLVERS[expected]


def distance_by_projection(G, W, penalty, n_features):
    """dist(−g, ∂P(w)) per entry, ∂P(w) = a w + c [−1, 1] at 0, else a w + c sign w.

    The distance of a point to an interval is its gap to the clipped point.
    """
    a, c = penalty.l2_strength, penalty.l1_strength
    coef, g = W[:n_features], G[:n_features]
    low = np.where(coef > 0, a * coef + c, a * coef - c)
    high = np.where(coef < 0, a * coef - c, a * coef + c)
    coef_distance = np.abs(np.clip(-g, low, high) + g)
    return max(coef_distance.max(), np.abs(G[n_features:]).max(initial=0.0))


@pytest.mark.parametrize("penalty", [ElasticNet(0.3), ElasticNet(0.3, 0.5)], ids=repr)
@pytest.mark.parametrize("intercept", [True, False])
def test_subdifferential_distance_is_the_distance_to_the_subdifferential(
    penalty, intercept
):
    rng = np.random.default_rng(0)
    W, G = rng.normal(size=(6, 3)), rng.normal(scale=0.3, size=(6, 3))
    W[rng.uniform(size=W.shape) < 0.4] = 0.0
    M = 5 if intercept else 6
    expected = distance_by_projection(G, W, penalty, M)
    assert subdifferential_distance(G, W, penalty, M) == pytest.approx(expected)
    if penalty.smooth:  # then it is max |∇F|
        grad_F = G + np.vstack([penalty.grad(W[:M]), np.zeros((6 - M, 3))])
        assert subdifferential_distance(G, W, penalty, M) == max_abs(grad_F)


def make_l1_problem(fit_intercept, sparse, dtype):
    """Objective of a small problem, and the float64 data to check it with."""
    rng = np.random.default_rng(1)
    N, M, K = 150, 8, 3
    X = rng.normal(size=(N, M)) * np.where(rng.uniform(size=(N, M)) < 0.5, 1, 0)
    y = (X @ rng.normal(size=(M, K)) + rng.gumbel(size=(N, K))).argmax(axis=1)
    X_core = X.T.astype(dtype)
    if sparse:
        X_core = sp.csc_matrix(X_core)
    objective = SoftmaxObjective(X_core, y, K, np.ones(N), fit_intercept)
    return objective, X, y


def numpy_gradient(theta, X, y, fit_intercept):
    """∇f of the mean loss from the core's ``X (S − Y)ᵀ``, X with a ones row."""
    N, K = y.shape[0], theta.size // (X.shape[1] + fit_intercept)
    X_tilde = np.vstack([X.T, np.ones((1, N))]) if fit_intercept else X.T
    W = np.asarray(theta, dtype=np.float64).reshape(-1, K)
    return softmax_gradient(W, X_tilde, np.eye(K)[:, y]) / N


@pytest.mark.parametrize("name", NON_SMOOTH)
@pytest.mark.parametrize("l1_ratio", [0.2, 0.5, 1.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_l1_solver_meets_the_optimality_conditions(
    name, l1_ratio, fit_intercept, sparse, dtype
):
    objective, X, y = make_l1_problem(fit_intercept, sparse, dtype)
    penalty = ElasticNet(0.05, l1_ratio)
    tol = 1e-10 if dtype == np.float64 else 1e-4
    result = SOLVERS[name].solve(
        objective, penalty, np.zeros(objective.n_params), tol=tol, max_iter=5000
    )
    assert result.converged, result.message
    assert result.theta.dtype == dtype
    G = numpy_gradient(result.theta, X, y, fit_intercept)
    W = result.theta.astype(np.float64).reshape(G.shape)
    M = X.shape[1]
    # The float32 solver sees its gradient to about 1e-7 of its terms.
    slack = 1e-12 if dtype == np.float64 else 2e-6
    assert distance_by_projection(G, W, penalty, M) <= tol + slack
    assert np.any(W[:M] == 0) and np.any(W[:M] != 0)
    if not SOLVERS[name].stochastic:
        # A step that raises F beyond rounding is rejected: F never goes up.
        rounding = 16 * np.finfo(dtype).eps * abs(result.losses[0])
        assert np.all(np.diff(result.losses) <= rounding)


@pytest.mark.parametrize("sparse", [False, True])
def test_metric_coordinates_and_their_gradient(sparse):
    # u = (W, b + Wᵀμ): θ(u) is linear, so ∇_u f = Aᵀ ∇_θ f, checked against
    # central differences of u ↦ f(θ(u)), and θ ↦ u ↦ θ is the identity.
    objective, X, y = make_l1_problem(True, sparse, np.float64)
    metric = Metric(objective)
    assert_allclose(metric.mu, X.mean(axis=0))
    assert_allclose(metric.D.reshape(objective.shape)[:-1, 0], X.var(axis=0))
    rng = np.random.default_rng(0)
    theta = rng.normal(size=objective.n_params)
    u = metric.to_u(theta)
    assert_allclose(metric.to_theta(u), theta, atol=1e-14)
    grad_u = metric.grad_u(objective.value_and_grad(theta)[1])
    eps = 1e-6
    for i in rng.choice(objective.n_params, size=6, replace=False):
        e = np.zeros_like(u)
        e[i] = eps
        f_plus = objective.value(metric.to_theta(u + e))
        f_minus = objective.value(metric.to_theta(u - e))
        assert grad_u[i] == pytest.approx((f_plus - f_minus) / (2 * eps), abs=1e-8)


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_callback_sees_the_iterate_and_can_stop_the_solver(name):
    objective, penalty = make_problem(1e-2)
    problem = SmoothProblem(objective, penalty)
    seen = []

    def callback(k, f, theta):
        # The iterate handed over is the one whose objective is reported.
        assert problem.value(theta) == pytest.approx(f, rel=1e-12)
        seen.append(theta.copy())
        return k == 3

    callback.takes_theta = True
    result = SOLVERS[name].solve(
        objective,
        penalty,
        np.zeros(objective.n_params),
        tol=1e-12,
        max_iter=1000,
        callback=callback,
    )
    assert result.stopped and not result.converged
    assert result.n_iter == len(result.losses) == len(seen) == 3
    assert_allclose(result.theta, seen[-1], rtol=1e-12, atol=1e-12)
