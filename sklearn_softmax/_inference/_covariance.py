r"""Covariance types, parametrisations and penalties, from the accumulated sums.

Conventions
-----------
The *reference* parametrisation has, for each class ``k`` but the reference
``r``, the contrast ``β_k = (w_k − w_r, b_k − b_r)`` of ``M + 1`` entries
(``M`` without an intercept). Its flat layout, that of every covariance
returned here, is class-major: entry ``k' (M + 1) + m`` is feature ``m``
(``m = M`` the intercept) of the ``k'``-th reported class. The information in
it is the full one (:mod:`._information`, layout ``m K + k``) without the
reference class's rows and columns.

The *symmetric* parametrisation ``θ_k = β_k − (1/K) Σ_j β_j`` (``β_r = 0``),
``θ = A β`` with ``A = (E − 1 1ᵀ/K) ⊗ I`` for ``E`` the ``K × (K − 1)``
embedding, spans the sum-to-zero subspace, along which the likelihood is
unchanged. Its covariance ``A V Aᵀ`` is the pseudo-inverse of the information
restricted to that subspace (for the sandwich, the same with the meat), so a
contrast ``θ_k − θ_l`` has the variance it has in the reference one.

On the scale of the log-likelihood, the L2 fit minimises
``Σ s ℓ + ‖W‖²/(2C)`` over the subspace, whose Hessian in ``β`` is
``H = I + Aᵀ D A / C``: ``D`` the identity on the coefficients, zero on the
intercepts, ``AᵀA = (I − 1 1ᵀ/K) ⊗ D`` (``D/(2C)`` for two classes).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.linalg import lapack

from ._information import InformationParts

#: Scaled eigenvalues of H below this are singular (an error) ...
SINGULAR = 1e-13
#: ... and below this nearly so (a warning, NaN for the parameters involved).
NEAR_SINGULAR = 1e-9


def reference_index(Mp: int, K: int, ref: int) -> np.ndarray:
    """Indices of the full layout (``m K + k``) in the reference layout's order."""
    classes = [k for k in range(K) if k != ref]
    return np.array([m * K + k for k in classes for m in range(Mp)])


def symmetric_map(K: int, Mp: int, ref: int) -> np.ndarray:
    """``A`` (``K Mp × (K − 1) Mp``): contrasts against ``ref`` to sum-to-zero."""
    E = np.delete(np.eye(K), ref, axis=1)
    return np.kron(E - 1.0 / K, np.eye(Mp))


def penalty_hessian(K: int, Mp: int, fit_intercept: bool) -> np.ndarray:
    """``Aᵀ D A`` in the reference layout: ``(I − 1 1ᵀ/K) ⊗ D``."""
    D = np.eye(Mp)
    if fit_intercept:
        D[-1, -1] = 0.0
    return np.kron(np.eye(K - 1) - 1.0 / K, D)


def pseudo_inverse(H: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``H⁺`` and the parameters that it does not identify.

    ``H`` is scaled by its diagonal first (features of any scale alike). A
    scaled eigenvalue under :data:`SINGULAR` is an error naming the
    parameters along its eigenvector; under :data:`NEAR_SINGULAR`, a warning,
    and those parameters are flagged (their variances become NaN).
    """
    diag = np.diag(H).copy()
    zero = ~(diag > 0)
    if np.any(zero):
        _singular([names[i] for i in np.flatnonzero(zero)])
    scale = 1.0 / np.sqrt(diag)
    scaled = H * scale[:, None] * scale[None, :]
    inverse = _cholesky_inverse(scaled)
    if inverse is not None:  # well conditioned: no eigendecomposition needed
        return inverse * scale[:, None] * scale[None, :], np.zeros(H.shape[0], bool)
    lam, U = np.linalg.eigh(scaled)
    top = lam.max()
    weak = lam < NEAR_SINGULAR * top
    involved = np.sum(U[:, weak] ** 2, axis=1) > 1e-6
    if np.any(lam < SINGULAR * top):
        _singular([names[i] for i in np.flatnonzero(involved)])
    if np.any(weak):
        which = ", ".join(names[i] for i in np.flatnonzero(involved))
        warnings.warn(
            f"The information matrix is nearly singular (condition number "
            f"{top / max(lam.min(), np.finfo(float).tiny):.3g}): the "
            f"standard errors of {which} are not identified and are set to NaN.",
            UserWarning,
            stacklevel=4,
        )
    keep = ~weak
    inv = (U[:, keep] / lam[keep]) @ U[:, keep].T
    return inv * scale[:, None] * scale[None, :], involved


def _cholesky_inverse(A: np.ndarray) -> np.ndarray | None:
    """``A⁻¹`` by Cholesky when ``A``'s condition is far from :data:`NEAR_SINGULAR`.

    The 1-norm estimate of LAPACK's ``pocon`` is within a factor ``d`` of the
    eigenvalue ratio (and LAPACK's estimate within a small factor of it):
    below ``10 d`` times the threshold, ``None`` (the eigendecomposition
    decides).
    """
    factor, info = lapack.dpotrf(A, lower=0, clean=1)
    if info != 0:
        return None
    rcond, info = lapack.dpocon(factor, np.abs(A).sum(axis=0).max())
    if info != 0 or not rcond > 10 * A.shape[0] * NEAR_SINGULAR:
        return None
    inverse, info = lapack.dpotri(factor, lower=0)
    if info != 0:
        return None
    return np.triu(inverse) + np.triu(inverse, 1).T


def _singular(names: list[str]) -> None:
    raise ValueError(
        f"The information matrix is singular: the data do not identify "
        f"{', '.join(names)} (a constant, duplicated or collinear feature, or a "
        f"class without samples). Drop the feature(s) or fit with a penalty "
        f"(finite C)."
    )


def meat(parts: InformationParts, cov_type: str, index: np.ndarray) -> np.ndarray:
    """``B`` in the reference layout for a robust ``cov_type``."""
    if cov_type == "cluster":
        U = parts.cluster_sums[:, index]
        return U.T @ U
    return parts.meat[np.ix_(index, index)]


def small_sample_factor(
    cov_type: str, n: float, k: int, n_clusters: int | None
) -> float:
    """``n/(n − k)`` for HC1; ``G/(G − 1) · (n − 1)/(n − k)`` for cluster."""
    if cov_type == "HC1":
        return n / (n - k)
    if cov_type == "cluster" and n_clusters is not None:
        return n_clusters / (n_clusters - 1) * (n - 1) / (n - k)
    return 1.0


def covariance(
    information: np.ndarray,
    B: np.ndarray | None,
    penalty: np.ndarray | None,
    penalized: str,
    names: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """``V`` in the reference layout, and the flags of unidentified parameters.

    ``H = I + penalty`` (``penalty`` already divided by ``C``, or ``None``);
    ``V = H⁻¹ B H⁻¹`` (``B = I`` when ``None``), or ``H⁻¹`` for
    ``penalized="bayes"`` and for an unpenalised nonrobust fit.
    """
    H = information if penalty is None else information + penalty
    H_inv, involved = pseudo_inverse(H, names)
    if B is None and (penalty is None or penalized == "bayes"):
        V = H_inv
    else:
        V = H_inv @ (information if B is None else B) @ H_inv
    V = (V + V.T) / 2
    V[involved, :] = np.nan
    V[:, involved] = np.nan
    return V, involved
