"""Default fits are converged: relative suboptimality ≤ 1e-6 across C.

The objective is computed here from the fitted model's predictions and
coefficients, ``F = C Σ_n ℓ_n + ½ ‖W‖²_F``, and compared with a fit at
``tol=1e-12``; a bound on the gradient alone (the rule before the Newton
decrement test, ``NewtonCG.decrement_test = False``) leaves gaps that grow
with ``C``.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxRegression, SoftmaxRegressionCV
from sklearn_softmax._solvers._newton_cg import NewtonCG, decrement_tol

LOADERS = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer}
TARGET = 1e-6


def _data(name: str, standardise: bool):
    X, y = LOADERS[name](return_X_y=True)
    return (StandardScaler().fit_transform(X) if standardise else X), y


def objective(model: SoftmaxRegression, X, y, C: float) -> float:
    """``C Σ ℓ_n + ½ ‖W‖²_F`` from ``predict_log_proba`` and ``coef_``.

    Two classes: ``coef_ = w₁ − w₀`` with ``w₁ = −w₀`` under L2, so
    ``‖W‖²_F = ‖coef_‖² / 2``.
    """
    log_proba = model.predict_log_proba(X)
    index = np.searchsorted(model.classes_, y)
    loss = -float(log_proba[np.arange(len(y)), index].sum())
    squared = float((np.asarray(model.coef_, dtype=np.float64) ** 2).sum())
    if len(model.classes_) == 2:
        squared /= 2
    return C * loss + 0.5 * squared


def relative_gap(model, X, y, C: float) -> float:
    tight = SoftmaxRegression(C=C, tol=1e-12, max_iter=1000).fit(X, y)
    f_star = min(objective(tight, X, y, C), objective(model, X, y, C))
    return (objective(model, X, y, C) - f_star) / f_star


@pytest.fixture
def gradient_rule(monkeypatch):
    """newton-cg stopping on ``max |g| ≤ tol`` alone, as before."""
    monkeypatch.setattr(NewtonCG, "decrement_test", False)


@pytest.mark.parametrize("C", [1e-2, 1.0, 1e3])
@pytest.mark.parametrize("standardise", [True, False], ids=["std", "raw"])
@pytest.mark.parametrize("name", sorted(LOADERS))
def test_default_fit_is_within_1e_6_of_the_optimum(name, standardise, C):
    X, y = _data(name, standardise)
    model = SoftmaxRegression(C=C).fit(X, y)
    assert model.converged_
    assert relative_gap(model, X, y, C) <= TARGET


def test_the_gradient_rule_alone_misses_the_target(gradient_rule):
    # What the decrement test fixes: standardised wine at C=1000 stops at a
    # relative gap of order 0.1 on max |g| <= 1e-4 alone.
    X, y = _data("wine", True)
    model = SoftmaxRegression(C=1e3).fit(X, y)
    assert relative_gap(model, X, y, 1e3) > 1e-3


def _flat_sparse_problem():
    """Sparse features of 1e-2: ``max |g| ≤ 1e-4`` already at ``W = 0``."""
    rng = np.random.default_rng(0)
    X = sp.random_array((2000, 500), density=0.01, format="csr", rng=rng)
    W = rng.standard_normal((500, 5))
    y = (X @ W * 3 + rng.gumbel(size=(2000, 5))).argmax(axis=1)
    return X * 1e-2, y


@pytest.mark.parametrize("C", [10.0, 1e3])
def test_a_small_gradient_at_the_start_is_not_convergence(C):
    X, y = _flat_sparse_problem()
    model = SoftmaxRegression(C=C).fit(X, y)
    assert model.n_iter_ > 1
    assert relative_gap(model, X, y, C) <= TARGET


def test_the_gradient_rule_alone_stops_at_the_start(gradient_rule):
    X, y = _flat_sparse_problem()
    model = SoftmaxRegression(C=1e3).fit(X, y)
    assert model.n_iter_ <= 1
    assert relative_gap(model, X, y, 1e3) > 1e-2


def test_half_forcing_to_the_end_underestimates_the_gap(monkeypatch):
    # Why CG is tightened once max |g| <= tol: at η = ½ the decrement's
    # estimate −gᵀd misses rᵀH⁻¹r and this fit stops at a gap of 1e-5.
    monkeypatch.setattr(NewtonCG, "final_forcing", NewtonCG.forcing)
    X, y = _flat_sparse_problem()
    model = SoftmaxRegression(C=1e3).fit(X, y)
    assert relative_gap(model, X, y, 1e3) > TARGET


def test_cv_refit_equals_a_tight_fit_at_C_():
    X, y = _data("wine", True)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    cv = SoftmaxRegressionCV(Cs=8, cv=folds).fit(X, y)
    tight = SoftmaxRegression(C=cv.C_, tol=1e-12, max_iter=1000).fit(X, y)
    scale = np.max(np.abs(tight.coef_))
    assert_allclose(cv.coef_, tight.coef_, rtol=1e-4, atol=1e-4 * scale)
    assert_allclose(cv.intercept_, tight.intercept_, rtol=1e-4, atol=1e-4 * scale)


def test_grid_search_at_defaults_picks_the_tight_fits_C():
    X, y = _data("wine", True)
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    grid = {"C": np.logspace(-2, 3, 30)}
    picked = [
        GridSearchCV(SoftmaxRegression(tol=tol), grid, cv=folds, scoring="neg_log_loss")
        .fit(X, y)
        .best_params_["C"]
        for tol in (1e-4, 1e-10)
    ]
    assert picked[0] == picked[1]


@pytest.mark.parametrize(
    "tol, dtype, expected",
    [
        (1e-4, np.float64, 1e-8),
        (1e-2, np.float64, 1e-4),
        (1e-10, np.float64, np.finfo(np.float64).eps),
        (1e-4, np.float32, np.finfo(np.float32).eps),
    ],
)
def test_decrement_tol_is_tol_squared_above_rounding(tol, dtype, expected):
    assert decrement_tol(tol, dtype) == pytest.approx(expected, rel=1e-12)


def test_float32_default_fit_converges_without_warning():
    X, y = _data("wine", True)
    X = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = SoftmaxRegression(C=1e3).fit(X, y)
    assert model.converged_
    assert relative_gap(model, X.astype(np.float64), y, 1e3) <= 1e-4
