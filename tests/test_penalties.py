"""Penalty objects against brute-force minimisation and finite differences."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import minimize_scalar

from sklearn_softmax._penalties import ElasticNet, make_penalty

PENALTIES = [ElasticNet(0.0), ElasticNet(0.3), ElasticNet(0.3, 0.5), ElasticNet(2, 1)]


@pytest.mark.parametrize("penalty", PENALTIES, ids=repr)
def test_prox_is_the_minimiser_of_its_definition(penalty):
    # prox(w) = argmin_u  ½ (u − w)² + t · penalty(u), entry by entry.
    W, step = np.array([[-2.0, -0.1], [0.05, 1.5]]), 0.4
    expected = [
        minimize_scalar(
            lambda u, w=w: 0.5 * (u - w) ** 2 + step * penalty.value(np.array([u])),
            bounds=(-5, 5),
            method="bounded",
            options={"xatol": 1e-12},
        ).x
        for w in W.ravel()
    ]
    assert_allclose(penalty.prox(W, step).ravel(), expected, atol=1e-8)


@pytest.mark.parametrize("penalty", PENALTIES, ids=repr)
def test_smooth_gradient_and_hessp_match_finite_differences(penalty):
    W, V, eps = np.array([[0.3, -1.2], [2.0, 0.7]]), np.ones((2, 2)), 1e-6
    smooth = penalty.smooth_value
    numeric = (smooth(W + eps * V) - smooth(W - eps * V)) / (2 * eps)
    assert np.vdot(penalty.grad(W), V) == pytest.approx(numeric, rel=1e-8)
    assert_allclose(penalty.hessp(V), (penalty.grad(W + V) - penalty.grad(W)))


@pytest.mark.parametrize(
    ("C", "l1_ratio", "alpha", "smooth"),
    [(np.inf, 0.5, 0.0, True), (2.0, 0.0, 1 / 20, True), (2.0, 0.5, 1 / 20, False)],
)
def test_make_penalty_rescales_by_C_times_weight_sum(C, l1_ratio, alpha, smooth):
    penalty = make_penalty(C, l1_ratio, weight_sum=10.0)
    assert penalty.alpha == pytest.approx(alpha)
    assert penalty.smooth is smooth


@pytest.mark.parametrize("penalty", PENALTIES, ids=repr)
def test_prox_takes_a_step_per_entry(penalty):
    # The diagonal metric of FISTA gives each entry its own step t_ik.
    W = np.array([[-2.0, -0.1], [0.05, 1.5]])
    steps = np.array([[0.4, 2.0], [0.01, 1.0]])
    expected = [
        minimize_scalar(
            lambda u, w=w, t=t: 0.5 * (u - w) ** 2 + t * penalty.value(np.array([u])),
            bounds=(-5, 5),
            method="bounded",
            options={"xatol": 1e-12},
        ).x
        for w, t in zip(W.ravel(), steps.ravel(), strict=True)
    ]
    assert_allclose(penalty.prox(W, steps).ravel(), expected, atol=1e-8)
    assert np.sum(penalty.prox(W, steps) == 0) == (
        np.sum(np.abs(W) <= steps * penalty.l1_strength)
    )


# -- the structured penalty: factors, groups, bounds ------------------------

from scipy.optimize import minimize  # noqa: E402

from sklearn_softmax._penalties import make_structure  # noqa: E402

RNG = np.random.default_rng(0)
V3 = RNG.normal(size=(4, 3))  # M = 4 features, K = 3 classes


def _structured(alpha, l1_ratio, K=3, **options):
    settings = {
        "penalty_factor": None,
        "grouped": False,
        "lower_bounds": None,
        "upper_bounds": None,
        "positive": False,
    }
    settings.update(options)
    structure = make_structure(*settings.values(), n_features=4, n_classes=K)
    return make_penalty(1.0, l1_ratio, 1.0 / alpha, structure)


def _check_prox(penalty, V, step, out, lower=-np.inf, upper=np.inf, line=False):
    """``out`` minimises ``½ ‖U − V‖² / step + P(U)`` over the box (or the line).

    The objective is ``1 / step``-strongly convex: no point that Powell's
    method finds from several starts is lower, and each is within
    ``√(2 step (F(found) − F(out)))`` of ``out``.
    """

    def objective(u):
        U = np.stack([-u, u], axis=1) if line else u.reshape(V.shape)
        return 0.5 * np.sum((U - V) ** 2 / step) + penalty.value(U)

    x = out[:, 1] if line else out.ravel()
    assert np.all(x >= lower - 1e-15) and np.all(x <= upper + 1e-15)
    bounds = [(lower, upper)] * x.size
    for start in (np.zeros(x.size), np.clip(V.ravel()[: x.size], lower, upper), x):
        found = minimize(
            objective,
            start,
            method="Powell",
            bounds=bounds,
            options={"xtol": 1e-12, "ftol": 1e-15, "maxfev": 100_000},
        )
        gap = found.fun - objective(x)
        assert gap >= -1e-12
        radius = np.sqrt(2 * np.max(step) * max(gap, 0.0))
        assert np.linalg.norm(found.x - x) <= radius + 1e-5


@pytest.mark.parametrize(
    "options",
    [
        {"penalty_factor": [0.0, 0.5, 1.0, 3.0]},
        {"penalty_factor": RNG.uniform(0.1, 2, size=(3, 4))},
        {"grouped": True},
        {"grouped": np.array([0, 0, 1, 1])},
        {"grouped": True, "penalty_factor": [0.0, 0.5, 1.0, 3.0]},
        {"lower_bounds": -0.2, "upper_bounds": 0.4},
        {"positive": True, "penalty_factor": [1.0, 2.0, 0.0, 1.0]},
    ],
    ids=lambda o: ",".join(o),
)
@pytest.mark.parametrize("l1_ratio", [0.0, 0.5, 1.0])
def test_structured_prox_is_the_minimiser_of_its_definition(options, l1_ratio):
    penalty = _structured(0.8, l1_ratio, **options)
    lower = (
        -0.2 if "lower_bounds" in options else 0.0 if "positive" in options else None
    )
    upper = 0.4 if "upper_bounds" in options else None
    lower = -np.inf if lower is None else lower
    upper = np.inf if upper is None else upper
    _check_prox(penalty, V3, 0.7, penalty.prox(V3, 0.7), lower, upper)


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5, 1.0])
def test_two_class_bounds_prox_stays_on_the_line_and_minimises(l1_ratio):
    # Two classes: a bound on d = w₁ − w₀ is kept on the line w₀ = −w₁.
    penalty = _structured(0.8, l1_ratio, K=2, lower_bounds=-0.3, upper_bounds=0.5)
    V = RNG.normal(size=(4, 2))
    out = penalty.prox(V, 0.7)
    assert_allclose(out[:, 0], -out[:, 1])
    d = out[:, 1] - out[:, 0]
    assert d.min() >= -0.3 - 1e-15 and d.max() <= 0.5 + 1e-15
    _check_prox(penalty, V, 0.7, out, -0.15, 0.25, line=True)


def test_infinite_factor_holds_the_coefficient_at_zero():
    penalty = _structured(0.5, 0.5, penalty_factor=[1.0, np.inf, 1.0, 0.0])
    assert np.all(penalty.prox(V3, 0.3)[1] == 0)
    assert np.isfinite(penalty.value(penalty.prox(V3, 0.3)))
    assert penalty.distance(RNG.normal(size=(4, 3)), penalty.prox(V3, 0.3)) >= 0


@pytest.mark.parametrize(
    "options",
    [{"grouped": True}, {"penalty_factor": [0.0, 0.5, 1.0, 3.0]}, {"positive": True}],
    ids=lambda o: ",".join(o),
)
def test_structured_distance_is_zero_at_a_prox_fixed_point(options):
    # U = prox(U − t G) for every t > 0 exactly when 0 ∈ G + ∂P(U): build
    # such a pair from a prox output and check the measure, then perturb.
    penalty = _structured(0.8, 0.5, **options)
    U = penalty.prox(V3, 1.0)
    G = U - V3  # U = prox(V) with step 1 ⇔ V − U ∈ ∂P(U) ⇔ 0 ∈ G + ∂P(U)
    assert penalty.distance(G, U) == pytest.approx(0.0, abs=1e-12)
    assert penalty.distance(G + 0.1, U) > 0.01


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"penalty_factor": [1.0, -1.0, 1.0, 1.0]}, "non-negative"),
        ({"penalty_factor": np.ones(3)}, "penalty_factor must have shape"),
        ({"grouped": np.array([0.5, 1, 2, 3])}, "integer array"),
        ({"grouped": np.array([0, 0, 1, 1]), "penalty_factor": [1, 2, 1, 1]}, "same"),
        ({"grouped": True, "positive": True}, "cannot be combined with bounds"),
        ({"lower_bounds": 1.0, "upper_bounds": 0.0}, "must not exceed"),
        ({"positive": True, "lower_bounds": -1.0}, "not both"),
        ({"lower_bounds": [np.nan, 0, 0, 0]}, "NaN"),
        ({"penalty_factor": [np.inf, 1, 1, 1], "lower_bounds": 0.5}, "exclude 0"),
    ],
)
def test_make_structure_refuses_malformed_options(options, message):
    with pytest.raises(ValueError, match=message):
        _structured(1.0, 0.5, **options)


@pytest.mark.parametrize("grouped", [True, np.array([0, 0, 1, 1])])
@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_group_prox_with_a_step_per_entry_minimises(grouped, l1_ratio):
    # Adaptive (adagrad) steps differ within a group: the map in that metric.
    penalty = _structured(0.8, l1_ratio, grouped=grouped, penalty_factor=[1, 1, 2, 2])
    steps = RNG.uniform(0.2, 1.5, size=V3.shape)
    _check_prox(penalty, V3, steps, penalty.prox(V3, steps))
    strong = _structured(20.0, l1_ratio, grouped=grouped)
    assert np.all(strong.prox(V3, steps) == 0)


@pytest.mark.parametrize("l1_ratio", [0.0, 0.4, 1.0])
def test_scaled_structure_is_the_penalty_of_the_scaled_coefficients(l1_ratio):
    # partial_fit with standardize=True: P(W) = elastic net of σ ∘ W.
    sigma = np.array([0.5, 2.0, 1.0, 10.0])
    structure = make_structure(None, False, None, None, False, 4, 3, scale=sigma)
    penalty = make_penalty(1.0, l1_ratio, 2.0, structure)
    plain = make_penalty(1.0, l1_ratio, 2.0)
    assert penalty.value(V3) == pytest.approx(plain.value(sigma[:, None] * V3))
    assert_allclose(penalty.grad(V3), sigma[:, None] * plain.grad(sigma[:, None] * V3))
