"""The steps of ``inference``: check, (refit), accumulate, covariance, results.

:func:`inference` is what :meth:`SoftmaxRegression.inference` calls; the
options are described there. Conventions of the layouts: :mod:`._covariance`.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from .._backends._dispatch import is_dask_collection
from .._structured_fit import structured_options
from ._covariance import (
    covariance,
    meat,
    penalty_hessian,
    reference_index,
    small_sample_factor,
    symmetric_map,
)
from ._data import in_memory_parts
from ._results import SoftmaxInference

COV_TYPES = ("nonrobust", "HC0", "HC1", "cluster")
WEIGHTS = ("frequency", "probability")
PENALIZED = ("sandwich", "bayes", "raise", "relaxed")
#: Entries ``((M + 1) K)²`` of the information matrix allowed.
MAX_ENTRIES = 10**8


class SeparationWarning(UserWarning):
    """The classes are (quasi-)completely separated: no finite MLE exists."""


def _check_options(estimator, cov_type, groups, weights, penalized) -> None:
    for name, value, allowed in (
        ("cov_type", cov_type, COV_TYPES),
        ("weights", weights, WEIGHTS),
        ("penalized", penalized, PENALIZED),
    ):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, got {value!r}.")
    if cov_type == "cluster" and groups is None:
        raise ValueError("cov_type='cluster' needs groups: a cluster label per row.")
    if cov_type != "cluster" and groups is not None:
        raise ValueError("groups is used with cov_type='cluster' only.")
    if weights == "probability" and cov_type == "nonrobust":
        raise ValueError(
            "weights='probability' (survey weights) has no nonrobust covariance: "
            "use a sandwich, cov_type='HC1' (or 'HC0', 'cluster')."
        )
    if penalized == "bayes" and cov_type != "nonrobust":
        raise ValueError(
            "penalized='bayes' (the posterior covariance H⁻¹) is model-based: "
            "use it with cov_type='nonrobust', or penalized='sandwich'."
        )
    if getattr(estimator, "early_stopping", False):
        raise ValueError(
            "inference needs the optimum of the objective; an early-stopped fit "
            "is not one. Refit with early_stopping=False."
        )


def _check_penalty(estimator, penalized: str) -> bool:
    """Whether the fit's L2 penalty enters the covariance (False: none, or refit)."""
    C, l1_ratio = float(estimator.C), float(estimator.l1_ratio)
    if not np.isfinite(C) or penalized == "relaxed":
        return False
    if l1_ratio > 0:
        raise ValueError(
            f"l1_ratio={l1_ratio}: the L1 part selects features, and no sandwich "
            f"gives valid inference after selection. Use penalized='relaxed' to "
            f"refit without penalty on the features the fit kept."
        )
    if penalized == "raise":
        raise ValueError(
            f"The fit is penalised (C={C}); penalized='raise' refuses it. Use "
            f"penalized='sandwich' or 'bayes', or fit with C=np.inf."
        )
    return True


def full_parameter(estimator) -> np.ndarray:
    """``W`` of shape ``(M [+ 1], K)``, float64, from ``coef_`` and ``intercept_``."""
    coef = estimator.coef_
    coef = np.asarray(coef.toarray() if sp.issparse(coef) else coef, dtype=float)
    intercept = np.asarray(estimator.intercept_, dtype=float)
    if coef.shape[0] == 1:  # two classes: β = w₁ − w₀, so W = [0, β]
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([[0.0], intercept])
    W = coef.T
    if estimator.fit_intercept:
        W = np.vstack([W, intercept])
    return np.ascontiguousarray(W)


def _reference(classes: np.ndarray, reference) -> tuple[int, bool]:
    """The reference class's index and whether the result is symmetric."""
    K = classes.shape[0]
    if reference is None:
        return 0, K > 2
    hits = np.flatnonzero(classes == reference)
    if hits.shape[0] != 1:
        raise ValueError(
            f"reference={reference!r} is not one of the classes {classes.tolist()}."
        )
    return int(hits[0]), False


