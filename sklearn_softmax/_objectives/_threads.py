"""The threads of a fit: the cores shared by every fit, BLAS on one thread.

An objective evaluates its blocks on a small pool of threads, each block's
products on one BLAS thread (multi-threaded BLAS is far slower on the small
products of a block, would compete with the pool for the cores, and rounds
differently). Several fits may run at once in one process (a threaded
``GridSearchCV``, dask's threaded scheduler, a user's thread pool);
:data:`CORES` keeps them from changing each other's results or the
process's thread pools, and from computing on more threads than there are
cores (:class:`CoreBudget`).

Where the BLAS limit is set from matters. OpenBLAS (0.3.30 and 0.3.31 as
numpy and scipy ship them) applies ``openblas_set_num_threads``, which
threadpoolctl calls, only when it is called from the main thread; from any
other thread it changes nothing, so a fit in a worker thread ran its blocks
with the process's BLAS threads (and results differed from the same fit in
the main thread). Its ``openblas_set_num_threads_local`` (MKL:
``mkl_set_num_threads_local``), called from a worker thread, does change the
setting every thread sees. So the limit is set both ways by the first fit to
start and restored both ways by the last one to end, the setting counted
across threads in between.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from threadpoolctl import ThreadpoolController

#: The thread-local setters of the BLAS libraries, by the library's API.
_LOCAL_SETTERS = {
    "openblas": "openblas_set_num_threads_local",
    "mkl": "mkl_set_num_threads_local",
}


def available_cpus() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@functools.cache
def blas_controller() -> ThreadpoolController:
    """The BLAS libraries loaded in this process (looked up once)."""
    return ThreadpoolController()


@functools.cache
def _local_setters() -> tuple[Callable[[int], int], ...]:
    """Each loaded BLAS library's thread-local "number of threads" setter."""
    setters = []
    for library in blas_controller().lib_controllers:
        name = _LOCAL_SETTERS.get(library.internal_api)
        setter = getattr(getattr(library, "dynlib", None), name or "", None)
        if library.user_api == "blas" and setter is not None:
            setter.argtypes, setter.restype = [ctypes.c_int], ctypes.c_int
            setters.append(setter)
    return tuple(setters)


class CoreBudget:
    """The process's cores, shared by every fit that runs in it.

    * :meth:`fit`: BLAS on one thread from the start of the first fit to the
      end of the last, set and restored as the module says; counted, so fits
      that end in any order leave the thread pools as the first one found
      them;
    * :meth:`run`: a block kernel holds one of ``n_cores`` tokens while it
      runs, so the pools of every fit together never compute on more threads
      than there are cores; a kernel never waits for a second token, so no fit
      can block another.

    Results do not depend on either: the partial sums of the blocks are added
    in block order, each computed on one BLAS thread.
    """

    def __init__(self, n_cores: int):
        self._lock = threading.Lock()
        self._fits = 0
        self._limiter: Any = None
        self._previous: list[int] = []
        # The tokens: a C-level queue, ~10x cheaper per block than a
        # threading.Semaphore (whose acquire and release are Python code).
        self._tokens: queue.SimpleQueue[int] = queue.SimpleQueue()
        for token in range(n_cores):
            self._tokens.put(token)

    @contextlib.contextmanager
    def fit(self) -> Iterator[None]:
        """Inside this context, BLAS on one thread (counted across threads)."""
        with self._lock:
            if self._fits == 0:
                # The thread-local call first: it returns the setting found.
                self._previous = [setter(1) for setter in _local_setters()]
                self._limiter = blas_controller().limit(limits=1, user_api="blas")
            self._fits += 1
        try:
            yield
        finally:
            with self._lock:
                self._fits -= 1
                if self._fits == 0:
                    self._limiter.restore_original_limits()
                    for setter, previous in zip(
                        _local_setters(), self._previous, strict=True
                    ):
                        setter(previous)
                    self._limiter, self._previous = None, []

    def run(self, kernel: Callable, *args):
        """``kernel(*args)`` on one of the cores' tokens."""
        token = self._tokens.get()
        try:
            return kernel(*args)
        finally:
            self._tokens.put(token)


#: The budget of this process's fits.
CORES = CoreBudget(available_cpus())
