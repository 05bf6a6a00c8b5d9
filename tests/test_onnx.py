"""ONNX export: onnxruntime's outputs equal predict_proba and predict.

Alone, and inside each meta-estimator skl2onnx converts, against
scikit-learn's predictions; ``LogisticRegression`` in the same wrappers is
the control that shows the harness (and skl2onnx) right.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_breast_cancer, load_wine, make_classification
from sklearn.ensemble import (
    AdaBoostClassifier,
    BaggingClassifier,
    StackingClassifier,
    VotingClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, TunedThresholdClassifierCV
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxRegression, SoftmaxRegressionCV

skl2onnx = pytest.importorskip("skl2onnx")
onnx_numpy_helper = pytest.importorskip("onnx.numpy_helper")
ort = pytest.importorskip("onnxruntime")
ORT_FAIL = pytest.importorskip("onnxruntime.capi.onnxruntime_pybind11_state").Fail
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


@pytest.mark.parametrize("estimator", ["softmax", "logistic"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_raw_scores_are_logistic_regressions_scores(estimator, dtype, n_classes):
    # LogisticRegression, converted by skl2onnx itself, sets the layout.
    X, y = problem(n_classes, "str", dtype)
    X = StandardScaler().fit_transform(X)
    model = inner(estimator).fit(X, y)

    outputs = run(model, X, zipmap=False, raw_scores=True)

    scores = model.decision_function(X)
    if n_classes == 2:
        scores = np.column_stack([-scores, scores])
    assert outputs["probabilities"].dtype == dtype
    assert_allclose(outputs["probabilities"], scores, rtol=0, atol=10 * ATOL[dtype])
    assert_array_equal(outputs["label"], model.predict(X))


def test_raw_scores_graph_has_no_softmax_and_both_binary_columns():
    X, y = problem(2, "int", np.float64)
    model = fitted("plain", True, X, y)

    graph = skl2onnx.to_onnx(
        model, X[:1], options={"zipmap": False, "raw_scores": True}
    ).graph

    assert sorted(node.op_type for node in graph.node) == sorted(
        ["MatMul", "Add", "ArgMax", "Gather"]
    )
    weights = {
        init.name.rstrip("0123456789"): onnx_numpy_helper.to_array(init)
        for init in graph.initializer
    }
    assert_array_equal(weights["coef"], np.vstack([-model.coef_, model.coef_]).T)
    assert_array_equal(
        weights["intercept"], np.concatenate([-model.intercept_, model.intercept_])
    )


# --- inside scikit-learn's meta-estimators -----------------------------------


def inner(estimator, C=1.0):
    """The classifier that the wrappers wrap: ours, or the control."""
    if estimator == "logistic":
        return LogisticRegression(C=C)
    if estimator == "softmax-cv":
        return SoftmaxRegressionCV(Cs=3, cv=3)
    return SoftmaxRegression(C=C)


def two(estimator):
    """Two differently penalised copies, for the ensembles."""
    return [("strong", inner(estimator)), ("weak", inner(estimator, C=0.05))]


#: skl2onnx converts each of these; some ask the inner converter for scores.
WRAPPERS = {
    "calibrated-sigmoid": lambda e: CalibratedClassifierCV(
        inner(e), method="sigmoid", cv=3
    ),
    "calibrated-isotonic": lambda e: CalibratedClassifierCV(
        inner(e), method="isotonic", cv=3
    ),
    "stacking-proba": lambda e: StackingClassifier(
        two(e), final_estimator=inner(e), stack_method="predict_proba", cv=3
    ),
    "stacking-decision": lambda e: StackingClassifier(
        two(e), final_estimator=inner(e), stack_method="decision_function", cv=3
    ),
    # skl2onnx converts only flatten_transform=False.
    "voting-soft": lambda e: VotingClassifier(
        two(e), voting="soft", flatten_transform=False
    ),
    "voting-hard": lambda e: VotingClassifier(
        two(e), voting="hard", flatten_transform=False
    ),
    "one-vs-rest": lambda e: OneVsRestClassifier(inner(e)),
    "one-vs-one": lambda e: OneVsOneClassifier(inner(e)),
    "bagging": lambda e: BaggingClassifier(inner(e), n_estimators=4, random_state=0),
    "adaboost": lambda e: AdaBoostClassifier(inner(e), n_estimators=4, random_state=0),
    "grid-search": lambda e: GridSearchCV(inner(e), {"C": [0.1, 1.0]}, cv=3),
    "pipeline": lambda e: make_pipeline(StandardScaler(), inner(e)),
    # Not CalibratedClassifierCV(pipeline): skl2onnx's pipeline does not pass
    # raw_scores on, and that export is wrong for LogisticRegression too.
    "pipeline-calibrated": lambda e: make_pipeline(
        StandardScaler(), CalibratedClassifierCV(inner(e), method="sigmoid", cv=3)
    ),
}
#: Wrappers that scale the features themselves.
SCALING = {"pipeline", "pipeline-calibrated"}
DATASETS = {"wine": load_wine, "breast_cancer": load_breast_cancer}
#: Where skl2onnx's own graph fails, for LogisticRegression alike: an error
#: from onnxruntime, never a silently wrong model.
SKL2ONNX_FAILS = {
    ("stacking-decision", "breast_cancer"): "skl2onnx stacks both binary columns",
    ("adaboost", "float64"): "skl2onnx's AdaBoost graph mixes float and double",
}


def wrapper_cases():
    """``(wrapper, data, dtype)``, marked where skl2onnx fails."""
    cases = []
    for wrapper in WRAPPERS:
        for data in DATASETS:
            for dtype in [np.float32, np.float64]:
                reason = SKL2ONNX_FAILS.get(
                    (wrapper, data), SKL2ONNX_FAILS.get((wrapper, np.dtype(dtype).name))
                )
                marks = []
                if reason:
                    marks.append(pytest.mark.xfail(raises=ORT_FAIL, reason=reason))
                cases.append(pytest.param(wrapper, data, dtype, marks=marks))
    return cases


def dataset(name, dtype, scaled=True):
    X, y = DATASETS[name](return_X_y=True)
    if scaled:
        X = StandardScaler().fit_transform(X)
    return X.astype(dtype), y


def isotonic_as_exported(model, X):
    """``predict_proba`` of isotonic calibration as skl2onnx's graph has it.

    scikit-learn interpolates linearly between the calibrators' thresholds;
    skl2onnx's graph takes the value of the nearest threshold (the first of
    two equally near), then normalises as scikit-learn does.
    """
    proba = np.zeros((len(X), len(model.classes_)))
    for calibrated in model.calibrated_classifiers_:
        scores = calibrated.estimator.decision_function(X).reshape(len(X), -1)
        columns = []
        for score, calibrator in zip(scores.T, calibrated.calibrators, strict=True):
            score = np.clip(score, calibrator.X_min_, calibrator.X_max_)
            thresholds = calibrator.X_thresholds_.astype(score.dtype)
            nearest = np.abs(score[:, None] - thresholds).argmin(axis=1)
            columns.append(calibrator.y_thresholds_[nearest])
        p = np.column_stack(columns)
        if p.shape[1] == 1:
            p = np.column_stack([1 - p, p])
        else:
            total = p.sum(axis=1, keepdims=True)
            p = np.where(total == 0, 1 / p.shape[1], p / np.where(total, total, 1))
        proba += p
    return proba / len(model.calibrated_classifiers_)


def expected_second_output(wrapper, model, X):
    """What the export's second output must equal, from scikit-learn."""
    if wrapper == "calibrated-isotonic":
        return isotonic_as_exported(model, X)
    if wrapper == "voting-hard":  # the weighted votes, as skl2onnx has them
        votes = model.transform(X)[:, :, None] == model.classes_
        return votes.mean(axis=1)
    if wrapper == "one-vs-one":  # its decision_function, not probabilities
        return model.decision_function(X)
    return model.predict_proba(X)


