"""The skl2onnx converter of :class:`SoftmaxRegression` and its CV variant.

The graph computes what :class:`._predict.SoftmaxPredictMixin` computes, in
the input's floating dtype (float or double)::

    X ── MatMul(W) ── Add(b) ── scores, of shape (N, K)
    scores ── Softmax ── probabilities
    scores ── ArgMax ── Gather(classes) ── label

``W = coef_.T``, of shape ``(M, K)`` as in the derivation (densified when
``coef_`` is sparse), and ``b = intercept_``; the ``Add`` is left out when
the intercept is zero. Two classes are stored as ``LogisticRegression``
stores them, one row ``z = z₁ − z₀``; the graph prepends a zero column to
``W`` and a zero to ``b``, so its scores are ``[0, z]`` and their softmax is
``[1 − σ(z), σ(z)]``, as ``predict_proba`` computes it. ``classes`` is an
int64 or a string tensor.

A model fitted with an ``offset`` gets a second graph input named
``offset``, of shape ``(N, n_classes)`` (``(N,)`` for two classes, the
offset of the positive class) and of ``X``'s type, added to the scores
before the ``Softmax`` and the ``ArgMax``: the graph computes
``predict_proba(X, offset=offset)``. A model fitted without one keeps the
single input ``X``.

Options, those of skl2onnx's linear classifier converter
(``convert_sklearn_linear_classifier``), with its meanings:

* ``raw_scores=True``: the second output is the scores, with no
  ``Softmax``; for two classes they are ``[−z, z]``, as skl2onnx's
  ``LogisticRegression`` gives them (``W`` holds ``−β`` and ``β``), so a
  wrapper that reads column 1 gets ``decision_function``. skl2onnx's
  converters of ``CalibratedClassifierCV``, ``StackingClassifier`` (on
  ``decision_function``), ``OneVsOneClassifier`` and others set it on the
  estimator they wrap.
* ``zipmap`` and ``output_class_labels``: handled by skl2onnx's parser,
  which adds the ``ZipMap`` (unless ``zipmap=False``) or the output of
  ``classes_`` after this graph.
* ``nocl``: handled by skl2onnx's ``get_label_classes``, which then gives
  the class indices ``0 … K − 1`` as ``classes``.

This module imports skl2onnx; :mod:`sklearn_softmax.onnx` is its public face.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from onnx import TensorProto
from onnx.numpy_helper import from_array
from skl2onnx import update_registered_converter
from skl2onnx.common._topology import Variable
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from skl2onnx.common.utils import (
    check_input_and_output_numbers,
    check_input_and_output_types,
)
from skl2onnx.common.utils_classifier import get_label_classes

from ._binary import with_zero_class
from ._cv import SoftmaxRegressionCV
from ._estimator import SoftmaxRegression

#: The aliases under which skl2onnx knows the estimators.
ALIASES = {
    SoftmaxRegression: "SklearnSoftmaxRegression",
    SoftmaxRegressionCV: "SklearnSoftmaxRegressionCV",
}
#: The options of skl2onnx's linear classifier converter, with their values.
OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [True, False],
    "output_class_labels": [False, True],
    "raw_scores": [True, False],
}


def _has_string_labels(classes: np.ndarray) -> bool:
    """Whether ``classes`` are strings; else integers (or floats of integers).

    scikit-learn refuses float labels that are not integers, so the others
    fit an int64 tensor.
    """
    return all(isinstance(c, str) for c in classes)


def calculate_softmax_regression_output_shapes(operator) -> None:
    """Set the types of the ``label`` and ``probabilities`` outputs.

    ``label`` has shape ``(N,)``, int64 or string as the classes are;
    ``probabilities`` has shape ``(N, n_classes)`` and the input's type.

    Parameters
    ----------
    operator : skl2onnx.common._topology.Operator
        The operator of a fitted :class:`SoftmaxRegression` or
        :class:`SoftmaxRegressionCV`, with one float or double input.
    """
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    check_input_and_output_types(
        operator, good_input_types=[FloatTensorType, DoubleTensorType]
    )
    n_samples = operator.inputs[0].get_first_dimension()
    classes = get_label_classes(operator.scope_inst, operator.raw_operator)
    label_type = StringTensorType if _has_string_labels(classes) else Int64TensorType
    operator.outputs[0].type = label_type(shape=[n_samples])
    proba_type = type(operator.inputs[0].type)
    operator.outputs[1].type = proba_type(shape=[n_samples, len(classes)])


def _scores_parameters(
    model, dtype, raw_scores: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``W = coef_.T``, of shape ``(n_features, n_classes)``, and ``b``.

    For two classes, a first column (and intercept) comes before ``β`` (and
    ``β₀``): zeros (:func:`._binary.with_zero_class`), whose softmax gives
    the probabilities; or, for ``raw_scores``, ``−β`` (and ``−β₀``), the
    scores ``[−z, z]`` of skl2onnx's ``LogisticRegression``.
    """
    coef = model.coef_
    coef = coef.toarray() if sp.issparse(coef) else np.asarray(coef)
    coef = coef.astype(dtype)
    intercept = np.asarray(model.intercept_, dtype=dtype).reshape(-1)
    if raw_scores:
        coef, intercept = _with_negated_class(coef), _with_negated_class(intercept)
    else:
        coef, intercept = with_zero_class(coef), with_zero_class(intercept)
    return np.ascontiguousarray(coef.T), intercept


