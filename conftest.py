"""Leave out the dask modules (their doctests) where the dask extra is missing."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("dask") is None:
    collect_ignore += ["sklearn_softmax/_dask.py", "sklearn_softmax/_dask_objective.py"]
