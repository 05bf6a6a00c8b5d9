"""L1 / elastic-net benchmark: SoftmaxRegression against LogisticRegression(saga).

On a sparse, text-like CSR problem made on the fly, for ``l1_ratio`` 1 and
0.5, measures the time each estimator needs to reach a relative
suboptimality of 1e-6 of the objective

    F(coef, intercept) = C Σ_n ℓ_n + ½ (1 − ρ) ‖coef‖²_F + ρ ‖coef‖₁,

evaluated in float64 from ``coef_`` and ``intercept_``. ``C`` is a fixed
multiple of the smallest ``C`` at which the L1 solution stops being all zeros,
so that the solution is sparse but not empty. ``f*`` is the smaller objective
of two tight solves, ours and saga's; both gaps are reported.

Run ``python benchmarks/bench_l1.py --quick`` (under two minutes) or without
``--quick`` (the larger problem, under ten minutes); see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
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
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from sklearn_softmax import SoftmaxRegression

TARGET = 1e-6  # relative suboptimality to reach
TOL = 1e-14  # so tiny that only max_iter stops a fit
L1_RATIOS = (1.0, 0.5)
SIZES = {  # n_samples, n_features, n_classes, mean density
    "quick": (20_000, 5_000, 10, 0.003),
    "full": (40_000, 10_000, 20, 0.002),
}


@dataclass
class Search:
    """Outcome of the time-to-target search of one estimator."""

    max_iter: int  # smallest passing max_iter found, or the last one tried
    reached: bool
    suboptimality: float  # at max_iter
    search_time: float  # seconds of all the fits of the search
    times: list[float] = field(default_factory=list)  # timed fits at max_iter


# --------------------------------------------------------------------------
# the problem


def make_text_like(n, m, k, density, seed=0):
    """A sparse, l2-normalised tf-idf-like ``X`` (CSR) and labels ``y``.

    Word ``j`` occurs with a Zipf probability ∝ 1 / (j + 10); each document
    draws Poisson(density · m) words (repeats add up), weighted by
    ``(1 + log count) · idf``. Labels are ``argmax(X W + Gumbel noise)`` for a
    ``W`` with 5% non-zero rows, scaled so the logits have a spread of 3.
    """
    rng = np.random.default_rng(seed)
    zipf = 1.0 / (np.arange(m) + 10.0)
    zipf /= zipf.sum()
    per_doc = rng.poisson(density * m, size=n).clip(min=1)
    rows = np.repeat(np.arange(n), per_doc)
    cols = rng.choice(m, size=rows.size, p=zipf)
    X = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(n, m))
    X.sum_duplicates()
    df = np.bincount(X.indices, minlength=m)
    idf = np.log((1 + n) / (1 + df)) + 1
    X.data = (1 + np.log(X.data)) * idf[X.indices]
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1))).ravel()
    X = sp.csr_array(sp.diags_array(1 / norms) @ X)
    X.indices, X.indptr = X.indices.astype(np.int32), X.indptr.astype(np.int32)
    informative = rng.choice(m, size=max(1, m // 20), replace=False)
    W = np.zeros((m, k))
    W[informative] = rng.standard_normal((informative.size, k))
    Z = X @ W
    Z *= 3.0 / Z.std()
    y = (Z + rng.gumbel(size=(n, k))).argmax(axis=1)
    return X, y


def smallest_nonzero_C(X, y, l1_ratio) -> float:
    """``C`` below which the L1 solution (with intercept) is all zeros.

    At ``coef = 0`` the best intercept predicts the class shares ``p``; zero
    stays optimal while ``C max |Xᵀ(P − Y)| ≤ ρ`` (the subgradient test).
    """
    classes, y_index = np.unique(y, return_inverse=True)
    p = np.bincount(y_index) / y.shape[0]
    residual = np.tile(p, (y.shape[0], 1))
    residual[np.arange(y.shape[0]), y_index] -= 1
    return l1_ratio / np.abs(X.T @ residual).max()


def objective_value(est, X, y, C, l1_ratio) -> float:
    """``F`` in float64 from ``coef_`` (K × M) and ``intercept_``."""
    coef = np.asarray(est.coef_, dtype=np.float64)
    Z = np.asarray(X @ coef.T) + est.intercept_
    y_index = np.searchsorted(est.classes_, y)
    losses = logsumexp(Z, axis=1) - Z[np.arange(Z.shape[0]), y_index]
    l2, l1 = float(np.vdot(coef, coef)), float(np.abs(coef).sum())
    return C * float(losses.sum()) + 0.5 * (1 - l1_ratio) * l2 + l1_ratio * l1


# --------------------------------------------------------------------------
# estimators, fits and the time-to-target search


def make_estimator(impl, C, l1_ratio, max_iter, tol=TOL):
    """Ours (the default solver: fista for l1_ratio > 0) or scikit-learn's saga."""
    if impl == "ours":
        return SoftmaxRegression(C=C, l1_ratio=l1_ratio, tol=tol, max_iter=max_iter)
    params = {"C": C, "l1_ratio": l1_ratio, "tol": tol, "max_iter": max_iter}
    if LogisticRegression().penalty != "deprecated":  # scikit-learn < 1.8
        params["penalty"] = "elasticnet"
    return LogisticRegression(solver="saga", random_state=0, **params)


