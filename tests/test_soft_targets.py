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
# Tight tolerances meet lbfgs's floating-point floor: its warning is expected.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


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


# --- The estimator: target_proba and label_smoothing --------------------------

from sklearn.base import clone  # noqa: E402

from sklearn_softmax import SoftmaxRegression  # noqa: E402

n_samples, n_features, n_classes = 60, 3, 3
SOLVERS = [
    ("newton-cg", {}),
    ("lbfgs", {}),
    ("gd", {}),
    ("fista", {"l1_ratio": 0.5}),
    ("sgd", {"max_iter": 300}),
]


@pytest.fixture
def data():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(n_samples, n_features))
    q = rng.dirichlet(0.7 * np.ones(n_classes), size=n_samples)
    y = q.argmax(axis=1)
    w = rng.uniform(0.5, 2.0, size=n_samples)
    return X, y, q, w


def replicated(X, q, w):
    """``K`` copies of every sample, labels ``k``, weights ``w_n q_nk``."""
    K = q.shape[1]
    return (
        np.repeat(X, K, axis=0),
        np.tile(np.arange(K), X.shape[0]),
        (w[:, None] * q).ravel(),
    )


def tight(solver, **params):
    params = {"tol": 1e-9, "max_iter": 5000, **params}
    return SoftmaxRegression(solver=solver, random_state=0, **params)


@pytest.mark.parametrize("solver, params", SOLVERS)
@pytest.mark.parametrize("class_weight", [None, {0: 3.0, 2: 0.5}, "balanced"])
def test_soft_targets_equal_the_replicated_data(data, solver, params, class_weight):
    X, y, q, w = data
    model = tight(solver, class_weight=class_weight, **params)
    model.fit(X, y, sample_weight=w, target_proba=q)
    Xr, yr, wr = replicated(X, q, w)
    reference = clone(model).fit(Xr, yr, sample_weight=wr)
    atol = 1e-4 if solver == "sgd" else 1e-7  # sgd: the same epochs, not exact
    assert_allclose(model.coef_, reference.coef_, atol=atol)
    assert abs(model.intercept_.sum()) < 1e-12  # pinned: Σ_k b_k = 0
    b = reference.intercept_ - reference.intercept_.mean()
    assert_allclose(model.intercept_, b, atol=atol)


def test_binary_soft_targets_equal_the_replicated_data(data):
    X, _, q, w = data
    q2 = np.column_stack([q[:, 0], 1 - q[:, 0]])
    y = q2.argmax(axis=1)
    model = tight("newton-cg").fit(X, y, sample_weight=w, target_proba=q2)
    reference = clone(model).fit(
        *replicated(X, q2, w)[:2], sample_weight=replicated(X, q2, w)[2]
    )
    assert_allclose(model.coef_, reference.coef_, atol=1e-8)
    assert_allclose(model.intercept_, reference.intercept_, atol=1e-8)


@pytest.mark.parametrize("eps", [0.1, 0.45])
@pytest.mark.parametrize("with_proba", [False, True])
def test_label_smoothing_is_the_smoothed_soft_targets(data, eps, with_proba):
    X, y, q, w = data
    base = q if with_proba else np.eye(n_classes)[y]
    smoothed = (1 - eps) * base + eps / n_classes
    model = tight("newton-cg", label_smoothing=eps, class_weight={1: 2.0})
    model.fit(X, y, sample_weight=w, target_proba=q if with_proba else None)
    Xr, yr, wr = replicated(X, smoothed, w)
    reference = tight("newton-cg", class_weight={1: 2.0}).fit(Xr, yr, sample_weight=wr)
    assert_allclose(model.coef_, reference.coef_, atol=1e-7)


def test_label_smoothing_matches_torch_cross_entropy(data):
    torch = pytest.importorskip("torch")
    from sklearn_softmax._backends._numpy import NumpyBackend

    X, y, _, _ = data
    eps = 0.2
    model = SoftmaxRegression(label_smoothing=eps)
    objective = NumpyBackend().fit_data(model, X, y, None).objective
    rng = np.random.default_rng(5)
    W = rng.normal(size=objective.shape)
    logits = X @ W[:-1] + W[-1]
    loss = torch.nn.CrossEntropyLoss(label_smoothing=eps)(
        torch.tensor(logits), torch.tensor(y)
    )
    assert objective.value(W.ravel()) == pytest.approx(loss.item(), rel=1e-12)


