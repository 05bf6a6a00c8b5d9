"""Default fits with an L1 part (fista): relative suboptimality across C.

For the multiclass bundled data sets (iris, wine, digits; raw and
standardised), every ``C`` of a grid from 1e-2 to 1e3 and ``l1_ratio`` in
{0.5, 1}, fits ``SoftmaxRegression(C=C, l1_ratio=r)`` (``solver="auto"``,
which is fista with an L1 part) at the default ``tol`` and at tighter ones,
side by side, and reports the relative suboptimality ``(F − F*) / F*`` of

    F = C Σ_n ℓ_n + ½ (1 − r) ‖W‖²_F + r ‖W‖₁

computed here from ``predict_log_proba`` and ``coef_`` (``coef_`` is ``W``
itself for three classes or more; breast_cancer, binary, is left out because
its ``coef_`` is ``w₁ − w₀``), ``F*`` the smallest ``F`` of a fit at
``tol=1e-10`` (``max_iter`` 20,000) and of every fit of the run, with the
iterations and fit times.

Run ``python benchmarks/bench_defaults_l1.py`` (about 5 minutes on 2 cores).
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
    fmt_time,
    foreign_load,
    log,
    machine_info,
    write_report,
)
from bench_defaults import bundled_problems, objective
from threadpoolctl import threadpool_limits

from sklearn_softmax import SoftmaxRegression

DEFAULT = 1e-4
TOLS = (DEFAULT, 1e-6, 1e-8)
REFERENCE_TOL, REFERENCE_MAX_ITER = 1e-10, 20_000
TARGET = 1e-6
CS = np.logspace(-2, 3, 6)
L1_RATIOS = (0.5, 1.0)
#: The multiclass bundled data sets (breast_cancer's binary ``coef_`` gives no
#: ``‖W‖₁`` of the K = 2 softmax).
BASES = ("iris", "wine", "digits")


def fit(X, y, C, r, tol, max_iter=100):
    clf = SoftmaxRegression(C=C, l1_ratio=r, tol=tol, max_iter=max_iter)
    start = time.perf_counter()
    clf.fit(X, y)
    return clf, time.perf_counter() - start


def measure(name, X, y):
    """Rows of one problem and, per tol, the fits that miss the target."""
    rows, misses = [], dict.fromkeys(TOLS, 0)
    for r in L1_RATIOS:
        for C in CS:
            log(f"[{name}] l1_ratio={r:g} C={C:g}")
            ref, _ = fit(X, y, C, r, REFERENCE_TOL, REFERENCE_MAX_ITER)
            fits = {tol: fit(X, y, C, r, tol) for tol in TOLS}
            values = {tol: objective(clf, X, y, C, r) for tol, (clf, _) in fits.items()}
            f_star = min(objective(ref, X, y, C, r), *values.values())
            cells = []
            for tol, (clf, seconds) in fits.items():
                gap = (values[tol] - f_star) / f_star
                misses[tol] += gap > TARGET
                mark = "" if gap <= TARGET else " ✗"
                cells.append(f"{gap:.1e}{mark} | {clf.n_iter_} | {fmt_time(seconds)}")
            rows.append(
                f"| {name} | {r:g} | {C:g} | "
                + " | ".join(cells)
                + f" | {ref.n_iter_} |"
            )
    return rows, misses


def main(argv=None):
    argv = sys.argv if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=None)
    parser.add_argument(
        "--output-dir", type=Path, default=Path(__file__).parent / "results"
    )
    args = parser.parse_args(argv[1:])
    warnings.simplefilter("ignore")  # ConvergenceWarnings of the loose fits
    start, snapshot = time.perf_counter(), cpu_snapshot()
    rows, summary = [], []
    with threadpool_limits(limits=1, user_api="blas"):
        for name, X, y in bundled_problems(args.problems, BASES):
            r, misses = measure(name, X, y)
            rows += r
            n = len(L1_RATIOS) * len(CS)
            summary.append(
                f"| {name} | " + " | ".join(f"{misses[t]} / {n}" for t in TOLS) + " |"
            )
    seconds = time.perf_counter() - start
    load = foreign_load(snapshot, cpu_snapshot())
    head = " | ".join(f"tol={t:g}: gap | n_iter | time" for t in TOLS)
    lines = [
        "# Default stopping rule with an L1 part (fista)",
        "",
        *machine_info(argv),
        "- BLAS limited to 1 thread (threadpoolctl)",
        f"- total time of the run: {seconds:.0f} s; other processes used "
        f"{load:.2f} cores on average meanwhile (the machine is shared: "
        "times are noisy)",
        "",
        f"`SoftmaxRegression(C=C, l1_ratio=r, tol=tol)`, solver `auto` (fista), "
        f"max_iter 100; gap: relative suboptimality against a "
        f"tol={REFERENCE_TOL:g} fit with max_iter {REFERENCE_MAX_ITER} (✗ above "
        f"{TARGET:g}); one fit each.",
        "",
        f"## Fits above {TARGET:g} per problem",
        "",
        "| problem | " + " | ".join(f"tol={t:g}" for t in TOLS) + " |",
        "|---|" + "---|" * len(TOLS),
        *summary,
        "",
        "## Every fit",
        "",
        f"| problem | l1_ratio | C | {head} | reference n_iter |",
        "|---|---|---|" + "---|---|---|" * len(TOLS) + "---|",
        *rows,
        "",
    ]
    write_report(lines, args.output_dir, "defaults-l1", seconds)


if __name__ == "__main__":
    main()
