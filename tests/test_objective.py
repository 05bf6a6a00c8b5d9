"""The blockwise objective against the core formulas and finite differences."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax as scipy_softmax
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_softmax import softmax_gradient, softmax_loss
from sklearn_softmax._objectives import SoftmaxObjective

N, M, K = 60, 6, 4


def make_objective(fit_intercept=True, block_size=None, dtype=np.float64, sparse=None):
    rng = np.random.default_rng(0)
    X_user = rng.normal(size=(N, M)).astype(dtype)  # samples × features
    if sparse is not None:
        X_user = sparse(np.where(np.abs(X_user) > 0.7, X_user, 0))
    y = rng.integers(K, size=N)
    s = rng.uniform(0.1, 3, size=N)
    objective = SoftmaxObjective(X_user.T, y, K, s, fit_intercept, block_size)
    theta = rng.normal(size=objective.n_params).astype(dtype)
    return objective, theta, X_user, y, s


def relative_error(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_value_and_gradient_equal_the_core_with_a_ones_row(fit_intercept):
    # The intercept is the derivation's W with a constant-one feature appended.
    objective, theta, X_user, y, _ = make_objective(fit_intercept)
    objective = SoftmaxObjective(X_user.T, y, K, np.ones(N), fit_intercept)
    X = X_user.T
    if fit_intercept:
        X = np.vstack([X, np.ones((1, N))])
    W, Y = theta.reshape(objective.shape), np.eye(K)[:, y]
    f, g = objective.value_and_grad(theta)
    assert f == pytest.approx(softmax_loss(W, X, Y) / N, rel=1e-13)
    assert_allclose(g.reshape(W.shape), softmax_gradient(W, X, Y) / N, rtol=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_weighted_value_is_the_weighted_mean_loss(fit_intercept):
    objective, theta, X_user, y, s = make_objective(fit_intercept)
    W = theta.reshape(objective.shape)
    Z = X_user @ W[:M] + (W[M] if fit_intercept else 0)
    losses = np.logaddexp.reduce(Z, axis=1) - Z[np.arange(N), y]
    assert objective.value(theta) == pytest.approx(s @ losses / s.sum(), rel=1e-13)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gradient_matches_finite_differences(fit_intercept):
    objective, theta, *_ = make_objective(fit_intercept)
    eps = 1e-6
    numeric = np.array(
        [
            (objective.value(theta + eps * e) - objective.value(theta - eps * e))
            / (2 * eps)
            for e in np.eye(theta.size)
        ]
    )
    assert relative_error(objective.value_and_grad(theta)[1], numeric) <= 1e-6


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_hessian_vector_product_matches_finite_differences(fit_intercept):
    objective, theta, *_ = make_objective(fit_intercept)
    v = np.random.default_rng(1).normal(size=theta.size)
    eps = 1e-6
    numeric = (
        objective.value_and_grad(theta + eps * v)[1]
        - objective.value_and_grad(theta - eps * v)[1]
    ) / (2 * eps)
    f, g, hessp = objective.value_grad_hessp(theta)
    assert relative_error(hessp(v), numeric) <= 1e-6
    assert f == pytest.approx(objective.value(theta), rel=1e-14)
    assert_allclose(g, objective.value_and_grad(theta)[1], rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("sparse", [None, sp.csc_array])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_hessian_diagonal_matches_finite_differences(fit_intercept, sparse):
    objective, theta, *_ = make_objective(fit_intercept, block_size=7, sparse=sparse)
    eps = 1e-6
    numeric = np.array(
        [
            (
                objective.value_and_grad(theta + eps * e)[1][i]
                - objective.value_and_grad(theta - eps * e)[1][i]
            )
            / (2 * eps)
            for i, e in enumerate(np.eye(theta.size))
        ]
    )
    _, _, hessp = objective.value_grad_hessp(theta)
    assert relative_error(hessp.diagonal(), numeric) <= 1e-6


@pytest.mark.parametrize("sparse", [None, sp.csr_matrix, sp.csc_array])
def test_feature_moments_are_the_weighted_mean_squares(sparse):
    objective, _, X_user, _, s = make_objective(block_size=7, sparse=sparse)
    X_dense = X_user.toarray() if sparse else X_user
    expected = s @ X_dense**2 / s.sum()
    assert_allclose(objective.feature_moments(), expected, rtol=1e-13)


@pytest.mark.parametrize("block_size", [1, 7, N])
def test_blocks_do_not_change_the_result(block_size):
    objective, theta, *_ = make_objective(block_size=None)
    blocked, *_ = make_objective(block_size=block_size)
    assert len(blocked.blocks) == -(-N // block_size)
    f, g, hessp = objective.value_grad_hessp(theta)
    f_b, g_b, hessp_b = blocked.value_grad_hessp(theta)
    assert f_b == pytest.approx(f, rel=1e-13)
    assert_allclose(g_b, g, rtol=1e-12, atol=1e-15)
    assert_allclose(hessp_b(theta), hessp(theta), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_array])
@pytest.mark.parametrize("block_size", [None, 9])
def test_sparse_X_gives_the_dense_results(container, block_size):
    # The same thresholded X, once dense and once sparse.
    dense, theta, *_ = make_objective(block_size=block_size, sparse=np.asarray)
    sparse, *_ = make_objective(block_size=block_size, sparse=container)
    f, g, hessp = dense.value_grad_hessp(theta)
    f_s, g_s, hessp_s = sparse.value_grad_hessp(theta)
    assert f_s == pytest.approx(f, rel=1e-13)
    assert_allclose(g_s, g, rtol=1e-12, atol=1e-15)
    assert_allclose(hessp_s(theta), hessp(theta), rtol=1e-12, atol=1e-15)


def test_float32_is_computed_in_float32():
    objective, theta, *_ = make_objective(dtype=np.float32)
    reference, theta64, *_ = make_objective()
    f, g, hessp = objective.value_grad_hessp(theta)
    assert g.dtype == np.float32 and hessp(theta).dtype == np.float32
    assert f == pytest.approx(reference.value(theta64), rel=1e-5)
    assert_allclose(g, reference.value_and_grad(theta64)[1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("order", ["C", "F"])
def test_X_is_used_without_a_copy(order):
    X_user = np.asfortranarray(np.ones((N, M))) if order == "F" else np.ones((N, M))
    objective = SoftmaxObjective(X_user.T, np.arange(N) % K, K, np.ones(N), True)
    assert np.shares_memory(objective.X, X_user)
    assert all(np.shares_memory(objective.X[:, b], X_user) for b in objective.blocks)


@pytest.mark.parametrize("sparse", [None, sp.csc_matrix])
def test_threads_give_the_serial_result_exactly(sparse):
    serial, theta, *_ = make_objective(block_size=7, sparse=sparse)
    threaded, *_ = make_objective(block_size=7, sparse=sparse)
    with threaded.parallel(n_threads=3):
        f_t, g_t, hessp_t = threaded.value_grad_hessp(theta)
        hv_t, value_t = hessp_t(theta), threaded.value(theta)
    f, g, hessp = serial.value_grad_hessp(theta)
    assert (f_t, value_t) == (f, serial.value(theta))
    assert_array_equal(g_t, g)
    assert_array_equal(hv_t, hessp(theta))


def blas_threads():
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def test_parallel_limits_blas_to_one_thread_and_restores_it():
    objective, *_ = make_objective(block_size=7)
    with threadpool_limits(limits=2, user_api="blas"):
        with objective.parallel():
            inside = blas_threads()
            assert objective._pool is not None
        after = blas_threads()
    assert (inside, after) == ({1}, {2})
    assert objective._pool is None


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [None, sp.csr_matrix])
def test_residuals_and_backward_give_the_gradient(fit_intercept, sparse):
    # R = S − Y per sample, from scipy's softmax; backward(ŝ ∘ R) = ∇f.
    objective, theta, X_user, y, s = make_objective(
        fit_intercept, block_size=17, sparse=sparse
    )
    W = theta.reshape(objective.shape)
    X_dense = X_user.toarray() if sparse else X_user
    Z = X_dense @ W[:M] + (W[M] if fit_intercept else 0)
    expected = (scipy_softmax(Z, axis=1) - np.eye(K)[y]).T
    f, R = objective.residuals(theta)
    assert R.shape == (K, N)
    assert_allclose(R, expected, rtol=1e-12, atol=1e-15)
    f_ref, g_ref = objective.value_and_grad(theta)
    assert f == pytest.approx(f_ref, rel=1e-14)
    assert_allclose(objective.backward(R * (s / s.sum())), g_ref, rtol=1e-12)
