"""The interface of a backend: :class:`Backend` and what it hands ``fit``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._objectives._protocols import SmoothObjective


@dataclass
class FitData:
    """What a backend makes of ``fit``'s input.

    Attributes
    ----------
    objective : SmoothObjective
        The data term of the fit (in memory, on a device, or over chunks).
    classes : ndarray of shape (n_classes,)
        The sorted labels, on the host.
    weight : float
        ``Σ s``, the total of the sample weights times the class weights.
    X, y, sample_weight : object
        What the callbacks' hooks receive as the training data: the rows
        fitted (early stopping's held-out rows left out), or ``None`` where
        the rows stay elsewhere (dask).
    held_out : tuple or None
        Early stopping's held-out rows ``(X, y_index, sample_weight)``
        (:func:`._inputs.hold_out`), where the estimator asked for it.
    """

    objective: SmoothObjective
    classes: np.ndarray
    weight: float
    X: Any = None
    y: Any = None
    sample_weight: Any = None
    held_out: tuple[Any, np.ndarray, np.ndarray] | None = None


class Backend:
    """An adapter between one kind of input and ``SoftmaxRegression.fit``.

    Subclasses set :attr:`name` and implement :meth:`fit_data`; they list
    in :attr:`refused` the estimator parameters they do not support (a true
    value is refused with the message), and override :meth:`place` if the
    fitted arrays belong elsewhere than in host memory. Which solvers run is
    not theirs to say: the registry reads it from the objective's
    capabilities (:func:`.._solvers.get_solver`).
    """

    #: How the input is named in messages ("in-memory input", "dask input", ...).
    name: str = ""
    #: Parameter name → the message refusing a true value of it.
    refused: dict[str, str] = {}

    def check(self, estimator) -> None:
        """Refuse the estimator's settings this backend does not support.

        Raises
        ------
        ValueError
            With the message of the first refused parameter that is set.
        """
        for parameter, message in self.refused.items():
            if getattr(estimator, parameter):
                raise ValueError(message)

    def fit_data(
        self, estimator, X, y, sample_weight, target_proba=None, offset=None
    ) -> FitData:
        """Validate the input and build the fit's objective.

        ``target_proba`` and ``offset`` are ``fit``'s soft targets and
        offset (see :mod:`._targets`), ``None`` when not given.
        """
        raise NotImplementedError

    def place(self, attributes: dict, data: FitData) -> dict:
        """The fitted ``classes_``, ``coef_``, ``intercept_`` where the input lives.

        ``attributes`` maps those names to NumPy arrays; on the host by
        default, unchanged.
        """
        return attributes
