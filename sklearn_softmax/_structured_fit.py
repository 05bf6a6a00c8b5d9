"""The structured penalty's options in ``fit``: checked once, free rows centred.

:class:`FitCoordinates` is where ``standardize=True`` enters ``fit``: the
solver minimises over the standardised parameter of
:class:`._objectives._scaled.ScaledObjective` (bounds on ``coef_`` scaled
alike), and everything outside the solver (the first iterate, callbacks,
the result) stays in the original coordinates.

:func:`penalty_structure` turns the estimator's ``penalty_factor``,
``grouped``, ``lower_bounds``, ``upper_bounds`` and ``positive`` into the
:class:`._penalties.Structure` that :func:`._penalties.make_penalty` takes
(``None`` when none is set: the plain elastic net, fitted as before);
:func:`centre_free_rows` picks, among the minimisers, the one whose
unpenalised rows sum to zero across the classes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ._objectives._scaled import ScaledObjective
from ._penalties import Structure, make_structure


def penalty_structure(estimator, objective, where: str = "in-memory input", scale=None):
    """The penalty's factors, groups and bounds, or ``None`` if none is set.

    Parameters
    ----------
    estimator : SoftmaxRegression
        Its structured options.
    objective : SoftmaxObjective
        Gives ``n_features`` and ``n_classes``.
    where : str
        The backend's name: the options need in-memory input.
    scale : ndarray of shape (n_features,) or None
        The feature scales of a standardised stream (:func:`stream_scale`).

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
    if not structure_is_set(e) or (e.standardize and scale is None and _only_std(e)):
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
        scale,
    )
    return structure


def _only_std(e) -> bool:
    """Whether ``standardize`` is the only option set (no penalty structure)."""
    return not structure_is_set(e, standardize=False)


def stream_scale(estimator, objective) -> np.ndarray:
    """The feature scales of ``partial_fit`` with ``standardize=True``.

    Those of the last :meth:`fit` (``feature_scale_``), else of the stream's
    first chunk, kept for the stream (set as ``feature_mean_`` and
    ``feature_scale_``): ``partial_fit`` steps on the original coefficients
    with the penalty of the standardised ones, factors ``σ`` (L1) and ``σ²``
    (L2); centring only moves the intercept, which is not penalised, so the
    minimiser is the same. Constant features are held at zero (``inf``).
    """
    if getattr(estimator, "feature_scale_", None) is None:
        scaled = ScaledObjective(objective)
        estimator.feature_mean_ = scaled.mean.astype(objective.dtype)
        estimator.feature_scale_ = scaled.scale.astype(objective.dtype)
        estimator._constant_features = scaled.constant
    constant = getattr(estimator, "_constant_features", None)
    scale = np.asarray(estimator.feature_scale_, dtype=np.float64)
    return scale if constant is None else np.where(constant, np.inf, scale)


def structured_tags(estimator, tags):
    """``tags`` with what the structured options change.

    They run in memory only (no array-API support), and bounds may keep a
    model from the checks' accuracy on their toy data, which it declares as
    scikit-learn's constrained estimators do (``poor_score``).
    """
    tags.array_api_support = tags.array_api_support and not structure_is_set(estimator)
    bounds = (estimator.lower_bounds, estimator.upper_bounds)
    tags.classifier_tags.poor_score = bool(estimator.positive) or bounds != (None, None)
    return tags


def structured_options(estimator, standardize: bool = True) -> list[str]:
    """The names of ``estimator``'s structured options that are set.

    ``standardize=False`` leaves the estimator's ``standardize`` out.
    """
    e = estimator
    set_ = {
        "penalty_factor": e.penalty_factor is not None,
        "grouped": e.grouped is not False,
        "lower_bounds": e.lower_bounds is not None,
        "upper_bounds": e.upper_bounds is not None,
        "positive": bool(e.positive),
        "standardize": standardize and bool(e.standardize),
    }
    return [name for name, is_set in set_.items() if is_set]


def structure_is_set(estimator, standardize: bool = True) -> bool:
    """Whether any of ``estimator``'s structured options is set."""
    return bool(structured_options(estimator, standardize))


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


class FitCoordinates:
    """The solver's coordinates: the original ``θ``, or standardised ones.

    Parameters
    ----------
    estimator : SoftmaxRegression
        Its ``standardize`` and ``early_stopping``.
    objective : SoftmaxObjective
        The data term on the original features.
    where : str
        The backend's name: standardisation needs in-memory input.

    Raises
    ------
    ValueError
        For ``standardize=True`` on input not in memory or with
        ``early_stopping=True`` (whose validation runs on the solver's
        iterates).
    """

    def __init__(self, estimator, objective, where: str = "in-memory input"):
        self.scaled: ScaledObjective | None = None
        self.objective = objective
        if not estimator.standardize:
            return
        if where != "in-memory input":
            raise ValueError(f"standardize=True needs in-memory input, got {where}.")
        if estimator.early_stopping:
            raise ValueError(
                "standardize=True cannot be combined with early_stopping=True; "
                "standardise the features beforehand (StandardScaler) instead."
            )
        self.scaled = ScaledObjective(objective)
        self.objective = self.scaled

    def structure(self, structure: Structure | None) -> Structure | None:
        """Bounds on ``coef_`` as bounds on ``W^s = σ W`` (rows scaled by ``σ``)."""
        if self.scaled is None or structure is None or not structure.bounded:
            return structure
        sigma = self.scaled.scale[:, None]
        lower, upper = structure.lower, structure.upper
        return replace(
            structure,
            lower=None if lower is None else lower * sigma,
            upper=None if upper is None else upper * sigma,
        )

    def to_solver(self, theta: np.ndarray) -> np.ndarray:
        """``θ`` in the solver's coordinates."""
        return theta if self.scaled is None else self.scaled.to_scaled(theta)

    def to_original(self, theta: np.ndarray) -> np.ndarray:
        """The solver's ``θ`` in the original coordinates."""
        return theta if self.scaled is None else self.scaled.to_original(theta)

    def wrap(self, callback):
        """``callback`` receiving original ``θ`` from a solver in scaled ones."""
        if self.scaled is None or callback is None:
            return callback
        return _OriginalTheta(callback, self.to_original)

    def set_attributes(self, estimator) -> None:
        """``feature_mean_`` and ``feature_scale_`` (standardised fits only)."""
        for name in ("feature_mean_", "feature_scale_", "_constant_features"):
            estimator.__dict__.pop(name, None)
        if self.scaled is not None:
            dtype = self.scaled.inner.dtype
            estimator.feature_mean_ = self.scaled.mean.astype(dtype)
            estimator.feature_scale_ = self.scaled.scale.astype(dtype)
            estimator._constant_features = self.scaled.constant


class _OriginalTheta:
    """A solver callback that maps ``θ`` back before passing it on."""

    def __init__(self, callback, to_original):
        self.callback, self.to_original = callback, to_original
        self.takes_theta = getattr(callback, "takes_theta", False)

    def __call__(self, n_iter, value, theta=None):
        if not self.takes_theta:
            return self.callback(n_iter, value)
        return self.callback(n_iter, value, self.to_original(theta))
