"""Inference: statsmodels' MNLogit and Logit, invariances, direct formulas, errors."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats
from sklearn.datasets import load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from sklearn_softmax import SoftmaxInference, SoftmaxRegression, SoftmaxRegressionCV
from sklearn_softmax._inference import SeparationWarning, _compute, _information

TIGHT = dict(C=np.inf, tol=1e-10, max_iter=1000)


def _standardised(X):
    return (X - X.mean(0)) / X.std(0)


def _generated(n=300, M=3, K=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, M))
    logits = X @ rng.normal(size=(M, K)) * 0.8
    P = np.exp(logits - logits.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    y = (P.cumsum(1) > rng.random((n, 1))).argmax(1)
    return X, y, rng.integers(0, 15, n)


def _wine():
    X, y = load_wine(return_X_y=True)
    return _standardised(X[:, [0, 1, 4]]), y, np.arange(y.shape[0]) % 12


def _iris_pair():
    X, y = load_iris(return_X_y=True)
    keep = y > 0  # versicolor and virginica overlap: a finite MLE
    return _standardised(X[keep][:, :3]), y[keep], np.arange(100) % 10


PROBLEMS = {"generated": _generated, "wine": _wine, "iris": _iris_pair}


def _statsmodels_fit(X, y, cov_type, groups):
    sm = pytest.importorskip("statsmodels.api")
    model = (sm.Logit if np.unique(y).shape[0] == 2 else sm.MNLogit)(
        (y == y.max()).astype(float) if np.unique(y).shape[0] == 2 else y,
        sm.add_constant(X),
    )
    kwargs = {"cov_type": "HC0" if cov_type == "HC1" else cov_type}
    if cov_type == "cluster":
        kwargs["cov_kwds"] = {"groups": groups}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(method="newton", disp=0, maxiter=100, **kwargs)


def _ours_as_statsmodels(values, intercept):
    """(rows, M) and (rows,) to statsmodels' (M + 1, rows), constant first."""
    return np.column_stack([intercept, values]).T


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1", "cluster"])
def test_matches_statsmodels(problem, cov_type):
    X, y, groups = PROBLEMS[problem]()
    clf = SoftmaxRegression(**TIGHT).fit(X, y)
    kw = {"groups": groups} if cov_type == "cluster" else {}
    with warnings.catch_warnings():  # a finite MLE: no separation
        warnings.simplefilter("error", SeparationWarning)
        res = clf.inference(X, y, cov_type=cov_type, reference=clf.classes_[0], **kw)
    ref = _statsmodels_fit(X, y, cov_type, groups)
    bse_ref = np.asarray(ref.bse).reshape(X.shape[1] + 1, -1)
    if cov_type == "HC1":  # statsmodels' discrete models give HC0 for HC1
        n, k = X.shape[0], bse_ref.size
        bse_ref = bse_ref * np.sqrt(n / (n - k))
    bse = _ours_as_statsmodels(res.bse, res.intercept_bse)
    np.testing.assert_allclose(bse, bse_ref, rtol=1e-5)
    params = np.asarray(ref.params).reshape(bse_ref.shape)
    np.testing.assert_allclose(
        _ours_as_statsmodels(res.coef, res.intercept), params, rtol=1e-5, atol=1e-8
    )
    p_ref = 2 * stats.norm.sf(np.abs(params / bse_ref))
    if cov_type != "HC1":
        p_ref = np.asarray(ref.pvalues).reshape(bse_ref.shape)
    np.testing.assert_allclose(
        _ours_as_statsmodels(res.pvalues, res.intercept_pvalues), p_ref, rtol=1e-4
    )
    if cov_type != "HC1":
        ci = np.asarray(ref.conf_int())
        if ci.ndim == 2 and ci.shape[-1] == 2 and bse_ref.shape[1] > 1:
            ci = ci.reshape(bse_ref.shape[1], bse_ref.shape[0], 2)[:, 1:]
            np.testing.assert_allclose(res.conf_int(), ci, rtol=1e-5, atol=1e-7)
        elif bse_ref.shape[1] == 1:
            np.testing.assert_allclose(res.conf_int()[0], ci[1:], rtol=1e-5)


