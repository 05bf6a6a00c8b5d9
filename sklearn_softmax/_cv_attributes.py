"""The fitted attributes of ``SoftmaxRegressionCV``, from its folds' paths.

``scores_`` has shape ``(n_folds, n_Cs, n_l1_ratios)``, ``coefs_paths_``
``(n_folds, n_Cs, n_l1_ratios, n_classes, n_features [+ 1])``; the final model
is the refit at the best mean score, or the mean of the folds' coefficients.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from ._cv_grid import STRUCTURED
from ._cv_path import PathSpec, mean_over_folds
from ._estimator import SoftmaxRegression

# The parameters passed unchanged to every SoftmaxRegression fit.
SHARED = (
    "fit_intercept",
    "solver",
    "tol",
    "max_iter",
    "class_weight",
    "random_state",
    "verbose",
    *STRUCTURED,
    "label_smoothing",
)


def warn_failed_fits(paths: list, n_fits: int, solver: str) -> None:
    """One ``ConvergenceWarning`` for the fits of the path that did not converge."""
    n_failed = sum(int((~path.converged).sum()) for path in paths)
    if n_failed:
        warnings.warn(
            f"{n_failed} of {n_fits} fits of the path did not "
            f"converge (solver={solver!r}); increase max_iter, or scale "
            "the data.",
            ConvergenceWarning,
            stacklevel=4,
        )


class CVAttributesMixin:
    """Sets the path's attributes and the final model of the CV estimator."""

    n_features_in_: int
    fit_intercept: bool
    refit: bool
    scores_: np.ndarray
    coefs_paths_: np.ndarray

    def _set_final_model(
        self, spec: PathSpec, paths: list, X, y, sample_weight, fit_params
    ):
        """``C_``, ``l1_ratio_`` of the best mean score; the refit or the mean.

        ``fit_params``: the soft targets and offset of the refit.
        """
        Cs, l1_ratios = spec.Cs, spec.l1_ratios
        i, j = np.unravel_index(self.scores_.mean(axis=0).argmax(), Cs.shape)
        self.C_, self.l1_ratio_ = float(Cs[i, j]), float(l1_ratios[j])
        if self.refit:
            final = SoftmaxRegression(C=self.C_, l1_ratio=self.l1_ratio_, **spec.params)
            final.fit(X, y, sample_weight=sample_weight, **fit_params)
            self.coef_, self.intercept_ = final.coef_, final.intercept_
        else:
            present = np.stack([path.present for path in paths])
            self._set_mean_of_folds(self.coefs_paths_[:, i, j], present)

    def _set_path_attributes(self, spec: PathSpec, paths: list):
        self.classes_ = spec.classes
        self.Cs_ = spec.Cs
        self.l1_ratios_ = spec.l1_ratios
        self.scores_ = np.stack([path.scores for path in paths])
        self.coefs_paths_ = np.stack([path.coefs for path in paths])
        self.n_iter_ = np.stack([path.n_iter for path in paths])
        nonzero = (self.coefs_paths_[..., : self.n_features_in_] != 0).any(axis=-2)
        self.n_nonzero_paths_ = np.count_nonzero(nonzero, axis=-1)
        self.n_features_selected_paths_ = self.n_nonzero_paths_

    def _set_mean_of_folds(self, rows: np.ndarray, present: np.ndarray) -> None:
        """``coef_``, ``intercept_``: each class's mean over the folds it is in."""
        mean = mean_over_folds(rows, present)
        self.coef_ = mean[:, : self.n_features_in_]
        if self.fit_intercept:
            self.intercept_ = mean[:, self.n_features_in_]
        else:
            self.intercept_ = np.zeros(mean.shape[0], dtype=mean.dtype)


class CVInferenceMixin:
    """:meth:`inference` of the CV estimator: that of its refitted model."""

    refit: bool
    C_: float
    l1_ratio_: float

    def inference(self, X, y, sample_weight=None, **options):
        """:meth:`SoftmaxRegression.inference` of the refitted model (same options).

        Needs ``refit=True``; the choice of ``C`` is not accounted for.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn_softmax import SoftmaxRegressionCV
        >>> X, y = load_iris(return_X_y=True)
        >>> SoftmaxRegressionCV(Cs=3).fit(X, y).inference(X, y).coef.shape
        (3, 4)
        """
        check_is_fitted(self)
        if not self.refit:
            raise ValueError("inference needs refit=True (a model fitted on all data).")
        final = SoftmaxRegression(C=self.C_, l1_ratio=self.l1_ratio_)
        final.set_params(**{n: getattr(self, n) for n in SHARED})
        names = (
            "classes_ coef_ intercept_ n_features_in_ feature_names_in_ "
            "_fitted_with_offset _fitted_with_targets"
        ).split()
        for name in (n for n in names if hasattr(self, n)):
            setattr(final, name, getattr(self, name))
        return final.inference(X, y, sample_weight, **options)
