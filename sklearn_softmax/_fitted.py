"""The fitted attributes of ``SoftmaxRegression``, set from a solution ``θ``.

Conventions
-----------
``θ`` is the flat parameter; ``W = objective.unravel(θ)`` has shape
``(M + 1, K)`` with the intercept last, or ``(M, K)``. ``coef_ = W[:M].T`` and
``intercept_ = W[M]``, except for two classes, reported as
``LogisticRegression`` reports them (``w₁ − w₀``, :mod:`._binary`).
"""

from __future__ import annotations

import numpy as np

from ._binary import to_reported

#: The fitted arrays a backend places where the input lives.
FITTED_ARRAYS = ("classes_", "coef_", "intercept_", "support_")


class FittedStateMixin:
    """Sets ``classes_``, ``coef_``, ``intercept_``, ``support_`` and the trace."""

    fit_intercept: bool

    def _fitted_attributes(self, W: np.ndarray, classes: np.ndarray) -> dict:
        """``classes_``, ``coef_`` and ``intercept_`` of the parameter ``W``."""
        n_features = W.shape[0] - int(self.fit_intercept)
        coef = W[:n_features].T
        intercept = W[-1] if self.fit_intercept else np.zeros_like(W[0])
        coef, intercept = to_reported(coef, intercept)  # w₁ − w₀ for two classes
        support = np.any(np.asarray(W[:n_features]) != 0, axis=1)
        self.n_features_selected_ = int(support.sum())
        arrays = {"classes_": classes, "coef_": coef, "intercept_": intercept}
        return {**arrays, "support_": support}

    def _set_solution(self, theta, result, objective, classes, weight) -> None:
        """Set the fitted attributes of a fit that ended at ``θ``.

        ``θ`` is ``result``'s last iterate or the best validated one;
        ``weight``, the data's total weight, counts in the stream of a later
        :meth:`partial_fit`.
        """
        self._set_fitted(objective.unravel(theta), classes)
        # partial_fit continues from θ (all of W), fit's data counted in the
        # stream: its first call builds the online state from these.
        self._partial_fit_start = (np.array(theta, copy=True), float(weight))
        self.__dict__.pop("_online_state", None)
        self.n_iter_ = result.n_iter
        self.loss_curve_ = result.losses
        self.converged_ = result.converged

    def _set_fitted(self, W: np.ndarray, classes: np.ndarray) -> None:
        self._set_fitted_arrays(self._fitted_attributes(W, classes))

    def _fitted_arrays(self) -> dict:
        return {name: getattr(self, name) for name in FITTED_ARRAYS}

    def _set_fitted_arrays(self, arrays: dict) -> None:
        for name, value in arrays.items():
            setattr(self, name, value)
