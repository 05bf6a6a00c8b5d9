"""Sparse models from a stream: the L1 part of ``bench_stream.py``.

Two problems, each fitted once in batch (``SoftmaxRegression(C, l1_ratio)``,
tight ``tol``) and streamed with ``partial_fit`` for ``PASSES`` passes with
``C / PASSES`` (so that the stream approaches the batch fit), in chunks of
``CHUNK`` rows, in a new random order each pass:

* ``noise``: 6,000 rows, 3 classes, 50 standard normal features of which 45
  are pure noise (the 5 others carry the softmax model's coefficients),
  ``C = 1e-3``;
* ``text``: 8,000 rows, 4 classes, 2,000 binary features with Zipf
  frequencies (30 draws per row, as word counts clipped at 1), of which 40
  among the 200 most frequent carry the coefficients; a CSR matrix,
  ``C = 0.03``.

For each ``learning_rate`` (and ``eta0``), over ``seeds`` orders of the
stream: the exact zeros of ``coef_`` as a share of the batch fit's, and the
test log loss (8,000 or 6,000 fresh rows of the same model) over the batch
fit's. Targets: ≥ 90% of the zeros, log loss within 2%.

:func:`ftrl_grid_report` measures the same for FTRL over a grid of ``η₀``
and of the decay ``γ`` of its reported average (the choice of
``eta0="auto"`` and of ``FTRL_AVERAGE_DECAY``).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import scipy.sparse as sp
from _report import log
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss

import sklearn_softmax._solvers._ftrl as ftrl
from sklearn_softmax import SoftmaxRegression

PASSES, CHUNK = 3, 1_000
#: (learning_rate, eta0) streamed; "auto" resolves by the penalty.
METHODS = (
    ("adagrad", "auto"),
    ("adagrad", 1.0),
    ("ftrl", "auto"),
    ("ftrl", 1.0),
    ("ftrl", 3.0),
)


def noise_problem(seed: int = 0, n: int = 6_000):
    """Train and test rows: 5 informative features of 50, 3 classes."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2 * n, 50))
    W = np.zeros((50, 3))
    W[:5] = 1.5 * rng.normal(size=(5, 3))
    y = (X @ W + rng.gumbel(size=(2 * n, 3))).argmax(axis=1)
    return X[:n], y[:n], X[n:], y[n:]


def text_problem(seed: int = 0, n: int = 8_000, M: int = 2_000, K: int = 4):
    """Train and test rows of binary Zipf-distributed features (CSR)."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, M + 1) ** 1.1
    rows = np.repeat(np.arange(2 * n), 30)
    cols = rng.choice(M, size=rows.size, p=p / p.sum())
    X = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(2 * n, M))
    X.sum_duplicates()
    X.data[:] = 1.0
    W = np.zeros((M, K))
    W[rng.choice(200, 40, replace=False)] = 1.5 * rng.normal(size=(40, K))
    y = (X @ W + rng.gumbel(size=(2 * n, K))).argmax(axis=1)
    return X[:n], y[:n], X[n:], y[n:]


PROBLEMS = {"noise": (noise_problem, 1e-3), "text": (text_problem, 0.03)}


def stream(X, y, C, l1_ratio, learning_rate, eta0, seed):
    """``PASSES`` passes of ``partial_fit`` in chunks, a new order each pass."""
    clf = SoftmaxRegression(
        C=C / PASSES, l1_ratio=l1_ratio, learning_rate=learning_rate, eta0=eta0
    )
    rng, classes = np.random.default_rng(seed), np.unique(y)
    for _ in range(PASSES):
        order = rng.permutation(y.shape[0])
        for start in range(0, y.shape[0], CHUNK):
            rows = order[start : start + CHUNK]
            clf.partial_fit(X[rows], y[rows], classes=classes)
    return clf


def batch_fit(name: str, l1_ratio: float):
    """The problem's rows, its ``C`` and the tight batch fit."""
    make, C = PROBLEMS[name]
    X, y, X_test, y_test = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        batch = SoftmaxRegression(C=C, l1_ratio=l1_ratio, tol=1e-8, max_iter=2000)
        batch.fit(X, y)
    return (X, y, X_test, y_test), C, batch


