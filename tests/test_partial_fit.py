"""SoftmaxRegression.partial_fit: the scikit-learn contract, streams, quality."""

import copy
import tracemalloc

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._objectives import SoftmaxObjective
from sklearn_softmax._penalties import make_penalty
from sklearn_softmax._solvers._online import OnlineSGD


def chunks(X, y, size, seed=0):
    """Shuffled chunks of ``size`` rows: a stream from a generator."""
    order = np.random.default_rng(seed).permutation(y.shape[0])
    for start in range(0, y.shape[0], size):
        rows = order[start : start + size]
        yield X[rows], y[rows]


def stream(model, X, y, epochs=1, size=30, classes=None):
    classes = np.unique(y) if classes is None else classes
    for epoch in range(epochs):
        for X_chunk, y_chunk in chunks(X, y, size, seed=epoch):
            model.partial_fit(X_chunk, y_chunk, classes=classes)
    return model


def test_first_call_needs_classes(iris):
    X, y = iris
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        SoftmaxRegression().partial_fit(X, y)


def test_later_calls_may_repeat_classes_but_not_change_them(iris):
    X, y = iris
    model = SoftmaxRegression().partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    model.partial_fit(X[50:], y[50:], classes=[2, 1, 0])  # the same set
    model.partial_fit(X, y)
    with pytest.raises(ValueError, match=r"classes=\[0, 1\] is not the same"):
        model.partial_fit(X, y, classes=[0, 1])


def deep_state(model):
    return copy.deepcopy(model.__dict__)


def assert_same_state(before, after):
    assert before.keys() == after.keys()
    for name, value in before.items():
        if isinstance(value, np.ndarray):
            assert_array_equal(after[name], value)
        elif name == "_online_state":
            for field in ("theta", "average", "accumulator"):
                assert_array_equal(getattr(after[name], field), getattr(value, field))
            assert after[name].n_updates == value.n_updates
            assert after[name].weight_seen == value.weight_seen
        else:
            assert after[name] == value, name


def test_unknown_label_raises_and_changes_nothing(iris):
    X, y = iris
    model = SoftmaxRegression().partial_fit(X[:60], y[:60], classes=[0, 1, 2])
    before = deep_state(model)
    bad = y[60:90].copy()
    bad[-1] = 7
    with pytest.raises(ValueError, match=r"labels not in classes_.*\[7\]"):
        model.partial_fit(X[60:90], bad)
    assert_same_state(before, model.__dict__)
    # The first call, too, leaves an unfitted estimator unfitted.
    fresh = SoftmaxRegression()
    with pytest.raises(ValueError, match=r"\[7\]"):
        fresh.partial_fit(X[:30], bad, classes=[0, 1, 2])
    assert not hasattr(fresh, "classes_") and not hasattr(fresh, "_online_state")


def test_wrong_number_of_features_raises(iris):
    X, y = iris
    model = SoftmaxRegression().partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[:, :3], y)


def _balanced_by_hand(w, y, totals, K):
    """Each row's ``w`` times ``Σ w / (K Σ_{y=k} w)`` of the running totals."""
    totals += np.bincount(y, weights=w, minlength=K)  # summed in fit's order
    per_class = np.zeros(K)
    seen = totals > 0
    per_class[seen] = totals.sum() / (K * totals[seen])
    return w * per_class[y]


@pytest.mark.parametrize("learning_rate", ["adagrad", "newton"])
def test_balanced_weights_come_from_the_stream_so_far(iris, learning_rate):
    X, y = iris
    keep = (y != 2) | (np.arange(len(y)) % 4 == 0)  # unbalanced
    X, y = X[keep], y[keep]
    w = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    order = np.random.default_rng(1).permutation(len(y))
    # The first chunk lacks class 2: K stays 3, from classes.
    first = order[y[order] != 2][:20]
    rest = np.setdiff1d(order, first)
    parts = [first, *np.array_split(rest, 3)]
    params = {"learning_rate": learning_rate, "batch_size": 16}
    balanced = SoftmaxRegression(class_weight="balanced", **params)
    by_hand = SoftmaxRegression(**params)
    totals = np.zeros(3)
    for rows in parts:
        balanced.partial_fit(X[rows], y[rows], classes=[0, 1, 2], sample_weight=w[rows])
        s = _balanced_by_hand(w[rows], y[rows], totals, 3)
        by_hand.partial_fit(X[rows], y[rows], classes=[0, 1, 2], sample_weight=s)
        assert_allclose(balanced.coef_, by_hand.coef_, rtol=1e-12, atol=1e-14)
        assert_allclose(balanced.intercept_, by_hand.intercept_, rtol=1e-12)
    # After the whole stream, the weights are fit's balanced weights.
    assert_allclose(totals, [w[y == k].sum() for k in range(3)])


