"""Fits and predictions from several threads at once, in a fresh process.

The test suite pins BLAS to one thread (conftest), so what a fit leaves
behind in the thread pools is checked in a subprocess that starts with its
BLAS at two threads, as a user's process would.
"""

import json
import subprocess
import sys
import textwrap

import numpy as np

SCRIPT = textwrap.dedent(
    """
    import json, threading, warnings
    warnings.simplefilter("ignore")
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits
    from sklearn.datasets import make_classification

    import sklearn_softmax._objectives._threads as blocks
    from sklearn_softmax import SoftmaxRegression

    # Count the block kernels running at once, across every fit.
    lock, running, peak = threading.Lock(), [0], [0]
    run = blocks.CORES.run

    def counted(kernel, *args):
        def kernel_counted(*a):
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            try:
                return kernel(*a)
            finally:
                with lock:
                    running[0] -= 1
        return run(kernel_counted, *args)

    blocks.CORES.run = counted

    def blas():
        return sorted({i["num_threads"] for i in threadpool_info()
                       if i["user_api"] == "blas"})

    X, y = make_classification(
        n_samples=40_000, n_features=60, n_informative=30, n_classes=5,
        random_state=0,
    )
    params = [dict(C=C, solver=s) for C in (0.1, 1.0) for s in ("newton-cg", "lbfgs")]

    def fit(p):
        return SoftmaxRegression(**p, tol=1e-8, max_iter=50).fit(X, y).coef_

    threadpool_limits(limits=2, user_api="blas")
    before = blas()
    sequential = [fit(p) for p in params]
    with ThreadPoolExecutor(4) as pool:
        concurrent = list(pool.map(fit, params))
    model = SoftmaxRegression().fit(X, y)
    expected = model.predict_proba(X)
    with ThreadPoolExecutor(4) as pool:
        predicted = list(pool.map(lambda _: model.predict_proba(X), range(4)))
    print(json.dumps({
        "before": before,
        "after": blas(),
        "same_fits": all(np.array_equal(a, b) for a, b in zip(sequential, concurrent)),
        "same_predictions": all(np.array_equal(expected, p) for p in predicted),
        "peak": peak[0],
        "cores": blocks.available_cpus(),
    }))
    """
)


def test_concurrent_fits_leave_the_thread_pools_and_the_results_alone():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    ).stdout
    report = json.loads(out.strip().splitlines()[-1])
    assert report["before"] == [2]
    assert report["after"] == report["before"]
    assert report["same_fits"]
    assert report["same_predictions"]
    # 4 fits of 40,000 × 60 (several blocks each) at once: never more block
    # kernels than cores.
    assert 1 <= report["peak"] <= report["cores"]
    assert np.isfinite(report["peak"])


def test_a_one_block_fit_runs_serially_without_asking_for_the_cores(monkeypatch):
    # A small fit is one block: serial, and the kernel's affinity mask is not
    # read (neither for the block pool nor for the memory check).
    from sklearn.datasets import load_wine

    import sklearn_softmax._backends._numpy as backend
    import sklearn_softmax._objectives._numpy as objective
    from sklearn_softmax import SoftmaxRegression
    from sklearn_softmax._objectives import SoftmaxObjective

    X, y = load_wine(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    reference = SoftmaxRegression().fit(X, y)

    def refuse():
        raise AssertionError("available_cpus() called for a one-block fit")

    monkeypatch.setattr(backend, "available_cpus", refuse)
    monkeypatch.setattr(objective, "available_cpus", refuse)
    pools = []
    parallel = SoftmaxObjective.parallel

    def spy(self, n_threads=None):
        pools.append(len(self.blocks))
        return parallel(self, n_threads)

    monkeypatch.setattr(SoftmaxObjective, "parallel", spy)
    fitted = SoftmaxRegression().fit(X, y)
    assert pools == [1]
    np.testing.assert_array_equal(fitted.coef_, reference.coef_)
