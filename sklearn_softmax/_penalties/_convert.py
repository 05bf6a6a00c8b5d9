"""Conversion of the estimator's parameters into a penalty, once.

:func:`make_penalty` turns ``C``, ``l1_ratio`` and ``Σ s`` (and, for the
structured options, a :class:`._structure.Structure`) into the penalty the
solvers receive; :func:`penalty_strength` is ``α = 1 / (C Σ s)``, checked.
"""

from __future__ import annotations

import numpy as np

from ._elastic_net import ElasticNet
from ._structure import Structure
from ._structured import StructuredPenalty


def make_penalty(
    C: float,
    l1_ratio: float,
    weight_sum: float,
    structure: Structure | None = None,
) -> ElasticNet | StructuredPenalty:
    """Convert the estimator's ``C`` and ``l1_ratio`` into a penalty.

    Parameters
    ----------
    C : float
        Inverse regularisation strength; ``np.inf`` means no penalty.
    l1_ratio : float
        Share of the L1 term in ``[0, 1]``.
    weight_sum : float
        ``Σ s``, the sum of the sample weights (times class weights).
    structure : Structure or None, default=None
        Penalty factors, groups and bounds (:func:`._structure.make_structure`);
        ``None`` (or a structure without any) is the plain elastic net.

    Returns
    -------
    penalty : ElasticNet or StructuredPenalty
        With ``alpha = 1 / (C Σ s)``, matching the mean loss of the objective.

    Raises
    ------
    ValueError
        If ``1 / (C Σ s)`` is infinite (see :func:`penalty_strength`).
    """
    if np.isinf(C):
        alpha, l1_ratio = 0.0, 0.0
    else:
        alpha = penalty_strength(C, weight_sum)
        l1_ratio = float(l1_ratio)
    if structure is None or structure.is_plain:
        return ElasticNet(alpha=alpha, l1_ratio=l1_ratio)
    return StructuredPenalty(alpha=alpha, l1_ratio=l1_ratio, structure=structure)


def penalty_strength(C: float, weight_sum: float) -> float:
    """``α = 1 / (C Σ s)``, checked to be finite.

    Computed in Python floats, which round as float64 but never warn: when
    ``C Σ s`` overflows, ``α`` (below ``1e-308``) is ``0``, no penalty.

    Raises
    ------
    ValueError
        If ``C Σ s`` is so small that ``α`` is infinite (or ``C Σ s`` is 0).
    """
    product = float(C) * float(weight_sum)
    alpha = 1.0 / product if product > 0 else np.inf
    if not np.isfinite(alpha):
        raise ValueError(
            f"C * sum(sample_weight) = {float(C)!r} * {float(weight_sum)!r} = "
            f"{product!r} is too small: the penalty strength 1 / (C * "
            f"sum(sample_weight)) is infinite. Use a larger C or rescale the "
            f"sample weights (multiplying them all by t and dividing C by t "
            f"leaves the fit unchanged)."
        )
    # Σ s's type is kept: a NumPy strength (fit's Σ s is a NumPy float) makes
    # the penalty's parts of float32 steps float64, as they always were.
    return np.float64(alpha) if isinstance(weight_sum, np.generic) else alpha