def test_balanced_counts_start_again_after_fit(iris):
    X, y = iris
    model = SoftmaxRegression(class_weight="balanced")
    model.partial_fit(X[y != 2], y[y != 2], classes=[0, 1, 2])
    model.fit(X, y)
    model.partial_fit(X[:30], y[:30])  # class 0 only: weight Σ w / (3 · 30)
    expected = SoftmaxRegression().fit(X, y)
    expected.partial_fit(X[:30], y[:30], sample_weight=np.full(30, 1 / 3))
    assert_allclose(model.coef_, expected.coef_, rtol=1e-12, atol=1e-14)


def test_balanced_call_that_raises_keeps_the_counts(iris):
    X, y = iris
    model = SoftmaxRegression(class_weight="balanced")
    model.partial_fit(X[:60], y[:60], classes=[0, 1, 2])
    before = deep_state(model)
    bad = y[60:90].copy()
    bad[-1] = 7
    with pytest.raises(ValueError, match=r"\[7\]"):
        model.partial_fit(X[60:90], bad)
    assert_same_state(before, model.__dict__)


def test_dict_class_weight_equals_the_equivalent_sample_weight(iris):
    X, y = iris
    class_weight = {0: 2.0, 1: 0.5, 2: 1.0}
    by_class = stream(SoftmaxRegression(class_weight=class_weight), X, y)
    by_sample = SoftmaxRegression()
    for X_chunk, y_chunk in chunks(X, y, 30):
        weight = np.array([class_weight[c] for c in y_chunk])
        by_sample.partial_fit(X_chunk, y_chunk, classes=[0, 1, 2], sample_weight=weight)
    assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-12)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_array])
def test_sparse_chunks_give_the_dense_model(iris, container):
    X, y = iris
    X = np.where(X > 0, X, 0.0)
    dense = stream(SoftmaxRegression(), X, y, epochs=2)
    sparse = SoftmaxRegression()
    for epoch in range(2):
        for X_chunk, y_chunk in chunks(X, y, 30, seed=epoch):
            sparse.partial_fit(container(X_chunk), y_chunk, classes=[0, 1, 2])
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-10, atol=1e-12)
    assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-10, atol=1e-12)


def test_float32_chunks_are_fitted_in_float32(iris):
    X, y = iris
    model = stream(SoftmaxRegression(), X.astype(np.float32), y)
    assert model.coef_.dtype == np.float32 and model.intercept_.dtype == np.float32
    # A later float64 chunk is cast to the model's dtype.
    model.partial_fit(X[:10], y[:10])
    assert model.coef_.dtype == np.float32


def test_binary_stream_has_logistic_regression_shapes(iris):
    X, y = iris
    model = stream(SoftmaxRegression(), X, (y == 2).astype(int), epochs=3)
    assert model.coef_.shape == (1, 4) and model.intercept_.shape == (1,)
    assert model.score(X, (y == 2).astype(int)) > 0.9


def test_attributes_after_each_call(iris):
    X, y = iris
    model = SoftmaxRegression(batch_size=8)
    for calls, (X_chunk, y_chunk) in enumerate(chunks(X, y, 50), start=1):
        model.partial_fit(X_chunk, y_chunk, classes=[0, 1, 2])
        assert model.n_iter_ == calls and len(model.loss_curve_) == calls
        assert model._online_state.n_updates == calls * 7  # ⌈50 / 8⌉ per call
        assert model._online_state.weight_seen == calls * 50
        assert not model.converged_
    assert model.loss_curve_[-1] < model.loss_curve_[0]


def test_stream_from_a_generator_learns(iris):
    X, y = iris
    model = SoftmaxRegression(batch_size=10)
    for X_chunk, y_chunk in (c for epoch in range(5) for c in chunks(X, y, 25, epoch)):
        model.partial_fit(X_chunk, y_chunk, classes=np.arange(3))
    assert model.n_iter_ == 5 * 6
    assert model.score(X, y) > 0.9


def test_stream_from_read_csv_chunks(tmp_path, iris):
    X, y = iris
    columns = ["a", "b", "c", "d"]
    frame = pd.DataFrame(X, columns=columns).assign(label=y)
    path = tmp_path / "iris.csv"
    frame.to_csv(path, index=False)
    from_csv = SoftmaxRegression(batch_size=8)
    for chunk in pd.read_csv(path, chunksize=40):
        from_csv.partial_fit(chunk[columns], chunk["label"], classes=[0, 1, 2])
    assert_array_equal(from_csv.feature_names_in_, columns)
    from_arrays = SoftmaxRegression(batch_size=8)
    for start in range(0, 150, 40):
        rows = slice(start, start + 40)
        from_arrays.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    assert_allclose(from_csv.coef_, from_arrays.coef_, rtol=1e-12)


