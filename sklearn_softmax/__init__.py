"""Softmax (multinomial logistic) regression for scikit-learn.

The core functions work in the derivation's features-by-samples layout
(``X`` of shape ``(M, N)``, ``Y`` of shape ``(K, N)``, ``W`` of shape
``(M, K)``); :class:`SoftmaxRegression` wraps them as a scikit-learn
classifier on the usual ``(n_samples, n_features)`` data, and
:class:`SoftmaxRegressionCV` chooses its ``C`` by cross-validation.
"""

from ._core import log_softmax, softmax, softmax_gradient, softmax_loss
from ._cv import SoftmaxRegressionCV
from ._estimator import SoftmaxRegression
from ._inference import SoftmaxInference

__version__ = "0.1.0"

__all__ = [
    "SoftmaxRegression",
    "SoftmaxRegressionCV",
    "SoftmaxInference",
    "__version__",
    "log_softmax",
    "softmax",
    "softmax_gradient",
    "softmax_loss",
]
