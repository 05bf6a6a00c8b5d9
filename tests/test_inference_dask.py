"""Inference on dask arrays equals inference in memory."""

import numpy as np
import pytest

from sklearn_softmax import SoftmaxRegression

da = pytest.importorskip("dask.array")


def _data(n=240, M=3, K=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, M))
    logits = X @ rng.normal(size=(M, K))
    P = np.exp(logits - logits.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    y = (P.cumsum(1) > rng.random((n, 1))).argmax(1)
    return X, y, rng.uniform(0.5, 2, n), rng.integers(0, 12, n)


@pytest.mark.parametrize(
    "cov_type, weights, class_weight",
    [
        ("nonrobust", "frequency", None),
        ("HC1", "frequency", "balanced"),
        ("HC0", "probability", {0: 2.0}),
        ("cluster", "frequency", None),
        ("cluster", "probability", "balanced"),
    ],
)
def test_dask_equals_in_memory(cov_type, weights, class_weight):
    X, y, w, groups = _data()
    clf = SoftmaxRegression(C=0.5, class_weight=class_weight, tol=1e-10).fit(
        X, y, sample_weight=w
    )
    kw = {"cov_type": cov_type, "weights": weights}
    memory = clf.inference(
        X, y, w, groups=groups if cov_type == "cluster" else None, **kw
    )
    chunks = (70, 50, 120)
    lazy = clf.inference(
        da.from_array(X, chunks=(chunks, 3)),
        da.from_array(y, chunks=(chunks,)),
        da.from_array(w, chunks=(chunks,)),
        groups=da.from_array(groups, chunks=(chunks,))
        if cov_type == "cluster"
        else None,
        **kw,
    )
    np.testing.assert_allclose(lazy.cov_params(), memory.cov_params(), rtol=1e-10)
    np.testing.assert_allclose(lazy.coef, memory.coef)
    np.testing.assert_allclose(lazy.nobs, memory.nobs, rtol=1e-12)


def test_dask_bad_input():
    X, y, w, groups = _data()
    clf = SoftmaxRegression().fit(X, y)
    Xd = da.from_array(X, chunks=(60, 3))
    with pytest.raises(ValueError, match="not fitted on"):
        clf.inference(Xd, da.from_array(np.where(y == 2, 5, y), chunks=60))
    with pytest.raises(ValueError, match="lacks the classes"):
        clf.inference(Xd, da.from_array(np.where(y == 2, 1, y), chunks=60))
    with pytest.raises(ValueError, match="fitted on 3 features"):
        clf.inference(Xd[:, :2], y)
    with pytest.raises(ValueError, match="non-negative"):
        clf.inference(Xd, y, -w)