def test_l1_stream_has_exact_zeros(iris):
    X, y = iris
    model = stream(SoftmaxRegression(C=0.02, l1_ratio=1.0), X, y, epochs=5)
    assert np.any(model.coef_ == 0.0) and np.any(model.coef_ != 0.0)


def test_partial_fit_after_fit_continues_from_its_solution(iris):
    X, y = iris
    model = SoftmaxRegression().fit(X, y)
    coef = model.coef_.copy()
    model.partial_fit(X[:30], y[:30])
    # A step from the solution, with fit's 150 samples counted in the stream.
    assert model._online_state.weight_seen == 180
    assert 0 < np.abs(model.coef_ - coef).max() < 0.5


def test_memory_per_call_is_bounded_by_the_batch():
    # A chunk of 20,000 samples and 10 classes in batches of 100: no array
    # with a row per sample and a column per class (1.6 MB) is ever made.
    rng = np.random.default_rng(0)
    n, m, k = 20_000, 20, 10
    X, y = rng.normal(size=(n, m)), rng.integers(k, size=n)
    model = SoftmaxRegression(batch_size=100).partial_fit(X[:100], y[:100], range(k))
    tracemalloc.start()
    model.partial_fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < n * k * 8 / 2


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    "learning_rate, batch_size, passes",
    # AdaGrad: 13% and 6% above after 5 and 10 passes on average, within 2%
    # after 40. Newton: one step per pass (a window of every training row),
    # within 0.3% after 5 passes. See benchmarks/bench_schedules.py.
    [("adagrad", 16, 40), ("newton", 1347, 5)],
)
def test_streamed_digits_approach_the_full_batch_fit(
    seed, learning_rate, batch_size, passes
):
    # Passes over shuffled chunks of 128 rows, C / passes per the penalty's
    # scaling to the weight seen: the test log loss within 2% of the full fit's
    # with C = 1.
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    assert y_train.shape[0] == 1347
    full = SoftmaxRegression(C=1.0, tol=1e-8).fit(X_train, y_train)
    streamed = SoftmaxRegression(
        C=1.0 / passes, batch_size=batch_size, learning_rate=learning_rate
    )
    rng = np.random.default_rng(seed)
    for _ in range(passes):
        order = rng.permutation(y_train.shape[0])
        for start in range(0, order.shape[0], 128):
            rows = order[start : start + 128]
            streamed.partial_fit(X_train[rows], y_train[rows], classes=np.arange(10))
    ratio = log_loss(y_test, streamed.predict_proba(X_test)) / log_loss(
        y_test, full.predict_proba(X_test)
    )
    assert ratio <= 1.02


def test_verbose_prints_each_pass(iris, capsys):
    X, y = iris
    stream(SoftmaxRegression(verbose=1), X, y, size=75)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all("[partial_fit] pass" in line for line in lines)


@pytest.mark.parametrize("binary", [False, True])
def test_partial_fit_after_fit_continues_from_its_theta(iris, binary):
    X, y = iris
    y = (y == 2).astype(int) if binary else y
    K = np.unique(y).shape[0]
    params = {"learning_rate": "constant", "eta0": 0.1, "batch_size": 200}
    model = SoftmaxRegression(**params).fit(X, y)
    # fit builds no online state: it keeps θ, all of W (a binary coef_ is
    # w₁ − w₀ only), and its data's weight, for a later partial_fit.
    assert "_online_state" not in vars(model)
    theta, weight = model._partial_fit_start
    assert weight == 150.0
    W = theta.reshape(-1, K)
    coef = W[:-1].T
    assert_array_equal(coef[1:] - coef[:1] if binary else coef, model.coef_)
    model.partial_fit(X[:30], y[:30])
    # One step from θ on the 30 rows, fit's 150 samples counted in the stream.
    solver = OnlineSGD("constant", eta0=0.1)
    batch = SoftmaxObjective(X[:30].T, y[:30], K, np.ones(30), True, block_size=30)
    expected = solver.update(
        solver.init(W.ravel(), W.shape, weight_seen=150.0),
        batch,
        make_penalty(1.0, 0.0, 180.0),
        30.0,
    )
    assert_array_equal(model._online_state.theta, expected.theta)
    assert model._online_state.weight_seen == 180
    assert not hasattr(model, "_partial_fit_start")  # held by the state now


def test_fit_after_partial_fit_starts_the_stream_again(iris):
    X, y = iris
    model = SoftmaxRegression().partial_fit(X, y, classes=[0, 1, 2])
    model.fit(X[::2], y[::2])
    assert "_online_state" not in vars(model)
    model.partial_fit(X[1:20:2], y[1:20:2])
    state = model._online_state
    assert state.weight_seen == 85 and state.n_updates == 1 and model.n_iter_ == 1
