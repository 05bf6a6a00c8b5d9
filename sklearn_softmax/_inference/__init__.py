"""Statistical inference for a fitted softmax model: the top layer.

:func:`._compute.inference` (what ``SoftmaxRegression.inference`` calls)
checks the input against the fit, accumulates the information matrix and
the scores' products over row blocks (:mod:`._information`; dask chunks in
:mod:`._chunks`), turns them into a covariance (:mod:`._covariance`) and
returns a frozen :class:`._results.SoftmaxInference`. The separation check
is :mod:`._separation`.
"""

from ._compute import SeparationWarning, inference
from ._results import SoftmaxInference, WaldTestResult

__all__ = ["SeparationWarning", "SoftmaxInference", "WaldTestResult", "inference"]
