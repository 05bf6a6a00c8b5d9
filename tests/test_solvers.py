"""Each solver reaches the minimiser that scipy finds on the same objective;
the L1 solver meets the optimality conditions, checked from numpy gradients."""

import re

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import approx_fprime, minimize, minimize_scalar
from scipy.special import logsumexp

from sklearn_softmax import SoftmaxRegression, softmax_gradient
from sklearn_softmax._objectives import SoftmaxObjective
from sklearn_softmax._objectives._array_api import ArrayAPISoftmaxObjective
from sklearn_softmax._penalties import ElasticNet
from sklearn_softmax._solvers import (
    IMPLEMENTATIONS,
    SOLVERS,
    check_solver,
    get_solver,
    solvers_for,
)
from sklearn_softmax._solvers._base import max_abs, subdifferential_distance
from sklearn_softmax._solvers._fista import Metric
from sklearn_softmax._solvers._gd import GradientDescent
from sklearn_softmax._solvers._newton_cg import NewtonCG, conjugate_gradient
from sklearn_softmax._solvers._problem import CompositeProblem
from sklearn_softmax._solvers._trace import IterationTrace

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
    problem = CompositeProblem(objective, penalty)
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


def test_composite_problem_hessian_diagonal_includes_the_penalty():
    objective, penalty = make_problem(0.3)
    theta = np.random.default_rng(2).normal(size=objective.n_params)
    _, _, hessp = CompositeProblem(objective, penalty).value_grad_hessp(theta)
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
    problem = CompositeProblem(objective, penalty)
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
    problem = CompositeProblem(objective, penalty)
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


class FakeObjective:
    """An objective that declares ``provides`` and nothing else."""

    def __init__(self, provides):
        self.provides = frozenset(provides)


@pytest.mark.parametrize(
    ("provides", "name", "missing", "capable"),
    [
        ({"gradient"}, "newton-cg", "'hessian'", ["gd", "lbfgs"]),
        ({"gradient"}, "fista", "'means'.*'moments'", ["gd", "lbfgs"]),
        ({"gradient", "moments"}, "fista", "'means'", ["gd", "lbfgs"]),
        ({"gradient"}, "sgd", "'finite_sum'", ["gd", "lbfgs"]),
        ({"gradient", "finite_sum"}, "fista", "'means'", ["gd", "lbfgs", "sgd"]),
    ],
)
def test_check_solver_refuses_missing_capabilities(provides, name, missing, capable):
    objective = FakeObjective(provides)
    with pytest.raises(ValueError) as error:
        check_solver(name, objective)
    message = str(error.value)
    assert re.search(rf"solver='{name}' does not support .*{missing}", message)
    assert message.endswith(f"one of {capable}.")
    for capable_name in capable:
        assert check_solver(capable_name, objective) is SOLVERS[capable_name]


def test_get_solver_checks_the_objective():
    gradient_only = FakeObjective({"gradient"})
    with pytest.raises(ValueError, match=r"'hessian'.*one of \['gd', 'lbfgs'\]"):
        get_solver("newton-cg", ElasticNet(0.1), gradient_only)
    # The smooth-only refusal then lists the L1 solvers that run on it: none.
    with pytest.raises(ValueError, match="no solver of this version supports it"):
        get_solver("gd", ElasticNet(0.1, 0.5), gradient_only)


@pytest.mark.parametrize(
    ("provides", "l1_ratio", "expected"),
    [
        (SoftmaxObjective.provides, 0.0, "newton-cg"),
        (SoftmaxObjective.provides, 0.5, "fista"),
        (ArrayAPISoftmaxObjective.provides, 0.0, "newton-cg"),
        (ArrayAPISoftmaxObjective.provides, 0.5, "sgd"),  # no feature means
        ({"gradient"}, 0.0, "lbfgs"),
    ],
)
def test_auto_picks_the_first_preference_the_objective_serves(
    provides, l1_ratio, expected
):
    solver = get_solver("auto", ElasticNet(0.1, l1_ratio), FakeObjective(provides))
    assert solver is SOLVERS[expected]


def test_solvers_for_reads_the_declarations():
    assert solvers_for(SoftmaxObjective) == sorted(SOLVERS)
    # The array-API tag's list of the previous releases.
    assert solvers_for(ArrayAPISoftmaxObjective) == ["gd", "lbfgs", "newton-cg", "sgd"]
    tags = SoftmaxRegression(solver="fista").__sklearn_tags__()
    assert tags.array_api_support is False


