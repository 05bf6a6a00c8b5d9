"""Array-API inputs under dispatch: the same fits and predictions as NumPy's.

Namespaces: array-api-strict on its second device (``device1``, where
``np.asarray`` raises, so any implicit conversion of ``X`` to NumPy fails the
test), and torch on the CPU. Every result is compared with the NumPy fit or
with the NumPy objective on the same data.
"""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_array

from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._backends import _array_api
from sklearn_softmax._core._namespace import to_numpy
from sklearn_softmax._objectives import SoftmaxObjective
from sklearn_softmax._objectives import _array_api as _array_api_objective
from sklearn_softmax._objectives._array_api import ArrayAPISoftmaxObjective

SOLVERS = ["lbfgs", "gd", "newton-cg", "sgd"]
# float64 fits agree to rounding; float32 ones to the precision of the type.
RTOL = {np.float64: 1e-6, np.float32: 2e-3}
TOL = {np.float64: 1e-8, np.float32: 1e-4}


def _strict():
    xp = pytest.importorskip("array_api_strict")
    device = xp.Device("device1")
    return lambda a: xp.asarray(a, device=device)


def _torch():
    torch = pytest.importorskip("torch")
    return lambda a: torch.asarray(a, device="cpu")


@pytest.fixture(params=["array_api_strict", "torch"])
def to_xp(request):
    """Converts a NumPy array to the namespace (and device) under test."""
    return {"array_api_strict": _strict, "torch": _torch}[request.param]()


def _data(n_classes=3, dtype=np.float64, n_samples=150, n_features=6):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=4,
        n_classes=n_classes,
        random_state=0,
    )
    return StandardScaler().fit_transform(X).astype(dtype), y


def _same_place(result, X_xp):
    """``result`` is an array of ``X_xp``'s type on ``X_xp``'s device."""
    assert type(result) is type(X_xp)
    assert result.device == X_xp.device


def _fit_both(model, X, y, to_xp, **fit_params):
    reference = sklearn.clone(model).fit(X, y, **fit_params)
    device_params = {k: to_xp(v) for k, v in fit_params.items()}
    with sklearn.config_context(array_api_dispatch=True):
        fitted = sklearn.clone(model).fit(to_xp(X), to_xp(y), **device_params)
    return reference, fitted


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_and_predictions_match_numpy(to_xp, dtype, solver, fit_intercept):
    X, y = _data(dtype=dtype)
    model = SoftmaxRegression(
        solver=solver,
        fit_intercept=fit_intercept,
        tol=TOL[dtype],
        max_iter=2000,
        random_state=0,
    )
    reference, fitted = _fit_both(model, X, y, to_xp)
    X_xp = to_xp(X)
    for name in ("coef_", "intercept_"):
        _same_place(getattr(fitted, name), X_xp)
        value = to_numpy(getattr(fitted, name))
        assert value.dtype == dtype
        scale = np.abs(getattr(reference, name)).max() + 1
        assert_allclose(value, getattr(reference, name), atol=RTOL[dtype] * scale)
    _same_place(fitted.classes_, X_xp)
    assert_array_equal(to_numpy(fitted.classes_), reference.classes_)
    if dtype == np.float64:  # deterministic solvers take the same path
        assert fitted.n_iter_ == reference.n_iter_
    assert fitted.converged_
    with sklearn.config_context(array_api_dispatch=True):
        outputs = {
            name: getattr(fitted, name)(X_xp)
            for name in (
                "decision_function",
                "predict_proba",
                "predict_log_proba",
                "predict",
            )
        }
        score = fitted.score(X_xp, to_xp(y))
    for name, result in outputs.items():
        _same_place(result, X_xp)
        expected = getattr(reference, name)(X)
        assert to_numpy(result).dtype == expected.dtype
        if name == "predict":
            assert_array_equal(to_numpy(result), expected)
        else:
            assert_allclose(to_numpy(result), expected, atol=10 * RTOL[dtype])
    assert score == pytest.approx(reference.score(X, y))


