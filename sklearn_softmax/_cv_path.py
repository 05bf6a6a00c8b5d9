r"""The folds and the regularisation path of :class:`SoftmaxRegressionCV`.

Conventions
-----------
Every fit is a :class:`SoftmaxRegression`; nothing here touches a solver. The
grids share one layout: ``Cs[i, j]`` is the ``i``-th ``C`` of the path of
``l1_ratios[j]``, increasing with ``i``, and a fold's ``scores[i, j]`` and
``coefs[i, j]`` belong to it. ``coefs[i, j]`` holds one row per class (one
row for two classes: ``w₁ − w₀``, as in ``coef_``), the coefficients followed
by the intercept when it is fitted.

The grid of ``C`` (where the path starts, with or without structured
penalties) is :mod:`._cv_grid`'s.

A class missing from a fold's training part cannot be fitted there. The fold
model gives it zero coefficients and probability zero (an intercept of
``-inf``); with a fitted intercept, that is the limit of the fit as the
class's weight goes to zero.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from joblib import effective_n_jobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss, make_scorer
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils.metadata_routing import _routing_enabled
from sklearn.utils.validation import _check_method_params

from ._backends._memory import check_fit_memory
from ._binary import reported_rows, to_per_class
from ._cv_screening import ScreenedPath, screenable
from ._estimator import SoftmaxRegression
from ._objectives import SoftmaxObjective
from ._objectives._threads import available_cpus
from ._penalties import ElasticNet
from ._solvers import get_solver


def check_path_memory(
    X, y_index, classes, s, params: dict, l1_ratios, folds: list, n_jobs
) -> None:
    """Refuse, before any fold is fitted, a path whose parallel fits cannot fit.

    The count of :func:`.._backends._memory.check_fit_memory` for a fit on
    the largest training part, times the fold fits that run at once
    (``n_jobs``, at most one per fold), for the solver of each kind of
    penalty in ``l1_ratios``; the final fit on all the data is checked by
    its own ``fit``.

    Raises
    ------
    MemoryError
        If these fits need more memory than is available.
    """
    objective = SoftmaxObjective(
        X.T, y_index, classes.shape[0], s, params["fit_intercept"]
    )
    n_fits = max(1, min(int(effective_n_jobs(n_jobs)), len(folds)))
    n_train = max(len(train) for train, _ in folds)
    for l1_ratio in {float(r) > 0 for r in l1_ratios}:
        penalty = ElasticNet(1.0, 1.0 if l1_ratio else 0.0)
        try:
            solver = get_solver(params["solver"], penalty, objective, "this input")
        except ValueError:  # refused by the fits themselves, as before
            continue
        check_fit_memory(
            objective,
            solver,
            available_cpus(),
            "SoftmaxRegressionCV.fit",
            n_fits=n_fits,
            n_samples=n_train,
        )


def split(
    cv, X, y, y_index: np.ndarray, classes: np.ndarray, split_params: dict
) -> list:
    """The ``(train, test)`` pairs of ``cv``, checked for fits on every fold.

    ``cv=None`` is a ``StratifiedKFold`` with ``min(5, m)`` folds, ``m`` the
    size of the smallest class (at least 2): every class with two samples or
    more is then in every training part. ``split_params`` (``groups``) go to
    the splitter's ``split``.

    Raises
    ------
    ValueError
        If a training part holds fewer than two classes, or a class is in no
        training part.
    """
    if cv is None:
        smallest = int(np.bincount(y_index).min())
        cv = StratifiedKFold(n_splits=min(5, max(2, smallest)))
    folds = list(check_cv(cv, y, classifier=True).split(X, y, **split_params))
    seen = np.zeros(classes.shape[0], dtype=bool)
    for n, (train, _) in enumerate(folds):
        present = np.unique(y_index[train])
        if present.shape[0] < 2:
            raise ValueError(
                f"The training part of fold {n} holds samples of fewer than "
                f"2 classes ({classes[present].tolist()}); use fewer folds "
                "or a stratified splitter."
            )
        seen[present] = True
    if not seen.all():
        raise ValueError(
            f"Classes {classes[~seen].tolist()} are in no training part of "
            "the cross-validation."
        )
    return folds


def neg_log_loss_scorer(classes: np.ndarray | None):
    """The default scorer: the negative log loss over all ``classes``.

    Naming the classes lets a test part that lacks some of them be scored
    (``classes=None`` gives the scorer whose only use is its metadata request).
    With metadata routing enabled it requests ``sample_weight``, so that it is
    weighted whenever the fits are, as it is without routing.
    """
    scorer = make_scorer(
        log_loss,
        greater_is_better=False,
        response_method="predict_proba",
        labels=classes,
    )
    if _routing_enabled():
        scorer = scorer.set_score_request(sample_weight=True)
    return scorer


@dataclass(frozen=True)
class PathSpec:
    """What every fold needs besides its data.

    Attributes
    ----------
    classes : ndarray of shape (n_classes,)
        All classes of the problem.
    Cs : ndarray of shape (n_Cs, n_l1_ratios)
        The path of each ``l1_ratio``, increasing ``C`` down each column.
    l1_ratios : ndarray of shape (n_l1_ratios,)
    params : dict
        Parameters of every :class:`SoftmaxRegression` besides ``C``,
        ``l1_ratio`` and ``warm_start``.
    scorer : callable
        ``scorer(estimator, X, y, **score_params)``.
    """

    classes: np.ndarray
    Cs: np.ndarray
    l1_ratios: np.ndarray
    params: dict
    scorer: Callable


@dataclass
class FoldPath:
    """One fold's results, on the grid ``(n_Cs, n_l1_ratios)``."""

    scores: np.ndarray
    coefs: np.ndarray | None  # filled in as the path is fitted
    n_iter: np.ndarray
    converged: np.ndarray
    present: np.ndarray  # (n_classes,): the classes of the training part


