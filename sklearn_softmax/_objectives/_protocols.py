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
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

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


class SampleBatch(Protocol):
    r"""Some terms ``ŝ_n ℓ_n`` of a finite sum, as native arrays of its objective.

    ``W`` and ``D`` are native arrays (see :class:`FiniteSumTerms`); for the
    batch's samples ``x̃_n = (x_n, 1)`` (with an intercept):

    * ``weights``: their normalised weights ``ŝ_n``, of shape ``(b,)``;
    * ``residuals(W)``: ``S − Y`` at ``W``, unweighted, of shape ``(K, b)``:
      column ``n`` is ``softmax(z_n) − e_{y_n}``, ``z_n = W[:M]ᵀ x_n + W[M]``;
    * ``backward(D)``: ``Σ_n x̃_n d_nᵀ``, of ``W``'s shape, for ``D`` of shape
      ``(K, b)`` (with ``D = ŝ ∘ (S − Y)`` the batch's share of ``∇f``).
    """

    weights: Any

    def residuals(self, W: Any) -> Any: ...

    def backward(self, D: Any) -> Any: ...


class FiniteSumTerms(Protocol):
    r"""The terms of positive weight of ``f = Σ_n ŝ_n ℓ_n``, for stochastic solvers.

    What SAGA needs of the samples, without reading them. The ``n`` terms
    are numbered ``0, ..., n − 1`` (the samples of positive weight, in their
    order); the solver steps on *native* arrays: ``W`` of the objective's
    ``shape`` where the data live (host NumPy, or an array-API device), tables
    of shape ``(K, n)``, index vectors. ``xp`` is their namespace.

    * ``to_native(θ)`` / ``to_host(W)``: ``θ`` (flat host vector) to ``W``
      and back;
    * ``dtype`` and ``wide_dtype``: the objective's dtype (of ``W``, the
      tables and the batches' arrays), and the one a solver computes the
      penalty's parts of a step in before rounding to ``dtype`` (float64 on
      the host, as in the online steps of ``partial_fit``; ``dtype`` on a
      device);
    * ``curvature_bounds(rng)``: ``L``, a bound on the curvature of ``f``
      (``½ λ_max(Σ_n ŝ_n x̃_n x̃_nᵀ)``, by power iterations from a start drawn
      from ``rng``), and ``L_max = ½ n max_n ŝ_n ‖x̃_n‖²``, that of the
      largest term scaled to the whole; with ``row_scales`` ``d`` (``(M,)``),
      those of the features ``d_m x_m``;
    * ``residual_table(W)``: ``f(W)``, the ``(K, n)`` table of every term's
      residual ``S − Y`` and ``Σ_n ŝ_n x̃_n r_nᵀ = ∇f(W)``, from one pass;
    * ``positions(p)``: the host integers ``p`` as a native index vector
      (moved to the device once);
    * ``batch(idx)``: the :class:`SampleBatch` of the terms at native
      positions ``idx``.
    """

    n: int
    xp: Any
    dtype: Any
    wide_dtype: Any

    def to_native(self, theta: np.ndarray) -> Any: ...

    def to_host(self, W: Any) -> np.ndarray: ...

    def curvature_bounds(
        self, rng: np.random.RandomState, row_scales: np.ndarray | None = None
    ) -> tuple[float, float]: ...

    def residual_table(self, W: Any) -> tuple[float, Any, Any]: ...

    def positions(self, positions: np.ndarray) -> Any: ...

    def batch(self, positions: Any) -> SampleBatch: ...


@runtime_checkable
class FiniteSumObjective(SmoothObjective, Protocol):
    """A sum over samples held in memory (or on a device), term by term.

    ``finite_sum()`` gives its terms of positive weight
    (:class:`FiniteSumTerms`), with what they need set up for one solve.
    """

    def finite_sum(self) -> FiniteSumTerms: ...


State = TypeVar("State")


@runtime_checkable
class ChunkedObjective(SmoothObjective, Protocol):
    """A sum over chunks of samples that stay where they live (dask's workers).

    ``fold_chunks(function, state)`` passes a value through the chunks in
    their order, ``state = function(state, chunk)`` with ``chunk`` the
    in-memory objective of one chunk (:class:`._numpy.SoftmaxObjective` over
    its rows, weights as given), each call run where its chunk lives, and
    returns the last value. ``function`` and the value must be picklable.
    """

    def fold_chunks(
        self, function: Callable[[State, Any], State], state: State
    ) -> State: ...


#: Capability names and their protocols; ``provides`` and ``requires`` use them.
CAPABILITIES: dict[str, type] = {
    "gradient": SmoothObjective,
    "hessian": HessianObjective,
    "moments": MomentObjective,
    "means": MeanObjective,
    "finite_sum": FiniteSumObjective,
    "chunks": ChunkedObjective,
}
