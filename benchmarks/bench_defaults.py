"""Default stopping rule: suboptimality and time of default fits across C.

For every problem and every ``C`` of a grid from 1e-2 to 1e3, fits
``SoftmaxRegression(C=C)`` (``solver="auto"``, everything else at its
default) under four rules, side by side in one run:

- *today*: newton-cg's rule before the decrement test, ``max |∇F| ≤ tol`` at
  ``tol=1e-4`` (``NewtonCG.decrement_test = False``);
- *new*: the default rule, ``max |∇F| ≤ tol`` and the Newton decrement's
  gap estimate ``≤ tol² |F|``, at ``tol=1e-4``;
- *new-half*: the same with CG's forcing term ½ to the end (not
  ``NewtonCG.final_forcing`` once ``max |∇F| ≤ tol``);
- *cheapest*: today's rule at the largest ``tol`` of 1e-4, 1e-5, …, 1e-10
  whose fit reaches the target (1e-6): the cheapest converged fit today's
  rule gives, a time reference where today's default stops after one step.

For each it reports the relative suboptimality ``(F − F*) / F*`` of the L2
objective ``F = C Σ_n ℓ_n + ½ ‖W‖²_F`` (computed here from
``predict_log_proba`` and ``coef_``, not from the solver's own numbers),
``F*`` the smallest ``F`` of a reference fit at ``tol=1e-12`` and of every fit
of the run, the fit time (median of ``--repeats``), and the new rule's time
over today's and over the cheapest's (and new-half's over today's).

Problems: the bundled data sets (iris, wine, breast_cancer, digits), raw and
standardised, and the problems of ``bench_fit.py`` at ``--scale``.

Then, on standardised wine, what the rule changes in model selection: the C
that ``GridSearchCV`` picks (log loss, 5 folds, 30 values of C) under each
rule and at ``tol=1e-10``, and how far ``SoftmaxRegressionCV``'s refit at its
``C_`` is from a tight fit at ``C_``.

Run ``python benchmarks/bench_defaults.py`` (about 15 minutes on 2 cores), or
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
from sklearn_softmax._solvers._newton_cg import NewtonCG

TODAY = 1e-4  # the default tol
GRID = tuple(10.0**-e for e in range(4, 11))  # today's rule's tols, loosest first
RULES = ("today", "new", "new-half", "cheapest")
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


def bundled_problems(names, bases=tuple(BUNDLED)):
    """``(name, X, y)`` of the bundled data sets ``bases``, raw and standardised."""
    for base in bases:
        loader = BUNDLED[base]
        X, y = loader(return_X_y=True)
        for kind, Xk in (("raw", X), ("std", StandardScaler().fit_transform(X))):
            name = f"{base}-{kind}"
            if names is None or name in names:
                yield name, Xk, y


def objective(clf: SoftmaxRegression, X, y, C: float, l1_ratio: float = 0.0) -> float:
    """``C Σ ℓ_n + ½ (1 − ρ) ‖W‖²_F + ρ ‖W‖₁`` of a fitted model, from its predictions.

    For two classes (L2 only) ``coef_`` is ``w₁ − w₀`` with ``w₁ = −w₀`` at
    an L2 solution, so ``‖W‖²_F = ‖coef_‖² / 2``.
    """
    log_proba = clf.predict_log_proba(X)
    index = np.searchsorted(clf.classes_, y)
    loss = -float(log_proba[np.arange(len(y)), index].sum())
    W = np.asarray(clf.coef_, dtype=np.float64)
    squared = float((W**2).sum())
    if len(clf.classes_) == 2:
        if l1_ratio:
            raise ValueError("two classes: coef_ gives no ‖W‖₁ of the K = 2 softmax")
        squared /= 2
    return C * loss + 0.5 * (1 - l1_ratio) * squared + l1_ratio * float(np.abs(W).sum())


class Rule:
    """Context: newton-cg's stopping rule, ``"today"``, ``"new"`` or ``"new-half"``.

    ``"new-half"``: the new rule with CG's forcing term ½ to the end, not
    ``NewtonCG.final_forcing`` once ``max |g| ≤ tol``.
    """

    def __init__(self, name: str):
        self.decrement_test = name != "today"
        self.final = NewtonCG.forcing if name == "new-half" else None

    def __enter__(self):
        self.saved = NewtonCG.decrement_test, NewtonCG.final_forcing
        NewtonCG.decrement_test = self.decrement_test
        if self.final is not None:
            NewtonCG.final_forcing = self.final

    def __exit__(self, *exc):
        NewtonCG.decrement_test, NewtonCG.final_forcing = self.saved


def timed_fit(X, y, C: float, tol: float, repeats: int, name: str = "new"):
    """The last of ``repeats`` fits under rule ``name`` and their median time."""
    times = []
    with Rule(name):
        for _ in range(repeats):
            clf = SoftmaxRegression(C=C, tol=tol)
            start = time.perf_counter()
            clf.fit(X, y)
            times.append(time.perf_counter() - start)
    return clf, float(np.median(times))


def cheapest(X, y, C: float, f_ref: float, repeats: int):
    """Today's rule at the largest tol of ``GRID`` within the target of ``f_ref``.

    Each tol is tried with one fit; the one that reaches the target (or the
    last) is timed over ``repeats``. ``f_ref``: the reference fit's F.
    """
    for tol in GRID:
        clf, _ = timed_fit(X, y, C, tol, 1, "today")
        if (objective(clf, X, y, C) - f_ref) / f_ref <= TARGET:
            break
    clf, seconds = timed_fit(X, y, C, tol, repeats, "today")
    return clf, seconds, tol


def measure(name, X, y, repeats):
    """Table rows and, per rule, the largest gap and the total time."""
    rows = []
    worst, total = dict.fromkeys(RULES, 0.0), dict.fromkeys(RULES, 0.0)
    for C in CS:
        log(f"[{name}] C={C:g}")
        ref = SoftmaxRegression(C=C, tol=REFERENCE_TOL, max_iter=REFERENCE_MAX_ITER)
        ref.fit(X, y)
        f_ref = objective(ref, X, y, C)
        fits, times = {}, {}
        fits["today"], times["today"] = timed_fit(X, y, C, TODAY, repeats, "today")
        for r in ("new", "new-half"):
            fits[r], times[r] = timed_fit(X, y, C, TODAY, repeats, r)
        fits["cheapest"], times["cheapest"], tol = cheapest(X, y, C, f_ref, repeats)
        values = {r: objective(clf, X, y, C) for r, clf in fits.items()}
        f_star = min(f_ref, *values.values())
        cells = []
        for r in RULES:
            gap = (values[r] - f_star) / f_star
            worst[r] = max(worst[r], gap)
            total[r] += times[r]
            mark = "" if gap <= TARGET else " ✗"
            cells.append(f"{gap:.1e}{mark} | {fits[r].n_iter_} | {fmt_time(times[r])}")
        rows.append(
            f"| {name} | {C:g} | " + " | ".join(cells) + f" | {tol:g} | "
            f"{fmt_ratio(times['new'], times['today'])} | "
            f"{fmt_ratio(times['new'], times['cheapest'])} | "
            f"{fmt_ratio(times['new-half'], times['today'])} |"
        )
    return rows, worst, total


def model_selection():
    """Rows on standardised wine: GridSearchCV's C and the CV refit's gap."""
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    grid = {"C": np.logspace(-2, 3, 30)}
    rows = []
    for name, tol in (("today", TODAY), ("new", TODAY), ("today", 1e-10)):
        log(f"[model selection] {name} tol={tol:g}")
        with Rule(name):
            search = GridSearchCV(
                SoftmaxRegression(tol=tol), grid, cv=folds, scoring="neg_log_loss"
            ).fit(X, y)
            cv = SoftmaxRegressionCV(Cs=12, cv=folds, tol=tol).fit(X, y)
        tight = SoftmaxRegression(C=cv.C_, tol=REFERENCE_TOL, max_iter=1000)
        tight.fit(X, y)
        f_cv, f_tight = objective(cv, X, y, cv.C_), objective(tight, X, y, cv.C_)
        rows.append(
            f"| {name}, tol={tol:g} | {search.best_params_['C']:.4g} | "
            f"{cv.C_:.4g} | {(f_cv - f_tight) / f_tight:.1e} | "
            f"{np.max(np.abs(cv.coef_ - tight.coef_)):.1e} |"
        )
    return rows


def main(argv=None):
    argv = sys.argv if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--problems", nargs="+", default=None)
    parser.add_argument("--skip-bench", action="store_true")
    parser.add_argument(
        "--output-dir", type=Path, default=Path(__file__).parent / "results"
    )
    args = parser.parse_args(argv[1:])
    warnings.simplefilter("ignore")  # ConvergenceWarnings of the loose fits
    start, snapshot = time.perf_counter(), cpu_snapshot()
    rows, summary = [], []
    problems = list(bundled_problems(args.problems))
    if not args.skip_bench:
        names = [p for p in PROBLEMS if args.problems is None or p in args.problems]
        problems += [(p.name, p.X, p.y) for p in make_problems(names, args.scale)]
    with threadpool_limits(limits=1, user_api="blas"):
        for name, X, y in problems:
            r, worst, total = measure(name, X, y, args.repeats)
            rows += r
            summary.append(
                f"| {name} | "
                + " | ".join(f"{worst[t]:.1e}" for t in RULES)
                + f" | {fmt_ratio(total['new'], total['today'])} | "
                f"{fmt_ratio(total['new'], total['cheapest'])} | "
                f"{fmt_ratio(total['new-half'], total['today'])} |"
            )
        selection = model_selection()
    seconds = time.perf_counter() - start
    load = foreign_load(snapshot, cpu_snapshot())
    head = " | ".join(f"{r}: gap | n_iter | time" for r in RULES)
    lines = [
        "# Default stopping rule across C",
        "",
        *machine_info(argv),
        "- BLAS limited to 1 thread (threadpoolctl)",
        f"- total time of the run: {seconds:.0f} s; other processes used "
        f"{load:.2f} cores on average meanwhile (the machine is shared: "
        "times are noisy, ratios measured side by side)",
        "",
        f"`SoftmaxRegression(C=C, tol=tol)`, solver `auto` (newton-cg), max_iter "
        f"100. today: `max |∇F| ≤ tol` at tol={TODAY:g}; new: the default rule "
        f"(also the Newton decrement's gap estimate ≤ tol² |F|, CG's forcing term "
        f"{NewtonCG.final_forcing:g} once max |∇F| ≤ tol) at tol={TODAY:g}; "
        f"new-half: the same with the forcing term ½ throughout; "
        f"cheapest: today's rule at the largest tol of {GRID[0]:g} … {GRID[-1]:g} "
        f"that reaches the target. gap: relative suboptimality against a "
        f"tol={REFERENCE_TOL:g} fit (✗ above {TARGET:g}); new/today, "
        f"new/cheapest: time ratios; median of {args.repeats} fits; bench_fit "
        f"problems at scale {args.scale:g}.",
        "",
        "## Largest gap and total time ratio per problem",
        "",
        "| problem | today: worst gap | new: worst gap | "
        "new-half: worst gap | cheapest: worst gap | time new/today | "
        "time new/cheapest | "
        "time new-half/today |",
        "|---|---|---|---|---|---|---|---|",
        *summary,
        "",
        "## Model selection on standardised wine",
        "",
        "| rule | GridSearchCV's C (30 values) | SoftmaxRegressionCV's C_ | "
        "refit's gap at C_ | refit's max abs coef difference |",
        "|---|---|---|---|---|",
        *selection,
        "",
        "## Every fit",
        "",
        f"| problem | C | {head} | cheapest's tol | new/today | new/cheapest | "
        "new-half/today |",
        "|---|---|" + "---|---|---|" * len(RULES) + "---|---|---|---|",
        *rows,
        "",
    ]
    write_report(lines, args.output_dir, "defaults", seconds)


if __name__ == "__main__":
    main()