def fold_path(
    spec: PathSpec, X, y, sample_weight, score_params: dict, train, test,
    targets=None,
) -> FoldPath:  # fmt: skip
    """Fit and score one fold along the whole path, for every ``l1_ratio``.

    Along each path the fits go from strong to weak regularisation, each
    warm-started from the previous solution (and, with an L1 part, screened
    by strong rules: :class:`._cv_screening.ScreenedPath`). ``sample_weight``
    weights the fits; ``score_params`` (metadata of all the samples,
    ``sample_weight`` among them when the scorer is to see it) are cut to the
    test part and passed to the scorer. ``targets`` (a
    :class:`._cv_targets.FoldTargets`) adds the soft targets and offsets of
    the fits and the scores.
    """
    X_train, y_train, X_test, y_test = X[train], y[train], X[test], y[test]
    sw_train = None if sample_weight is None else sample_weight[train]
    score_kwargs = _check_method_params(X, params=score_params, indices=test)
    fit_intercept = spec.params["fit_intercept"]
    present = np.isin(spec.classes, y_train)
    if targets is not None:
        targets.check_fold(present, spec.classes)
    fit_params = {} if targets is None else targets.fit_params(train)
    shape = spec.Cs.shape
    result = FoldPath(
        scores=np.empty(shape),
        coefs=None,
        n_iter=np.empty(shape, dtype=int),
        converged=np.empty(shape, dtype=bool),
        present=present,
    )
    for j, l1_ratio in enumerate(spec.l1_ratios):
        model = SoftmaxRegression(l1_ratio=l1_ratio, warm_start=True, **spec.params)
        screened = None
        if screenable(spec.params, l1_ratio, targets is not None):
            screened = ScreenedPath(spec.params, l1_ratio, X_train, y_train, sw_train)
        for i in range(shape[0]):
            model.set_params(C=spec.Cs[i, j])
            with warnings.catch_warnings():  # counted, and reported once
                warnings.simplefilter("ignore", ConvergenceWarning)
                if screened is not None:  # strong rules, see _cv_screening
                    model = screened.fit(spec.Cs[i, j])
                else:
                    model.fit(X_train, y_train, sample_weight=sw_train, **fit_params)
            rows = global_rows(model, spec.classes, fit_intercept)
            if result.coefs is None:
                result.coefs = np.empty(shape + rows.shape, dtype=rows.dtype)
            result.coefs[i, j] = rows
            X_scored, scored_rows = X_test, rows
            if targets is not None:  # the test part's offset
                X_scored, scored_rows = targets.for_scoring(
                    X_test, rows, fit_intercept, test
                )
            scored = fold_model(spec.classes, scored_rows, fit_intercept, present)
            result.scores[i, j] = spec.scorer(scored, X_scored, y_test, **score_kwargs)
            result.n_iter[i, j] = model.n_iter_
            result.converged[i, j] = model.converged_
    return result


def global_rows(fitted: SoftmaxRegression, classes, fit_intercept) -> np.ndarray:
    """A fold model's parameters as rows of all ``classes``: ``(n_rows, n_dof)``.

    Classes missing from the fold get zero coefficients and, when an intercept
    is fitted, an intercept of ``-inf``.
    """
    coef, intercept = fitted.coef_, fitted.intercept_
    n_features = coef.shape[1]
    n_dof = n_features + int(fit_intercept)
    rows = np.zeros((reported_rows(classes.shape[0]), n_dof), dtype=coef.dtype)
    index: np.ndarray = np.arange(coef.shape[0])
    if rows.shape[0] > coef.shape[0]:  # some classes are missing
        coef, intercept = to_per_class(coef, intercept)  # binary: w₀ = −β/2, w₁ = β/2
        index = np.asarray(np.searchsorted(classes, fitted.classes_))
        if fit_intercept:
            rows[:, n_features] = -np.inf
    rows[index, :n_features] = coef
    if fit_intercept:
        rows[index, n_features] = intercept
    return rows


def fold_model(classes, rows, fit_intercept, present) -> SoftmaxRegression:
    """The fitted fold model with parameters ``rows``, for the scorer.

    Without a fitted intercept, the classes not ``present`` get ``-inf``.
    """
    n_features = rows.shape[1] - int(fit_intercept)
    if fit_intercept:
        intercept = rows[:, n_features]
    elif rows.shape[0] == 1:
        intercept = np.zeros(1, dtype=rows.dtype)
    else:
        intercept = np.where(present, 0.0, -np.inf).astype(rows.dtype)
    return as_model(classes, rows[:, :n_features], intercept)


def as_model(classes, coef, intercept) -> SoftmaxRegression:
    """A fitted :class:`SoftmaxRegression` with the given parameters."""
    model = SoftmaxRegression()
    model.classes_, model.coef_, model.intercept_ = classes, coef, intercept
    model.n_features_in_ = coef.shape[1]
    return model


def mean_over_folds(rows: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Each row's mean over the folds whose training part had its class.

    ``rows`` has shape ``(n_folds, n_rows, n_dof)``, ``present`` shape
    ``(n_folds, n_classes)``; with a single row (two classes) every fold counts.
    """
    if rows.shape[1] == 1:
        present = np.ones((rows.shape[0], 1), dtype=bool)
    total = np.where(present[..., None], rows, 0).sum(axis=0)
    return (total / present.sum(axis=0)[:, None]).astype(rows.dtype)


def accepts_sample_weight(scorer) -> bool:
    """Whether a scorer's metric (or the scorer itself) takes ``sample_weight``."""
    func = getattr(scorer, "_score_func", scorer)
    try:
        return "sample_weight" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
