r"""``partial_fit``: SoftmaxRegression trained on a stream of chunks.

Conventions
-----------
Each call builds its chunk's objective once (a
:class:`._objectives.SoftmaxObjective` over the view ``X.T``, as ``fit``
does) and makes one pass over it in minibatches of ``batch_size`` rows, in
the order given (shuffle the stream beforehand), each batch (the objective
of a run of its rows, sharing the chunk's memory) one update of
:class:`._solvers._online.OnlineSGD`. The solver's state, an
:class:`._solvers._online.OnlineState`, is kept in ``_online_state``
between calls; ``coef_``, ``intercept_``, ``n_iter_`` (calls so far) and
``loss_curve_`` (one value per call) are set from it after each call. A call
that raises changes nothing: the state is a value, replaced only at the end.

**The penalty in a stream.** ``fit`` minimises ``C Σ_n s_n ℓ_n + P(W)``;
the total weight of a stream is unknown in advance. ``partial_fit`` scales
the penalty to the total weight ``W_t`` seen so far, this batch included: the
update at batch ``t`` takes a step on ``f_B + P / (C W_t)``, the mean loss of
the batch plus the penalty of ``fit``'s rescaled objective for everything
streamed so far (:func:`._penalties.make_penalty` with ``W_t``). So a stream
of chunks approaches ``fit`` on their concatenation, with the same ``C``,
and a stream that keeps growing is regularised less and less, as a fit on
more data is. Several passes over the same data count as that data
repeated: ``E`` passes approach ``fit`` with ``E · C`` (``C Σ`` is then
``E`` times larger); to approach ``fit`` with ``C``, pass ``C / E`` (or
sample weights divided by ``E``).

The first model is the best constant one (zero coefficients, the intercept
of the class shares of the first chunk); after ``fit``, ``partial_fit``
continues from ``fit``'s solution, with ``fit``'s data counted in ``W_t``:
``fit`` keeps its ``θ`` (the whole ``W``, which a binary ``coef_ = w₁ − w₀``
does not hold) and its data's total weight, and the first call after it
builds the online state from them.
The reported model is the solver's averaged iterate; with an L1 part, AdaGrad's
last iterate (whose zeros are exact), or FTRL's average on its last iterate's
support (the same zeros).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from ._backends._array_api import numpy_only
from ._backends._inputs import (
    check_sample_weight,
    check_weight_total,
    per_class_weights,
    weight_sum,
)
from ._backends._memory import check_fit_memory
from ._backends._targets import check_offset, soft_targets, soft_weights
from ._objectives import SoftmaxObjective
from ._penalties import make_penalty
from ._solvers._ftrl import FTRL, FTRLState
from ._solvers._online import OnlineSGD, OnlineState
from ._solvers._online_newton import NewtonState, OnlineNewton, check_newton_problem
from ._solvers._stream import online_solver
from ._structured_fit import penalty_structure, stream_scale, structure_is_set
from ._validation import _restore_on_error
from ._warm_start import constant_intercept, intercept_for_shares


def check_partial_fit_classes(estimator, classes) -> np.ndarray:
    """``classes_`` for this call: given on the first, the same if repeated.

    Raises
    ------
    ValueError
        If ``classes`` is missing on the first call, has fewer than two
        labels, or differs from ``classes_`` on a later call.
    """
    fitted = hasattr(estimator, "classes_")
    if classes is None:
        if not fitted:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: "
                "every label the stream may contain, e.g. classes=np.unique(y)."
            )
        return estimator.classes_
    classes = np.unique(np.asarray(classes))
    if fitted:
        if not np.array_equal(classes, estimator.classes_):
            raise ValueError(
                f"classes={classes.tolist()!r} is not the same as on the first "
                f"call to partial_fit (or fit): {estimator.classes_.tolist()!r}."
            )
        return estimator.classes_
    if classes.shape[0] < 2:
        raise ValueError(
            f"partial_fit needs at least 2 classes, got classes={classes.tolist()!r}."
        )
    return classes


def label_indices(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Each label's index in ``classes``; a clear error for unknown labels."""
    known = np.isin(y, classes)
    if not np.all(known):
        unknown = np.unique(y[~known])
        raise ValueError(
            f"y contains labels not in classes_ {classes.tolist()!r}: "
            f"{unknown.tolist()!r}. Pass every label of the stream in classes "
            "on the first call to partial_fit."
        )
    return np.searchsorted(classes, y)


