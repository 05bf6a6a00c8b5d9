"""Strong-rule screening along a (grouped) lasso path, checked without it.

Each screened path is compared with the same warm-started path fitted on all
features, and its points with the optimality conditions of the whole problem,
computed here from scratch: with ``Ĝ`` the weighted mean loss's gradient and
``λ = ρ / (C Σ s)``, a zero group has ``‖Ĝ_g‖ ≤ λ ω_g`` and a nonzero one
``Ĝ_g + λ ω_g W_g / ‖W_g‖ = 0`` (per coefficient ungrouped).
"""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import softmax
from sklearn.datasets import make_classification

from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._cv_screening import ScreenedPath, screenable

TOL = 1e-8


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        200, 30, n_informative=6, n_classes=3, n_clusters_per_class=1, random_state=0
    )
    s = np.random.default_rng(0).uniform(0.5, 2.0, size=200)
    return X, y, s


def kkt_distance(X, y, s, model, C, grouped, factor) -> float:
    """The largest violation of the optimality conditions (see the module)."""
    W = np.asarray(model.coef_).T  # (M, K)
    P = softmax(X @ W + model.intercept_, axis=1)
    Y = np.eye(W.shape[1])[y]
    G = X.T @ (s[:, None] * (P - Y)) / s.sum()
    lam = 1.0 / (C * s.sum())
    labels = np.arange(X.shape[1]) if grouped is True else np.asarray(grouped)
    worst = 0.0
    for g in np.unique(labels) if grouped is not False else []:
        rows = labels == g
        w = lam * factor[rows][0] * np.sqrt(rows.sum())
        norm = np.linalg.norm(W[rows])
        if np.isinf(w):
            continue
        if norm == 0:
            worst = max(worst, np.linalg.norm(G[rows]) - w)
        else:
            worst = max(worst, np.linalg.norm(G[rows] + w * W[rows] / norm))
    if grouped is False:
        c = lam * factor[:, None] * np.ones_like(W)
        ok = np.isfinite(c)
        c = np.where(ok, c, 0.0)
        zero = np.abs(G) - c
        nonzero = np.abs(G + c * np.sign(W))
        d = np.where(W == 0, zero, nonzero)
        worst = max(worst, float(d[ok].max()))
    return worst


def paths(X, y, s, grouped, factor, Cs, fit_intercept=True):
    params = {"grouped": grouped, "penalty_factor": factor, "tol": TOL}
    params["fit_intercept"] = fit_intercept
    params["max_iter"] = 20_000
    screened = ScreenedPath(params, 1.0, X, y, s)
    model = SoftmaxRegression(l1_ratio=1.0, warm_start=True, **params)
    for C in Cs:
        a = screened.fit(C)
        b = model.set_params(C=C).fit(X, y, sample_weight=s)
        yield C, a, b, screened


GROUPINGS = [True, False, np.repeat(np.arange(10), 3)]


@pytest.mark.parametrize("grouped", GROUPINGS, ids=["rows", "ungrouped", "triples"])
@pytest.mark.parametrize("sparse", [False, True])
def test_screened_path_is_the_unscreened_one(data, grouped, sparse):
    X, y, s = data
    factor = np.ones(X.shape[1])
    factor[:3] = 0.0  # unpenalised: always in the fit
    factor[3:6] = np.inf  # excluded
    if not isinstance(grouped, bool):
        factor[:6] = factor[0]  # the first two groups: unpenalised
    Xf = sp.csr_array(X) if sparse else X
    Cs = np.geomspace(2e-4, 2e-2, 8)
    for C, a, b, screened in paths(Xf, y, s, grouped, factor, Cs):  # noqa: B007
        np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-5)
        np.testing.assert_allclose(a.intercept_, b.intercept_, atol=1e-5)
        assert kkt_distance(X, y, s, a, C, grouped, factor) <= TOL * (1 + 1e-6)
    assert min(screened.n_screened_[1:]) < X.shape[1]  # it did screen


@pytest.mark.parametrize("grouped", [True, False])
def test_two_classes_without_intercept(data, grouped):
    X, y, s = data
    y = (y == 1).astype(int)
    factor = np.ones(X.shape[1])
    Cs = np.geomspace(2e-4, 2e-2, 6)
    for C, a, b, _ in paths(X, y, s, grouped, factor, Cs, fit_intercept=False):
        assert a.coef_.shape == (1, X.shape[1])
        np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-5)
        # The K = 2 softmax of the binary fit: w₁ = −w₀ = coef_ / 2.
        per_class = SoftmaxRegression()
        per_class.coef_ = np.vstack([-a.coef_ / 2, a.coef_ / 2])
        per_class.intercept_ = np.zeros(2)
        assert kkt_distance(X, y, s, per_class, C, grouped, factor) <= TOL * 1.01


def test_violators_of_the_check_are_refitted(data, monkeypatch):
    X, y, s = data
    # A strong set of one feature: the KKT check must bring in the others.
    monkeypatch.setattr(
        ScreenedPath, "_strong_set", lambda self, *_: np.arange(X.shape[1]) == 0
    )
    factor = np.ones(X.shape[1])
    for C, a, b, _ in paths(X, y, s, True, factor, [1e-3, 1e-2]):
        assert kkt_distance(X, y, s, a, C, True, factor) <= TOL * (1 + 1e-6)
        np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-5)
    assert a.n_features_selected_ > 1


@pytest.mark.parametrize(
    "change",
    [
        {"positive": True},
        {"lower_bounds": -1.0},
        {"standardize": True},
        {"class_weight": "balanced"},
        {"label_smoothing": 0.1},
        {"solver": "sgd"},
        {"early_stopping": True},
    ],
)
def test_screening_only_where_it_is_exact(change):
    params = SoftmaxRegression().get_params()
    assert screenable(params, 1.0)
    assert not screenable(params, 0.0)
    assert not screenable(params, 1.0, has_targets=True)
    assert not screenable({**params, **change}, 1.0)


@pytest.mark.parametrize("grouped", [True, False])
def test_cv_path_with_screening_is_the_one_without(data, grouped, monkeypatch):
    from sklearn_softmax import SoftmaxRegressionCV, _cv_path

    X, y, _ = data
    params = {"l1_ratios": [0.5, 1.0], "Cs": 4, "cv": 2, "tol": 1e-7}
    cv = SoftmaxRegressionCV(grouped=grouped, max_iter=20_000, **params)
    screened = cv.fit(X, y).coefs_paths_
    monkeypatch.setattr(_cv_path, "screenable", lambda *_: False)
    plain = cv.fit(X, y).coefs_paths_
    np.testing.assert_allclose(screened, plain, atol=1e-4)
