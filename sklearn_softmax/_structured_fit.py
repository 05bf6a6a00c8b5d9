"""The structured penalty's options in ``fit``: checked once, free rows centred.

:func:`penalty_structure` turns the estimator's ``penalty_factor``,
``grouped``, ``lower_bounds``, ``upper_bounds`` and ``positive`` into the
:class:`._penalties.Structure` that :func:`._penalties.make_penalty` takes
(``None`` when none is set: the plain elastic net, fitted as before);
:func:`centre_free_rows` picks, among the minimisers, the one whose
unpenalised rows sum to zero across the classes.
"""

from __future__ import annotations

import numpy as np

from ._penalties import Structure, make_structure


def penalty_structure(estimator, objective, where: str = "in-memory input"):
    """The penalty's factors, groups and bounds, or ``None`` if none is set.

    Parameters
    ----------
    estimator : SoftmaxRegression
        Its structured options.
    objective : SoftmaxObjective
        Gives ``n_features`` and ``n_classes``.
    where : str
        The backend's name: the options need in-memory input.

    Returns
    -------
    structure : Structure or None

    Raises
    ------
    ValueError
        For malformed options (see :func:`._penalties.make_structure`), or
        any of them on input that is not in memory.
    """
    e = estimator
    if not structure_is_set(e):
        return None
    if where != "in-memory input":
        raise ValueError(
            f"penalty_factor, grouped and bounds need in-memory input (NumPy "
            f"or scipy.sparse), got {where}."
        )
    structure: Structure = make_structure(
        e.penalty_factor,
        e.grouped,
        e.lower_bounds,
        e.upper_bounds,
        e.positive,
        objective.n_features,
        objective.n_classes,
    )
    return structure


def structure_is_set(estimator) -> bool:
    """Whether any of ``estimator``'s structured penalty options is set."""
    e = estimator
    return not (
        e.penalty_factor is None
        and e.grouped is False
        and e.lower_bounds is None
        and e.upper_bounds is None
        and not e.positive
    )


def centre_free_rows(penalty, objective, theta: np.ndarray) -> np.ndarray:
    """``θ`` with the penalty's free rows centred across the classes.

    A row with no penalty and no bound (factor 0, or ``C=np.inf``) changes
    no probability when shifted across the classes, for three or more
    classes; the minimiser returned is the centred one.
    """
    free = getattr(penalty, "free_rows", None)
    if free is None or objective.n_classes < 3 or not free.any():
        return theta
    W = objective.unravel(theta).copy()
    rows = W[: objective.n_features][free]
    W[: objective.n_features][free] = rows - rows.mean(axis=1, keepdims=True)
    return W.ravel()
