"""Soft targets: the core with non-one-hot ``Y``, and the estimator's ``target_proba``.

Every expected value comes from an independent computation: finite
differences, the replicated data (``K`` copies of every sample, with labels
``k`` and weights ``s_n q_nk``), or scipy's ``log_softmax``.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.special import log_softmax as scipy_log_softmax

from sklearn_softmax import softmax_gradient, softmax_loss

M, N, K = 4, 30, 3


def central_difference(f, W, eps=1e-6):
    G = np.zeros_like(W)
    for index in np.ndindex(W.shape):
        E = np.zeros_like(W)
        E[index] = eps
        G[index] = (f(W + E) - f(W - E)) / (2 * eps)
    return G


def targets(kind: str, rng) -> np.ndarray:
    """``Y`` of shape (K, N): soft (columns sum to one), counts, or with zeros."""
    if kind == "soft":
        return rng.dirichlet(np.ones(K), size=N).T
    if kind == "counts":
        return rng.integers(0, 4, size=(K, N)).astype(float)
    Y = rng.uniform(0, 2, size=(K, N))  # "scaled": columns of any sum, some zero
    Y[:, :3] = 0
    return Y


@pytest.mark.parametrize("kind", ["soft", "counts", "scaled"])
@pytest.mark.parametrize("sparse_Y", [False, True])
def test_core_gradient_matches_finite_differences_for_any_targets(kind, sparse_Y):
    rng = np.random.default_rng(1)
    W, X = rng.normal(size=(M, K)), rng.normal(size=(M, N))
    Y = targets(kind, rng)
    Y_in = sp.coo_array(Y) if sparse_Y else Y
    numeric = central_difference(lambda V: softmax_loss(V, X, Y_in), W)
    G = softmax_gradient(W, X, Y_in)
    assert np.linalg.norm(G - numeric) <= 1e-6 * np.linalg.norm(numeric)


@pytest.mark.parametrize("kind", ["soft", "counts"])
def test_core_loss_is_the_formula_of_scipy(kind):
    rng = np.random.default_rng(2)
    W, X = rng.normal(size=(M, K)), rng.normal(size=(M, N))
    Y = targets(kind, rng)
    expected = -np.sum(Y * scipy_log_softmax(W.T @ X, axis=0))
    assert softmax_loss(W, X, Y) == pytest.approx(expected, rel=1e-12)


def test_core_gradient_of_counts_is_the_gradient_of_replicated_one_hot_columns():
    """Integer counts Y_kn equal Y_kn copies of sample n with label k."""
    rng = np.random.default_rng(3)
    W, X = rng.normal(size=(M, K)), rng.normal(size=(M, N))
    Y = targets("counts", rng).astype(int)
    n_rep, k_rep = np.nonzero(Y.T)
    repeats = Y.T[n_rep, k_rep]
    columns = np.repeat(n_rep, repeats)
    labels = np.repeat(k_rep, repeats)
    Y_one_hot = np.eye(K)[:, labels]
    assert_allclose(
        softmax_gradient(W, X, Y.astype(float)),
        softmax_gradient(W, X[:, columns], Y_one_hot),
        rtol=1e-12,
        atol=1e-12,
    )
