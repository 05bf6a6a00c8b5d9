"""SoftmaxRegressionCV: ``C`` (and ``l1_ratio``) chosen by cross-validation.

This module speaks scikit-learn (parameters, data checks, folds, the final
model); :mod:`._cv_path` fits and scores the path of each fold.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metadata_routing import MetadataRouter
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, validate_data

from ._backends._inputs import check_sample_weight, encode_labels
from ._cv_attributes import SHARED as _SHARED
from ._cv_attributes import CVAttributesMixin, CVInferenceMixin, warn_failed_fits
from ._cv_grid import check_l1_ratios, grid_of_Cs
from ._cv_path import (
    PathSpec,
    check_path_memory,
    fold_path,
    neg_log_loss_scorer,
    split,
)
from ._cv_routing import metadata_router, routed_params
from ._cv_targets import fold_targets
from ._doc_link import DOC_LINK_TEMPLATE
from ._estimator import SoftmaxRegression, _restore_on_error
from ._penalties import penalty_strength
from ._predict import SoftmaxPredictMixin


class SoftmaxRegressionCV(
    ClassifierMixin,
    SoftmaxPredictMixin,
    CVAttributesMixin,
    CVInferenceMixin,
    BaseEstimator,
):
    r"""Softmax regression with ``C`` and ``l1_ratio`` chosen by cross-validation.

    For each ``l1_ratio`` in ``l1_ratios`` and each fold, fits
    :class:`SoftmaxRegression` along a path of ``C`` values, from strong to
    weak regularisation, each fit warm-started from the previous one, and
    scores it on the fold's held-out part. The pair ``(C, l1_ratio)`` with the
    best mean score is kept and, with ``refit=True``, fitted on all the data.

    Parameters
    ----------
    Cs : int or array-like of float, default=10
        An int: that many values of ``C``, geometrically spaced from
        ``C_min`` (the largest penalty worth trying, computed from the data;
        see Notes) to ``C_min · 10⁴``. An array-like: the values themselves,
        positive (``np.inf`` means no penalty), fitted in increasing order.
    l1_ratios : array-like of float, default=None
        Values of ``l1_ratio`` in ``[0, 1]`` to try; ``None`` means ``[0.0]``
        (L2 only). Values above ``0`` need a ``solver`` that accepts an L1
        term: ``"auto"`` (the default) or ``"fista"``.
    cv : int, cross-validation generator or iterable, default=None
        As in scikit-learn: an int is a number of stratified folds. ``None``
        uses ``StratifiedKFold`` with ``min(5, m)`` folds, ``m`` the size of
        the smallest class (at least 2), so that every class appears in every
        training part whenever it has two samples or more. A group splitter
        (``GroupKFold``, ...) takes the ``groups`` passed to :meth:`fit`.
    scoring : str or callable, default=None
        Scorer used to choose ``C`` and by :meth:`score`. ``None`` means the
        negative log loss, as ``"neg_log_loss"`` but over all the classes, so
        that a test part lacking some of them can be scored. Sample weights
        are passed to the scorer when its metric accepts ``sample_weight``;
        with metadata routing enabled, when the scorer requests them (the
        default scorer does; a scorer named by a string does not until it is
        given as ``make_scorer(...).set_score_request(sample_weight=True)``).
    n_jobs : int, default=None
        Folds fitted in parallel by joblib; ``None`` means 1 unless in a
        ``joblib.parallel_backend`` context, ``-1`` all processors.
    refit : bool, default=True
        If True, refit :class:`SoftmaxRegression` on all the data with the best
        ``C`` and ``l1_ratio``. If False, ``coef_`` and ``intercept_`` are the
        mean of the folds' parameters at that pair (see Notes).
    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept.
    solver : str, default="auto"
        Solver of every fit; see :class:`SoftmaxRegression`.
    tol : float, default=1e-4
        Stopping tolerance of every fit (see :class:`SoftmaxRegression`):
        the refit at ``C_`` is as far from the optimum as a fit at that
        ``tol``. Under L2 with ``solver="auto"`` (newton-cg, whose rule also
        bounds the gap) the default refit equals a tight fit at ``C_`` (on
        standardised wine, a relative gap of 6e-12, coefficients within 6e-6).
    max_iter : int, default=100
        Iteration limit of every fit.
    class_weight : dict or "balanced", default=None
        Weights per class, multiplied into ``sample_weight``; ``"balanced"``
        is computed on each training part.
    random_state : int, RandomState instance or None, default=None
        Passed to the fits (unused by the deterministic solvers). The default
        splitter does not shuffle.
    verbose : int, default=0
        Verbosity of the fits and of joblib.
    penalty_factor, grouped, lower_bounds, upper_bounds, positive, standardize
        As in :class:`SoftmaxRegression`, for every fit; the data-driven
        path then starts where every penalised row (or group) is zero.
    label_smoothing : float, default=0.0
        As in :class:`SoftmaxRegression`, for every fit; the scores use the
        hard labels.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    Cs_ : ndarray of shape (n_Cs, n_l1_ratios)
        The values of ``C``, increasing down each column; column ``j`` is the
        path of ``l1_ratios_[j]`` (all columns are equal when ``Cs`` is given
        as values).
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
        The values of ``l1_ratio``.
    C_ : float
        The best ``C``. A scalar, where ``LogisticRegressionCV`` (with its
        default ``use_legacy_attributes=True``) repeats it per class.
    l1_ratio_ : float
        The best ``l1_ratio``; a scalar as well.
    scores_ : ndarray of shape (n_folds, n_Cs, n_l1_ratios)
        Held-out score of each fold at each ``(C, l1_ratio)``.
    coefs_paths_ : ndarray of shape (n_folds, n_Cs, n_l1_ratios, n_rows, n_dof)
        Parameters of every fit: ``n_rows`` is ``n_classes``, or 1 for two
        classes; ``n_dof`` is ``n_features``, plus 1 for the intercept (last)
        when it is fitted. A class missing from a fold's training part has
        zero coefficients there (and an intercept of ``-inf``), and the fold's
        model gives it probability zero.
    n_nonzero_paths_ : ndarray of shape (n_folds, n_Cs, n_l1_ratios)
        Number of features with a non-zero coefficient for some class.
    n_features_selected_paths_ : ndarray of shape (n_folds, n_Cs, n_l1_ratios)
        ``n_features_selected_`` of each fit of the path (the same counts).
    n_iter_ : ndarray of shape (n_folds, n_Cs, n_l1_ratios)
        Iterations of each fit of the path (the refit is not counted).
    coef_ : ndarray of shape (n_classes, n_features) or (1, n_features)
        Coefficients of the final model; ``w₁ − w₀`` for two classes.
    intercept_ : ndarray of shape (n_classes,) or (1,)
        Intercepts of the final model.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when ``X`` had string column names.

    See Also
    --------
    SoftmaxRegression : the estimator fitted at each point of the path.
    sklearn.linear_model.LogisticRegressionCV : its counterpart in scikit-learn.

    Notes
    -----
    With sample weights ``s`` (times class weights), the penalty zeroes all
    coefficients for ``C ≤ C_min = ρ / max |∇_W Σ s ℓ|`` when
    ``ρ = l1_ratio > 0``, the gradient taken at zero coefficients and the
    best constant intercept. For ``ρ = 0`` the path starts at the ``C_min``
    of ``ρ = 1``. ``C_min`` is computed once on all the training data, so
    every fold is scored at the same values.

    The folds' scores are compared through their mean; the first maximum
    wins, that is the smallest ``C`` among equal scores. With
    ``refit=False`` the folds' parameters at the best pair are averaged, as in
    ``LogisticRegressionCV``, a class's over the folds whose training part
    contains it; ``LogisticRegressionCV`` instead averages each fold's own
    best, so its ``C_`` need not be a grid value.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_softmax import SoftmaxRegressionCV
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxRegressionCV(Cs=5).fit(X, y)
    >>> clf.scores_.shape
    (5, 5, 1)
    >>> bool(clf.C_ == clf.Cs_[clf.scores_.mean(axis=0).argmax(), 0])
    True
    >>> clf.predict(X[:2])
    array([0, 0])
    """

    # The HTML representation links to the API page (see _doc_link.py).
    _doc_link_module = "sklearn_softmax"
    _doc_link_template = DOC_LINK_TEMPLATE

    _parameter_constraints: dict = {
        "Cs": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "l1_ratios": ["array-like", None],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "n_jobs": [Integral, None],
        "refit": ["boolean"],
        **{name: SoftmaxRegression._parameter_constraints[name] for name in _SHARED},
    }

    def __init__(
        self,
        Cs=10,
        l1_ratios=None,
        cv=None,
        scoring=None,
        n_jobs=None,
        refit=True,
        fit_intercept=True,
        solver="auto",
        tol=1e-4,
        max_iter=100,
        class_weight=None,
        random_state=None,
        verbose=0,
        penalty_factor=None,
        grouped=False,
        lower_bounds=None,
        upper_bounds=None,
        positive=False,
        standardize=False,
        label_smoothing=0.0,
    ):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose
        self.penalty_factor = penalty_factor
        self.grouped = grouped
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds
        self.positive = positive
        self.standardize = standardize
        self.label_smoothing = label_smoothing

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        *,
        target_proba: ArrayLike | None = None,
        offset: ArrayLike | None = None,
        **params,
    ) -> SoftmaxRegressionCV:
        """Cross-validate the path, then fit the final model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 input is fitted in float32.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, used by the fits and by the scorer (see
            ``scoring``).
        target_proba, offset : array-like of shape (n_samples, n_classes)
            As in :meth:`SoftmaxRegression.fit`, cut per fold: its fits get
            the training part's (every class must be in it), its scores the
            test part's offset; the scores use the hard labels ``y``.
        **params : dict
            Metadata for the splitter and the scorer. Without metadata
            routing only ``groups`` is accepted, and goes to ``cv``'s
            ``split``. With routing enabled
            (``sklearn.set_config(enable_metadata_routing=True)``), each
            parameter goes where it is requested: ``groups`` to a group
            splitter, others to a scorer that requests them; one that
            nothing requests raises a ``TypeError``.

        Returns
        -------
        self : SoftmaxRegressionCV
            The fitted estimator.
        """
        with _restore_on_error(self):
            X, y = validate_data(
                self, X, y, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32]
            )
            y = np.asarray(y)
            check_classification_targets(y)
            classes, y_index = encode_labels(y)
            if sample_weight is not None:
                sample_weight = check_sample_weight(sample_weight, y.shape[0])
            scorer = self._scorer(classes)
            split_params, score_params = routed_params(
                self, "fit", scorer, sample_weight, params
            )
            l1_ratios = check_l1_ratios(self.l1_ratios, self.solver)
            targets, s, T, Off = fold_targets(
                self, X, y_index, classes, sample_weight, target_proba, offset
            )
            params = {name: getattr(self, name) for name in _SHARED}
            Cs = grid_of_Cs(
                self.Cs, l1_ratios, X, y_index, classes, s, params, terms=(T, Off)
            )
            # The strongest penalty of the path, on all the data, up front.
            penalty_strength(Cs.min(), s.sum())
            folds = split(self.cv, X, y, y_index, classes, split_params)
            spec = PathSpec(
                classes=classes,
                Cs=Cs,
                l1_ratios=l1_ratios,
                params=params,
                scorer=scorer,
            )
            check_path_memory(
                X, y_index, classes, s, spec.params, l1_ratios, folds, self.n_jobs
            )
            paths = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
                delayed(fold_path)(
                    spec, X, y, sample_weight, score_params, train, test, targets
                )
                for train, test in folds
            )
            self._set_path_attributes(spec, paths)
            self._fitted_with_offset = offset is not None  # ONNX: a second input
            self._fitted_with_targets = target_proba is not None  # inference
            refit = {} if targets is None else targets.fit_params(slice(None))
            self._set_final_model(spec, paths, X, y, sample_weight, refit)
        warn_failed_fits(paths, self.n_iter_.size, self.solver)
        return self

    def _scorer(self, classes: np.ndarray | None):
        if self.scoring is None:
            return neg_log_loss_scorer(classes)
        return check_scoring(self, scoring=self.scoring)

    def get_metadata_routing(self) -> MetadataRouter:
        """Where the metadata passed to :meth:`fit` and :meth:`score` go.

        As in ``LogisticRegressionCV``: ``fit`` consumes ``sample_weight``
        itself and routes to ``cv``'s ``split`` (``groups``) and to the
        scorer; ``score`` routes to the scorer. See scikit-learn's
        metadata routing user guide.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
            The routing of this estimator.
        """
        return metadata_router(self, self._scorer(None))

    def score(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        **score_params,
    ) -> float:
        """The ``scoring`` of the model on ``X`` and ``y``.

        As in ``LogisticRegressionCV``, this is the score used to choose ``C``
        (negative log loss by default), not the accuracy.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights, passed to the scorer as during :meth:`fit` (see
            ``scoring``).
        **score_params : dict
            Metadata for the scorer; only with metadata routing enabled.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        scorer = self._scorer(self.classes_)
        _, kwargs = routed_params(self, "score", scorer, sample_weight, score_params)
        return float(scorer(self, X, y, **kwargs))
