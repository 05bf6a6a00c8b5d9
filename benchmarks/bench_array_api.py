"""Array-API benchmark: SoftmaxRegression against LogisticRegression on torch.

Both estimators fit the same torch tensors under
``sklearn.config_context(array_api_dispatch=True)``: on the GPU when
``torch.cuda.is_available()`` (or ``--device``), else on the CPU. The data
is ``make_classification`` (default 100,000 × 200, 10 classes, standardised,
float32). Ours runs ``lbfgs`` and ``newton-cg`` (``sgd`` with ``--sgd``);
scikit-learn runs ``LogisticRegression(solver="lbfgs")``, the solver that
supports array-API inputs. Both minimise the same scaled objective (the
weighted mean loss plus ``‖coef‖² / (2 C N)``) and stop on the same test,
``max |gradient| ≤ tol``: each ``tol`` is a matched stopping point.

For each ``tol``, every fit is timed ``--repeats`` times (interleaved: ours,
theirs, ours, ...; the minimum is reported, ``time.perf_counter`` around
``fit``, after a device synchronisation; on the CPU also the process's CPU
time, ``time.process_time``, less disturbed by other processes on a shared
machine). The objective each fit reached is
evaluated in float64 on the host from ``coef_`` and ``intercept_``, the same
formula for both, against ``f*``, the smallest value of all fits and of a
tight float64 fit of ours. Writes
``results/<date>-array-api-<device>.md``; see benchmarks/README.md.
"""

from __future__ import annotations

import os

# scikit-learn's dispatch needs scipy's array-API mode, read when scipy loads.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from _report import machine_info, write_report  # noqa: E402
from scipy.special import logsumexp  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_softmax import SoftmaxRegression  # noqa: E402
from sklearn_softmax._core._namespace import to_numpy  # noqa: E402
from sklearn_softmax._objectives._array_api import ArrayAPISoftmaxObjective  # noqa: E402

C = 1.0
#: Passes over X by our objective since the last reset: each evaluation of
#: the loss (and gradient) and each Hessian-vector product.
PASSES = {"count": 0}


def _count_passes() -> None:
    """Wrap the device objective's methods to count its passes over ``X``."""

    def counted(method):
        def wrapper(self, *args):
            PASSES["count"] += 1
            result = method(self, *args)
            if method.__name__ == "value_grad_hessp":
                f, g, hessp = result
                result = f, g, counted_hessp(hessp)
            return result

        return wrapper

    def counted_hessp(hessp):
        def wrapper(v):
            PASSES["count"] += 1
            return hessp(v)

        wrapper.diagonal = hessp.diagonal
        return wrapper

    for name in ("value", "value_and_grad", "value_grad_hessp"):
        method = getattr(ArrayAPISoftmaxObjective, name)
        setattr(ArrayAPISoftmaxObjective, name, counted(method))


def make_data(n_samples: int, n_features: int, n_classes: int):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_features // 4,
        n_redundant=n_features // 20,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


def objective(model, X64: np.ndarray, y_index: np.ndarray) -> float:
    """``mean ℓ + ‖coef‖² / (2 C N)`` in float64 from the fitted parameters."""
    coef = to_numpy(model.coef_).astype(np.float64)
    intercept = to_numpy(model.intercept_).astype(np.float64)
    Z = X64 @ coef.T + intercept
    loss = logsumexp(Z, axis=1) - Z[np.arange(Z.shape[0]), y_index]
    return float(loss.mean() + (coef**2).sum() / (2 * C * X64.shape[0]))


def timed_fit(make, X, y, synchronize) -> tuple[tuple[float, float], object]:
    """``((wall seconds, CPU seconds), fitted model)`` of one fit under dispatch."""
    model = make()
    with sklearn.config_context(array_api_dispatch=True), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        synchronize()
        start, cpu_start = time.perf_counter(), time.process_time()
        model.fit(X, y)
        synchronize()
    return (time.perf_counter() - start, time.process_time() - cpu_start), model


def n_iter(model) -> int:
    return int(np.asarray(to_numpy(model.n_iter_)).ravel()[0])


