"""Predictions of a cross-validated estimator: those of its final model.

``SoftmaxRegressionCV`` stores the chosen model's ``classes_``, ``coef_`` and
``intercept_``; every prediction checks ``X`` against the fit and hands it to a
:class:`SoftmaxRegression` carrying those parameters.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted, validate_data

from ._cv_path import as_model


class BestModelPredictMixin:
    """``decision_function``, ``predict_proba``, ``predict_log_proba``, ``predict``."""

    def _delegate(self, method: str, X):
        """``method`` of the final model, on ``X`` checked against the fit."""
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            reset=False,
        )
        model = as_model(self.classes_, self.coef_, self.intercept_)
        return getattr(model, method)(X)

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Linear scores of each sample, as :meth:`SoftmaxRegression.decision_function`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            Logits per class; for two classes ``z₁ − z₀``.
        """
        return self._delegate("decision_function", X)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to one; columns follow ``classes_``.
        """
        return self._delegate("predict_proba", X)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Log-probabilities of each sample, computed as a log-softmax.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return self._delegate("predict_log_proba", X)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Most probable class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        return self._delegate("predict", X)
