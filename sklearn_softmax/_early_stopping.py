"""Early stopping for ``fit``: a validation split and a solver callback.

``fit(early_stopping=True)`` sets aside a stratified share of the samples
(:func:`validation_split`), fits on the rest, and hands every solver a
:class:`ValidationMonitor` as its callback. After each iteration the monitor
scores the current iterate ``θ`` on the held-out samples (weighted mean
accuracy, what ``score`` returns), keeps a copy of the best one, and asks the
solver to stop once the score has not improved by at least ``tol`` for
``n_iter_no_change`` consecutive iterations (scikit-learn's rule for
``SGDClassifier`` and ``MLPClassifier``). The solvers' arithmetic is untouched.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.model_selection import StratifiedShuffleSplit

from ._validation import check_sample_weight


def validation_split(
    y_index: np.ndarray, fraction: float, random_state
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified ``(train, validation)`` row indices, sorted.

    Raises
    ------
    ValueError
        If the split cannot keep every class on both sides: too few samples
        in total or in some class for ``validation_fraction``.
    """
    n_samples = y_index.shape[0]
    n_classes = int(y_index.max()) + 1
    counts = np.bincount(y_index, minlength=n_classes)
    n_validation = int(np.ceil(fraction * n_samples))
    n_train = n_samples - n_validation
    if counts.min() < 2 or n_validation < n_classes or n_train < n_classes:
        raise ValueError(
            f"early_stopping=True cannot set aside a stratified "
            f"validation_fraction={fraction} of {n_samples} samples with "
            f"{n_classes} classes (smallest class: {counts.min()} samples): each "
            f"class needs at least 2 samples, and both sides at least one "
            f"sample per class. Use more data, another validation_fraction, or "
            f"early_stopping=False."
        )
    splitter = StratifiedShuffleSplit(
        n_splits=1, test_size=n_validation, random_state=random_state
    )
    train, validation = next(splitter.split(np.zeros((n_samples, 1)), y_index))
    return np.sort(train), np.sort(validation)


class ValidationMonitor:
    """Solver callback scoring each iterate on held-out samples.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_validation, n_features)
        Held-out samples, in the fitted dtype.
    y_index : ndarray of shape (n_validation,)
        Their class indices.
    sample_weight : ndarray of shape (n_validation,)
        Their weights, for the weighted accuracy.
    unravel : callable
        Maps the flat ``θ`` to ``W`` of shape ``(M [+ 1], K)``, intercept last.
    fit_intercept : bool
        Whether ``W`` has the intercept row.
    tol : float
        Least improvement of the score that counts.
    n_iter_no_change : int
        Iterations without such an improvement before stopping.
    inner : callable or None
        Another callback (``verbose``), called first with ``(n_iter, value)``.
    """

    takes_theta = True

    def __init__(
        self,
        X,
        y_index: np.ndarray,
        sample_weight: np.ndarray,
        unravel: Callable[[np.ndarray], np.ndarray],
        fit_intercept: bool,
        tol: float,
        n_iter_no_change: int,
        inner: Callable | None = None,
    ):
        self.X, self.y_index, self.sample_weight = X, y_index, sample_weight
        self.unravel, self.fit_intercept = unravel, fit_intercept
        self.tol, self.n_iter_no_change, self.inner = tol, n_iter_no_change, inner
        self.scores: list[float] = []
        self.best_score = -np.inf
        self.best_theta: np.ndarray | None = None
        self._no_improvement = 0

    def score(self, theta: np.ndarray) -> float:
        """Weighted mean accuracy of ``θ`` on the held-out samples."""
        W = self.unravel(theta)
        M = W.shape[0] - int(self.fit_intercept)
        Z = np.asarray(self.X @ W[:M])
        if self.fit_intercept:
            Z = Z + W[M]
        correct = Z.argmax(axis=1) == self.y_index
        weights = self.sample_weight if self.sample_weight.sum() > 0 else None
        return float(np.average(correct, weights=weights))

    def __call__(self, n_iter: int, value: float, theta: np.ndarray) -> bool:
        if self.inner is not None:
            self.inner(n_iter, value)
        score = self.score(theta)
        self.scores.append(score)
        # MLPClassifier's order: count against the best so far, then update it.
        if score < self.best_score + self.tol:
            self._no_improvement += 1
        else:
            self._no_improvement = 0
        if score > self.best_score:
            self.best_score = score
            self.best_theta = np.array(theta, copy=True)
        return self._no_improvement >= self.n_iter_no_change


def hold_out(estimator, X, y_index: np.ndarray, s: np.ndarray, sample_weight):
    """Split for ``estimator.fit``: the training rows and a monitor factory.

    Returns ``(X, y_index, s)`` of the training rows, their indices ``train``,
    their ``sample_weight`` (``None`` if none was given) and
    ``monitor(unravel, inner)``, which builds the :class:`ValidationMonitor`
    of the held-out rows (weighted by ``sample_weight`` alone, as ``score``).
    """
    train, held = validation_split(
        y_index, estimator.validation_fraction, estimator.random_state
    )
    w = check_sample_weight(sample_weight, X.shape[0])
    w_train = None if sample_weight is None else w[train]
    w_held = w[held]

    def monitor(unravel, inner=None) -> ValidationMonitor:
        return ValidationMonitor(
            X[held],
            y_index[held],
            w_held,
            unravel,
            estimator.fit_intercept,
            estimator.tol,
            estimator.n_iter_no_change,
            inner,
        )

    return X[train], y_index[train], s[train], train, w_train, monitor
