"""What a fit leaves behind when it fails or stops early: errors and warnings."""

from __future__ import annotations

import contextlib
import warnings

from sklearn.exceptions import ConvergenceWarning


@contextlib.contextmanager
def _restore_on_error(estimator):
    """Put back every attribute of ``estimator`` if the block raises."""
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        raise


def warn_if_not_converged(result, solver: str, max_iter: int, stacklevel: int) -> None:
    """A ``ConvergenceWarning``, unless the solve converged or was stopped.

    ``result`` is the solver's :class:`._solvers._base.SolverResult`;
    ``stacklevel`` counts from this function's caller's caller.
    """
    if result.converged or result.stopped:
        return
    hint = (
        "Increase max_iter, or scale the data."
        if result.n_iter >= max_iter
        else "tol may be finer than the floating-point precision allows."
    )
    warnings.warn(
        f"SoftmaxRegression(solver={solver!r}) did not converge: "
        f"{result.message}. {hint}",
        ConvergenceWarning,
        stacklevel=stacklevel + 1,
    )
