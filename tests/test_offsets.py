"""Offsets: known logits added to ``Wᵀx + b`` in fit, partial_fit and predictions.

References: a direct scipy minimisation of the objective with the offset,
finite differences of the objective, and the softmax of scipy.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax

from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._objectives import SoftmaxObjective

N, M = 80, 3
# Tight tolerances meet lbfgs's floating-point floor: its warning is expected.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(params=[3, 2], ids=["K=3", "K=2"])
def data(request):
    K = request.param
    rng = np.random.default_rng(7)
    X = rng.normal(size=(N, M))
    offset = rng.normal(size=(N, K))
    y = rng.integers(K, size=N)
    y[:K] = np.arange(K)
    w = rng.uniform(0.5, 2.0, size=N)
    return X, y, offset, w, K


def direct_minimum(X, y, offset, w, K, C):
    """``C Σ w_n ℓ_n + ½‖W‖²`` with ``z_n = Wᵀx_n + b + o_n``, by scipy's BFGS."""
    Y = np.eye(K)[y]

    def objective(theta):
        W, b = theta[: M * K].reshape(M, K), theta[M * K :]
        L = log_softmax(X @ W + b + offset, axis=1)
        P = np.exp(L)
        value = -C * np.sum(w[:, None] * Y * L) + 0.5 * np.sum(W**2)
        D = C * w[:, None] * (P - Y)
        return value, np.concatenate([(X.T @ D + W).ravel(), D.sum(axis=0)])

    result = minimize(
        objective,
        np.zeros(M * K + K),
        jac=True,
        method="BFGS",
        options={"gtol": 1e-11, "maxiter": 10000},
    )
    W, b = result.x[: M * K].reshape(M, K), result.x[M * K :]
    return W, b - b.mean()


@pytest.mark.parametrize("solver", ["newton-cg", "lbfgs", "gd", "fista", "sgd"])
def test_fit_with_offset_is_the_direct_minimum(data, solver):
    X, y, offset, w, K = data
    W, b = direct_minimum(X, y, offset, w, K, C=1.0)
    model = SoftmaxRegression(solver=solver, tol=1e-9, max_iter=5000, random_state=0)
    model.fit(X, y, sample_weight=w, offset=offset)
    if K == 2:
        assert_allclose(model.coef_, (W[:, 1] - W[:, 0])[None], atol=1e-6)
        assert_allclose(model.intercept_, [b[1] - b[0]], atol=1e-6)
    else:
        assert_allclose(model.coef_, W.T, atol=1e-6)
        assert_allclose(model.intercept_, b, atol=1e-6)


def test_binary_offset_of_one_column_is_the_positive_class(data):
    X, y, offset, w, K = data
    if K != 2:
        pytest.skip("two classes only")
    o = offset[:, 1] - offset[:, 0]
    wide = SoftmaxRegression(tol=1e-10).fit(X, y, w, offset=offset)
    narrow = SoftmaxRegression(tol=1e-10).fit(X, y, w, offset=o)
    assert_allclose(narrow.coef_, wide.coef_, atol=1e-9)
    assert_allclose(
        narrow.decision_function(X, offset=o),
        wide.decision_function(X, offset=offset),
        atol=1e-9,
    )


def test_predictions_add_the_offset_to_the_scores(data):
    X, y, offset, w, K = data
    model = SoftmaxRegression().fit(X, y, w, offset=offset)
    Z = X @ model.coef_.T + model.intercept_
    Z = np.column_stack([np.zeros(N), Z]) if K == 2 else Z
    Z_off = Z + offset
    assert_allclose(model.predict_proba(X, offset=offset), softmax(Z_off, axis=1))
    assert_allclose(
        model.predict_log_proba(X, offset=offset),
        log_softmax(Z_off, axis=1),
        atol=1e-12,
    )
    scores = Z_off[:, 1] - Z_off[:, 0] if K == 2 else Z_off
    assert_allclose(model.decision_function(X, offset=offset), scores, atol=1e-12)
    assert_allclose(model.predict(X, offset=offset), Z_off.argmax(axis=1))
    # Without an offset: as if it were zero.
    assert_allclose(model.predict_proba(X), softmax(Z, axis=1))
    accuracy = np.average(Z_off.argmax(axis=1) == y, weights=w)
    assert model.score(X, y, w, offset=offset) == pytest.approx(accuracy)


