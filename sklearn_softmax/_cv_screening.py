r"""Sequential strong rules along a lasso or grouped-lasso path, with a KKT check.

Conventions
-----------
In the units of the solvers (the weighted mean loss, ``Ĝ`` its gradient in
``W[:M]``, of shape ``M × K``), a path point of ``C`` has the L1 strength
``λ = ρ / (C Σ s)``; a unit ``u`` (a group of feature rows when grouped, else
one feature) with weight ``ω_u`` (``√|g| f_g`` for a group, the factors
``f_jk`` of the row otherwise) is zero at the solution exactly when

.. math:: ‖Ĝ_u‖ ≤ λ ω_u \quad\text{(groups)}, \qquad
          |Ĝ_{jk}| ≤ λ f_{jk} \ \text{for every } k \quad\text{(features)}.

Going from ``λ_old`` to ``λ_new < λ_old``, the sequential strong rule
(Tibshirani et al. 2012) discards the units with ``‖Ĝ_u‖ < ω_u (2 λ_new −
λ_old)`` at the previous solution (per coefficient ungrouped), keeping those
nonzero there and the unpenalised ones. The fit is then made on the columns
of the kept features alone, warm-started from the previous solution, and the
discarded units are checked at the result: a unit whose distance ``‖Ĝ_u‖ −
λ ω_u`` (the optimality measure of the solvers at a zero row) exceeds ``tol``
is added and the fit repeated. The returned point therefore meets the
optimality measure of the whole problem within ``tol``, as an unscreened fit
does; the rule only decides how much of ``X`` each iteration reads.

Screening applies (:func:`screenable`) to an L1 part (``ρ > 0``) without
bounds, standardisation, class weights, label smoothing, soft targets or
early stopping, with the solver ``"auto"`` or ``"fista"``; other paths are
fitted as before.
"""

from __future__ import annotations

import numpy as np

from ._binary import to_per_class
from ._core import softmax
from ._estimator import SoftmaxRegression
from ._objectives._threads import CORES
from ._penalties import make_structure


def screenable(params: dict, l1_ratio: float, has_targets: bool = False) -> bool:
    """Whether a path of ``SoftmaxRegression(**params)`` fits can be screened."""
    return bool(
        l1_ratio > 0
        and not has_targets
        and params.get("solver", "auto") in ("auto", "fista")
        and params.get("lower_bounds") is None
        and params.get("upper_bounds") is None
        and not params.get("positive", False)
        and not params.get("standardize", False)
        and params.get("class_weight") is None
        and params.get("label_smoothing", 0.0) == 0.0
        and not params.get("early_stopping", False)
    )


