"""scikit-learn's callback API on every solver, alone and inside GridSearchCV."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxRegression

callback = pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9")

SOLVERS = ["newton-cg", "lbfgs", "gd", "fista", "sgd"]


class Recorder:
    """A FitCallback that records its hooks, and stops after ``stop_at`` tasks."""

    def __init__(self, stop_at=None):
        self.stop_at = stop_at
        self.events, self.models, self.data = [], [], []

    def setup(self, estimator, context):
        self.events.append("setup")

    def teardown(self, estimator, context):
        self.events.append("teardown")

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None):
        self.events.append(("begin", context.task_name))

    def on_fit_task_end(
        self, estimator, context, *, X=None, y=None, metadata=None,
        fitted_estimator=None,
    ):  # fmt: skip
        self.events.append(("end", context.task_name))
        if context.task_name == "iteration" and fitted_estimator is not None:
            self.models.append(fitted_estimator)
            self.data.append((X, y, metadata))
        return self.stop_at is not None and len(self.models) >= self.stop_at


@pytest.fixture(scope="module")
def data():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def quiet_fit(clf, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y, **fit_params)


@pytest.mark.parametrize("solver", SOLVERS)
def test_every_iteration_is_a_task_with_the_model_of_that_iterate(data, solver):
    X, y = data
    recorder = Recorder()
    params = dict(solver=solver, max_iter=6, random_state=0)
    clf = quiet_fit(SoftmaxRegression(**params).set_callbacks(recorder), X, y)
    n = clf.n_iter_
    assert n >= 1 and len(recorder.models) == n
    # The fit is the root task; one task per iteration, plus the one begun
    # after the last iteration, ended empty.
    assert recorder.events[0] == "setup" and recorder.events[-1] == "teardown"
    assert recorder.events[1] == ("begin", "fit")
    assert recorder.events[-2] == ("end", "fit")
    assert recorder.events.count(("begin", "iteration")) == n + 1
    assert recorder.events.count(("end", "iteration")) == n + 1
    # Iterate k is the model a fit stopped after k iterations returns.
    for k in sorted({1, n}):
        stopped = quiet_fit(SoftmaxRegression(**{**params, "max_iter": k}), X, y)
        model = recorder.models[k - 1]
        np.testing.assert_allclose(model.coef_, stopped.coef_, rtol=1e-10)
        np.testing.assert_allclose(model.intercept_, stopped.intercept_, rtol=1e-10)
        np.testing.assert_allclose(
            model.predict_proba(X), stopped.predict_proba(X), rtol=1e-10
        )
    # Each model is a copy: later iterations did not change it.
    assert not np.allclose(recorder.models[0].coef_, clf.coef_)


@pytest.mark.parametrize("solver", SOLVERS)
def test_scoring_monitor_records_the_score_of_every_iteration(data, solver):
    X, y = data
    monitor = callback.ScoringMonitor(scoring="neg_log_loss")
    clf = SoftmaxRegression(solver=solver, max_iter=5, random_state=0)
    quiet_fit(clf.set_callbacks(monitor), X, y)
    rows = monitor.get_logs().data
    iterations = [r for r in rows if r["task_name"] == "iteration"]
    assert len(iterations) == clf.n_iter_
    (root,) = [r for r in rows if r["task_name"] == "fit"]
    assert root["neg_log_loss"] == pytest.approx(-log_loss(y, clf.predict_proba(X)))
    last = quiet_fit(clf.set_params(max_iter=clf.n_iter_).set_callbacks(), X, y)
    assert iterations[-1]["neg_log_loss"] == pytest.approx(
        -log_loss(y, last.predict_proba(X)), rel=1e-10
    )


@pytest.mark.parametrize("solver", SOLVERS)
def test_progress_bar_runs_with_every_solver(data, solver, capsys):
    pytest.importorskip("rich")
    X, y = data
    clf = SoftmaxRegression(solver=solver, max_iter=3, random_state=0)
    quiet_fit(clf.set_callbacks(callback.ProgressBar()), X, y)
    assert "SoftmaxRegression - fit" in capsys.readouterr().out


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_callback_can_stop_the_solver(data, solver):
    X, y = data
    recorder = Recorder(stop_at=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = SoftmaxRegression(solver=solver, tol=1e-12, random_state=0)
        clf.set_callbacks(recorder).fit(X, y)
    assert clf.n_iter_ == 2 and not clf.converged_
    stopped = quiet_fit(
        SoftmaxRegression(solver=solver, max_iter=2, random_state=0), X, y
    )
    np.testing.assert_allclose(clf.coef_, stopped.coef_, rtol=1e-10)


def test_hooks_see_the_training_rows_and_their_weights(data):
    X, y = data
    w = np.random.default_rng(0).uniform(0.5, 2, size=y.shape[0])
    recorder = Recorder()
    clf = SoftmaxRegression(
        early_stopping=True, validation_fraction=0.2, random_state=0
    )
    clf.set_callbacks(recorder).fit(X, y, sample_weight=w)
    X_seen, y_seen, metadata = recorder.data[0]
    n_train = X.shape[0] - 30  # 20% of 150 held out
    assert X_seen.shape == (n_train, X.shape[1]) and y_seen.shape == (n_train,)
    assert metadata["sample_weight"].shape == (n_train,)
    # The rows are the training rows: each with its own label and weight.
    rows = [np.flatnonzero((X == x).all(axis=1))[0] for x in X_seen]
    np.testing.assert_array_equal(y[rows], y_seen)
    np.testing.assert_array_equal(w[rows], metadata["sample_weight"])


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_scoring_monitor_inside_grid_search(data, n_jobs):
    X, y = data
    monitor = callback.ScoringMonitor(scoring="neg_log_loss")
    grid = {"C": [0.1, 1.0], "solver": ["newton-cg", "sgd"]}
    search = GridSearchCV(
        SoftmaxRegression(max_iter=4, random_state=0).set_callbacks(monitor),
        grid,
        cv=3,
        n_jobs=n_jobs,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    rows = monitor.get_logs().data
    fits = [r for r in rows if r["task_name"] == "fit"]
    assert len(fits) == 4 * 3 + 1  # every candidate on every split, and the refit
    iterations = [r for r in rows if r["task_name"] == "iteration"]
    assert len(iterations) >= len(fits)
    assert all(np.isfinite(r["neg_log_loss"]) for r in iterations)
    # The refit's last iteration scores the fitted best estimator.
    refit = min(fits, key=lambda r: len(r["task_id_path"]))
    refit_rows = [
        r for r in iterations if r["parent_task_id_path"] == refit["task_id_path"]
    ]
    assert refit_rows[-1]["neg_log_loss"] == pytest.approx(
        -log_loss(y, search.best_estimator_.predict_proba(X)), rel=1e-10
    )


def test_progress_bar_propagates_from_grid_search(data, capsys):
    pytest.importorskip("rich")
    X, y = data
    search = GridSearchCV(SoftmaxRegression(), {"C": [0.1, 1.0]}, cv=2)
    search.set_callbacks(callback.ProgressBar(max_propagation_depth=None)).fit(X, y)
    out = capsys.readouterr().out
    assert "GridSearchCV - fit" in out and "SoftmaxRegression - fit" in out


def test_no_callbacks_no_context(data):
    X, y = data
    clf = SoftmaxRegression().fit(X, y)
    assert not hasattr(clf, "_callback_fit_ctx")
    assert not hasattr(clf, "_skl_callbacks")


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_scoring_monitor_on_torch_input_under_dispatch(data, solver):
    torch = pytest.importorskip("torch")
    pytest.importorskip("array_api_compat")
    import sklearn

    X, y = data
    params = dict(solver=solver, max_iter=4, random_state=0)
    scores = []
    for X_in, y_in, dispatch in [
        (X, y, False),
        (torch.asarray(X), torch.asarray(y), True),
    ]:
        monitor = callback.ScoringMonitor(scoring="neg_log_loss")
        with sklearn.config_context(array_api_dispatch=dispatch):
            clf = SoftmaxRegression(**params).set_callbacks(monitor)
            quiet_fit(clf, X_in, y_in)
        rows = monitor.get_logs().data
        scores.append([float(r["neg_log_loss"]) for r in rows])
    # Each iteration's model, built in the input's namespace, scores as NumPy's.
    np.testing.assert_allclose(scores[1], scores[0], rtol=1e-10)