def test_statsmodels_wald_test():
    sm = pytest.importorskip("statsmodels.api")
    X, y, _ = _wine()
    clf = SoftmaxRegression(**TIGHT).fit(X, y)
    res = clf.inference(X, y, reference=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm.MNLogit(y, sm.add_constant(X)).fit(method="newton", disp=0)
        # feature 1 (column 2 of exog) zero in both equations; params (M+1)×2 F-order
        R = np.zeros((2, 8))
        R[0, 2], R[1, 6] = 1, 1
        expected = ref.wald_test(R, scalar=True, use_f=False)
    ours = res.wald_test_features([1])
    assert ours.df == 2
    np.testing.assert_allclose(ours.statistic, expected.statistic, rtol=1e-5)
    np.testing.assert_allclose(ours.pvalue, expected.pvalue, rtol=1e-4)


def test_symmetric_contrasts_equal_reference():
    X, y, groups = _generated(K=4, seed=3)
    clf = SoftmaxRegression(**TIGHT).fit(X, y)
    for cov_type in ("nonrobust", "cluster"):
        kw = {"groups": groups} if cov_type == "cluster" else {}
        sym = clf.inference(X, y, cov_type=cov_type, **kw)
        assert sym.coef.shape == (4, 3) and sym.reference is None
        np.testing.assert_allclose(sym.coef.sum(0), 0, atol=1e-10)
        V, Mp = sym.cov_params(), 4
        for ref in range(4):
            res = clf.inference(X, y, cov_type=cov_type, reference=ref, **kw)
            for row, k in enumerate(res.classes):
                contrast = np.zeros((Mp, 4 * Mp))
                for m in range(Mp):
                    contrast[m, k * Mp + m], contrast[m, ref * Mp + m] = 1, -1
                est = contrast @ np.hstack([sym.coef, sym.intercept[:, None]]).ravel()
                var = np.diag(contrast @ V @ contrast.T)
                ours = np.append(res.coef[row], res.intercept[row])
                ours_se = np.append(res.bse[row], res.intercept_bse[row])
                np.testing.assert_allclose(est, ours, rtol=1e-7, atol=1e-10)
                np.testing.assert_allclose(np.sqrt(var), ours_se, rtol=1e-7)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1", "cluster"])
def test_integer_frequency_weights_equal_repeated_rows(cov_type):
    X, y, groups = _generated(n=120, seed=1)
    w = np.random.default_rng(2).integers(0, 4, y.shape[0])
    rows = np.repeat(np.arange(y.shape[0]), w)
    kw = lambda g: {"groups": g} if cov_type == "cluster" else {}  # noqa: E731
    weighted = SoftmaxRegression(**TIGHT).fit(X, y, sample_weight=w)
    repeated = SoftmaxRegression(**TIGHT).fit(X[rows], y[rows])
    a = weighted.inference(X, y, w, cov_type=cov_type, **kw(groups))
    b = repeated.inference(X[rows], y[rows], cov_type=cov_type, **kw(groups[rows]))
    assert a.nobs == b.nobs == w.sum()
    np.testing.assert_allclose(a.cov_params(), b.cov_params(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(a.pvalues, b.pvalues, rtol=1e-5, atol=1e-14)


@pytest.mark.parametrize("cov_type", ["HC0", "HC1", "cluster"])
def test_probability_weights_invariant_to_scaling(cov_type):
    X, y, groups = _generated(n=150, seed=4)
    w = np.random.default_rng(5).uniform(0.2, 3.0, y.shape[0])
    w[:5] = 0  # rows of weight zero do not count in n
    kw = {"groups": groups} if cov_type == "cluster" else {}
    results = []
    for scale in (1.0, 1e-3, 250.0):
        clf = SoftmaxRegression(**TIGHT).fit(X, y, sample_weight=scale * w)
        results.append(
            clf.inference(
                X, y, scale * w, cov_type=cov_type, weights="probability", **kw
            )
        )
    for other in results[1:]:
        np.testing.assert_allclose(other.bse, results[0].bse, rtol=1e-6)
    assert results[0].nobs == y.shape[0] - 5


def test_class_weight_multiplies_like_sample_weight():
    X, y, _ = _generated(n=150, seed=6)
    cw = {0: 2.0, 1: 0.5, 2: 1.0}
    a = SoftmaxRegression(class_weight=cw, **TIGHT).fit(X, y)
    s = np.array([cw[k] for k in y])
    b = SoftmaxRegression(**TIGHT).fit(X, y, sample_weight=s)
    with pytest.warns(UserWarning, match="class_weight"):
        a.inference(X, y)
    np.testing.assert_allclose(
        a.inference(X, y, cov_type="HC1").bse,
        b.inference(X, y, s, cov_type="HC1").bse,
        rtol=1e-6,
    )


def _direct_covariance(X, y, W, C, robust, bayes=False):
    """The L2 covariance in the sum-to-zero subspace by the dense formulas.

    Full parameter (K classes × (M + 1), class-major), orthonormal basis Q of
    the subspace, V = Q (QᵀHQ)⁻¹ QᵀBQ (QᵀHQ)⁻¹ Qᵀ.
    """
    N, M = X.shape
    K = W.shape[1]
    Xt = np.hstack([X, np.ones((N, 1))])
    Z = Xt @ W
    P = np.exp(Z - Z.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    Y = np.eye(K)[y]
    information = sum(
        np.kron(np.diag(p) - np.outer(p, p), np.outer(x, x))
        for x, p in zip(Xt, P, strict=True)
    )
    scores = np.einsum("nk,nm->nkm", P - Y, Xt).reshape(N, -1)
    B = scores.T @ scores if robust else information
    D = np.kron(np.eye(K), np.diag(np.r_[np.ones(M), 0.0]))
    H = information + D / C
    basis = np.linalg.svd(np.eye(K) - 1.0 / K)[0][:, : K - 1]
    Q = np.kron(basis, np.eye(M + 1))
    Hq = np.linalg.inv(Q.T @ H @ Q)
    if bayes:
        return Q @ Hq @ Q.T
    return Q @ Hq @ Q.T @ B @ Q @ Hq @ Q.T


@pytest.mark.parametrize(
    "cov_type, penalized", [("nonrobust", "sandwich"), ("HC0", "sandwich"),
                            ("nonrobust", "bayes")]
)  # fmt: skip
def test_l2_sandwich_against_direct_formula(cov_type, penalized):
    X, y, _ = _generated(n=80, seed=7)
    C = 0.05
    clf = SoftmaxRegression(C=C, tol=1e-10, max_iter=1000).fit(X, y)
    res = clf.inference(X, y, cov_type=cov_type, penalized=penalized)
    W = np.vstack([clf.coef_.T, clf.intercept_])
    expected = _direct_covariance(
        X, y, W, C, cov_type == "HC0", bayes=penalized == "bayes"
    )
    np.testing.assert_allclose(res.cov_params(), expected, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(res.coef, clf.coef_, atol=1e-8)  # sums to zero


def test_l2_two_classes_against_direct_formula():
    X, y, _ = _iris_pair()
    C = 0.1
    clf = SoftmaxRegression(C=C, tol=1e-10, max_iter=1000).fit(X, y)
    res = clf.inference(X, y, cov_type="HC0")
    Xt = np.hstack([X, np.ones((X.shape[0], 1))])
    beta = np.r_[clf.coef_[0], clf.intercept_]
    p = 1 / (1 + np.exp(-Xt @ beta))
    H = (Xt * (p * (1 - p))[:, None]).T @ Xt + np.diag(np.r_[np.ones(3), 0]) / (2 * C)
    g = Xt * (p - (y == 2))[:, None]
    Hi = np.linalg.inv(H)
    np.testing.assert_allclose(res.cov_params(), Hi @ g.T @ g @ Hi, rtol=1e-6)
    assert res.coef.shape == (1, 3)


@pytest.mark.parametrize("dense_share", [0.05, 1.1])  # slices densified or not
def test_sparse_equals_dense(dense_share, monkeypatch):
    monkeypatch.setattr(_information, "_DENSE_SHARE", dense_share)
    X, y, groups = _generated(n=200, M=5, seed=8)
    X[np.abs(X) < 0.7] = 0
    clf = SoftmaxRegression(**TIGHT).fit(X, y)
    for cov_type in ("HC1", "cluster"):
        kw = {"groups": groups} if cov_type == "cluster" else {}
        dense = clf.inference(X, y, cov_type=cov_type, **kw)
        for fmt in ("csr", "csc"):
            sparse = clf.inference(
                sp.csr_matrix(X).asformat(fmt), y, cov_type=cov_type, **kw
            )
            np.testing.assert_allclose(
                sparse.cov_params(), dense.cov_params(), rtol=1e-9
            )


def test_relaxed_refits_the_kept_features():
    X, y, _ = _generated(n=300, M=6, seed=9)
    X[:, 4:] *= 0.01  # weak features the L1 fit drops
    l1 = SoftmaxRegression(C=0.02, l1_ratio=1.0, tol=1e-8, max_iter=2000).fit(X, y)
    kept = np.flatnonzero(np.any(l1.coef_ != 0, axis=0))
    assert 0 < kept.shape[0] < 6
    with pytest.raises(ValueError, match="relaxed"):
        l1.inference(X, y)
    res = l1.inference(X, y, cov_type="HC1", penalized="relaxed")
    refit = SoftmaxRegression(**TIGHT).fit(X[:, kept], y)
    expected = refit.inference(X[:, kept], y, cov_type="HC1")
    np.testing.assert_allclose(res.bse[:, kept], expected.bse, rtol=1e-5)
    dropped = np.setdiff1d(np.arange(6), kept)
    assert np.all(np.isnan(res.bse[:, dropped])) and np.all(
        np.isnan(res.coef[:, dropped])
    )
    assert res.df_model == kept.shape[0] * 2 and res.penalized == "relaxed"
    with pytest.raises(ValueError, match="without a variance"):
        res.wald_test_features([int(dropped[0])])


def test_wald_tests_and_table():
    pd = pytest.importorskip("pandas")
    X, y, _ = _wine()
    frame = pd.DataFrame(X, columns=["alcohol", "malic", "magnesium"])
    clf = SoftmaxRegression(**TIGHT).fit(frame, y)
    res = clf.inference(frame, y, cov_type="HC0")
    one = res.wald_test(np.eye(res.cov_params().shape[0])[1])
    np.testing.assert_allclose(one.statistic, res.zvalues[0, 1] ** 2, rtol=1e-10)
    assert one.df == 1
    by_name = res.wald_test_features(["malic", "alcohol"])
    assert by_name == res.wald_test_features([1, 0]) and by_name.df == 4
    table = res.summary()
    assert table.shape == (12, 6)
    assert table.loc[(1, "malic"), "std err"] == res.bse[1, 1]
    assert res.conf_int(0.1).shape == (3, 3, 2)
    assert isinstance(res, SoftmaxInference)
    with pytest.raises(ValueError):
        res.bse[0, 0] = 1.0
    with pytest.raises(AttributeError):
        res.cov_type = "HC1"


def test_cv_uses_the_refitted_model():
    X, y, _ = _wine()
    cv = SoftmaxRegressionCV(Cs=[0.1, 1.0], tol=1e-10, max_iter=500).fit(X, y)
    single = SoftmaxRegression(C=cv.C_, tol=1e-10, max_iter=500).fit(X, y)
    np.testing.assert_allclose(
        cv.inference(X, y, cov_type="HC1").bse,
        single.inference(X, y, cov_type="HC1").bse,
        rtol=1e-6,
    )
    cv.set_params(refit=False).fit(X, y)
    with pytest.raises(ValueError, match="refit=True"):
        cv.inference(X, y)


@pytest.fixture(scope="module")
def fitted():
    X, y, groups = _generated(n=150, seed=10)
    return SoftmaxRegression(**TIGHT).fit(X, y), X, y, groups


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(cov_type="HC2"), "cov_type must be one of"),
        (dict(weights="survey"), "weights must be one of"),
        (dict(penalized="ignore"), "penalized must be one of"),
        (dict(cov_type="cluster"), "needs groups"),
        (dict(groups=np.zeros(150)), "groups is used with cov_type='cluster'"),
        (dict(cov_type="cluster", groups=np.zeros(150)), "at least 2 clusters"),
        (dict(cov_type="cluster", groups=np.zeros(10)), r"groups must have shape"),
        (dict(weights="probability"), "cov_type='HC1'"),
        (dict(cov_type="HC0", penalized="bayes"), "model-based"),
        (dict(reference="z"), "is not one of the classes"),
    ],
)
def test_bad_options(fitted, change, match):
    clf, X, y, _ = fitted
    before = dict(clf.__dict__)
    with pytest.raises(ValueError, match=match):
        clf.inference(X, y, **change)
    assert clf.__dict__.keys() == before.keys()


def test_bad_data(fitted):
    clf, X, y, _ = fitted
    with pytest.raises(NotFittedError):
        SoftmaxRegression().inference(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.inference(X[:, :2], y)
    with pytest.raises(ValueError, match="rows"):
        clf.inference(X, y[:-1])
    with pytest.raises(ValueError, match="not fitted on"):
        clf.inference(X, np.where(y == 2, 7, y))
    with pytest.raises(ValueError, match="lacks the classes"):
        clf.inference(X, np.where(y == 2, 1, y))
    with pytest.raises(ValueError, match="non-negative"):
        clf.inference(X, y, -np.ones(150))


def test_penalties_refused_where_asked(fitted):
    _, X, y, _ = fitted
    l2 = SoftmaxRegression(C=1.0).fit(X, y)
    with pytest.raises(ValueError, match="penalized='raise'"):
        l2.inference(X, y, penalized="raise")
    stopped = SoftmaxRegression(early_stopping=True).fit(X, y)
    with pytest.raises(ValueError, match="early"):
        stopped.inference(X, y)


def test_singular_information_is_an_error():
    X, y, _ = _generated(n=150, seed=11)
    X = np.column_stack([X, np.full(150, 3.0)])  # a constant beside the intercept
    clf = SoftmaxRegression(**TIGHT).fit(X, y)
    with pytest.raises(ValueError, match=r"singular.*x3.*intercept"):
        clf.inference(X, y, reference=0)
    # A penalty identifies the constant's coefficient: no error. The data say
    # nothing about it, so its sandwich variance is 0, its posterior one not.
    ridge = SoftmaxRegression(C=1.0, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(ridge.inference(X, y).bse[:, 3], 0, atol=1e-6)
    assert np.all(ridge.inference(X, y, penalized="bayes").bse > 1e-3)


def test_near_singular_warns_and_flags_only_those(fitted):
    _, X, y, _ = fitted
    rng = np.random.default_rng(12)
    X = np.column_stack([X, X[:, 0] + 3e-5 * rng.normal(size=150)])
    clf = SoftmaxRegression(C=np.inf, tol=1e-6, max_iter=1000).fit(X, y)
    with pytest.warns(UserWarning, match="nearly singular"):
        res = clf.inference(X, y, reference=0)
    assert np.all(np.isnan(res.bse[:, [0, 3]]))
    assert np.all(np.isfinite(res.bse[:, [1, 2]]))


def test_separation_is_detected():
    rng = np.random.default_rng(13)
    X = rng.normal(size=(80, 2))
    y = np.where(X[:, 0] > 0.3, 2, np.where(X[:, 0] < -0.3, 0, 1))
    clf = SoftmaxRegression(C=np.inf, max_iter=50).fit(X, y)
    # Converged, the fit has saturated its probabilities: the warning, then
    # the singular information, blamed on the separation.
    with pytest.warns(SeparationWarning, match="separated"):
        with pytest.raises(ValueError, match="separated.*saturated"):
            clf.inference(X, y, cov_type="HC1")
    # Stopped early (finite, unsaturated coefficients): the warning alone.
    with pytest.warns(ConvergenceWarning):
        early = SoftmaxRegression(C=np.inf, max_iter=3).fit(X, y)
    with pytest.warns(SeparationWarning, match="separated"):
        early.inference(X, y, cov_type="HC1")
    # A penalised fit has a finite optimum: no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        SoftmaxRegression(C=1.0).fit(X, y).inference(X, y)


def test_too_large_is_refused(fitted, monkeypatch):
    clf, X, y, _ = fitted
    monkeypatch.setattr(_compute, "MAX_ENTRIES", 100)
    with pytest.raises(ValueError, match=r"144 entries.*fewer features"):
        clf.inference(X, y)


def test_without_intercept_matches_statsmodels():
    sm = pytest.importorskip("statsmodels.api")
    X, y, _ = _wine()
    clf = SoftmaxRegression(fit_intercept=False, **TIGHT).fit(X, y)
    res = clf.inference(X, y, cov_type="HC0", reference=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm.MNLogit(y, X).fit(method="newton", disp=0, cov_type="HC0")
    np.testing.assert_allclose(res.bse.T, np.asarray(ref.bse), rtol=1e-5)
    assert res.intercept is None and res.intercept_bse is None
    assert res.cov_params().shape == (6, 6)
    pytest.importorskip("pandas")
    assert res.summary().shape == (6, 6)


@pytest.mark.parametrize(
    "params, fit_params, named",
    [
        ({"penalty_factor": np.r_[0.0, np.ones(3)]}, {}, "penalty_factor"),
        ({"positive": True, "solver": "lbfgs"}, {}, "positive"),
        ({"upper_bounds": 1.0, "solver": "lbfgs"}, {}, "upper_bounds"),
        ({"standardize": True}, {}, "standardize"),
        ({"label_smoothing": 0.1}, {}, "label_smoothing"),
        ({}, {"target_proba": "soft"}, "target_proba"),
        ({}, {"offset": "offset"}, "offset"),
    ],
)
def test_inference_refuses_fits_of_another_likelihood(params, fit_params, named):
    """Soft targets, offsets and structured penalties: a ValueError naming them."""
    X, y = load_iris(return_X_y=True)
    rng = np.random.default_rng(0)
    values = {
        "soft": 0.5 * rng.dirichlet(np.ones(3), len(y)) + 0.5 * np.eye(3)[y],
        "offset": rng.normal(size=(len(y), 3)),
    }
    fit_params = {k: values[v] for k, v in fit_params.items()}
    model = SoftmaxRegression(**params).fit(X, y, **fit_params)
    with pytest.raises(ValueError, match=f"fitted with {named}"):
        model.inference(X, y)