def _feature_names(estimator, M: int) -> np.ndarray:
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        names = np.array([f"x{m}" for m in range(M)], dtype=object)
    return np.asarray(names, dtype=object)


def _check_model(estimator) -> None:
    """Refuse the fits whose likelihood is not the one computed here.

    The information and the scores are those of the hard labels ``y``, with
    the elastic net's penalty and no offset: soft targets, label smoothing
    and offsets change the likelihood, penalty factors and standardisation
    the penalty's Hessian, and bounds make the model's support a boundary.
    """
    used = structured_options(estimator)
    if estimator.label_smoothing:
        used.append("label_smoothing")
    used += [
        arg
        for arg, flag in (("target_proba", "_targets"), ("offset", "_offset"))
        if getattr(estimator, f"_fitted_with{flag}", False)
    ]
    if used:
        raise ValueError(
            f"inference is computed for hard labels under the plain elastic net; "
            f"this model was fitted with {', '.join(used)}. Refit without "
            f"{'it' if len(used) == 1 else 'them'} to compute standard errors."
        )


def inference(
    estimator, X, y, sample_weight=None, *, cov_type="nonrobust", groups=None,
    weights="frequency", reference=None, penalized="sandwich",
) -> SoftmaxInference:  # fmt: skip
    """:class:`SoftmaxInference` of a fitted ``estimator`` on its training data."""
    check_is_fitted(estimator)
    _check_model(estimator)
    _check_options(estimator, cov_type, groups, weights, penalized)
    penalised = _check_penalty(estimator, penalized)
    options = dict(cov_type=cov_type, groups=groups, weights=weights)
    if penalized == "relaxed" and np.isfinite(float(estimator.C)):
        return _relaxed(estimator, X, y, sample_weight, reference, options)
    if estimator.class_weight is not None and cov_type == "nonrobust":
        warnings.warn(
            "class_weight reweights the likelihood, so the nonrobust covariance "
            "(the inverse information) does not hold; use cov_type='HC1'.",
            UserWarning,
            stacklevel=3,
        )
    classes = estimator.classes_
    K, M = classes.shape[0], estimator.n_features_in_
    Mp = M + int(estimator.fit_intercept)
    if (Mp * K) ** 2 > MAX_ENTRIES:
        raise ValueError(
            f"The information matrix would have ((n_features + 1) n_classes)² = "
            f"{(Mp * K) ** 2:.3g} entries, more than {MAX_ENTRIES:.0e}. Refit on "
            f"fewer features: those whose coefficients you want to test "
            f"(wald_test_features on that subset)."
        )
    kind = {"nonrobust": None, "cluster": "cluster"}.get(cov_type, weights)
    parts, separated = _parts(
        estimator, X, y, sample_weight, groups, kind, not penalised
    )
    if separated and not penalised:
        warnings.warn(
            "The classes are (quasi-)completely separated by the features: the "
            "maximum-likelihood estimate does not exist, the fit stopped at "
            "finite coefficients, and its standard errors and p-values are not "
            "valid. Use a penalty (finite C) or drop the separating features.",
            SeparationWarning,
            stacklevel=3,
        )
    ref, symmetric = _reference(classes, reference)
    names = _feature_names(estimator, M)
    try:
        return _results(
            estimator, parts, ref, symmetric, penalised, penalized, options, names
        )
    except ValueError as error:
        if not separated or "singular" not in str(error):
            raise
        raise ValueError(
            "The classes are (quasi-)completely separated by the features, and "
            "the fit's probabilities have saturated: the information matrix is "
            "singular there. Use a penalty (finite C) or drop the separating "
            "features."
        ) from error


def _parts(estimator, X, y, sample_weight, groups, kind, check_separation):
    W = full_parameter(estimator)
    if is_dask_collection(X):
        from ._chunks import chunked_parts

        return chunked_parts(estimator, X, y, sample_weight, groups, kind, W), None
    return in_memory_parts(
        estimator, X, y, sample_weight, groups, kind, W, check_separation
    )