@pytest.mark.parametrize("estimator", ["softmax", "logistic"])
@pytest.mark.parametrize(("wrapper", "data", "dtype"), wrapper_cases())
def test_wrapped_exports_match_scikit_learn(wrapper, data, dtype, estimator):
    X, y = dataset(data, dtype, scaled=wrapper not in SCALING)
    model = WRAPPERS[wrapper](estimator).fit(X, y)

    outputs = list(run(model, X, zipmap=False).values())

    expected = expected_second_output(wrapper, model, X)
    if expected.ndim == 1:  # binary one-vs-one: the class-1 column of the votes
        outputs[1] = outputs[1][:, 1]
    assert_allclose(outputs[1], expected, rtol=0, atol=ATOL[dtype])
    assert_array_equal(outputs[0].ravel(), model.predict(X))


@pytest.mark.parametrize("estimator", ["softmax", "logistic"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tuned_threshold_export_has_probabilities_and_argmax_labels(dtype, estimator):
    # skl2onnx's graph leaves best_threshold_ out: labels are the argmax.
    X, y = dataset("breast_cancer", dtype)
    model = TunedThresholdClassifierCV(inner(estimator), cv=3).fit(X, y)

    outputs = run(model, X, zipmap=False)

    proba = model.predict_proba(X)
    assert_allclose(outputs["probabilities"], proba, rtol=0, atol=ATOL[dtype])
    assert_array_equal(outputs["label"], model.classes_[proba.argmax(axis=1)])


@pytest.mark.parametrize("estimator", ["softmax", "logistic"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multi_output_export_matches(dtype, estimator):
    X, y = dataset("wine", dtype)
    Y = np.column_stack([y, X[:, 0] > 0])
    model = MultiOutputClassifier(inner(estimator)).fit(X, Y)

    label, probabilities = run(model, X, zipmap=False).values()

    assert_array_equal(label, model.predict(X))
    for actual, expected in zip(probabilities, model.predict_proba(X), strict=True):
        assert_allclose(actual, expected, rtol=0, atol=ATOL[dtype])


@pytest.mark.parametrize("wrapper", ["calibrated-sigmoid", "stacking-decision"])
def test_wrapped_exports_keep_string_labels(wrapper):
    X, y = dataset("wine", np.float64)
    y = np.array(["barolo", "grignolino", "barbera"])[y]
    model = WRAPPERS[wrapper]("softmax").fit(X, y)

    outputs = run(model, X, zipmap=False)

    assert_allclose(
        outputs["probabilities"], model.predict_proba(X), rtol=0, atol=ATOL[np.float64]
    )
    assert_array_equal(outputs["label"], model.predict(X))


@pytest.mark.parametrize("data", list(DATASETS))
def test_softmax_regression_cv_calibrated_export_matches(data):
    X, y = dataset(data, np.float64)
    model = WRAPPERS["calibrated-sigmoid"]("softmax-cv").fit(X, y)

    outputs = run(model, X, zipmap=False)

    assert_allclose(
        outputs["probabilities"], model.predict_proba(X), rtol=0, atol=ATOL[np.float64]
    )
    assert_array_equal(outputs["label"], model.predict(X))
