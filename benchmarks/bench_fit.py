"""Fit and evaluation benchmark: SoftmaxRegression against LogisticRegression.

Measures, on a few deterministic problems and in one run,

(a) time to a relative suboptimality of 1e-6 of the L2 objective at ``C=1`` for
    every solver of ours and every multinomial L2 solver of scikit-learn's
    ``LogisticRegression``;
(b) one loss + gradient evaluation of ours against bare numpy, against the two
    matrix products alone and against the machine's physical limit;
(c) the peak memory (tracemalloc) of one fit relative to the bytes of ``X``;
(d) float32 against float64, per evaluation and per fit, for ours.

Run ``python benchmarks/bench_fit.py --quick`` for a run of under two minutes;
see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from _report import (
    cpu_snapshot,
    fmt_ratio,
    fmt_time,
    foreign_load,
    log,
    machine_info,
    write_report,
)
from scipy.special import logsumexp
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._backends._inputs import combined_weights, encode_labels
from sklearn_softmax._objectives import SoftmaxObjective
from sklearn_softmax._penalties import ElasticNet
from sklearn_softmax._solvers import SOLVERS, get_solver

PROBLEMS = ("tall", "wide", "sparse", "digits")
SKLEARN_SOLVERS = ("lbfgs", "newton-cg", "newton-cholesky", "sag", "saga")
NEWTON_CHOLESKY_MAX_PARAMS = 5000  # n_features * n_classes above this: skipped
TARGET = 1e-6  # relative suboptimality to reach
TOL = 1e-14  # so tiny that only max_iter stops a fit
REFERENCE_TOL = 1e-10  # the tight solves that give f*
REFERENCE_MAX_ITER = 50  # sklearn needs <= 15 Newton steps here; ours may stall
MEMORY_MAX_ITER = 5  # iterations of a memory fit: the peak comes in the first
# The solver our default (solver="auto") runs for the L2 penalty.
DEFAULT_SOLVER = get_solver(SoftmaxRegression().solver, ElasticNet(1.0)).name


@dataclass
class Problem:
    """A classification problem: ``X`` (n_samples × n_features) and ``y``."""

    name: str
    X: np.ndarray | sp.sparray
    y: np.ndarray
    description: str
    n_classes: int = field(init=False)

    def __post_init__(self):
        self.n_classes = int(np.unique(self.y).shape[0])


@dataclass
class Search:
    """Outcome of the time-to-target search of one solver."""

    max_iter: int  # smallest passing max_iter found, or the last one tried
    reached: bool
    suboptimality: float  # at max_iter
    search_time: float  # seconds of all the fits of the search
    times: list[float] = field(default_factory=list)  # fits at max_iter
    error: str = ""


# --------------------------------------------------------------------------
# problems


def make_problems(names, scale):
    """Yield the problems named in ``names``, built one at a time.

    ``scale`` multiplies the number of samples of every problem but digits;
    the number of features is fixed. Every problem is deterministic.
    """
    builders = {
        "tall": _make_tall,
        "wide": _make_wide,
        "sparse": _make_sparse,
        "digits": _make_digits,
    }
    for name in names:
        yield builders[name](scale)


def _n_samples(base: int, scale: float) -> int:
    return max(200, round(base * scale))


def _make_tall(scale):
    X, y = make_classification(
        n_samples=_n_samples(200_000, scale),
        n_features=100,
        n_informative=50,
        n_redundant=10,
        n_classes=10,
        random_state=0,
    )
    desc = "dense tall: make_classification, 100 features (50 informative)"
    return Problem("tall", X, y, desc)


def _make_wide(scale):
    X, y = make_classification(
        n_samples=_n_samples(20_000, scale),
        n_features=2000,
        n_informative=100,
        n_redundant=0,
        n_classes=20,
        random_state=1,
    )
    desc = "dense wide: make_classification, 2,000 features (100 informative)"
    return Problem("wide", X, y, desc)


def _make_sparse(scale):
    n, m, k = _n_samples(100_000, scale), 50_000, 20
    rng = np.random.default_rng(2)
    X = sp.random_array((n, m), density=1e-3, format="csr", dtype=np.float64, rng=rng)
    W_true = rng.standard_normal((m, k))
    y = (X @ W_true + rng.gumbel(size=(n, k))).argmax(axis=1)
    desc = (
        "sparse CSR, 50,000 features, density 0.001, values U[0, 1), "
        "y = argmax(X W + Gumbel noise) with W ~ N(0, 1)"
    )
    return Problem("sparse", X, y, desc)


def _make_digits(scale):
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return Problem("digits", X, y, "load_digits, standardised (size fixed)")


def x_nbytes(X) -> int:
    """Bytes of ``X``: data + indices + indptr for sparse."""
    if sp.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


# --------------------------------------------------------------------------
# objective, fits and the time-to-target search


def objective_value(estimator, X, y, C=1.0) -> float:
    """``C Σ_n ℓ_n + ½ ‖coef‖²`` in float64, from ``coef_`` and ``intercept_``.

    Multiclass layout (``coef_`` K × M); the intercept is not penalised.
    """
    coef = np.asarray(estimator.coef_, dtype=np.float64)
    intercept = np.asarray(estimator.intercept_, dtype=np.float64)
    y_index = np.searchsorted(estimator.classes_, y)
    Z = np.asarray(X @ coef.T) + intercept
    losses = logsumexp(Z, axis=1) - Z[np.arange(Z.shape[0]), y_index]
    return C * float(losses.sum()) + 0.5 * float(np.vdot(coef, coef))


def make_estimator(impl, solver, max_iter, tol=TOL):
    """Ours (``impl="ours"``) or scikit-learn's, at ``C=1`` with L2."""
    cls = SoftmaxRegression if impl == "ours" else LogisticRegression
    return cls(C=1.0, solver=solver, tol=tol, max_iter=max_iter, random_state=0)


