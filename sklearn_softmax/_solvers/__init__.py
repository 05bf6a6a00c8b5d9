"""Registry of solvers: ``SOLVERS[name]``, :func:`get_solver` and :func:`check_solver`.

A solver declares what it needs of the objective (``requires``, names of
:data:`.._objectives._protocols.CAPABILITIES`) and an objective class what it
implements (``provides``). A name may have several implementations, tried in
order: the first whose requirements the objective meets runs (a backend
whose objective cannot serve the primary one adds its own variant here, in
:data:`IMPLEMENTATIONS`). ``solver="auto"`` is a preference per kind of
penalty (:data:`AUTO`), resolved the same way, so that no backend treats it
apart; :func:`solvers_for` lists what runs on a class of objectives.
"""

from __future__ import annotations

from .._objectives._protocols import CAPABILITIES, SmoothObjective
from .._penalties import Penalty
from ._base import Solver, SolverResult
from ._fista import FISTA
from ._gd import GradientDescent
from ._lbfgs import LBFGS
from ._newton_cg import NewtonCG
from ._saga import SAGA
from ._stream import StreamSGD

#: Each name's implementations, the primary first.
IMPLEMENTATIONS: dict[str, tuple[Solver, ...]] = {
    "lbfgs": (LBFGS(),),
    "newton-cg": (NewtonCG(),),
    "gd": (GradientDescent(),),
    "fista": (FISTA(),),
    "sgd": (SAGA(), StreamSGD()),  # SAGA on finite sums, else the stream
}

#: Each name's primary implementation (what the estimator's ``solver`` names).
SOLVERS: dict[str, Solver] = {name: impls[0] for name, impls in IMPLEMENTATIONS.items()}

#: What ``solver="auto"`` picks: the first of these the objective can serve
#: (and whose ``handles`` cover the penalty's ``needs``), for a smooth penalty
#: and for one with an L1 part; a smooth penalty none of the first handles
#: goes to the second.
AUTO = {"smooth": ("newton-cg", "lbfgs"), "non-smooth": ("fista", "sgd")}

__all__ = [
    "AUTO",
    "IMPLEMENTATIONS",
    "SOLVERS",
    "Solver",
    "SolverResult",
    "check_solver",
    "get_solver",
    "solvers_for",
]


def _runs_on(name: str, provides: frozenset[str]) -> Solver | None:
    """The first implementation of ``name`` whose requirements are provided."""
    return next((s for s in IMPLEMENTATIONS[name] if s.requires <= provides), None)


def _names_for(provides: frozenset[str]) -> list[str]:
    return sorted(name for name in IMPLEMENTATIONS if _runs_on(name, provides))


def solvers_for(objective_type: type[SmoothObjective]) -> list[str]:
    """The solver names that run on objectives of ``objective_type``, sorted.

    Read from the class's ``provides`` and the solvers' ``requires``.
    """
    return _names_for(objective_type.provides)


def check_solver(
    name: str, objective: SmoothObjective, where: str = "this input"
) -> Solver:
    """The implementation of ``name`` that runs on ``objective``.

    ``where`` names the input in the message (``"dask input"``, ...).

    Raises
    ------
    ValueError
        If no implementation's requirements are met by the objective's
        ``provides``; the message names what the primary one misses and the
        solvers that can run on the objective.
    """
    solver = _runs_on(name, objective.provides)
    if solver is not None:
        return solver
    missing = sorted(SOLVERS[name].requires - objective.provides)
    needs = ", ".join(f"{m!r} ({CAPABILITIES[m].__name__})" for m in missing)
    raise ValueError(
        f"solver={name!r} does not support {where}: it requires {needs}, "
        f"which {type(objective).__name__} does not provide; use solver='auto' "
        f"or one of {_names_for(objective.provides)}."
    )


def get_solver(
    name: str,
    penalty: Penalty,
    objective: SmoothObjective | None = None,
    where: str = "this input",
) -> Solver:
    """The registered solver ``name``, if it can handle ``penalty`` (and ``objective``).

    ``name="auto"`` picks the first of ``AUTO["smooth"]`` (a smooth penalty)
    or of ``AUTO["non-smooth"]`` (one with an L1 part) that runs on
    ``objective``. Without ``objective`` the primary implementations are
    returned, unchecked; with it, the one :func:`check_solver` returns.

    Raises
    ------
    ValueError
        If the solver needs a smooth penalty and ``penalty`` has an L1 part
        (the message names the solvers that accept one), or as
        :func:`check_solver` does.
    """
    if name == "auto":
        name = _auto(penalty, objective)
    solver = SOLVERS[name]
    _check_handles(name, solver, penalty)
    if solver.smooth_only and not penalty.smooth:
        capable = sorted(n for n, s in SOLVERS.items() if not s.smooth_only)
        if objective is not None:
            capable = [n for n in capable if n in _names_for(objective.provides)]
        hint = (
            f"use solver='auto' or one of {capable}"
            if capable
            else "no solver of this version supports it; use l1_ratio=0"
        )
        raise ValueError(
            f"solver={name!r} supports only the L2 penalty (l1_ratio=0) or none "
            f"(C=np.inf), got l1_ratio={penalty.l1_ratio}: {hint}."
        )
    return solver if objective is None else check_solver(name, objective, where)


def _check_handles(name: str, solver: Solver, penalty: Penalty) -> None:
    """Refuse a penalty option the solver does not handle, naming those that do."""
    missing = penalty.needs - solver.handles
    if not missing:
        return
    capable = sorted(n for n, s in SOLVERS.items() if penalty.needs <= s.handles)
    raise ValueError(
        f"solver={name!r} does not handle {', '.join(sorted(missing))} of the "
        f"penalty (penalty_factor, grouped, lower_bounds, upper_bounds, "
        f"positive): use solver='auto' or one of {capable}."
    )


def _auto(penalty: Penalty, objective: SmoothObjective | None) -> str:
    """The name ``solver="auto"`` stands for (the first preference if none runs)."""
    preferences: tuple[str, ...] = AUTO["smooth" if penalty.smooth else "non-smooth"]
    if penalty.needs:
        preferences = tuple(
            n
            for n in (*preferences, *AUTO["non-smooth"])
            if penalty.needs <= SOLVERS[n].handles
        )
    if objective is None:
        return preferences[0]
    runnable = (n for n in preferences if _runs_on(n, objective.provides))
    return next(runnable, preferences[0])
