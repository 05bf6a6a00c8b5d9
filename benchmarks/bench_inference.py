"""Time SoftmaxRegression.inference on a model with thousands of parameters.

One generated problem, 50,000 samples × 200 features × 10 classes
(``(200 + 1) · 9 = 1,809`` free parameters; an information matrix of
``2,010²`` entries), fitted once without a penalty. Timed: ``inference`` for
each covariance type, on dense and CSR ``X``, and side by side statsmodels'
``MNLogit`` computing the same covariance at the same parameters
(``fit(start_params=..., maxiter=0)``: one Hessian, and the scores for the
robust types), when statsmodels is installed. Standard errors are compared.

    python benchmarks/bench_inference.py [--scale 0.2]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
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

from sklearn_softmax import SoftmaxRegression


def problem(n: int, M: int = 200, K: int = 10, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, M))
    X[rng.random(X.shape) < 0.5] = 0.0  # half zeros, so that CSR is meaningful
    logits = X @ rng.normal(scale=1.5 / np.sqrt(M), size=(M, K))
    P = np.exp(logits - logits.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    y = (P.cumsum(1) > rng.random((n, 1))).argmax(1)
    return X, y, rng.integers(0, 1000, n)


def timed(function):
    start = time.perf_counter()
    out = function()
    return time.perf_counter() - start, out


def statsmodels_covariance(X, y, clf, cov_type, groups):
    """statsmodels' MNLogit covariance at our parameters, or None."""
    try:
        import statsmodels.api as sm
    except ImportError:
        return None
    W = np.vstack([clf.intercept_, clf.coef_.T])  # const first, as add_constant
    params = W[:, 1:] - W[:, :1]
    kwargs = {"cov_type": "HC0" if cov_type == "HC1" else cov_type}
    if cov_type == "cluster":
        kwargs["cov_kwds"] = {"groups": groups}
    model = sm.MNLogit(y, sm.add_constant(X, prepend=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(
            start_params=params.ravel(order="F"), method="newton", maxiter=0,
            disp=0, **kwargs,
        )  # fmt: skip


def main(argv=None):
    argv = sys.argv if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--output-dir", type=Path, default=Path(__file__).parent / "results"
    )
    args = parser.parse_args(argv[1:])
    n = int(50_000 * args.scale)
    start, snapshot = time.perf_counter(), cpu_snapshot()
    X, y, groups = problem(n)
    log("fit")
    t_fit, clf = timed(
        lambda: SoftmaxRegression(C=np.inf, tol=1e-8, max_iter=200).fit(X, y)
    )
    rows = []
    for cov_type in ("nonrobust", "HC1", "cluster"):
        kw = {"groups": groups} if cov_type == "cluster" else {}
        log(f"{cov_type}: ours")
        t_ours, res = timed(
            lambda kw=kw, c=cov_type: clf.inference(X, y, cov_type=c, reference=0, **kw)
        )
        t_csr, _ = timed(
            lambda kw=kw, c=cov_type: clf.inference(
                sp.csr_matrix(X), y, cov_type=c, reference=0, **kw
            )
        )
        log(f"{cov_type}: statsmodels")
        t_sm, sm_res = timed(
            lambda kw=kw, c=cov_type: statsmodels_covariance(X, y, clf, c, groups)
        )
        diff = "–"
        if sm_res is not None:
            bse = np.column_stack([res.intercept_bse, res.bse]).T
            factor = np.sqrt(n / (n - bse.size)) if cov_type == "HC1" else 1.0
            diff = f"{np.max(np.abs(bse / (np.asarray(sm_res.bse) * factor) - 1)):.1e}"
        else:
            t_sm = np.nan
        rows.append(
            f"| {cov_type} | {fmt_time(t_ours)} | {fmt_time(t_csr)} | "
            f"{fmt_time(t_sm)} | **{fmt_ratio(t_ours, t_sm)}** | {diff} |"
        )
    total = time.perf_counter() - start
    load = foreign_load(snapshot, cpu_snapshot())
    M, K = X.shape[1], clf.classes_.shape[0]
    lines = [
        "# Inference benchmark",
        "",
        *machine_info(argv),
        f"- total time of the run: {total:.0f} s; other processes used "
        f"{load:.2f} cores on average meanwhile (the machine is shared: "
        "timings are noisy)",
        "",
        f"{n:,} samples × {M} features × {K} classes (half the entries zero), "
        f"{(M + 1) * (K - 1):,} free parameters, an information matrix of "
        f"{((M + 1) * K) ** 2:,} entries. Unpenalised fit (newton-cg, "
        f"tol=1e-8): {fmt_time(t_fit)}, {clf.n_iter_} iterations. "
        "`inference(reference=0)` on dense and on CSR X; statsmodels: "
        "`MNLogit.fit(start_params=ours, maxiter=0, cov_type=...)` (one "
        "Hessian and, for the robust types, the scores; HC1 is its HC0 times "
        "n/(n − k)). Cluster: 1,000 clusters. One run each.",
        "",
        "| cov_type | ours (dense) | ours (CSR) | statsmodels | ours / statsmodels "
        "| max rel. diff. of bse |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    write_report(lines, args.output_dir, "inference", total)


if __name__ == "__main__":
    main()