def test_binary_problem_and_string_labels(to_xp):
    X, y = _data(n_classes=2)
    labels = np.array(["no", "yes"])[y]
    model = SoftmaxRegression(tol=1e-8)
    reference = sklearn.clone(model).fit(X, labels)
    X_xp = to_xp(X)
    with sklearn.config_context(array_api_dispatch=True):
        fitted = sklearn.clone(model).fit(X_xp, labels)
        scores = fitted.decision_function(X_xp)
        predicted = fitted.predict(X_xp)
    # Labels of strings stay NumPy, as in scikit-learn's LogisticRegression.
    assert isinstance(fitted.classes_, np.ndarray)
    assert isinstance(predicted, np.ndarray)
    assert_array_equal(predicted, reference.predict(X))
    _same_place(scores, X_xp)
    assert scores.shape == (X.shape[0],)
    assert_allclose(to_numpy(scores), reference.decision_function(X), atol=1e-6)
    assert to_numpy(fitted.coef_).shape == (1, X.shape[1])


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(
    "weights",
    ["sample", "balanced", "dict"],
)
def test_sample_and_class_weights_match_numpy(to_xp, solver, weights):
    X, y = _data()
    y = np.where(np.arange(y.shape[0]) < 30, 0, y)  # unbalanced classes
    rng = np.random.default_rng(0)
    class_weight = {"balanced": "balanced", "dict": {0: 3.0, 2: 0.5}}.get(weights)
    fit_params = {}
    if weights == "sample":
        sample_weight = rng.uniform(0, 2, size=y.shape[0])
        sample_weight[:10] = 0  # samples without weight are left out by sgd
        fit_params["sample_weight"] = sample_weight
    model = SoftmaxRegression(
        solver=solver,
        class_weight=class_weight,
        tol=1e-8,
        max_iter=2000,
        random_state=0,
    )
    reference, fitted = _fit_both(model, X, y, to_xp, **fit_params)
    assert_allclose(to_numpy(fitted.coef_), reference.coef_, atol=1e-6)
    assert_allclose(to_numpy(fitted.intercept_), reference.intercept_, atol=1e-6)
    assert fitted.n_iter_ == reference.n_iter_


def test_auto_with_an_l1_part_fits_with_sgd_to_the_same_minimiser(to_xp):
    # NumPy's "auto" is fista here, which reads X on the host; on the device
    # "auto" is sgd. Both reach the one minimiser.
    X, y = _data()
    model = SoftmaxRegression(l1_ratio=0.5, C=0.5, tol=1e-7, max_iter=5000)
    reference, fitted = _fit_both(model, X, y, to_xp)
    assert fitted.converged_
    coef = to_numpy(fitted.coef_)
    assert_allclose(coef, reference.coef_, atol=1e-5)
    assert_array_equal(coef == 0, reference.coef_ == 0)


def test_warm_start_continues_from_the_device_fit(to_xp):
    X, y = _data()
    model = SoftmaxRegression(warm_start=True, tol=1e-6)
    with sklearn.config_context(array_api_dispatch=True):
        model.fit(to_xp(X), to_xp(y))
        first = to_numpy(model.coef_).copy()
        model.fit(to_xp(X), to_xp(y))
    assert model.n_iter_ <= 1
    assert_allclose(to_numpy(model.coef_), first, atol=1e-6)


def test_only_parameters_cross_to_the_host(monkeypatch):
    # array-api-strict's device1 refuses np.asarray: X cannot be converted
    # implicitly. The explicit conversions are recorded: per iteration only
    # θ-sized arrays; the labels' indices (N numbers) once.
    to_xp = _strict()
    X, y = _data(n_samples=300)
    X_xp = to_xp(X)
    with pytest.raises(RuntimeError):
        np.asarray(X_xp)
    sizes = []

    def recording(array):
        out = to_numpy(array)
        sizes.append(out.size)
        return out

    for module in (_array_api, _array_api_objective):
        monkeypatch.setattr(module, "to_numpy", recording)
    n_params = (X.shape[1] + 1) * 3
    for solver in SOLVERS:
        sizes.clear()
        with sklearn.config_context(array_api_dispatch=True):
            model = SoftmaxRegression(solver=solver, random_state=0).fit(X_xp, to_xp(y))
            model.predict(X_xp)
        assert model.n_iter_ > 2
        assert max(sizes) <= X.shape[0] < X.size
        assert sum(size > n_params for size in sizes) <= 2  # y's indices, predict's