def timed_fit(estimator, X, y) -> float:
    """Seconds of ``estimator.fit(X, y)``, convergence warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        estimator.fit(X, y)
        return time.perf_counter() - start


def reference_objectives(problem, with_sklearn=True) -> dict[str, float]:
    """Objectives of the tight Newton-CG solves; f* is their minimum."""
    impls = ("ours", "sklearn") if with_sklearn else ("ours",)
    values = {}
    for impl in impls:
        est = make_estimator(impl, "newton-cg", REFERENCE_MAX_ITER, REFERENCE_TOL)
        timed_fit(est, problem.X, problem.y)
        values[impl] = objective_value(est, problem.X, problem.y)
    return values


def time_to_target(impl, solver, problem, f_star, budget, cap, rtol) -> Search:
    """Smallest ``max_iter`` reaching ``TARGET``: doubling, then bisection.

    Doubling (1, 2, 4, ...) stops at the first passing ``max_iter``; it gives up
    at ``cap`` or when the next fit would take the search past ``budget``
    seconds. Bisection between the last failing and the first passing value
    stops when their gap is at most ``max(1, rtol * passing)``, or at twice
    the budget (keeping the passing value found so far).
    """
    spent, lo, n = 0.0, 0, 1
    seen = {}  # max_iter -> (seconds, suboptimality)

    def passes(max_iter):
        nonlocal spent
        est = make_estimator(impl, solver, max_iter)
        t = timed_fit(est, problem.X, problem.y)
        spent += t
        sub = (objective_value(est, problem.X, problem.y) - f_star) / abs(f_star)
        seen[max_iter] = (t, sub)
        return sub <= TARGET

    try:
        while not passes(n):
            lo = n
            if n >= cap or spent + 2 * seen[n][0] > budget:
                return Search(n, False, seen[n][1], spent)
            n = min(2 * n, cap)
        hi = n
        while hi - lo > max(1, int(rtol * hi)) and spent + seen[hi][0] <= 2 * budget:
            mid = (lo + hi) // 2
            if passes(mid):
                hi = mid
            else:
                lo = mid
    except Exception as exc:  # a solver refusing the problem is a result too
        return Search(n, False, np.nan, spent, error=f"{type(exc).__name__}: {exc}")
    return Search(hi, True, seen[hi][1], spent, times=[seen[hi][0]])


def candidates(problem, skip_sklearn=False):
    """``(impl, solver, skip reason)``, interleaved: ours, theirs, ours, ..."""
    ours = [("ours", s, "") for s in SOLVERS]
    theirs = []
    n_params = problem.X.shape[1] * problem.n_classes
    for s in () if skip_sklearn else SKLEARN_SOLVERS:
        skip = ""
        if s == "newton-cholesky" and n_params > NEWTON_CHOLESKY_MAX_PARAMS:
            skip = f"skipped: {n_params:,} params > {NEWTON_CHOLESKY_MAX_PARAMS:,}"
        theirs.append(("sklearn", s, skip))
    out = []
    for i in range(max(len(ours), len(theirs))):
        out += ours[i : i + 1] + theirs[i : i + 1]
    return out


def time_fits(entries, repeats):
    """Fit each ``(estimator factory, X, y)`` ``repeats`` times, interleaved.

    Round by round: ours and scikit-learn's alternate within each round.

    Returns each entry's list of seconds and its last fitted estimator.
    """
    times = [[] for _ in entries]
    fitted = [None] * len(entries)
    for _ in range(repeats):
        for i, (factory, X, y) in enumerate(entries):
            fitted[i] = factory()
            times[i].append(timed_fit(fitted[i], X, y))
    return times, fitted


# --------------------------------------------------------------------------
# one evaluation and the physical limits


def our_objective(X, y):
    """The estimator's objective for ``X`` (N × M), built as ``fit`` builds it."""
    classes, y_index = encode_labels(y)
    s = combined_weights(None, None, classes, y_index)
    return SoftmaxObjective(X.T, y_index, classes.shape[0], s, True)


