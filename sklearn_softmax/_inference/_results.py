r"""SoftmaxInference: estimates, standard errors, tests and tables, frozen.

Conventions
-----------
Rows are the reported classes (``classes``): all of them in the symmetric
parametrisation, all but the reference otherwise (one row for two classes).
The flat parameter of :meth:`SoftmaxInference.cov_params` and
:meth:`SoftmaxInference.wald_test` is ``[coef | intercept]`` in C order:
entry ``k (M + 1) + m`` is feature ``m`` of row ``k``, ``m = M`` its
intercept (``k M + m`` without an intercept).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from scipy import stats


class WaldTestResult(NamedTuple):
    """A χ² Wald test: ``statistic``, degrees of freedom ``df``, ``pvalue``."""

    statistic: float
    df: int
    pvalue: float


def _frozen(a: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class SoftmaxInference:
    """Inference for a fitted softmax model (see the user guide, "Inference").

    Built by :meth:`SoftmaxRegression.inference`; every array is read-only.

    Attributes
    ----------
    coef, bse, zvalues, pvalues : ndarray of shape (n_rows, n_features)
        Estimates, standard errors, ``coef / bse`` and two-sided normal
        p-values. ``n_rows`` is ``n_classes`` (symmetric), ``n_classes − 1``
        (contrasts against ``reference``) or 1 (two classes).
    intercept, intercept_bse, intercept_zvalues, intercept_pvalues : ndarray or None
        Of shape (n_rows,): the same for the intercepts; ``None`` without an intercept.
    classes : ndarray of shape (n_rows,)
        The class of each row.
    reference : object or None
        The reference class of the contrasts; ``None`` for the symmetric
        parametrisation.
    feature_names : ndarray of shape (n_features,)
        ``feature_names_in_`` of the estimator, else ``x0, x1, ...``.
    nobs : float
        ``Σ s`` for frequency weights, the rows of positive weight for
        probability weights.
    df_model : int
        Free coefficients, intercepts left out: ``n_features (n_classes − 1)``.
    cov_type, weights, penalized : str
        How the covariance was computed.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_softmax import SoftmaxRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> X = (X - X.mean(0)) / X.std(0)
    >>> clf = SoftmaxRegression(C=1.0).fit(X, y)
    >>> res = clf.inference(X, y, cov_type="HC1")
    >>> res.bse.shape, res.conf_int().shape
    ((3, 4), (3, 4, 2))
    >>> res.wald_test_features([0]).df
    2
    """

    coef: np.ndarray
    intercept: np.ndarray | None
    cov: np.ndarray = field(repr=False)
    classes: np.ndarray
    reference: Any
    feature_names: np.ndarray
    nobs: float
    df_model: int
    cov_type: str
    weights: str
    penalized: str
    bse: np.ndarray = field(init=False, repr=False)
    zvalues: np.ndarray = field(init=False, repr=False)
    pvalues: np.ndarray = field(init=False, repr=False)
    intercept_bse: np.ndarray | None = field(init=False, repr=False)
    intercept_zvalues: np.ndarray | None = field(init=False, repr=False)
    intercept_pvalues: np.ndarray | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rows, M = self.coef.shape
        Mp = M + int(self.intercept is not None)
        params = self._params()
        var = np.diag(self.cov)
        # Rounding leaves a variance the sandwich makes ~0 slightly negative.
        tiny = 1e-9 * np.nanmax(np.abs(var), initial=0.0)
        var = np.where((var < 0) & (var >= -tiny), 0.0, var)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.sqrt(np.where(var >= 0, var, np.nan))
            z = params / se
        p = 2 * stats.norm.sf(np.abs(z))
        table = {"bse": se, "zvalues": z, "pvalues": p}
        for name, flat in table.items():
            full = flat.reshape(rows, Mp)
            object.__setattr__(self, name, _frozen(full[:, :M]))
            intercept = full[:, M] if Mp > M else None
            object.__setattr__(self, "intercept_" + name, _frozen(intercept))
        for name in ("coef", "intercept", "cov"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def _params(self) -> np.ndarray:
        if self.intercept is None:
            return np.asarray(self.coef, dtype=np.float64).ravel()
        return np.hstack([self.coef, np.asarray(self.intercept)[:, None]]).ravel()

    def cov_params(self) -> np.ndarray:
        """The covariance of the flat parameter ``[coef | intercept]`` (C order).

        Returns
        -------
        ndarray of shape (n_rows (n_features + 1), n_rows (n_features + 1))
            ``n_features`` instead of ``n_features + 1`` without an intercept.
        """
        return self.cov.copy()

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """Normal ``1 − alpha`` confidence intervals of ``coef``.

        Returns
        -------
        ndarray of shape (n_rows, n_features, 2)
            Lower and upper bounds.
        """
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {alpha!r}.")
        q = stats.norm.ppf(1 - alpha / 2)
        return np.stack([self.coef - q * self.bse, self.coef + q * self.bse], -1)

    def wald_test(self, R, r=None) -> WaldTestResult:
        """Wald test of ``R θ = r``, ``θ`` the flat parameter of :meth:`cov_params`.

        The statistic ``(Rθ − r)ᵀ (R V Rᵀ)⁺ (Rθ − r)`` is χ² with the rank of
        ``R V Rᵀ`` degrees of freedom under the hypothesis.

        Parameters
        ----------
        R : array-like of shape (q, n_params) or (n_params,)
        r : array-like of shape (q,), default=None (zeros)
        """
        theta = self._params()
        R = np.atleast_2d(np.asarray(R, dtype=np.float64))
        if R.ndim != 2 or R.shape[1] != theta.shape[0]:
            raise ValueError(
                f"R must have {theta.shape[0]} columns (the flat parameter of "
                f"cov_params()), got shape {R.shape}."
            )
        r = np.zeros(R.shape[0]) if r is None else np.asarray(r, dtype=np.float64)
        if r.shape != (R.shape[0],):
            raise ValueError(f"r must have shape ({R.shape[0]},), got {r.shape}.")
        unknown = np.isnan(np.diag(self.cov)) & np.any(R != 0, axis=0)
        if np.any(unknown):
            raise ValueError(
                f"R involves parameters without a variance (NaN): flat indices "
                f"{np.flatnonzero(unknown).tolist()}."
            )
        used = np.any(R != 0, axis=0)
        RVR = R[:, used] @ self.cov[np.ix_(used, used)] @ R[:, used].T
        diff = R[:, used] @ theta[used] - r
        df = int(np.linalg.matrix_rank(RVR, hermitian=True))
        statistic = float(diff @ np.linalg.pinv(RVR, hermitian=True) @ diff)
        return WaldTestResult(statistic, df, float(stats.chi2.sf(statistic, df)))

    def wald_test_features(self, features) -> WaldTestResult:
        """Joint test that the coefficients of ``features`` are zero in every row.

        Parameters
        ----------
        features : array-like of int or str
            Feature indices or names (``feature_names``).
        """
        index = self._feature_index(features)
        rows, M = self.coef.shape
        Mp = self.cov.shape[0] // rows
        columns = [k * Mp + m for k in range(rows) for m in index]
        R = np.zeros((len(columns), self.cov.shape[0]))
        R[np.arange(len(columns)), columns] = 1.0
        return self.wald_test(R)

    def _feature_index(self, features) -> list[int]:
        features = np.atleast_1d(np.asarray(features))
        names = list(self.feature_names)
        M = len(names)
        out = []
        for f in features.tolist():
            if isinstance(f, str):
                if f not in names:
                    raise ValueError(f"Unknown feature name {f!r}.")
                out.append(names.index(f))
            elif isinstance(f, int) and -M <= f < M:
                out.append(f % M)
            else:
                raise ValueError(f"Feature index {f!r} out of range for {M} features.")
        return out

    def summary(self, alpha: float = 0.05):
        """A table indexed by (class, feature): coef, std err, z, P>|z|, bounds.

        Returns
        -------
        pandas.DataFrame
        """
        try:
            import pandas as pd  # type: ignore[import-untyped]
        except ImportError as error:  # pragma: no cover - pandas is optional
            raise ImportError(
                "SoftmaxInference.summary() needs pandas; install it "
                "(pip install pandas) or read the arrays coef, bse, pvalues."
            ) from error
        names = list(self.feature_names) + (
            ["intercept"] if self.intercept is not None else []
        )
        ci = self.conf_int(alpha)
        parts = [
            self.coef,
            self.bse,
            self.zvalues,
            self.pvalues,
            ci[..., 0],
            ci[..., 1],
        ]
        if self.intercept is not None:
            q = stats.norm.ppf(1 - alpha / 2)
            extra = [self.intercept, self.intercept_bse, self.intercept_zvalues,
                     self.intercept_pvalues, self.intercept - q * self.intercept_bse,
                     self.intercept + q * self.intercept_bse]  # fmt: skip
            parts = [
                np.hstack([a, b[:, None]]) for a, b in zip(parts, extra, strict=True)
            ]
        index = pd.MultiIndex.from_product(
            [list(self.classes), names], names=["class", "feature"]
        )
        columns = [
            "coef",
            "std err",
            "z",
            "P>|z|",
            f"[{alpha / 2:g}",
            f"{1 - alpha / 2:g}]",
        ]
        return pd.DataFrame(
            {c: a.ravel() for c, a in zip(columns, parts, strict=True)}, index=index
        )
