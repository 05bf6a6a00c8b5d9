"""Fitting on dask input, on a real (local, loopback) cluster of two processes.

Every distributed fit is compared with the in-memory fit of the same data:
the same objective, solver path and stopping rule, so the same coefficients
(to rounding) and the same number of iterations.
"""

import os
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
import dask  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from sklearn_softmax import SoftmaxRegression  # noqa: E402

SOLVERS = ["lbfgs", "newton-cg", "gd"]
CHUNKINGS = [(200,), (37, 100, 63)]


@pytest.fixture(scope="module")
def client():
    """Two worker processes of one thread, on the loopback interface only."""
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
    )
    with cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=200, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X, y


def fit_both(X, y, chunks, sample_weight=None, **params):
    """The in-memory fit and the fit of the same data as a dask array."""
    params = {"tol": 1e-6, "max_iter": 300, **params}
    expected = SoftmaxRegression(**params).fit(X, y, sample_weight=sample_weight)
    X_dask = da.from_array(X, chunks=(chunks, X.shape[1]))
    if sample_weight is not None:  # chunked unlike X: realigned by fit
        sample_weight = da.from_array(sample_weight, chunks=50)
    model = SoftmaxRegression(**params).fit(X_dask, y, sample_weight=sample_weight)
    return expected, model


def assert_same_fit(expected, model):
    assert_allclose(model.coef_, expected.coef_, rtol=1e-6, atol=1e-9)
    assert_allclose(model.intercept_, expected.intercept_, rtol=1e-6, atol=1e-9)
    assert_array_equal(model.classes_, expected.classes_)
    assert model.n_iter_ == expected.n_iter_
    assert model.converged_ == expected.converged_
    assert model.n_features_in_ == expected.n_features_in_
    assert_allclose(model.loss_curve_, expected.loss_curve_, rtol=1e-9)


@pytest.mark.parametrize("chunks", CHUNKINGS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_fit_equals_the_in_memory_fit(client, data, solver, chunks):
    assert_same_fit(*fit_both(*data, chunks, solver=solver))


@pytest.mark.parametrize("solver", ["newton-cg", "lbfgs"])
def test_data_too_large_to_persist_is_computed_on_each_pass(
    client, data, solver, monkeypatch
):
    """Newton's products then compute the probabilities again per chunk."""
    monkeypatch.setattr("sklearn_softmax._backends._dask.PERSIST_SHARE", 0.0)
    assert_same_fit(*fit_both(*data, (37, 100, 63), solver=solver))


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5])
def test_fista_equals_the_in_memory_fit(client, data, l1_ratio):
    params = {"solver": "fista", "l1_ratio": l1_ratio, "C": 0.05, "tol": 1e-4}
    assert_same_fit(*fit_both(*data, (37, 100, 63), **params))


@pytest.mark.parametrize(
    ("solver", "weighting"),
    [
        ("lbfgs", "sample"),
        ("newton-cg", "sample"),
        ("gd", "dict"),
        ("lbfgs", "balanced"),
        ("newton-cg", "balanced"),
        ("lbfgs", "balanced and sample"),
        ("newton-cg", "balanced and sample"),
    ],
)
def test_weighted_fit_equals_the_in_memory_fit(client, data, solver, weighting):
    X, y = data
    keep = np.r_[0:200][(y != 2) | (np.arange(200) % 3 == 0)]  # unbalanced
    X, y = X[keep], y[keep]
    chunks = (37, 40, 40, X.shape[0] - 117)
    params = {"solver": solver}
    sample_weight = None
    if weighting.endswith("sample"):
        sample_weight = np.random.default_rng(0).uniform(0, 3, y.shape[0])
        sample_weight[:37] = 0  # a chunk without weight
    if weighting == "dict":
        params["class_weight"] = {0: 2.0, 2: 0.5}
    elif weighting.startswith("balanced"):  # from the weighted class counts
        params["class_weight"] = "balanced"
    assert_same_fit(*fit_both(X, y, chunks, sample_weight, **params))


