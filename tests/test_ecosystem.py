"""What users of scikit-learn's ecosystem expect: notebook links, MLflow, torch.

References: scikit-learn's HTML representation, the pages ``docs/api.rst``
generates, the original estimator's predictions.
"""

import pathlib
import re

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxRegression, SoftmaxRegressionCV
from sklearn_softmax._doc_link import DOCUMENTATION_URL

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"
ESTIMATORS = [SoftmaxRegression, SoftmaxRegressionCV]


def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def api_page(cls) -> str:
    return f"{DOCUMENTATION_URL}generated/sklearn_softmax.{cls.__name__}.html"


# --------------------------------------------------------------------------
# The HTML representation links to the API page
# --------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("fitted", [False, True])
def test_html_representation_links_to_the_api_page(cls, fitted):
    estimator = cls()
    if fitted:
        estimator.fit(*iris())
    assert estimator._get_doc_link() == api_page(cls)
    html = estimator._repr_html_()
    assert f'href="{api_page(cls)}"' in html
    pipeline = make_pipeline(StandardScaler(), cls())
    assert f'href="{api_page(cls)}"' in pipeline._repr_html_()


def test_scikit_learn_estimators_keep_their_own_links():
    html = make_pipeline(StandardScaler(), SoftmaxRegression())._repr_html_()
    links = set(re.findall(r'href="(https://[^"#]+)"', html))
    scaler = [link for link in links if "StandardScaler" in link]
    assert scaler and all("scikit-learn.org" in link for link in scaler)


@pytest.mark.skipif(not DOCS.joinpath("api.rst").exists(), reason="no docs/")
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_the_linked_page_is_one_the_api_reference_generates(cls):
    """autosummary writes ``generated/<currentmodule>.<entry>.html``."""
    api = DOCS.joinpath("api.rst").read_text()
    module, block = None, None
    for part in re.split(r"\n(?=\.\. )", api):
        if part.startswith(".. currentmodule::"):
            module = part.split("::")[1].split()[0]
        elif part.startswith(".. autosummary::") and module == "sklearn_softmax":
            entries = [line.strip() for line in part.splitlines()[1:]]
            if ":toctree: generated" in entries and cls.__name__ in entries:
                block = part
    assert block is not None
    assert api_page(cls).endswith(f"/generated/{module}.{cls.__name__}.html")


# --------------------------------------------------------------------------
# MLflow: log, load, predict alike
# --------------------------------------------------------------------------

#: The list of types docs/deployment.rst tells MLflow to trust.
TRUSTED = [
    "sklearn_softmax._estimator.SoftmaxRegression",
    "sklearn_softmax._cv.SoftmaxRegressionCV",
    "sklearn_softmax._solvers._online.OnlineState",
    "sklearn_softmax._solvers._online_newton.NewtonState",
    "sklearn_softmax._solvers._ftrl.FTRLState",
    "scipy.sparse._csr.csr_matrix",
]

MODELS = {
    "fit": lambda X, y: SoftmaxRegression().fit(X, y),
    "pipeline": lambda X, y: make_pipeline(StandardScaler(), SoftmaxRegression()).fit(
        X, y
    ),
    "cv": lambda X, y: SoftmaxRegressionCV(Cs=3, cv=3).fit(X, y),
    "sparsify": lambda X, y: (
        SoftmaxRegression(C=0.1, l1_ratio=1.0).fit(X, y).sparsify()
    ),
    "partial_fit-newton": lambda X, y: (
        SoftmaxRegression(learning_rate="newton", batch_size=100)
        .partial_fit(X[::2], y[::2], classes=[0, 1, 2])
        .partial_fit(X[1::2], y[1::2])
    ),
}


@pytest.fixture
def mlflow(tmp_path, monkeypatch):
    """mlflow with a file store under ``tmp_path`` as tracking URI."""
    mlflow = pytest.importorskip("mlflow", minversion="3.0")
    pytest.importorskip("mlflow.sklearn")
    pytest.importorskip("skops")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tmp_path.joinpath("mlruns").as_uri())
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return mlflow


def log_and_load(mlflow, model, **kwargs):
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, name="model", **kwargs)
    return info.model_uri, mlflow.sklearn.load_model(info.model_uri)


def assert_predicts_alike(mlflow, uri, loaded, model, X):
    assert type(loaded) is type(model)
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert_array_equal(loaded.predict(X), model.predict(X))
    assert_array_equal(mlflow.pyfunc.load_model(uri).predict(X), model.predict(X))


@pytest.mark.parametrize("case", sorted(MODELS))
@pytest.mark.parametrize("trust", ["skops_trusted_types", "cloudpickle"])
def test_mlflow_logs_and_loads_a_model_that_predicts_alike(mlflow, case, trust):
    X, y = load_iris(return_X_y=True)
    model = MODELS[case](X, y)
    if trust == "cloudpickle":
        kwargs: dict = {"serialization_format": "cloudpickle"}
    else:
        kwargs = {"skops_trusted_types": TRUSTED}
    # Named requirements spare MLflow inferring them in a subprocess.
    uri, loaded = log_and_load(mlflow, model, pip_requirements=["numpy"], **kwargs)
    assert_predicts_alike(mlflow, uri, loaded, model, X)
    if case == "sparsify":
        assert sp.issparse(loaded.coef_)


def test_mlflow_as_the_deployment_page_calls_it(mlflow):
    X, y = load_iris(return_X_y=True)
    model = MODELS["pipeline"](X, y)
    uri, loaded = log_and_load(mlflow, model, skops_trusted_types=TRUSTED)
    assert_predicts_alike(mlflow, uri, loaded, model, X)


def test_mlflow_refuses_the_package_types_unless_trusted(mlflow):
    from mlflow.exceptions import MlflowException

    X, y = load_iris(return_X_y=True)
    with pytest.raises(MlflowException, match="untrusted types"):
        log_and_load(mlflow, MODELS["fit"](X, y), pip_requirements=["numpy"])


# --------------------------------------------------------------------------
# hummingbird and its replacement, a torch module
# --------------------------------------------------------------------------


def test_hummingbird_has_no_converter_as_the_deployment_page_says():
    hummingbird = pytest.importorskip("hummingbird.ml")
    from hummingbird.ml.exceptions import MissingConverter

    with pytest.raises(MissingConverter):
        hummingbird.convert(SoftmaxRegression().fit(*iris()), "torch")


@pytest.mark.parametrize("binary", [False, True])
def test_a_torch_linear_module_gives_the_scores_and_probabilities(binary):
    """The deployment page's torch module, against the estimator's outputs."""
    torch = pytest.importorskip("torch")
    X, y = iris()
    if binary:
        y = (y == 1).astype(int)
    clf = SoftmaxRegression().fit(X, y)
    linear = torch.nn.Linear(clf.n_features_in_, clf.coef_.shape[0])
    with torch.no_grad():
        linear.weight.copy_(torch.as_tensor(clf.coef_))
        linear.bias.copy_(torch.as_tensor(clf.intercept_))
        X_torch = torch.as_tensor(X, dtype=torch.float32)
        scores = linear(X_torch).numpy()
        if binary:
            p1 = torch.sigmoid(linear(X_torch)).numpy()[:, 0]
            proba = np.column_stack([1 - p1, p1])
        else:
            module = torch.nn.Sequential(linear, torch.nn.Softmax(dim=1))
            proba = module(X_torch).numpy()
    assert_allclose(scores.squeeze(), clf.decision_function(X), rtol=1e-5, atol=1e-5)
    assert_allclose(proba, clf.predict_proba(X), atol=1e-6)
