"""SoftmaxRegression against LogisticRegression and the objective's invariants."""

import functools
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from sklearn.datasets import load_digits, load_iris, load_wine, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

import sklearn_softmax._backends._numpy as numpy_backend
from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._solvers import SOLVERS

# The stochastic solver needs thousands of epochs at TIGHT on these problems
# (their weak penalties make them ill-conditioned for first-order methods);
# tests/test_saga.py checks it against the same references where it is fast.
DETERMINISTIC = sorted(name for name, s in SOLVERS.items() if not s.stochastic)

TIGHT = {"tol": 1e-8, "max_iter": 10_000}
# lbfgs (ours and scikit-learn's) stops where F stalls in float64, so the
# references are scikit-learn's newton-cg fits.
REFERENCE = {"solver": "newton-cg", **TIGHT}

# At TIGHT's tol, lbfgs can stop where F no longer decreases in float64 and
# says so; any other ConvergenceWarning (max_iter reached) still shows.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*the objective stopped decreasing:sklearn.exceptions.ConvergenceWarning"
)


@functools.cache
def dataset(name):
    if name == "iris":
        return load_iris(return_X_y=True)
    if name in ("wine", "digits"):
        X, y = {"wine": load_wine, "digits": load_digits}[name](return_X_y=True)
        return StandardScaler().fit_transform(X), y
    return make_classification(
        n_samples=300, n_features=12, n_informative=6, n_classes=4, random_state=0
    )


def weights(kind, y):
    """(sample_weight, class_weight) for a weighting scheme."""
    if kind == "sample_weight":
        return np.random.default_rng(0).uniform(0.2, 3.0, size=y.shape[0]), None
    if kind == "class_weight":
        return None, {c: 1.0 + c % 3 for c in np.unique(y)}
    return None, None


def objective(
    coef, intercept, X, y, C, sample_weight=None, class_weight=None, l1_ratio=0.0
):
    """``C Σ s_n ℓ_n + ½ (1 − ρ) ‖coef‖² + ρ ‖coef‖₁`` in float64, from the
    definition."""
    classes = np.unique(y)
    s = np.ones(y.shape[0]) if sample_weight is None else sample_weight
    if class_weight is not None:
        s = s * np.array([class_weight[c] for c in y])
    coef = np.asarray(coef, dtype=np.float64)
    Z = X @ coef.T + intercept
    y_index = np.searchsorted(classes, y)
    losses = logsumexp(Z, axis=1) - Z[np.arange(y.shape[0]), y_index]
    penalty = 0.5 * (1 - l1_ratio) * np.sum(coef**2) + l1_ratio * np.abs(coef).sum()
    return C * s @ losses + penalty


@functools.cache
def reference_fit(name, fit_intercept, weighting, C):
    X, y = dataset(name)
    sample_weight, class_weight = weights(weighting, y)
    lr = LogisticRegression(
        C=C, fit_intercept=fit_intercept, class_weight=class_weight, **REFERENCE
    ).fit(X, y, sample_weight=sample_weight)
    return objective(lr.coef_, lr.intercept_, X, y, C, sample_weight, class_weight)