def test_balanced_weights_come_from_the_weighted_class_counts(client, data):
    X, y = data
    w = np.random.default_rng(2).uniform(0, 3, y.shape[0])
    w[y == 2] *= 0.2  # the weighted shares differ from the row shares
    per_class = w.sum() / (3 * np.array([w[y == k].sum() for k in range(3)]))
    params = {"solver": "newton-cg", "tol": 1e-10, "max_iter": 300}
    expected = SoftmaxRegression(**params).fit(X, y, sample_weight=w * per_class[y])
    model = SoftmaxRegression(class_weight="balanced", **params).fit(
        da.from_array(X, chunks=(37, 6)), y, sample_weight=w
    )
    assert_allclose(model.coef_, expected.coef_, rtol=1e-6, atol=1e-8)
    assert_allclose(model.intercept_, expected.intercept_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
def test_binary_float32_and_string_labels(client, data, solver):
    X, y = data
    X, y = X.astype(np.float32), np.array(["a", "b"])[(y > 0).astype(int)]
    expected, model = fit_both(X, y, (64, 136), solver=solver, tol=1e-3)
    assert model.coef_.dtype == np.float32
    assert_allclose(model.coef_, expected.coef_, rtol=1e-4, atol=1e-6)
    assert_allclose(model.intercept_, expected.intercept_, rtol=1e-4, atol=1e-6)
    assert model.n_iter_ == expected.n_iter_
    assert_array_equal(model.classes_, ["a", "b"])


def test_warm_start_and_no_intercept(client, data):
    X, y = data
    params = {"fit_intercept": False, "warm_start": True, "C": 0.1}
    expected, model = fit_both(X, y, (37, 100, 63), **params)
    assert_same_fit(expected, model)
    expected.set_params(C=1.0).fit(X, y)
    model.set_params(C=1.0).fit(da.from_array(X, chunks=(50, 6)), y)
    assert_same_fit(expected, model)


def test_dataframe_input(client, data):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    expected = SoftmaxRegression(tol=1e-6).fit(frame, y)
    X_dask = dd.from_pandas(frame, npartitions=3)
    y_dask = dd.from_pandas(pd.Series(y), npartitions=3)
    model = SoftmaxRegression(tol=1e-6).fit(X_dask, y_dask)
    assert_same_fit(expected, model)
    assert_array_equal(model.feature_names_in_, frame.columns)
    proba = model.predict_proba(X_dask)
    assert isinstance(proba, da.Array)
    assert_allclose(proba.compute(), expected.predict_proba(frame), rtol=1e-6)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "decision_function"]
)
def test_predictions_are_lazy_and_equal_numpy(client, data, method, n_classes):
    X, y = data
    y = y if n_classes == 3 else (y > 0).astype(int)
    model = SoftmaxRegression().fit(X, y)
    X_dask = da.from_array(X, chunks=((37, 100, 63), (2, 4)))
    result = getattr(model, method)(X_dask)
    assert isinstance(result, da.Array)
    assert result.chunks[0] == (37, 100, 63)
    expected = getattr(model, method)(X)
    computed = result.compute()
    assert computed.shape == expected.shape and computed.dtype == expected.dtype
    assert_allclose(computed, expected, rtol=1e-12)


def test_predictions_check_the_number_of_features(data):
    X, y = data
    model = SoftmaxRegression().fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features, but SoftmaxRegression"):
        model.predict(da.from_array(X[:, :5], chunks=50))


def test_sgd_equals_a_partial_fit_loop_over_the_chunks(client, data):
    X, y = data
    chunks, epochs = (37, 100, 63), 3
    params = {"C": np.inf, "batch_size": 16}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # The stream starts, as the dask fit, from the best constant model.
        expected = SoftmaxRegression(max_iter=0, **params).fit(X, y)
        model = SoftmaxRegression(solver="sgd", max_iter=epochs, **params)
        model.fit(da.from_array(X, chunks=(chunks, 6)), y)
    bounds = np.cumsum((0, *chunks))
    for _ in range(epochs):
        for a, b in zip(bounds[:-1], bounds[1:], strict=False):
            expected.partial_fit(X[a:b], y[a:b])
    assert model.n_iter_ == epochs and len(model.loss_curve_) == epochs
    assert_allclose(model.coef_, expected.coef_, rtol=1e-10)
    assert_allclose(model.intercept_, expected.intercept_, rtol=1e-10)


def test_sgd_with_newton_windows_of_every_row_reaches_the_minimiser(client, data):
    # learning_rate="newton", one window per epoch: Newton's method on fit's
    # objective, one pass over the chunks per step.
    X, y = data
    best = SoftmaxRegression(tol=1e-10).fit(X, y)
    model = SoftmaxRegression(
        solver="sgd", learning_rate="newton", batch_size=y.shape[0], tol=1e-8
    )
    model.fit(da.from_array(X, chunks=((37, 100, 63), 6)), y)
    assert model.n_iter_ < 15
    assert_allclose(model.coef_, best.coef_, rtol=1e-7, atol=1e-9)