def against_batch(data, C, batch, l1_ratio, learning_rate, eta0, seeds) -> str:
    """The table cells of one method: zeros and log loss over the batch fit's."""
    X, y, X_test, y_test = data
    zeros = (batch.coef_ == 0).sum()
    loss = log_loss(y_test, batch.predict_proba(X_test))
    shares, ratios = [], []
    for seed in range(seeds):
        clf = stream(X, y, C, l1_ratio, learning_rate, eta0, seed)
        shares.append((clf.coef_ == 0).sum() / zeros)
        ratios.append(log_loss(y_test, clf.predict_proba(X_test)) / loss)
    met = min(shares) >= 0.9 and max(ratios) <= 1.02
    return (
        f"| {np.mean(shares):.3f} | {min(shares):.3f} "
        f"| {np.mean(ratios):.4f} | {max(ratios):.4f}{' (met)' if met else ''} |"
    )


def compare(name: str, l1_ratio: float, seeds: int) -> list[str]:
    """Table rows of one problem and ``l1_ratio``: every method against batch."""
    data, C, batch = batch_fit(name, l1_ratio)
    zeros = int((batch.coef_ == 0).sum())
    loss = log_loss(data[3], batch.predict_proba(data[2]))
    rows = [
        f"| {name} | {l1_ratio:g} | batch fit | {zeros} of {batch.coef_.size} "
        f"| 1 | {loss:.4f} | 1 |"
    ]
    for learning_rate, eta0 in METHODS:
        cells = against_batch(data, C, batch, l1_ratio, learning_rate, eta0, seeds)
        rows.append(f"| {name} | {l1_ratio:g} | `{learning_rate}`, eta0={eta0} {cells}")
        log(f"{name} l1_ratio={l1_ratio}: {rows[-1]}")
    return rows


def ftrl_grid_report(etas, decays, seeds: int = 5) -> list[str]:
    """FTRL over ``η₀ × γ`` (``γ``: ``FTRL_AVERAGE_DECAY``, set for the run)."""
    rows, default = [], ftrl.FTRL_AVERAGE_DECAY
    try:
        for name, l1_ratio in itertools.product(PROBLEMS, (1.0, 0.5)):
            data, C, batch = batch_fit(name, l1_ratio)
            for eta0, decay in itertools.product(etas, decays):
                ftrl.FTRL_AVERAGE_DECAY = decay
                cells = against_batch(data, C, batch, l1_ratio, "ftrl", eta0, seeds)
                rows.append(f"| {name} | {l1_ratio:g} | {eta0:g} | {decay:g} {cells}")
                log(rows[-1])
    finally:
        ftrl.FTRL_AVERAGE_DECAY = default
    return [
        "## FTRL: base step and decay of the reported average",
        "",
        f"As the L1 streams above ({PASSES} passes, {seeds} orders), "
        "`learning_rate='ftrl'` with each `eta0` and decay `γ` of the "
        f"average (weight `(γ + 1) / (t + γ)`; the package's: {default:g}).",
        "",
        "| problem | l1_ratio | eta0 | γ | zeros / batch (mean) | (worst) "
        "| test log loss / batch (mean) | (worst) |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]


def sparse_report(seeds: int = 5) -> list[str]:
    """The markdown section of the L1 streams."""
    rows = [
        row
        for name in PROBLEMS
        for l1_ratio in (1.0, 0.5)
        for row in compare(name, l1_ratio, seeds)
    ]
    return [
        "## Sparse models from a stream (L1)",
        "",
        f"Each problem fitted in batch (`tol=1e-8`) and streamed {PASSES} passes "
        f"with `C / {PASSES}` in chunks of {CHUNK:,} rows (batches of 32), over "
        f"{seeds} orders of the stream; zeros: exact zeros of `coef_` over the "
        "batch fit's (mean, worst), test log loss over the batch fit's (mean, "
        "worst; '(met)': every order has ≥ 0.9 of the zeros and a ratio ≤ 1.02). "
        "`noise`: 6,000 × 50 dense, 45 pure-noise features, 3 classes, C = 1e-3; "
        "`text`: 8,000 × 2,000 CSR, binary Zipf features, 40 informative, 4 "
        "classes, C = 0.03.",
        "",
        "| problem | l1_ratio | method | zeros / batch (mean) | (worst) "
        "| test log loss / batch (mean) | (worst) |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