def test_an_alternative_implementation_serves_what_the_primary_cannot(monkeypatch):
    class Streamed(GradientDescent):
        name = "sgd"

    variant = Streamed()
    monkeypatch.setitem(IMPLEMENTATIONS, "sgd", (SOLVERS["sgd"], variant))
    gradient_only = FakeObjective({"gradient"})
    assert check_solver("sgd", gradient_only) is variant
    in_memory = FakeObjective(SoftmaxObjective.provides)
    assert check_solver("sgd", in_memory) is SOLVERS["sgd"]

    class GradientOnly:
        provides = frozenset({"gradient"})

    assert solvers_for(GradientOnly) == ["gd", "lbfgs", "sgd"]


@pytest.mark.parametrize("name", SMOOTH_ONLY)
def test_smooth_solvers_refuse_an_l1_penalty_when_called_directly(name):
    objective, _ = make_problem(0.1)
    with pytest.raises(ValueError, match="without an L1 part"):
        SOLVERS[name].solve(
            objective, ElasticNet(0.1, 0.5), np.zeros(objective.n_params),
            tol=1e-6, max_iter=10,
        )  # fmt: skip


@pytest.mark.parametrize("takes_theta", [False, True])
def test_iteration_trace_reports_each_iteration_and_stops_on_request(takes_theta):
    calls = []

    def callback(k, f, *theta):
        calls.append((k, f, *theta))
        return k == 2

    callback.takes_theta = takes_theta
    trace = IterationTrace(callback, tol=1e-3, max_iter=5)
    thetas = [np.full(2, float(k)) for k in (1, 2)]
    assert trace.record(np.float32(4.0), thetas[0]) is False
    trace.converge()  # the callback's stop takes precedence
    assert trace.record(3.5, thetas[1]) is True
    assert trace.losses == [4.0, 3.5] and type(trace.losses[0]) is float
    expected = [(1, 4.0, *thetas[:1]), (2, 3.5, *thetas[1:])]
    if not takes_theta:
        expected = [(k, f) for k, f, _ in expected]
    assert calls == expected
    result = trace.result(thetas[1])
    assert (result.n_iter, result.converged, result.stopped) == (2, False, True)
    assert result.message == "stopped by the callback"
    assert result.theta is thetas[1] and result.losses == [4.0, 3.5]


@pytest.mark.parametrize(
    ("end", "converged", "message"),
    [
        (lambda trace: None, False, "reached max_iter=5"),
        (lambda trace: trace.converge(), True, "optimality measure <= tol=0.001"),
        (lambda trace: trace.converge("max |gradient|"), True, "max |gradient| <= "),
        (lambda trace: trace.fail("no decrease"), False, "no decrease"),
        (lambda trace: trace.conclude(True, "scipy: done"), True, "scipy: done"),
    ],
)
def test_iteration_trace_says_why_the_solve_ended(end, converged, message):
    trace = IterationTrace(None, tol=1e-3, max_iter=5)
    assert trace.record(1.0, np.zeros(1)) is False  # no callback: never stops
    end(trace)
    result = trace.result(np.zeros(1))
    assert (result.n_iter, result.converged, result.stopped) == (1, converged, False)
    assert result.message.startswith(message)
    assert trace.result(np.zeros(1), n_iter=7).n_iter == 7


def independent_F(theta, X, y, s, penalty):
    """``F`` from scipy's log-sum-exp on the N × K logits of ``X W + b``."""
    N, M = X.shape
    W = theta.reshape(M + 1, -1)
    Z = X @ W[:M] + W[M]
    f = s @ (logsumexp(Z, axis=1) - Z[np.arange(N), y]) / s.sum()
    a, c = penalty.l2_strength, penalty.l1_strength
    return f + 0.5 * a * np.sum(W[:M] ** 2) + c * np.abs(W[:M]).sum()


