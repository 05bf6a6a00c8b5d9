"""``SoftmaxRegression.inference``: the estimator's door to the inference layer.

The computation lives in :mod:`._inference`, a layer above the estimator's
("CV, inference, export"); the method imports it when called, the one import
from a layer above (no cycle: that layer imports no estimator module at
import time).
"""

from __future__ import annotations


class InferenceMixin:
    """Adds :meth:`inference` to a fitted softmax model."""

    def inference(
        self, X, y, sample_weight=None, *, cov_type="nonrobust", groups=None,
        weights="frequency", reference=None, penalized="sandwich",
    ):  # fmt: skip
        """Standard errors, p-values and tests of the fitted model.

        Post hoc, on the training data (see the user guide, "Inference").

        Parameters
        ----------
        X, y, sample_weight
            The data and weights of the fit (dask arrays for a dask fit).
        cov_type : {"nonrobust", "HC0", "HC1", "cluster"}, default="nonrobust"
            The inverse information; the sandwich ``H⁻¹ B H⁻¹`` (HC1 times
            ``n / (n − k)``, ``k`` the free parameters); or clustered by
            ``groups`` (CR1: times ``G/(G − 1) · (n − 1)/(n − k)``).
        groups : array-like of shape (n_samples,), default=None
            Cluster labels, for ``cov_type="cluster"``.
        weights : {"frequency", "probability"}, default="frequency"
            A weight is a count (``n = Σ s``), or a survey weight (sandwich
            types only, invariant to rescaling; ``n`` the rows with ``s > 0``).
        reference : label, default=None
            ``None``: every class, the sum-to-zero parametrisation; a class:
            contrasts against it. Two classes give one row either way.
        penalized : {"sandwich", "bayes", "raise", "relaxed"}, default="sandwich"
            An L2 fit (finite ``C``): the ridge sandwich ``H⁻¹ B H⁻¹``
            (``H`` the penalised Hessian, ``B = I`` for nonrobust); the
            posterior ``H⁻¹``; a ValueError; or ``"relaxed"``: refit without
            penalty on the features kept in any class (others NaN), the
            only choice for an L1 part.

        Returns
        -------
        SoftmaxInference
            ``coef``, ``bse``, ``pvalues``, ``conf_int()``, ``wald_test()``, ...

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn_softmax import SoftmaxRegression
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SoftmaxRegression().fit(X, y)
        >>> clf.inference(X, y, cov_type="HC0", reference=0).bse.shape
        (2, 4)
        """
        # The layer above the estimator's ("CV, inference, export"), lazily.
        from ._inference import inference

        return inference(
            self, X, y, sample_weight, cov_type=cov_type, groups=groups,
            weights=weights, reference=reference, penalized=penalized,
        )  # fmt: skip
