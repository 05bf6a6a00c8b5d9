"""Objectives against independent solvers: cyanure (grouped lasso), glmnet (lasso).

Both minimise the weighted mean loss plus ``λ`` times the penalty, which is
ours divided by ``C Σ s``: ``λ = 1 / (C Σ s)`` (``Σ s = N`` unweighted). The
objective of each solution is computed here in plain NumPy and SciPy; ours
must be within ``1e-6`` relative of the reference's, and not above it by
more. Both are in the ``test`` extra (python-glmnet on CPython 3.11, where it
has wheels); each test skips without its package.
"""

import numpy as np
import pytest
from scipy.special import log_softmax
from sklearn.datasets import make_classification

from sklearn_softmax import SoftmaxRegression

N, M, C = 300, 20, 0.02


@pytest.fixture(scope="module")
def problem():
    X, y = make_classification(
        N, M, n_informative=5, n_classes=3, n_clusters_per_class=1, random_state=0
    )
    return X, y


def objective(X, y, coef, intercept, grouped: bool) -> float:
    """Mean cross-entropy plus ``λ`` (group) lasso, ``coef`` of shape ``(K, M)``."""
    Z = X @ coef.T + intercept
    loss = -np.mean(log_softmax(Z, axis=1)[np.arange(len(y)), y])
    norms = np.linalg.norm(coef, axis=0) if grouped else np.abs(coef)
    return loss + np.sum(norms) / (C * len(y))


def ours(X, y, grouped: bool):
    model = SoftmaxRegression(
        C=C, l1_ratio=1.0, grouped=grouped, tol=1e-10, max_iter=20_000
    ).fit(X, y)
    return objective(X, y, model.coef_, model.intercept_, grouped)


def test_grouped_lasso_objective_matches_cyanure(problem):
    estimators = pytest.importorskip("cyanure.estimators")
    X, y = problem
    reference = estimators.Classifier(
        loss="multiclass-logistic",
        penalty="l1l2",  # Σ_j ‖W_j·‖₂ over the rows of features
        lambda_1=1.0 / (C * N),
        fit_intercept=True,
        tol=1e-10,
        max_iter=5000,
        n_threads=1,
        verbose=False,
    ).fit(X, y)
    coef = np.asarray(reference.coef_).T  # cyanure's is (n_features, n_classes)
    F_ref = objective(X, y, coef, np.ravel(reference.intercept_), grouped=True)
    F = ours(X, y, grouped=True)
    assert F <= F_ref * (1 + 1e-6)
    assert F == pytest.approx(F_ref, rel=1e-6)


def test_lasso_objective_matches_glmnet(problem):
    glmnet = pytest.importorskip("glmnet")
    X, y = problem
    lam = 1.0 / (C * N)
    # glmnet fits a decreasing path; the last value is ours.
    reference = glmnet.LogitNet(
        alpha=1.0,
        lambda_path=lam * np.array([8.0, 4.0, 2.0, 1.0]),
        standardize=False,
        fit_intercept=True,
        tol=1e-12,
        max_iter=100_000,
    ).fit(X, y)
    coef = reference.coef_path_[..., -1]
    intercept = reference.intercept_path_[..., -1]
    F_ref = objective(X, y, coef, intercept, grouped=False)
    F = ours(X, y, grouped=False)
    assert F <= F_ref * (1 + 1e-6)
    assert F == pytest.approx(F_ref, rel=1e-6)
