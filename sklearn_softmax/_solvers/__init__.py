"""Registry of solvers: ``SOLVERS[name]`` and :func:`get_solver`."""

from __future__ import annotations

from .._penalties import ElasticNet
from ._base import Solver, SolverResult
from ._fista import FISTA
from ._gd import GradientDescent
from ._lbfgs import LBFGS
from ._newton_cg import NewtonCG
from ._saga import SAGA
from ._stream import StreamSGD

SOLVERS: dict[str, Solver] = {
    solver.name: solver
    for solver in (LBFGS(), NewtonCG(), GradientDescent(), FISTA(), SAGA())
}

#: Every implementation of a name, preferred first: the one that runs is the
#: first whose ``requires`` the objective ``provides`` (:func:`implementation`).
IMPLEMENTATIONS: dict[str, tuple[Solver, ...]] = {
    "sgd": (SOLVERS["sgd"], StreamSGD()),  # SAGA on finite sums, else the stream
}

#: What ``solver="auto"`` picks: for a smooth penalty, and for an L1 part.
AUTO = {"smooth": "newton-cg", "non-smooth": "fista"}

__all__ = [
    "AUTO",
    "IMPLEMENTATIONS",
    "SOLVERS",
    "Solver",
    "SolverResult",
    "get_solver",
    "implementation",
]


def implementation(solver: Solver, objective) -> Solver:
    """The implementation of ``solver.name`` that can serve ``objective``.

    ``solver`` itself if it can, else the first of ``IMPLEMENTATIONS`` whose
    ``requires`` are all in the objective's ``provides``.

    Raises
    ------
    ValueError
        If none can; the message names what the objective lacks.
    """
    provides: frozenset[str] = getattr(objective, "provides", frozenset())
    for candidate in (solver, *IMPLEMENTATIONS.get(solver.name, ())):
        if _requires(candidate) <= provides:
            return candidate
    raise ValueError(
        f"solver={solver.name!r} needs an objective that provides "
        f"{sorted(_requires(solver))}; {type(objective).__name__} provides "
        f"{sorted(provides)}."
    )


def _requires(solver: Solver) -> frozenset[str]:
    """What ``solver`` declares it needs; the value and gradient if it says nothing."""
    return getattr(solver, "requires", frozenset({"gradient"}))


def get_solver(name: str, penalty: ElasticNet) -> Solver:
    """The registered solver ``name``, if it can handle ``penalty``.

    ``name="auto"`` picks ``AUTO["smooth"]`` for a smooth penalty and
    ``AUTO["non-smooth"]`` for one with an L1 part.

    Raises
    ------
    ValueError
        If the solver needs a smooth penalty and ``penalty`` has an L1 part;
        the message names the solvers that accept one.
    """
    if name == "auto":
        name = AUTO["smooth" if penalty.smooth else "non-smooth"]
    solver = SOLVERS[name]
    if solver.smooth_only and not penalty.smooth:
        capable = sorted(n for n, s in SOLVERS.items() if not s.smooth_only)
        hint = (
            f"use solver='auto' or one of {capable}"
            if capable
            else "no solver of this version supports it; use l1_ratio=0"
        )
        raise ValueError(
            f"solver={name!r} supports only the L2 penalty (l1_ratio=0) or none "
            f"(C=np.inf), got l1_ratio={penalty.l1_ratio}: {hint}."
        )
    return solver