def timed_fit(est, X, y) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        est.fit(X, y)
        return time.perf_counter() - start


def time_to_target(impl, X, y, C, l1_ratio, f_star, budget, cap, rtol) -> Search:
    """Smallest ``max_iter`` reaching ``TARGET``: doubling, then bisection.

    Doubling from 1 stops at the first passing ``max_iter`` (or gives up at
    ``cap`` or past ``budget`` seconds of fits); bisection stops when the gap
    between failing and passing is at most ``max(1, rtol · passing)``.
    """
    spent, lo, n, seen = 0.0, 0, 1, {}

    def passes(max_iter):
        nonlocal spent
        est = make_estimator(impl, C, l1_ratio, max_iter)
        t = timed_fit(est, X, y)
        spent += t
        sub = (objective_value(est, X, y, C, l1_ratio) - f_star) / abs(f_star)
        seen[max_iter] = sub
        return sub <= TARGET

    while not passes(n):
        lo = n
        if n >= cap or spent > budget:
            return Search(n, False, seen[n], spent)
        n = min(2 * n, cap)
    hi = n
    while hi - lo > max(1, int(rtol * hi)) and spent <= 2 * budget:
        mid = (lo + hi) // 2
        if passes(mid):
            hi = mid
        else:
            lo = mid
    return Search(hi, True, seen[hi], spent)


def tight_solves(X, y, C, l1_ratio, saga_max_iter):
    """Objectives, times and iterations of ours at tol=1e-10 and of saga."""
    out = {}
    for impl, max_iter, tol in (
        ("ours", 100_000, 1e-10),
        ("saga", saga_max_iter, 1e-12),
    ):
        est = make_estimator(impl, C, l1_ratio, max_iter, tol)
        t = timed_fit(est, X, y)
        n_iter = int(np.max(est.n_iter_))
        out[impl] = (objective_value(est, X, y, C, l1_ratio), t, n_iter, est)
    return out


# --------------------------------------------------------------------------
# one l1_ratio


def run_ratio(X, y, l1_ratio, args):
    """Everything measured for one ``l1_ratio``; returns its table row and notes."""
    C = args.c_factor * smallest_nonzero_C(X, y, l1_ratio)
    log(f"[l1_ratio={l1_ratio:g}] C = {C:.4g}")
    tight = tight_solves(X, y, C, l1_ratio, args.saga_max_iter)
    f_star = min(v[0] for v in tight.values())
    coef = tight["ours"][3].coef_
    nnz, used = int(np.count_nonzero(coef)), int(np.any(coef != 0, axis=0).sum())
    for impl, (f, t, n_iter, _) in tight.items():
        log(f"  tight {impl}: F = {f:.12e} ({n_iter} iterations, {t:.1f} s)")
    searches = {
        impl: time_to_target(
            impl, X, y, C, l1_ratio, f_star, args.budget, args.cap, args.bisect_rtol
        )
        for impl in ("ours", "saga")
    }
    for impl, s in searches.items():
        log(
            f"  {impl}: {'reached' if s.reached else 'gave up'} at max_iter "
            f"{s.max_iter} (subopt {s.suboptimality:.1e}, {s.search_time:.1f} s)"
        )
    for _ in range(args.repeats):  # interleaved: ours, saga, ours, saga, ...
        for impl, s in searches.items():
            if s.reached:
                est = make_estimator(impl, C, l1_ratio, s.max_iter)
                s.times.append(timed_fit(est, X, y))
    gaps = ", ".join(
        f"{impl} {(v[0] - f_star) / abs(f_star):.1e} ({v[2]} iterations, {v[1]:.1f} s)"
        for impl, v in tight.items()
    )
    note = (
        f"- l1_ratio={l1_ratio:g}: C = {C:.4g} ({args.c_factor:g} × the smallest "
        f"non-zero C); f* = {f_star:.10e}; relative gap of the tight solves "
        f"(ours tol=1e-10, saga tol=1e-12 max_iter={args.saga_max_iter}): {gaps}"
    )
    cells = [f"{l1_ratio:g}", f"{C:.3g}", f"{nnz:,} / {coef.size:,}", f"{used:,}"]
    best = {}
    for impl, s in searches.items():
        best[impl] = min(s.times) if s.reached and s.times else np.inf
        if s.reached:
            cells += [str(s.max_iter), fmt_time(best[impl])]
        else:
            cells += [f"> {s.max_iter}", f"> budget (subopt {s.suboptimality:.0e})"]
    cells.append(f"**{fmt_ratio(best['ours'], best['saga'])}**")
    return "| " + " | ".join(cells) + " |", note


