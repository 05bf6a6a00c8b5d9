"""Dask benchmark: SoftmaxRegression.fit on more data than a worker can hold.

A softmax problem is generated lazily, chunk by chunk, by a deterministic
``map_blocks`` generator (chunk ``i`` from the seed ``(seed, i)``: uniform
features of unit variance, labels drawn from a softmax model with a fixed
true ``W``), on a
local cluster of worker processes with a memory limit each. With the default
sizes the data (8 GiB of float64) is twice the memory of the whole cluster
(4 workers × 1 GiB): it is not persisted, and every pass of the solver
generates it again, chunk by chunk, on the workers.

Reported: the time of a pass that only generates the data, the fit's time
per iteration and per evaluation (loss and gradient: one pass), and the peak
resident memory of the worker processes, sampled in a background thread. When
the data fits in the cluster (``--quick``: 1 GiB, persisted), also the time of
a Hessian-vector product with the probabilities kept on the workers against
one that computes them again.

Run ``python benchmarks/bench_dask.py --quick`` (1 GiB, about a minute on 2
cores) or without ``--quick`` (8 GiB, about ten minutes); see
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import threading
import time
import warnings
from pathlib import Path

import dask
import dask.array as da
import distributed
import numpy as np
import psutil
from _report import fmt_time, log, machine_info, write_report
from sklearn.exceptions import ConvergenceWarning

from sklearn_softmax import SoftmaxRegression
from sklearn_softmax._backends._dask import _objective
from sklearn_softmax._objectives._dask import DaskSoftmaxObjective

N_FEATURES, N_CLASSES = 100, 10
GIB, MIB = 2**30, 2**20


def _features(seed, block_info=None):
    """Uniform on ``[-√3, √3]``: unit variance, and cheaper to draw than normal."""
    info = block_info[None]
    rng = np.random.default_rng([seed, info["chunk-location"][0]])
    X_b = rng.random(info["chunk-shape"])
    X_b -= 0.5
    X_b *= 2 * np.sqrt(3)
    return X_b


def _labels(X_b, W, b, seed, block_info=None):
    rng = np.random.default_rng([seed, block_info[0]["chunk-location"][0], 1])
    Z = X_b @ W + b + rng.gumbel(size=(X_b.shape[0], W.shape[1]))
    return Z.argmax(axis=1)


def make_data(size_bytes: int, chunk_bytes: int, seed: int = 0):
    """Lazy ``X`` (float64, ``N_FEATURES`` columns) and ``y``, about ``size_bytes``."""
    row_bytes = 8 * N_FEATURES
    n_samples, chunk_rows = size_bytes // row_bytes, chunk_bytes // row_bytes
    rows = (chunk_rows,) * (n_samples // chunk_rows)
    if n_samples % chunk_rows:
        rows += (n_samples % chunk_rows,)
    rng = np.random.default_rng(seed)
    W = rng.normal(0, 0.3, (N_FEATURES, N_CLASSES))
    b = rng.normal(0, 1, N_CLASSES)
    X = da.map_blocks(_features, seed, chunks=(rows, (N_FEATURES,)), dtype=np.float64)
    y = X.map_blocks(_labels, W, b, seed, drop_axis=1, dtype=np.int64)
    return X, y


def _rss() -> int:
    return psutil.Process().memory_info().rss


def _cpu_seconds() -> float:
    times = psutil.Process().cpu_times()
    return times.user + times.system


def workers_cpu(client) -> float:
    """CPU seconds used so far by the worker processes, summed."""
    return sum(client.run(_cpu_seconds).values())


class MemorySampler:
    """Peak resident memory of each worker process, polled in a thread."""

    def __init__(self, client, interval: float = 0.25):
        self.client, self.interval = client, interval
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                for worker, rss in self.client.run(_rss).items():
                    self.peak[worker] = max(self.peak.get(worker, 0), rss)
            except Exception:  # a worker restarting: sample again
                pass
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class Timed:
    """Counts and times the calls of one method of DaskSoftmaxObjective."""

    def __init__(self, name: str):
        self.name, self.times = name, []
        self.original = getattr(DaskSoftmaxObjective, name)

    def __enter__(self):
        original, times = self.original, self.times

        def timed(objective, *args, **kwargs):
            start = time.perf_counter()
            try:
                return original(objective, *args, **kwargs)
            finally:
                times.append(time.perf_counter() - start)

        setattr(DaskSoftmaxObjective, self.name, timed)
        return self

    def __exit__(self, *exc):
        setattr(DaskSoftmaxObjective, self.name, self.original)


def hessp_times(X, y, repeats: int = 5) -> tuple[float, float, float]:
    """(Newton setup, product with kept probabilities, product computing them).

    The two kinds of products alternate, and each keeps its fastest of
    ``repeats``: the load of a shared machine varies.
    """
    kept = _objective(SoftmaxRegression(), X, y, None)[2]
    again = copy.copy(kept)
    again.keep_probabilities = False
    theta = np.zeros(kept.n_params)
    v = np.random.default_rng(0).normal(size=kept.n_params)
    start = time.perf_counter()
    products = {kept: kept.value_grad_hessp(theta)[2]}
    setup = time.perf_counter() - start
    products[again] = again.value_grad_hessp(theta)[2]
    best = {kept: np.inf, again: np.inf}
    for i in range(repeats):
        for objective, hessp in products.items():
            start = time.perf_counter()
            hessp(v + i)  # a new vector: nothing to reuse from the last product
            best[objective] = min(best[objective], time.perf_counter() - start)
    return setup, best[kept], best[again]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 GiB of data")
    parser.add_argument("--size-gib", type=float, default=None)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--memory-limit", default="1GiB")
    parser.add_argument("--chunk-mib", type=int, default=64)
    parser.add_argument("--solver", default="lbfgs")
    parser.add_argument("--max-iter", type=int, default=10)
    parser.add_argument("--output-dir", default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    if args.size_gib is None:
        args.size_gib = 1.0 if args.quick else 8.0
    return args


def main(argv=None):
    argv = sys.argv if argv is None else argv
    args = parse_args(argv[1:])
    start_run, load = time.perf_counter(), os.getloadavg()
    X, y = make_data(int(args.size_gib * GIB), args.chunk_mib * MIB)
    cluster = distributed.LocalCluster(
        n_workers=args.workers,
        threads_per_worker=1,
        memory_limit=args.memory_limit,
        host="127.0.0.1",
        dashboard_address=None,
    )
    with cluster, distributed.Client(cluster) as client:
        limit = next(iter(client.scheduler_info()["workers"].values()))
        limit = limit["memory_limit"]
        log(f"{X.nbytes / GIB:.2f} GiB in {X.numblocks[0]} chunks; {args.workers} "
            f"workers of {limit / GIB:.2f} GiB")  # fmt: skip
        with MemorySampler(client) as sampler:
            cpu, start = workers_cpu(client), time.perf_counter()
            dask.compute(X.sum(), y.sum())
            generation = time.perf_counter() - start
            generation_cpu = workers_cpu(client) - cpu
            log(f"generation pass {generation:.1f} s")
            model = SoftmaxRegression(
                solver=args.solver, max_iter=args.max_iter, tol=1e-10
            )
            with warnings.catch_warnings(), Timed("value_and_grad") as evals:
                warnings.simplefilter("ignore", ConvergenceWarning)
                cpu, start = workers_cpu(client), time.perf_counter()
                model.fit(X, y)
                fit_time = time.perf_counter() - start
                fit_cpu = workers_cpu(client) - cpu
            log(f"fit {fit_time:.1f} s, {model.n_iter_} iterations")
        persisted = X.nbytes <= 0.5 * limit * args.workers
        products = hessp_times(X, y) if persisted else None
    setup = fit_time - sum(evals.times)
    peak = max(sampler.peak.values())
    total_peak = sum(sampler.peak.values())
    size = f"{args.size_gib:g}GiB"
    lines = [
        f"# Dask benchmark ({size})",
        "",
        *machine_info(argv),
        f"- dask {dask.__version__}, distributed {distributed.__version__}",
        f"- total time of the run: {time.perf_counter() - start_run:.0f} s; load "
        f"average of the machine (1 min) {load[0]:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end (other work shares the cores)",
        "",
        f"Problem: {X.shape[0]:,} × {N_FEATURES} dense float64 "
        f"({X.nbytes / GIB:.2f} GiB), {N_CLASSES} classes, generated lazily in "
        f"{X.numblocks[0]} chunks of {args.chunk_mib} MiB by a seeded "
        "`map_blocks` generator (uniform features of unit variance, labels drawn "
        f"from a softmax model). Cluster: `LocalCluster(n_workers={args.workers}, "
        f"threads_per_worker=1, memory_limit={args.memory_limit!r})`, "
        f"{args.workers * limit / GIB:.2f} GiB in all; the data is "
        + (
            "persisted on the workers."
            if persisted
            else "not persisted: every pass generates it again, chunk by chunk."
        )  # fmt: skip
        + f" Fit: `SoftmaxRegression(solver={args.solver!r}, "
        f"max_iter={args.max_iter}, tol=1e-10)`.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| a pass generating the data only | {fmt_time(generation)} "
        f"({generation_cpu:.1f} CPU s of the workers) |",
        f"| fit | {fmt_time(fit_time)} ({fit_cpu:.1f} CPU s of the workers: "
        f"{fit_cpu / fit_time:.2f} of {os.cpu_count()} cores on average) |",
        f"| of which setup (persisting, the labels pass) | {fmt_time(setup)} |",
        f"| iterations | {model.n_iter_} |",
        f"| evaluations (loss + gradient, one pass each) | {len(evals.times)} |",
        f"| **time per iteration** (the fit's evaluations over its iterations) "
        f"| **{fmt_time(sum(evals.times) / model.n_iter_)}** |",
        f"| time per evaluation (median) | {fmt_time(np.median(evals.times))} |",
        f"| workers' CPU per evaluation (setup included) | "
        f"{fit_cpu / len(evals.times):.1f} CPU s |",
        f"| **peak worker memory (RSS, largest worker)** | **{peak / MIB:.0f} MiB**"
        f" of {limit / MIB:.0f} MiB |",
        f"| peak worker memory, sum of the workers' peaks | {total_peak / MIB:.0f}"
        f" MiB (data: {X.nbytes / MIB:.0f} MiB) |",
    ]
    if products is not None:
        evaluation, kept, again = products
        lines += [
            f"| loss, gradient and Hessian setup (probabilities kept) | "
            f"{fmt_time(evaluation)} |",
            f"| Hessian-vector product, probabilities kept on the workers | "
            f"{fmt_time(kept)} |",
            f"| Hessian-vector product, probabilities computed again | "
            f"{fmt_time(again)} |",
        ]
    write_report(lines, args.output_dir, f"dask-{size}")


if __name__ == "__main__":
    main()
