"""The flat parameter vector and the normalised weights every objective shares."""

from __future__ import annotations

import numpy as np


class ParameterLayout:
    """The flat parameter ``θ``: ``W`` of shape ``(M [+ 1], K)`` in C order.

    What every objective (in memory, on a device, over dask chunks) shares:
    ``dtype``, ``n_features`` (``M``), ``n_classes`` (``K``),
    ``fit_intercept`` and ``shape``, and the conversions of ``θ``.
    """

    def __init__(
        self, dtype, n_features: int, n_classes: int, fit_intercept: bool
    ) -> None:
        self.dtype = np.dtype(dtype)
        self.n_features = n_features
        self.n_classes = n_classes
        self.fit_intercept = fit_intercept
        self.shape = (n_features + int(fit_intercept), n_classes)

    @property
    def n_params(self) -> int:
        """Length of the flat parameter vector."""
        return self.shape[0] * self.shape[1]

    def unravel(self, theta: np.ndarray) -> np.ndarray:
        """View (or cast) the flat ``θ`` as ``W`` of shape ``self.shape``."""
        return np.asarray(theta, dtype=self.dtype).reshape(self.shape)


def normalised_weights(sample_weight: np.ndarray, dtype) -> np.ndarray:
    """``ŝ = s / Σ s``, the sum taken in float64, returned in ``dtype``."""
    s = np.asarray(sample_weight, dtype=np.float64)
    return (s / s.sum()).astype(dtype)
