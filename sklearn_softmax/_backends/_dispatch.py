"""Recognise dask input without importing dask; lazy predictions on it.

A dask collection can only exist once ``dask`` has been imported, so the check
looks it up in ``sys.modules``: it costs a dictionary lookup, and the package
imports and works without dask installed. :mod:`._dask` (which imports dask)
is imported on the first dask input.
"""

from __future__ import annotations

import functools
import sys


def is_dask_collection(obj) -> bool:
    """Whether ``obj`` is a dask collection (array, DataFrame, Series)."""
    dask = sys.modules.get("dask")
    return dask is not None and dask.is_dask_collection(obj)


def lazy_on_dask(method):
    """Make a prediction method return a lazy dask array for dask input.

    The method is mapped over the row chunks of ``X`` (see
    :func:`._dask.predict_lazily`); other input goes to it unchanged, with
    its other arguments (an ``offset``, aligned on the chunks on dask).
    """

    @functools.wraps(method)
    def predict(self, X, *args, **kwargs):
        if is_dask_collection(X):
            from ._dask import predict_lazily

            return predict_lazily(self, X, method.__name__, *args, **kwargs)
        return method(self, X, *args, **kwargs)

    return predict
