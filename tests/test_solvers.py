"""Each solver reaches the minimiser that scipy finds on the same objective."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import minimize

from sklearn_softmax._objective import SoftmaxObjective
from sklearn_softmax._penalties import ElasticNet
from sklearn_softmax._solvers import SOLVERS, get_solver
from sklearn_softmax._solvers._base import SmoothProblem, max_abs
from sklearn_softmax._solvers._newton_cg import NewtonCG, conjugate_gradient


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


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_smooth_solvers_refuse_an_l1_penalty(name):
    with pytest.raises(ValueError, match=r"l1_ratio=0\.5"):
        get_solver(name, ElasticNet(1.0, l1_ratio=0.5))
