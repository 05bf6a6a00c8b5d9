"""Features at extreme scales: finite, warning-free, accurate fits.

Each input is a fixed, non-separable three-class problem with its features
multiplied by a constant (or two groups of columns by two constants).
Multiplying a feature by ``f`` divides its coefficient by ``f`` and the
penalty's weight on it by ``f²``: at ``f ≥ 1e10`` the default fit (``C=1``)
is the unpenalised one to many digits, which is the reference, fitted on the
unscaled features. Columns of 1e-150 lie far below the penalty's scale and
carry nothing: their reference is the fit without them. We compare against
LogisticRegression's accuracy on the same input too.
"""

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from sklearn_softmax import SoftmaxRegression, SoftmaxRegressionCV, _cv
from sklearn_softmax._backends import _memory as memory
from sklearn_softmax._backends import _numpy as numpy_backend
from sklearn_softmax._objectives import _numpy as numpy_objective
from sklearn_softmax._solvers._scaling import feature_scales

SOLVERS = ["auto", "newton-cg", "lbfgs", "gd", "fista", "sgd"]
CASES = {
    "float32 x 1e10": (np.float32, [1e10] * 4),
    "float32 x 1e30": (np.float32, [1e30] * 4),
    "float64 x 1e150": (np.float64, [1e150] * 4),
    "float64 1e150 and 1e-150": (np.float64, [1e150, 1e150, 1e-150, 1e-150]),
}