@pytest.mark.parametrize("container", [None, sp.csr_matrix, sp.csc_matrix])
@pytest.mark.parametrize("soft", [False, True])
def test_objective_gradient_and_hessian_match_finite_differences(container, soft):
    rng = np.random.default_rng(8)
    K = 3
    X = rng.normal(size=(M, N))
    Xc = X if container is None else container(X)
    y = rng.integers(K, size=N)
    T = rng.dirichlet(np.ones(K), size=N).T if soft else None
    Off = rng.normal(size=(K, N))
    s = rng.uniform(0.5, 2, size=N)
    f = SoftmaxObjective(Xc, y, K, s, True, block_size=16, targets=T, offset=Off)
    theta = rng.normal(size=f.n_params)
    # The value, from scipy: the weighted mean cross-entropy with the offset.
    W = theta.reshape(M + 1, K)
    Y = np.eye(K)[:, y] if T is None else T
    L = log_softmax(W[:M].T @ X + W[M][:, None] + Off, axis=0)
    assert f.value(theta) == pytest.approx(-np.sum(s / s.sum() * Y * L), rel=1e-12)
    value, grad, hessp = f.value_grad_hessp(theta)
    eps = 1e-6
    basis = np.eye(f.n_params)
    numeric = [
        (f.value(theta + eps * e) - f.value(theta - eps * e)) / (2 * eps) for e in basis
    ]
    assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)
    v = rng.normal(size=f.n_params)
    g_plus = f.value_and_grad(theta + eps * v)[1]
    g_minus = f.value_and_grad(theta - eps * v)[1]
    assert_allclose(hessp(v), (g_plus - g_minus) / (2 * eps), rtol=1e-5, atol=1e-8)


def test_partial_fit_stream_with_offsets_approaches_the_fit(data):
    X, y, offset, w, K = data
    passes = 15
    full = SoftmaxRegression(C=passes, tol=1e-10).fit(X, y, w, offset=offset)
    model = SoftmaxRegression(learning_rate="newton", batch_size=N)
    for _ in range(passes):
        for chunk in np.array_split(np.arange(N), 2):
            model.partial_fit(
                X[chunk], y[chunk], np.arange(K), w[chunk], offset=offset[chunk]
            )
    assert_allclose(
        model.predict_proba(X, offset=offset),
        full.predict_proba(X, offset=offset),
        atol=1e-6,
    )


def test_float32_offsets_fit_in_float32(data):
    X, y, offset, w, K = data
    f64 = SoftmaxRegression(tol=1e-7).fit(X, y, w, offset=offset)
    f32 = SoftmaxRegression(tol=1e-7).fit(
        X.astype(np.float32), y, w, offset=offset.astype(np.float32)
    )
    assert f32.coef_.dtype == np.float32
    assert f32.predict_proba(X.astype(np.float32), offset=offset).dtype == np.float32
    assert_allclose(f32.coef_, f64.coef_, atol=1e-4)


# --- Bad input -----------------------------------------------------------------


def bad_offsets(offset):
    nan = offset.copy()
    nan[0, 0] = np.nan
    inf = offset.copy()
    inf[1, 0] = np.inf
    return {
        "rows": (offset[:-1], "offset must have shape"),
        "columns": (np.column_stack([offset, offset[:, 0]]), "offset must have shape"),
        "3-D": (offset[:, :, None], "offset"),
        "NaN": (nan, "NaN"),
        "inf": (inf, "infinity"),
    }


