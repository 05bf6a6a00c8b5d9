"""Export to ONNX with skl2onnx (the ``onnx`` extra).

Call :func:`register` once; skl2onnx's ``to_onnx`` and ``convert_sklearn``
then convert :class:`~sklearn_softmax.SoftmaxRegression` and
:class:`~sklearn_softmax.SoftmaxRegressionCV`, alone, inside a ``Pipeline``
or inside the meta-estimators that skl2onnx converts
(``CalibratedClassifierCV``, ``StackingClassifier``, ``VotingClassifier``,
``OneVsRestClassifier``, ...). The model's outputs follow skl2onnx's
classifiers: ``label`` (int64 or string) and ``probabilities`` (the input's
float or double type), a list of ``{class: probability}`` maps unless
``options={"zipmap": False}``. The graph is a ``MatMul`` by ``coef_.T``, an
``Add`` of ``intercept_``, a ``Softmax`` and an ``ArgMax`` whose index is
looked up in ``classes_``. The options are those of skl2onnx's linear
classifiers: ``zipmap``, ``nocl``, ``output_class_labels`` and
``raw_scores``, which replaces the probabilities by the scores (for two
classes ``[−z, z]``, ``z`` the ``decision_function``, as skl2onnx writes
them for ``LogisticRegression``); the meta-estimators set it where they need
scores.

:func:`calculate_softmax_regression_output_shapes` and
:func:`convert_softmax_regression` are the two functions that
``skl2onnx.update_registered_converter`` takes, for registering them under
other options.

Examples
--------
>>> import numpy as np
>>> import onnxruntime as ort
>>> from skl2onnx import to_onnx
>>> from sklearn.datasets import load_iris
>>> from sklearn_softmax import SoftmaxRegression
>>> from sklearn_softmax.onnx import register
>>> register()
>>> X, y = load_iris(return_X_y=True)
>>> X = X.astype(np.float32)
>>> clf = SoftmaxRegression().fit(X, y)
>>> model = to_onnx(clf, X[:1], options={"zipmap": False})
>>> session = ort.InferenceSession(
...     model.SerializeToString(), providers=["CPUExecutionProvider"]
... )
>>> label, proba = session.run(None, {"X": X[:2]})
>>> label.tolist()
[0, 0]
>>> bool(np.allclose(proba, clf.predict_proba(X[:2]), atol=1e-6))
True
"""

try:
    from ._onnx import (
        calculate_softmax_regression_output_shapes,
        convert_softmax_regression,
        register,
    )
except ModuleNotFoundError as exc:  # pragma: no cover - without the extra
    if exc.name not in {"onnx", "skl2onnx"}:
        raise
    raise ModuleNotFoundError(
        "sklearn_softmax.onnx needs skl2onnx: pip install 'sklearn-softmax[onnx]'",
        name=exc.name,
    ) from exc

__all__ = [
    "calculate_softmax_regression_output_shapes",
    "convert_softmax_regression",
    "register",
]