def make_composite(l1_ratio):
    rng = np.random.default_rng(4)
    N, M, K = 120, 4, 3
    X = rng.normal(size=(N, M))
    y = (X @ rng.normal(size=(M, K)) + rng.gumbel(size=(N, K))).argmax(axis=1)
    s = rng.uniform(0.5, 2.0, size=N)
    penalty = ElasticNet(0.05, l1_ratio)
    problem = CompositeProblem(SoftmaxObjective(X.T, y, K, s, True), penalty)
    return problem, (X, y, s, penalty)


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5])
def test_composite_problem_values_and_gradient(l1_ratio):
    problem, data = make_composite(l1_ratio)
    smooth = (*data[:3], ElasticNet(problem.penalty.l2_strength))
    theta = np.random.default_rng(0).normal(size=problem.objective.n_params)
    f, g = problem.data_value_and_grad(theta)
    assert f == problem.data_value(theta)
    assert problem.value_of(f, theta) == pytest.approx(independent_F(theta, *data))
    assert problem.value(theta) == pytest.approx(independent_F(theta, *smooth))
    value, grad = problem.value_and_grad(theta)
    assert value == pytest.approx(independent_F(theta, *smooth))
    assert_allclose(grad, approx_fprime(theta, independent_F, 1e-7, *smooth), atol=1e-6)
    coef = problem.coef(theta)
    assert np.shares_memory(coef, theta)
    assert_array_equal(coef, theta.reshape(problem.shape)[:-1])


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5])
def test_composite_problem_optimality_vanishes_at_a_scipy_minimiser(l1_ratio):
    # W = P − Q with P, Q ≥ 0 makes F smooth under bounds, for L-BFGS-B; the
    # entries where P = Q (to its tolerance) are the minimiser's zeros.
    problem, (X, y, s, penalty) = make_composite(l1_ratio)
    n, k = problem.objective.n_params, problem.shape[1]
    m = n - k  # coefficient entries

    def to_theta(v):
        return np.concatenate([v[:m] - v[m : 2 * m], v[2 * m :]])

    def split_F(v):
        coef = v[:m] - v[m : 2 * m]
        return independent_F(to_theta(v), X, y, s, ElasticNet(0.0)) + (
            0.5 * penalty.l2_strength * coef @ coef
            + penalty.l1_strength * v[: 2 * m].sum()
        )

    found = minimize(
        split_F, np.zeros(2 * m + k), method="L-BFGS-B",
        bounds=[(0, None)] * (2 * m) + [(None, None)] * k,
        options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 10_000},
    )  # fmt: skip
    theta = to_theta(found.x)
    theta[:m][np.abs(theta[:m]) < 1e-7] = 0.0
    assert np.any(theta[:m] == 0) == bool(l1_ratio)
    g = problem.data_value_and_grad(theta)[1]
    assert problem.optimality(g, theta) < 1e-6
    g0 = problem.data_value_and_grad(np.zeros(n))[1]
    assert problem.optimality(g0, np.zeros(n)) > 1e-2
    if not l1_ratio:  # then it is max |∇F|
        smooth_g = problem.value_and_grad(theta)[1]
        assert problem.smooth_optimality(smooth_g) == problem.optimality(g, theta)


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("array_step", [False, True])
def test_composite_problem_prox_is_the_entrywise_minimiser(l1_ratio, array_step):
    penalty = ElasticNet(2.0, l1_ratio)
    problem = CompositeProblem(make_composite(0.0)[0].objective, penalty)
    rows, K = problem.shape
    rng = np.random.default_rng(1)
    theta = rng.normal(size=rows * K)
    W = theta.reshape(rows, K).copy()
    step = rng.uniform(0.1, 1.0, size=(rows - 1, K)) if array_step else 0.3
    steps = np.broadcast_to(step, (rows - 1, K))
    prox = problem.prox(theta, step).reshape(rows, K)
    assert_array_equal(theta.reshape(rows, K), W)  # a new array
    assert_array_equal(prox[-1], W[-1])  # the intercept is not penalised
    a, c = penalty.l2_strength, penalty.l1_strength
    for (i, j), t in np.ndenumerate(steps):
        # w minimises h(w) = (w − v)² / (2t) + a w² / 2 + c |w| exactly when
        # 0 ∈ (w − v) / t + a w + c ∂|w|, ∂|0| = [−1, 1]; and numerically.
        v, w = W[i, j], prox[i, j]
        if w == 0:
            assert abs(v / t) <= c
        else:
            assert (w - v) / t + a * w + c * np.sign(w) == pytest.approx(0, abs=1e-12)

        def h(w, v=v, t=t):
            return (w - v) ** 2 / (2 * t) + 0.5 * a * w**2 + c * abs(w)

        best = minimize_scalar(h, bounds=(-5, 5), method="bounded")
        assert w == pytest.approx(best.x, abs=1e-5)
    assert np.any(prox[:-1] == 0) == bool(l1_ratio)