@pytest.mark.parametrize("case", ["rows", "columns", "3-D", "NaN", "inf"])
def test_bad_offsets_are_refused_and_the_model_kept(data, case):
    X, y, offset, w, K = data
    model = SoftmaxRegression().fit(X, y, offset=offset)
    coef = model.coef_.copy()
    bad, message = bad_offsets(offset)[case]
    with pytest.raises(ValueError, match=message):
        model.fit(X, y, offset=bad)
    with pytest.raises(ValueError, match=message):
        model.partial_fit(X, y, offset=bad)
    for method in (
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
    ):
        with pytest.raises(ValueError, match=message):
            getattr(model, method)(X, offset=bad)
    assert_allclose(model.coef_, coef)


def test_offset_with_early_stopping_is_refused(data):
    X, y, offset, _, _ = data
    with pytest.raises(ValueError, match="early_stopping"):
        SoftmaxRegression(early_stopping=True).fit(X, y, offset=offset)


# --- Metadata routing and scoring -----------------------------------------------

import sklearn  # noqa: E402
from sklearn import config_context  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402
from sklearn.model_selection import KFold, cross_validate  # noqa: E402
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
def test_offset_is_routed_to_fit_and_score_per_fold(data):
    X, y, offset, _, K = data
    cv = KFold(4)
    with config_context(enable_metadata_routing=True):
        model = SoftmaxRegression().set_fit_request(offset=True)
        model.set_score_request(offset=True)
        pipe = make_pipeline(StandardScaler(), model)
        result = cross_validate(
            pipe, X, y, cv=cv, params={"offset": offset}, scoring=None
        )
        # A named probability scorer never passes the offset to predict_proba.
        log = cross_validate(
            pipe, X, y, cv=cv, params={"offset": offset}, scoring="neg_log_loss"
        )
    for i, (train, test) in enumerate(cv.split(X)):
        scaler = StandardScaler().fit(X[train])
        fitted = SoftmaxRegression().fit(
            scaler.transform(X[train]), y[train], offset=offset[train]
        )
        Xt = scaler.transform(X[test])
        assert result["test_score"][i] == pytest.approx(
            fitted.score(Xt, y[test], offset=offset[test])
        )
        assert log["test_score"][i] == pytest.approx(
            -log_loss(y[test], fitted.predict_proba(Xt), labels=np.arange(K))
        )


# --- Dask: soft targets and offsets as dask arrays, chunked as X's rows ---------


@pytest.mark.parametrize("solver", ["newton-cg", "lbfgs"])
@pytest.mark.parametrize("soft", [False, True])
def test_dask_fit_equals_the_in_memory_fit(data, solver, soft):
    da = pytest.importorskip("dask.array")
    X, y, offset, w, K = data
    rng = np.random.default_rng(9)
    q = rng.dirichlet(np.ones(K), size=N) if soft else None
    params = {
        "solver": solver,
        "tol": 1e-8,
        "class_weight": "balanced",
        "label_smoothing": 0.1 if soft else 0.0,
    }
    expected = SoftmaxRegression(**params).fit(X, y, w, target_proba=q, offset=offset)
    chunks = (30, 25, 25)
    model = SoftmaxRegression(**params).fit(
        da.from_array(X, chunks=(chunks, M)),
        y,
        w,
        target_proba=None if q is None else da.from_array(q, chunks=(20, K)),
        offset=da.from_array(offset, chunks=(chunks, K)),
    )
    assert_allclose(model.coef_, expected.coef_, rtol=1e-7, atol=1e-9)
    assert_allclose(model.intercept_, expected.intercept_, rtol=1e-7, atol=1e-9)


def test_dask_bad_soft_input_is_refused(data):
    da = pytest.importorskip("dask.array")
    X, y, offset, _, K = data
    Xd = da.from_array(X, chunks=(40, M))
    with pytest.raises(ValueError, match="offset must have shape"):
        SoftmaxRegression().fit(Xd, y, offset=offset[:, :1])
    bad = np.full((N, K), 1.0)
    with pytest.raises(ValueError, match="sum to one"):
        SoftmaxRegression().fit(Xd, y, target_proba=bad)
    with pytest.raises(ValueError, match="one row per sample"):
        SoftmaxRegression().fit(Xd, y, offset=offset[:-1])


