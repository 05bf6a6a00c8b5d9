"""The structured options of the penalty, checked and laid out once.

Conventions
-----------
The user speaks of ``coef_`` (``(n_classes, n_features)``, one row ``w₁ − w₀``
for two classes); the solvers of ``W[:M]`` of shape ``(M, K)``. A
:class:`Structure` holds the options in the solvers' layout:

* ``factor``: ``(M, K)`` non-negative multipliers of each coefficient's
  penalty (both parts), ``inf`` excluding it (held at zero);
* ``groups``: ``(M,)`` group index of each feature row (``0 … G − 1``) and
  ``group_weight`` ``(G,)``, ``√(group size)`` times the group's factor;
* ``l2_factor``: ``(M, K)`` factors of the L2 part where they differ from
  ``factor`` (``None``: the same);
* ``lower`` / ``upper``: ``(M, K)`` bounds on ``W`` for three or more classes;
  for two classes ``(M, 1)`` bounds on ``w₁ − w₀``, which the penalty keeps
  at ``w₁ = −w₀`` (see :mod:`._structured`).

:func:`make_structure` converts the estimator's ``penalty_factor``,
``grouped``, ``lower_bounds``, ``upper_bounds`` and ``positive`` into one,
raising a ``ValueError`` that names the parameter for anything malformed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Structure:
    """Penalty factors, groups and bounds in the layout of ``W[:M]``."""

    n_features: int
    n_classes: int
    factor: np.ndarray | None = None
    groups: np.ndarray | None = None
    group_weight: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    l2_factor: np.ndarray | None = None

    @property
    def binary(self) -> bool:
        """Two classes: bounds act on ``w₁ − w₀``."""
        return self.n_classes == 2

    @property
    def bounded(self) -> bool:
        return self.lower is not None or self.upper is not None

    @property
    def is_plain(self) -> bool:
        """No option set: the plain elastic net."""
        return self.factor is None and self.groups is None and not self.bounded

    @property
    def excluded(self) -> np.ndarray | None:
        """``(M, K)`` mask of the coefficients of infinite factor, or ``None``."""
        if self.factor is None or np.all(np.isfinite(self.factor)):
            return None
        return np.isinf(self.factor)


def make_structure(
    penalty_factor,
    grouped,
    lower_bounds,
    upper_bounds,
    positive: bool,
    n_features: int,
    n_classes: int,
    scale: np.ndarray | None = None,
) -> Structure:
    """The :class:`Structure` of the estimator's options (see the module).

    ``scale``, ``(M,)`` (``np.inf`` for a feature to hold at zero), makes
    the penalty that of the coefficients ``σ_j W_j``: L1 factors times
    ``σ``, L2 factors times ``σ²`` (standardisation in a stream).

    Raises
    ------
    ValueError
        Naming the parameter: a wrong shape, a negative or NaN factor,
        groups that are not integers, a group whose factors differ, a lower
        bound above an upper one, ``positive`` with ``lower_bounds``, grouped
        with bounds, or an excluded coefficient whose box does not hold 0.
    """
    M, K = n_features, n_classes
    factor = _factor(penalty_factor, M, K)
    l2_factor = None
    if scale is not None:
        base = np.ones((M, K)) if factor is None else factor
        sigma = np.asarray(scale, dtype=np.float64)[:, None]
        factor, l2_factor = base * sigma, base * np.where(np.isinf(sigma), 1, sigma**2)
        l2_factor = np.where(np.isinf(factor), np.inf, l2_factor)
    groups, weight = _groups(grouped, factor, M)
    if positive:
        if lower_bounds is not None:
            raise ValueError(
                "positive=True is lower_bounds=0: give one of them, not both."
            )
        lower_bounds = 0.0
    lower = _bound(lower_bounds, "lower_bounds", M, K)
    upper = _bound(upper_bounds, "upper_bounds", M, K)
    if lower is not None and upper is not None and np.any(lower > upper):
        raise ValueError("lower_bounds must not exceed upper_bounds.")
    if groups is not None and (lower is not None or upper is not None):
        raise ValueError(
            "grouped penalties cannot be combined with bounds: the proximal "
            "map of a group norm plus a box has no closed form (it is not "
            "separable). Use grouped=False with bounds, or no bounds."
        )
    structure = Structure(M, K, factor, groups, weight, lower, upper, l2_factor)
    _check_excluded_in_box(structure)
    return structure


def _as_reported(value, name: str, M: int, K: int) -> np.ndarray:
    """``value`` as ``(rows, M)``: scalar or ``(M,)`` to one row, else as given."""
    array = np.asarray(value, dtype=np.float64)
    rows = 1 if K == 2 else K
    if array.ndim == 0:
        array = np.full((1, M), float(array))
    elif array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != M or array.shape[0] not in (1, rows):
        shapes = f"({M},)" + (f" or ({K}, {M})" if K > 2 else f" or (1, {M})")
        raise ValueError(
            f"{name} must have shape {shapes} for {K} classes and {M} "
            f"features, got shape {np.shape(value)}."
        )
    if np.any(np.isnan(array)):
        raise ValueError(f"{name} must not contain NaN.")
    return array


def _layout(reported: np.ndarray, K: int) -> np.ndarray:
    """``(rows, M)`` reported values as ``(M, K)`` (``(M, 1)`` for two classes)."""
    columns = 1 if K == 2 else K
    return np.ascontiguousarray(
        np.broadcast_to(reported.T, (reported.shape[1], columns))
    )


def _factor(penalty_factor, M: int, K: int) -> np.ndarray | None:
    if penalty_factor is None:
        return None
    reported = _as_reported(penalty_factor, "penalty_factor", M, K)
    if np.any(reported < 0):
        raise ValueError("penalty_factor must be non-negative (np.inf excludes).")
    return np.ascontiguousarray(np.broadcast_to(_layout(reported, K), (M, K)))


def _groups(grouped, factor, M: int):
    """Group index per feature and ``√size × factor`` per group, or ``None``s."""
    if grouped is False or grouped is None:
        return None, None
    if grouped is True:
        labels = np.arange(M)
    else:
        labels = np.asarray(grouped)
        if labels.shape != (M,) or labels.dtype.kind not in "iu":
            raise ValueError(
                f"grouped must be True, False or an integer array of shape "
                f"({M},), got {type(grouped).__name__} of shape {labels.shape}."
            )
    _, groups, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    weight = np.sqrt(sizes.astype(np.float64))
    if factor is not None:
        per_group = np.full(len(sizes), np.nan)
        per_group[groups] = factor[:, 0]
        if not np.array_equal(
            factor, np.broadcast_to(per_group[groups, None], factor.shape)
        ):
            raise ValueError(
                "with grouped, penalty_factor (times the feature scales in a "
                "standardised stream) must be the same for every class and "
                "every feature of a group (shape (n_features,))."
            )
        weight = weight * per_group
    return groups.astype(np.intp), weight


def _bound(value, name: str, M: int, K: int) -> np.ndarray | None:
    if value is None:
        return None
    return _layout(_as_reported(value, name, M, K), K)


def _check_excluded_in_box(structure: Structure) -> None:
    excluded = structure.excluded
    if excluded is None or not structure.bounded:
        return
    shape = (structure.n_features, 1 if structure.binary else structure.n_classes)
    lower = structure.lower if structure.lower is not None else np.zeros(shape)
    upper = structure.upper if structure.upper is not None else np.zeros(shape)
    outside = (lower > 0) | (upper < 0)
    if np.any(outside & excluded[:, : shape[1]]):
        raise ValueError(
            "a feature excluded by penalty_factor=np.inf has bounds that "
            "exclude 0: its coefficient is 0."
        )