@pytest.mark.parametrize("solver, params", SOLVERS[:2] + SOLVERS[3:])
def test_sparse_X_gives_the_dense_fit(data, solver, params):
    X, y, q, w = data
    model = tight(solver, **params)
    dense = clone(model).fit(X, y, sample_weight=w, target_proba=q)
    for container in (sp.csr_matrix, sp.csc_matrix):
        fitted = clone(model).fit(container(X), y, sample_weight=w, target_proba=q)
        assert_allclose(fitted.coef_, dense.coef_, atol=1e-8)
        assert_allclose(fitted.intercept_, dense.intercept_, atol=1e-8)


def test_float32_fit_is_float32_and_near_the_float64_fit(data):
    X, y, q, w = data
    model = SoftmaxRegression(tol=1e-6)
    f64 = clone(model).fit(X, y, sample_weight=w, target_proba=q)
    f32 = clone(model).fit(
        X.astype(np.float32), y, w, target_proba=q.astype(np.float32)
    )
    assert f32.coef_.dtype == np.float32
    assert_allclose(f32.coef_, f64.coef_, atol=1e-4)


@pytest.mark.parametrize("learning_rate", ["newton", "adagrad"])
def test_partial_fit_stream_with_soft_targets_approaches_the_fit(data, learning_rate):
    X, y, q, w = data
    newton = learning_rate == "newton"
    passes = 20 if newton else 150
    # The penalty is scaled to the weight seen: p passes are the fit of p copies.
    full = SoftmaxRegression(C=passes, tol=1e-10)
    full.fit(X, y, sample_weight=w, target_proba=q)
    hard = SoftmaxRegression(C=passes, tol=1e-10).fit(X, y, sample_weight=w)
    model = SoftmaxRegression(
        learning_rate=learning_rate, batch_size=n_samples if newton else 10
    )
    for _ in range(passes):
        for chunk in np.array_split(np.arange(n_samples), 3):
            model.partial_fit(
                X[chunk], y[chunk], [0, 1, 2], w[chunk], target_proba=q[chunk]
            )
    gap = np.abs(model.predict_proba(X) - full.predict_proba(X)).max()
    assert gap < (1e-6 if newton else 3e-2)
    assert gap < 0.1 * np.abs(hard.predict_proba(X) - full.predict_proba(X)).max()


def test_partial_fit_chunk_may_lack_classes(data):
    X, y, q, _ = data
    model = SoftmaxRegression()
    chunk = y != 2  # no label 2, but target mass on it
    model.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2], target_proba=q[chunk])
    assert model.coef_.shape == (3, n_features)


# --- Bad input: a ValueError naming the problem, the model unchanged ----------

BAD_PROBA = {
    "negative": (lambda q: q - 0.5 * (q == q.min()), "non-negative"),
    "not summing to one": (lambda q: q * 1.1, "sum to one"),
    "NaN": (lambda q: np.where(q == q.max(), np.nan, q), "NaN"),
    "inf": (lambda q: np.where(q == q.max(), np.inf, q), "infinity"),
    "columns": (lambda q: np.column_stack([q, np.zeros(len(q))]), "columns"),
    "rows": (lambda q: q[:-1], "rows"),
}


@pytest.mark.parametrize("case", sorted(BAD_PROBA))
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_bad_target_proba_is_refused_and_the_model_kept(data, case, method):
    X, y, q, _ = data
    model = SoftmaxRegression().fit(X, y, target_proba=q)
    coef = model.coef_.copy()
    change, message = BAD_PROBA[case]
    kwargs = {"classes": [0, 1, 2]} if method == "partial_fit" else {}
    with pytest.raises(ValueError, match=message):
        getattr(model, method)(X, y, target_proba=change(q.copy()), **kwargs)
    assert_allclose(model.coef_, coef)


def test_target_proba_of_a_class_missing_from_y_is_refused(data):
    X, y, q, _ = data
    keep = y != 2  # y has classes 0 and 1, target_proba three columns
    with pytest.raises(ValueError, match="must appear in y"):
        SoftmaxRegression().fit(X[keep], y[keep], target_proba=q[keep])