def bare_numpy(X, W, b, Y, rows, y_index):
    """Loss and gradient, plain: Z = XW + b, stable softmax, G = Xᵀ(S − Y)."""
    Z = X @ W
    Z += b
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    sums = Z.sum(axis=1, keepdims=True)
    loss = float(np.log(sums).sum() - np.log(Z[rows, y_index]).sum())
    Z /= sums
    Z -= Y
    return loss, X.T @ Z, Z.sum(axis=0)


def two_gemms(X, W, D):
    """The two products alone: ``X W`` and ``Xᵀ D``."""
    return X @ W, X.T @ D


def time_evaluation(problem, dtype, peaks, repeats):
    """Best-of-``repeats`` seconds of ours, bare numpy and two GEMMs; the limit.

    ``peaks`` holds the GEMM flop rate per dtype and the memory bandwidth; the
    limit is ``max(4 M N K / GEMM peak, bytes of X / bandwidth)``, with
    ``4 nnz K`` flops for sparse ``X``.
    """
    X = problem.X.astype(dtype, copy=False)
    n, m = X.shape
    k = problem.n_classes
    rng = np.random.default_rng(0)
    theta = (0.01 * rng.standard_normal((m + 1, k))).astype(dtype)
    W, b = theta[:m].copy(), theta[m].copy()
    rows, y_index = np.arange(n), np.searchsorted(np.unique(problem.y), problem.y)
    Y = np.zeros((n, k), dtype=dtype)
    Y[rows, y_index] = 1
    D = (rng.random((n, k)) - 0.5).astype(dtype)
    objective = our_objective(X, problem.y)

    def ours():
        # As in fit: BLAS on one thread, blocks on the objective's thread pool
        # (set up per call here, once per fit there).
        with objective.parallel():
            return objective.value_and_grad(theta.ravel())

    calls = {
        "ours": ours,
        "bare": lambda: bare_numpy(X, W, b, Y, rows, y_index),
        "gemms": lambda: two_gemms(X, W, D),
    }
    best = dict.fromkeys(calls, np.inf)
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            best[name] = min(best[name], time.perf_counter() - start)
    flops = 4 * (X.nnz if sp.issparse(X) else m * n) * k
    best["limit"] = max(flops / peaks[np.dtype(dtype).name], x_nbytes(X) / peaks["bw"])
    return best