class PartialFitMixin:
    """Adds ``partial_fit`` to :class:`SoftmaxRegression`."""

    # The estimator's parameters read here.
    C: float
    l1_ratio: float
    fit_intercept: bool
    batch_size: int
    learning_rate: str
    eta0: float | str
    power_t: float
    tol: float
    verbose: int
    random_state: Any
    # Fitted: the labels, and what fit leaves for a later call (see above):
    # its θ and its data's weight (host values, whatever the input's namespace).
    classes_: np.ndarray
    _partial_fit_start: tuple[np.ndarray, float]

    def _smooth_penalty(self) -> bool:
        return self.l1_ratio == 0 or bool(np.isinf(self.C))

    def _online_options(self) -> dict[str, Any]:
        """The online solver's options: :func:`._solvers._stream.online_solver`'s."""
        return {
            "learning_rate": self.learning_rate,
            "eta0": self.eta0,
            "power_t": self.power_t,
            "tol": self.tol,
        }

    def _stochastic_options(self) -> dict[str, Any]:
        """What a stochastic solver's ``configured`` takes from the estimator."""
        return {
            "batch_size": self.batch_size,
            "random_state": self.random_state,
            "online": self._online_options(),
        }

    def _online_solver(self) -> OnlineSGD | OnlineNewton | FTRL:
        return online_solver(
            **self._online_options(),
            smooth=self._smooth_penalty(),
            structured=structure_is_set(self),
        )

    @numpy_only
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self, X, y, classes=None, sample_weight=None, *, target_proba=None, offset=None
    ):
        """One pass of minibatch stochastic gradient steps over ``X``, ``y``.

        The penalty is scaled to the total weight seen so far: a stream of
        chunks approaches :meth:`fit` on their concatenation (see the user
        guide's section on online learning for several passes).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of the stream, in the order its minibatches are used.
        y : array-like of shape (n_samples,)
            Its labels, all in ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every label of the stream. Required on the first call (unless the
            estimator was fitted by :meth:`fit`); later calls may repeat it.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.
        target_proba : array-like of shape (n_samples, n_classes), default=None
            Soft targets of the chunk, columns in the order of ``classes``
            (see :meth:`fit`); ``label_smoothing`` applies as in :meth:`fit`.
        offset : array-like of shape (n_samples, n_classes), default=None
            Known logits of the chunk (see :meth:`fit`).

        Returns
        -------
        self : SoftmaxRegression
            The updated estimator.

        Notes
        -----
        With ``class_weight="balanced"``, each call weighs its rows with
        ``Σ w / (n_classes · Σ_{y=k} w)`` (``w`` the sample weights) from
        the weighted class counts of the stream so far, this chunk included,
        and ``n_classes`` from ``classes``: an estimate of the stream's
        balanced weights that settles as the stream grows (early chunks are
        weighed by the classes seen so far). After :meth:`fit`, the counts
        start again with the first ``partial_fit``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.preprocessing import scale
        >>> from sklearn_softmax import SoftmaxRegression
        >>> X, y = load_iris(return_X_y=True)
        >>> X = scale(X)
        >>> order = np.random.default_rng(0).permutation(len(y))
        >>> clf = SoftmaxRegression(batch_size=10)
        >>> for chunk in np.array_split(order, 5):  # one pass, five chunks
        ...     clf = clf.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
        >>> clf.n_iter_, clf.coef_.shape
        (5, (3, 4))
        >>> round(clf.score(X, y), 2)
        0.89
        """
        first_call = not hasattr(self, "classes_")
        with _restore_on_error(self):
            all_classes = check_partial_fit_classes(self, classes)
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse="csr",
                dtype=[np.float64, np.float32],
                reset=first_call,
            )
            check_classification_targets(y)
            y_index = label_indices(y, all_classes)
            K = all_classes.shape[0]
            # Soft targets and offsets (None without them).
            q = soft_targets(target_proba, y_index, all_classes, self.label_smoothing)
            Off = check_offset(offset, X.shape[0], K, X.dtype)
            if q is None:
                s, class_totals = self._stream_weights(
                    sample_weight, all_classes, y_index
                )
                T = None
            else:
                s, T, class_totals = self._soft_stream_weights(
                    q, sample_weight, all_classes
                )
            objective = SoftmaxObjective(
                X.T, y_index, K, s, self.fit_intercept, targets=T, offset=Off
            )
            solver = self._online_solver()
            check_fit_memory(objective, solver, 1, "partial_fit")
            state = self._state(solver)
            if state is None:  # the first call: the best constant model
                state = self._start_state(solver, objective, y_index, s)
            state = self._partial_fit_pass(solver, objective, state)
            self._set_fitted(state.solution(self._smooth_penalty()), all_classes)
            self.n_iter_ = state.n_passes
            self.loss_curve_ = list(state.losses)
            self.converged_ = False
            self._online_state = state
            # ONNX: a second input, once a call had an offset.
            self._fitted_with_offset = offset is not None or getattr(
                self, "_fitted_with_offset", False
            )
            self._fitted_with_targets = target_proba is not None or getattr(
                self, "_fitted_with_targets", False
            )
            self._class_weight_totals = class_totals
            self.__dict__.pop("_partial_fit_start", None)  # now in the state
        return self

    def _stream_weights(self, sample_weight, classes, y_index):
        """``s`` of the chunk, and the stream's weighted class counts with it.

        ``"balanced"`` weighs the chunk's rows by
        :func:`._backends._inputs.balanced_class_weights` of the sums of the
        sample weights per class over the stream so far, this chunk included
        (kept in ``_class_weight_totals`` beside the online state; a stream
        started by :meth:`fit` counts from its first ``partial_fit``).
        """
        w = check_sample_weight(sample_weight, y_index.shape[0])
        totals = np.bincount(y_index, weights=w, minlength=classes.shape[0])
        previous = getattr(self, "_class_weight_totals", None)
        if "_online_state" in vars(self) and previous is not None:  # goes on
            with np.errstate(over="ignore"):  # an overflow is refused just below
                totals = totals + previous
            check_weight_total(weight_sum(totals))  # the stream's, so far
        if self.class_weight is None:
            return w, totals
        with np.errstate(over="ignore"):  # an overflow is refused just below
            s = w * per_class_weights(self.class_weight, classes, totals)[y_index]
        check_weight_total(weight_sum(s), self.class_weight)
        return s, totals

    def _soft_stream_weights(self, q, sample_weight, classes):
        """As :meth:`_stream_weights`, for soft targets ``q``: ``(s, T, totals)``.

        The class counts of the stream are ``Σ_n w_n q_nk``, as for the
        replicated rows (:func:`._backends._targets.soft_weights`).
        """
        previous = getattr(self, "_class_weight_totals", None)
        if "_online_state" not in vars(self):
            previous = None
        return soft_weights(q, sample_weight, self.class_weight, classes, previous)

    def _state(self, solver) -> OnlineState | NewtonState | FTRLState | None:
        """The state to continue from, for ``solver``; ``None`` on a first call.

        After ``fit``, built from its ``θ`` and its data's weight; after a
        change of ``learning_rate``, from the reported model of the stream.
        """
        state: OnlineState | NewtonState | FTRLState | None
        state = getattr(self, "_online_state", None)
        if state is None and hasattr(self, "_partial_fit_start"):
            (theta, weight), K = self._partial_fit_start, self.classes_.shape[0]
            return solver.init(theta, (theta.size // K, K), weight_seen=weight)
        if state is not None and not isinstance(state, solver.state_type):
            W = state.solution(self._smooth_penalty())
            state = solver.init(W.ravel(), W.shape, weight_seen=state.weight_seen)
        return state

    @staticmethod
    def _start_state(
        solver, objective, y_index, s
    ) -> OnlineState | NewtonState | FTRLState:
        """The best constant model, on the first call's ``objective``."""
        W = np.zeros(objective.shape, dtype=objective.dtype)
        if objective.fit_intercept and objective.targets is not None:
            W[-1] = intercept_for_shares(objective.class_shares())
        elif objective.fit_intercept:
            W[-1] = constant_intercept(y_index, s, objective.n_classes)
        return solver.init(W.ravel(), objective.shape)

    def _online_structure(self, objective):
        """The penalty's structure for the online steps, or ``None``.

        Raises
        ------
        ValueError
            For structured options with ``learning_rate="newton"`` (L2 only).
        """
        scale = stream_scale(self, objective) if self.standardize else None
        structure = penalty_structure(self, objective, scale=scale)
        if structure is None:
            return None
        if self.learning_rate == "newton":
            raise ValueError(
                "learning_rate='newton' takes no penalty_factor, grouped or "
                "bounds; use learning_rate='adagrad' or solver='fista' in fit."
            )
        return structure

    def _partial_fit_pass(
        self, solver, objective, state
    ) -> OnlineState | NewtonState | FTRLState:
        """One pass of ``solver`` over the chunk's ``objective``, closed."""
        if isinstance(solver, OnlineNewton):
            check_newton_problem(objective.n_params, self._smooth_penalty())
        structure = self._online_structure(objective)
        penalty_for = functools.partial(
            make_penalty, self.C, self.l1_ratio, structure=structure
        )
        state = solver.run_chunk(state, objective, self.batch_size, penalty_for)
        state, loss = solver.end_pass(state)
        if self.verbose:
            print(f"[partial_fit] pass {state.n_passes:4d}  mean batch loss {loss:.6e}")
        return state
