"""Small fits: the fixed costs of a fit, before and after, against scikit-learn.

On standardised wine, breast_cancer and digits, with BLAS at one thread:

- ``GridSearchCV`` over 10 values of ``C`` (1e-3 to 1e3) with 5 folds of a
  ``Pipeline(StandardScaler(), estimator)``, ``SoftmaxRegression()`` against
  ``LogisticRegression()``, each at its default settings (total time);
- one default fit on the whole standardised data set;
- one fit at each ``C`` of the grid, ours and ``LogisticRegression``'s
  iterations and times (the working tree only).

The *before* column is the package at ``--against`` (a git revision, by
default ``HEAD``), exported to a temporary directory; *after* is the working
tree. Each round runs one child process per tree, alternating, so both see the
same machine load; the figures are medians over ``--rounds`` rounds. The
scikit-learn times are taken in both children and pooled.

Run ``python benchmarks/bench_small.py --against <rev>`` from the repository
root (about 3 minutes on 2 cores at the default 5 rounds).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ("wine", "breast_cancer", "digits")


def _load(name: str):
    from sklearn import datasets

    return getattr(datasets, f"load_{name}")(return_X_y=True)


def _median_time(func, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def child(repeats: int) -> dict:
    """Every measurement once (times are medians of ``repeats`` runs)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    from sklearn_softmax import SoftmaxRegression

    warnings.simplefilter("ignore")
    grid = {"est__C": np.logspace(-3, 3, 10)}
    out: dict = {}
    with threadpool_limits(1):
        for name in DATASETS:
            X, y = _load(name)
            Xs = StandardScaler().fit_transform(X)
            for label, est in (
                ("ours", SoftmaxRegression()),
                ("lr", LogisticRegression()),
            ):
                pipe = Pipeline([("scale", StandardScaler()), ("est", est)])
                search = GridSearchCV(pipe, grid, cv=5, scoring="neg_log_loss")
                out[f"{name}/grid/{label}"] = _median_time(
                    partial(search.fit, X, y), max(1, repeats // 3)
                )
                est.fit(Xs, y)  # warm
                out[f"{name}/fit/{label}"] = _median_time(
                    partial(est.fit, Xs, y), repeats
                )
    return out


def by_c(repeats: int) -> list[str]:
    """Per ``C`` of the grid: iterations and time of one fit, ours and LR's."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    from sklearn_softmax import SoftmaxRegression

    warnings.simplefilter("ignore")
    lines = [
        "| data set | C | ours: n_iter | ours | LR: n_iter | LR | ours / LR |",
        "|---|---|---|---|---|---|---|",
    ]
    with threadpool_limits(1):
        for name in DATASETS:
            X, y = _load(name)
            X = StandardScaler().fit_transform(X)
            for C in np.logspace(-3, 3, 10):
                ours, lr = SoftmaxRegression(C=C), LogisticRegression(C=C)
                t_ours = _median_time(partial(ours.fit, X, y), repeats)
                t_lr = _median_time(partial(lr.fit, X, y), repeats)
                lines.append(
                    f"| {name} | {C:.3g} | {ours.n_iter_} | {t_ours * 1e3:.1f} ms "
                    f"| {int(np.max(lr.n_iter_))} | {t_lr * 1e3:.1f} ms "
                    f"| {t_ours / t_lr:.2f} |"
                )
    return lines


def _export(revision: str, directory: str) -> None:
    archive = subprocess.run(
        ["git", "archive", revision, "sklearn_softmax"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", directory], input=archive, check=True)


def _run_child(tree: Path, repeats: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    command = [sys.executable, __file__, "--child", "--repeats", str(repeats)]
    done = subprocess.run(command, env=env, check=True, capture_output=True)
    return json.loads(done.stdout)


def _table(before: list[dict], after: list[dict]) -> list[str]:
    def med(runs, key):
        return float(np.median([r[key] for r in runs]))

    lines = [
        "| data set | measurement | before | after | after / before "
        "| LogisticRegression | before / LR | after / LR |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in DATASETS:
        for kind in ("grid", "fit"):
            b, a = med(before, f"{name}/{kind}/ours"), med(after, f"{name}/{kind}/ours")
            lr = med(before + after, f"{name}/{kind}/lr")
            what = "GridSearchCV 10 C x 5 folds" if kind == "grid" else "one fit"
            lines.append(
                f"| {name} | {what} | {b * 1e3:.1f} ms | {a * 1e3:.1f} ms "
                f"| {a / b:.2f} | {lr * 1e3:.1f} ms | {b / lr:.2f} | {a / lr:.2f} |"
            )
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="HEAD", help="git revision (before)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.repeats)))
        return
    sys.path.insert(0, str(Path(__file__).parent))
    from _report import cpu_snapshot, foreign_load, machine_info, write_report

    start, snapshot = time.perf_counter(), cpu_snapshot()
    before, after = [], []
    with tempfile.TemporaryDirectory() as old:
        _export(args.against, old)
        for i in range(args.rounds):
            print(f"round {i + 1}/{args.rounds}", file=sys.stderr, flush=True)
            before.append(_run_child(Path(old), args.repeats))
            after.append(_run_child(ROOT, args.repeats))
    # The children's CPU time counts as foreign here: subtract this run's.
    load = foreign_load(snapshot, cpu_snapshot()) - 1.0
    lines = [
        "# Small fits: fixed costs, before and after",
        "",
        *machine_info(sys.argv),
        f"- before: `{args.against}`; after: the working tree; "
        f"{args.rounds} alternating rounds, medians",
        f"- other processes used about {max(load, 0.0):.1f} of the cores during "
        "the run (a shared machine: absolute times are noisy, the side-by-side "
        "ratios less so)",
        "",
        *_table(before, after),
        "",
        "One fit at each C of the grid (the working tree, medians of "
        f"{args.repeats} fits):",
        "",
        *by_c(args.repeats),
    ]
    seconds = time.perf_counter() - start
    write_report(lines, ROOT / "benchmarks" / "results", "small", seconds)


if __name__ == "__main__":
    main()
