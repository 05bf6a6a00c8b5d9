"""Each objective implements exactly the protocols its ``provides`` lists.

The objectives are the ones ``fit`` builds (caught where the solver receives
them), for NumPy dense and sparse input, array-API input (array-api-strict and
torch on the CPU) and dask input; each is checked against every protocol of
``CAPABILITIES`` with ``isinstance``, and what a capability promises is
evaluated once.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.datasets import make_classification

from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._objectives._protocols import CAPABILITIES
from sklearn_softmax._solvers._lbfgs import LBFGS

M, K = 5, 3


def _data():
    X, y = make_classification(
        n_samples=60, n_features=M, n_informative=3, n_classes=K, random_state=0
    )
    return X, y


def _numpy(X):
    return X


def _csr(X):
    return sp.csr_matrix(X)


def _strict(X):
    xp = pytest.importorskip("array_api_strict")
    return xp.asarray(X, device=xp.Device("device1"))


def _torch(X):
    torch = pytest.importorskip("torch")
    return torch.asarray(X, device="cpu")


def _dask(X):
    da = pytest.importorskip("dask.array")
    return da.from_array(X, chunks=(25, M))


#: input conversion, whether it needs array-API dispatch, the expected ``sparse``
INPUTS = {
    "numpy": (_numpy, False, False),
    "csr": (_csr, False, True),
    "array_api_strict": (_strict, True, False),
    "torch": (_torch, True, False),
    "dask": (_dask, False, False),
}


def objective_of(name, monkeypatch):
    """The objective ``fit`` hands to the solver for input of kind ``name``."""
    convert, dispatch, _ = INPUTS[name]
    X, y = _data()
    X = convert(X)
    if dispatch:
        y = convert(y)
    seen = []
    solve = LBFGS.solve

    def spy(self, objective, *args, **kwargs):
        seen.append(objective)
        return solve(self, objective, *args, **kwargs)

    monkeypatch.setattr(LBFGS, "solve", spy)
    with sklearn.config_context(array_api_dispatch=dispatch), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter=1 does not converge
        SoftmaxRegression(solver="lbfgs", max_iter=1).fit(X, y)
    (objective,) = seen
    return objective


@pytest.mark.parametrize("name", INPUTS)
def test_objective_implements_exactly_what_it_provides(name, monkeypatch):
    objective = objective_of(name, monkeypatch)
    implemented = {c for c, p in CAPABILITIES.items() if isinstance(objective, p)}
    assert implemented == type(objective).provides
    assert objective.provides == type(objective).provides
    assert objective.sparse is INPUTS[name][2]


@pytest.mark.parametrize("name", INPUTS)
def test_provided_capabilities_evaluate(name, monkeypatch):
    # What each protocol promises, with the shapes of the flat parameter.
    objective = objective_of(name, monkeypatch)
    theta = np.random.default_rng(0).normal(size=objective.n_params)
    f, g = objective.value_and_grad(theta)
    assert f == pytest.approx(objective.value(theta), rel=1e-12)
    assert g.shape == (objective.n_params,) == theta.shape
    provides = objective.provides
    if "hessian" in provides:
        f_h, g_h, hessp = objective.value_grad_hessp(theta)
        assert f_h == pytest.approx(f, rel=1e-12)
        assert hessp(theta).shape == hessp.diagonal().shape == theta.shape
    if "moments" in provides:
        assert objective.feature_moments().shape == (M,)
    if "means" in provides:
        assert objective.feature_means().shape == (M,)
    if "finite_sum" in provides:
        assert objective.sample_weight.shape == (objective.n_samples,)
        assert float(objective.sample_weight.sum()) == pytest.approx(1.0)


def test_the_device_objective_has_no_feature_means(monkeypatch):
    # Why "fista" does not run on a device: it needs the features' means.
    pytest.importorskip("array_api_strict")
    objective = objective_of("array_api_strict", monkeypatch)
    assert "means" not in objective.provides
    assert not isinstance(objective, CAPABILITIES["means"])