def _problem():
    """300 samples, 4 features, labels drawn from a softmax model (overlapping)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4))
    logits = X @ rng.standard_normal((4, 3))
    y = (logits + rng.gumbel(size=(300, 3))).argmax(axis=1)
    return X, y


X_BASE, Y = _problem()


def _scaled(case: str) -> tuple[np.ndarray, np.ndarray]:
    dtype, factors = CASES[case]
    return (X_BASE * np.array(factors)).astype(dtype), np.array(factors)


def _fit_strict(estimator, X, y):
    """Fit with every RuntimeWarning an error (ConvergenceWarnings allowed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("solver", SOLVERS)
def test_extreme_scales_match_unscaled_fit(case, solver):
    X, factors = _scaled(case)
    clf = _fit_strict(SoftmaxRegression(solver=solver, max_iter=1000), X, Y)
    assert np.isfinite(clf.coef_).all() and np.isfinite(clf.intercept_).all()
    assert clf.coef_.dtype == X.dtype
    kept = factors > 1  # the columns of 1e-150 carry nothing
    ref = SoftmaxRegression(C=np.inf, tol=1e-10).fit(X_BASE[:, kept], Y)
    np.testing.assert_allclose(
        clf.predict_proba(X), ref.predict_proba(X_BASE[:, kept]), atol=2e-3
    )
    coef = clf.coef_[:, kept].astype(np.float64) * factors[kept]
    np.testing.assert_allclose(coef, ref.coef_, rtol=1e-2, atol=1e-2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr_score = LogisticRegression(max_iter=5000).fit(X, Y).score(X, Y)
    assert clf.score(X, Y) >= lr_score - 0.01


@pytest.mark.parametrize("case", ["float32 x 1e30", "float64 x 1e150"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_extreme_scales_sparse(case, solver):
    X, factors = _scaled(case)
    clf = _fit_strict(
        SoftmaxRegression(solver=solver, max_iter=1000), sp.csr_array(X), Y
    )
    ref = SoftmaxRegression(C=np.inf, tol=1e-10).fit(X_BASE, Y)
    coef = clf.coef_.astype(np.float64) * factors
    np.testing.assert_allclose(coef, ref.coef_, rtol=1e-2, atol=1e-2)


def test_extreme_scales_early_stopping_sees_theta():
    # The callbacks (early stopping keeps the best θ) get θ, not the scaled
    # coordinates u = θ / d (of order 1 where θ is of order 1e-30 here).
    X, factors = _scaled("float32 x 1e30")
    params = dict(early_stopping=True, n_iter_no_change=3, random_state=0)
    clf = _fit_strict(SoftmaxRegression(**params), X, Y)
    coef = clf.coef_.astype(np.float64) * factors
    ref = SoftmaxRegression(C=np.inf, tol=1e-10).fit(X_BASE, Y)
    assert 0.1 < np.abs(coef).max() < 10 * np.abs(ref.coef_).max()
    assert clf.score(X, Y) >= ref.score(X_BASE, Y) - 0.03


@pytest.mark.parametrize("case", ["float32 x 1e30", "float64 x 1e150"])
def test_extreme_scales_cv_warning_free(case):
    X, _ = _scaled(case)
    cv = _fit_strict(SoftmaxRegressionCV(Cs=3, cv=3), X, Y)
    assert np.isfinite(cv.coef_).all()
    # As good as the same search on the unscaled features (its grid of Cs,
    # from the gradient at zero, scales as 1 / f, the penalty as 1 / f²: the
    # two searches compare different strengths).
    ref = SoftmaxRegressionCV(Cs=3, cv=3).fit(X_BASE, Y)
    assert cv.score(X, Y) >= ref.score(X_BASE, Y) - 0.02


def test_default_float32_timestamps():
    # float32 features of the size of timestamps (1e10) with the default solver.
    X, _ = _scaled("float32 x 1e10")
    clf = _fit_strict(SoftmaxRegression(), X, Y)
    ref = SoftmaxRegression(C=np.inf).fit(X_BASE, Y)
    assert clf.score(X, Y) == ref.score(X_BASE, Y)


ONLINE_RATES = ["adagrad", "ftrl", "constant", "invscaling", "adaptive", "newton"]


def _stream(X, learning_rate, C=1.0, n_passes=10):
    """``partial_fit`` over chunks of 50 rows, ``n_passes`` times, strictly.

    Newton's windows are the whole data (a step per pass): on windows of 50
    rows, nearly unpenalised, its subsampled steps follow the last window,
    and features rounded differently (×1e10 or ×1e30) end far apart.
    """
    batch_size = X.shape[0] if learning_rate == "newton" else 50
    clf = SoftmaxRegression(learning_rate=learning_rate, C=C, batch_size=batch_size)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(n_passes):
            for a in range(0, X.shape[0], 50):
                clf.partial_fit(X[a : a + 50], Y[a : a + 50], classes=[0, 1, 2])
    return clf


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("learning_rate", ONLINE_RATES)
def test_extreme_scales_partial_fit(case, learning_rate):
    # The stream's model as good as the same stream on the unscaled features
    # (the columns of 1e-150 left out) without penalty (at these scales C=1
    # weighs ≤ 1e-20 of it), and close to fit's on the same input:
    # accuracy and log loss (AdaGrad and FTRL stepped θ by about eta0
    # whatever the features' scale: log losses of 5 to 16).
    X, factors = _scaled(case)
    clf = _stream(X, learning_rate)
    assert np.isfinite(clf.coef_).all() and clf.coef_.dtype == X.dtype
    kept = factors > 1
    ref = _stream(X_BASE[:, kept], learning_rate, C=np.inf)
    loss, ref_loss = (
        log_loss(Y, clf.predict_proba(X)),
        log_loss(Y, ref.predict_proba(X_BASE[:, kept])),
    )
    assert loss <= ref_loss + 0.05
    assert clf.score(X, Y) >= ref.score(X_BASE[:, kept], Y) - 0.02
    assert clf.score(X, Y) >= SoftmaxRegression().fit(X, Y).score(X, Y) - 0.03


@pytest.mark.parametrize("case", ["float32 x 1e30", "float64 x 1e150"])
def test_extreme_scales_dask_stream(case):
    # solver="sgd" on a dask array streams the chunks through partial_fit's
    # online solver (AdaGrad): the same scales, decided on the first batch.
    da = pytest.importorskip("dask.array")
    X, _ = _scaled(case)
    clf = SoftmaxRegression(solver="sgd", max_iter=10)
    _fit_strict(clf, da.from_array(X, chunks=(100, 4)), da.from_array(Y, chunks=100))
    assert np.isfinite(clf.coef_).all()
    assert clf.score(X, Y) >= SoftmaxRegression().fit(X, Y).score(X, Y) - 0.03


def test_partial_fit_state_without_scales_goes_on():
    # A state saved before the scales were kept (no such attribute) goes on
    # unscaled, as it was fitted.
    clf = SoftmaxRegression().partial_fit(X_BASE[:50], Y[:50], classes=[0, 1, 2])
    state = clf._online_state
    assert state.scales is None
    object.__delattr__(state, "scales")
    clf.partial_fit(X_BASE[50:100], Y[50:100])
    assert clf._online_state.scales is None and np.isfinite(clf.coef_).all()


class _Moments:
    """Just what feature_scales reads of an objective."""

    provides = frozenset({"moments"})
    fit_intercept = True
    n_classes = 3

    def __init__(self, moments, dtype):
        self.moments, self.dtype = np.asarray(moments), np.dtype(dtype)

    def feature_moments(self):
        return self.moments


class _Penalty:
    def __init__(self, a):
        self.l2_strength = a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ordinary_scales_are_not_rescaled(dtype):
    # The rule never fires on data of ordinary scales: their fits stay as they were.
    assert feature_scales(_Moments([1e-6, 1.0, 1e6], dtype), _Penalty(1e-3)) is None


@pytest.mark.parametrize(
    ("moments", "dtype"),
    [([4.0**70, 1.0], np.float32), ([4.0**-500, 4.0**500], np.float64)],
)
def test_scales_are_powers_of_two_from_curvature(moments, dtype):
    d = feature_scales(_Moments(moments, dtype), _Penalty(0.0))
    assert d.dtype == dtype and d.shape == (9,)
    rows = d.reshape(3, 3)[:, 0].astype(np.float64)
    expected = 1 / np.sqrt(np.asarray(moments, dtype=np.float64))
    np.testing.assert_array_equal(rows, np.append(expected, 1.0))
    # With an L2 penalty, a feature without spread gets the penalty's scale.
    d = feature_scales(_Moments([0.0, 4.0**500], np.float64), _Penalty(4.0))
    np.testing.assert_array_equal(d.reshape(3, 3)[:, 0], [0.5, 2.0**-500, 1.0])


# --- Problems too large for memory: refused up front, with the size -------------

GiB = 2**30


@pytest.fixture
def memory_of(monkeypatch):
    """Pretend the machine has ``n`` bytes available."""

    def set_memory(n):
        monkeypatch.setattr(memory, "available_memory", lambda: n)

    return set_memory


def test_million_labels_refused_in_seconds(memory_of):
    # 10⁵ rows with 10⁵ distinct labels: newton-cg would keep 2 × 10¹⁰
    # probabilities (149 GiB); refused before any large allocation.
    memory_of(64 * GiB)
    n = 100_000
    X, y = np.linspace(-1, 1, n).reshape(-1, 1), np.arange(n)
    clf = SoftmaxRegression().fit(X_BASE, Y)
    coef = clf.coef_.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "more classes than half"
        with pytest.raises(MemoryError, match=r"149\.0 GiB.*64\.0 GiB"):
            clf.fit(X, y)
    np.testing.assert_array_equal(clf.coef_, coef)  # left as it was


def test_partial_fit_with_huge_classes_refused(memory_of):
    memory_of(2**20)  # 1 MiB: 2·10⁵ classes × 5 parameters need more
    clf = SoftmaxRegression()
    with pytest.raises(MemoryError, match=r"partial_fit .*200,000 classes"):
        clf.partial_fit(X_BASE[:10], Y[:10], classes=np.arange(200_000))
    assert not hasattr(clf, "coef_")


@pytest.mark.parametrize("solver", ["newton-cg", "lbfgs", "gd", "fista", "sgd"])
def test_memory_estimate_bounds_what_a_fit_allocates(solver, monkeypatch):
    # The estimate against the peak that tracemalloc sees during the fit.
    estimates = []
    fit_bytes = memory.fit_bytes

    def spy(**kwargs):
        estimates.append(fit_bytes(**kwargs))
        return estimates[-1]

    monkeypatch.setattr(memory, "fit_bytes", spy)
    for module in (numpy_backend, numpy_objective):  # the threads: two
        monkeypatch.setattr(module, "available_cpus", lambda: 2)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20_000, 5)), rng.integers(0, 500, 20_000)
    clf = SoftmaxRegression(solver=solver, max_iter=3)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= estimates[0] <= 8 * peak


def test_cv_refused_before_its_parallel_fold_fits(memory_of, monkeypatch):
    # Memory for two fold fits but not for the three that n_jobs=3 runs at
    # once: refused before any fold is fitted (each fold's own check would
    # pass), the estimator left as it was.
    cv = SoftmaxRegressionCV(Cs=2, cv=3).fit(X_BASE, Y).set_params(n_jobs=3)
    before = dict(vars(cv))
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((3000, 5)), rng.integers(0, 200, 3000)
    figures = []
    fit_bytes = memory.fit_bytes
    monkeypatch.setattr(memory, "fit_bytes", lambda **kw: figures.append(kw) or GiB**3)

    def no_fold_fits(*args, **kwargs):
        raise AssertionError("a fold was fitted")

    monkeypatch.setattr(_cv, "fold_path", no_fold_fits)
    memory_of(64 * GiB)
    with pytest.raises(MemoryError):  # records the count of one fold's fit
        cv.fit(X, y)
    assert figures[0]["n_samples"] == 2000  # the training part, not all 3000
    one_fold = fit_bytes(**figures[0])
    monkeypatch.setattr(memory, "fit_bytes", fit_bytes)
    memory_of(2 * one_fold)
    with pytest.raises(MemoryError, match=r"3 fits at once, each 200 classes"):
        cv.fit(X, y)
    assert vars(cv).keys() == before.keys()
    np.testing.assert_array_equal(cv.coef_, before["coef_"])


def test_available_memory_is_known_here():
    n = memory.available_memory()
    assert n is None or n > 2**20
    assert memory.format_bytes(7.3 * 2**40) == "7.3 TiB"