def _with_negated_class(A: np.ndarray) -> np.ndarray:
    """``[−a; a]`` for a single row ``a`` (axis 0), else ``A`` itself."""
    return np.concatenate([-A, A]) if A.shape[0] == 1 else A


def _add_constant(scope, container, name: str, values: np.ndarray) -> str:
    """Store ``values`` as an initializer and return its unique name."""
    unique = scope.get_unique_variable_name(name)
    if values.dtype.kind in "OSU":
        strings = [str(v).encode("utf-8") for v in values.ravel()]
        container.add_initializer(unique, TensorProto.STRING, values.shape, strings)
    else:
        tensor = from_array(values, unique)
        container.add_initializer(unique, tensor.data_type, values.shape, tensor)
    return unique


def convert_softmax_regression(scope, operator, container) -> None:
    """Add the nodes computing ``label`` and ``probabilities`` (see the module).

    With the option ``raw_scores=True`` the second output is the scores
    instead of the probabilities.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        Gives unique names.
    operator : skl2onnx.common._topology.Operator
        The operator of a fitted :class:`SoftmaxRegression` or
        :class:`SoftmaxRegressionCV`; its input is float or double.
    container : skl2onnx.common._container.ModelComponentContainer
        Receives the nodes and the initializers; holds the options.
    """
    model = operator.raw_operator
    label, probabilities = (output.full_name for output in operator.outputs)
    raw_scores = container.get_options(model, dict(raw_scores=False))["raw_scores"]
    scores = _add_scores(
        scope, operator, container, probabilities if raw_scores else None
    )
    if not raw_scores:
        container.add_node(
            "Softmax",
            scores,
            probabilities,
            name=scope.get_unique_operator_name("Softmax"),
            axis=1,
        )
    index = scope.get_unique_variable_name("index")
    container.add_node(
        "ArgMax",
        scores,
        index,
        name=scope.get_unique_operator_name("ArgMax"),
        axis=1,
        keepdims=0,
    )
    classes = np.asarray(get_label_classes(scope, model))
    if not _has_string_labels(classes):
        classes = classes.astype(np.int64)
    container.add_node(
        "Gather",
        [_add_constant(scope, container, "classes", classes), index],
        label,
        name=scope.get_unique_operator_name("Gather"),
        axis=0,
    )