def run(args) -> tuple[str, list[str]]:
    """Fit everything; the device's name and the report's markdown lines."""
    import torch

    _count_passes()
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")

    def synchronize():
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    load_before = os.getloadavg()[0]
    X_np, y_np = make_data(args.n_samples, args.n_features, args.n_classes)
    X = torch.asarray(X_np.astype(np.float32), device=device)
    y = torch.asarray(y_np, device=device)
    ours = ["lbfgs", "newton-cg"] + (["sgd"] if args.sgd else [])
    estimators = {
        f"SoftmaxRegression({s!r})": (
            lambda s=s, tol=None: SoftmaxRegression(
                solver=s, C=C, tol=tol, max_iter=args.max_iter, random_state=0
            )
        )
        for s in ours
    }
    estimators["LogisticRegression('lbfgs')"] = lambda tol=None: LogisticRegression(
        solver="lbfgs", C=C, tol=tol, max_iter=args.max_iter
    )
    # f*: a tight float64 fit of ours, on the same device.
    X64 = torch.asarray(X_np, device=device)
    _, tight = timed_fit(
        lambda: SoftmaxRegression(solver="newton-cg", C=C, tol=1e-9, max_iter=100),
        X64,
        y,
        synchronize,
    )
    del X64
    f_star = objective(tight, X_np, y_np)
    rows = []
    for tol in args.tols:
        times = {name: [] for name in estimators}
        results = {}
        passes = {}
        for _ in range(args.repeats):
            for name, make in estimators.items():
                PASSES["count"] = 0
                seconds, model = timed_fit(
                    lambda make=make, tol=tol: make(tol=tol), X, y, synchronize
                )
                times[name].append(seconds)
                results[name] = model
                passes[name] = PASSES["count"] if name.startswith("Softmax") else None
        for name, model in results.items():
            wall, cpu = (min(t) for t in zip(*times[name], strict=True))
            rows.append((tol, name, (wall, cpu), model, passes[name]))
        f_star = min(f_star, *(objective(m, X_np, y_np) for m in results.values()))
    theirs = {tol: t for tol, name, t, _, _ in rows if name.startswith("Logistic")}
    lines = [
        "| tol | estimator | fit (wall) | fit (CPU) | n_iter_ | passes over X "
        "| (F − f\\*) / f\\* | ours / theirs (wall) | ours / theirs (CPU) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for tol, name, (wall, cpu), model, n_passes in rows:
        gap = (objective(model, X_np, y_np) - f_star) / f_star
        ratios = ["–", "–"]
        if not name.startswith("Logistic"):
            pairs = zip((wall, cpu), theirs[tol], strict=True)
            ratios = [f"{ours / reference:.2f}" for ours, reference in pairs]
        lines.append(
            f"| {tol:g} | {name} | {wall:.2f} s | {cpu:.2f} s | {n_iter(model)} | "
            f"{'–' if n_passes is None else n_passes} | {gap:.1e} | "
            f"{ratios[0]} | {ratios[1]} |"
        )
    header = [
        *machine_info([__file__, *args.argv]),
        f"- device: {device}"
        + (f" ({torch.cuda.get_device_name()})" if device.startswith("cuda") else "")
        + f"; torch {torch.__version__}, {torch.get_num_threads()} threads",
        f"- data: make_classification {args.n_samples:,} × {args.n_features}, "
        f"{args.n_classes} classes, standardised, float32 torch tensors; C={C}, "
        f"max_iter={args.max_iter}; fit time best of {args.repeats} (interleaved)",
        f"- f\\* = {f_star:.10f} (smallest of all fits and of a float64 "
        "newton-cg fit of ours with tol=1e-9)",
        f"- 1-minute load average: {load_before:.2f} before the run, "
        f"{os.getloadavg()[0]:.2f} after it (a load above the number of cores "
        "means other processes competed for them)",
    ]
    return device, ["# Array-API benchmark (torch)", "", *header, "", *lines]


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 × 100")
    parser.add_argument("--n-samples", type=int, default=None)
    parser.add_argument("--n-features", type=int, default=None)
    parser.add_argument("--n-classes", type=int, default=10)
    parser.add_argument("--tols", type=float, nargs="+", default=[1e-4, 1e-6])
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--device", default=None, help="default: cuda if available")
    parser.add_argument("--sgd", action="store_true", help="also time solver='sgd'")
    parser.add_argument("--output-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    args.argv = argv
    args.n_samples = args.n_samples or (20_000 if args.quick else 100_000)
    args.n_features = args.n_features or (100 if args.quick else 200)
    args.repeats = args.repeats or (2 if args.quick else 3)
    device, lines = run(args)
    out = args.output_dir or Path(__file__).parent / "results"
    suffix = "-quick" if args.quick else ""
    write_report(lines, out, f"array-api-{device.replace(':', '')}{suffix}")


if __name__ == "__main__":
    main()
