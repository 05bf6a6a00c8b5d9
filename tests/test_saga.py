"""fit(solver="sgd"): SAGA reaches the deterministic solvers' minimiser."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from sklearn.datasets import load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import sklearn_softmax._solvers._saga as saga_module
from sklearn_softmax import SoftmaxRegression

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