class ScreenedPath:
    """Fits of one path, in order of increasing ``C``, screened by strong rules.

    Parameters
    ----------
    params : dict
        Parameters of every :class:`SoftmaxRegression` besides ``C``,
        ``l1_ratio`` and ``warm_start`` (:func:`screenable` must hold).
    l1_ratio : float
        ``ρ > 0``.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,) or None

    Attributes
    ----------
    n_screened_ : list of int
        The number of features the last fit of each point was made on.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_softmax._cv_screening import ScreenedPath
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 8))
    >>> y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    >>> path = ScreenedPath({"tol": 1e-6, "max_iter": 1000}, 1.0, X, y, None)
    >>> [int(path.fit(C).n_features_selected_) for C in np.geomspace(0.02, 0.1, 5)]
    [0, 0, 0, 0, 2]
    >>> path.n_screened_  # the features each fit was made on
    [8, 1, 1, 2, 3]
    """

    def __init__(self, params: dict, l1_ratio: float, X, y, sample_weight):
        self.params, self.l1_ratio, self.X, self.y = dict(params), l1_ratio, X, y
        self.classes, y_index = np.unique(y, return_inverse=True)
        s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
        self.sample_weight, self.total = sample_weight, float(s.sum())
        self.y_index, self.weights = y_index, s / self.total
        self._cut: tuple[np.ndarray, object] | None = None
        K, M = self.classes.shape[0], X.shape[1]
        self.fit_intercept = params.get("fit_intercept", True)
        self.dtype = np.float32 if X.dtype == np.float32 else np.float64
        structure = make_structure(
            params.get("penalty_factor"), params.get("grouped", False),
            None, None, False, M, K,
        )  # fmt: skip
        factor = np.ones((M, K)) if structure.factor is None else structure.factor
        self.grouped, self.units, self.weight = False, np.arange(M), factor
        if structure.groups is not None and structure.group_weight is not None:
            self.grouped = True
            self.units, self.weight = structure.groups, structure.group_weight
        self.model: SoftmaxRegression | None = None
        self.n_screened_: list[int] = []
        self._previous: tuple[float, np.ndarray] | None = None  # λ, Ĝ

    def fit(self, C: float) -> SoftmaxRegression:
        """The fit at ``C`` (larger than the last one), on the whole ``X``."""
        with CORES.fit():  # BLAS on one thread, as in every fit
            return self._fit(C)

    def _fit(self, C: float) -> SoftmaxRegression:
        lam = self.l1_ratio / (C * self.total)
        M = self.X.shape[1]
        if self._previous is None:
            keep = np.ones(M, dtype=bool)
        else:
            keep = self._strong_set(*self._previous, lam)
        n_iter, G = 0, None
        while True:
            model = self._fit_on(C, keep)
            n_iter += model.n_iter_
            G = self._gradient(model, keep)
            violators = ~keep & (self._distance(G, lam) > self.params.get("tol", 1e-4))
            if not violators.any():
                break
            keep |= violators
        model.n_iter_ = n_iter
        self.model, self._previous = model, (lam, G)
        self.n_screened_.append(int(keep.sum()))
        return model

    def _unit_norms(self, G: np.ndarray) -> np.ndarray:
        """``‖Ĝ_u‖ / ω_u`` per unit, mapped to features (``inf`` unpenalised)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.grouped:
                norms = np.sqrt(np.bincount(self.units, (G * G).sum(axis=1)))
                ratio = np.where(self.weight > 0, norms / self.weight, np.inf)
                return ratio[self.units]
            ratio = np.where(self.weight > 0, np.abs(G) / self.weight, np.inf)
        return ratio.max(axis=1)

    def _strong_set(self, lam_old: float, G: np.ndarray, lam: float) -> np.ndarray:
        """The features kept by the strong rule (at least one)."""
        assert self.model is not None
        ratio = self._unit_norms(G)
        nonzero = np.any(np.asarray(self.model.coef_) != 0, axis=0)
        keep = nonzero | (ratio >= 2 * lam - lam_old)
        if self.grouped:  # whole groups
            keep = np.bincount(self.units, keep, self.units.max() + 1)[self.units] > 0
        if not keep.any():
            keep[np.argmax(ratio)] = True
        return keep

    def _distance(self, G: np.ndarray, lam: float) -> np.ndarray:
        """Per feature, the optimality measure of its unit were it zero."""
        with np.errstate(invalid="ignore"):
            if self.grouped:
                norms = np.sqrt(np.bincount(self.units, (G * G).sum(axis=1)))
                return np.maximum(norms - lam * self.weight, 0.0)[self.units]
            excess = np.where(np.isinf(self.weight), 0.0, np.abs(G) - lam * self.weight)
        return np.maximum(excess.max(axis=1), 0.0)

    def _fit_on(self, C: float, keep: np.ndarray) -> SoftmaxRegression:
        """The fit on the columns ``keep``, warm-started, embedded in all of ``X``."""
        params = {**self.params, "C": C, "l1_ratio": self.l1_ratio}
        factor, grouped = params.get("penalty_factor"), params.get("grouped", False)
        if factor is not None:
            params["penalty_factor"] = np.asarray(factor)[..., keep]
        if not isinstance(grouped, bool):
            params["grouped"] = np.asarray(grouped)[keep]
        sub = SoftmaxRegression(**params)
        if self.model is not None:
            sub.set_params(warm_start=True)
            sub.classes_ = self.model.classes_
            sub.coef_ = np.asarray(self.model.coef_)[:, keep]
            sub.intercept_ = self.model.intercept_
        sub.fit(self._columns(keep), self.y, sample_weight=self.sample_weight)
        return _embed(sub, keep, self.params)

    def _columns(self, keep: np.ndarray):
        """``X[:, keep]``, kept while the next points keep the same features."""
        if keep.all():
            return self.X
        if self._cut is None or not np.array_equal(self._cut[0], keep):
            self._cut = (keep.copy(), self.X[:, keep])
        return self._cut[1]

    def _gradient(self, model: SoftmaxRegression, keep: np.ndarray) -> np.ndarray:
        """``Ĝ`` at ``model`` (nonzero on ``keep`` only), ``(M, K)``.

        ``Z = W_keepᵀ X_keep + b`` from the kept columns, then one product
        with all of ``X`` for ``Ĝ = X (ŝ ∘ (S − Y))ᵀ``.
        """
        coef, intercept = to_per_class(np.asarray(model.coef_), model.intercept_)
        dtype = self.dtype
        W = np.ascontiguousarray(coef.T[keep], dtype=dtype)
        Z = np.asarray(self._columns(keep) @ W).T  # (K, N)
        if self.fit_intercept:
            Z = Z + np.asarray(intercept, dtype=dtype)[:, None]
        R = softmax(Z)
        R[self.y_index, np.arange(R.shape[1])] -= 1.0
        R *= self.weights
        return np.asarray(self.X.T @ R.T)


def _embed(sub: SoftmaxRegression, keep: np.ndarray, params: dict):
    """A fitted model on all features with ``sub``'s coefficients on ``keep``."""
    model = SoftmaxRegression(**params)
    coef = np.zeros((sub.coef_.shape[0], keep.size), dtype=sub.coef_.dtype)
    coef[:, keep] = np.asarray(sub.coef_)
    model.classes_, model.coef_, model.intercept_ = sub.classes_, coef, sub.intercept_
    model.n_features_in_ = keep.size
    model.n_iter_, model.converged_ = sub.n_iter_, sub.converged_
    model.n_features_selected_ = int(np.any(coef != 0, axis=0).sum())
    model.support_ = np.any(coef != 0, axis=0)
    return model
