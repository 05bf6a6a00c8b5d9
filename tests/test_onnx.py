"""ONNX export: onnxruntime's outputs equal predict_proba and predict."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxRegression, SoftmaxRegressionCV

skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")
sklearn_softmax_onnx = pytest.importorskip("sklearn_softmax.onnx")

LABELS = {"int": np.array([-1, 3, 7]), "str": np.array(["cat", "dog", "eel"])}
#: predict_proba against onnxruntime, by dtype.
ATOL = {np.float32: 1e-5, np.float64: 1e-12}


@pytest.fixture(scope="module", autouse=True)
def _registered():
    sklearn_softmax_onnx.register()


def problem(n_classes, labels="int", dtype=np.float64):
    """Features of very different scales (for the scaler), labels as named."""
    X, y = make_classification(
        n_samples=150,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=0,
    )
    X = X * np.logspace(0, 2, X.shape[1]) + 5.0
    return X.astype(dtype), LABELS[labels][y]


def make_model(kind, fit_intercept):
    if kind == "cv":
        return SoftmaxRegressionCV(Cs=3, cv=3, fit_intercept=fit_intercept)
    model = SoftmaxRegression(fit_intercept=fit_intercept, max_iter=300)
    if kind == "sparse":
        model.set_params(C=0.1, l1_ratio=1.0)
    if kind in ("pipeline", "sparse"):
        return make_pipeline(StandardScaler(), model)
    return model


def fitted(kind, fit_intercept, X, y):
    model = make_model(kind, fit_intercept).fit(X, y)
    if kind == "sparse":
        model[-1].sparsify()
    return model


def run(model, X, **options):
    """The outputs of the exported model on ``X``, by name."""
    onx = skl2onnx.to_onnx(model, X[:1], options=options or None)
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, {"X": X}), strict=True))


@pytest.mark.parametrize("kind", ["plain", "pipeline", "cv", "sparse"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_onnxruntime_matches_predict_proba_and_predict(
    kind, fit_intercept, labels, dtype, n_classes
):
    X, y = problem(n_classes, labels, dtype)
    model = fitted(kind, fit_intercept, X, y)
    if kind == "sparse":
        coef = model[-1].coef_
        assert 0 < coef.nnz < coef.shape[0] * coef.shape[1]  # densified in ONNX

    outputs = run(model, X, zipmap=False)

    proba = model.predict_proba(X)
    assert outputs["probabilities"].dtype == proba.dtype == dtype
    assert outputs["probabilities"].shape == (X.shape[0], n_classes)
    assert_allclose(outputs["probabilities"], proba, rtol=0, atol=ATOL[dtype])
    assert_array_equal(outputs["label"], model.predict(X))


@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_default_zipmap_maps_each_class_to_its_probability(labels, n_classes):
    X, y = problem(n_classes, labels, np.float32)
    model = fitted("plain", True, X, y)

    outputs = run(model, X)

    proba = model.predict_proba(X)
    assert [list(row) for row in outputs["output_probability"]] == [
        list(model.classes_)
    ] * len(X)
    mapped = np.array([list(row.values()) for row in outputs["output_probability"]])
    assert_allclose(mapped, proba, rtol=0, atol=ATOL[np.float32])
    assert_array_equal(outputs["output_label"], model.predict(X))


def test_zipmap_columns_gives_one_output_per_class():
    X, y = problem(3, "str", np.float32)
    model = fitted("plain", True, X, y)

    outputs = run(model, X, zipmap="columns")

    proba = model.predict_proba(X)
    for k, label in enumerate(model.classes_):
        assert_allclose(outputs[f"s{label}"], proba[:, k], atol=ATOL[np.float32])


def test_nocl_outputs_class_indices():
    X, y = problem(3, "str", np.float32)
    model = fitted("plain", True, X, y)

    outputs = run(model, X, zipmap=False, nocl=True)

    indices = np.searchsorted(model.classes_, model.predict(X))
    assert_array_equal(outputs["label"], indices)


def test_output_class_labels_adds_classes_():
    X, y = problem(3, "int", np.float32)
    model = fitted("plain", True, X, y)

    outputs = run(model, X, zipmap=False, output_class_labels=True)

    assert_array_equal(outputs["class_labels"], model.classes_)


@pytest.mark.parametrize(
    ("n_classes", "fit_intercept", "ops"),
    [
        (3, True, ["MatMul", "Add", "Softmax", "ArgMax", "Gather"]),
        (3, False, ["MatMul", "Softmax", "ArgMax", "Gather"]),
        (2, True, ["MatMul", "Add", "Softmax", "ArgMax", "Gather"]),
    ],
)
def test_graph_is_matmul_add_softmax_argmax_gather(n_classes, fit_intercept, ops):
    X, y = problem(n_classes, "int", np.float64)
    model = fitted("plain", fit_intercept, X, y)

    graph = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False}).graph

    assert sorted(node.op_type for node in graph.node) == sorted(ops)
    weights = {init.name: init for init in graph.initializer}
    coef = next(w for name, w in weights.items() if name.startswith("coef"))
    assert list(coef.dims) == [X.shape[1], n_classes]  # binary: a zero column


def test_float_labels_become_int64_labels():
    X, y = problem(3)
    model = SoftmaxRegression().fit(X, y.astype(np.float64))

    outputs = run(model, X, zipmap=False)

    assert outputs["label"].dtype == np.int64
    assert_array_equal(outputs["label"], model.predict(X))


def test_integer_input_is_refused():
    X, y = problem(3)
    model = SoftmaxRegression().fit(X, y)
    with pytest.raises(RuntimeError, match="wrong type"):
        skl2onnx.to_onnx(model, X[:1].astype(np.int64))
