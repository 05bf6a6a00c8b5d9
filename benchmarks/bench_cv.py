"""Cross-validation benchmark: SoftmaxRegressionCV against LogisticRegressionCV.

Both estimators search the same values of ``C`` (the data-driven path of
``SoftmaxRegressionCV(Cs=10)``, passed to both as a list) on the same folds,
with their default ``tol=1e-4`` and ``max_iter=100``, refit on the best value
and are scored on a held-out test set. Two problems: standardised digits with
the L2 penalty (``LogisticRegressionCV``'s default solver, lbfgs, and its
fastest L2 solver on this problem, newton-cg), and a text-like CSR problem
made as in ``bench_l1.py`` (3,000 × 1,000, 5 classes) with the L1 penalty
(saga, scikit-learn's only multinomial L1 solver). Reported: fit time (best
of 3 fits on digits, one on the text-like problem), the chosen ``C``, the
mean cross-validated log loss at it, the test log loss of the refitted model
and the time ratio.

Run ``python benchmarks/bench_cv.py`` (a few minutes); see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from _report import (
    cpu_snapshot,
    fmt_ratio,
    fmt_time,
    foreign_load,
    log,
    machine_info,
    write_report,
)
from bench_l1 import make_text_like
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_softmax import SoftmaxRegressionCV

TOL, MAX_ITER = 1e-4, 100  # both estimators' defaults
TEXT_SIZE = (3_000, 1_000, 5, 0.005)  # n_samples, n_features, classes, density


def problems():
    """``(name, X, y, l1_ratio, sklearn solvers, repeats)`` of each problem."""
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    yield "digits, L2", X, y, 0.0, ("lbfgs", "newton-cg"), 3
    # Smaller than bench_l1.py's quick problem: saga walks the path slowly.
    X, y = make_text_like(*TEXT_SIZE)
    yield "text-like CSR, L1", X, y, 1.0, ("saga",), 1


def sklearn_cv(solver, Cs, l1_ratio, folds):
    params = {}
    if l1_ratio > 0:
        params["l1_ratios"] = [l1_ratio]
        if LogisticRegressionCV().penalty != "deprecated":  # scikit-learn < 1.8
            params["penalty"] = "elasticnet"
    return LogisticRegressionCV(
        Cs=list(Cs),
        cv=folds,
        solver=solver,
        scoring="neg_log_loss",
        tol=TOL,
        max_iter=MAX_ITER,
        random_state=0,
        **params,
    )


def best_C(model) -> float:
    C = np.asarray(model.C_).ravel()
    return float(C[0])


def run(estimator, X_train, y_train, X_test, y_test, repeats):
    """Fit ``repeats`` times; best time, the model, warnings and test loss."""
    times, n_warnings = [], 0
    for _ in range(repeats):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            start = time.perf_counter()
            estimator.fit(X_train, y_train)
            times.append(time.perf_counter() - start)
        n_warnings = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    test_loss = log_loss(y_test, estimator.predict_proba(X_test))
    return min(times), n_warnings, test_loss


def cv_loss_at_best(model, is_ours) -> float:
    """Mean cross-validated log loss at the chosen ``C``."""
    if is_ours:
        scores = model.scores_[:, :, 0]  # (folds, Cs)
    else:
        scores = np.asarray(next(iter(model.scores_.values())))
        scores = scores.reshape(scores.shape[0], -1)  # (folds, Cs[× l1_ratios])
    return float(-scores.mean(axis=0).max())


def main(argv=None):
    argv = sys.argv if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output-dir", type=Path, default=Path(__file__).parent / "results"
    )
    args = parser.parse_args(argv[1:])
    start, snapshot = time.perf_counter(), cpu_snapshot()
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        for name, X, y, l1_ratio, solvers, repeats in problems():
            X_train, X_test, y_train, y_test = train_test_split(
                X, y, stratify=y, random_state=0
            )
            folds = StratifiedKFold(5, shuffle=True, random_state=0)
            ours = SoftmaxRegressionCV(
                Cs=10, l1_ratios=[l1_ratio], cv=folds, tol=TOL, max_iter=MAX_ITER
            )
            log(f"[{name}] ours")
            t_ours, w_ours, loss_ours = run(
                ours, X_train, y_train, X_test, y_test, repeats
            )
            Cs = ours.Cs_[:, 0]
            rows.append(
                f"| {name} | ours | {fmt_time(t_ours)} | {ours.C_:.3g} | "
                f"{cv_loss_at_best(ours, True):.4f} | {loss_ours:.4f} | {w_ours} | – |"
            )
            for solver in solvers:
                log(f"[{name}] LogisticRegressionCV({solver})")
                theirs = sklearn_cv(solver, Cs, l1_ratio, folds)
                t, w, loss = run(theirs, X_train, y_train, X_test, y_test, repeats)
                rows.append(
                    f"| {name} | LogisticRegressionCV({solver}) | {fmt_time(t)} | "
                    f"{best_C(theirs):.3g} | {cv_loss_at_best(theirs, False):.4f} | "
                    f"{loss:.4f} | {w} | **{fmt_ratio(t_ours, t)}** |"
                )
    total = time.perf_counter() - start
    load = foreign_load(snapshot, cpu_snapshot())
    lines = [
        "# Cross-validation benchmark",
        "",
        *machine_info(argv),
        "- BLAS limited to 1 thread (threadpoolctl) for both; n_jobs=None",
        f"- total time of the run: {total:.0f} s; other processes used "
        f"{load:.2f} cores on average meanwhile",
        "",
        "Same 10 values of C (ours: the data-driven path of `Cs=10`, passed to "
        "LogisticRegressionCV as a list), same 5 stratified folds of 75% of the "
        f"data, tol={TOL:g}, max_iter={MAX_ITER}, scoring neg_log_loss, refit "
        "on the best C; fit time best of 3 (digits) or 1 (text-like); test log "
        "loss on the "
        "other 25%. Digits: L2; text-like CSR: L1 (l1_ratio=1).",
        "",
        "| problem | estimator | fit | C_ | CV log loss at C_ | test log loss "
        "| ConvergenceWarnings | ours / theirs |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    write_report(lines, args.output_dir, "cv", total)


if __name__ == "__main__":
    main()
