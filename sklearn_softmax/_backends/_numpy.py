"""The in-memory backend: NumPy arrays, SciPy sparse matrices, lists, data frames.

``X`` is validated (float32 kept, other dtypes to float64; CSR and CSC stay
sparse), the labels encoded, the weights combined, and the objective is a
:class:`.._objectives.SoftmaxObjective` on ``X.T``, a view. This is the one
backend that supports ``early_stopping``: the held-out rows are split off
here, before the objective is built.
"""

from __future__ import annotations

import contextlib

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from .._objectives import SoftmaxObjective
from .._objectives._threads import available_cpus
from .._penalties import ElasticNet
from .._solvers import get_solver
from ._base import Backend, FitData
from ._inputs import combined_weights, encode_labels, hold_out
from ._memory import check_fit_memory
from ._targets import soft_fit_inputs


class NumpyBackend(Backend):
    """``fit`` on host memory, in blocks of samples (see the module)."""

    name = "in-memory input"

    def fit_data(
        self, estimator, X, y, sample_weight, target_proba=None, offset=None
    ) -> FitData:
        X, y = validate_data(
            estimator,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
        )
        if y.dtype.kind not in "biu":
            # 1-D integer labels (validate_data ravels y) are always "binary"
            # or "multiclass": the ~0.2 ms of type_of_target is only needed
            # for the other dtypes (floats may be continuous).
            check_classification_targets(y)
        classes, y_index = encode_labels(y)
        s, T, Off = soft_fit_inputs(
            estimator, X.dtype, y_index, classes, sample_weight, target_proba, offset
        )
        if s is None:  # hard labels: the fast path
            s = combined_weights(
                sample_weight, estimator.class_weight, classes, y_index
            )
        held_out = None
        if estimator.early_stopping:
            X, y_index, s, train, sample_weight, held_out = hold_out(
                estimator, X, y_index, s, sample_weight
            )
            y = y[train]
            T = None if T is None else T[:, train]
        objective = SoftmaxObjective(
            X.T,
            y_index,
            classes.shape[0],
            s,
            estimator.fit_intercept,
            targets=T,
            offset=Off,
        )
        # Refuse before any large allocation (the penalty's kind is enough
        # to resolve "auto"; a bad C or solver is refused by fit as before).
        alpha = 0.0 if estimator.C == np.inf else 1.0
        penalty = ElasticNet(alpha, estimator.l1_ratio)
        with contextlib.suppress(ValueError):
            solver = get_solver(estimator.solver, penalty, objective, self.name)
            # One block runs on one thread (no need to ask the kernel).
            n_threads = available_cpus() if len(objective.blocks) > 1 else 1
            check_fit_memory(objective, solver, n_threads)
        return FitData(objective, classes, s.sum(), X, y, sample_weight, held_out)
