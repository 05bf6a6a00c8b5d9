"""Backends: the in-memory, array-API and dask edges of ``fit`` and the predictions."""
