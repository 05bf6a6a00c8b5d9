"""Penalty factors, grouped sparsity and bounds, checked against the math.

The optimality conditions are written here from the user's objective
``C Σ s ℓ + ½ (1 − ρ) Σ f w² + ρ Σ f |w|`` (or ``ρ Σ_g ω_g ‖W_g‖``) and the
reported ``coef_``, with the gradient computed in plain NumPy: nothing of
the package's penalty code is used to check it.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.datasets import make_classification

from sklearn_softmax import SoftmaxRegression

C = 0.5


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        160, 8, n_informative=4, n_redundant=0, n_classes=3, random_state=0
    )
    s = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    return X, y, s


def _labels(y, n_classes):
    return y if n_classes == 3 else (y > 0).astype(int)


def _data_gradient(model, X, y, s):
    """``C Σ s ∇ℓ`` in ``W`` (M × K) and in ``b``, from ``coef_`` (all K rows)."""
    coef, b = _full(model)
    Z = X @ coef.T + b
    Y = np.eye(coef.shape[0])[np.searchsorted(model.classes_, y)]
    R = model.C * s[:, None] * (softmax(Z, axis=1) - Y)
    return X.T @ R, R.sum(axis=0)


def _full(model):
    coef, b = model.coef_, model.intercept_
    if coef.shape[0] == 1:  # two classes: w₀ = −d/2, w₁ = d/2
        coef, b = np.vstack([-coef / 2, coef / 2]), np.r_[-b / 2, b / 2]
    return coef, b


def _reduced(model, X, y, s, factor):
    """``(w, g, a, c)`` per coefficient: for two classes in ``d = w₁ − w₀``.

    The objective as a function of ``d`` alone has the data gradient
    ``(g₁ − g₀) / 2``, L2 weight ``(1 − ρ) f / 2`` and L1 weight ``ρ f``.
    """
    G, g0 = _data_gradient(model, X, y, s)
    rho = model.l1_ratio
    finite = np.where(np.isinf(factor), 0.0, factor)
    a, c = (1 - rho) * finite, np.where(np.isinf(factor), np.inf, rho * finite)
    if model.coef_.shape[0] == 1:
        d = model.coef_[0]
        g = 0.5 * (G[:, 1] - G[:, 0])
        return d[:, None], g[:, None], a[:, :1] / 2, c[:, :1], g0
    return model.coef_.T, G, a, c, g0


def check_elementwise(model, X, y, s, factor, lower=-np.inf, upper=np.inf, eps=1e-6):
    """``0 ∈ ∇ + ∂P + N_box`` for every coefficient, and a zero intercept gradient."""
    w, g, a, c, g0 = _reduced(model, X, y, s, factor)
    finite = np.isfinite(c)
    assert np.all(w[~finite] == 0)
    a, c = np.where(finite, a, 0), np.where(finite, c, 0)
    h = g + a * w
    lo = np.where(w != 0, h + c * np.sign(w), h - c)
    hi = np.where(w != 0, h + c * np.sign(w), h + c)
    lo = np.where(w <= lower, -np.inf, lo)
    hi = np.where(w >= upper, np.inf, hi)
    violation = np.where(finite, np.maximum(np.maximum(lo, -hi), 0), 0)
    scale = model.C * s.sum()
    assert violation.max() <= eps * scale
    assert np.abs(g0).max() <= eps * scale


def check_grouped(model, X, y, s, groups, weight, eps=1e-6):
    """Zero groups: ``‖G_g‖ ≤ ρ ω_g``; the others: ``G_g + ρ ω_g W_g/‖W_g‖ = 0``."""
    coef, _ = _full(model)
    W = coef.T
    G, g0 = _data_gradient(model, X, y, s)
    H = G + (1 - model.l1_ratio) * W
    scale = model.C * s.sum()
    for group, omega in zip(np.unique(groups), weight, strict=True):
        rows = groups == group
        norm = np.linalg.norm(W[rows])
        c = model.l1_ratio * omega
        if norm == 0:
            assert np.linalg.norm(H[rows]) <= c + eps * scale
        else:
            residual = H[rows] + c * W[rows] / norm
            assert np.linalg.norm(residual) <= eps * scale
    assert np.abs(g0).max() <= eps * scale


TIGHT = {"tol": 1e-10, "max_iter": 20_000, "C": C}
SOLVERS = ["fista", "sgd"]


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("grouped", [True, np.array([0, 0, 1, 1, 2, 2, 3, 3])])
def test_grouped_lasso_meets_the_group_subdifferential(
    data, n_classes, solver, grouped
):
    X, y, s = data
    y = _labels(y, n_classes)
    params = {**TIGHT, "C": 0.02}  # strong enough to drop some groups
    model = SoftmaxRegression(grouped=grouped, l1_ratio=0.9, solver=solver, **params)
    model.fit(X, y, sample_weight=s)
    groups = np.arange(8) if grouped is True else grouped
    sizes = np.bincount(groups)
    weight = np.sqrt(sizes)
    # Two classes: checked in W = (−d/2, d/2), where ‖(w₀, w₁)‖ = |d| / √2.
    check_grouped(model, X, y, s, groups, weight, eps=1e-6)
    # Features leave the model whole: a row is zero for all classes or none.
    coef, _ = _full(model)
    rows_zero = np.all(coef == 0, axis=0)
    assert np.array_equal(~rows_zero, model.support_)
    assert model.n_features_selected_ == int(model.support_.sum())
    assert 0 < model.n_features_selected_ < 8


FACTORS = np.array([0.0, 1.0, 2.0, 0.5, np.inf, 1.0, 3.0, 1.0])


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(
    "options",
    [
        {"penalty_factor": FACTORS, "l1_ratio": 0.7},
        {"positive": True, "l1_ratio": 0.5},
        {"lower_bounds": -0.3, "upper_bounds": 0.2, "l1_ratio": 0.3},
        {"positive": True, "penalty_factor": FACTORS, "l1_ratio": 1.0},
    ],
    ids=["factors", "positive", "box", "positive-factors"],
)
def test_elementwise_options_meet_the_optimality_conditions(
    data, n_classes, solver, options
):
    X, y, s = data
    y = _labels(y, n_classes)
    model = SoftmaxRegression(solver=solver, **options, **{**TIGHT, "C": 0.05})
    model.fit(X, y, sample_weight=s)
    factor = np.ones((8, n_classes))
    if "penalty_factor" in options:
        factor = np.repeat(FACTORS[:, None], n_classes, axis=1)
    lower = 0.0 if options.get("positive") else options.get("lower_bounds", -np.inf)
    upper = options.get("upper_bounds", np.inf)
    assert model.coef_.min() >= lower and model.coef_.max() <= upper
    check_elementwise(model, X, y, s, factor, lower, upper)


def _scipy_reference(X, y, s, factor, bounds):
    """The L2 minimiser by scipy's L-BFGS-B on the user's objective (three classes)."""
    N, M = X.shape
    K = 3
    Y = np.eye(K)[y]

    def objective(theta):
        W, b = theta[: M * K].reshape(K, M), theta[M * K :]
        Z = X @ W.T + b
        loss = -C * np.sum(s * np.sum(Y * log_softmax(Z, axis=1), axis=1))
        R = C * s[:, None] * (softmax(Z, axis=1) - Y)
        penalty = 0.5 * np.sum(factor * W**2)
        grad = np.concatenate([(R.T @ X + factor * W).ravel(), R.sum(axis=0)])
        return loss + penalty, grad

    box = [*bounds, *[(None, None)] * K]
    result = minimize(
        objective,
        np.zeros(M * K + K),
        jac=True,
        method="L-BFGS-B",
        bounds=box,
        options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10_000},
    )
    return result.x[: M * K].reshape(K, M), result.x[M * K :]


# scipy's L-BFGS-B stops on a relative decrease of F near 1e-8 (warned).
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["auto", "lbfgs", "newton-cg", "fista", "sgd"])
def test_factors_under_l2_match_scipy(data, solver):
    # Factor 0 leaves feature 0 unpenalised: compare with scipy on the
    # objective written out (its free row centred, as the estimator does).
    X, y, s = data
    factors = np.array([0.0, 1.0, 2.0, 0.5, 1.0, 1.0, 3.0, 1.0])
    model = SoftmaxRegression(penalty_factor=factors, solver=solver, **TIGHT)
    model.fit(X, y, sample_weight=s)
    W, b = _scipy_reference(X, y, s, np.tile(factors, (3, 1)), [(None, None)] * 24)
    W[:, 0] -= W[:, 0].mean()
    b -= b.mean()
    assert_allclose(model.coef_, W, atol=1e-5)
    assert_allclose(model.coef_[:, 0].sum(), 0, atol=1e-10)  # returned centred
    assert_allclose(model.intercept_ - model.intercept_.mean(), b, atol=1e-5)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["auto", "lbfgs", "fista", "sgd"])
def test_positive_under_l2_matches_scipy(data, solver):
    X, y, s = data
    model = SoftmaxRegression(positive=True, solver=solver, **TIGHT)
    model.fit(X, y, sample_weight=s)
    W, b = _scipy_reference(X, y, s, np.ones((3, 8)), [(0, None)] * 24)
    assert model.coef_.min() >= 0
    assert_allclose(model.coef_, W, atol=1e-5)


@pytest.mark.parametrize(
    "options",
    [{"grouped": True, "l1_ratio": 0.8}, {"positive": True, "l1_ratio": 0.5}],
)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_dense_equals_sparse_and_float32_is_close(data, options, n_classes):
    X, y, s = data
    y = _labels(y, n_classes)
    model = SoftmaxRegression(solver="fista", **options, **TIGHT)
    dense = model.fit(X, y).coef_.copy()
    assert_allclose(model.fit(sp.csr_matrix(X), y).coef_, dense, atol=1e-8)
    single = SoftmaxRegression(solver="fista", **options, C=C, tol=1e-5, max_iter=5000)
    single.fit(X.astype(np.float32), y)
    assert single.coef_.dtype == np.float32
    assert_allclose(single.coef_, dense, atol=1e-3)


@pytest.mark.parametrize(
    "options",
    [{"grouped": True, "l1_ratio": 0.8}, {"penalty_factor": FACTORS, "l1_ratio": 0.5}],
)
def test_integer_weights_equal_repeated_rows(data, options):
    X, y, _ = data
    weights = np.random.default_rng(2).integers(0, 3, size=len(y))
    model = SoftmaxRegression(solver="fista", **options, **TIGHT)
    weighted = model.fit(X, y, sample_weight=weights).coef_.copy()
    repeated = model.fit(np.repeat(X, weights, axis=0), np.repeat(y, weights)).coef_
    assert_allclose(weighted, repeated, atol=1e-7)


def test_two_class_bounds_hold_on_the_reported_coefficient(data):
    X, y, s = data
    y = _labels(y, 2)
    model = SoftmaxRegression(lower_bounds=-0.05, upper_bounds=0.1, **TIGHT)
    model.fit(X, y)
    assert model.coef_.shape == (1, 8)
    assert model.coef_.min() >= -0.05 and model.coef_.max() <= 0.1
    assert np.any(model.coef_ == 0.1) and np.any(model.coef_ == -0.05)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"solver": "newton-cg", "positive": True},
            r"one of \['fista', 'lbfgs', 'sgd'\]",
        ),
        (
            {"solver": "lbfgs", "penalty_factor": np.ones(8), "l1_ratio": 0.5},
            "L2 penalty",
        ),
        ({"solver": "lbfgs", "grouped": True}, r"handle groups"),
        ({"solver": "newton-cg", "penalty_factor": FACTORS}, r"excluded"),
        ({"grouped": True, "positive": True}, "cannot be combined with bounds"),
        ({"penalty_factor": np.ones(3)}, "penalty_factor must have shape"),
    ],
)
def test_combinations_a_solver_cannot_do_are_refused(data, params, message):
    X, y, _ = data
    model = SoftmaxRegression(**params)
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)
    assert not hasattr(model, "coef_")


def test_two_class_bounds_are_refused_by_lbfgs(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="two-class bounds"):
        SoftmaxRegression(solver="lbfgs", positive=True).fit(X, _labels(y, 2))


def test_partial_fit_keeps_bounds_and_groups(data):
    X, y, _ = data
    model = SoftmaxRegression(positive=True, l1_ratio=0.5)
    for chunk in np.array_split(np.arange(len(y)), 4):
        model.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
    assert model.coef_.min() >= 0
    newton = SoftmaxRegression(positive=True, learning_rate="newton")
    with pytest.raises(ValueError, match="learning_rate='newton'"):
        newton.partial_fit(X, y, classes=[0, 1, 2])
    assert not hasattr(newton, "coef_")
    # adagrad's steps differ within a row: the group map in that metric.
    for learning_rate in ["adagrad", "constant"]:
        grouped = SoftmaxRegression(
            grouped=True, l1_ratio=1.0, C=0.001, learning_rate=learning_rate
        )
        for _ in range(20):
            grouped.partial_fit(X, y, classes=[0, 1, 2])
        coef = grouped.coef_
        assert np.all(np.all(coef == 0, axis=0) | np.all(coef != 0, axis=0))
        assert 0 < grouped.n_features_selected_ < 8


def test_default_fit_reports_support(data):
    X, y, _ = data
    model = SoftmaxRegression().fit(X, y)
    assert model.support_.dtype == bool and model.support_.all()
    assert model.n_features_selected_ == 8


# -- standardize=True --------------------------------------------------------


@pytest.fixture(scope="module")
def scaled_data():
    X, y = make_classification(
        200, 6, n_informative=4, n_redundant=0, n_classes=3, random_state=3
    )
    X = X * [1.0, 10.0, 0.1, 5.0, 1.0, 1.0] + [0.0, 3.0, -2.0, 100.0, 0.0, 0.0]
    X[:, 5] = 7.0  # constant
    return X, y


def _standardised_reference(X, y, s, **params):
    """A fit on explicitly standardised dense data, transformed back."""
    mean = np.average(X, axis=0, weights=s)
    std = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=s))
    scale = np.where(std > 1e-12 * np.abs(mean).clip(1), std, 1.0)
    Xs = np.where(std > 1e-12 * np.abs(mean).clip(1), (X - mean) / scale, 0.0)
    model = SoftmaxRegression(**params).fit(Xs, y, sample_weight=s)
    coef = model.coef_ / scale
    return coef, model.intercept_ - coef @ mean, scale


@pytest.mark.parametrize(
    ("solver", "l1_ratio"),
    [("auto", 0.0), ("lbfgs", 0.0), ("newton-cg", 0.0), ("fista", 0.5)],
)
@pytest.mark.parametrize("sparse", [False, True])
def test_standardize_equals_a_fit_on_standardised_data(
    scaled_data, solver, l1_ratio, sparse
):
    X, y = scaled_data
    s = np.random.default_rng(4).uniform(0.5, 2, size=len(y))
    params = {"l1_ratio": l1_ratio, "tol": 1e-9, "max_iter": 20_000}
    coef, intercept, scale = _standardised_reference(X, y, s, **params)
    model = SoftmaxRegression(standardize=True, solver=solver, **params)
    model.fit(sp.csr_matrix(X) if sparse else X, y, sample_weight=s)
    assert_allclose(model.feature_scale_, scale, rtol=1e-10)
    assert_allclose(model.feature_mean_, np.average(X, axis=0, weights=s), rtol=1e-10)
    # Compared on the standardised scale, where both solvers met tol.
    assert_allclose(model.coef_ * scale, coef * scale, atol=1e-6)
    # The intercept is defined up to a shift across the classes.
    shift = model.intercept_ - intercept
    assert_allclose(shift - shift.mean(), 0, atol=1e-5)
    assert np.all(model.coef_[:, 5] == 0) and model.feature_scale_[5] == 1


def test_penalty_factor_of_the_scales_equals_standardize_under_l1(scaled_data):
    # ρ Σ |W^s_j| = ρ Σ σ_j |W_j|: the L1 penalty on the standardised scale is
    # the one with factors σ (the L2 part would need σ²).
    X, y = scaled_data
    X = X[:, :5]
    params = {"l1_ratio": 1.0, "C": 0.05, "tol": 1e-10, "max_iter": 50_000}
    standardised = SoftmaxRegression(standardize=True, **params).fit(X, y)
    factored = SoftmaxRegression(penalty_factor=standardised.feature_scale_, **params)
    factored.fit(X, y)
    assert 0 < standardised.n_features_selected_ < 5
    assert_allclose(factored.coef_, standardised.coef_, atol=1e-6)


def test_standardize_weights_equal_repeated_rows(scaled_data):
    X, y = scaled_data
    weights = np.random.default_rng(5).integers(0, 3, size=len(y))
    model = SoftmaxRegression(standardize=True, l1_ratio=0.5, tol=1e-10, max_iter=5000)
    weighted = model.fit(X, y, sample_weight=weights)
    coef, scale = weighted.coef_.copy(), weighted.feature_scale_.copy()
    repeated = model.fit(np.repeat(X, weights, axis=0), np.repeat(y, weights))
    assert_allclose(repeated.feature_scale_, scale, rtol=1e-10)
    assert_allclose(repeated.coef_, coef, atol=1e-7)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"solver": "sgd"}, "finite_sum"),
        ({"early_stopping": True}, "early_stopping"),
    ],
)
def test_standardize_refuses_what_it_cannot_do(scaled_data, params, message):
    X, y = scaled_data
    model = SoftmaxRegression(standardize=True, **params)
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)
    assert not hasattr(model, "coef_")


def test_partial_fit_standardizes_with_the_first_chunks_scales(scaled_data):
    # The stream steps on the original coefficients with the penalty of the
    # standardised ones (tests/test_penalties.py checks that penalty); the
    # scales are the first chunk's, kept for the stream.
    X, y = scaled_data
    model = SoftmaxRegression(standardize=True, l1_ratio=0.5)
    model.partial_fit(X[:100], y[:100], classes=[0, 1, 2])
    first = SoftmaxRegression(standardize=True).fit(X[:100], y[:100])
    assert_allclose(model.feature_scale_, first.feature_scale_, rtol=1e-12)
    model.partial_fit(X[100:], y[100:])
    assert_allclose(model.feature_scale_, first.feature_scale_, rtol=1e-12)
    assert np.all(model.coef_[:, 5] == 0)
    # After fit, the stream continues with fit's scales.
    model.fit(X, y).partial_fit(X[:50], y[:50])
    full = SoftmaxRegression(standardize=True).fit(X, y)
    assert_allclose(model.feature_scale_, full.feature_scale_, rtol=1e-12)


# -- SoftmaxRegressionCV ------------------------------------------------------

from sklearn_softmax import SoftmaxRegressionCV  # noqa: E402


@pytest.mark.parametrize(
    "options",
    [
        {"grouped": True},
        {"penalty_factor": np.r_[0.0, np.ones(7)]},
        {"grouped": True, "penalty_factor": np.r_[0.0, 2.0, np.ones(6)]},
        {"grouped": np.repeat(np.arange(4), 2), "standardize": True},
    ],
    ids=["grouped", "factor-0", "grouped-factor-0", "groups-standardize"],
)
def test_cv_path_starts_where_every_penalised_row_is_zero(data, options):
    # Just below the first C only the unpenalised features are in the model
    # (fitted first, at the null model); just above it one more enters.
    X, y, s = data
    cv = SoftmaxRegressionCV(Cs=3, l1_ratios=[1.0], **options)
    cv.fit(X, y, sample_weight=s)
    free = int(np.sum(np.asarray(options.get("penalty_factor", np.ones(8))) == 0))
    C0 = cv.Cs_[0, 0]
    params = {"l1_ratio": 1.0, "tol": 1e-9, "max_iter": 20_000, **options}
    below = SoftmaxRegression(C=C0 * 0.999, **params).fit(X, y, sample_weight=s)
    above = SoftmaxRegression(C=C0 * 1.1, **params).fit(X, y, sample_weight=s)
    assert below.n_features_selected_ == free
    assert above.n_features_selected_ > free
    assert cv.n_features_selected_paths_.shape == cv.scores_.shape
    assert np.array_equal(cv.n_features_selected_paths_, cv.n_nonzero_paths_)
    assert np.all(cv.n_features_selected_paths_[:, 0] <= free + 2)