@pytest.mark.parametrize("eps", [-0.1, 1.0])
def test_label_smoothing_out_of_range_is_refused(data, eps):
    X, y, _, _ = data
    with pytest.raises(ValueError, match="label_smoothing"):
        SoftmaxRegression(label_smoothing=eps).fit(X, y)


# --- Metadata routing ----------------------------------------------------------

import sklearn  # noqa: E402
from sklearn import config_context  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, cross_validate  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.fixes import parse_version  # noqa: E402

# Routing through Pipeline.score inside cross_validate, as these tests do it,
# behaves as documented from scikit-learn 1.8 (1.6 and 1.7 score without the
# routed metadata, or refuse undeclared sample weights).
ROUTED_SCORES = pytest.mark.skipif(
    parse_version(sklearn.__version__) < parse_version("1.8"),
    reason="routing to Pipeline.score in cross_validate needs scikit-learn >= 1.8",
)


@ROUTED_SCORES
def test_target_proba_is_routed_per_fold_through_pipeline_and_cross_validate(data):
    X, y, q, w = data
    cv = KFold(3)
    with config_context(enable_metadata_routing=True):
        model = SoftmaxRegression().set_fit_request(
            target_proba=True, sample_weight=True
        )
        model.set_score_request(sample_weight=True)  # else the scores are NaN
        scaler = StandardScaler().set_fit_request(sample_weight=False)
        pipe = make_pipeline(scaler, model)
        result = cross_validate(
            pipe,
            X,
            y,
            cv=cv,
            params={"target_proba": q, "sample_weight": w},
            return_estimator=True,
        )
    for (train, _), fitted in zip(cv.split(X), result["estimator"], strict=True):
        Xs = StandardScaler().fit_transform(X[train])
        expected = SoftmaxRegression().fit(
            Xs, y[train], w[train], target_proba=q[train]
        )
        assert_allclose(fitted[-1].coef_, expected.coef_, atol=1e-10)


def test_target_proba_is_routed_through_grid_search(data):
    X, y, q, _ = data
    with config_context(enable_metadata_routing=True):
        model = SoftmaxRegression().set_fit_request(target_proba=True)
        search = GridSearchCV(model, {"C": [0.1, 1.0]}, cv=KFold(3))
        search.fit(X, y, target_proba=q)
        hard = GridSearchCV(SoftmaxRegression(), {"C": [0.1, 1.0]}, cv=KFold(3))
        hard.fit(X, y)
    expected = SoftmaxRegression(C=search.best_params_["C"]).fit(X, y, target_proba=q)
    assert_allclose(search.best_estimator_.coef_, expected.coef_, atol=1e-10)
    assert not np.allclose(search.best_estimator_.coef_, hard.best_estimator_.coef_)


def test_partial_fit_label_smoothing_is_the_smoothed_targets(data):
    X, y, _, w = data
    eps = 0.3
    smoothed = (1 - eps) * np.eye(n_classes)[y] + eps / n_classes
    chunks = np.array_split(np.arange(n_samples), 2)
    a, b = SoftmaxRegression(label_smoothing=eps), SoftmaxRegression()
    for chunk in chunks:
        a.partial_fit(X[chunk], y[chunk], [0, 1, 2], w[chunk])
        b.partial_fit(
            X[chunk], y[chunk], [0, 1, 2], w[chunk], target_proba=smoothed[chunk]
        )
    assert_allclose(a.coef_, b.coef_, rtol=1e-12)
    hard = SoftmaxRegression().partial_fit(X, y, [0, 1, 2], w)
    assert not np.allclose(a.coef_, hard.coef_)


def test_early_stopping_with_one_hot_soft_targets_is_the_hard_label_fit(data):
    X, y, _, w = data
    params = {"early_stopping": True, "validation_fraction": 0.3, "random_state": 0}
    hard = SoftmaxRegression(**params).fit(X, y, w)
    soft = SoftmaxRegression(**params).fit(X, y, w, target_proba=np.eye(3)[y])
    assert_allclose(soft.validation_scores_, hard.validation_scores_)
    assert_allclose(soft.coef_, hard.coef_, atol=1e-10)
