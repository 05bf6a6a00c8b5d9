r"""The data term in standardised coordinates: ``f(T θ_s)``, ``X`` untouched.

``standardize=True`` fits on features scaled to unit weighted standard
deviation and centred, without forming them: the parameter is transformed
instead of the data. With ``μ_j`` the weighted means and ``σ_j`` the
weighted (population) standard deviations of the features (weights ``ŝ``,
summing to one),

.. math:: W_{jk} = W^s_{jk} / σ_j, \qquad
          b_k = b^s_k - \sum_j μ_j W_{jk},

so that ``W^s_j·ᵀ (x_j − μ_j) / σ_j + b^s = W_j·ᵀ x_j + b``: the logits, and
``f``, are those of the original model; the penalty acts on ``W^s``. This is
``θ = T θ_s`` with ``T`` linear, so the gradient is ``Tᵀ ∇f`` and the
Hessian ``Tᵀ ∇²f T``:

.. math:: ∇_{W^s_{jk}} = (∇_{W_{jk}} f - μ_j ∇_{b_k} f) / σ_j, \qquad
          ∇_{b^s} = ∇_b f.

Centring only moves the (unpenalised) intercept, so sparse ``X`` is never
densified or copied. Without an intercept nothing is centred (``μ`` is not
used). A feature of zero spread (constant) gets ``σ = 1`` reported and its
coefficient held at zero: ``T`` maps its ``W^s`` row to zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._blocks import HessianProduct, with_diagonal


class ScaledObjective:
    """``θ_s ↦ f(T θ_s)`` for an in-memory objective ``f`` (see the module).

    Parameters
    ----------
    objective : SoftmaxObjective
        The data term on the original features; it must provide
        ``"moments"`` and ``"means"``.

    Attributes
    ----------
    mean : ndarray of shape (n_features,)
        The weighted feature means ``μ`` (float64).
    scale : ndarray of shape (n_features,)
        The weighted standard deviations ``σ``, ``1`` for constant features.
    constant : ndarray of bool of shape (n_features,)
        Features of zero spread (relative to their second moment).
    """

    def __init__(self, objective):
        self.inner = objective
        self.provides = objective.provides & {"gradient", "hessian", "moments", "means"}
        moments = np.asarray(objective.feature_moments(), dtype=np.float64)
        mean = np.asarray(objective.feature_means(), dtype=np.float64)
        variance = np.maximum(moments - mean**2, 0.0)
        self.constant = variance <= 1e-12 * np.maximum(moments, np.finfo(float).tiny)
        self.mean = mean
        self.scale = np.where(self.constant, 1.0, np.sqrt(variance))
        self._inverse = np.where(self.constant, 0.0, 1.0 / self.scale)
        self._mu = mean if objective.fit_intercept else np.zeros_like(mean)
        self._moments = np.where(self.constant, 0.0, moments * self._inverse**2)

    def __getattr__(self, name: str) -> Any:
        # Layout and bookkeeping (shape, unravel, dtype, parallel, ...).
        return getattr(self.inner, name)

    def to_original(self, theta_s: np.ndarray) -> np.ndarray:
        """``θ = T θ_s`` (a new array, in the objective's dtype)."""
        M = self.inner.n_features
        W = self.inner.unravel(np.array(theta_s, dtype=self.inner.dtype))
        W[:M] *= self._inverse[:, None].astype(W.dtype)
        if self.inner.fit_intercept:
            W[M] -= (self._mu @ W[:M]).astype(W.dtype)
        return W.ravel()

    def to_scaled(self, theta: np.ndarray) -> np.ndarray:
        """``θ_s`` with ``T θ_s = θ`` (constant features' rows set to zero)."""
        M = self.inner.n_features
        W = self.inner.unravel(np.array(theta, dtype=self.inner.dtype))
        if self.inner.fit_intercept:
            W[M] += (self._mu @ np.where(self.constant[:, None], 0, W[:M])).astype(
                W.dtype
            )
        W[:M] *= np.where(self.constant, 0.0, self.scale)[:, None].astype(W.dtype)
        return W.ravel()

    def _pull_back(self, g: np.ndarray) -> np.ndarray:
        """``Tᵀ g``: a gradient (or Hessian product) on ``θ`` to one on ``θ_s``."""
        M = self.inner.n_features
        G = self.inner.unravel(g).copy()
        if self.inner.fit_intercept:
            G[:M] -= np.outer(self._mu, G[M]).astype(G.dtype)
        G[:M] *= self._inverse[:, None].astype(G.dtype)
        return G.ravel()

    def value(self, theta_s: np.ndarray) -> float:
        return self.inner.value(self.to_original(theta_s))

    def value_and_grad(self, theta_s: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = self.inner.value_and_grad(self.to_original(theta_s))
        return f, self._pull_back(g)

    def value_grad_hessp(
        self, theta_s: np.ndarray
    ) -> tuple[float, np.ndarray, HessianProduct]:
        """``f``, ``Tᵀ ∇f`` and ``v ↦ Tᵀ ∇²f T v``.

        The diagonal is that of ``∇²f`` scaled by ``1 / σ²`` on the
        coefficient rows, without the terms that mix them with the intercept:
        an approximation, used only for preconditioning.
        """
        f, g, hessp = self.inner.value_grad_hessp(self.to_original(theta_s))

        def product(v: np.ndarray) -> np.ndarray:
            return self._pull_back(hessp(self.to_original(v)))

        def diagonal() -> np.ndarray:
            d = self.inner.unravel(hessp.diagonal()).copy()
            d[: self.inner.n_features] *= (self._inverse**2)[:, None].astype(d.dtype)
            return d.ravel()

        return f, self._pull_back(g), with_diagonal(product, diagonal)

    def feature_moments(self) -> np.ndarray:
        """``Σ ŝ x̃²`` of the scaled features ``x̃ = x / σ`` (0 where constant)."""
        return self._moments.astype(self.inner.dtype)

    def feature_means(self) -> np.ndarray:
        """``Σ ŝ x̃``: zero when centred (with an intercept), else ``μ / σ``."""
        if self.inner.fit_intercept:
            return np.zeros(self.inner.n_features, dtype=self.inner.dtype)
        return (self.mean * self._inverse).astype(self.inner.dtype)
