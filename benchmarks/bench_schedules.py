"""The learning-rate schedules of ``partial_fit`` on digits: the table behind
the default (``sklearn_softmax/_solvers/_online.py``) and the out-of-core
Newton steps (``learning_rate="newton"``, ``_online_newton.py``), shown in
``docs/performance.rst``, section "Measured design choices".

Digits, standardised (the scaler fitted on the training part), a stratified
3/4 train split (``random_state=0``). For each schedule, ``E`` passes over
the training rows, reshuffled every pass, fed to ``partial_fit`` in chunks of
``--chunk-size`` rows with ``batch_size=--batch-size`` and ``C = 1 / E`` (the
stream then approaches ``fit`` with ``C = 1``). Reported: the test log loss
of the streamed model over that of ``SoftmaxRegression(C=1)`` fitted on the
training rows (to ``tol=1e-8``), mean and largest over ``--shuffles``
shuffle seeds, and the mean time of a pass. ``"newton"`` takes one step per
window of ``batch_size`` rows, here every training row: one step per pass.

For scale, the same ratio for ``fit`` stopped after ``E`` iterations of the
full-batch solvers (``max_iter=E``; ``"sgd"`` with ``--batch-size`` and
seeds ``0 .. --shuffles − 1``): ``E`` passes over the data for ``"gd"``,
``"lbfgs"`` and ``"sgd"`` (one evaluation per iteration, or one epoch), many
more for ``"newton-cg"``, whose iterations each take a few Hessian products.

Run ``python benchmarks/bench_schedules.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_softmax import SoftmaxRegression

SCHEDULES = [  # (learning_rate, eta0)
    ("adagrad", "auto"),
    ("adagrad", 0.1),
    ("adagrad", 1.0),
    ("constant", "auto"),
    ("constant", 0.3),
    ("constant", 1.0),
    ("invscaling", 1.0),
    ("optimal", "auto"),
    ("adaptive", 0.3),
    ("newton", None),
]

FULL_BATCH = ["gd", "lbfgs", "sgd", "newton-cg"]


def digits_split():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def stream(model, X, y, epochs, chunk_size, seed):
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    for _ in range(epochs):
        order = rng.permutation(y.shape[0])
        for start in range(0, y.shape[0], chunk_size):
            rows = order[start : start + chunk_size]
            model.partial_fit(X[rows], y[rows], classes=classes)
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--chunk-size", type=int, default=128)
    parser.add_argument("--shuffles", type=int, default=8)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    X_train, X_test, y_train, y_test = digits_split()
    with threadpool_limits(limits=1, user_api="blas"):
        full = SoftmaxRegression(C=1.0, tol=1e-8, max_iter=1000).fit(X_train, y_train)
        reference = log_loss(y_test, full.predict_proba(X_test))
        header = " | ".join(f"{e} passes" for e in args.epochs)
        print(f"| schedule | eta0 (newton: batch_size) | {header} | time per pass |")
        print("|---|---|" + "---|" * (len(args.epochs) + 1))
        for learning_rate, eta0 in SCHEDULES:
            cells, passes, t0 = [], 0, time.perf_counter()
            newton = learning_rate == "newton"
            for epochs in args.epochs:
                ratios = []
                for seed in range(args.shuffles):
                    model = SoftmaxRegression(
                        C=1.0 / epochs,
                        batch_size=y_train.shape[0] if newton else args.batch_size,
                        learning_rate=learning_rate,
                        eta0="auto" if newton else eta0,
                    )
                    stream(model, X_train, y_train, epochs, args.chunk_size, seed)
                    ratios.append(log_loss(y_test, model.predict_proba(X_test)))
                    passes += epochs
                ratios = np.array(ratios) / reference
                cells.append(f"{ratios.mean():.3f} ({ratios.max():.3f})")
            per_pass = (time.perf_counter() - t0) / passes * 1e3
            eta0 = "rows of a pass" if newton else eta0
            print(
                f"| {learning_rate} | {eta0} | "
                + " | ".join(cells)
                + f" | {per_pass:.0f} ms |"
            )
        for solver in FULL_BATCH:
            cells = []
            for epochs in args.epochs:
                ratios = []
                for seed in range(args.shuffles if solver == "sgd" else 1):
                    model = SoftmaxRegression(
                        solver=solver,
                        max_iter=epochs,
                        batch_size=args.batch_size,
                        random_state=seed,
                    )
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", ConvergenceWarning)
                        model.fit(X_train, y_train)
                    ratios.append(log_loss(y_test, model.predict_proba(X_test)))
                ratios = np.array(ratios) / reference
                cells.append(f"{ratios.mean():.3f} ({ratios.max():.3f})")
            print(f"| fit, {solver} | max_iter=E | " + " | ".join(cells) + " | |")


if __name__ == "__main__":
    main()