@pytest.mark.parametrize("solver", DETERMINISTIC)
@pytest.mark.parametrize("name", ["iris", "wine", "digits", "classification"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighting", ["none", "sample_weight", "class_weight"])
def test_objective_equals_logistic_regression(solver, name, fit_intercept, weighting):
    X, y = dataset(name)
    C = 1.0
    sample_weight, class_weight = weights(weighting, y)
    model = SoftmaxRegression(
        C=C, solver=solver, fit_intercept=fit_intercept, class_weight=class_weight
    )
    model.set_params(**TIGHT).fit(X, y, sample_weight=sample_weight)
    ours = objective(
        model.coef_, model.intercept_, X, y, C, sample_weight, class_weight
    )
    theirs = reference_fit(name, fit_intercept, weighting, C)
    assert ours == pytest.approx(theirs, rel=1e-6)


def saga(**params):
    """``LogisticRegression(solver="saga")``, elastic net, solved tightly."""
    if LogisticRegression().penalty != "deprecated":  # scikit-learn < 1.8
        params["penalty"] = "elasticnet"
    return LogisticRegression(solver="saga", tol=1e-10, max_iter=100_000, **params)


@pytest.mark.parametrize("name", ["iris", "classification"])
@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
@pytest.mark.parametrize("C", [0.1, 1.0])
def test_elastic_net_objective_equals_saga(name, l1_ratio, C):
    X, y = dataset(name)
    X = StandardScaler().fit_transform(X)
    ours = SoftmaxRegression(C=C, l1_ratio=l1_ratio, **TIGHT).fit(X, y)
    theirs = saga(C=C, l1_ratio=l1_ratio).fit(X, y)
    f_ours = objective(ours.coef_, ours.intercept_, X, y, C, l1_ratio=l1_ratio)
    f_theirs = objective(theirs.coef_, theirs.intercept_, X, y, C, l1_ratio=l1_ratio)
    assert f_ours == pytest.approx(f_theirs, rel=1e-6)
    assert np.any(ours.coef_ == 0) and np.any(ours.coef_ != 0)
    if l1_ratio < 1:  # strictly convex: a single minimiser, the same zeros
        assert_array_equal(ours.coef_ == 0, theirs.coef_ == 0)
        assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    # Under pure L1, a feature's K coefficients can move together along a
    # median interval (an even number of classes): only F is identified.


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_binary_elastic_net_equals_logistic_regression(l1_ratio):
    # With β = w₁ − w₀ the penalty is smallest at w₀ = −w₁ = −β/2:
    # ρ |β| + ¼ (1 − ρ) ‖β‖², which times 2 / (1 + ρ) is LogisticRegression's
    # with C' = 2C / (1 + ρ) and ρ' = 2ρ / (1 + ρ).
    X, y = dataset("classification")
    X, y = X[y < 2], y[y < 2]
    C = 0.05
    ours = SoftmaxRegression(C=C, l1_ratio=l1_ratio, **TIGHT).fit(X, y)
    scale = 2 / (1 + l1_ratio)
    theirs = saga(C=scale * C, l1_ratio=scale * l1_ratio).fit(X, y)
    assert_array_equal(ours.coef_ == 0, theirs.coef_ == 0)
    assert np.any(ours.coef_ == 0)
    assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-5)


@pytest.mark.parametrize(("l1_ratio", "expected"), [(0.0, "newton-cg"), (0.5, "fista")])
def test_auto_solver_is_newton_cg_for_l2_and_fista_for_l1(l1_ratio, expected, capsys):
    X, y = dataset("iris")
    X = StandardScaler().fit_transform(X)
    auto = SoftmaxRegression(l1_ratio=l1_ratio, verbose=1).fit(X, y)
    assert auto.solver == "auto"
    assert f"[{expected}] iteration" in capsys.readouterr().out
    named = SoftmaxRegression(l1_ratio=l1_ratio, solver=expected).fit(X, y)
    assert_array_equal(auto.coef_, named.coef_)


@pytest.mark.parametrize("solver", DETERMINISTIC)
@pytest.mark.parametrize("C", [0.05, 1.0])
def test_binary_equals_logistic_regression_with_twice_C(solver, C):
    X, y = dataset("classification")
    X, y = X[y < 2], y[y < 2]
    ours = SoftmaxRegression(C=C, solver=solver, **TIGHT).fit(X, y)
    theirs = LogisticRegression(C=2 * C, **REFERENCE).fit(X, y)
    assert ours.coef_.shape == (1, X.shape[1]) and ours.intercept_.shape == (1,)
    assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-6)
    assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-5, atol=1e-6)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    assert_allclose(ours.decision_function(X), theirs.decision_function(X), atol=1e-6)


@pytest.mark.parametrize("solver", DETERMINISTIC)
def test_no_penalty_equals_logistic_regression(solver):
    X, y = dataset("classification")
    ours = SoftmaxRegression(C=np.inf, solver=solver, **TIGHT).fit(X, y)
    theirs = LogisticRegression(C=np.inf, **REFERENCE).fit(X, y)
    # Without a penalty only the predictions are identified, not W itself.
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("solver", DETERMINISTIC)
def test_l2_solution_columns_sum_to_zero(solver):
    X, y = dataset("wine")
    model = SoftmaxRegression(solver=solver, **TIGHT).fit(X, y)
    # Stationarity: W = −C X(S − Y)ᵀ, and every row of S − Y sums to zero.
    assert_allclose(model.coef_.sum(axis=0), 0, atol=1e-8)
    assert_allclose(model.intercept_.sum(), 0, atol=1e-8)


@pytest.mark.parametrize("solver", DETERMINISTIC)
def test_integer_sample_weights_equal_repeated_rows(solver):
    X, y = dataset("wine")
    counts = np.random.default_rng(0).integers(0, 4, size=y.shape[0])
    weighted = SoftmaxRegression(solver=solver, **TIGHT)
    weighted.fit(X, y, sample_weight=counts)
    repeated = SoftmaxRegression(solver=solver, **TIGHT)
    repeated.fit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    # Both stop at max |∇F| ≤ 1e-8, F having curvature ≥ 1 / (C Σ s).
    atol = 1e-8 * counts.sum()
    assert_allclose(weighted.coef_, repeated.coef_, atol=atol)
    assert_allclose(weighted.intercept_, repeated.intercept_, atol=atol)
    assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-7)


