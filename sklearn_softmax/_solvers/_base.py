"""What every solver receives and returns.

A solver minimises ``F(θ) = f(θ) + P(W[:M])``, the objective's weighted mean
loss ``f`` plus a penalty ``P`` on the coefficient rows, starting from ``θ₀``.
It sees only these two objects, never labels or estimator parameters, and
returns a :class:`SolverResult`; the estimator alone warns and sets fitted
attributes.

Solvers stop when the optimality measure :func:`subdifferential_distance` is
at most ``tol`` (``converged=True``) or after ``max_iter`` iterations. For a
smooth penalty the measure is ``max |∇F(θ)|``. They call
``callback(n_iter, F(θ))`` after each iteration, through :func:`notify`: a
callback with a true attribute ``takes_theta`` also receives the current
iterate, ``callback(n_iter, F(θ), θ)``, and a callback that returns ``True``
stops the solver there (``converged=False``, ``stopped=True``).

What the solvers share beyond this is written once: the composite objective
``F`` (its smooth part, prox and optimality measure) in :mod:`._problem`, the
per-iteration bookkeeping in :mod:`._trace`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

from .._objectives._protocols import SmoothObjective
from .._penalties import Penalty

Callback = Callable[..., bool | None]
#: The objective protocol a solver's ``solve`` is typed with.
ObjectiveT = TypeVar("ObjectiveT", bound=SmoothObjective, contravariant=True)


def notify(
    callback: Callback | None, n_iter: int, value: float, theta: np.ndarray
) -> bool:
    """Report an iteration to ``callback``; whether it asks the solver to stop.

    ``θ`` is passed (not copied) only to a callback whose ``takes_theta``
    attribute is true; it must not be written to.
    """
    if callback is None:
        return False
    if getattr(callback, "takes_theta", False):
        return bool(callback(n_iter, value, theta))
    return bool(callback(n_iter, value))


@dataclass
class SolverResult:
    """The outcome of one solve.

    Attributes
    ----------
    theta : ndarray of shape (n_params,)
        The last iterate, in the objective's dtype.
    n_iter : int
        Iterations taken.
    converged : bool
        Whether the optimality measure (``max |∇F|`` for a smooth penalty) met
        ``tol`` within ``max_iter`` iterations.
    losses : list of float
        ``F`` after each iteration.
    message : str
        Why the solver stopped.
    stopped : bool
        Whether the callback stopped the solver (see :func:`notify`).
    """

    theta: np.ndarray
    n_iter: int
    converged: bool
    losses: list[float] = field(default_factory=list)
    message: str = ""
    stopped: bool = False


class Solver(Generic[ObjectiveT]):
    """Base class: a name, declared requirements and ``solve``.

    Attributes
    ----------
    name : str
        Key in the registry and value of the estimator's ``solver``.
    requires : frozenset of str
        The capabilities (names of :data:`.._objectives._protocols.CAPABILITIES`)
        the objective must provide; the registry's ``check_solver`` compares
        them with the objective's ``provides``.
    smooth_only : bool
        Whether the solver needs a differentiable penalty (no L1 part).
    handles : frozenset of str
        The structured penalty's options it handles (factors, groups, bounds).
    stochastic : bool
        Whether the solver draws minibatches: :meth:`configured` then gives
        it the estimator's ``batch_size``, ``random_state`` and the options
        of the online steps.
    parameter_copies : int
        Parameter-sized vectors the solver keeps at once (counted as
        float64), for the memory check of a fit (``_backends/_memory.py``).
    keeps_sample_scores : bool
        Whether it keeps ``K`` numbers per sample (an ``N × K`` array).
    """

    name: str = ""
    requires: frozenset[str] = frozenset({"gradient"})
    smooth_only: bool = True
    stochastic: bool = False
    #: The penalty options (:attr:`.._penalties.StructuredPenalty.needs`) the
    #: solver handles: ``"factors"``, ``"excluded"`` (infinite factors),
    #: ``"groups"``, ``"bounds"`` and ``"two-class bounds"``.
    handles: frozenset[str] = frozenset()
    parameter_copies: int = 8
    keeps_sample_scores: bool = False

    def configured(
        self, *, batch_size: int, random_state=None, online: dict | None = None
    ) -> Solver:
        """The solver with the estimator's options (for stochastic solvers).

        ``batch_size`` and ``random_state`` for minibatches, ``online`` the
        options of the online steps of a stream; deterministic solvers take
        none of them and return themselves.
        """
        return self

    def solve(
        self,
        objective: ObjectiveT,
        penalty: Penalty,
        theta0: np.ndarray,
        *,
        tol: float,
        max_iter: int,
        callback: Callback | None = None,
    ) -> SolverResult:
        """Minimise ``F = f + P`` from ``θ₀`` (see the module docstring)."""
        raise NotImplementedError


def max_abs(g: np.ndarray) -> float:
    """``max |g|``, the stopping measure shared by all solvers."""
    return float(np.max(np.abs(g))) if g.size else 0.0


def subdifferential_distance(
    G: np.ndarray, W: np.ndarray, penalty: Penalty, n_features: int
) -> float:
    r"""``max`` over entries of the distance of ``−∇f`` to ``∂P(W)``.

    The optimality measure of ``F = f + P``: zero exactly at a minimiser, and
    ``max |∇F|`` when ``P`` is smooth. Entry by entry, with ``a = α (1 − ρ)``
    and ``c = α ρ``, the subgradient of smallest magnitude of ``F`` is

    .. math:: |g + a w + c \, \mathrm{sign}(w)| \ \text{if}\ w \ne 0,
              \qquad \max(|g| - c, 0) \ \text{if}\ w = 0,

    and ``|g|`` on the intercept rows ``W[M:]``, which are not penalised.

    Parameters
    ----------
    G : ndarray of shape (n_rows, K)
        Gradient of the smooth loss ``f`` (without the penalty).
    W : ndarray of shape (n_rows, K)
        The point; ``n_rows`` is ``M`` or ``M + 1`` with the intercept last.
    penalty : ElasticNet or StructuredPenalty
        The penalty ``P`` on ``W[:M]``, whose ``distance`` gives the
        coefficient rows' part (bounds and groups included).
    n_features : int
        ``M``, the number of penalised rows.

    Returns
    -------
    distance : float
        ``0.0`` for an empty ``W``.
    """
    if not G.size:
        return 0.0
    distance = penalty.distance(G[:n_features], W[:n_features])
    if G.shape[0] > n_features:
        distance = max(distance, max_abs(G[n_features:]))
    return distance
