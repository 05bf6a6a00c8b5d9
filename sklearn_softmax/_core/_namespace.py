"""Array namespaces (torch, CuPy, array-api-strict, ...): which one, and moves.

The helpers every layer that meets a non-NumPy array uses: whether an array
takes the array-API path (:func:`namespace`), the namespace of an array
whatever the configuration (:func:`array_namespace`), an explicit copy to the
host (:func:`to_numpy`) and a move to a namespace and device
(:func:`to_namespace`).
"""

from __future__ import annotations

import importlib
from types import ModuleType

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.utils._array_api import device, get_namespace

array_api_compat: ModuleType | None
try:  # scikit-learn >= 1.7 vendors array-api-compat
    array_api_compat = importlib.import_module("sklearn.externals.array_api_compat")
except ImportError:  # pragma: no cover - older scikit-learn: the package itself,
    array_api_compat = None  # imported when first needed

try:  # scikit-learn >= 1.8: conversions between namespaces and devices
    from sklearn.utils._array_api import move_to
except ImportError:  # pragma: no cover - older scikit-learn
    move_to = None


def namespace(array):
    """``(xp, device)`` of a non-NumPy array under dispatch, else ``None``.

    NumPy arrays, sparse matrices, lists and data frames give ``None``: they
    take the NumPy path.
    """
    if (
        not get_config()["array_api_dispatch"]
        or isinstance(array, np.ndarray)
        or sp.issparse(array)
    ):
        return None
    try:
        xp, is_array_api = get_namespace(array)
    except TypeError:  # not an array (a list, a data frame)
        return None
    if not is_array_api or xp.__name__.endswith("numpy"):
        return None
    return xp, device(array)


def array_namespace(array, xp=None):
    """``xp`` if given, else the array-API namespace of ``array``.

    Unlike scikit-learn's ``get_namespace``, the answer does not depend on
    ``array_api_dispatch``: a torch tensor gives torch's namespace either way.
    """
    if xp is not None:
        return xp
    compat = array_api_compat or importlib.import_module("array_api_compat")
    return compat.array_namespace(array)


def to_numpy(array) -> np.ndarray:
    """A host NumPy copy (or view) of an array of any namespace, explicitly.

    Works with dispatch on or off: the conversion is chosen by the array's
    library (torch and CuPy copy to the host; array-api-strict, which refuses
    ``np.asarray`` off its CPU device, is moved there first).
    """
    if isinstance(array, np.ndarray):
        return array
    module = type(array).__module__
    if module.startswith("torch"):
        return array.detach().cpu().numpy()
    if module.startswith("cupy"):  # pragma: no cover - needs a GPU
        return array.get()
    if module.startswith("array_api_strict"):
        xp = array.__array_namespace__()
        return np.asarray(xp.asarray(array, device=xp.Device("CPU_DEVICE")))
    return np.asarray(array)


def to_namespace(array, xp, device):
    """``array`` (of any namespace) as an array of ``xp`` on ``device``."""
    if move_to is not None:
        return move_to(array, xp=xp, device=device)
    found = namespace(array)  # older scikit-learn: through the host if needed
    if found is not None and found[0].__name__ == xp.__name__ and found[1] == device:
        return array
    return xp.asarray(to_numpy(array), device=device)
