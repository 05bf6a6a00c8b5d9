r"""The grid of ``C`` values of :class:`SoftmaxRegressionCV`, placed from the data.

The path starts where the penalty zeroes every coefficient. Let ``G`` be the
gradient ``∇_W Σ s ℓ`` of the data term at ``W = 0`` with the intercept of the
best constant model (the point :class:`SoftmaxRegression` starts from). The
subdifferential of ``C Σ s ℓ + ½ (1 − ρ) ‖W‖² + ρ ‖W‖₁`` at ``W = 0`` is
``C G + ρ [−1, 1]`` entry by entry, so ``W = 0`` is the minimiser exactly when
``C max |G| ≤ ρ``: for ``ρ > 0`` every coefficient is zero up to
``C_min = ρ / max |G|``. For ``ρ = 0`` no finite ``C`` gives zeros; the path
then starts at ``1 / max |G|``, the ``C_min`` of ``ρ = 1``, where the L2
solution is still small.

With penalty factors, groups or standardisation (:data:`STRUCTURED`), the
start is computed at the *null model*: the fit with every penalised
coefficient held at zero and the unpenalised ones (factor 0) fitted. With
``G`` its gradient (per standardised coefficient under ``standardize``), the
coefficients stay zero while ``C ‖G_g‖ ≤ ρ ω_g`` for every group ``g``
(``|G_jk| ≤ ρ f_jk`` ungrouped), so ``C_min = ρ / max_g ‖G_g‖ / ω_g``.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._binary import to_per_class
from ._estimator import SoftmaxRegression
from ._objectives import SoftmaxObjective
from ._penalties import make_penalty, make_structure
from ._solvers import get_solver
from ._solvers._base import max_abs
from ._structured_fit import FitCoordinates
from ._warm_start import cold_theta

#: The data-driven path spans ``C_min`` to ``C_min · 10**PATH_DECADES``.
PATH_DECADES = 4

#: The structured penalty's parameters, shared with every fit of the path.
STRUCTURED = (
    "penalty_factor",
    "grouped",
    "lower_bounds",
    "upper_bounds",
    "positive",
    "standardize",
)


def path_start(
    X, y_index: np.ndarray, classes: np.ndarray, s, fit_intercept, terms=(None, None)
) -> float:
    """``1 / max |G|``: the ``C_min`` of ``ρ = 1`` (see the module's notes).

    ``1.0`` when ``G = 0`` (constant features), where every ``C`` gives
    ``W = 0``. ``terms``: the soft targets and offset (``K × N``, or ``None``).
    """
    T, Off = terms
    objective = SoftmaxObjective(
        X.T, y_index, classes.shape[0], s, fit_intercept, targets=T, offset=Off
    )
    _, g = objective.value_and_grad(cold_theta(objective))
    # g is the gradient of the mean loss Σ ŝ ℓ; that of Σ s ℓ is Σ s times it.
    g_max = max_abs(objective.unravel(g)[: objective.n_features]) * float(s.sum())
    return 1.0 / g_max if g_max > 0 else 1.0


def check_l1_ratios(l1_ratios, solver: str) -> np.ndarray:
    """``l1_ratios`` as an array (``[0]`` for ``None``), checked with ``solver``.

    Raises
    ------
    ValueError
        For an empty or not 1-D list, values outside ``[0, 1]``, or a solver
        that cannot fit an L1 part when one is asked for (before any work).
    """
    if l1_ratios is None:
        return np.zeros(1)
    ratios = np.asarray(l1_ratios, dtype=np.float64)
    if ratios.ndim != 1 or ratios.size == 0:
        raise ValueError(
            "l1_ratios must be a non-empty 1-D list of values in [0, 1], "
            f"got shape {ratios.shape}."
        )
    if not np.all((ratios >= 0) & (ratios <= 1)):
        raise ValueError(f"l1_ratios must lie in [0, 1], got {l1_ratios!r}.")
    get_solver(solver, make_penalty(1.0, ratios.max(), 1.0))
    return ratios


def grid_of_Cs(
    Cs, l1_ratios: np.ndarray, X, y_index, classes, s, params: dict, terms=(None, None)
) -> np.ndarray:
    """``Cs_``, of shape ``(n_Cs, n_l1_ratios)``: increasing ``C`` per column.

    ``Cs`` is a list of values (the same for every ``l1_ratio``) or how many
    to place from the data (:func:`data_driven_Cs`).
    """
    if not isinstance(Cs, Integral):
        values = np.asarray(Cs, dtype=np.float64)
        if values.ndim != 1 or values.size == 0 or not np.all(values > 0):
            raise ValueError(
                "Cs must be a positive int or a non-empty 1-D list of "
                f"positive values, got {Cs!r}."
            )
        return np.repeat(np.sort(values)[:, None], l1_ratios.size, axis=1)
    if any(params[name] is not default for name, default in _DEFAULTS.items()):
        start = structured_path_start(X, y_index, classes, s, params)
    else:
        start = path_start(X, y_index, classes, s, params["fit_intercept"], terms)
    return data_driven_Cs(start, int(Cs), l1_ratios)


_DEFAULTS = {"penalty_factor": None, "grouped": False, "standardize": False}


def structured_path_start(X, y_index, classes, s, params: dict) -> float:
    """``1 / max_g ‖G_g‖ / ω_g`` at the null model (see the module's notes).

    ``1.0`` when no penalised coefficient has a gradient there.
    """
    K, M = classes.shape[0], X.shape[1]
    objective = SoftmaxObjective(X.T, y_index, K, s, params["fit_intercept"])
    factor = np.ones((M, K))
    if params["penalty_factor"] is not None:
        structure = make_structure(
            params["penalty_factor"], False, None, None, False, M, K
        )
        assert structure.factor is not None
        factor = structure.factor
    free = np.all(factor == 0, axis=1)
    theta = _null_model(X, classes[y_index], s, params, free, objective)
    coordinates = FitCoordinates(SoftmaxRegression(**params), objective)
    if coordinates.scaled is not None:  # the gradient in W^s
        theta = coordinates.to_solver(theta)
    _, g = coordinates.objective.value_and_grad(theta)
    G = coordinates.objective.unravel(g)[:M] * float(s.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(factor > 0, np.abs(G) / factor, 0.0)
    grouped = params["grouped"]
    if grouped is not False:
        labels = np.arange(M) if grouped is True else np.asarray(grouped)
        _, groups, sizes = np.unique(labels, return_inverse=True, return_counts=True)
        f_group = np.zeros(sizes.size)
        f_group[groups] = factor[:, 0]
        norms = np.sqrt(np.bincount(groups, (G * G).sum(axis=1), sizes.size))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(f_group > 0, norms / (np.sqrt(sizes) * f_group), 0.0)
    g_max = float(np.max(ratio)) if ratio.size else 0.0
    return 1.0 / g_max if g_max > 0 and np.isfinite(g_max) else 1.0


def _null_model(X, y, s, params: dict, free: np.ndarray, objective) -> np.ndarray:
    """``θ`` of the fit with only the unpenalised features (else the constant)."""
    if not free.any():
        return cold_theta(objective)
    kept = np.where(free, 0.0, np.inf)
    fitted = {**params, "penalty_factor": kept, "grouped": False}
    model = SoftmaxRegression(C=1.0, **fitted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, sample_weight=s)
    coef, intercept = to_per_class(model.coef_, model.intercept_)
    W = np.vstack([coef.T, intercept[None, :]]) if params["fit_intercept"] else coef.T
    return np.ascontiguousarray(W, dtype=objective.dtype).ravel()


def data_driven_Cs(c_start: float, n_Cs: int, l1_ratios: np.ndarray) -> np.ndarray:
    """``n_Cs`` values per ``l1_ratio``, geometric from ``C_min`` over 4 decades."""
    rho = np.where(l1_ratios > 0, l1_ratios, 1.0)
    return c_start * np.logspace(0, PATH_DECADES, n_Cs)[:, None] * rho[None, :]
