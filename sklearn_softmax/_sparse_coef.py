"""``sparsify`` and ``densify``: store ``coef_`` as a sparse matrix and back.

Conventions
-----------
After :meth:`SparseCoefMixin.sparsify`, ``coef_`` is a
``scipy.sparse.csr_matrix`` of the same shape and dtype; ``intercept_`` is
left as it is. Every method that reads ``coef_`` (predictions, warm start)
goes through :meth:`SparseCoefMixin._dense_coef` or handles the sparse case
itself. A new ``fit`` always sets a dense ``coef_``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted


class SparseCoefMixin:
    """Adds ``sparsify`` and ``densify`` to an estimator with ``coef_``."""

    def sparsify(self):
        """Store ``coef_`` as a ``scipy.sparse.csr_matrix``.

        Worth it when most coefficients are exactly zero, as an L1 penalty
        (``l1_ratio > 0``) makes them: the matrix then takes less memory and
        ``predict``, ``predict_proba`` and ``decision_function`` multiply by
        the non-zero entries only. Predictions are unchanged.

        Returns
        -------
        self : object
            The estimator, with ``coef_`` sparse.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.preprocessing import scale
        >>> from sklearn_softmax import SoftmaxRegression
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SoftmaxRegression(C=0.1, l1_ratio=1.0).fit(scale(X), y)
        >>> clf.sparsify().coef_.format
        'csr'
        >>> int((clf.coef_ != 0).sum()), clf.coef_.shape
        (4, (3, 4))
        """
        check_is_fitted(self)
        if not sp.issparse(self.coef_):
            self.coef_ = sp.csr_matrix(self.coef_)
        return self

    def densify(self):
        """Store ``coef_`` as a dense ``numpy.ndarray`` again.

        For three or more classes with an intercept, ``coef_`` and
        ``intercept_`` become views of one array again, as after ``fit``.

        Returns
        -------
        self : object
            The estimator, with ``coef_`` dense.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.preprocessing import scale
        >>> from sklearn_softmax import SoftmaxRegression
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SoftmaxRegression(C=0.1, l1_ratio=1.0).fit(scale(X), y)
        >>> type(clf.sparsify().densify().coef_).__name__
        'ndarray'
        """
        check_is_fitted(self)
        if sp.issparse(self.coef_):
            coef = self.coef_.toarray()
            if coef.shape[0] > 1 and self.fit_intercept:
                W = np.vstack([coef.T, self.intercept_[None, :]])
                coef, self.intercept_ = W[:-1].T, W[-1]
            self.coef_ = coef
        return self

    def _dense_coef(self) -> np.ndarray:
        """``coef_`` as an ndarray, whether it is stored dense or sparse."""
        coef = self.coef_
        return coef.toarray() if sp.issparse(coef) else coef
