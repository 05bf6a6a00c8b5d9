"""skops persistence: a file trusts only this package's types and predicts alike."""

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from sklearn_softmax import SoftmaxRegression, SoftmaxRegressionCV
from sklearn_softmax._solvers._ftrl import FTRLState
from sklearn_softmax._solvers._online import OnlineState
from sklearn_softmax._solvers._online_newton import NewtonState

sio = pytest.importorskip("skops.io")


def type_name(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


#: Types that a file of each case asks to trust: the package's own, and a
#: sparse coef_'s scipy type (read by scipy.sparse.load_npz, without pickle).
ESTIMATOR = type_name(SoftmaxRegression)
STATE = type_name(OnlineState)
NEWTON_STATE = type_name(NewtonState)
FTRL_STATE = type_name(FTRLState)
CSR = type_name(sp.csr_matrix)
CASES = {
    # fit keeps no online state (a later partial_fit builds it): plain values.
    "fit": ({ESTIMATOR}, lambda X, y: SoftmaxRegression().fit(X, y)),
    "binary-float32-strings": (
        {ESTIMATOR},
        lambda X, y: SoftmaxRegression().fit(
            X[y > 0].astype(np.float32), np.array(["a", "b", "c"])[y[y > 0]]
        ),
    ),
    "sparsify": (
        {ESTIMATOR, CSR},
        lambda X, y: SoftmaxRegression(C=0.1, l1_ratio=1.0).fit(X, y).sparsify(),
    ),
    "partial_fit": (
        {ESTIMATOR, STATE},
        lambda X, y: (
            SoftmaxRegression()
            .partial_fit(X[::2], y[::2], classes=[0, 1, 2])
            .partial_fit(X[1::2], y[1::2])
        ),
    ),
    "partial_fit-newton": (  # a window half full: its sums are in the file
        {ESTIMATOR, NEWTON_STATE},
        lambda X, y: (
            SoftmaxRegression(learning_rate="newton", batch_size=100)
            .partial_fit(X[::2], y[::2], classes=[0, 1, 2])
            .partial_fit(X[1::2], y[1::2])
        ),
    ),
    "partial_fit-ftrl": (  # l1_ratio > 0: learning_rate="auto" is "ftrl"
        {ESTIMATOR, FTRL_STATE},
        lambda X, y: (
            SoftmaxRegression(C=0.1, l1_ratio=1.0)
            .partial_fit(X[::2], y[::2], classes=[0, 1, 2])
            .partial_fit(X[1::2], y[1::2])
        ),
    ),
    "cv": (
        {type_name(SoftmaxRegressionCV)},
        lambda X, y: SoftmaxRegressionCV(Cs=3, cv=3).fit(X, y),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_round_trip_trusts_the_package_types_and_predicts_alike(iris, case, tmp_path):
    X, y = iris
    expected_types, build = CASES[case]
    model = build(X, y)
    X = X.astype(model.coef_.dtype)
    path = tmp_path / "model.skops"
    sio.dump(model, path)

    untrusted = sio.get_untrusted_types(file=path)
    assert set(untrusted) == expected_types
    assert all(t.startswith("sklearn_softmax.") for t in untrusted if t != CSR)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(path)
    loaded = sio.load(path, trusted=sorted(expected_types))

    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    assert type(loaded.coef_) is type(model.coef_)
    for method in ("predict_proba", "decision_function", "predict"):
        assert_array_equal(getattr(loaded, method)(X), getattr(model, method)(X))


@pytest.mark.parametrize(
    "learning_rate, state_type", [("adagrad", OnlineState), ("newton", NewtonState)]
)
def test_partial_fit_continues_from_the_loaded_state(
    iris, tmp_path, learning_rate, state_type
):
    X, y = iris
    model = SoftmaxRegression(learning_rate=learning_rate, batch_size=100)
    model.partial_fit(X[::2], y[::2], classes=[0, 1, 2])
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    loaded = sio.load(path, trusted=[ESTIMATOR, type_name(state_type)])

    for field in dataclasses.fields(state_type):
        assert_array_equal(
            getattr(loaded._online_state, field.name),
            getattr(model._online_state, field.name),
        )
    model.partial_fit(X[1::2], y[1::2])
    loaded.partial_fit(X[1::2], y[1::2])
    assert_array_equal(loaded.coef_, model.coef_)
    assert_array_equal(loaded.intercept_, model.intercept_)
