"""Refuse up front a fit whose arrays cannot fit in the machine's memory.

What an in-memory fit allocates, in bytes, with ``P = (M [+ 1]) K`` the
number of parameters, ``b`` the rows of the largest block of samples, ``T``
the threads that evaluate blocks and ``i`` the dtype's item size:

- the solver's state: ``c · 8 P``, ``c`` the parameter-sized vectors it keeps
  (:attr:`.._solvers._base.Solver.parameter_copies`, counted in float64:
  scipy's L-BFGS iterates in float64 whatever the data);
- the partial gradients of the blocks in flight: ``(T + 1) · i P``;
- each block in flight's temporaries, the logits, probabilities and
  residuals: ``(T + 1) · 3 i K b``; never ``N × K`` for large ``N``;
- where the solver keeps ``K`` numbers per sample (newton-cg's probabilities
  for its Hessian products, SAGA's table of residuals,
  :attr:`~.._solvers._base.Solver.keeps_sample_scores`): ``2 i N K``, those
  of the current point and of the next (a line search's trial, a new
  table), which are alive at once.

The rule: refuse, with a :class:`MemoryError` naming both sizes, when this
exceeds the memory available to new allocations (``MemAvailable`` of
``/proc/meminfo``; where there is none, the physical memory,
``SC_PHYS_PAGES × SC_PAGE_SIZE``; no check where neither is known). ``X``,
``y`` and the weights are already in memory and not counted.
"""

from __future__ import annotations

import os

import numpy as np

#: Temporaries of K numbers per sample row of a block (logits, probabilities,
#: residuals).
BLOCK_TEMPORARIES = 3
#: ``N × K`` arrays alive at once in a solver that keeps them (see above).
SCORE_COPIES = 2


def available_memory() -> int | None:
    """Bytes available for new allocations, or ``None`` if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units: ``"7.3 TiB"``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    raise AssertionError  # pragma: no cover


def fit_bytes(
    *,
    n_samples: int,
    n_params: int,
    n_classes: int,
    itemsize: int,
    block_rows: int,
    n_threads: int,
    parameter_copies: int,
    keeps_sample_scores: bool,
) -> int:
    """The bytes a fit allocates, by the module's count (Python integers)."""
    in_flight = n_threads + 1
    total = parameter_copies * 8 * n_params + in_flight * itemsize * n_params
    total += in_flight * BLOCK_TEMPORARIES * itemsize * n_classes * block_rows
    if keeps_sample_scores:
        total += SCORE_COPIES * itemsize * n_samples * n_classes
    return total


def check_fit_memory(
    objective,
    solver,
    n_threads: int,
    where: str = "fit",
    *,
    n_fits: int = 1,
    n_samples: int | None = None,
) -> None:
    """Raise a MemoryError if the fit of ``solver`` on ``objective`` cannot fit.

    ``objective`` is an in-memory objective (its ``blocks`` of samples);
    ``solver`` declares ``parameter_copies`` and ``keeps_sample_scores``.
    ``n_fits`` such fits run at once (cross-validation's folds in parallel),
    each on ``n_samples`` samples (default: the objective's).
    """
    available = available_memory()
    if available is None:
        return
    n_params = int(np.prod(objective.shape))
    block_rows = max((b.stop - b.start for b in objective.blocks), default=0)
    threads = max(1, min(n_threads, len(objective.blocks)))
    keeps = bool(getattr(solver, "keeps_sample_scores", False))
    N = int(objective.n_samples if n_samples is None else n_samples)
    needed = max(1, int(n_fits)) * fit_bytes(
        n_samples=N,
        n_params=n_params,
        n_classes=int(objective.n_classes),
        itemsize=int(np.dtype(objective.dtype).itemsize),
        block_rows=int(block_rows),
        n_threads=threads,
        parameter_copies=int(getattr(solver, "parameter_copies", 8)),
        keeps_sample_scores=keeps,
    )
    if needed <= available:
        return
    name = getattr(solver, "name", type(solver).__name__)
    K = int(objective.n_classes)
    detail, hint = f"{K:,} classes, {n_params:,} parameters", ""
    if n_fits > 1:
        detail = f"{n_fits} fits at once, each {detail}"
    if keeps:
        scores = format_bytes(SCORE_COPIES * np.dtype(objective.dtype).itemsize * N * K)
        detail += f", of which {scores} for {N:,} samples × {K:,} classes"
        hint = " (solvers 'lbfgs' and 'gd' keep no numbers per sample)"
    raise MemoryError(
        f"{where} with solver={name!r} needs about {format_bytes(needed)} "
        f"({detail}), but {format_bytes(available)} of memory are available. "
        f"Use fewer classes or features{hint}."
    )