@pytest.mark.parametrize("solver", DETERMINISTIC)
@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0, 1: 0.5, 2: 1.0}])
def test_class_weight_equals_the_equivalent_sample_weight(solver, class_weight):
    X, y = dataset("iris")
    X, y = X[20:], y[20:]  # unbalanced classes
    by_class = SoftmaxRegression(solver=solver, class_weight=class_weight, **TIGHT)
    by_class.fit(X, y)
    if class_weight == "balanced":
        class_weight = dict(enumerate(y.shape[0] / (3 * np.bincount(y))))
    by_sample = SoftmaxRegression(solver=solver, **TIGHT)
    by_sample.fit(X, y, sample_weight=np.array([class_weight[c] for c in y]))
    assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-10)


@pytest.mark.parametrize("solver", DETERMINISTIC)
def test_float32_is_fitted_in_float32(solver):
    X, y = dataset("digits")
    X32 = X.astype(np.float32)
    # C=0.05 makes F well conditioned, so tol=1e-5 pins the solution down.
    m32 = SoftmaxRegression(C=0.05, solver=solver, tol=1e-5, max_iter=1000)
    m32.fit(X32, y)
    m64 = SoftmaxRegression(C=0.05, solver=solver, **TIGHT).fit(X, y)
    for attribute in ("coef_", "intercept_"):
        assert getattr(m32, attribute).dtype == np.float32
    assert m32.predict_proba(X32).dtype == np.float32
    assert m32.decision_function(X32).dtype == np.float32
    assert_allclose(m32.predict_proba(X32), m64.predict_proba(X), atol=1e-3)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
@pytest.mark.parametrize("solver", DETERMINISTIC)
def test_sparse_input_gives_the_dense_fit(container, solver):
    X, y = dataset("digits")
    X = np.where(X > 0.5, X, 0.0)
    dense = SoftmaxRegression(solver=solver, **TIGHT).fit(X, y)
    sparse = SoftmaxRegression(solver=solver, **TIGHT).fit(container(X), y)
    f_dense = objective(dense.coef_, dense.intercept_, X, y, C=1.0)
    assert objective(sparse.coef_, sparse.intercept_, X, y, C=1.0) == pytest.approx(
        f_dense, rel=1e-10
    )
    # max |∇F| ≤ 1e-8 bounds the distance to the optimum by 1e-8 / μ, μ ≈ 1 / N.
    assert_allclose(sparse.coef_, dense.coef_, atol=1e-8 * X.shape[0])
    assert_allclose(
        sparse.predict_proba(container(X)), dense.predict_proba(X), atol=1e-5
    )


def test_sparse_input_whose_dense_form_would_not_fit_in_memory():
    # 10⁶ × 10⁶ with 10⁷ non-zeros: 8 TB dense, 120 MB as CSR.
    n, nnz_per_row, K = 10**6, 10, 3
    rng = np.random.default_rng(0)
    indices = rng.integers(n, size=n * nnz_per_row, dtype=np.int32)
    indptr = np.arange(0, n * nnz_per_row + 1, nnz_per_row, dtype=np.int64)
    X = sp.csr_array((rng.uniform(size=indices.size), indices, indptr), shape=(n, n))
    y = rng.integers(K, size=n)
    tracemalloc.start()
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        model = SoftmaxRegression(tol=0.0, max_iter=2).fit(X, y)
    proba = model.predict_proba(X[:1000])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert model.coef_.shape == (K, n)
    assert np.all(np.isfinite(model.coef_)) and np.any(model.coef_ != 0)
    assert_allclose(proba.sum(axis=1), 1.0)
    # A few (M × K)-sized vectors and (N × K) temporaries: under 1 GB in all.
    assert peak < 10**9


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
def test_fit_passes_a_view_of_X_to_the_objective(monkeypatch, dtype, order):
    X, y = dataset("iris")
    X = np.asarray(X, dtype=dtype, order=order)
    seen = []

    class Spy(numpy_backend.SoftmaxObjective):
        def __init__(self, X_core, *args, **kwargs):
            seen.append(X_core)
            super().__init__(X_core, *args, **kwargs)

    monkeypatch.setattr(numpy_backend, "SoftmaxObjective", Spy)
    SoftmaxRegression().fit(X, y)
    assert np.shares_memory(seen[0], X)
    assert seen[0].shape == X.T.shape


def test_multiclass_coef_and_intercept_are_views_of_one_parameter():
    model = SoftmaxRegression().fit(*dataset("iris"))
    assert model.coef_.base is not None
    assert model.coef_.base is model.intercept_.base


def test_newton_cg_does_not_stall_at_the_rounding_floor():
    # At tol=1e-10 F stops changing in float64 before the gradient test is
    # met; the line search must then accept steps that lower the gradient
    # (without that, this fit ran 200 iterations and did not converge).
    X, y = make_classification(
        n_samples=20_000,
        n_features=100,
        n_informative=50,
        n_redundant=10,
        n_classes=10,
        random_state=0,
    )
    model = SoftmaxRegression(tol=1e-10, max_iter=60).fit(X, y)
    assert model.converged_
