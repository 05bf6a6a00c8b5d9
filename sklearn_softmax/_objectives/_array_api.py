r"""The objective of :mod:`._numpy` evaluated on an array-API device.

Conventions
-----------
The same math, layout and interface as :class:`._numpy.SoftmaxObjective`
(read its conventions): ``X`` of shape ``(M, N)``, the flat ``θ`` holding
``W`` of shape ``(M + 1, K)`` (intercept last) or ``(M, K)``, the value the
weighted *mean* cross-entropy ``f(θ) = Σ_n ŝ_n ℓ_n``. What differs is where
the work happens:

* ``X`` (a torch, CuPy, array-api-strict, ... array) stays where it is: it
  is never copied, converted or moved. The whole array is one block: the
  logits ``Z = W[:M]ᵀ X + b`` (``K × N``) are formed with ``xp`` functions on
  ``X``'s device.
* The solvers step on host NumPy vectors: each evaluation moves ``θ`` (and,
  for Hessian-vector products, ``v``) to the device and the gradient
  (``M + 1`` by ``K`` numbers) back, with the loss as a Python float.
* The labels and weights (``N`` numbers each, host arrays as in the NumPy
  path) are copied to the device once, here; ``y`` and ``sample_weight`` stay
  available on the host for the starting point and the sample order of
  ``solver="sgd"``.
* Soft targets ``T`` (``K × N``, replacing the one-hot ``Y``) and an offset
  ``O`` (``K × N``, added to the logits of the value and the gradient, not to
  the directions of a Hessian-vector product) are copied to the device once,
  here, as the labels are.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
from sklearn.utils._array_api import (
    _max_precision_float_dtype,
    device,
    get_namespace,
)

from .._core._kernel import exp_and_sums, shift_by_max
from .._core._namespace import to_numpy
from ._blocks import HessianProduct, with_diagonal
from ._layout import ParameterLayout, normalised_weights
from ._protocols import FiniteSumTerms
from ._samples import POWER_ITERATIONS


class ArrayAPISoftmaxObjective(ParameterLayout):
    """Weighted mean softmax cross-entropy on the device of ``X``.

    Parameters
    ----------
    X : array of shape (M, N)
        Features by samples, float32 or float64, of namespace ``xp``.
    y : ndarray of shape (N,)
        Class indices in ``range(n_classes)``.
    n_classes : int
        ``K``, the number of classes.
    sample_weight : ndarray of shape (N,)
        Non-negative weights with a positive sum; normalised here.
    fit_intercept : bool
        Whether ``θ`` holds an intercept row.
    targets : ndarray of shape (K, N), optional
        Host soft targets replacing the labels (columns summing to one).
    offset : ndarray of shape (K, N), optional
        Host offset added to the logits.

    Attributes
    ----------
    xp : module
        The array namespace of ``X`` (array_api_compat's wrapper where needed).
    device : object
        The device of ``X``.
    """

    # No feature_means, hence no "fista" (and "auto" with L1 is "sgd") here.
    provides = frozenset({"gradient", "hessian", "moments", "finite_sum"})
    sparse = False

    def __init__(
        self,
        X,
        y: np.ndarray,
        n_classes: int,
        sample_weight: np.ndarray,
        fit_intercept: bool,
        *,
        targets: np.ndarray | None = None,
        offset: np.ndarray | None = None,
    ):
        xp, _ = get_namespace(X)
        dtype = "float32" if X.dtype == xp.float32 else "float64"
        super().__init__(dtype, X.shape[0], n_classes, fit_intercept)
        self.X, self.xp, self.device = X, xp, device(X)
        self.n_samples = X.shape[1]
        self.y = np.asarray(y, dtype=np.intp)
        self.sample_weight = normalised_weights(sample_weight, self.dtype)
        self._s = xp.asarray(self.sample_weight, device=self.device)
        classes = xp.arange(n_classes, device=self.device)
        labels = xp.asarray(self.y, device=self.device)
        # One-hot Y (K × N), in X's dtype: S − Y and z_y without scatters;
        # or the soft targets.
        self._Y = xp.astype(classes[:, None] == labels[None, :], X.dtype)
        self.targets, self.offset = targets, offset  # on the host
        if targets is not None:
            self._Y = xp.asarray(targets.astype(self.dtype), device=self.device)
        self._O = None
        if offset is not None:
            self._O = xp.asarray(offset.astype(self.dtype), device=self.device)
        self._feature_moments: np.ndarray | None = None
        self._sum_dtype = _max_precision_float_dtype(xp, self.device)

    @contextlib.contextmanager
    def parallel(self, n_threads: int | None = None):
        """A single block on the device: nothing to share out."""
        yield self

    def to_device(self, theta: np.ndarray):
        """``W`` of shape ``self.shape`` on the device, from the host ``θ``."""
        return self.xp.asarray(self.unravel(theta), device=self.device)

    def logits(self, W, X=None):
        """``Z = W[:M]ᵀ X + b`` of shape ``(K, N)`` for a device ``W``."""
        X = self.X if X is None else X
        Z = W[: self.n_features, :].T @ X
        if self.fit_intercept:
            Z = Z + W[self.n_features :, :].T
        return Z

    def data_logits(self, W, X=None, Off=None):
        """:meth:`logits` plus the offset: ``self``'s for ``X=None``, else ``Off``."""
        Z = self.logits(W, X)
        Off = self._O if X is None else Off
        return Z if Off is None else Z + Off

    def _stable_exp(self, Z) -> tuple[Any, Any, Any]:
        """``Z`` less its column maxima, its exponential and the column sums."""
        Z = shift_by_max(Z, self.xp)
        E, sums = exp_and_sums(Z, self.xp)
        return Z, E, sums

    def _loss(self, Z, sums, Y, s) -> float:
        """Weighted loss from the shifted logits and the sums of their exponentials.

        ``Σ_n s_n (log Σ_k e^{z_kn} − z_{y_n n})``, the ``N`` terms added in
        float64 where the device has it. In float32 the one sum over all the
        samples (there are no blocks here) otherwise rounds ``f`` coarsely
        enough to mislead line searches, which then take far more evaluations
        per iteration (measured in ``docs/performance.rst``, section
        "Measured design choices", "Device objective").
        """
        xp = self.xp
        losses = s * (xp.log(sums) - xp.sum(Y * Z, axis=0))
        return float(xp.sum(xp.astype(losses, self._sum_dtype)))

    def _loss_and_proba(self, Z, Y, s) -> tuple[float, Any]:
        """Weighted loss of logits ``Z`` and the probabilities ``S`` (stable)."""
        Z, E, sums = self._stable_exp(Z)
        return self._loss(Z, sums, Y, s), E / sums

    def backward(self, D, X=None):
        """``[X Dᵀ ; D 1]`` of shape ``self.shape`` on the device."""
        xp = self.xp
        X = self.X if X is None else X
        G = X @ D.T
        if self.fit_intercept:
            G = xp.concat([G, xp.sum(D, axis=1)[None, :]], axis=0)
        return G

    def _host(self, G) -> np.ndarray:
        return to_numpy(G).astype(self.dtype, copy=False).ravel()

    def residuals(self, W, X=None, Y=None, s=None, Off=None) -> tuple[float, Any]:
        """``f`` and the unweighted residuals ``S − Y`` (``K × N``) at a device ``W``.

        By default over all the samples; ``X``, ``Y``, ``s`` (and the offset
        ``Off``) select a batch.
        """
        Y = self._Y if X is None else Y
        s = self._s if s is None else s
        f, S = self._loss_and_proba(self.data_logits(W, X, Off), Y, s)
        return f, S - Y

    def batch_residuals(self, W, X, Y, Off=None):
        """``S − Y`` of a batch's columns ``X``, ``Y`` (offset ``Off``), no loss.

        The loss would be a number on the host: a wait for the device at
        every batch.
        """
        _, E, sums = self._stable_exp(self.data_logits(W, X, Off))
        return E / sums - Y

    def finite_sum(self) -> FiniteSumTerms:
        """The terms of positive weight, for a stochastic solver's solve."""
        return DeviceTerms(self)

    def value(self, theta: np.ndarray) -> float:
        """``f(θ)``: one product with ``X``, no gradient."""
        Z, _, sums = self._stable_exp(self.data_logits(self.to_device(theta)))
        return self._loss(Z, sums, self._Y, self._s)

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """``f(θ)`` and its gradient, a flat host vector."""
        f, R = self.residuals(self.to_device(theta))
        return f, self._host(self.backward(R * self._s))

    def feature_moments(self) -> np.ndarray:
        """Weighted second moments ``Σ_n ŝ_n x_mn²`` of the features, (M,)."""
        if self._feature_moments is None:
            X = self.X
            self._feature_moments = to_numpy(self.xp.sum(X * X * self._s, axis=1))
        return self._feature_moments

    def class_shares(self) -> np.ndarray:
        """Weighted share ``Σ_n ŝ_n Y_kn`` of each class, (K,), float64."""
        if self.targets is not None:
            return self.targets.astype(np.float64) @ self.sample_weight
        return np.bincount(self.y, weights=self.sample_weight, minlength=self.n_classes)

    def value_grad_hessp(
        self, theta: np.ndarray
    ) -> tuple[float, np.ndarray, HessianProduct]:
        """``f(θ)``, its gradient and a Hessian-vector product at ``θ``.

        The probabilities ``S`` stay on the device; each product costs two
        products with ``X`` (see :mod:`._numpy` for the formula).
        """
        xp, s = self.xp, self._s
        Z = self.data_logits(self.to_device(theta))
        f, S = self._loss_and_proba(Z, self._Y, s)
        g = self._host(self.backward((S - self._Y) * s))

        def hessp(v: np.ndarray) -> np.ndarray:
            R = self.logits(self.to_device(v))
            Q = S * (R - xp.sum(S * R, axis=0)) * s
            return self._host(self.backward(Q))

        def diagonal() -> np.ndarray:
            """The Hessian's diagonal ``(X ∘ X) (ŝ ∘ S ∘ (1 − S))ᵀ``, flat."""
            return self._host(self.backward(S * (1 - S) * s, X=self.X * self.X))

        return f, g, with_diagonal(hessp, diagonal)


class DeviceBatch:
    """Columns taken from the device arrays: ``ŝ_B``, ``S − Y``, ``[X_B Dᵀ ; D 1]``.

    A :class:`._protocols.SampleBatch` on the device (see there).
    """

    def __init__(self, objective: ArrayAPISoftmaxObjective, X_b, Y_b, s_b, O_b=None):
        self.weights = s_b
        self._objective, self._X, self._Y, self._O = objective, X_b, Y_b, O_b

    def residuals(self, W):
        """``S − Y`` of shape ``(K, b)`` at the device ``W``."""
        return self._objective.batch_residuals(W, self._X, self._Y, self._O)

    def backward(self, D):
        """``[X_B Dᵀ ; D 1]`` of ``W``'s shape."""
        return self._objective.backward(D, self._X)


class DeviceTerms:
    """The terms of positive weight of a device objective, for one solve.

    :class:`._protocols.FiniteSumTerms` on the device of ``X``: ``W``, the
    table of residuals and each batch stay there, in the objective's dtype;
    only ``θ`` and gradients (``(M + 1) K`` numbers) come to the host. The
    samples of positive weight are the columns of ``X``, ``Y`` and ``ŝ`` (taken
    once, a copy, if some weights are zero).
    """

    def __init__(self, objective: ArrayAPISoftmaxObjective):
        xp = objective.xp
        self._objective, self.xp = objective, xp
        active = np.flatnonzero(objective.sample_weight > 0)
        self.n = int(active.shape[0])
        X, Y, s, Off = objective.X, objective._Y, objective._s, objective._O
        if self.n < objective.n_samples:
            keep = xp.asarray(active, device=objective.device)
            X, Y, s = (
                xp.take(X, keep, axis=1),
                xp.take(Y, keep, axis=1),
                xp.take(s, keep),
            )
            Off = None if Off is None else xp.take(Off, keep, axis=1)
        self._X, self._Y, self._s, self._O = X, Y, s, Off
        self.dtype = self.wide_dtype = X.dtype

    def to_native(self, theta: np.ndarray):
        """``W`` on the device."""
        return self._objective.to_device(np.asarray(theta, dtype=self._objective.dtype))

    def to_host(self, W) -> np.ndarray:
        """``θ`` on the host, in the objective's dtype."""
        return np.asarray(to_numpy(W), dtype=self._objective.dtype).ravel()

    def curvature_bounds(
        self, rng: np.random.RandomState, row_scales: np.ndarray | None = None
    ) -> tuple[float, float]:
        """``L`` and ``L_max`` (see :meth:`._samples.HostTerms.curvature_bounds`)."""
        objective = self._objective
        xp, X, s = self.xp, objective.X, objective._s
        if row_scales is not None:
            d = np.asarray(row_scales, dtype=objective.dtype)[:, None]
            X = X * xp.asarray(d, device=objective.device)
        M, intercept = objective.n_features, objective.fit_intercept
        sq = xp.sum(X * X, axis=0) + float(intercept)
        L_max = 0.5 * self.n * float(xp.max(s * sq))
        u = xp.asarray(
            rng.standard_normal(M + int(intercept)).astype(objective.dtype),
            device=objective.device,
        )
        lam = 0.0
        for _ in range(POWER_ITERATIONS):
            u = u / xp.linalg.vector_norm(u)
            z = u[:M] @ X
            if intercept:
                z = z + u[M]
            z = z * s
            v = X @ z
            if intercept:
                v = xp.concat([v, xp.sum(z)[None]])
            lam, u = float(xp.linalg.vector_norm(v)), v
            if not lam > 0:
                return 0.0, L_max
        return 0.5 * 1.05 * lam, L_max

    def residual_table(self, W):
        """``f(W)``, the residuals ``S − Y`` of the ``n`` terms and ``∇f(W)``.

        The samples left out have no weight: ``f`` is the full one.
        """
        f, R = self._objective.residuals(W, self._X, self._Y, self._s, self._O)
        return f, R, self._objective.backward(R * self._s, self._X)

    def positions(self, positions: np.ndarray):
        """The positions as an index vector on the device (one transfer)."""
        return self.xp.asarray(positions, device=self._objective.device)

    def batch(self, positions) -> DeviceBatch:
        """The terms at the device ``positions``, taken from the device arrays."""
        xp = self.xp
        return DeviceBatch(
            self._objective,
            xp.take(self._X, positions, axis=1),
            xp.take(self._Y, positions, axis=1),
            xp.take(self._s, positions),
            None if self._O is None else xp.take(self._O, positions, axis=1),
        )
