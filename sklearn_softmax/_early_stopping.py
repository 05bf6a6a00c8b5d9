"""Early stopping for ``fit``: the solver callback that scores held-out rows.

``fit(early_stopping=True)`` sets aside a stratified share of the samples (the
backend does, :func:`._backends._inputs.hold_out`), fits on the rest, and
hands every solver a :class:`ValidationMonitor` as its callback. After each
iteration the monitor scores the current iterate ``θ`` on the held-out samples
(weighted mean accuracy, what ``score`` returns), keeps a copy of the best
one, and asks the solver to stop once the score has not improved by at least
``tol`` for ``n_iter_no_change`` consecutive iterations (scikit-learn's rule
for ``SGDClassifier`` and ``MLPClassifier``). The solvers' arithmetic is
untouched.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


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
