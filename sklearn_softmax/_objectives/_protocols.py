"""What an objective offers the solvers: one typed protocol per capability.

Every objective (in memory, on an array-API device, over dask chunks) is a
:class:`SmoothObjective`; the others are optional. An objective class lists
what it implements in its ``provides`` attribute, by the names of
:data:`CAPABILITIES`, and a solver lists in ``requires`` the names it needs:
:func:`.._solvers.check_solver` compares the two, so that a solver an
objective cannot serve is refused before it runs, with one message. The
protocols are what mypy checks the implementations against (and what the
tests check each ``provides`` against); solvers see an objective only
through them, never its data.
"""

from __future__ import annotations

import contextlib
from typing import Protocol, runtime_checkable

import numpy as np

from ._blocks import HessianProduct


@runtime_checkable
class SmoothObjective(Protocol):
    """``f(θ)`` and ``∇f(θ)`` on the flat parameter: what every solver uses.

    ``f`` is the weighted *mean* cross-entropy (see :mod:`._numpy`); ``θ`` is
    ``W`` of ``shape`` ``(M [+ 1], K)`` in C order, intercept last.
    ``provides`` holds the names of :data:`CAPABILITIES` the objective
    implements.
    """

    provides: frozenset[str]
    dtype: np.dtype
    n_features: int
    n_classes: int
    fit_intercept: bool
    shape: tuple[int, int]

    @property
    def n_params(self) -> int: ...

    def unravel(self, theta: np.ndarray) -> np.ndarray: ...

    def value(self, theta: np.ndarray) -> float: ...

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]: ...

    def class_shares(self) -> np.ndarray: ...

    def parallel(
        self, n_threads: int | None = None
    ) -> contextlib.AbstractContextManager:
        """The context the solve runs in (thread pools, BLAS threads)."""
        ...


@runtime_checkable
class HessianObjective(SmoothObjective, Protocol):
    """Hessian-vector products (with the Hessian's diagonal) at a point."""

    def value_grad_hessp(
        self, theta: np.ndarray
    ) -> tuple[float, np.ndarray, HessianProduct]: ...


@runtime_checkable
class MomentObjective(SmoothObjective, Protocol):
    """The features' weighted second moments ``Σ_n ŝ_n x_mn²``, ``(M,)``.

    ``sparse`` says whether ``X`` is stored sparse (a property of the data
    that solvers may weigh, without reading the data).
    """

    sparse: bool

    def feature_moments(self) -> np.ndarray: ...


@runtime_checkable
class MeanObjective(SmoothObjective, Protocol):
    """The features' weighted means ``X ŝ``, ``(M,)``."""

    def feature_means(self) -> np.ndarray: ...


@runtime_checkable
class FiniteSum(SmoothObjective, Protocol):
    """``f = Σ_n ŝ_n ℓ_n`` over ``n_samples`` samples held in memory.

    What a solver stepping through minibatches of the samples starts from:
    their number and their normalised weights ``ŝ`` (a host vector).
    """

    n_samples: int
    sample_weight: np.ndarray


#: Capability names and their protocols; ``provides`` and ``requires`` use them.
CAPABILITIES: dict[str, type] = {
    "gradient": SmoothObjective,
    "hessian": HessianObjective,
    "moments": MomentObjective,
    "means": MeanObjective,
    "finite_sum": FiniteSum,
}
