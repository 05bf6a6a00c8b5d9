"""Default stopping rule: suboptimality and time of default fits across C.

For every problem and every ``C`` of a grid from 1e-2 to 1e3, fits
``SoftmaxRegression(C=C)`` (``solver="auto"``, everything else at its
default) under today's default ``tol`` and under candidate values, side by
side in one run, and reports for each

- the relative suboptimality ``(F − F*) / F*`` of the L2 objective
  ``F = C Σ_n ℓ_n + ½ ‖W‖²_F`` (computed here from ``predict_log_proba`` and
  ``coef_``, not from the solver's own numbers), ``F*`` the smallest ``F`` of
  a reference fit at ``tol=1e-12`` and of every fit of the run;
- the fit time (median of ``--repeats``), and its ratio to today's.

Problems: the bundled data sets (iris, wine, breast_cancer, digits), raw and
standardised, and the problems of ``bench_fit.py`` at ``--scale``.

Then, on standardised wine, what the rule changes in model selection: the C
that ``GridSearchCV`` picks (log loss, 5 folds, 12 values of C) at each tol
and at ``tol=1e-10``, and how far ``SoftmaxRegressionCV``'s refit at its
``C_`` is from a tight fit at ``C_``.

Run ``python benchmarks/bench_defaults.py`` (about 10 minutes on 2 cores), or
``--problems iris-std wine-std --skip-bench`` for a subset.
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
from bench_fit import PROBLEMS, make_problems
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_softmax import SoftmaxRegression, SoftmaxRegressionCV

TODAY = 1e-4  # today's default tol
CANDIDATES = (1e-6, 1e-8)
REFERENCE_TOL = 1e-12
REFERENCE_MAX_ITER = 1000
TARGET = 1e-6
CS = np.logspace(-2, 3, 6)
BUNDLED = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
}


def bundled_problems(names):
    """``(name, X, y)`` of the bundled data sets, raw and standardised."""
    for base, loader in BUNDLED.items():
        X, y = loader(return_X_y=True)
        for kind, Xk in (("raw", X), ("std", StandardScaler().fit_transform(X))):
            name = f"{base}-{kind}"
            if names is None or name in names:
                yield name, Xk, y


def objective(clf: SoftmaxRegression, X, y, C: float) -> float:
    """``C Σ ℓ_n + ½ ‖W‖²_F`` of a fitted model, from its predictions.

    For two classes ``coef_`` is ``w₁ − w₀`` with ``w₁ = −w₀`` at an L2
    solution, so ``‖W‖²_F = ‖coef_‖² / 2``.
    """
    log_proba = clf.predict_log_proba(X)
    index = np.searchsorted(clf.classes_, y)
    loss = -float(log_proba[np.arange(len(y)), index].sum())
    squared = float((np.asarray(clf.coef_, dtype=np.float64) ** 2).sum())
    if len(clf.classes_) == 2:
        squared /= 2
    return C * loss + 0.5 * squared


def timed_fit(X, y, C: float, tol: float, repeats: int):
    """The last of ``repeats`` fits and their median time."""
    times = []
    for _ in range(repeats):
        clf = SoftmaxRegression(C=C, tol=tol)
        start = time.perf_counter()
        clf.fit(X, y)
        times.append(time.perf_counter() - start)
    return clf, float(np.median(times))


def measure(name, X, y, tols, repeats):
    """Table rows and, per tol, the largest gap and the total time."""
    rows, worst, total = [], dict.fromkeys(tols, 0.0), dict.fromkeys(tols, 0.0)
    for C in CS:
        log(f"[{name}] C={C:g}")
        ref = SoftmaxRegression(C=C, tol=REFERENCE_TOL, max_iter=REFERENCE_MAX_ITER)
        ref.fit(X, y)
        values, times = {}, {}
        for tol in tols:
            clf, times[tol] = timed_fit(X, y, C, tol, repeats)
            values[tol] = (objective(clf, X, y, C), clf.n_iter_)
        f_star = min([objective(ref, X, y, C)] + [v for v, _ in values.values()])
        cells = []
        for tol in tols:
            gap = (values[tol][0] - f_star) / f_star
            worst[tol] = max(worst[tol], gap)
            total[tol] += times[tol]
            mark = "" if gap <= TARGET else " ✗"
            cells.append(
                f"{gap:.1e}{mark} | {values[tol][1]} | {fmt_time(times[tol])} | "
                f"{fmt_ratio(times[tol], times[tols[0]])}"
            )
        rows.append(f"| {name} | {C:g} | " + " | ".join(cells) + " |")
    return rows, worst, total


def model_selection(tols):
    """Rows on standardised wine: GridSearchCV's C and the CV refit's gap."""
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    grid = {"C": np.logspace(-2, 3, 12)}
    rows = []
    for tol in [*tols, 1e-10]:
        log(f"[model selection] tol={tol:g}")
        search = GridSearchCV(
            SoftmaxRegression(tol=tol), grid, cv=folds, scoring="neg_log_loss"
        ).fit(X, y)
        cv = SoftmaxRegressionCV(Cs=12, cv=folds, tol=tol).fit(X, y)
        tight = SoftmaxRegression(C=cv.C_, tol=REFERENCE_TOL, max_iter=1000)
        tight.fit(X, y)
        f_cv, f_tight = objective(cv, X, y, cv.C_), objective(tight, X, y, cv.C_)
        rows.append(
            f"| {tol:g} | {search.best_params_['C']:.4g} | {cv.C_:.4g} | "
            f"{(f_cv - f_tight) / f_tight:.1e} | "
            f"{np.max(np.abs(cv.coef_ - tight.coef_)):.1e} |"
        )
    return rows


def main(argv=None):
    argv = sys.argv if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tols", type=float, nargs="+", default=list(CANDIDATES))
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--problems", nargs="+", default=None)
    parser.add_argument("--skip-bench", action="store_true")
    parser.add_argument(
        "--output-dir", type=Path, default=Path(__file__).parent / "results"
    )
    args = parser.parse_args(argv[1:])
    tols = [TODAY, *args.tols]
    warnings.simplefilter("ignore")  # ConvergenceWarnings of the loose fits
    start, snapshot = time.perf_counter(), cpu_snapshot()
    rows, summary = [], []
    problems = list(bundled_problems(args.problems))
    if not args.skip_bench:
        names = [p for p in PROBLEMS if args.problems is None or p in args.problems]
        problems += [(p.name, p.X, p.y) for p in make_problems(names, args.scale)]
    with threadpool_limits(limits=1, user_api="blas"):
        for name, X, y in problems:
            r, worst, total = measure(name, X, y, tols, args.repeats)
            rows += r
            summary.append(
                f"| {name} | "
                + " | ".join(
                    f"{worst[t]:.1e} | {fmt_ratio(total[t], total[TODAY])}"
                    for t in tols
                )
                + " |"
            )
    with threadpool_limits(limits=1, user_api="blas"):
        selection = model_selection(tols)
    seconds = time.perf_counter() - start
    load = foreign_load(snapshot, cpu_snapshot())
    head = " | ".join(f"tol={t:g}: gap | n_iter | time | ratio" for t in tols)
    lines = [
        "# Default stopping rule across C",
        "",
        *machine_info(argv),
        "- BLAS limited to 1 thread (threadpoolctl)",
        f"- total time of the run: {seconds:.0f} s; other processes used "
        f"{load:.2f} cores on average meanwhile (the machine is shared: "
        "times are noisy, ratios measured side by side)",
        "",
        f"`SoftmaxRegression(C=C, tol=tol)`, solver `auto`, max_iter 100; gap: "
        f"relative suboptimality against a tol={REFERENCE_TOL:g} fit (✗ above "
        f"{TARGET:g}); ratio: time over tol={TODAY:g}'s; median of "
        f"{args.repeats} fits; bench_fit problems at scale {args.scale:g}.",
        "",
        "## Largest gap and total time ratio per problem",
        "",
        "| problem | "
        + " | ".join(f"tol={t:g}: worst gap | time" for t in tols)
        + " |",
        "|---|" + "---|---|" * len(tols),
        *summary,
        "",
        "## Model selection on standardised wine",
        "",
        "| tol | GridSearchCV's C | SoftmaxRegressionCV's C_ | refit's gap "
        "at C_ | refit's max abs coef difference |",
        "|---|---|---|---|---|",
        *selection,
        "",
        "## Every fit",
        "",
        f"| problem | C | {head} |",
        "|---|---|" + "---|---|---|---|" * len(tols),
        *rows,
        "",
    ]
    write_report(lines, args.output_dir, "defaults", seconds)


if __name__ == "__main__":
    main()
