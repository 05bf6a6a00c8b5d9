"""Objectives: the data term every solver minimises, in memory, on a device, on dask.

:class:`SoftmaxObjective` (NumPy/SciPy, blocks of samples) is imported here;
the device and dask objectives (``._array_api``, ``._dask``) are imported by
their backends only, so that the package imports without dask.
"""

from ._layout import ParameterLayout, normalised_weights
from ._numpy import SoftmaxObjective

__all__ = ["ParameterLayout", "SoftmaxObjective", "normalised_weights"]
