"""Features used together: structured penalties with soft targets and offsets.

Each check compares against an independent computation: the fit on data
standardised outside the estimator, or on the soft targets' replicated rows.
"""

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxRegression, SoftmaxRegressionCV


@pytest.fixture(scope="module")
def wine_soft():
    X, y = load_wine(return_X_y=True)
    rng = np.random.default_rng(0)
    n_classes = 3
    Q = 0.5 * rng.dirichlet(np.ones(n_classes), len(y)) + 0.5 * np.eye(3)[y]
    offset = rng.normal(size=(len(y), n_classes))
    return X, y, Q, offset


def test_standardize_with_soft_targets_and_offset(wine_soft):
    X, y, Q, offset = wine_soft
    kw = dict(C=0.5, tol=1e-10, max_iter=1000)
    model = SoftmaxRegression(standardize=True, **kw)
    model.fit(X, y, target_proba=Q, offset=offset)
    scaler = StandardScaler().fit(X)
    ref = SoftmaxRegression(**kw).fit(
        scaler.transform(X), y, target_proba=Q, offset=offset
    )
    coef = ref.coef_ / scaler.scale_
    intercept = ref.intercept_ - coef @ scaler.mean_
    np.testing.assert_allclose(model.coef_, coef, rtol=0, atol=1e-7)
    # Σ_k b_k = 0 pins the intercept of both fits.
    np.testing.assert_allclose(model.intercept_, intercept, rtol=0, atol=1e-7)


def test_grouped_lasso_with_soft_targets_equals_replicated_rows(wine_soft):
    X, y, Q, _ = wine_soft
    X = StandardScaler().fit_transform(X)
    n_classes = Q.shape[1]
    kw = dict(C=0.05, l1_ratio=1.0, grouped=True, solver="fista", tol=1e-10)
    model = SoftmaxRegression(max_iter=5000, **kw).fit(X, y, target_proba=Q)
    replicated = SoftmaxRegression(max_iter=5000, **kw).fit(
        np.repeat(X, n_classes, axis=0),
        np.tile(np.arange(n_classes), len(y)),
        sample_weight=Q.ravel(),
    )
    np.testing.assert_allclose(model.coef_, replicated.coef_, rtol=0, atol=1e-8)
    assert 0 < model.n_features_selected_ < X.shape[1]
    np.testing.assert_array_equal(model.support_, replicated.support_)


def test_bounds_with_label_smoothing(wine_soft):
    X, y, _, _ = wine_soft
    X = StandardScaler().fit_transform(X)
    model = SoftmaxRegression(positive=True, label_smoothing=0.1, solver="lbfgs")
    model.set_params(tol=1e-7, max_iter=1000).fit(X, y)
    assert model.coef_.min() >= 0


@pytest.mark.parametrize(
    "option",
    [
        {"penalty_factor": np.ones(13)},
        {"grouped": True},
        {"positive": True},
        {"standardize": True},
    ],
)
def test_streams_with_structured_options_take_adagrad(wine_soft, option):
    """FTRL's threshold is one strength: ``"auto"`` takes AdaGrad instead."""
    X, y, _, _ = wine_soft
    X = StandardScaler().fit_transform(X)
    model = SoftmaxRegression(l1_ratio=0.5, **option)
    model.partial_fit(X, y, classes=[0, 1, 2])
    assert type(model._online_state).__name__ == "OnlineState"
    refused = SoftmaxRegression(l1_ratio=0.5, learning_rate="ftrl", **option)
    with pytest.raises(ValueError, match="learning_rate='ftrl' takes no"):
        refused.partial_fit(X, y, classes=[0, 1, 2])
    assert not hasattr(refused, "coef_")


def test_cv_passes_label_smoothing_to_its_fits(wine_soft):
    """The refit at ``C_`` equals a fit with the same smoothing; scores differ."""
    X, y, _, _ = wine_soft
    X = StandardScaler().fit_transform(X)
    cv = SoftmaxRegressionCV(Cs=[0.1, 1.0], cv=3, label_smoothing=0.2, tol=1e-8)
    cv.fit(X, y)
    ref = SoftmaxRegression(C=cv.C_, label_smoothing=0.2, tol=1e-8).fit(X, y)
    np.testing.assert_allclose(cv.coef_, ref.coef_, rtol=0, atol=1e-10)
    plain = SoftmaxRegressionCV(Cs=[0.1, 1.0], cv=3, tol=1e-8).fit(X, y)
    assert not np.allclose(cv.scores_, plain.scores_)
