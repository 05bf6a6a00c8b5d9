r"""The first iterate of a fit: the previous solution, or the best constant.

Conventions
-----------
``W`` has the objective's shape ``(M + 1, K)`` (intercept last) or
``(M, K)``, one column per class of ``classes`` (sorted). The previous
solution is read from ``coef_`` and ``intercept_``; two classes are stored as
the difference ``β = w₁ − w₀`` and split back into ``w₀ = −β/2``,
``w₁ = β/2``, the split with the smallest L2 penalty (:mod:`._binary`).

With ``warm_start=True`` and the same number of features:

* the same classes: ``W`` is the previous solution;
* a superset of the previous classes: each previous class keeps its column
  (matched by label, wherever it now sorts), and each new class starts with
  zero coefficients and the intercept that gives it, against the previous
  classes on average, the log-odds of the best constant model (below);
  without an intercept, zeros;
* any other set (fewer classes, or different ones): a cold start.

A cold start is the best constant model: ``W[:M] = 0`` and
``b_k = log p_k − mean_j log p_j``, ``p_k`` the weighted share of class
``k``; classes without weight take the smallest ``log p`` of the others.
"""

from __future__ import annotations

import numpy as np

from ._binary import to_per_class
from ._objectives import SoftmaxObjective


def constant_intercept(
    y: np.ndarray, sample_weight: np.ndarray, n_classes: int
) -> np.ndarray:
    """``b_k = log p_k − mean_j log p_j``: the best intercept for ``W[:M] = 0``.

    ``p_k`` is the share of class ``k`` in the weights; the intercept
    minimises the objective over the intercept alone.
    """
    return intercept_for_shares(
        np.bincount(y, weights=sample_weight, minlength=n_classes)
    )


def intercept_for_shares(shares: np.ndarray) -> np.ndarray:
    """``b_k = log p_k − mean_j log p_j`` for the class shares ``p`` (any scale).

    Classes without weight take the smallest ``log p`` of the others.
    """
    positive = shares > 0
    log_shares = np.log(shares, where=positive, out=np.zeros_like(shares))
    log_shares[~positive] = log_shares[positive].min()
    return log_shares - log_shares.mean()


def previous_solution(estimator) -> tuple[np.ndarray, np.ndarray]:
    """The fitted ``(coef, intercept)`` with one column per class.

    Shapes ``(M, K_old)`` and ``(K_old,)``: binary fits are split back.
    """
    coef = estimator._dense_coef()
    coef, intercept = to_per_class(coef, np.asarray(estimator.intercept_))
    return coef.T, intercept


def cold_theta(objective: SoftmaxObjective) -> np.ndarray:
    """The best constant model: zero coefficients, the class shares' intercept."""
    W = np.zeros(objective.shape, dtype=objective.dtype)
    if objective.fit_intercept:
        W[-1] = intercept_for_shares(objective.class_shares())
    return W.ravel()


def initial_theta(
    estimator, objective: SoftmaxObjective, classes: np.ndarray
) -> np.ndarray:
    """The first iterate of ``estimator.fit`` (see the module's conventions).

    Parameters
    ----------
    estimator : SoftmaxRegression
        Read for ``warm_start``, ``fit_intercept`` and the previous fit.
    objective : SoftmaxObjective
        The problem about to be solved.
    classes : ndarray of shape (K,)
        Its sorted classes.

    Returns
    -------
    theta : ndarray of shape (objective.n_params,)
        In the objective's dtype.
    """
    M = objective.n_features
    fitted = hasattr(estimator, "coef_") and hasattr(estimator, "classes_")
    old = estimator.classes_ if fitted else classes[:0]
    reusable = (
        estimator.warm_start
        and fitted
        and estimator.coef_.shape[1] == M
        and old.shape[0] <= classes.shape[0]
        and np.all(np.isin(old, classes))
    )
    if not reusable:
        return cold_theta(objective)
    W = np.zeros(objective.shape, dtype=objective.dtype)
    columns = np.searchsorted(classes, old)
    coef, intercept = previous_solution(estimator)
    W[:M, columns] = coef
    if objective.fit_intercept:
        constant = intercept_for_shares(objective.class_shares())
        W[-1, columns] = intercept
        new = np.setdiff1d(np.arange(classes.shape[0]), columns)
        if new.size:
            # Log-odds of a new class against the old ones, on average, as in
            # the constant model.
            shift = intercept.mean() - constant[columns].mean()
            W[-1, new] = constant[new] + shift
    return W.ravel()


def pinned_intercept(theta: np.ndarray, objective) -> np.ndarray:
    """``θ`` with ``Σ_k b_k = 0`` for three or more classes, under soft targets.

    The objective does not change when one number is added to every
    intercept; the solvers keep the first iterate's ``Σ_k b_k = 0`` up to
    rounding, and this removes the rounding, so that fits with soft targets
    (or offsets) and the fits on their replicated data report the same
    representative. Fits on hard labels alone are returned unchanged.
    """
    targets = getattr(objective, "targets", None)
    offset = getattr(objective, "offset", None)
    if not objective.fit_intercept or objective.n_classes < 3:
        return theta
    if targets is None and offset is None:
        return theta
    W = np.array(objective.unravel(theta), copy=True)
    W[-1] -= W[-1].mean()
    return W.ravel()