def measure_peaks(repeats, size=2000, nbytes=400_000_000):
    """GEMM flop rate per dtype (square matmul) and memory bandwidth (bytes/s).

    The bandwidth is the best of a sum, a copy (read + write) and a threaded
    matrix-vector product over ``nbytes`` of float64.
    """
    rng = np.random.default_rng(0)
    peaks = {}
    for dtype in (np.float64, np.float32):
        A = rng.standard_normal((size, size)).astype(dtype)
        peaks[np.dtype(dtype).name] = 2 * size**3 / _best(lambda A=A: A @ A, repeats)
    x = np.ones(nbytes // 8)
    y = np.empty_like(x)
    A, v = x.reshape(-1, 1000), np.ones(1000)
    peaks["bw"] = max(
        nbytes / _best(x.sum, repeats),
        2 * nbytes / _best(lambda: np.copyto(y, x), repeats),
        nbytes / _best(lambda: A @ v, repeats),
    )
    return peaks


def _best(call, repeats):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


# --------------------------------------------------------------------------
# memory


def peak_memory(estimator, X, y) -> int:
    """Peak bytes allocated (tracemalloc) during ``estimator.fit(X, y)``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tracemalloc.start()
        try:
            estimator.fit(X, y)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


# --------------------------------------------------------------------------
# reporting


def best_time(search) -> float:
    """Minimum timed fit, or inf when the target was not reached."""
    ok = isinstance(search, Search) and search.reached and search.times
    return min(search.times) if ok else np.inf


def _cells(search) -> list[str]:
    """The max_iter and time cells of one solver."""
    if search is None:
        return ["–", "–"]
    if isinstance(search, str):  # skipped, with the reason
        return [search, "–"]
    if search.error:
        return ["error", search.error[:70].replace("|", "/")]
    if not search.reached:
        return [
            f"> {search.max_iter}",
            f"> budget (searched {search.search_time:.1f} s, "
            f"subopt {search.suboptimality:.0e})",
        ]
    return [str(search.max_iter), fmt_time(best_time(search))]


def table_time_to_target(searches) -> list[str]:
    """Side by side, one row per solver name: ours | scikit-learn | ratio."""
    lines = [
        "| solver | ours max_iter | ours time | sklearn max_iter | sklearn time "
        "| ours / sklearn |",
        "|---|---|---|---|---|---|",
    ]
    for name in dict.fromkeys([*SOLVERS, *SKLEARN_SOLVERS]):
        ours, theirs = searches.get(("ours", name)), searches.get(("sklearn", name))
        ratio = fmt_ratio(best_time(ours), best_time(theirs))
        cells = [name, *_cells(ours), *_cells(theirs), ratio]
        lines.append("| " + " | ".join(cells) + " |")
    (t_o, s_o), (t_s, s_s) = best_of(searches, "ours"), best_of(searches, "sklearn")
    lines.append(
        f"| **best** | {s_o} | {fmt_time(t_o)} | {s_s} | {fmt_time(t_s)} "
        f"| **{fmt_ratio(t_o, t_s)}** |"
    )
    return lines


def best_of(searches, impl) -> tuple[float, str]:
    """(time, solver) of the fastest solver of ``impl`` that reached the target."""
    times = [(best_time(s), k[1]) for k, s in searches.items() if k[0] == impl]
    t, solver = min(times, default=(np.inf, "–"))
    return (t, solver) if np.isfinite(t) else (np.inf, "–")


# --------------------------------------------------------------------------
# one problem


def section_time_to_target(problem, f_star, args):
    """(a) and the fits of (d): search each solver, then time them interleaved.

    Returns the searches and, per solver of ours, its float32 fit time and the
    float32 fit's suboptimality.
    """
    searches = {}
    for impl, solver, skip in candidates(problem, args.skip_sklearn):
        if skip:
            searches[impl, solver] = skip
            continue
        s = time_to_target(
            impl,
            solver,
            problem,
            f_star,
            args.budget,
            args.max_iter_cap,
            args.bisect_rtol,
        )
        searches[impl, solver] = s
        log(
            f"  {impl} {solver}: {'reached' if s.reached else 'gave up'} at "
            f"max_iter {s.max_iter}, subopt {s.suboptimality:.1e}, "
            f"{s.search_time:.1f} s {s.error}"
        )
    timed = [k for k, s in searches.items() if isinstance(s, Search) and s.reached]
    ours = [k for k in timed if k[0] == "ours"]
    X, X32, y = problem.X, problem.X.astype(np.float32), problem.y
    entries = [(k, X) for k in timed] + [(k, X32) for k in ours]
    # The search timed one fit at max_iter already; the rounds add the others.
    times, fitted = time_fits(
        [
            (lambda k=k: make_estimator(*k, searches[k].max_iter), X_, y)
            for k, X_ in entries
        ],
        max(args.repeats - 1, 1),
    )
    for k, t in zip(timed, times, strict=False):
        searches[k].times += t
    float32 = {}
    for k, t, est in zip(ours, times[len(timed) :], fitted[len(timed) :], strict=True):
        sub = (objective_value(est, X, y) - f_star) / abs(f_star)
        float32[k[1]] = (min(t), sub)
    return searches, float32


def section_memory(problem, searches, skip_sklearn):
    """(c): peak bytes of one fit of each of ours and of sklearn's fastest."""
    keys = [("ours", s) for s in SOLVERS]
    if not skip_sklearn:
        fastest = best_of(searches, "sklearn")[1]
        keys.append(("sklearn", "lbfgs" if fastest == "–" else fastest))
    peaks = {}
    for k in keys:
        s = searches.get(k)
        max_iter = min(s.max_iter if isinstance(s, Search) else 1, MEMORY_MAX_ITER)
        try:
            est = make_estimator(*k, max_iter)
            peaks[k] = peak_memory(est, problem.X, problem.y)
        except Exception as exc:
            peaks[k] = f"error: {type(exc).__name__}"
    return peaks


def run_problem(problem, args, peaks, report):
    """Measure (a)–(d) on one problem; append its markdown to ``report``."""
    X = problem.X
    n, m = X.shape
    nbytes = x_nbytes(X)
    start = time.perf_counter()
    snapshot = cpu_snapshot()
    refs = reference_objectives(problem, not args.skip_sklearn)
    f_star = min(refs.values())
    log(f"  f* = {f_star:.12e} ({time.perf_counter() - start:.1f} s)")
    searches, float32 = section_time_to_target(problem, f_star, args)
    log(f"  fits timed ({time.perf_counter() - start:.1f} s)")
    evals = {
        dt: time_evaluation(problem, dt, peaks, args.eval_repeats)
        for dt in (np.float64, np.float32)
    }
    memory = section_memory(problem, searches, args.skip_sklearn)
    load = foreign_load(snapshot, cpu_snapshot())
    if load > 0.1:
        log(f"  WARNING: other processes used {load:.2f} cores during this problem")

    shape = f"{n:,} × {m:,}, {problem.n_classes} classes"
    if sp.issparse(X):
        shape += f", nnz {X.nnz:,}"
    refs_text = ", ".join(
        f"{k} {(v - f_star) / abs(f_star):.0e}" for k, v in refs.items()
    )
    report += [
        f"## {problem.name}",
        "",
        f"{problem.description}; {shape}; X: {nbytes / 1e6:.1f} MB.",
        f"f* = {f_star:.10e} (relative gap of the tight solves: {refs_text}). "
        f"Other processes used {load:.2f} cores on average meanwhile"
        + (" (timings disturbed, see README)." if load > 0.1 else "."),
        "",
        f"### (a) time to relative suboptimality {TARGET:g} (C=1, L2), "
        f"min of {max(args.repeats, 2)} fits",
        "",
        *table_time_to_target(searches),
        "",
        f"### (b) one loss + gradient evaluation, best of {args.eval_repeats}",
        "",
        "| dtype | ours | bare numpy | two GEMMs | limit | ours / bare "
        "| ours / GEMMs | ours / limit |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for dt, e in evals.items():
        cells = [np.dtype(dt).name]
        cells += [fmt_time(e[key]) for key in ("ours", "bare", "gemms", "limit")]
        cells += [fmt_ratio(e["ours"], e[key]) for key in ("bare", "gemms", "limit")]
        report.append("| " + " | ".join(cells) + " |")
    e64, e32 = evals[np.float64]["ours"], evals[np.float32]["ours"]
    report += [
        "",
        "### (d) ours, float32 vs float64",
        "",
        f"One evaluation: float32 / float64 = {fmt_ratio(e32, e64)}. Fits at the "
        f"float64 max_iter of (a), min of {max(args.repeats - 1, 1)}; the float32 "
        "fit's "
        "suboptimality is evaluated in float64.",
        "",
        "| solver | max_iter | float64 fit | float32 fit | float32 / float64 "
        "| float32 subopt |",
        "|---|---|---|---|---|---|",
    ]
    for solver, (t32, sub) in float32.items():
        s = searches["ours", solver]
        t64 = best_time(s)
        report.append(
            f"| {solver} | {s.max_iter} | {fmt_time(t64)} | {fmt_time(t32)} "
            f"| {fmt_ratio(t32, t64)} | {sub:.1e} |"
        )
    report += [
        "",
        f"### (c) peak memory of one fit (tracemalloc, at most {MEMORY_MAX_ITER} "
        "iterations) / bytes of X",
        "",
        "| estimator | solver | peak | peak / X |",
        "|---|---|---|---|",
    ]
    for (impl, solver), peak in memory.items():
        label = "ours" if impl == "ours" else "sklearn (fastest)"
        label += " (default)" if (impl, solver) == ("ours", DEFAULT_SOLVER) else ""
        if isinstance(peak, str):
            report.append(f"| {label} | {solver} | {peak} | – |")
        else:
            report.append(
                f"| {label} | {solver} | {peak / 1e6:.1f} MB | {peak / nbytes:.2f} |"
            )
    report.append("")
    return searches, load


# --------------------------------------------------------------------------
# main


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", type=float, help="multiplies n_samples (default 1, quick 0.1)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="scale 0.1, fewer repeats, < 2 min"
    )
    parser.add_argument(
        "--problems", nargs="+", choices=PROBLEMS, default=list(PROBLEMS)
    )
    parser.add_argument(
        "--skip-sklearn", action="store_true", help="time our estimator only"
    )
    parser.add_argument(
        "--repeats", type=int, help="timed fits per solver (default 3, quick 2)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        help="seconds of search fits per solver (default 20, quick 2.5)",
    )
    parser.add_argument("--max-iter-cap", type=int, default=2000)
    parser.add_argument(
        "--bisect-rtol",
        type=float,
        help="stop bisecting at a max_iter gap of this fraction (0.1, quick 0.25)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path(__file__).parent / "results",
        help="where <date>-<scale>.md is written",
    )
    args = parser.parse_args(argv)
    names = ("scale", "repeats", "budget", "bisect_rtol", "eval_repeats")
    defaults = (0.1, 2, 2.5, 0.25, 5) if args.quick else (1.0, 3, 20.0, 0.1, 7)
    for name, value in zip(names, defaults, strict=True):
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    return args


def main(argv=None):
    argv = sys.argv if argv is None else argv
    args = parse_args(argv[1:])
    start = time.perf_counter()
    peaks = measure_peaks(repeats=3 if args.quick else 5)
    body, summary = [], []
    for problem in make_problems(args.problems, args.scale):
        log(f"[{problem.name}] X {problem.X.shape}, {problem.n_classes} classes")
        searches, load = run_problem(problem, args, peaks, body)
        summary.append(
            (
                problem.name,
                best_of(searches, "ours"),
                best_of(searches, "sklearn"),
                load,
            )
        )
        log(f"[{problem.name}] done at {time.perf_counter() - start:.0f} s")
    total = time.perf_counter() - start
    head = [
        f"# Fit benchmark, scale {args.scale:g}",
        "",
        *machine_info(argv),
        f"- GEMM peak: float64 {peaks['float64'] / 1e9:.0f} GFLOP/s, float32 "
        f"{peaks['float32'] / 1e9:.0f} GFLOP/s; memory bandwidth "
        f"{peaks['bw'] / 1e9:.1f} GB/s",
        f"- total time of the run: {total:.0f} s",
        "",
        f"Time to target: max_iter doubled from 1, then bisected to within "
        f"{args.bisect_rtol:g} (cap {args.max_iter_cap}; search budget "
        f"{args.budget:g} s of fits per solver), tol={TOL:g}; perf_counter "
        "around fit only; scikit-learn and numpy with their default threads.",
        "",
        f"## Summary: time to relative suboptimality {TARGET:g}, best solver of each",
        "",
        "| problem | ours | sklearn | ours / sklearn | other processes (cores) |",
        "|---|---|---|---|---|",
    ]
    for name, (t_o, s_o), (t_s, s_s), load in summary:
        head.append(
            f"| {name} | {fmt_time(t_o)} ({s_o}) | {fmt_time(t_s)} ({s_s}) "
            f"| {fmt_ratio(t_o, t_s)} | {load:.2f} |"
        )
    write_report([*head, "", *body], args.output_dir, f"{args.scale:g}", total)


if __name__ == "__main__":
    main()