def _results(estimator, parts, ref, symmetric, penalised, penalized, options, names):
    classes = estimator.classes_
    K, M = classes.shape[0], names.shape[0]
    fit_intercept = bool(estimator.fit_intercept)
    Mp = M + int(fit_intercept)
    index = reference_index(Mp, K, ref)
    rows = [k for k in range(K) if k != ref]
    labels = [*names, "intercept"][:Mp]
    param_names = [f"{classes[k]}:{labels[m]}" for k in rows for m in range(Mp)]
    cov_type, weights = options["cov_type"], options["weights"]
    n = parts.weight if weights == "frequency" else float(parts.n_positive)
    k_params = Mp * (K - 1)
    n_clusters = None
    if cov_type == "cluster":
        n_clusters = int(np.count_nonzero(parts.cluster_weights > 0))
        if n_clusters < 2:
            raise ValueError(
                "cov_type='cluster' needs at least 2 clusters (of positive "
                f"weight); groups has {n_clusters}."
            )
    if cov_type in ("HC1", "cluster") and not n > k_params:
        raise ValueError(
            f"{cov_type} needs more observations ({n:g}) than free parameters "
            f"({k_params})."
        )
    information = parts.information[np.ix_(index, index)]
    B = None if cov_type == "nonrobust" else meat(parts, cov_type, index)
    D = None
    if penalised:
        D = penalty_hessian(K, Mp, fit_intercept) / float(estimator.C)
    V, involved = covariance(information, B, D, penalized, param_names)
    V *= small_sample_factor(cov_type, n, k_params, n_clusters)
    W = full_parameter(estimator)
    beta = (W[:, rows] - W[:, [ref]]).T  # (K − 1) × Mp
    if symmetric:
        A = symmetric_map(K, Mp, ref)
        flags = np.tile(involved.reshape(K - 1, Mp).any(axis=0), K)
        V = A @ np.where(np.isnan(V), 0.0, V) @ A.T
        V[flags, :] = np.nan
        V[:, flags] = np.nan
        beta = (A @ beta.ravel()).reshape(K, Mp)
        rows = list(range(K))
    return SoftmaxInference(
        coef=beta[:, :M],
        intercept=beta[:, M] if fit_intercept else None,
        cov=V,
        classes=classes[rows],
        reference=None if symmetric else classes[ref],
        feature_names=names,
        nobs=n,
        df_model=M * (K - 1),
        cov_type=cov_type,
        weights=weights,
        penalized=penalized if penalised else "none",
    )


def _relaxed(estimator, X, y, sample_weight, reference, options) -> SoftmaxInference:
    """Refit without penalty on the kept features; NaN for the dropped ones."""
    coef = estimator.coef_
    coef = coef.toarray() if sp.issparse(coef) else np.asarray(coef)
    kept = np.flatnonzero(np.any(coef != 0, axis=0))
    M = coef.shape[1]
    refit = clone(estimator).set_params(C=np.inf, l1_ratio=0.0, warm_start=False)
    X_kept = X.iloc[:, kept] if hasattr(X, "iloc") else X[:, kept]
    refit.fit(X_kept, y, sample_weight=sample_weight)
    sub = inference(refit, X_kept, y, sample_weight, reference=reference, **options)
    rows = sub.coef.shape[0]
    Mp = M + int(estimator.fit_intercept)
    columns = np.concatenate([kept, [M]]) if estimator.fit_intercept else kept
    flat = (np.arange(rows)[:, None] * Mp + columns[None, :]).ravel()
    cov = np.full((rows * Mp, rows * Mp), np.nan)
    cov[np.ix_(flat, flat)] = sub.cov
    coef_full = np.full((rows, M), np.nan)
    coef_full[:, kept] = sub.coef
    return SoftmaxInference(
        coef=coef_full, intercept=sub.intercept, cov=cov, classes=sub.classes,
        reference=sub.reference, feature_names=_feature_names(estimator, M),
        nobs=sub.nobs, df_model=kept.shape[0] * (estimator.classes_.shape[0] - 1),
        cov_type=sub.cov_type, weights=sub.weights, penalized="relaxed",
    )  # fmt: skip
