"""The derivation's formulas against scipy, scikit-learn and finite differences."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.special import log_softmax as scipy_log_softmax
from scipy.special import logsumexp
from scipy.special import softmax as scipy_softmax
from sklearn.metrics import log_loss

from sklearn_softmax import softmax, softmax_gradient, softmax_loss
from sklearn_softmax._core import log_softmax
from sklearn_softmax._core._kernel import (
    exp_and_sums,
    log_softmax_columns,
    shift_by_max,
    softmax_columns,
)
from sklearn_softmax._core._namespace import to_numpy

M, N, K = 5, 40, 4


@pytest.fixture
def problem():
    """W (M, K), X (M, N), one-hot Y (K, N) and the labels y."""
    rng = np.random.default_rng(0)
    W = rng.normal(size=(M, K))
    X = rng.normal(size=(M, N))
    y = rng.integers(K, size=N)
    Y = np.eye(K)[:, y]
    return W, X, Y, y


def central_difference(f, W, eps=1e-6):
    G = np.zeros_like(W)
    for index in np.ndindex(W.shape):
        E = np.zeros_like(W)
        E[index] = eps
        G[index] = (f(W + E) - f(W - E)) / (2 * eps)
    return G


def test_softmax_matches_scipy_column_wise():
    Z = np.random.default_rng(1).normal(scale=5, size=(K, N))
    S = softmax(Z)
    assert_allclose(S, scipy_softmax(Z, axis=0), rtol=1e-14)
    assert_allclose(S.sum(axis=0), 1.0, rtol=1e-14)


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_softmax_is_stable_for_huge_logits(scale):
    Z = scale * np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [-1.0, -1.0, 0.5]])
    S = softmax(Z)
    assert np.all(np.isfinite(S))
    assert_allclose(S, scipy_softmax(Z, axis=0), rtol=1e-14, atol=0)
    assert_allclose(log_softmax(Z), scipy_log_softmax(Z, axis=0), rtol=1e-14)


def test_loss_is_exact_for_huge_logits():
    # Z = WᵀX = [[1e4], [-1e4]]; the true class 1 has log-probability -2e4.
    W, X = np.array([[1e4, -1e4]]), np.array([[1.0]])
    assert softmax_loss(W, X, np.array([[0.0], [1.0]])) == pytest.approx(2e4, 1e-15)
    assert softmax_loss(W, X, np.array([[1.0], [0.0]])) == 0.0
    G = softmax_gradient(W, X, np.array([[0.0], [1.0]]))
    assert_allclose(G, [[1.0, -1.0]])


def test_loss_matches_sklearn_log_loss(problem):
    W, X, Y, y = problem
    S = scipy_softmax(W.T @ X, axis=0)
    expected = log_loss(y, S.T, normalize=False, labels=np.arange(K))
    assert softmax_loss(W, X, Y) == pytest.approx(expected, rel=1e-12)


def test_gradient_matches_finite_differences(problem):
    W, X, Y, _ = problem
    numeric = central_difference(lambda V: softmax_loss(V, X, Y), W)
    G = softmax_gradient(W, X, Y)
    assert np.linalg.norm(G - numeric) <= 1e-6 * np.linalg.norm(numeric)


def test_gradient_is_the_per_column_sum_of_the_derivation(problem):
    W, X, Y, _ = problem
    S = scipy_softmax(W.T @ X, axis=0)
    for i in range(K):
        column = sum(X[:, n] * (S[i, n] - Y[i, n]) for n in range(N))
        assert_allclose(softmax_gradient(W, X, Y)[:, i], column, rtol=1e-12)


@pytest.mark.parametrize(
    "container", [sp.csr_matrix, sp.csc_matrix, sp.csr_array, sp.csc_array]
)
def test_sparse_X_gives_the_dense_results(problem, container):
    W, X, Y, _ = problem
    X = np.where(np.abs(X) > 1, X, 0.0)
    Xs = container(X)
    assert softmax_loss(W, Xs, Y) == pytest.approx(softmax_loss(W, X, Y), rel=1e-13)
    G = softmax_gradient(W, Xs, Y)
    assert isinstance(G, np.ndarray)
    assert_allclose(G, softmax_gradient(W, X, Y), rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(problem, dtype):
    W, X, Y, _ = problem
    W, X = W.astype(dtype), X.astype(dtype)
    assert softmax(W.T @ X).dtype == dtype
    assert softmax_gradient(W, X, Y).dtype == dtype
    assert_allclose(
        softmax_gradient(W, X, Y),
        softmax_gradient(W.astype(np.float64), X.astype(np.float64), Y),
        rtol=1e-5 if dtype == np.float32 else 1e-14,
        atol=1e-5 if dtype == np.float32 else 0,
    )


def test_integer_logits_become_float64():
    assert softmax(np.array([[0], [0]])).dtype == np.float64


@pytest.mark.parametrize(
    "shapes", [((M, K), (M + 1, N), (K, N)), ((M, K), (M, N), (K + 1, N))]
)
def test_mismatched_shapes_are_refused(shapes):
    W, X, Y = (np.zeros(shape) for shape in shapes)
    with pytest.raises(ValueError, match="Shapes do not match"):
        softmax_loss(W, X, Y)


# The kernel (_core._kernel): one stable softmax for every namespace.


def _strict(a):
    xp = pytest.importorskip("array_api_strict")
    return xp.asarray(a, device=xp.Device("device1"))  # np.asarray raises there


def _torch(a):
    return pytest.importorskip("torch").asarray(a, device="cpu")


NAMESPACES = {"numpy": np.asarray, "array_api_strict": _strict, "torch": _torch}


def _extreme_logits(dtype):
    """(K, N) logits from ±1e4 to ordinary, with ties and a constant column."""
    rng = np.random.default_rng(3)
    Z = np.hstack(
        [
            1e4 * rng.standard_normal((K, 6)),
            rng.standard_normal((K, 6)),
            [[1e4], [1e4], [-1e4], [0.0]],
            np.full((K, 1), -1e4),
        ]
    )
    return Z.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(NAMESPACES))
def test_kernel_matches_float64_log_sum_exp(name, dtype):
    Z = _extreme_logits(dtype)
    reference = Z.astype(np.float64)  # the same numbers, in float64
    log_S = reference - logsumexp(reference, axis=0)
    rtol, atol = (1e-12, 1e-12) if dtype == np.float64 else (1e-6, 1e-5)
    Z_xp = NAMESPACES[name](Z)
    results = {
        "softmax": (softmax_columns(Z_xp), np.exp(log_S)),
        "log_softmax": (log_softmax_columns(Z_xp), log_S),
    }
    L = shift_by_max(Z_xp)
    E, sums = exp_and_sums(L)
    results["shift"] = (L, reference - reference.max(axis=0))
    results["sums"] = (sums, np.exp(logsumexp(reference, axis=0) - reference.max(0)))
    results["exp"] = (E, np.exp(reference - reference.max(axis=0)))
    for key, (result, expected) in results.items():
        assert type(result) is type(Z_xp), key
        assert result.dtype == Z_xp.dtype, key
        assert_allclose(to_numpy(result), expected, rtol=rtol, atol=atol, err_msg=key)
    assert np.all(np.isfinite(to_numpy(results["log_softmax"][0])))


@pytest.mark.parametrize("name", list(NAMESPACES))
def test_kernel_writes_in_place_only_for_numpy_when_allowed(name):
    Z = _extreme_logits(np.float64)
    Z_xp = NAMESPACES[name](Z.copy())
    for function in (shift_by_max, softmax_columns, log_softmax_columns):
        result = function(Z_xp)  # never in place by default
        assert_allclose(to_numpy(Z_xp), Z, rtol=0)
        result = function(Z_xp, overwrite=True)
        if name == "numpy":  # Z itself, no new K × N array
            assert result is Z_xp
            Z_xp = Z.copy()
        else:  # other namespaces: a new array, Z untouched
            assert_allclose(to_numpy(Z_xp), Z, rtol=0)
    L = Z - Z.max(axis=0)
    L_xp = NAMESPACES[name](L.copy())
    E, _ = exp_and_sums(L_xp, overwrite=True)
    assert (E is L_xp) == (name == "numpy")
    assert_allclose(to_numpy(E), np.exp(L), rtol=1e-15)


# The core's output dtype, its exports and what it refuses.


@pytest.mark.parametrize("sparse_X", [False, True])
def test_float32_loss_is_a_float32_scalar_summed_in_float64(sparse_X):
    # Independent reference: the same float32 numbers, everything in float64
    # (scipy's log_softmax); the float32 result is within one rounding of it.
    rng = np.random.default_rng(7)
    M_, N_, K_ = 20, 200_000, 10
    W = rng.standard_normal((M_, K_)).astype(np.float32)
    X = rng.standard_normal((M_, N_)).astype(np.float32)
    y = rng.integers(K_, size=N_)
    Y = np.eye(K_, dtype=np.float32)[:, y]
    W64, X64 = W.astype(np.float64), X.astype(np.float64)
    reference = -scipy_log_softmax(W64.T @ X64, axis=0)[y, np.arange(N_)].sum()
    E = softmax_loss(W, sp.csr_array(X) if sparse_X else X, Y)
    assert type(E) is np.float32  # what np.float32 arrays' .sum() returns
    assert abs(float(E) - reference) <= np.spacing(np.float32(reference))
    E64 = softmax_loss(W64, X64, Y)
    assert type(E64) is np.float64
    assert E64 == pytest.approx(reference, rel=1e-12)


def test_log_softmax_is_exported():
    import sklearn_softmax
    from sklearn_softmax import _core

    assert "log_softmax" in sklearn_softmax.__all__
    assert sklearn_softmax.log_softmax is _core.log_softmax
    Z = np.random.default_rng(2).normal(scale=30, size=(K, N))
    assert_allclose(sklearn_softmax.log_softmax(Z), scipy_log_softmax(Z, axis=0))


@pytest.mark.parametrize(
    "container",
    [sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array, sp.coo_array],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_Y_gives_the_dense_results(problem, container, dtype):
    W, X, Y, y = problem
    W, X = W.astype(dtype), X.astype(dtype)
    Ys = container(Y)
    E = softmax_loss(W, X, Ys)
    assert type(E) is np.dtype(dtype).type
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    S = scipy_softmax(W.astype(np.float64).T @ X.astype(np.float64), axis=0)
    expected = log_loss(y, S.T, normalize=False, labels=np.arange(K))
    assert float(E) == pytest.approx(expected, rel=rtol)
    G = softmax_gradient(W, X, Ys)
    assert isinstance(G, np.ndarray) and G.dtype == dtype
    assert_allclose(G, X.astype(np.float64) @ (S - Y).T, rtol=rtol, atol=rtol)
    # sparse X and sparse Y together
    assert_allclose(softmax_gradient(W, sp.csr_array(X), Ys), G, rtol=rtol, atol=rtol)


def test_sparse_Y_with_duplicate_entries_is_summed(problem):
    # COO may hold an entry twice; scipy's meaning is their sum.
    W, X, Y, _ = problem
    rows, cols = np.nonzero(Y)
    rows, cols = np.concatenate([rows, rows]), np.concatenate([cols, cols])
    Ys = sp.coo_array((np.full(rows.size, 0.5), (rows, cols)), shape=Y.shape)
    assert softmax_loss(W, X, Ys) == pytest.approx(softmax_loss(W, X, Y), rel=1e-13)
    assert_allclose(softmax_gradient(W, X, Ys), softmax_gradient(W, X, Y), rtol=1e-13)


@pytest.mark.parametrize("name", ["W", "X", "Y"])
@pytest.mark.parametrize("function", [softmax_loss, softmax_gradient])
def test_complex_input_is_refused(problem, function, name):
    arrays = dict(zip("WXY", problem[:3], strict=True))
    arrays[name] = arrays[name] + 1e-3j
    with pytest.raises(ValueError, match=f"Complex data not supported: {name} "):
        function(arrays["W"], arrays["X"], arrays["Y"])


def test_complex_sparse_X_is_refused(problem):
    W, X, Y, _ = problem
    with pytest.raises(ValueError, match="Complex data not supported: X "):
        softmax_loss(W, sp.csr_array(X.astype(np.complex128)), Y)


@pytest.mark.parametrize("function", [softmax, log_softmax])
def test_complex_logits_are_refused(function):
    with pytest.raises(ValueError, match="Complex data not supported: Z "):
        function(np.array([[1.0 + 1j], [0.0]]))