def test_sgd_approaches_the_minimiser(client, data):
    X, y = data
    best = SoftmaxRegression(tol=1e-8).fit(X, y).loss_curve_[-1]
    with pytest.warns(ConvergenceWarning, match="did not converge") as record:
        model = SoftmaxRegression(solver="sgd", max_iter=30, batch_size=8)
        model.fit(da.from_array(X, chunks=50), y)
    assert record[0].filename == __file__  # points at the caller of fit
    assert model.loss_curve_[-1] < 1.02 * best
    assert model.loss_curve_[-1] < model.loss_curve_[0]


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_sgd_with_an_l1_part_streams_ftrl_to_the_batch_support(client, data, l1_ratio):
    # learning_rate="auto" is "ftrl" with an L1 part: fit's fixed penalty,
    # exact zeros where the batch optimum has them.
    X, y = data
    X = np.hstack([X, np.random.default_rng(0).normal(size=(200, 4))])  # noise
    params = {"C": 0.02, "l1_ratio": l1_ratio}
    best = SoftmaxRegression(tol=1e-10, max_iter=5000, **params).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SoftmaxRegression(solver="sgd", max_iter=100, tol=0, **params)
        model.fit(da.from_array(X, chunks=((37, 100, 63), 10)), y)
    assert_array_equal(model.coef_ == 0, best.coef_ == 0)
    assert model.loss_curve_[-1] < 1.005 * best.loss_curve_[-1]


def test_default_threaded_scheduler(data):
    X, y = data
    with dask.config.set(scheduler="threads"):
        assert_same_fit(*fit_both(X, y, (37, 100, 63), solver="newton-cg"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("nan", "Input X contains NaN"),
        ("inf", "Input X contains infinity"),
        ("short weights", r"sample_weight must have shape \(200,\)"),
        ("negative weights", "sample_weight must be non-negative"),
        ("zero weights", "sample_weight sums to zero"),
        ("short y", "inconsistent numbers of samples"),
        ("one class", "at least 2 classes"),
        ("early stopping", "early_stopping=True is not supported"),
        *(
            (f"class weight {value}", f"non-negative.*got {value} for class 1")
            for value in (-0.5, np.nan, np.inf)
        ),
    ],
)
def test_bad_input_raises_and_leaves_the_model_unfitted(client, data, change, message):
    X, y = data
    X, y, w = X.copy(), y.copy(), np.ones(200)
    params = {}
    if change in ("nan", "inf"):
        X[150, 2] = np.nan if change == "nan" else np.inf
    elif change == "short weights":
        w = w[:-1]
    elif change == "negative weights":
        w[3] = -1
    elif change == "zero weights":
        w[:] = 0
    elif change == "short y":
        y = y[:-1]
    elif change == "one class":
        y[:] = 1
    elif change.startswith("class weight"):
        params["class_weight"] = {0: 1.0, 1: float(change.split()[-1]), 2: 2.0}
    else:
        params["early_stopping"] = True
    model = SoftmaxRegression(**params)
    with pytest.raises(ValueError, match=message):
        model.fit(da.from_array(X, chunks=50), y, sample_weight=w)
    assert not hasattr(model, "coef_")


class Recorder:
    """A fit callback that keeps the data and the model of each iteration."""

    def __init__(self):
        self.models, self.data = [], []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, *, X=None, fitted_estimator=None):
        if context.task_name == "iteration" and fitted_estimator is not None:
            self.models.append(fitted_estimator)
            self.data.append(X)


def test_callbacks_see_every_iteration_without_the_data(data):
    pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9")
    X, y = data
    recorder = Recorder()
    model = SoftmaxRegression(solver="lbfgs").set_callbacks(recorder)
    model.fit(da.from_array(X, chunks=50), y)
    assert len(recorder.models) == model.n_iter_ >= 2
    assert all(X_seen is None for X_seen in recorder.data)  # X stays on the cluster
    in_memory = SoftmaxRegression(solver="lbfgs", max_iter=2).fit(X, y)
    np.testing.assert_allclose(recorder.models[1].coef_, in_memory.coef_, rtol=1e-8)


def test_a_killed_worker_does_not_change_the_fit(client, data, monkeypatch):
    """A worker process killed after the first iteration, X persisted on it.

    Its chunks of X (and the probabilities of the Newton step) are lost; the
    scheduler computes them again from their graph, and the nanny starts a
    new worker.
    """
    X, y = data
    expected = SoftmaxRegression(solver="newton-cg", tol=1e-8).fit(X, y)
    pids = client.run(os.getpid)
    victim = pids[sorted(pids)[0]]

    def kill_after_first(solver, n_iter, value):
        if n_iter == 1:
            os.kill(victim, signal.SIGKILL)

    monkeypatch.setattr(
        SoftmaxRegression, "_print_iteration", staticmethod(kill_after_first)
    )
    model = SoftmaxRegression(solver="newton-cg", tol=1e-8, verbose=1)
    model.fit(da.from_array(X, chunks=25), y)
    assert victim not in client.run(os.getpid).values()
    assert_same_fit(expected, model)


def test_the_package_works_without_dask():
    code = (
        "import sys; sys.modules['dask'] = None\n"
        "import numpy as np\n"
        "from sklearn_softmax import SoftmaxRegression\n"
        "X = np.arange(20.0).reshape(10, 2); y = np.arange(10) % 2\n"
        "print(SoftmaxRegression().fit(X, y).predict(X).shape)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "(10,)"
