"""Penalties on the coefficients ``W[:M]`` (never on the intercept row).

Conventions
-----------
The estimator's objective is ``C Σ s_n ℓ_n + ½ (1 − ρ) ‖W‖²_F + ρ ‖W‖₁`` with
``ρ = l1_ratio``. Solvers minimise it divided by ``C Σ s``, the weighted *mean*
loss of :class:`.._objectives.SoftmaxObjective` plus ``α (½ (1 − ρ) ‖W‖²_F +
ρ ‖W‖₁)`` with ``α = 1 / (C Σ s)``. :func:`make_penalty` is the one place that
converts ``C`` and ``l1_ratio`` (and the structured options) into a penalty.

Every penalty owns, on the coefficient block ``W`` of shape ``(M, K)``:
``value(W)``, ``grad(W)`` and ``hessp(V)`` for its smooth part, ``prox(W,
step)`` for the whole penalty, ``project(W)`` onto its constraints,
``distance(G, W)``, its optimality measure, and ``needs``, the options a
solver must handle. ``smooth`` says whether the smooth part is the whole
penalty (bounds aside).

Modules: :mod:`._elastic_net` (the plain elastic net), :mod:`._structure`
(penalty factors, groups and bounds checked and laid out),
:mod:`._structured` (the penalty with them), :mod:`._optimality` (its
subdifferential distances), :mod:`._convert` (the parameters' conversion).
"""

from ._convert import make_penalty, penalty_strength
from ._elastic_net import ElasticNet, soft_threshold
from ._structure import Structure, make_structure
from ._structured import StructuredPenalty

#: Either penalty, as the solvers receive it.
Penalty = ElasticNet | StructuredPenalty

__all__ = [
    "ElasticNet",
    "Penalty",
    "Structure",
    "StructuredPenalty",
    "make_penalty",
    "make_structure",
    "penalty_strength",
    "soft_threshold",
]
