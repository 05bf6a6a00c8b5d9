"""Soft targets and offsets in ``SoftmaxRegressionCV``: per fold, fitted and scored.

Each fold's fits get the rows of ``target_proba`` and ``offset`` of its
training part. Its scores keep the hard labels of ``y`` (the scorer sees
``y``, as everywhere in scikit-learn), and the offset of its test part: an
offset is a feature with a fixed coefficient of one, so the fold model that
the scorer calls is the fitted one with the ``K`` offset columns appended to
``X`` (one column, ``o₁ − o₀``, for two classes) and the identity appended to
its coefficients. Its predictions are then those of
``predict_proba(X, offset=...)``, for every scorer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._backends._inputs import combined_weights
from ._backends._targets import check_offset, check_target_proba, soft_weights


@dataclass(frozen=True)
class FoldTargets:
    """The soft targets and offsets of all the samples, cut per fold.

    Attributes
    ----------
    proba : ndarray of shape (n_samples, n_classes) or None
    offset : ndarray of shape (n_samples, n_classes) or None
        In the estimator's layout (``[0, o]`` for a two-class ``(n,)`` one).
    """

    proba: np.ndarray | None
    offset: np.ndarray | None

    def fit_params(self, train) -> dict:
        """``target_proba`` and ``offset`` of the training rows, for ``fit``."""
        return {
            "target_proba": None if self.proba is None else self.proba[train],
            "offset": None if self.offset is None else self.offset[train],
        }

    def check_fold(self, present: np.ndarray, classes: np.ndarray) -> None:
        """Refuse a training part without some class when there are soft targets."""
        if self.proba is not None and not present.all():
            missing = classes[~present].tolist()
            raise ValueError(
                f"A training fold has no sample of class(es) {missing!r}: with "
                f"target_proba every class must appear in the y of every "
                f"training fold. Use fewer folds or a stratified cv."
            )

    def for_scoring(self, X_test, rows: np.ndarray, fit_intercept: bool, test):
        """``(X, rows)`` of the fold model that adds the test part's offset."""
        if self.offset is None:
            return X_test, rows
        offset = self.offset[test].astype(rows.dtype)
        n_features = rows.shape[1] - int(fit_intercept)
        if rows.shape[0] == 1:  # two classes: the score z₁ − z₀
            columns, identity = offset[:, 1:] - offset[:, :1], np.ones((1, 1))
        else:
            columns, identity = offset, np.eye(rows.shape[0])
        columns = columns.astype(X_test.dtype)
        if sp.issparse(X_test):
            X = sp.hstack([X_test, columns], format="csr")
        else:
            X = np.hstack([X_test, columns])
        rows = np.hstack([rows[:, :n_features], identity.astype(rows.dtype),
                          rows[:, n_features:]])  # fmt: skip
        return X, rows


def fold_targets(estimator, X, y_index, classes, sample_weight, target_proba, offset):
    """``(targets, s, T, O)``: the per-fold cutter, and the whole data's terms.

    ``targets`` is ``None`` without soft targets and offsets; ``s`` the
    combined weights (of the soft targets, or of the labels), ``T`` and
    ``O`` the objective's ``K × N`` soft targets and offset (or ``None``).
    """
    n_samples, K = y_index.shape[0], classes.shape[0]
    if target_proba is None:
        s = combined_weights(sample_weight, estimator.class_weight, classes, y_index)
        if offset is None:
            return None, s, None, None
    Off = check_offset(offset, n_samples, K, X.dtype)
    q = T = None
    if target_proba is not None:
        q = check_target_proba(target_proba, n_samples, classes)
        s, T, _ = soft_weights(q, sample_weight, estimator.class_weight, classes)
    targets = FoldTargets(q, None if Off is None else np.ascontiguousarray(Off.T))
    return targets, s, T, Off
