"""Registry of solvers: ``SOLVERS[name]`` and :func:`get_solver`."""

from __future__ import annotations

from .._penalties import ElasticNet
from ._base import Solver, SolverResult
from ._fista import FISTA
from ._gd import GradientDescent
from ._lbfgs import LBFGS
from ._newton_cg import NewtonCG
from ._saga import SAGA

SOLVERS: dict[str, Solver] = {
    solver.name: solver
    for solver in (LBFGS(), NewtonCG(), GradientDescent(), FISTA(), SAGA())
}

#: What ``solver="auto"`` picks: for a smooth penalty, and for an L1 part.
AUTO = {"smooth": "newton-cg", "non-smooth": "fista"}

__all__ = ["AUTO", "SOLVERS", "Solver", "SolverResult", "get_solver"]


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
