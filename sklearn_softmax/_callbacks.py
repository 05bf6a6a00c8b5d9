"""scikit-learn's callbacks (``sklearn.callback``, scikit-learn ≥ 1.9) in ``fit``.

Conventions
-----------
A fit is the root task of the callbacks' task tree, and each iteration of the
solver (an epoch of ``solver="sgd"``) one of its subtasks, whichever solver
runs. As in ``LogisticRegression``, an iteration's task begins before the
solver takes it, so that the task begun after the last iteration is ended
empty when the solver returns: the root task has ``max_iter + 1`` subtasks
at most. The hooks receive the training ``X`` and ``y`` (without the rows
that ``early_stopping`` holds out), ``{"sample_weight": ...}`` when weights
were given and, only when a callback asks for it, a copy of the estimator
fitted at that iterate (built then, from a copy of the iterate). A callback
whose ``on_fit_task_end`` returns ``True`` stops the solver there, as
``early_stopping`` does: no ``ConvergenceWarning``.

Without ``sklearn.callback`` (scikit-learn < 1.9) the mixin below is an
empty base and ``fit`` runs without callbacks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from ._early_stopping import ValidationMonitor
from ._solvers._base import notify

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:  # type: ignore[no-redef]
        """No ``set_callbacks`` before scikit-learn 1.9."""


class IterationTasks:
    """Report each solver iteration as a subtask of the fit's callback context.

    A solver callback (see :func:`._solvers._base.notify`) that receives the
    iterate. Call :meth:`close` once the solver has returned.

    Parameters
    ----------
    estimator : SoftmaxRegression
        The estimator being fitted; passed to the hooks.
    context : sklearn.callback.CallbackContext
        The fit's root context, from ``estimator._init_callback_context``.
    X, y : array-like
        The training data passed to the hooks.
    metadata : dict or None
        ``{"sample_weight": ...}`` or ``None``.
    attributes : callable
        ``attributes(θ)``: the fitted attributes (``coef_``, ...) of iterate
        ``θ``, the ``reconstruction_attributes`` of the hooks.
    theta0 : ndarray
        The first iterate, that of the first task's beginning.
    inner : callable or None
        Another solver callback, called first; the solver stops if either
        asks it to.
    """

    takes_theta = True

    def __init__(
        self,
        estimator,
        context,
        X,
        y,
        metadata: dict | None,
        attributes: Callable[[np.ndarray], dict],
        theta0: np.ndarray,
        inner: Callable | None = None,
    ):
        self.estimator, self.context = estimator, context
        self._data = {"X": X, "y": y, "metadata": metadata}
        self.attributes, self.inner = attributes, inner
        self._task = self._begin(theta0)

    def _begin(self, theta: np.ndarray):
        task = self.context.subcontext(task_name="iteration")
        task.call_on_fit_task_begin(
            estimator=self.estimator,
            reconstruction_attributes=lambda: self.attributes(theta),
            **self._data,
        )
        return task

    def __call__(self, n_iter: int, value: float, theta: np.ndarray) -> bool:
        stop = notify(self.inner, n_iter, value, theta)
        stop |= bool(
            self._task.call_on_fit_task_end(
                estimator=self.estimator,
                reconstruction_attributes=lambda: self.attributes(theta),
                **self._data,
            )
        )
        self._task = self._begin(theta)
        return stop

    def close(self) -> None:
        """End the last iteration's task, which did not run, then the fit's.

        Call it once the estimator holds its fitted attributes.
        """
        self._task.call_on_fit_task_end(estimator=self.estimator)
        self.context.call_on_fit_task_end(
            estimator=self.estimator, reconstruction_attributes={}, **self._data
        )


def callbacks_enabled(estimator) -> bool:
    """Whether ``estimator`` has callbacks to run (none before scikit-learn 1.9)."""
    return bool(getattr(estimator, "_skl_callbacks", None))


def fit_tasks(
    estimator,
    X,
    y,
    sample_weight,
    attributes: Callable[[np.ndarray], dict],
    theta0: np.ndarray,
    inner: Callable | None,
) -> IterationTasks | None:
    """Begin the fit's root task; its solver callback, or ``None`` without one.

    ``None`` when ``estimator`` has no callbacks. Otherwise the callbacks are
    set up, the root task begun with ``X``, ``y`` and the weights, and the
    returned :class:`IterationTasks` (which calls ``inner`` first) is the
    callback to give the solver; :meth:`IterationTasks.close` ends the fit.
    """
    if not callbacks_enabled(estimator):
        return None
    metadata = None if sample_weight is None else {"sample_weight": sample_weight}
    context = estimator._init_callback_context(max_subtasks=estimator.max_iter + 1)
    context.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=metadata)
    return IterationTasks(
        estimator, context, X, y, metadata, attributes, theta0, inner=inner
    )


class FitCallbacks:
    """Everything ``fit`` calls after each solver iteration, assembled once.

    In order: ``verbose``'s line, early stopping's validation (where the
    backend split off held-out rows), scikit-learn's callbacks (the fit's
    task tree, see :func:`fit_tasks`). :attr:`callback` is the solver
    callback, ``None`` when there is nothing to call.

    Parameters
    ----------
    estimator : SoftmaxRegression
        The estimator being fitted.
    solver : str
        The solver's name, for ``verbose``.
    data : FitData
        The backend's :class:`.._backends.FitData` of this fit.
    theta0 : ndarray
        The first iterate.
    place : callable
        ``place(attributes, data)``: the backend's placement of the fitted
        arrays, for the models the hooks may ask for.
    """

    def __init__(self, estimator, solver: str, data, theta0: np.ndarray, place):
        self.estimator = estimator
        callback: Callable | None = None
        if estimator.verbose:
            callback = functools.partial(estimator._print_iteration, solver)
        self.validation = None
        if data.held_out is not None:
            X_held, y_held, w_held = data.held_out
            callback = self.validation = ValidationMonitor(
                X_held,
                y_held,
                w_held,
                data.objective.unravel,
                estimator.fit_intercept,
                estimator.tol,
                estimator.n_iter_no_change,
                callback,
            )
        unravel, classes = data.objective.unravel, data.classes

        def attributes(theta: np.ndarray) -> dict:
            W = unravel(theta).copy()
            return place(estimator._fitted_attributes(W, classes), data)

        self.tasks = fit_tasks(
            estimator, data.X, data.y, data.sample_weight, attributes, theta0, callback
        )
        self.callback = self.tasks or callback

    def solution(self, result) -> np.ndarray:
        """The iterate to keep: the best validated one, else the solver's last.

        Sets ``validation_scores_`` and ``best_validation_score_`` (``None``
        without early stopping).
        """
        estimator, validation = self.estimator, self.validation
        estimator.validation_scores_ = estimator.best_validation_score_ = None
        if validation is None:
            return result.theta
        estimator.validation_scores_ = validation.scores
        if validation.best_theta is None:  # no iteration ran
            return result.theta
        estimator.best_validation_score_ = validation.best_score
        return validation.best_theta

    def close(self) -> None:
        """End the callbacks' task tree, once the fitted attributes are set."""
        if self.tasks is not None:
            self.tasks.close()
