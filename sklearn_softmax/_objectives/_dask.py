r"""The objective of a fit on a dask array: each chunk evaluated where it lives.

Conventions
-----------
As in :mod:`._numpy` (``θ`` flat, ``W`` of shape ``(M + 1, K)`` with the
intercept last), over samples held as the row chunks ``b`` of a dask array:
each :class:`Chunk` is its rows ``X_b`` (``N_b × M``, all the features), its
class indices ``y_b`` and combined weights ``s_b`` (sample weight times class
weight, not normalised), as dask keys, persisted on the workers or computed
from their graph on each use.

Every evaluation is one small graph: ``θ`` as one key (sent once to each
worker that needs it), one task per chunk that builds an in-memory
:class:`._numpy.SoftmaxObjective` on the view ``X_bᵀ`` (the same code as
in memory) and scales its result by ``r_b = Σ s_b / Σ s`` (it normalises by
its own ``Σ s_b``), so that

.. math:: \sum_b r_b f_b(θ) = \sum_n \frac{s_n}{\sum s} \ell_n = f(θ),

and the same for the gradient and Hessian-vector products, then a tree of
additions on the workers: only ``f`` and ``G`` (``(M + 1) × K``) reach the
client, where the solver steps. For Newton steps, when ``X`` is persisted,
the chunks' probabilities stay on the workers (the chunk objectives'
Hessian-vector products, persisted) until the solver drops them, so a product
costs two products with ``X_b`` and no exponential, as in memory. When ``X``
is computed on each pass, keeping them would keep every ``X_b`` too (the
products hold it), so each product computes the chunk's probabilities again
from ``θ``: one product with ``X_b`` and an exponential more.

``solver="sgd"`` is not SAGA here (this objective is no finite sum the
solver could draw batches from): :meth:`DaskSoftmaxObjective.fold_chunks`
passes a value, the state of the online solver of ``partial_fit``, from
chunk to chunk (a task per chunk, run where the chunk lives, on the chunk's
in-memory objective), which :class:`.._solvers._stream.StreamSGD` uses for
its epochs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import dask
import numpy as np
from dask.delayed import Delayed, delayed

from ._blocks import HessianProduct, with_diagonal
from ._layout import ParameterLayout
from ._numpy import SoftmaxObjective
from ._threads import CORES

#: Partial sums added per task of the reduction tree.
FAN_IN = 8
State = TypeVar("State")


@dataclass(frozen=True)
class Chunk:
    """One row chunk: its data as dask keys and its share of the weight.

    Attributes
    ----------
    X, y, s : Delayed
        ``X_b`` of shape ``(N_b, M)``, class indices and combined weights of
        shape ``(N_b,)``; with soft targets or offsets, ``y`` is the payload
        ``(y_index_b, T_b, O_b)`` (see :func:`_chunk_objective`).
    scale : float
        ``r_b = Σ s_b / Σ s``, positive.
    """

    X: Delayed
    y: Delayed
    s: Delayed
    scale: float


def _chunk_objective(X_b, y_b, s_b, n_classes: int, fit_intercept: bool):
    """The in-memory objective of a chunk; ``y_b`` the labels or a payload.

    A payload ``(y_index_b, T_b, O_b)`` adds the chunk's soft targets and
    offset (``K × N_b`` each, or ``None``).
    """
    targets = offset = None
    if isinstance(y_b, tuple):
        y_b, targets, offset = y_b
    return SoftmaxObjective(
        X_b.T, y_b, n_classes, s_b, fit_intercept, targets=targets, offset=offset
    )


def _value(X_b, y_b, s_b, scale, spec, theta):
    return scale * _chunk_objective(X_b, y_b, s_b, *spec).value(theta)


def _value_and_grad(X_b, y_b, s_b, scale, spec, theta):
    f, g = _chunk_objective(X_b, y_b, s_b, *spec).value_and_grad(theta)
    return scale * f, g * g.dtype.type(scale)


class _NewtonPart:
    """A chunk's ``r f_b``, ``r g_b`` and Hessian-vector product at ``θ``.

    The product holds the chunk's probabilities and ``X_b``; ``__sizeof__``
    counts them, so that the scheduler, which weighs results by their size,
    runs the products where the part is rather than move it.
    """

    def __init__(self, X_b, y_b, s_b, scale, spec, theta):
        objective = _chunk_objective(X_b, y_b, s_b, *spec)
        f, g, self.hessp = objective.value_grad_hessp(theta)
        self.scale = g.dtype.type(scale)
        self.f, self.g = scale * f, g * self.scale
        self.nbytes = X_b.nbytes + spec[0] * X_b.shape[0] * g.dtype.itemsize

    def __sizeof__(self) -> int:
        return self.nbytes


def _hessp_again(X_b, y_b, s_b, scale, spec, theta_v):
    theta, v = theta_v
    hv = _chunk_objective(X_b, y_b, s_b, *spec).hessp_at(theta)(v)
    return hv * hv.dtype.type(scale)


def _diagonal_again(X_b, y_b, s_b, scale, spec, theta):
    d = _chunk_objective(X_b, y_b, s_b, *spec).hessp_at(theta).diagonal()
    return d * d.dtype.type(scale)


def _value_and_grad_of(part: _NewtonPart):
    return part.f, part.g


def _hessp(part: _NewtonPart, v):
    return part.hessp(v) * part.scale


def _diagonal(part: _NewtonPart):
    return part.hessp.diagonal() * part.scale


def _fold(function, value, X_b, y_b, s_b, spec):
    return function(value, _chunk_objective(X_b, y_b, s_b, *spec))


def _moments(X_b, y_b, s_b, scale, spec, _):
    objective = _chunk_objective(X_b, y_b, s_b, *spec)
    return objective.feature_moments() * scale, objective.feature_means() * scale


def _add(*parts):
    """Sum of arrays, or of tuples of them entry by entry."""
    if isinstance(parts[0], tuple):
        return tuple(_add(*entries) for entries in zip(*parts, strict=True))
    total = parts[0].copy() if isinstance(parts[0], np.ndarray) else parts[0]
    for part in parts[1:]:
        total += part
    return total


def tree_sum(tasks: list[Delayed]) -> Delayed:
    """Add up ``tasks`` on the workers, :data:`FAN_IN` at a time, in order."""
    while len(tasks) > 1:
        tasks = [
            delayed(_add, pure=True)(*tasks[i : i + FAN_IN])
            for i in range(0, len(tasks), FAN_IN)
        ]
    return tasks[0]


class DaskSoftmaxObjective(ParameterLayout):
    """:class:`._numpy.SoftmaxObjective`'s interface over dask chunks.

    Parameters
    ----------
    X : dask.array.Array of shape (N, M)
        The data, for its shape and dtype (no solver reads it).
    chunks : list of Chunk
        The row chunks with a positive weight.
    n_classes : int
        ``K``.
    fit_intercept : bool
        Whether ``θ`` holds an intercept row.
    class_shares : ndarray of shape (K,)
        ``Σ_{n: y_n = k} ŝ_n``, from the pass that found the labels.
    keep_probabilities : bool, default=True
        Whether Hessian-vector products reuse the probabilities of the
        evaluation, kept on the workers (for persisted chunks), or compute
        them again.
    """

    provides = frozenset({"gradient", "hessian", "moments", "means", "chunks"})
    sparse = False

    def __init__(
        self, X, chunks, n_classes, fit_intercept, class_shares,
        keep_probabilities=True,
    ):  # fmt: skip
        self.keep_probabilities = keep_probabilities
        super().__init__(X.dtype, X.shape[1], n_classes, fit_intercept)
        self.X = X
        self.chunks = chunks
        self.n_samples = X.shape[0]
        self._spec = (n_classes, fit_intercept)
        self._class_shares = class_shares
        self._cached_moments: tuple[np.ndarray, np.ndarray] | None = None

    @contextlib.contextmanager
    def parallel(self, n_threads: int | None = None):
        """Inside this context: BLAS on one thread in this process.

        The solver steps here, on the client, while the chunks of the default
        (threaded) scheduler run side by side in this process too; their
        products share the cores instead of each spinning BLAS threads. The
        workers of a cluster run one task per thread already.
        """
        with CORES.fit():
            yield self

    def _broadcast(self, theta: np.ndarray) -> Delayed:
        return delayed(np.asarray(theta, dtype=self.dtype).ravel(), pure=True)

    def _per_chunk(self, kernel: Callable, arg) -> list[Delayed]:
        """``kernel(X_b, y_b, s_b, r_b, (K, fit_intercept), arg)`` per chunk."""
        return [
            delayed(kernel, pure=True)(c.X, c.y, c.s, c.scale, self._spec, arg)
            for c in self.chunks
        ]

    def value(self, theta: np.ndarray) -> float:
        """``f(θ)``."""
        tasks = self._per_chunk(_value, self._broadcast(theta))
        return float(tree_sum(tasks).compute())

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """``f(θ)`` and its gradient as a flat vector."""
        tasks = self._per_chunk(_value_and_grad, self._broadcast(theta))
        f, g = tree_sum(tasks).compute()
        return float(f), g

    def value_grad_hessp(
        self, theta: np.ndarray
    ) -> tuple[float, np.ndarray, HessianProduct]:
        """``f(θ)``, its gradient and ``v ↦ ∇²f(θ) v`` (with ``.diagonal()``).

        With ``keep_probabilities``, the chunks' Hessian-vector products,
        holding their probabilities, are persisted where they were computed,
        as long as the returned product is referenced.
        """
        if not self.keep_probabilities:
            return self._value_grad_hessp_again(theta)
        parts = self._per_chunk(_NewtonPart, self._broadcast(theta))
        total = tree_sum([delayed(_value_and_grad_of)(p) for p in parts])
        total, *parts = dask.persist(total, *parts)
        f, g = total.compute()

        def hessp(v: np.ndarray) -> np.ndarray:
            v_key = self._broadcast(v)
            return tree_sum([delayed(_hessp)(p, v_key) for p in parts]).compute()

        def diagonal() -> np.ndarray:
            return tree_sum([delayed(_diagonal)(p) for p in parts]).compute()

        return float(f), g, with_diagonal(hessp, diagonal)

    def _value_grad_hessp_again(
        self, theta: np.ndarray
    ) -> tuple[float, np.ndarray, HessianProduct]:
        """As :meth:`value_grad_hessp`, each product computing ``S`` again."""
        f, g = self.value_and_grad(theta)
        theta = np.asarray(theta, dtype=self.dtype).ravel()

        def hessp(v: np.ndarray) -> np.ndarray:
            theta_v = delayed((theta, np.asarray(v, dtype=self.dtype)), pure=True)
            return tree_sum(self._per_chunk(_hessp_again, theta_v)).compute()

        def diagonal() -> np.ndarray:
            tasks = self._per_chunk(_diagonal_again, self._broadcast(theta))
            return tree_sum(tasks).compute()

        return f, g, with_diagonal(hessp, diagonal)

    def fold_chunks(
        self, function: Callable[[State, Any], State], state: State
    ) -> State:
        """``state = function(state, chunk)`` through the chunks, in their order.

        ``chunk`` is the :class:`._numpy.SoftmaxObjective` of a chunk's rows
        (its weights as given), built by a task where the chunk lives; the
        value passes from task to task, and the last one is returned.
        """
        pending = delayed(state)
        for c in self.chunks:
            pending = delayed(_fold, pure=True)(
                function, pending, c.X, c.y, c.s, self._spec
            )
        return pending.compute()

    def _moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Both feature moments, from one pass on the first request, kept."""
        if self._cached_moments is None:
            self._cached_moments = tree_sum(self._per_chunk(_moments, None)).compute()
        return self._cached_moments

    def feature_moments(self) -> np.ndarray:
        """Weighted second moments ``Σ_n ŝ_n x_mn²``, (M,)."""
        return self._moments()[0]

    def feature_means(self) -> np.ndarray:
        """Weighted means ``X ŝ`` of the features, (M,)."""
        return self._moments()[1]

    def class_shares(self) -> np.ndarray:
        """Weighted share ``Σ_{n: y_n = k} ŝ_n`` of each class, (K,)."""
        return self._class_shares
