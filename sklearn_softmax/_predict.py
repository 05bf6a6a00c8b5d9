"""Predictions from ``coef_`` and ``intercept_``: scores, probabilities, labels.

One path for every input. The scores are computed in the core's layout,
``(K, N)`` (``K = 1`` for two classes, whose single row is ``z₁ − z₀``; see
:mod:`._binary`), with the functions of ``X``'s namespace: NumPy (dense or
sparse ``X``, dense ``coef_`` or the CSR ``coef_`` of
:meth:`._sparse_coef.SparseCoefMixin.sparsify`), or, under
``array_api_dispatch``, the namespace and device of an array-API ``X``
(torch, CuPy, array-api-strict), which must be those of ``coef_`` (checked
by :func:`._backends._array_api.array_api_method`). The probabilities are
:mod:`._core._kernel`'s softmax of the scores (in place for NumPy), and
everything is transposed to scikit-learn's ``(n_samples, ...)`` on the way
out. A dask array gets a lazy dask array back, the same method mapped over
its row chunks (:func:`._backends._dispatch.lazy_on_dask`).

float32 ``X`` gives float32 scores and probabilities; labels are those of
``classes_`` (string labels stay a NumPy array).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import accuracy_score
from sklearn.utils._array_api import device
from sklearn.utils.validation import check_is_fitted, validate_data

from ._backends._array_api import array_api_method
from ._backends._dispatch import lazy_on_dask
from ._backends._targets import check_offset
from ._binary import with_zero_class
from ._core import _logits
from ._core._kernel import log_softmax_columns, softmax_columns
from ._core._namespace import namespace, to_namespace, to_numpy


def linear_scores(coef, intercept, X, xp: Any = np):
    """``Z = coef Xᵀ + b`` of shape ``(n_rows, N)``, in ``X``'s namespace and dtype.

    A new array. NumPy ``X`` may be sparse, and ``coef`` a sparse matrix.
    """
    if sp.issparse(coef):  # after sparsify(): a sparse product
        Z = coef.astype(X.dtype) @ X.T
        Z = Z.toarray() if sp.issparse(Z) else np.asarray(Z)
    elif xp is np:
        Z = _logits(coef.T.astype(X.dtype, copy=False), X.T)
    else:
        Z = _logits(xp.astype(coef, X.dtype).T, X.T)
    if xp is np:
        Z += intercept.astype(X.dtype, copy=False)[:, None]
        return Z
    return Z + xp.astype(intercept, X.dtype)[:, None]


class SoftmaxPredictMixin:
    """``decision_function``, ``predict_proba``, ``predict_log_proba``, ``predict``."""

    # Fitted attributes read here: a dense array (of X's namespace), or CSR
    # after sparsify().
    coef_: Any
    intercept_: Any
    classes_: Any

    def _logits(self, X, offset=None) -> tuple[Any, Any, Any]:
        """``(Z, X, xp)``: the scores ``(K, N)`` (``K = 1`` if binary), and ``X``.

        ``X`` is validated in its namespace ``xp`` (NumPy itself for NumPy,
        sparse and array-like input); ``offset`` (checked here, NumPy only)
        is added to the scores.
        """
        check_is_fitted(self)
        found = namespace(X)
        xp = np if found is None else found[0]
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[xp.float64, xp.float32],
            reset=False,
        )
        Z = linear_scores(self.coef_, self.intercept_, X, xp)
        if offset is not None:
            Z = self._add_offset(Z, offset, X, xp)
        return Z, X, xp

    def _add_offset(self, Z, offset, X, xp):
        """``Z`` plus the checked ``offset`` (its difference for two classes).

        Checked on the host; on ``X``'s device for array-API input.
        """
        if namespace(offset) is not None:
            offset = to_numpy(offset)
        dtype = np.float32 if X.dtype == xp.float32 else np.float64
        Off = check_offset(offset, X.shape[0], self.classes_.shape[0], dtype)
        assert Off is not None
        Off = Off[1:] - Off[:1] if Z.shape[0] == 1 else Off  # binary: z₁ − z₀
        if xp is np:
            Z += Off
            return Z
        return Z + to_namespace(Off, xp, device(X))

    def _all_logits(self, X, offset=None) -> tuple[Any, Any, Any]:
        """As :meth:`_logits`, with every class's logits; binary ``[0; z₁ − z₀]``."""
        Z, X, xp = self._logits(X, offset)
        return with_zero_class(Z, xp), X, xp

    @lazy_on_dask
    @array_api_method
    def decision_function(self, X, offset=None):
        """Linear scores ``z = W[:M]ᵀ x + b`` of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        offset : array-like of shape (n_samples, n_classes), default=None
            Known logits added to the scores (``(n_samples,)`` for two
            classes: the positive class's); ``None`` takes them as zero,
            also for a model fitted with offsets.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            Logits per class; for two classes ``z₁ − z₀``, positive where
            ``classes_[1]`` is predicted.
        """
        Z, _, _ = self._logits(X, offset)
        return Z[0, :] if Z.shape[0] == 1 else Z.T

    @lazy_on_dask
    @array_api_method
    def predict_proba(self, X, offset=None):
        """Class probabilities ``softmax(z)`` of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        offset : array-like of shape (n_samples, n_classes), default=None
            Known logits added to the scores (``(n_samples,)`` for two
            classes: the positive class's); ``None`` takes them as zero,
            also for a model fitted with offsets.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to one; columns follow ``classes_``.
        """
        Z, _, xp = self._all_logits(X, offset)
        return softmax_columns(Z, xp, overwrite=True).T

    @lazy_on_dask
    @array_api_method
    def predict_log_proba(self, X, offset=None):
        """Log-probabilities, computed as a log-softmax of the scores.

        Never ``-inf`` where a probability underflows to zero.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        offset : array-like of shape (n_samples, n_classes), default=None
            Known logits added to the scores (``(n_samples,)`` for two
            classes: the positive class's); ``None`` takes them as zero,
            also for a model fitted with offsets.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        Z, _, xp = self._all_logits(X, offset)
        return log_softmax_columns(Z, xp, overwrite=True).T

    @lazy_on_dask
    @array_api_method
    def predict(self, X, offset=None):
        """Most probable class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        offset : array-like of shape (n_samples, n_classes), default=None
            Known logits added to the scores (``(n_samples,)`` for two
            classes: the positive class's); ``None`` takes them as zero,
            also for a model fitted with offsets.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``, in ``X``'s namespace (NumPy for string
            labels).
        """
        Z, X, xp = self._all_logits(X, offset)
        return labels_at(self.classes_, xp.argmax(Z, axis=0), X, xp)


class OffsetScoreMixin:
    """``score`` with an ``offset``: the mean accuracy of ``predict(X, offset)``.

    Placed before scikit-learn's ``ClassifierMixin``, whose ``score`` it
    replaces; its ``offset`` is routed by ``set_score_request(offset=True)``.
    """

    def score(self, X, y, sample_weight=None, offset=None) -> float:
        """Mean accuracy of :meth:`predict` on ``X`` (with ``offset``) and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.
        offset : array-like of shape (n_samples, n_classes), default=None
            As in :meth:`predict`.

        Returns
        -------
        score : float
            The weighted share of correct predictions.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_softmax import SoftmaxRegression
        >>> X, y = np.array([[0.0], [0.1], [0.2]]), np.array([0, 1, 1])
        >>> clf = SoftmaxRegression().fit(X, y)
        >>> clf.score(X, y, offset=np.array([-5.0, 5.0, 5.0]))  # o for class 1
        1.0
        """
        predict = self.predict  # type: ignore[attr-defined]
        return float(
            accuracy_score(y, predict(X, offset=offset), sample_weight=sample_weight)
        )


def labels_at(classes, indices, X, xp: Any = np):
    """``classes[indices]``, in ``X``'s namespace unless the labels are strings.

    ``classes`` is a NumPy array or an array of any namespace (that of ``y``
    in ``fit``); ``indices`` are in ``X``'s namespace ``xp``.
    """
    if xp is np:
        return classes[indices]
    labels = namespace(classes)
    if labels is None:  # NumPy labels: strings stay a NumPy array
        y_pred = classes[to_numpy(indices)]
        if y_pred.dtype.kind in "OSU":
            return y_pred
        return to_namespace(y_pred, xp, device(X))
    xp_c, device_c = labels
    y_pred = xp_c.take(classes, to_namespace(indices, xp_c, device_c), axis=0)
    return to_namespace(y_pred, xp, device(X))