def _add_scores(scope, operator, container, output: str | None) -> str:
    """Add ``X W + b`` (``+ offset``) in the input's dtype; return the scores' name.

    ``output``, when given, is the output that receives them, in the layout
    of the option ``raw_scores`` (``[−z, z]`` for two classes).
    """
    double = isinstance(operator.inputs[0].type, DoubleTensorType)
    weights, intercept = _scores_parameters(
        operator.raw_operator,
        np.float64 if double else np.float32,
        raw_scores=output is not None,
    )
    scores = output or scope.get_unique_variable_name("scores")
    with_offset = getattr(operator.raw_operator, "_fitted_with_offset", False)
    linear = scope.get_unique_variable_name("linear") if with_offset else scores
    products = scope.get_unique_variable_name("products") if intercept.any() else linear
    container.add_node(
        "MatMul",
        [
            operator.inputs[0].full_name,
            _add_constant(scope, container, "coef", weights),
        ],
        products,
        name=scope.get_unique_operator_name("MatMul"),
    )
    if products != linear:
        container.add_node(
            "Add",
            [products, _add_constant(scope, container, "intercept", intercept)],
            linear,
            name=scope.get_unique_operator_name("Add"),
        )
    if with_offset:
        offset = _offset_input(scope, operator, container, output is not None)
        container.add_node(
            "Add", [linear, offset], scores, name=scope.get_unique_operator_name("Add")
        )
    return scores


def _offset_input(scope, operator, container, raw_scores: bool) -> str:
    """Add the graph input ``offset``; return the name of its ``(N, K)`` scores.

    Two classes: the input has shape ``(N,)``, added as ``[0, o]`` (as
    ``[−o, o]`` in the layout of ``raw_scores``): an ``Unsqueeze`` to a
    column, times the row ``[0, 1]`` (``[−1, 1]``).
    """
    double = isinstance(operator.inputs[0].type, DoubleTensorType)
    n_classes = len(operator.raw_operator.classes_)
    name = scope.get_unique_variable_name("offset")
    shape = [None] if n_classes == 2 else [None, n_classes]
    tensor_type = DoubleTensorType if double else FloatTensorType
    variable = Variable(name, name, scope=scope.name, type=tensor_type(shape))
    # The graph's inputs are the scope's, added after the converters ran:
    # ``offset`` comes second, after ``X``.
    scope.input_variables.append(variable)
    if n_classes != 2:
        return name
    column = scope.get_unique_variable_name("offset_column")
    axes = _add_constant(scope, container, "axes", np.array([1], np.int64))
    container.add_node(
        "Unsqueeze",
        [name, axes],
        column,
        name=scope.get_unique_operator_name("Unsqueeze"),
    )
    row = np.array([[-1.0 if raw_scores else 0.0, 1.0]])
    row = row.astype(np.float64 if double else np.float32)
    offset = scope.get_unique_variable_name("offset_scores")
    container.add_node(
        "Mul",
        [column, _add_constant(scope, container, "offset_row", row)],
        offset,
        name=scope.get_unique_operator_name("Mul"),
    )
    return offset


def register() -> None:
    """Register both estimators with skl2onnx, under the options it knows.

    Afterwards skl2onnx's ``to_onnx`` and ``convert_sklearn`` convert
    :class:`SoftmaxRegression` and :class:`SoftmaxRegressionCV`, alone, as
    steps of a pipeline or inside the meta-estimators skl2onnx converts
    (calibration, stacking, voting, one-vs-rest, ...), with the options of
    skl2onnx's linear classifiers: ``zipmap`` (``True``, ``False`` or
    ``"columns"``), ``nocl``, ``output_class_labels`` and ``raw_scores``.
    Calling it again changes nothing.

    Examples
    --------
    >>> from skl2onnx import to_onnx
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_softmax import SoftmaxRegressionCV
    >>> from sklearn_softmax.onnx import register
    >>> register()
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxRegressionCV(Cs=3).fit(X, y)
    >>> graph = to_onnx(clf, X[:1], options={"zipmap": False}).graph
    >>> sorted(node.op_type for node in graph.node)
    ['Add', 'ArgMax', 'Gather', 'MatMul', 'Softmax']
    >>> [output.name for output in graph.output]
    ['label', 'probabilities']
    """
    for estimator, alias in ALIASES.items():
        update_registered_converter(
            estimator,
            alias,
            calculate_softmax_regression_output_shapes,
            convert_softmax_regression,
            options=OPTIONS,
        )
