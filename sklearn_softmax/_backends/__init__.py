"""Backends: what ``fit`` needs from the input, for each kind of input.

``SoftmaxRegression.fit`` is written once (penalty, solver, first iterate,
callbacks, solve, fitted attributes, warning); a backend is the adapter
between the input and that algorithm (:class:`._base.Backend`):

* it refuses, in one place, the estimator settings it does not support;
* it validates ``(X, y, sample_weight)`` and turns them into a
  :class:`._base.FitData`: the objective (one of :mod:`.._objectives`), the
  sorted classes, the total weight ``Σ s``, what the callbacks may see, and
  the early-stopping monitor where it supports one;
* it puts the fitted arrays where the input lives.

Which solvers run on a backend follows from its objective's capabilities
(:func:`.._solvers.get_solver`); the backend only names itself in the
messages. :func:`backend_for` picks the backend from ``X``:

* a dask array or DataFrame: :mod:`._dask`, chunks evaluated on the workers;
* a non-NumPy array under array-API dispatch (torch, CuPy, ...):
  :mod:`._array_api`, one block on ``X``'s device;
* anything else (NumPy, SciPy sparse, lists, data frames): :mod:`._numpy`,
  blocks in host memory.

The optional edges import their libraries only when such input arrives.
"""

from __future__ import annotations

from .._core._namespace import namespace
from ._base import Backend, FitData
from ._dispatch import is_dask_collection

__all__ = ["Backend", "FitData", "backend_for"]


def backend_for(X) -> Backend:
    """The backend of ``fit``'s input ``X`` (see the table above)."""
    if is_dask_collection(X):
        from ._dask import DaskBackend

        return DaskBackend()
    found = namespace(X)
    if found is not None:
        from ._array_api import ArrayAPIBackend

        return ArrayAPIBackend(found[0])
    from ._numpy import NumpyBackend

    return NumpyBackend()
