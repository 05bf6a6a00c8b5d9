"""Predictions from ``coef_`` and ``intercept_``: scores, probabilities, labels.

The scores are computed in the core's layout, ``(K, N)`` (``K = 1`` for two
classes, whose single row is ``z₁ − z₀``), from a dense or sparse ``coef_``
(after :meth:`._sparse_coef.SparseCoefMixin.sparsify`), and transposed to
scikit-learn's ``(n_samples, ...)`` on the way out. A dask array gets a lazy
dask array back, the same method mapped over its row chunks.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted, validate_data

from ._backends._array_api import array_api_method
from ._backends._dispatch import lazy_on_dask
from ._core import _logits, log_softmax, softmax


class SoftmaxPredictMixin:
    """``decision_function``, ``predict_proba``, ``predict_log_proba``, ``predict``."""

    # Fitted attributes read here: a dense array, or CSR after sparsify().
    coef_: np.ndarray | sp.csr_matrix
    intercept_: np.ndarray

    @lazy_on_dask
    @array_api_method
    def decision_function(self, X):
        """Linear scores ``z = W[:M]ᵀ x + b`` of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            Logits per class; for two classes ``z₁ − z₀``, positive where
            ``classes_[1]`` is predicted.
        """
        Z = self._logits(X)
        return Z[0] if Z.shape[0] == 1 else Z.T

    def _logits(self, X) -> np.ndarray:
        """Scores in the core's layout: shape ``(K, N)``, ``K = 1`` if binary."""
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            reset=False,
        )
        if sp.issparse(self.coef_):  # after sparsify(): a sparse product
            Z = self.coef_.astype(X.dtype) @ X.T
            Z = Z.toarray() if sp.issparse(Z) else np.asarray(Z)
        else:
            Z = _logits(self.coef_.T.astype(X.dtype, copy=False), X.T)
        Z += self.intercept_.astype(X.dtype, copy=False)[:, None]
        return Z

    def _all_logits(self, X) -> np.ndarray:
        """Logits of every class, ``(K, N)``; binary as ``[0, z₁ − z₀]``."""
        Z = self._logits(X)
        if Z.shape[0] == 1:
            Z = np.vstack([np.zeros_like(Z), Z])
        return Z

    @lazy_on_dask
    @array_api_method
    def predict_proba(self, X):
        """Class probabilities ``softmax(z)`` of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to one; columns follow ``classes_``.
        """
        return softmax(self._all_logits(X)).T

    @lazy_on_dask
    @array_api_method
    def predict_log_proba(self, X):
        """Log-probabilities, computed as a log-softmax of the scores.

        Never ``-inf`` where a probability underflows to zero.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return log_softmax(self._all_logits(X)).T

    @lazy_on_dask
    @array_api_method
    def predict(self, X):
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
        indices = self._all_logits(X).argmax(axis=0)
        return self.classes_[indices]
