"""Streaming benchmark: SoftmaxRegression.partial_fit on a generated stream.

A softmax problem of ``n_samples`` rows is generated chunk by chunk, each
chunk from its own seed, so the whole data set never sits in memory. The
chunks are fed, in a new random order each epoch and shuffled within, to
``SoftmaxRegression.partial_fit`` for a few epochs (``C / epochs``, so that
the stream approaches the fit with ``C``: the penalty is scaled to the weight
seen). The test log loss of the streamed model is compared with that of a
full-batch ``SoftmaxRegression(C)`` fit on the same rows, materialised for
that fit only; the report gives their ratio after each epoch (target: within
2%), the time per epoch, and the peak memory (tracemalloc) of the streaming
loop against the bytes of one batch, one chunk and the full data.

A second part streams two small L1 problems (:mod:`_sparse_streams`: 45
pure-noise features of 50, and sparse text-like counts) with each
``learning_rate`` and compares the exact zeros and the test log loss with
those of the batch fit (target: at least 90% of its zeros, log loss within
2%).

Run ``python benchmarks/bench_stream.py --quick`` (10⁶ samples, under two
minutes) or without ``--quick`` (4·10⁶ samples, under ten minutes); see
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
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
from _sparse_streams import ftrl_grid_report, sparse_report
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from threadpoolctl import threadpool_limits

from sklearn_softmax import SoftmaxRegression

SIZES = {  # n_samples, epochs
    "quick": (1_000_000, 3),
    "full": (4_000_000, 3),
}
N_FEATURES, N_CLASSES = 50, 10
N_TEST = 50_000
TEST_SEED = 10**9  # chunk seeds are 0, 1, ...; the test set's is apart


class Stream:
    """A softmax problem generated chunk by chunk from seeds.

    Features ``x = A z`` with ``z ~ N(0, I)`` and a fixed mixing ``A`` whose
    first 10 columns are 3 times larger (correlated features of unequal
    variance); labels ``argmax(Wᵀx + b + Gumbel noise)``, that is drawn from
    the softmax model with parameters ``W ~ N(0, 0.3²)``, ``b ~ N(0, 1)``.
    """

    def __init__(self, n_samples: int, chunk_size: int, seed: int = 0):
        self.n_samples, self.chunk_size = n_samples, chunk_size
        self.n_chunks = -(-n_samples // chunk_size)
        rng = np.random.default_rng(seed)
        self.mixing = rng.normal(size=(N_FEATURES, N_FEATURES)) / np.sqrt(N_FEATURES)
        self.mixing[:, :10] *= 3.0
        self.W = 0.3 * rng.normal(size=(N_FEATURES, N_CLASSES))
        self.b = rng.normal(size=N_CLASSES)
        self.classes = np.arange(N_CLASSES)

    def rows(self, seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([seed, 1])
        X = rng.normal(size=(n, N_FEATURES)) @ self.mixing.T
        logits = X @ self.W + self.b + rng.gumbel(size=(n, N_CLASSES))
        return X, logits.argmax(axis=1)

    def chunk(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        n = min(self.chunk_size, self.n_samples - i * self.chunk_size)
        return self.rows(i, n)

    def test_set(self) -> tuple[np.ndarray, np.ndarray]:
        return self.rows(TEST_SEED, N_TEST)

    def full(self) -> tuple[np.ndarray, np.ndarray]:
        X = np.empty((self.n_samples, N_FEATURES))
        y = np.empty(self.n_samples, dtype=np.intp)
        for i in range(self.n_chunks):
            rows = slice(i * self.chunk_size, (i + 1) * self.chunk_size)
            X[rows], y[rows] = self.chunk(i)
        return X, y


def test_scores(model, X_test, y_test) -> tuple[float, float]:
    proba = model.predict_proba(X_test)
    return log_loss(y_test, proba, labels=model.classes_), accuracy_score(
        y_test, model.classes_[proba.argmax(axis=1)]
    )


def stream(args, data: Stream, X_test, y_test):
    """The streaming loop; returns per-epoch rows and the memory figures."""
    clf = SoftmaxRegression(C=args.C / args.epochs, batch_size=args.batch_size)
    rng = np.random.default_rng(args.seed)
    epochs, fit_peak, loop_peak = [], 0, 0
    for epoch in range(1, args.epochs + 1):
        traced = epoch == 1  # tracemalloc slows allocations: one epoch only
        if traced:
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
        fit_time = gen_time = 0.0
        for i in rng.permutation(data.n_chunks):
            t0 = time.perf_counter()
            X, y = data.chunk(int(i))
            order = rng.permutation(y.shape[0])
            X, y = X[order], y[order]
            t1 = time.perf_counter()
            if traced:
                before = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
            clf.partial_fit(X, y, classes=data.classes)
            t2 = time.perf_counter()
            if traced:
                peak = tracemalloc.get_traced_memory()[1]
                fit_peak = max(fit_peak, peak - before)
                loop_peak = max(loop_peak, peak - base)
            del X, y, order
            gen_time += t1 - t0
            fit_time += t2 - t1
        if traced:
            tracemalloc.stop()
        loss, accuracy = test_scores(clf, X_test, y_test)
        epochs.append((epoch, fit_time, gen_time, loss, accuracy))
        log(f"epoch {epoch}: partial_fit {fit_time:.1f} s, log loss {loss:.5f}")
    return clf, epochs, fit_peak, loop_peak


def reference(args, data: Stream, X_test, y_test):
    X, y = data.full()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = SoftmaxRegression(C=args.C).fit(X, y)
    fit_time = time.perf_counter() - t0
    return ref, fit_time, X.nbytes + y.nbytes


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1e6 samples, < 2 min")
    parser.add_argument("--n-samples", type=int, help="rows of the stream")
    parser.add_argument("--epochs", type=int, help="passes over the stream")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=SoftmaxRegression().batch_size,
        help="batch_size of partial_fit (default: the estimator's)",
    )
    parser.add_argument("--chunk-size", type=int, default=10_000)
    parser.add_argument("--C", type=float, default=1.0, help="C of the full fit")
    parser.add_argument("--seed", type=int, default=0, help="order of the chunks")
    parser.add_argument(
        "--sparse-seeds", type=int, default=5, help="orders of the L1 streams"
    )
    parser.add_argument(
        "--ftrl-grid",
        action="store_true",
        help="only FTRL's eta0 x average decay grid on the L1 streams",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path(__file__).parent / "results",
        help="where <date>-stream.md is written",
    )
    args = parser.parse_args(argv)
    args.size = "quick" if args.quick else "full"
    n, epochs = SIZES[args.size]
    args.n_samples = args.n_samples or n
    args.epochs = args.epochs or epochs
    return args


def main(argv=None):
    argv = sys.argv if argv is None else argv
    args = parse_args(argv[1:])
    start = time.perf_counter()
    if args.ftrl_grid:
        with threadpool_limits(limits=1, user_api="blas"):
            grid = ftrl_grid_report((1.0, 2.0, 3.0), (3.0, 8.0, 24.0, 48.0, 100.0))
        lines = ["# FTRL on the L1 streams", "", *machine_info(argv), "", *grid]
        write_report(lines, args.output_dir, "stream-ftrl", time.perf_counter() - start)
        return
    snapshot = cpu_snapshot()
    data = Stream(args.n_samples, args.chunk_size)
    X_test, y_test = data.test_set()
    with threadpool_limits(limits=1, user_api="blas"):
        clf, epochs, fit_peak, loop_peak = stream(args, data, X_test, y_test)
        ref, ref_time, full_bytes = reference(args, data, X_test, y_test)
        sparse_lines = sparse_report(seeds=args.sparse_seeds)
    ref_loss, ref_accuracy = test_scores(ref, X_test, y_test)
    total = time.perf_counter() - start
    load = foreign_load(snapshot, cpu_snapshot())
    disturbed = load > 1.0  # everything runs on one thread
    if disturbed:
        log(f"WARNING: other processes used {load:.2f} cores during the run")

    itemsize = np.dtype(np.float64).itemsize
    batch_bytes = args.batch_size * N_FEATURES * itemsize
    chunk_bytes = args.chunk_size * N_FEATURES * itemsize
    rows = [
        f"| {e}{' (traced)' if e == 1 else ''} | {fmt_time(fit)} | {fmt_time(gen)} "
        f"| {loss:.5f} | "
        f"**{loss / ref_loss:.4f}** | {acc:.4f} |"
        for e, fit, gen, loss, acc in epochs
    ]
    ratio = epochs[-1][3] / ref_loss
    mib = 2.0**20
    lines = [
        f"# Streaming benchmark ({args.size})",
        "",
        *machine_info(argv),
        "- BLAS limited to 1 thread (threadpoolctl)",
        f"- total time of the run: {total:.0f} s; other processes used "
        f"{load:.2f} cores on average meanwhile"
        + (" (no core left free: timings disturbed)" if disturbed else ""),
        "",
        f"Problem: {args.n_samples:,} × {N_FEATURES} dense float64, "
        f"{N_CLASSES} classes, generated in chunks of {args.chunk_size:,} rows "
        "from seeds (correlated Gaussian features, labels drawn from a softmax "
        f"model); test set {N_TEST:,} rows. Stream: {args.epochs} epochs, the "
        "chunks in a new random order each epoch and shuffled within, "
        f"`partial_fit` in batches of {args.batch_size} with `C = {args.C:g} / "
        f"{args.epochs}` (default `learning_rate='auto'`: `'adagrad'` for this "
        "L2 penalty, `eta0='auto'`). "
        f"Reference: `SoftmaxRegression(C={args.C:g}).fit` on all the rows "
        f"({fmt_time(ref_time)}), test log loss {ref_loss:.5f}, accuracy "
        f"{ref_accuracy:.4f}.",
        "",
        "| epoch | partial_fit time | generation time | test log loss "
        "| / full fit | accuracy |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"- after {args.epochs} epochs: test log loss ratio **{ratio:.4f}** "
        f"(target ≤ 1.02): {'met' if ratio <= 1.02 else 'NOT met'}",
        f"- peak traced memory (tracemalloc) of a `partial_fit` call: "
        f"{fit_peak / mib:.2f} MiB = {fit_peak / batch_bytes:.1f} × one batch "
        f"({batch_bytes / mib:.3f} MiB of X), {fit_peak / chunk_bytes:.2f} × one "
        f"chunk ({chunk_bytes / mib:.2f} MiB); below one array of the chunk's "
        f"rows × classes ({args.chunk_size * N_CLASSES * itemsize / mib:.2f} "
        "MiB): what remains are vectors of one number per row of the chunk "
        "(labels, their indices, weights) and the batch's own arrays",
        f"- peak of the whole streaming loop (chunk generation included): "
        f"{loop_peak / mib:.2f} MiB; the full data: {full_bytes / mib:.0f} MiB "
        f"({loop_peak / full_bytes:.3f} × the full data)",
        "",
        *sparse_lines,
    ]
    write_report(lines, args.output_dir, "stream", total)


if __name__ == "__main__":
    main()