# --- Array API (array-api-strict on its second device) ----------------------------


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg", "gd", "sgd"])
@pytest.mark.parametrize("soft", [False, True])
def test_array_api_fit_and_predictions_equal_numpy(data, solver, soft):
    xp = pytest.importorskip("array_api_strict")
    import sklearn

    device = xp.Device("device1")
    X, y, offset, w, K = data
    q = np.random.default_rng(10).dirichlet(np.ones(K), size=N) if soft else None
    params = {
        "solver": solver,
        "tol": 1e-8,
        "max_iter": 500,
        "random_state": 0,
        "label_smoothing": 0.2 if soft else 0.0,
    }
    expected = SoftmaxRegression(**params).fit(X, y, w, target_proba=q, offset=offset)
    on = lambda a: None if a is None else xp.asarray(a, device=device)  # noqa: E731
    with sklearn.config_context(array_api_dispatch=True):
        model = SoftmaxRegression(**params).fit(
            on(X), on(y), w, target_proba=on(q), offset=on(offset)
        )
        proba = model.predict_proba(on(X), offset=on(offset))
    assert proba.device == device
    atol = 1e-5 if solver == "sgd" else 1e-7
    assert_allclose(
        np.asarray(xp.asarray(model.coef_, device=xp.Device("CPU_DEVICE"))),
        expected.coef_,
        atol=atol,
    )
    assert_allclose(
        np.asarray(xp.asarray(proba, device=xp.Device("CPU_DEVICE"))),
        expected.predict_proba(X, offset=offset),
        atol=atol,
    )


# --- SoftmaxRegressionCV -----------------------------------------------------------


@pytest.mark.parametrize("soft", [False, True])
def test_cv_fits_and_scores_each_fold_with_its_targets_and_offsets(data, soft):
    from sklearn.model_selection import StratifiedKFold

    from sklearn_softmax import SoftmaxRegressionCV

    X, y, offset, w, K = data
    q = np.random.default_rng(11).dirichlet(np.ones(K), size=N) if soft else None
    cv = StratifiedKFold(3)
    Cs = [0.1, 1.0, 10.0]
    model = SoftmaxRegressionCV(Cs=Cs, cv=cv, tol=1e-10, max_iter=500)
    model.fit(X, y, w, target_proba=q, offset=offset)
    for f, (train, test) in enumerate(cv.split(X, y)):
        for i, C in enumerate(Cs):
            fitted = SoftmaxRegression(C=C, tol=1e-10).fit(
                X[train],
                y[train],
                w[train],
                target_proba=None if q is None else q[train],
                offset=offset[train],
            )
            proba = fitted.predict_proba(X[test], offset=offset[test])
            expected = -log_loss(
                y[test], proba, sample_weight=w[test], labels=np.arange(K)
            )
            assert model.scores_[f, i, 0] == pytest.approx(expected, rel=1e-7)
    refit = SoftmaxRegression(C=model.C_, tol=1e-10).fit(
        X, y, w, target_proba=q, offset=offset
    )
    assert_allclose(model.coef_, refit.coef_, atol=1e-7)


def test_cv_refuses_a_fold_without_a_class_under_soft_targets(data):
    from sklearn.model_selection import KFold

    from sklearn_softmax import SoftmaxRegressionCV

    X, y, _, _, K = data
    order = np.argsort(y, kind="stable")
    q = np.eye(K)[y[order]]
    # Two classes: a fold of one class is refused before (as without them).
    message = "every training fold" if K > 2 else "fewer than 2 classes"
    with pytest.raises(ValueError, match=message):
        SoftmaxRegressionCV(Cs=2, cv=KFold(K)).fit(X[order], y[order], target_proba=q)