@pytest.mark.parametrize("intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_objective_matches_the_numpy_objective(to_xp, dtype, intercept):
    rng = np.random.default_rng(0)
    M, N, K = 5, 40, 4
    X = rng.standard_normal((M, N)).astype(dtype)
    y, s = rng.integers(K, size=N), rng.uniform(size=N)
    numpy_objective = SoftmaxObjective(X, y, K, s, intercept)
    with sklearn.config_context(array_api_dispatch=True):
        objective = ArrayAPISoftmaxObjective(to_xp(X), y, K, s, intercept)
    theta, v = rng.standard_normal((2, numpy_objective.n_params))
    rtol = 1e-12 if dtype == np.float64 else 1e-4
    f, g = objective.value_and_grad(theta)
    f_np, g_np = numpy_objective.value_and_grad(theta)
    assert f == pytest.approx(f_np, rel=rtol)
    assert f == pytest.approx(objective.value(theta), rel=rtol)
    assert g.dtype == dtype
    assert_allclose(g, g_np, rtol=rtol, atol=rtol)
    _, _, hessp = objective.value_grad_hessp(theta)
    _, _, hessp_np = numpy_objective.value_grad_hessp(theta)
    assert_allclose(hessp(v), hessp_np(v), rtol=rtol, atol=rtol)
    assert_allclose(hessp.diagonal(), hessp_np.diagonal(), rtol=rtol, atol=rtol)
    assert_allclose(
        objective.feature_moments(), numpy_objective.feature_moments(), rtol=rtol
    )


def test_objective_is_stable_for_huge_logits(to_xp):
    X, y = np.array([[1e4, -1e4, 0.0]]), np.array([0, 1, 1])
    with sklearn.config_context(array_api_dispatch=True):
        objective = ArrayAPISoftmaxObjective(to_xp(X), y, 2, np.ones(3), False)
    # θ = [[1, -1]]: logits ±1e4, samples 0 and 1 right, sample 2 a tie.
    f, g = objective.value_and_grad(np.array([1.0, -1.0]))
    assert f == pytest.approx(np.log(2) / 3)
    assert np.all(np.isfinite(g))


def test_predicting_in_another_namespace_is_refused(to_xp):
    X, y = _data()
    with sklearn.config_context(array_api_dispatch=True):
        model = SoftmaxRegression().fit(to_xp(X), to_xp(y))
        with pytest.raises(ValueError, match=r"SoftmaxRegression.predict\(\) must"):
            model.predict(X)
    numpy_model = SoftmaxRegression().fit(X, y)
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match="same namespace and the same device"):
            numpy_model.predict_proba(to_xp(X))


def test_bad_inputs_under_dispatch_raise_clear_errors(to_xp):
    X, y = _data()
    X_xp, y_xp = to_xp(X), to_xp(y)
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match=r"solver='fista' does not support"):
            SoftmaxRegression(solver="fista").fit(X_xp, y_xp)
        with pytest.raises(ValueError, match="early_stopping=True is not supported"):
            SoftmaxRegression(early_stopping=True).fit(X_xp, y_xp)
        with pytest.raises(ValueError, match=r"partial_fit\(\) does not support"):
            SoftmaxRegression().partial_fit(X_xp, y_xp, classes=np.arange(3))
        with pytest.raises(ValueError, match="at least 2 classes"):
            SoftmaxRegression().fit(X_xp, to_xp(np.zeros_like(y)))
        with pytest.raises(ValueError, match="sample_weight must be non-negative"):
            SoftmaxRegression().fit(X_xp, y_xp, sample_weight=to_xp(-np.ones(150)))
        with pytest.raises(ValueError, match="inconsistent numbers of samples"):
            SoftmaxRegression().fit(X_xp, to_xp(y[:-1]))
        model = SoftmaxRegression()
        with pytest.raises(ValueError):
            model.fit(to_xp(np.full_like(X, np.nan)), y_xp)
        assert not hasattr(model, "coef_")


def test_numpy_and_sparse_inputs_keep_the_numpy_path_under_dispatch():
    X, y = _data()
    reference = SoftmaxRegression().fit(X, y)
    with sklearn.config_context(array_api_dispatch=True):
        dense = SoftmaxRegression().fit(X, y)
        sparse = SoftmaxRegression().fit(sp.csr_matrix(X), y)
        predicted = sparse.predict(sp.csr_matrix(X))
    assert isinstance(dense.coef_, np.ndarray)
    assert_allclose(dense.coef_, reference.coef_)
    assert_allclose(sparse.coef_, reference.coef_, rtol=1e-6, atol=1e-8)
    assert_array_equal(predicted, reference.predict(X))


def test_data_frames_keep_the_numpy_path_under_dispatch():
    pd = pytest.importorskip("pandas")
    X, y = _data()
    with sklearn.config_context(array_api_dispatch=True):
        try:
            check_array(pd.DataFrame(X))
        except TypeError:
            pytest.skip("this scikit-learn rejects data frames under dispatch")
        model = SoftmaxRegression().fit(pd.DataFrame(X), y)
    assert isinstance(model.coef_, np.ndarray)
    assert_allclose(model.coef_, SoftmaxRegression().fit(X, y).coef_)
