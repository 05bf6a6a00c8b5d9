"""Leave the modules of optional extras that are not installed out of doctests."""

from importlib.util import find_spec

_EXTRAS = {
    "sklearn_softmax/_onnx.py": ["skl2onnx"],
    "sklearn_softmax/onnx.py": ["skl2onnx", "onnxruntime"],
    "sklearn_softmax/_backends/_dask.py": ["dask"],
    "sklearn_softmax/_backends/_dask_targets.py": ["dask"],
    "sklearn_softmax/_inference/_chunks.py": ["dask"],
    "sklearn_softmax/_objectives/_dask.py": ["dask"],
    "sklearn_softmax/_solvers/_stream.py": ["dask"],
}

collect_ignore = [
    path
    for path, modules in _EXTRAS.items()
    if any(find_spec(module) is None for module in modules)
]