# --- ONNX export ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("raw_scores", [False, True])
def test_onnx_graph_of_a_model_fitted_with_offsets_has_an_offset_input(
    data, dtype, raw_scores
):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    from skl2onnx import to_onnx

    from sklearn_softmax.onnx import register

    register()
    X, y, offset, _, K = data
    X = X.astype(dtype)
    o = (offset if K > 2 else offset[:, 1] - offset[:, 0]).astype(dtype)
    pipe = make_pipeline(StandardScaler(), SoftmaxRegression())
    pipe.fit(X, y, softmaxregression__offset=o)
    options = {id(pipe[-1]): {"zipmap": False, "raw_scores": raw_scores}}
    onx = to_onnx(pipe, X[:1], options=options)
    names = [i.name for i in onx.graph.input]
    assert names == ["X", "offset"]
    dims = onx.graph.input[1].type.tensor_type.shape.dim
    assert [d.dim_value or None for d in dims] == ([None] if K == 2 else [None, K])
    session = ort.InferenceSession(onx.SerializeToString())
    label, second = session.run(None, {"X": X, "offset": o})
    model, Xs = pipe[-1], pipe[0].transform(X)
    assert_allclose(label, model.predict(Xs, offset=o))
    if raw_scores:
        scores = model.decision_function(Xs, offset=o)
        assert_allclose(
            second[:, 1] if K == 2 else second, scores, rtol=1e-5, atol=1e-5
        )
    else:
        assert_allclose(second, model.predict_proba(Xs, offset=o), rtol=1e-5, atol=1e-6)


def test_onnx_graph_of_a_model_fitted_without_offsets_has_one_input(data):
    pytest.importorskip("skl2onnx")
    from skl2onnx import to_onnx

    from sklearn_softmax.onnx import register

    register()
    X, y, _, _, _ = data
    onx = to_onnx(SoftmaxRegression().fit(X, y), X[:1].astype(np.float32))
    assert [i.name for i in onx.graph.input] == ["X"]


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"]
)
def test_dask_predictions_with_offsets_are_lazy_and_equal_numpy(data, method):
    da = pytest.importorskip("dask.array")
    X, y, offset, _, K = data
    model = SoftmaxRegression().fit(X, y, offset=offset)
    o = offset if K > 2 else offset[:, 1] - offset[:, 0]
    lazy = getattr(model, method)(
        da.from_array(X, chunks=((30, 50), M)), offset=da.from_array(o, chunks=25)
    )
    assert isinstance(lazy, da.Array)
    expected = getattr(model, method)(X, offset=o)
    assert_allclose(lazy.compute(), expected, rtol=1e-12, atol=1e-12)


def test_dask_sgd_newton_windows_reach_the_fit_with_targets_and_offsets(data):
    da = pytest.importorskip("dask.array")
    X, y, offset, w, K = data
    q = np.random.default_rng(12).dirichlet(np.ones(K), size=N)
    best = SoftmaxRegression(tol=1e-10).fit(X, y, w, target_proba=q, offset=offset)
    model = SoftmaxRegression(
        solver="sgd", learning_rate="newton", batch_size=N, tol=1e-8
    )
    chunks = (30, 50)
    model.fit(
        da.from_array(X, chunks=(chunks, M)),
        y,
        w,
        target_proba=q,
        offset=da.from_array(offset, chunks=(chunks, K)),
    )
    assert_allclose(model.coef_, best.coef_, rtol=1e-6, atol=1e-8)


def test_onnx_of_the_cv_estimator_fitted_with_offsets(data):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    from skl2onnx import to_onnx

    from sklearn_softmax import SoftmaxRegressionCV
    from sklearn_softmax.onnx import register

    register()
    X, y, offset, _, K = data
    X = X.astype(np.float32)
    o = (offset if K > 2 else offset[:, 1] - offset[:, 0]).astype(np.float32)
    model = SoftmaxRegressionCV(Cs=3).fit(X, y, offset=o)
    onx = to_onnx(model, X[:1], options={"zipmap": False})
    assert [i.name for i in onx.graph.input] == ["X", "offset"]
    session = ort.InferenceSession(onx.SerializeToString())
    _, proba = session.run(None, {"X": X, "offset": o})
    assert_allclose(proba, model.predict_proba(X, offset=o), atol=1e-6)