# --------------------------------------------------------------------------
# main


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small problem, < 2 min")
    parser.add_argument(
        "--c-factor",
        type=float,
        default=50.0,
        help="C as a multiple of the smallest C with a non-zero solution",
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed fits per side")
    parser.add_argument("--budget", type=float, help="seconds of search fits per side")
    parser.add_argument("--cap", type=int, default=4096, help="largest max_iter tried")
    parser.add_argument("--bisect-rtol", type=float, help="bisection stopping gap")
    parser.add_argument(
        "--saga-max-iter", type=int, help="max_iter of saga's tight solve"
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path(__file__).parent / "results",
        help="where <date>-l1-<size>.md is written",
    )
    args = parser.parse_args(argv)
    defaults = {
        "budget": 10.0 if args.quick else 40.0,
        "bisect_rtol": 0.25 if args.quick else 0.1,
        "saga_max_iter": 300 if args.quick else 100,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.size = "quick" if args.quick else "full"
    return args


def main(argv=None):
    argv = sys.argv if argv is None else argv
    args = parse_args(argv[1:])
    start = time.perf_counter()
    n, m, k, density = SIZES[args.size]
    X, y = make_text_like(n, m, k, density)
    log(f"X {X.shape}, nnz {X.nnz:,}, {k} classes")
    rows, notes = [], []
    snapshot = cpu_snapshot()
    with threadpool_limits(limits=1, user_api="blas"):
        for l1_ratio in L1_RATIOS:
            row, note = run_ratio(X, y, l1_ratio, args)
            rows.append(row)
            notes.append(note)
    total = time.perf_counter() - start
    load = foreign_load(snapshot, cpu_snapshot())
    # Both estimators run on one thread: only a machine without a free core
    # for it slows them down.
    disturbed = load > (os.cpu_count() or 1) - 1
    if disturbed:
        log(f"WARNING: other processes used {load:.2f} cores during the run")
    lines = [
        f"# L1 / elastic-net benchmark ({args.size})",
        "",
        *machine_info(argv),
        "- BLAS limited to 1 thread (threadpoolctl) for both estimators",
        f"- total time of the run: {total:.0f} s; other processes used "
        f"{load:.2f} cores on average meanwhile"
        + (" (no core left free: timings disturbed)" if disturbed else ""),
        "",
        f"Problem: text-like sparse CSR, {n:,} × {m:,}, {k} classes, nnz "
        f"{X.nnz:,} (density {X.nnz / (n * m):.4f}); Zipf word frequencies, "
        "(1 + log count) · idf, rows l2-normalised; y = argmax(X W + Gumbel) "
        "with 5% informative features. Objective C Σ ℓ + ½ (1 − ρ) ‖coef‖² + "
        "ρ ‖coef‖₁, with intercept, evaluated in float64.",
        "",
        f"Time to relative suboptimality {TARGET:g}: max_iter doubled from 1, "
        f"then bisected to within {args.bisect_rtol:g}, tol={TOL:g}; then "
        f"{args.repeats} fits of each at that max_iter, interleaved, the "
        "minimum reported. Ours: `SoftmaxRegression()` (solver 'auto', i.e. "
        "'fista'); sklearn: `LogisticRegression(solver='saga')`.",
        "",
        "| l1_ratio | C | non-zero coef | features used | ours max_iter "
        "| ours time | saga max_iter | saga time | ours / saga |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        *notes,
        "",
    ]
    write_report(lines, args.output_dir, f"l1-{args.size}", total)


if __name__ == "__main__":
    main()
